"""A real Dramatiq broker on the test run's Redis (its own namespace), and a worker running in this
process with the production middleware, for the jobs infrastructure tests."""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from backend.app import create_app
from backend.core.jobs.enqueue import enqueue
from backend.core.jobs.models import DeadLetter, Job, JobStatus
from backend.core.unit_of_work import UnitOfWork
from backend.settings import Settings
from tenants.sessions import Database, TenantRef
from tests.conftest import process_env
from tests.worker.processes import RedisServer, free_port
from worker.bootstrap import configure
from worker.broker import DramatiqSender, queue_name

TERMINAL = {JobStatus.SUCCEEDED, JobStatus.FAILED}


@pytest.fixture(scope="session")
def worker_settings(settings: Settings) -> Settings:
    """The run's settings on a broker namespace of the in-process worker's own. On the run's namespace
    it would also take the jobs every other test's app sends, and race the tests that do a job's work
    themselves in place of a worker (a pairing run computed, published, then run again under them)."""
    return settings.model_copy(update={"broker_namespace": f"{settings.broker_namespace}.worker"})


@pytest.fixture(scope="session")
async def worker_client(worker_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The app sending its jobs to the in-process worker (the `client` fixture's app sends to nobody)."""
    async with AsyncTestClient(create_app(worker_settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def broker(worker_settings: Settings) -> Iterator[dramatiq.Broker]:
    import tests.worker.actors  # noqa: F401 - registers the test actors, which configure declares

    broker, _ = configure(worker_settings)

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
def sender(broker: dramatiq.Broker, worker_settings: Settings) -> DramatiqSender:
    return DramatiqSender(broker, queue_name(worker_settings))


Enqueue = Callable[..., Awaitable[uuid.UUID]]


@pytest.fixture(scope="session")
def submit(database: Database, sender: DramatiqSender) -> Enqueue:
    """Ask for a job the way a request does: in a transaction, sent after the commit."""

    async def submit(tenant: TenantRef, kind: str, arguments: dict[str, Any] | None = None) -> uuid.UUID:
        async with UnitOfWork(database, sender).tenant(tenant) as session:
            job = await enqueue(session, kind, arguments or {}, requested_by="test")
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


async def dead_letters(
    database: Database,
    message_id: str,
    *,
    wait: bool = True,
    timeout: float = 30.0,  # noqa: ASYNC109 - a deadline for polling the database
) -> list[DeadLetter]:
    """The dead letters of one message. The worker writes a job's record and its dead letter in two
    transactions (the job's own, then the middleware's after Dramatiq gives up), so a test that saw the
    job fail waits for the letter too; `wait=False` reads once, to show that none was written."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with database.control_session() as session:
            query = select(DeadLetter).where(DeadLetter.message_id == message_id)
            letters = list((await session.scalars(query)).all())
        if letters or not wait or loop.time() > deadline:
            return letters
        await asyncio.sleep(0.1)


# The fault tests' brokers and processes (tests/worker/test_faults.py, test_queue.py).


def rabbitmq_url() -> str:
    """RabbitMQ has no embedded stand-in: its tests run where RABBITMQ_URL names one (CI always does,
    and there a missing one fails the run rather than skipping its tests)."""
    url = os.environ.get("RABBITMQ_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("RABBITMQ_URL is not set: CI must test the RabbitMQ broker")
        pytest.skip("RABBITMQ_URL is not set (amqp://guest:guest@127.0.0.1:5672/%2F on a machine with RabbitMQ)")
    return url


def broker_settings(settings: Settings, **changes: object) -> Settings:
    """The test run's settings on a broker namespace of this test's own, so that no other worker (the
    in-process one of other tests) takes its messages."""
    return settings.model_copy(
        update={"broker_namespace": f"{settings.broker_namespace}_{secrets.token_hex(3)}", **changes}
    )


def env_of(settings: Settings, data_dir: Path) -> dict[str, str]:
    env = {**process_env(settings, data_dir), "BROKER_NAMESPACE": settings.broker_namespace, "LOG_LEVEL": "INFO"}
    env["REDIS_URL"] = str(settings.redis_url)
    if settings.broker_url:
        env["BROKER_URL"] = settings.broker_url
    return env


@pytest.fixture(params=["redis", "rabbitmq"])
def fault_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "rabbitmq":
        return broker_settings(settings, broker_url=rabbitmq_url())
    return broker_settings(settings)


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(free_port(), tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()
