"""A real Dramatiq broker on the test run's Redis (its own namespace), and a worker running in this
process with the production middleware, for the jobs infrastructure tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import dramatiq
import pytest
from sqlalchemy import select

from backend.jobs import outbox
from backend.jobs.models import Job, JobStatus
from backend.jobs.service import enqueue
from backend.settings import Settings
from tenants.sessions import Database, TenantRef
from worker.bootstrap import configure
from worker.broker import DramatiqSender, queue_name

TERMINAL = {JobStatus.SUCCEEDED, JobStatus.FAILED}


@pytest.fixture(scope="session")
def broker(settings: Settings) -> Iterator[dramatiq.Broker]:
    import tests.worker.actors  # noqa: F401 - registers the test actors, which configure declares

    broker, _ = configure(settings)

    yield broker
    broker.close()


@pytest.fixture(scope="session")
def worker(broker: dramatiq.Broker) -> Iterator[dramatiq.Worker]:
    # Dramatiq's CLI announces the process boot, which starts the time-limit watchdog; so do we.
    broker.emit_after("process_boot")
    running = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    running.start()
    yield running
    running.stop(timeout=10_000)


@pytest.fixture(scope="session")
def sender(broker: dramatiq.Broker, settings: Settings) -> DramatiqSender:
    return DramatiqSender(broker, queue_name(settings))


Enqueue = Callable[..., Awaitable[uuid.UUID]]


@pytest.fixture(scope="session")
def submit(database: Database, sender: DramatiqSender) -> Enqueue:
    """Ask for a job the way a request does: in a transaction, sent after the commit."""

    async def submit(tenant: TenantRef, kind: str, arguments: dict[str, Any] | None = None) -> uuid.UUID:
        async with database.tenant_session(tenant) as session:
            job = await enqueue(session, kind, arguments or {}, requested_by="test")
            await session.commit()
            await outbox.send_committed(database, tenant, sender, session)
        return job.id

    return submit


async def job_of(database: Database, tenant: TenantRef, job_id: uuid.UUID) -> Job:
    async with database.tenant_session(tenant) as session:
        job = await session.scalar(select(Job).where(Job.id == job_id))
    assert job is not None
    return job


async def wait_for_job(
    database: Database,
    tenant: TenantRef,
    job_id: uuid.UUID,
    *,
    until: Callable[[Job], bool] = lambda job: job.status in TERMINAL,
    timeout: float = 30.0,  # noqa: ASYNC109 - a deadline for polling the database
) -> Job:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        job = await job_of(database, tenant, job_id)
        if until(job):
            return job
        if loop.time() > deadline:
            raise AssertionError(f"job {job_id} is still {job.status} ({job.error}) after {timeout} s")
        await asyncio.sleep(0.1)
