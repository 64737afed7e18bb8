"""The worker and the scheduler (a leader and a standby) as real processes through an outage of
Postgres (a private server, stopped and started again) and of Redis (a private one, killed and
started again): they stay up, reconnect, and afterwards the relay sends and new jobs run."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, text, update

from backend.core.jobs import outbox
from backend.core.jobs.enqueue import enqueue
from backend.core.jobs.models import Job, JobStatus
from backend.settings import Settings, as_psycopg_url
from tenants.migrator import upgrade_control
from tenants.provisioning import RoleNames, create_tenant, ensure_platform_roles
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory
from tests.worker.conftest import broker_settings, env_of, wait_for_job
from tests.worker.processes import SCHEDULER, WORKER, PrivatePostgres, Process, RedisServer, free_port, running
from worker.broker import DramatiqSender, build_broker, queue_name
from worker.scheduler import SCHEDULER_LOCK_KEY

OUTAGE_SECONDS = 4
# Short bounds, so that the test waits seconds: relay every second, reconnect at most a second apart.
FAST = {"OUTBOX_RELAY_SECONDS": "1", "PROCESS_BACKOFF_MAX_SECONDS": "1"}


async def send_job(database: Database, sender: DramatiqSender, tenant: TenantRef) -> uuid.UUID:
    """A job asked for the way a request asks: committed, then sent."""
    async with database.tenant_session(tenant) as session:
        job = await enqueue(session, "training.recommend_all", {}, requested_by="test")
        await session.commit()
        assert await outbox.send_committed(database, tenant, sender, session) == 1
    return job.id


async def unsent_job(database: Database, tenant: TenantRef) -> uuid.UUID:
    """A job committed but never sent (the process that asked died first), old enough for the relay.
    Of another kind than `send_job`'s, which would otherwise merge into it while it waits."""
    async with database.tenant_session(tenant) as session:
        job = await enqueue(session, "skills.remind_stale", {}, requested_by="test")
        await session.flush()
        await session.execute(
            update(Job).where(Job.id == job.id).values(created_at=func.now() - dt.timedelta(minutes=1))
        )
        await session.commit()
    return job.id


async def wait_for_log(processes: list[Process], line: str, timeout: float = 30) -> None:  # noqa: ASYNC109
    for _ in range(int(timeout * 10)):
        if any(line in process.output() for process in processes):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {line!r} in:\n" + "\n".join(p.output() for p in processes))


def outputs(*processes: Process) -> str:
    return "\n---\n".join(process.output() for process in processes)


@pytest.fixture
def private_postgres(settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, PrivatePostgres, TenantRef]]:
    server = PrivatePostgres(tmp_path / "pg")
    server.start()
    own = broker_settings(settings, database_url=server.url)
    owner = create_engine(as_psycopg_url(own.owner_url))
    try:
        upgrade_control(owner)
        ensure_platform_roles(owner, RoleNames(own.role_prefix))
        tenant = create_tenant(owner, RoleNames(own.role_prefix), "outage_co", "Outage Co")
    finally:
        owner.dispose()
    yield own, server, tenant
    server.stop()


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(free_port(), tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()


async def leaders(database: Database) -> int:
    async with database.engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :low"),
            {"low": SCHEDULER_LOCK_KEY & 0xFFFFFFFF},
        )
    return int(count or 0)


async def test_the_scheduler_and_the_worker_outlive_a_postgres_outage(
    private_postgres: tuple[Settings, PrivatePostgres, TenantRef], tmp_path: Path
) -> None:
    own, server, tenant = private_postgres
    env = {**env_of(own, tmp_path), **FAST}
    sender = DramatiqSender(build_broker(own), queue_name(own))
    database = Database(own.serving_url, pool_size=2)
    with (
        running(WORKER, env, tmp_path / "worker.log") as worker,
        running(SCHEDULER, env, tmp_path / "leader.log") as first,
        running(SCHEDULER, env, tmp_path / "standby.log") as second,
    ):
        everyone = (worker, first, second)
        before = await send_job(database, sender, tenant)
        assert (await wait_for_job(database, tenant, before, timeout=60)).status == JobStatus.SUCCEEDED
        await wait_for_log([first, second], "scheduler_leading")
        await database.dispose()

        server.stop()
        await asyncio.sleep(OUTAGE_SECONDS)
        assert all(process.alive() for process in everyone), "a process died in the outage:\n" + outputs(*everyone)
        server.start()

        database = Database(own.serving_url, pool_size=2)
        sent = await send_job(database, sender, tenant)
        assert (await wait_for_job(database, tenant, sent, timeout=60)).status == JobStatus.SUCCEEDED, outputs(
            *everyone
        )
        # Committed after every other send of the test (a send also takes the tenant's older unsent
        # jobs along): only the scheduler's relay can send this one.
        relayed = await unsent_job(database, tenant)
        assert (await wait_for_job(database, tenant, relayed, timeout=60)).status == JobStatus.SUCCEEDED, outputs(
            *everyone
        )
        assert all(process.alive() for process in everyone), outputs(*everyone)
        assert "scheduler_database_unreachable" in outputs(first, second)
        assert await leaders(database) == 1
    await database.dispose()
    sender.close()


async def test_the_scheduler_and_the_worker_outlive_a_redis_outage(
    settings: Settings, database: Database, private_redis: RedisServer, make_tenant: TenantFactory, tmp_path: Path
) -> None:
    own = broker_settings(settings, redis_url=private_redis.url)
    env = {**env_of(own, tmp_path), **FAST}
    tenant = make_tenant()
    with (
        running(WORKER, env, tmp_path / "worker.log") as worker,
        running(SCHEDULER, env, tmp_path / "scheduler.log") as scheduler,
    ):
        sender = DramatiqSender(build_broker(own), queue_name(own))
        before = await send_job(database, sender, tenant)
        assert (await wait_for_job(database, tenant, before, timeout=60)).status == JobStatus.SUCCEEDED
        await wait_for_log([scheduler], "scheduler_leading")
        sender.close()

        private_redis.kill()
        await asyncio.sleep(OUTAGE_SECONDS)
        assert [worker.alive(), scheduler.alive()] == [True, True], outputs(worker, scheduler)
        private_redis.start()

        sender = DramatiqSender(build_broker(own), queue_name(own))
        sent = await send_job(database, sender, tenant)
        assert (await wait_for_job(database, tenant, sent, timeout=60)).status == JobStatus.SUCCEEDED, outputs(
            worker, scheduler
        )
        # Committed after every other send of the test (a send also takes the tenant's older unsent
        # jobs along): only the scheduler's relay can send this one.
        relayed = await unsent_job(database, tenant)
        assert (await wait_for_job(database, tenant, relayed, timeout=60)).status == JobStatus.SUCCEEDED, outputs(
            worker, scheduler
        )
        assert [worker.alive(), scheduler.alive()] == [True, True], outputs(worker, scheduler)
        sender.close()
