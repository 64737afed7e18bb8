"""Mentoring tables (tenant schema): programmes, mentor profiles, mentee requests, pairing runs with
their pairings and waitlist, and the check-ins of a pair.

A pairing moves proposed -> published -> active -> ended. A run's pairings stay `proposed` (seen by HR
only) until HR publishes the run; a pair is `active` once started or at its first check-in.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import IdMixin, TenantBase, TimestampMixin, str_enum


class ProgrammeKind(enum.StrEnum):
    COHORT = "cohort"
    EVERGREEN = "evergreen"


class ProgrammeStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class PairingObjective(enum.StrEnum):
    # The same values as `backend.mentoring.pairing.Objective`.
    TOTAL_SCORE = "total_score"
    MOST_MATCHED = "most_matched"


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    MATCHED = "matched"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    PROPOSED = "proposed"
    PUBLISHED = "published"
    DISCARDED = "discarded"


class PairingState(enum.StrEnum):
    PROPOSED = "proposed"
    PUBLISHED = "published"
    ACTIVE = "active"
    ENDED = "ended"


# A pair that holds its mentee and a place of its mentor's capacity.
LIVE_STATES = (PairingState.PUBLISHED, PairingState.ACTIVE)
# The requests a pairing run draws from.
IN_POOL = (RequestStatus.OPEN, RequestStatus.WAITLISTED)


class Programme(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "mentoring_programmes"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates"),
        CheckConstraint(
            "enrolment_closes IS NULL OR enrolment_opens IS NULL OR enrolment_closes >= enrolment_opens",
            name="enrolment_window",
        ),
        CheckConstraint("per_mentee BETWEEN 1 AND 500", name="per_mentee_range"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[ProgrammeKind] = mapped_column(str_enum(ProgrammeKind, "programme_kind"))
    status: Mapped[ProgrammeStatus] = mapped_column(
        str_enum(ProgrammeStatus, "programme_status"), default=ProgrammeStatus.DRAFT
    )
    goals: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    enrolment_opens: Mapped[date | None] = mapped_column(Date)
    enrolment_closes: Mapped[date | None] = mapped_column(Date)
    objective: Mapped[PairingObjective] = mapped_column(str_enum(PairingObjective, "pairing_objective"))
    require_different_department: Mapped[bool] = mapped_column(Boolean, default=False)
    # Factor weights overriding the defaults of `pairing.DEFAULT_WEIGHTS` (NULL: the defaults).
    weights: Mapped[dict[str, float] | None] = mapped_column(JSONB)
    # How many candidate mentors each mentee keeps before the solve (the best-scoring ones).
    per_mentee: Mapped[int] = mapped_column(Integer, default=50)
    # Who created it (`Principal.actor`).
    created_by: Mapped[str] = mapped_column(String(200))


class MentorProfile(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "mentor_profiles"
    __table_args__ = (
        UniqueConstraint("programme_id", "employee_id"),
        CheckConstraint("capacity BETWEEN 1 AND 10", name="capacity_range"),
        CheckConstraint("utc_offset_minutes BETWEEN -720 AND 840", name="utc_offset_range"),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mentoring_programmes.id"), index=True)
    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    capacity: Mapped[int] = mapped_column(Integer)
    topics: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    # ISO 639 codes, lower case.
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text))
    utc_offset_minutes: Mapped[int] = mapped_column(Integer, default=0)
    availability: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class MentorProfileSkill(TenantBase):
    """A skill the mentor wants to teach."""

    __tablename__ = "mentor_profile_skills"

    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mentor_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skills.id"), primary_key=True, index=True)


class MenteeRequest(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "mentee_requests"
    __table_args__ = (
        UniqueConstraint("programme_id", "employee_id"),
        CheckConstraint("utc_offset_minutes BETWEEN -720 AND 840", name="utc_offset_range"),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mentoring_programmes.id"), index=True)
    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    goals: Mapped[str] = mapped_column(Text)
    target_role_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("roles.id"), index=True)
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text))
    utc_offset_minutes: Mapped[int] = mapped_column(Integer, default=0)
    preferences: Mapped[str | None] = mapped_column(Text)
    # Employees never to be proposed as this mentee's mentor (asked for, or a former mentor).
    excluded_mentor_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), server_default="{}")
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus, "request_status"), default=RequestStatus.OPEN)


class MenteeRequestSkill(TenantBase):
    """A skill the mentee wants to grow."""

    __tablename__ = "mentee_request_skills"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mentee_requests.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skills.id"), primary_key=True, index=True)


class PairingRun(IdMixin, TimestampMixin, TenantBase):
    """One solve of a programme's pool, computed by a job and held for review until published."""

    __tablename__ = "pairing_runs"

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mentoring_programmes.id"), index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, "run_status"), default=RunStatus.QUEUED)
    objective: Mapped[PairingObjective] = mapped_column(str_enum(PairingObjective, "pairing_objective"))
    matched: Mapped[int | None] = mapped_column(Integer)
    unmatched: Mapped[int | None] = mapped_column(Integer)
    total_score: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who started and who published it (`Principal.actor`).
    created_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(200))


class Pairing(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "pairings"
    __table_args__ = (
        # A mentee request has at most one live pair.
        Index(
            "uq_pairings_live_request",
            "mentee_request_id",
            unique=True,
            postgresql_where=text("state IN ('published', 'active')"),
        ),
        UniqueConstraint("run_id", "mentee_request_id"),
        CheckConstraint("mentor_employee_id <> mentee_employee_id", name="not_self"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pairing_runs.id"), index=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mentoring_programmes.id"), index=True)
    mentor_profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mentor_profiles.id"), index=True)
    mentee_request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mentee_requests.id"), index=True)
    mentor_employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    mentee_employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    state: Mapped[PairingState] = mapped_column(str_enum(PairingState, "pairing_state"), default=PairingState.PROPOSED)
    score: Mapped[float] = mapped_column(Float)
    # {"factors": {name: {"value", "weight", "points"}}, "sentences": [...], "statements": [...]}: the
    # statements (backend/mentoring/reasons.py, absent from runs written before them) in English sentences.
    reasons: Mapped[dict[str, Any]] = mapped_column(JSONB)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(Text)


class WaitlistEntry(IdMixin, TenantBase):
    """A mentee a run could not match: their place in line and why."""

    __tablename__ = "mentoring_waitlist"
    __table_args__ = (UniqueConstraint("run_id", "mentee_request_id"), UniqueConstraint("run_id", "position"))

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pairing_runs.id"), index=True)
    mentee_request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mentee_requests.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    reason_code: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)


class CheckIn(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "mentoring_check_ins"
    __table_args__ = (CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),)

    pairing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pairings.id"), index=True)
    author_employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    happened_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
