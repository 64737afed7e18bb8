"""The queue with real processes: no job stuck, lost, blocked, repeated or starved. A Redis that lost
its data, bytes on the queue that are not a message, a job of a kind no worker knows, ten identical
requests at once, and one tenant's flood beside another tenant's job; on Redis and on RabbitMQ where
the broker matters."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pika
import pytest
import redis
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from backend.app import create_app
from backend.core.jobs import outbox
from backend.core.jobs.enqueue import enqueue
from backend.core.jobs.models import DeadLetter, Job, JobStatus
from backend.org.models import OrgUnit
from backend.settings import Settings
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.worker.conftest import broker_settings, env_of, job_of, rabbitmq_url, wait_for_job
from tests.worker.processes import TEST_WORKER, RedisServer, running
from worker.broker import DramatiqSender, build_broker, queue_name


def sender_of(settings: Settings) -> DramatiqSender:
    return DramatiqSender.of(build_broker(settings), settings)


async def submit(
    database: Database, sender: DramatiqSender, tenant: TenantRef, kind: str, **arguments: object
) -> uuid.UUID:
    async with database.tenant_session(tenant) as session:
        job = await enqueue(session, kind, arguments, requested_by="test")
        await session.commit()
        await outbox.send_committed(database, tenant, sender, session)
    return job.id


async def markers(database: Database, tenant: TenantRef, prefix: str) -> list[str]:
    """The rows `test.write_marker` left (one per run), without their random suffix."""
    async with database.tenant_session(tenant) as session:
        names = (await session.scalars(select(OrgUnit.name).where(OrgUnit.name.like(f"{prefix}%")))).all()
    return sorted(name.rsplit("-", 5)[0] for name in names)


async def worker_ready(output: Callable[[], str]) -> None:
    """Wait until the worker process consumes (`crosswalk worker` logs `worker_ready` once it does)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while "worker_ready" not in output():
        assert loop.time() < deadline, output()
        await asyncio.sleep(0.2)


async def test_jobs_sent_to_a_redis_that_then_lost_its_data_are_sent_again_and_run_once(
    settings: Settings, redis_server: RedisServer, database: Database, make_tenant: TenantFactory, tmp_path: Path
) -> None:
    own = broker_settings(settings, redis_url=redis_server.url, job_resend_after_seconds=1.0)
    tenant = make_tenant()
    sender = sender_of(own)
    try:
        job_ids = [await submit(database, sender, tenant, "test.write_marker", marker=f"lost{n}") for n in range(3)]
        for job_id in job_ids:
            assert (await job_of(database, tenant, job_id)).sent_at is not None
        # Redis restarted without persistence: every message on it is gone, before any worker took one.
        redis.Redis.from_url(redis_server.url).flushall()
        with running(TEST_WORKER, env_of(own, tmp_path), tmp_path / "worker.log") as worker:
            # A worker taking messages finds none: without a re-send the jobs would wait forever.
            await worker_ready(worker.output)
            await asyncio.sleep(1.5)
            for job_id in job_ids:
                assert (await job_of(database, tenant, job_id)).status == JobStatus.QUEUED, worker.output()
            # The scheduler's relay, for this tenant only: a scheduler process would relay every tenant
            # of the shared test database to this test's Redis and worker.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while loop.time() < deadline:
                await outbox.resend_unstarted(database, tenant, sender)
                done = [await job_of(database, tenant, job_id) for job_id in job_ids]
                if all(job.status == JobStatus.SUCCEEDED for job in done):
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(2)  # time for a second delivery of a re-sent message to run, if it did
    finally:
        sender.close()
    for job in [await job_of(database, tenant, job_id) for job_id in job_ids]:
        assert job.status == JobStatus.SUCCEEDED, worker.output()
        assert (job.attempts, job.resends >= 1) == (1, True)
    assert await markers(database, tenant, "lost") == ["lost0", "lost1", "lost2"]


async def test_the_relay_sends_again_a_job_sent_but_not_started_within_the_bound(
    settings: Settings, database: Database, make_tenant: TenantFactory
) -> None:
    """What the scheduler's relay does for every tenant: a job sent a while ago and still waiting is
    sent again, and once more only after twice the wait."""
    from tenants.registry import TenantRegistry
    from tests.worker.test_outbox import RecordingSender
    from worker.scheduler import relay_all

    tenant, relay = make_tenant(), RecordingSender()
    relay.resend_after = timedelta(seconds=60)
    async with database.tenant_session(tenant) as session, session.begin():
        waiting = await enqueue(session, "test.write_marker", {"marker": "waiting"}, requested_by="test")
        fresh = await enqueue(session, "test.write_marker", {"marker": "fresh"}, requested_by="test")
    async with database.tenant_session(tenant) as session, session.begin():
        await session.execute(update(Job).values(sent_at=func.now(), updated_at=func.now()))
        await session.execute(
            update(Job)
            .where(Job.id == waiting.id)
            .values(sent_at=func.now() - timedelta(seconds=90), updated_at=func.now() - timedelta(seconds=90))
        )
    await relay_all(database, TenantRegistry(database, 0), relay)
    assert [m.job_id for m in relay.sent if m.tenant_id == tenant.id] == [waiting.id]
    assert (await job_of(database, tenant, waiting.id)).resends == 1
    assert (await job_of(database, tenant, fresh.id)).resends == 0
    # 90 s later it is still waiting: the next re-send waits 120 s, not 60.
    async with database.tenant_session(tenant) as session, session.begin():
        await session.execute(
            update(Job)
            .where(Job.id == waiting.id)
            .values(sent_at=func.now() - timedelta(seconds=90), updated_at=func.now() - timedelta(seconds=90))
        )
    await outbox.resend_unstarted(database, tenant, relay)
    assert [m.job_id for m in relay.sent if m.tenant_id == tenant.id] == [waiting.id]


async def test_the_relay_sends_again_a_platform_job_sent_but_not_started_within_the_bound(database: Database) -> None:
    from backend.core.jobs.models import PlatformJob
    from tests.worker.test_outbox import RecordingSender

    relay = RecordingSender()
    relay.resend_after = timedelta(seconds=60)
    long_ago = func.now() - timedelta(seconds=90)
    async with database.control_session() as session, session.begin():
        job = PlatformJob(kind="test.platform_waiting", arguments={"run": secrets.token_hex(4)})
        session.add(job)
        await session.flush()
        await session.execute(update(PlatformJob).where(PlatformJob.id == job.id).values(sent_at=long_ago))
        await session.execute(update(PlatformJob).where(PlatformJob.id == job.id).values(updated_at=long_ago))
    try:
        await outbox.resend_unstarted(database, None, relay)
        assert job.id in [m.job_id for m in relay.sent]
        assert [m.tenant_id for m in relay.sent if m.job_id == job.id] == [None]
        async with database.control_session() as session:
            assert (await session.get_one(PlatformJob, job.id)).resends == 1
    finally:
        # Finished, so that no relay of another test sends it again.
        async with database.control_session() as session, session.begin():
            await session.execute(
                update(PlatformJob).where(PlatformJob.id == job.id).values(status=JobStatus.FAILED, error="a test's")
            )


def put_raw(settings: Settings, body: bytes) -> None:
    """Put bytes on the job queue as another program could, beside Dramatiq's own messages."""
    queue = queue_name(settings)
    if settings.broker_url:
        connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
        try:
            channel = connection.channel()
            channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2))
        finally:
            connection.close()
        return
    client = redis.Redis.from_url(str(settings.redis_url))
    stored_as = str(uuid.uuid4())
    namespace = settings.broker_namespace
    client.hset(f"{namespace}:{queue}.msgs", stored_as, body)
    client.rpush(f"{namespace}:{queue}", stored_as)


def garbage() -> list[bytes]:
    """Bytes that are no message: not UTF-8, and JSON of another shape (each run's own)."""
    token = secrets.token_hex(4).encode()
    return [b"\xff\xfe not even UTF-8 \x00 " + token, b'{"this": "is JSON but not a message", "run": "' + token + b'"}']


async def test_undecodable_messages_and_unknown_kinds_end_in_the_dead_letters_and_the_rest_runs(
    fault_settings: Settings, database: Database, make_tenant: TenantFactory, tmp_path: Path
) -> None:
    tenant, bodies = make_tenant(), garbage()
    sender = sender_of(fault_settings)
    try:
        first = await submit(database, sender, tenant, "test.write_marker", marker="before")
        for body in bodies:
            put_raw(fault_settings, body)
        # A job of a kind this worker does not know, as a newer API asks for during a rolling deploy.
        unknown = await submit(database, sender, tenant, "test.added_in_the_next_release", level=3)
        last = await submit(database, sender, tenant, "test.write_marker", marker="after")
    finally:
        sender.close()

    with running(TEST_WORKER, env_of(fault_settings, tmp_path), tmp_path / "worker.log") as worker:
        for job_id in (first, last):
            job = await wait_for_job(database, tenant, job_id, timeout=30)
            assert job.status == JobStatus.SUCCEEDED, worker.output()
        failed = await wait_for_job(database, tenant, unknown, timeout=30)
        assert (failed.status, failed.error) == (JobStatus.FAILED, "unknown job kind test.added_in_the_next_release")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        digests = {hashlib.sha256(body).hexdigest() for body in bodies}
        while True:
            async with database.control_session() as session:
                letters = (
                    await session.scalars(
                        select(DeadLetter).where(
                            DeadLetter.message["options"]["undecodable_sha256"].astext.in_(digests)
                            | (DeadLetter.message_id == str(unknown))
                        )
                    )
                ).all()
            if len(letters) >= 3 or loop.time() > deadline:
                break
            await asyncio.sleep(0.2)
    by_id = {letter.message_id: letter for letter in letters}
    unknown_letter = by_id.pop(str(unknown))
    assert (unknown_letter.tenant_id, unknown_letter.actor, unknown_letter.error) == (
        tenant.id,
        "test.added_in_the_next_release",
        "unknown job kind test.added_in_the_next_release",
    )
    assert sorted(letter.error for letter in by_id.values()) == [
        "undecodable message: JSON that is not a message: no actor_name, args, kwargs, options, queue_name",
        "undecodable message: not JSON in UTF-8 (DecodeError)",
    ]
    assert {letter.message["options"]["undecodable_sha256"] for letter in by_id.values()} == digests
    if not fault_settings.broker_url:
        # Taken off the Redis queue into its dead-letter queue: no worker fetches them again.
        client = redis.Redis.from_url(str(fault_settings.redis_url))
        queue = f"{fault_settings.broker_namespace}:{queue_name(fault_settings)}"
        assert client.llen(queue) == 0
        assert client.hlen(f"{queue}.msgs") == 0
        assert client.zcard(f"{queue}.XQ") == 3


async def test_identical_requests_at_once_make_one_job_and_a_running_job_is_not_merged_with(
    settings: Settings, database: Database, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    from backend.auth.principal import UserRole

    tenant = make_tenant()
    headers = auth(tenant, UserRole.HR_ADMIN)
    app: Litestar = create_app(broker_settings(settings))
    async with AsyncTestClient(app) as client:
        responses = await asyncio.gather(
            *(client.post("/api/v1/training-plans/recompute", headers=headers) for _ in range(10))
        )
        assert [response.status_code for response in responses] == [202] * 10, responses[0].text
        ids = {response.json()["id"] for response in responses}
        assert len(ids) == 1
        async with database.tenant_session(tenant) as session:
            jobs = (await session.scalars(select(Job).where(Job.kind == "training.recommend_all"))).all()
        assert [str(job.id) for job in jobs] == list(ids)

        # Once it has started, a change made since needs a run of its own: a new request is a new job.
        async with database.tenant_session(tenant) as session, session.begin():
            await session.execute(update(Job).values(status=JobStatus.RUNNING, attempts=1))
        again = await client.post("/api/v1/training-plans/recompute", headers=headers)
        assert again.status_code == 202
        assert again.json()["id"] not in ids
        # ... and asking once more while that one waits finds it.
        once_more = await client.post("/api/v1/training-plans/recompute", headers=headers)
        assert once_more.json()["id"] == again.json()["id"]


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
async def test_one_tenants_flood_does_not_make_another_tenants_job_wait_behind_it(
    broker: str, settings: Settings, database: Database, make_tenant: TenantFactory, tmp_path: Path
) -> None:
    on_rabbitmq = {"broker_url": rabbitmq_url()} if broker == "rabbitmq" else {}
    own = broker_settings(settings, job_tenant_in_flight=2, **on_rabbitmq)
    flooding, quiet = make_tenant(), make_tenant()
    sender = sender_of(own)
    try:
        # Fifty jobs asked for at once (one transaction, as an import would), then another tenant's one.
        async with database.tenant_session(flooding) as session:
            flood = [
                (await enqueue(session, "test.nap", {"seconds": 0.1, "n": n}, requested_by="test")).id
                for n in range(50)
            ]
            await session.commit()
            await outbox.send_committed(database, flooding, sender, session)
        alone = await submit(database, sender, quiet, "test.nap", seconds=0.1, n=0)
    finally:
        sender.close()

    env = {**env_of(own, tmp_path), "JOB_TENANT_IN_FLIGHT": "2"}
    with running(TEST_WORKER, env, tmp_path / "worker.log") as worker:
        quiet_job = await wait_for_job(database, quiet, alone, timeout=60)
        assert quiet_job.status == JobStatus.SUCCEEDED, worker.output()
        last = await wait_for_job(database, flooding, flood[-1], timeout=90)
        assert last.status == JobStatus.SUCCEEDED, worker.output()
    async with database.tenant_session(flooding) as session:
        finished = (
            await session.scalars(select(Job.finished_at).where(Job.id.in_(flood)).order_by(Job.finished_at))
        ).all()
    assert len(finished) == 50
    assert quiet_job.finished_at is not None
    flood_before = sum(1 for at in finished if at is not None and at < quiet_job.finished_at)
    print(f"the quiet tenant's job finished after {flood_before} of the flood's 50")
    assert flood_before < 10
