"""Fault tests with real processes: a worker killed with SIGKILL, Redis stopped while the API takes
requests, a poison message; on Redis and on RabbitMQ."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from backend.app import create_app
from backend.core.jobs import outbox
from backend.core.jobs.enqueue import enqueue
from backend.core.jobs.models import Job, JobStatus
from backend.settings import Settings
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.worker.conftest import broker_settings, dead_letters, env_of, wait_for_job
from tests.worker.processes import SCHEDULER, WORKER, RedisServer, running
from worker.broker import DramatiqSender, build_broker, queue_name


@pytest.fixture
def sender(fault_settings: Settings) -> Iterator[DramatiqSender]:
    sender = DramatiqSender(build_broker(fault_settings), queue_name(fault_settings))
    yield sender
    sender.close()


async def submit(
    database: Database, sender: DramatiqSender, tenant: TenantRef, kind: str, arguments: dict[str, object]
) -> uuid.UUID:
    async with database.tenant_session(tenant) as session:
        job = await enqueue(session, kind, arguments, requested_by="test")
        await session.commit()
        assert await outbox.send_committed(database, tenant, sender, session) == 1
    return job.id


async def test_a_poison_message_ends_in_the_dead_letter_not_in_a_loop(
    fault_settings: Settings,
    sender: DramatiqSender,
    database: Database,
    make_tenant: TenantFactory,
    tmp_path: Path,
) -> None:
    tenant = make_tenant()
    good = await submit(database, sender, tenant, "training.recommend_all", {})
    poison = await submit(database, sender, tenant, "training.recommend_all", {"no_such_argument": 1})
    with running(WORKER, env_of(fault_settings, tmp_path), tmp_path / "worker.log") as worker:
        failed = await wait_for_job(database, tenant, poison, timeout=60)
        assert failed.status == JobStatus.FAILED, worker.output()
        assert failed.error is not None
        assert failed.error.startswith("PoisonMessageError: the arguments do not fit training.recommend_all")
        assert (await wait_for_job(database, tenant, good, timeout=60)).status == JobStatus.SUCCEEDED
        await asyncio.sleep(3)  # past the first retry's backoff: a looping message would have run again
        assert (await wait_for_job(database, tenant, poison)).attempts == 1
    letters = await dead_letters(database, str(poison))
    assert [(d.tenant_id, d.actor, d.attempts) for d in letters] == [(tenant.id, "training.recommend_all", 1)]


async def test_requests_succeed_while_redis_is_down_and_their_jobs_run_once_it_is_back(
    settings: Settings,
    redis_server: RedisServer,
    database: Database,
    make_tenant: TenantFactory,
    auth: TokenFactory,
    tmp_path: Path,
) -> None:
    own = broker_settings(settings, redis_url=redis_server.url, outbox_relay_seconds=1.0)
    tenants = [make_tenant() for _ in range(3)]
    app: Litestar = create_app(own)
    async with AsyncTestClient(app) as client:
        redis_server.stop()
        job_ids = []
        for tenant in tenants:
            response = await client.post("/api/v1/training-plans/recompute", headers=auth(tenant))
            assert response.status_code == 202, response.text
            job_ids.append(uuid.UUID(response.json()["id"]))
    for tenant, job_id in zip(tenants, job_ids, strict=True):
        async with database.tenant_session(tenant) as session:
            job = await session.scalar(select(Job).where(Job.id == job_id))
        assert job is not None
        assert (job.status, job.sent_at) == (JobStatus.QUEUED, None)  # waiting in the outbox

    redis_server.start()
    env = env_of(own, tmp_path)
    with (
        running(WORKER, env, tmp_path / "worker.log") as worker,
        running(SCHEDULER, env, tmp_path / "scheduler.log") as scheduler,
    ):
        for tenant, job_id in zip(tenants, job_ids, strict=True):
            job = await wait_for_job(database, tenant, job_id, timeout=90)
            assert job.status == JobStatus.SUCCEEDED, worker.output() + scheduler.output()
            assert job.attempts == 1
            assert job.sent_at is not None


async def test_a_worker_killed_mid_pairing_run_loses_nothing_and_the_run_finishes_once(
    fault_settings: Settings,
    sender: DramatiqSender,
    database: Database,
    make_tenant: TenantFactory,
    tmp_path: Path,
) -> None:
    from backend.mentoring.models import Pairing, PairingRun, RunStatus
    from tests.mentoring.test_runs import small_pool, start

    tenant = make_tenant()
    programme_id, _ = await small_pool(database, tenant)
    run = await start(database, tenant, programme_id)
    assert run.job_id is not None
    env = env_of(fault_settings, tmp_path)

    # The test holds the run's row, so the worker stops mid-run (marked running, its lock taken, the
    # pool not yet written) exactly where the kill should hit it.
    async with database.tenant_session(tenant) as holder, holder.begin():
        await holder.scalar(select(PairingRun).where(PairingRun.id == run.id).with_for_update())
        messages = [outbox.OutboxMessage(run.job_id, tenant.id, "mentoring.pairing_run", {"run_id": str(run.id)})]
        assert await outbox.send_and_mark(database, tenant, sender, messages) == 1
        with running(WORKER, env, tmp_path / "first.log") as first:
            job = await wait_for_job(database, tenant, run.job_id, until=lambda j: j.status == JobStatus.RUNNING)
            assert job.attempts == 1, first.output()
            first.kill9()
            killed_at = asyncio.get_running_loop().time()
    # The holder's transaction ends here: the dead worker's backend finds its client gone and rolls back.

    with running(WORKER, env, tmp_path / "second.log") as second:
        job = await wait_for_job(database, tenant, run.job_id, timeout=120)
        requeued_after = asyncio.get_running_loop().time() - killed_at
        assert job.status == JobStatus.SUCCEEDED, second.output()
    print(f"requeued and finished {requeued_after:.1f} s after the kill")
    assert job.attempts == 2
    assert requeued_after < 120
    async with database.tenant_session(tenant) as session:
        finished = await session.get_one(PairingRun, run.id)
        pairs = list((await session.scalars(select(Pairing).where(Pairing.run_id == run.id))).all())
    assert finished.status == RunStatus.PROPOSED
    # Exactly one set of pairings: as many as the run reports, and no mentee twice.
    assert len(pairs) == job.result["matched"] > 0
    assert len({p.mentee_request_id for p in pairs}) == len(pairs)
