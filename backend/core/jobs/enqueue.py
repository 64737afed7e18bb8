"""Asking for jobs. Enqueueing writes the job row in the caller's transaction (see
`backend.core.jobs.outbox`); the job runs only if that transaction commits, and the unit of work that
owns the transaction (`backend.core.unit_of_work`) sends it to the broker once it has."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy import Text, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.jobs import outbox
from backend.core.jobs.models import Job, JobStatus
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


class Asker(Protocol):
    """Who asks for a job on a caller's behalf: `backend.auth.principal.Principal` is one. (The core
    names what it reads of the caller rather than import the auth package above it.)"""

    @property
    def actor(self) -> str: ...

    @property
    def employee_id(self) -> uuid.UUID | None: ...


async def enqueue_for(
    session: AsyncSession, principal: Asker, kind: str, arguments: dict[str, Any], *, dedupe_key: str | None = None
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
