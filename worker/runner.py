"""How a job runs: pinned to its tenant, once, with its record kept up to date.

An actor is an `async def body(job: JobContext, **arguments) -> dict | None` declared with
`@job_actor("domain.name", time_limit=...)`. The runner gives the body one session pinned to the
message's tenant; the body's changes, the job's `succeeded` state and any jobs it enqueues commit in
that one transaction. So a message delivered twice (at-least-once delivery: a worker killed after the
commit but before the ack) finds its job succeeded and does nothing, and a worker killed before the
commit leaves nothing behind for the retry to trip over.

A per-job advisory lock, held by that transaction, keeps two deliveries of one message from running
side by side; the database drops it with the connection of a killed worker.
"""

from __future__ import annotations

import functools
import inspect
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import dramatiq
import structlog
from dramatiq.asyncio import get_event_loop_thread
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.jobs import outbox
from backend.jobs.models import Job, JobStatus
from tenants.sessions import Database, TenantRef
from worker.errors import JobBusyError, PoisonMessageError, is_transient

log = structlog.get_logger()

DEFAULT_MAX_RETRIES = 5


class WorkerResources(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def sender(self) -> outbox.JobSender: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """The message being processed by this worker thread, as the tenant middleware resolved it."""

    tenant: TenantRef
    job_id: uuid.UUID
    resources: WorkerResources


_current = threading.local()


def set_delivery(delivery: Delivery | None) -> None:
    _current.delivery = delivery


def delivery_or_none() -> Delivery | None:
    delivery: Delivery | None = getattr(_current, "delivery", None)
    return delivery


def current_delivery() -> Delivery:
    delivery = delivery_or_none()
    if delivery is None:
        # Only the tenant middleware sets it; without it no query may run, since none would be pinned.
        raise PoisonMessageError("the message reached its actor without a tenant")
    return delivery


@dataclass
class JobContext:
    """What a job body gets: its tenant, one session pinned to it, and a way to report progress."""

    tenant: TenantRef
    job_id: uuid.UUID
    attempt: int
    session: AsyncSession
    database: Database

    async def progress(self, percent: int) -> None:
        """Record progress (0-100) at once, in its own short transaction, for the API to show."""
        percent = max(0, min(100, int(percent)))
        async with self.database.tenant_session(self.tenant) as session, session.begin():
            await session.execute(
                update(Job).where(Job.id == self.job_id, Job.status == JobStatus.RUNNING).values(progress=percent)
            )


JobBody = Callable[..., Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True, slots=True)
class JobKind:
    kind: str
    body: JobBody
    time_limit: timedelta
    max_retries: int


# Every job body, by kind. Declaring bodies here rather than on a broker at import time means the
# order of imports never decides which broker an actor lands on; `declare_actors` puts them all on one.
JOB_KINDS: dict[str, JobKind] = {}


def job_actor(
    kind: str, *, time_limit: timedelta, max_retries: int = DEFAULT_MAX_RETRIES
) -> Callable[[JobBody], JobBody]:
    """Register a job body as the actor `kind`. Transient errors (the database or broker away for a
    moment) are retried with backoff up to `max_retries` times; anything else fails the job at once
    and sends its message to the dead letter, since running it again would fail the same way. The
    body is returned unchanged, so it can also be called directly (in tests, say)."""

    def register(body: JobBody) -> JobBody:
        if kind in JOB_KINDS and JOB_KINDS[kind].body is not body:
            raise RuntimeError(f"two job bodies claim the kind {kind!r}")
        JOB_KINDS[kind] = JobKind(kind, body, time_limit, max_retries)
        return body

    return register


def declare_actors(broker: dramatiq.Broker, queue: str) -> None:
    for job_kind in JOB_KINDS.values():
        _declare(broker, queue, job_kind)


def _declare(broker: dramatiq.Broker, queue: str, job_kind: JobKind) -> None:
    kind, body, max_retries = job_kind.kind, job_kind.body, job_kind.max_retries

    def retry_when(retries: int, exception: BaseException) -> bool:
        return retries < max_retries and is_transient(exception)

    @functools.wraps(body)
    def run(**arguments: Any) -> None:
        delivery = current_delivery()
        loop = get_event_loop_thread()
        if loop is None:
            raise RuntimeError("the AsyncIO middleware is missing from the broker")
        loop.run_coroutine(execute(delivery, kind, body, arguments))

    dramatiq.actor(
        broker=broker,
        actor_name=kind,
        queue_name=queue,
        time_limit=int(job_kind.time_limit.total_seconds() * 1000),
        max_retries=max_retries,
        retry_when=retry_when,
    )(run)


def _lock_key(job_id: uuid.UUID) -> int:
    return int.from_bytes(job_id.bytes[8:], "big", signed=True)


async def execute(delivery: Delivery, kind: str, body: JobBody, arguments: dict[str, Any]) -> None:
    tenant, job_id, resources = delivery.tenant, delivery.job_id, delivery.resources
    with structlog.contextvars.bound_contextvars(tenant=tenant.slug, job_id=str(job_id), actor=kind):
        await _execute(tenant, job_id, resources, kind, body, arguments)


async def _execute(
    tenant: TenantRef,
    job_id: uuid.UUID,
    resources: WorkerResources,
    kind: str,
    body: JobBody,
    arguments: dict[str, Any],
) -> None:
    database = resources.database
    async with database.tenant_session(tenant) as session, session.begin():
        locked = await session.scalar(select(func.pg_try_advisory_xact_lock(_lock_key(job_id))))
        if not locked:
            raise JobBusyError(f"job {job_id} is running in another worker")
        job = await session.get(Job, job_id)
        if job is None:
            raise PoisonMessageError(f"job {job_id} does not exist in tenant {tenant.slug}")
        if job.kind != kind:
            raise PoisonMessageError(f"job {job_id} is a {job.kind!r} job, not {kind!r}")
        if job.status == JobStatus.SUCCEEDED:
            log.info("job_already_done", job_id=str(job_id), kind=kind)
            return
        attempt = await _mark_running(database, tenant, job_id)
        try:
            inspect.signature(body).bind(None, **arguments)
        except TypeError as exc:
            raise PoisonMessageError(f"the arguments do not fit {kind}: {exc}") from exc
        context = JobContext(tenant=tenant, job_id=job_id, attempt=attempt, session=session, database=database)
        result = await body(context, **arguments)
        await session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status=JobStatus.SUCCEEDED, progress=100, error=None, result=result, finished_at=func.now())
        )
    await outbox.send_committed(database, tenant, resources.sender, session)
    log.info("job_succeeded", job_id=str(job_id), kind=kind, attempt=attempt)


async def _mark_running(database: Database, tenant: TenantRef, job_id: uuid.UUID) -> int:
    async with database.tenant_session(tenant) as session, session.begin():
        attempts = await session.scalar(
            update(Job)
            .where(Job.id == job_id)
            .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, progress=0, started_at=func.now())
            .returning(Job.attempts)
        )
    return int(attempts or 1)


async def record_failure(database: Database, tenant: TenantRef, job_id: uuid.UUID, error: str, *, final: bool) -> None:
    """The job's record after a failed attempt: `failed` when the message is given up, else `queued`
    again with the error of the attempt, for the retry that Dramatiq has scheduled."""
    async with database.tenant_session(tenant) as session, session.begin():
        values: dict[str, Any] = {"error": error}
        if final:
            values |= {"status": JobStatus.FAILED, "finished_at": func.now()}
        else:
            values |= {"status": JobStatus.QUEUED}
        await session.execute(update(Job).where(Job.id == job_id, Job.status != JobStatus.SUCCEEDED).values(**values))
