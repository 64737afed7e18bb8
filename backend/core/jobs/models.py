"""Background jobs: one row per job in the tenant's schema (its record and its outbox entry), and the
control-plane list of messages that ended in the dead letter."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import ControlBase, IdMixin, TenantBase, TimestampMixin, str_enum


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Job(IdMixin, TimestampMixin, TenantBase):
    """A job asked for by a request, the scheduler or another job.

    The row is written in the transaction that asks for the job, so the job exists exactly when that
    transaction commits. `sent_at` stays NULL until the message is on the broker: the relay re-sends
    what a crash or a broker outage left unsent. The id is also the broker message's id.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        # What the relay scans: small, because sent jobs leave it.
        Index("ix_jobs_unsent", "created_at", postgresql_where=text("sent_at IS NULL")),
        Index("ix_jobs_status", "status", "id"),
        # Identical jobs not started yet are one job: asking again returns the waiting one (see
        # `backend.core.jobs.enqueue.enqueue`). A job that has started (attempts > 0, even when it waits
        # for a retry) is no longer merged with: a change made after it started needs a run of its own.
        Index(
            "uq_jobs_waiting_identical",
            "kind",
            text("md5(arguments::text)"),
            unique=True,
            postgresql_where=text("status = 'queued' AND attempts = 0"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(100))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus, "job_status"), default=JobStatus.QUEUED)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Who asked for it: the caller's token subject (`Principal.actor`), or "scheduler" for its runs.
    requested_by: Mapped[str] = mapped_column(String(200))
    # The employee who asked for it, when it was one (the jobs one asked for are one's to see).
    requested_by_employee_id: Mapped[uuid.UUID | None] = mapped_column()
    # Keeps a job from being asked for twice, e.g. the same nightly run by two schedulers in a hand-over.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # How often the relay sent it again because it had not started (its message lost by the broker).
    resends: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeadLetter(IdMixin, ControlBase):
    """A message the worker gave up on: retries spent, an error that retrying cannot fix, or a message
    it could not even attribute to a tenant. Consultants see them across tenants; the job's own record
    (when there is one) says `failed` with the same error."""

    __tablename__ = "dead_letters"

    message_id: Mapped[str] = mapped_column(String(64), index=True)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    queue: Mapped[str] = mapped_column(String(100))
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    message: Mapped[dict[str, Any]] = mapped_column(JSONB)
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PlatformJob(IdMixin, TimestampMixin, ControlBase):
    """A job of the platform rather than of one tenant's data: provisioning a tenant (whose schema, and
    so whose `jobs` table, does not exist yet) and changing a tenant's status, which needs the owner's
    rights. The same life as a tenant's job: written in the transaction that asks for it, sent after
    commit (re-sent by the relay), queued → running with progress → succeeded or failed."""

    __tablename__ = "platform_jobs"
    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        Index("ix_platform_jobs_unsent", "created_at", postgresql_where=text("sent_at IS NULL")),
    )

    kind: Mapped[str] = mapped_column(String(100))
    # The tenant the job is about (NULL until a provisioning job has created it).
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    arguments: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus, "job_status"), default=JobStatus.QUEUED)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    # What the job is doing now, in words, for the console ("migrating: 0004 mentoring").
    step: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The platform user who asked for it; NULL for the CLI.
    requested_by: Mapped[uuid.UUID | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resends: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
