"""The transactional outbox: a job exists exactly when the transaction that asked for it commits, is
sent only after that commit, and what a broker outage or a crash left unsent the relay sends later."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select, text, update

from backend.core.jobs import outbox
from backend.core.jobs.enqueue import enqueue
from backend.core.jobs.models import Job, JobStatus
from backend.core.unit_of_work import UnitOfWork
from tenants.registry import TenantRegistry
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory
from worker.scheduler import enqueue_nightly, relay_all


class RecordingSender:
    tenant_in_flight = 100
    resend_after = dt.timedelta(minutes=10)

    def __init__(self, *, down: bool = False) -> None:
        self.sent: list[outbox.OutboxMessage] = []
        self.down = down

    def send(self, messages: Sequence[outbox.OutboxMessage]) -> None:
        if self.down:
            raise ConnectionError("the broker is not reachable")
        self.sent.extend(messages)

    def close(self) -> None:
        pass


async def jobs_of(database: Database, tenant: TenantRef) -> list[Job]:
    async with database.tenant_session(tenant) as session:
        return list((await session.scalars(select(Job).order_by(Job.id))).all())


async def test_a_rolled_back_transaction_asks_for_no_job(make_tenant: TenantFactory, database: Database) -> None:
    tenant, sender = make_tenant(), RecordingSender()
    async with database.tenant_session(tenant) as session:
        await enqueue(session, "test.write_marker", {"marker": "never"}, requested_by="test")
        await session.rollback()
        assert await outbox.send_committed(database, tenant, sender, session) == 0
    assert sender.sent == []
    assert await jobs_of(database, tenant) == []


async def test_a_job_is_sent_after_its_transaction_commits_and_marked_sent(
    make_tenant: TenantFactory, database: Database
) -> None:
    tenant, sender = make_tenant(), RecordingSender()
    async with database.tenant_session(tenant) as session:
        job = await enqueue(session, "test.write_marker", {"marker": "sent"}, requested_by="test")
        assert sender.sent == []
        await session.commit()
        assert await outbox.send_committed(database, tenant, sender, session) == 1
    assert sender.sent == [outbox.OutboxMessage(job.id, tenant.id, "test.write_marker", {"marker": "sent"})]
    [stored] = await jobs_of(database, tenant)
    assert stored.sent_at is not None


async def test_jobs_committed_while_the_broker_is_down_are_sent_by_the_relay_once(
    make_tenant: TenantFactory, database: Database
) -> None:
    tenant = make_tenant()
    async with database.tenant_session(tenant) as session:
        for n in range(3):
            await enqueue(session, "test.write_marker", {"marker": f"later-{n}"}, requested_by="test")
        await session.commit()
        # The request still succeeds: the send failure is logged and the jobs stay in the outbox.
        assert await outbox.send_committed(database, tenant, RecordingSender(down=True), session) == 0
    assert all(job.sent_at is None for job in await jobs_of(database, tenant))

    relay = RecordingSender()
    assert await outbox.relay_unsent(database, tenant, relay, older_than=dt.timedelta(0)) == 3
    assert sorted(m.arguments["marker"] for m in relay.sent) == ["later-0", "later-1", "later-2"]
    assert await outbox.relay_unsent(database, tenant, relay, older_than=dt.timedelta(0)) == 0
    assert len(relay.sent) == 3


async def test_the_relay_leaves_fresh_jobs_to_the_request_that_asked(
    make_tenant: TenantFactory, database: Database
) -> None:
    tenant, relay = make_tenant(), RecordingSender()
    async with database.tenant_session(tenant) as session:
        await enqueue(session, "test.write_marker", {"marker": "fresh"}, requested_by="test")
        await session.commit()
    assert await outbox.relay_unsent(database, tenant, relay) == 0
    assert relay.sent == []


async def test_the_scheduler_relays_every_active_tenant(make_tenant: TenantFactory, database: Database) -> None:
    tenants = [make_tenant(), make_tenant()]
    for tenant in tenants:
        async with database.tenant_session(tenant) as session:
            await enqueue(session, "test.write_marker", {"marker": tenant.slug}, requested_by="test")
            await session.commit()
            # As if the process had died right after the commit, a minute ago.
            await session.execute(update(Job).values(created_at=func.now() - text("interval '1 minute'")))
            await session.commit()
    relay = RecordingSender()
    await relay_all(database, TenantRegistry(database, 0), relay)
    # Other tests' tenants may have unsent jobs of other kinds (without a marker) that are relayed too.
    assert {m.arguments.get("marker") for m in relay.sent} >= {t.slug for t in tenants}


async def test_the_nightly_run_asks_for_each_job_once_per_day(make_tenant: TenantFactory, database: Database) -> None:
    tenant, sender = make_tenant(), RecordingSender()
    day = dt.date(2026, 11, 24)
    first = await enqueue_nightly(UnitOfWork(database, sender), tenant, day)
    # A second scheduler taking over the same night asks again: nothing new is enqueued or sent.
    second = await enqueue_nightly(UnitOfWork(database, sender), tenant, day)
    assert (
        first
        == second
        == [
            "marketplace.apply_moves",
            "matching.recompute",
            "training.recommend_all",
            "skills.remind_stale",
        ]
    )
    assert len(await jobs_of(database, tenant)) == 4
    assert len(sender.sent) == 4
    # The next night, while the first night's jobs still wait to start: they are the same work, so
    # asking again finds them (identical waiting jobs are merged).
    await enqueue_nightly(UnitOfWork(database, sender), tenant, day + dt.timedelta(days=1))
    assert len(await jobs_of(database, tenant)) == 4
    assert len(sender.sent) == 4
    # Once they have run, the night after asks for new ones.
    async with database.tenant_session(tenant) as session, session.begin():
        await session.execute(update(Job).values(status=JobStatus.SUCCEEDED))
    await enqueue_nightly(UnitOfWork(database, sender), tenant, day + dt.timedelta(days=2))
    assert len(await jobs_of(database, tenant)) == 8
    assert len(sender.sent) == 8
