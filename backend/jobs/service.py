"""Asking for jobs and reading their records. Enqueueing writes the job row in the caller's transaction
(see `backend.core.jobs.outbox`); the job runs only if that transaction commits."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.auth.principal import Principal
from backend.core.jobs import outbox
from backend.core.jobs.models import Job, JobStatus
from backend.errors import NotFoundError
from tenants.sessions import TenantRef

# How a long job reports its progress (0-100) to its record.
Progress = Callable[[int], Awaitable[None]]
# The actor of the jobs the scheduler asks for (nightly runs, debounced recomputes).
SCHEDULER = "scheduler"


def tenant_of(session: AsyncSession) -> TenantRef:
    tenant = session.info.get("tenant")
    if not isinstance(tenant, TenantRef):
        raise RuntimeError("jobs are enqueued on a tenant session")
    return tenant


async def enqueue(
    session: AsyncSession,
    kind: str,
    arguments: dict[str, Any],
    *,
    requested_by: str,
    requested_by_employee_id: uuid.UUID | None = None,
    dedupe_key: str | None = None,
) -> Job:
    """Ask for a job as part of the session's transaction, recording who asked (an actor, never
    missing). A job identical to one of the tenant's jobs still waiting to start (same kind, same
    arguments) is that job: it is returned and nothing new is enqueued (a job already running is not
    merged with, since a change made after it started needs a run of its own). So is a job whose
    `dedupe_key` was used already. The database's unique indexes decide, so this holds for concurrent
    askers too: the second waits for the first's transaction and then finds its job."""
    asker = {"requested_by": requested_by, "requested_by_employee_id": requested_by_employee_id}
    # A conflict can name a job that then starts before it is read; asking again then inserts.
    for _ in range(_MERGE_ATTEMPTS):
        job_id = await session.scalar(
            insert(Job)
            .values(kind=kind, arguments=arguments, dedupe_key=dedupe_key, **asker)
            .on_conflict_do_nothing()
            .returning(Job.id)
        )
        if job_id is not None:
            job = await session.get_one(Job, job_id)
            outbox.note(session, outbox.OutboxMessage(job.id, tenant_of(session).id, kind, arguments))
            return job
        existing = await _existing(session, kind, arguments, dedupe_key)
        if existing is not None:
            return existing
    raise RuntimeError(f"could not enqueue {kind}: identical jobs kept starting")


_MERGE_ATTEMPTS = 5


async def _existing(session: AsyncSession, kind: str, arguments: dict[str, Any], dedupe_key: str | None) -> Job | None:
    """The job an insert conflicted with: the one holding the dedupe key, else the identical waiting one."""
    if dedupe_key is not None:
        deduped = await session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if deduped is not None:
            return deduped
    waiting: Job | None = await session.scalar(
        select(Job).where(
            Job.kind == kind,
            func.md5(cast(Job.arguments, Text)) == func.md5(cast(cast(arguments, JSONB), Text)),
            Job.status == JobStatus.QUEUED,
            Job.attempts == 0,
        )
    )
    return waiting


async def enqueue_for(
    session: AsyncSession, principal: Principal, kind: str, arguments: dict[str, Any], *, dedupe_key: str | None = None
) -> Job:
    """`enqueue` a job that `principal` asks for."""
    return await enqueue(
        session,
        kind,
        arguments,
        requested_by=principal.actor,
        requested_by_employee_id=principal.employee_id,
        dedupe_key=dedupe_key,
    )


class JobService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, principal: Principal, job_id: uuid.UUID) -> Job:
        job = await self.session.get(Job, job_id)
        # Someone else's job is as absent as a missing one: its kind and arguments are not theirs to see.
        if job is None or not self._may_see(principal, job):
            raise NotFoundError(f"job {job_id} does not exist")
        return job

    async def list(
        self,
        principal: Principal,
        *,
        status: JobStatus | None,
        kind: str | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[Sequence[Job], str | None]:
        query = select(Job)
        if not _sees_every_job(principal):
            query = query.where(Job.requested_by_employee_id == principal.employee_id)
        if status is not None:
            query = query.where(Job.status == status)
        if kind is not None:
            query = query.where(Job.kind == kind)
        return await paginate(self.session, query, Job.id, cursor, limit)

    @staticmethod
    def _may_see(principal: Principal, job: Job) -> bool:
        return _sees_every_job(principal) or (
            principal.employee_id is not None and job.requested_by_employee_id == principal.employee_id
        )


def _sees_every_job(principal: Principal) -> bool:
    # HR runs the tenant's programmes and imports; a partner app granted jobs:read watches the jobs it
    # and the tenant's integrations started (it holds no employee to narrow them to).
    return principal.is_hr or principal.client_id is not None
