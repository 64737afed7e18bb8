"""Where a job's record lives, so that the outbox and the runner treat both kinds of job alike.

A tenant's job is a row of that tenant's `jobs` table, reached only through a session pinned to the
tenant. A platform job (about a tenant rather than inside one, see `backend.core.jobs.platform`) is a row of
`control.platform_jobs`, reached through a control session. `JobRecords(database, tenant)` is the one
or the other: `tenant=None` stands for the platform.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import Update, func, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.jobs.models import Job, JobStatus, PlatformJob
from tenants.sessions import Database, TenantRef

JobModel: TypeAlias = type[Job] | type[PlatformJob]


def owner_of(tenant: TenantRef | None) -> str:
    """Whose job it is, for logs: the tenant's slug, or "platform"."""
    return "platform" if tenant is None else tenant.slug


@dataclass(frozen=True, slots=True)
class JobRecords:
    database: Database
    # None: the platform's own jobs.
    tenant: TenantRef | None

    @property
    def model(self) -> JobModel:
        return PlatformJob if self.tenant is None else Job

    @property
    def place(self) -> str:
        """Where the records are, for errors."""
        return "control.platform_jobs" if self.tenant is None else f"tenant {self.tenant.slug}"

    def session(self) -> AsyncSession:
        if self.tenant is None:
            return self.database.control_session()
        return self.database.tenant_session(self.tenant)

    async def mark_running(self, job_id: uuid.UUID) -> int:
        """A new attempt begins; returns its number. Committed at once, so the API shows it live."""
        model = self.model
        async with self.session() as session, session.begin():
            attempts = await session.scalar(
                update(model)
                .where(model.id == job_id)
                .values(
                    status=JobStatus.RUNNING, attempts=model.attempts + 1, progress=0, started_at=func.clock_timestamp()
                )
                .returning(model.attempts)
            )
        return int(attempts or 1)

    async def update_running(self, job_id: uuid.UUID, **values: Any) -> None:
        """Progress of a running job, in a short transaction of its own for the API to show at once.
        A job no longer running (failed by its time limit, say) keeps its final record."""
        model = self.model
        async with self.session() as session, session.begin():
            await session.execute(
                update(model).where(model.id == job_id, model.status == JobStatus.RUNNING).values(**values)
            )

    def succeeded(self, job_id: uuid.UUID, result: dict[str, Any] | None) -> Update:
        """The statement that marks the job done, for the transaction that holds the body's changes. Its
        time is the clock's, not the transaction's (`now()`): that transaction began before the attempt
        was marked running in a short one of its own, so `now()` would finish the job before it started."""
        model = self.model
        return (
            update(model)
            .where(model.id == job_id)
            .values(
                status=JobStatus.SUCCEEDED, progress=100, error=None, result=result, finished_at=func.clock_timestamp()
            )
        )

    async def record_failure(self, job_id: uuid.UUID, error: str, *, final: bool) -> None:
        """The job's record after a failed attempt: `failed` when the message is given up, else `queued`
        again with the error of the attempt, for the retry that Dramatiq has scheduled."""
        model = self.model
        values: dict[str, Any] = {"error": error}
        if final:
            values |= {"status": JobStatus.FAILED, "finished_at": func.clock_timestamp()}
        else:
            values |= {"status": JobStatus.QUEUED}
        async with self.session() as session, session.begin():
            await session.execute(
                update(model).where(model.id == job_id, model.status != JobStatus.SUCCEEDED).values(**values)
            )

    async def mark_unsent(self, job_ids: Sequence[uuid.UUID]) -> None:
        """Give back the claims of messages the broker did not take, for the relay to send later."""
        model = self.model
        async with self.session() as session, session.begin():
            await session.execute(
                update(model).where(model.id.in_(job_ids), model.status == JobStatus.QUEUED).values(sent_at=None)
            )

    async def mark_sent(self, job_ids: Sequence[uuid.UUID]) -> None:
        model = self.model
        async with self.session() as session, session.begin():
            await session.execute(update(model).where(model.id.in_(job_ids)).values(sent_at=func.now()))
