"""How a job runs: pinned to its tenant, once, with its record kept up to date.

An actor is an `async def body(job: JobContext, **arguments) -> dict | None` declared with
`@job_actor("domain.name", time_limit=...)`. The runner gives the body one session pinned to the
message's tenant; the body's changes, the job's `succeeded` state and any jobs it enqueues commit in
that one transaction. So a message delivered twice (at-least-once delivery: a worker killed after the
commit but before the ack) finds its job succeeded and does nothing, and a worker killed before the
commit leaves nothing behind for the retry to trip over.

A per-job advisory lock, held by that transaction, keeps two deliveries of one message from running
side by side; the database drops it with the connection of a killed worker.

Platform jobs (about a tenant rather than inside one: provisioning it, changing its status) run the same
way, with their record in `control.platform_jobs`: `@platform_actor("tenants.name", time_limit=...)`
declares an `async def body(job: PlatformJobContext, **arguments)`, whose message names no tenant (see
`worker.broker.PLATFORM_JOB_OPTION`) and whose body gets a control session and the owner's engine.
Their work mostly runs as the owner on a connection of its own, so it cannot commit with the record;
such a body must be resumable instead (provisioning is), and the runner's skip of a succeeded job and
its per-job lock hold as for any job.
"""

from __future__ import annotations

import functools
import inspect
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

import anyio.from_thread
import anyio.to_thread
import dramatiq
import structlog
from dramatiq.asyncio import get_event_loop_thread
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.jobs import outbox
from backend.core.jobs.models import Job, JobStatus, PlatformJob
from backend.core.jobs.records import JobRecords, owner_of
from backend.core.unit_of_work import UnitOfWork
from backend.errors import DomainError
from backend.settings import Settings
from tenants.locks import lock_global
from tenants.provisioning import RoleNames
from tenants.sessions import Database, TenantRef
from worker.errors import JobBusyError, JobStoppedError, PoisonMessageError, is_transient

log = structlog.get_logger()

DEFAULT_MAX_RETRIES = 5
# The length of control.platform_jobs.step.
STEP_LENGTH = 200

T = TypeVar("T")


class WorkerResources(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def sender(self) -> outbox.JobSender: ...

    @property
    def unit_of_work(self) -> UnitOfWork: ...

    @property
    def owner_engine(self) -> Engine: ...

    @property
    def roles(self) -> RoleNames: ...

    @property
    def settings(self) -> Settings: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """The message being processed by this worker thread, as the tenant middleware resolved it."""

    # None for a platform job's message, which names no tenant.
    tenant: TenantRef | None
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


def _percent(percent: int) -> int:
    return max(0, min(100, int(percent)))


@dataclass
class JobContext:
    """What a job body gets: its tenant, one session pinned to it, the worker's settings (read once by
    its composition root; a body never reads them itself), and a way to report progress."""

    tenant: TenantRef
    job_id: uuid.UUID
    attempt: int
    session: AsyncSession
    database: Database
    settings: Settings

    async def progress(self, percent: int) -> None:
        """Record progress (0-100) at once, in its own short transaction, for the API to show."""
        await JobRecords(self.database, self.tenant).update_running(self.job_id, progress=_percent(percent))


# How blocking work reports from its thread: (percent, what it is doing in words, the tenant it is about
# once known).
BlockingReport = Callable[[int, str, uuid.UUID | None], None]


@dataclass
class PlatformJobContext:
    """What a platform job's body gets: no tenant pin, a control session (its transaction holds the job's
    lock), the owner's engine for what only the owner may do, and progress with a step in words."""

    job_id: uuid.UUID
    attempt: int
    session: AsyncSession
    # The tenant the job is about, as its record says (a provisioning job records it once created).
    tenant_id: uuid.UUID | None
    owner_engine: Engine
    roles: RoleNames
    records: JobRecords

    async def progress(self, percent: int, step: str | None = None, *, tenant_id: uuid.UUID | None = None) -> None:
        """Record progress, what the job is doing and the tenant it is about, at once, in a short
        transaction of its own: the console watches the record."""
        values: dict[str, Any] = {"progress": _percent(percent)}
        if step is not None:
            values["step"] = step[:STEP_LENGTH]
        if tenant_id is not None:
            values["tenant_id"] = self.tenant_id = tenant_id
        await self.records.update_running(self.job_id, **values)

    async def run_blocking(self, work: Callable[[BlockingReport], T]) -> T:
        """Run synchronous work (the owner's engine, Alembic) on a thread, so that the worker's event
        loop, which every job of the process shares, is never blocked. `work` gets a `report` that
        records progress from its thread."""
        stopped = threading.Event()

        def report(percent: int, step: str, tenant_id: uuid.UUID | None) -> None:
            if stopped.is_set():
                # The job was given up (its time limit, a shutdown) while the thread ran on: stop at
                # this step, whose transaction then rolls back, rather than go on unobserved.
                raise JobStoppedError("the job was stopped while its work was running")
            anyio.from_thread.run(functools.partial(self.progress, percent, step, tenant_id=tenant_id))

        try:
            # Abandoned on cancel: a time limit fails the job at once, not whenever the thread returns.
            return await anyio.to_thread.run_sync(work, report, abandon_on_cancel=True)
        finally:
            stopped.set()


JobBody = Callable[..., Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True, slots=True)
class JobKind:
    kind: str
    body: JobBody
    time_limit: timedelta
    max_retries: int
    # A platform job: its message names no tenant, and its body gets a PlatformJobContext.
    platform: bool = False


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
    return _registrar(kind, time_limit, max_retries, platform=False)


def platform_actor(
    kind: str, *, time_limit: timedelta, max_retries: int = DEFAULT_MAX_RETRIES
) -> Callable[[JobBody], JobBody]:
    """Register a platform job's body (`async def body(job: PlatformJobContext, **arguments)`) as the
    actor `kind`: retried, failed and dead-lettered as `job_actor` says, its record in
    control.platform_jobs."""
    return _registrar(kind, time_limit, max_retries, platform=True)


def _registrar(kind: str, time_limit: timedelta, max_retries: int, *, platform: bool) -> Callable[[JobBody], JobBody]:
    def register(body: JobBody) -> JobBody:
        if kind in JOB_KINDS and JOB_KINDS[kind].body is not body:
            raise RuntimeError(f"two job bodies claim the kind {kind!r}")
        JOB_KINDS[kind] = JobKind(kind, body, time_limit, max_retries, platform)
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
        if (delivery.tenant is None) != job_kind.platform:
            # A tenant's job must never run unpinned, nor a platform job as some tenant's role.
            expected = "a platform job" if job_kind.platform else "a tenant's job"
            raise PoisonMessageError(f"{kind} is {expected}, and the message is not")
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
        # Failures of the job's input (a message that cannot run, a refusal by the domain) fail it at
        # once and are logged in one line, without the traceback Dramatiq logs for the unexpected.
        throws=EXPECTED_FAILURES,
    )(run)


EXPECTED_FAILURES = (PoisonMessageError, DomainError)


async def execute(delivery: Delivery, kind: str, body: JobBody, arguments: dict[str, Any]) -> None:
    with structlog.contextvars.bound_contextvars(
        tenant=owner_of(delivery.tenant), job_id=str(delivery.job_id), actor=kind
    ):
        await _execute(delivery, kind, body, arguments)


async def _execute(delivery: Delivery, kind: str, body: JobBody, arguments: dict[str, Any]) -> None:
    job_id, resources = delivery.job_id, delivery.resources
    records = JobRecords(resources.database, delivery.tenant)
    # The job's unit of work; its extra is the job's record, whose `succeeded` commits with the body's work.
    async with resources.unit_of_work.owner(delivery.tenant) as session:
        locked = await lock_global(session, f"job:{job_id}", wait=False)
        if not locked:
            raise JobBusyError(f"job {job_id} is running in another worker")
        job: Job | PlatformJob | None = await session.get(records.model, job_id)
        if job is None:
            raise PoisonMessageError(f"job {job_id} does not exist in {records.place}")
        if job.kind != kind:
            raise PoisonMessageError(f"job {job_id} is a {job.kind!r} job, not {kind!r}")
        if job.status == JobStatus.SUCCEEDED:
            log.info("job_already_done", job_id=str(job_id), kind=kind)
            return
        attempt = await records.mark_running(job_id)
        try:
            inspect.signature(body).bind(None, **arguments)
        except TypeError as exc:
            raise PoisonMessageError(f"the arguments do not fit {kind}: {exc}") from exc
        context = _context(delivery, records, session, job, attempt)
        result = await body(context, **arguments)
        await session.execute(records.succeeded(job_id, result))
        if delivery.tenant is not None:
            # A tenant's jobs that the body asked for go out with its next waiting jobs (`send_next`,
            # once committed: this one no longer counts against the tenant's in-flight limit), so the
            # unit of work is left none of its own to send. A rollback would have forgotten them too.
            outbox.take_committed(session)
    log.info("job_succeeded", job_id=str(job_id), kind=kind, attempt=attempt)
    await send_next(delivery)


async def send_next(delivery: Delivery) -> None:
    """After a tenant's job finished (succeeded or given up): send its tenant's next waiting jobs. Never
    raises: the job's outcome is committed, and the relay sends whatever this could not."""
    if delivery.tenant is None:
        return
    try:
        await outbox.send_waiting(delivery.resources.database, delivery.tenant, delivery.resources.sender)
    except Exception as exc:
        log.warning("jobs_send_next_failed", tenant=delivery.tenant.slug, error=type(exc).__name__)


def _context(
    delivery: Delivery, records: JobRecords, session: AsyncSession, job: Job | PlatformJob, attempt: int
) -> JobContext | PlatformJobContext:
    if delivery.tenant is not None:
        return JobContext(
            tenant=delivery.tenant,
            job_id=job.id,
            attempt=attempt,
            session=session,
            database=records.database,
            settings=delivery.resources.settings,
        )
    assert isinstance(job, PlatformJob)
    return PlatformJobContext(
        job_id=job.id,
        attempt=attempt,
        session=session,
        tenant_id=job.tenant_id,
        owner_engine=delivery.resources.owner_engine,
        roles=delivery.resources.roles,
        records=records,
    )
