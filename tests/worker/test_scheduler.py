"""Exactly one scheduler leads: the others wait, and one takes over as soon as the leader is gone."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from backend.settings import Settings
from tenants.sessions import Database
from worker.scheduler import SCHEDULER_LOCK_KEY, acquire_leadership


def _database(settings: Settings) -> Database:
    return Database(settings.serving_url, pool_size=2, max_overflow=0)


async def _leaders(database: Database) -> int:
    async with database.engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :low"),
            {"low": SCHEDULER_LOCK_KEY & 0xFFFFFFFF},
        )
    return int(count or 0)


async def test_one_scheduler_leads_and_a_standby_takes_over_when_it_dies(settings: Settings) -> None:
    first_db, second_db = _database(settings), _database(settings)
    stop = asyncio.Event()
    try:
        leader = await acquire_leadership(first_db, stop)
        assert leader is not None
        standby = asyncio.create_task(acquire_leadership(second_db, stop))
        await asyncio.sleep(1.5)
        assert not standby.done()
        assert await _leaders(first_db) == 1

        # The leader's connection goes away (its process died): the standby leads within one poll.
        await leader.invalidate()
        await leader.close()
        taken_over = await asyncio.wait_for(standby, timeout=15)
        assert taken_over is not None
        assert await _leaders(first_db) == 1
        await taken_over.close()
    finally:
        stop.set()
        await first_db.dispose()
        await second_db.dispose()


async def test_a_standby_told_to_stop_returns_without_leading(settings: Settings) -> None:
    first_db, second_db = _database(settings), _database(settings)
    try:
        leader = await acquire_leadership(first_db, asyncio.Event())
        assert leader is not None
        stop = asyncio.Event()
        standby = asyncio.create_task(acquire_leadership(second_db, stop))
        await asyncio.sleep(0.5)
        stop.set()
        assert await asyncio.wait_for(standby, timeout=10) is None
        await leader.close()
    finally:
        await first_db.dispose()
        await second_db.dispose()


async def test_a_scheduler_whose_postgres_is_unreachable_keeps_trying_until_told_to_stop(settings: Settings) -> None:
    """Nothing listens at the address: connecting fails at once, every attempt. The scheduler must wait
    (with backoff) rather than raise, which ended the process."""
    from tests.worker.processes import free_port

    unreachable = Database(settings.serving_url.set(host="127.0.0.1", port=free_port()), pool_size=1, max_overflow=0)
    stop = asyncio.Event()
    try:
        standby = asyncio.create_task(acquire_leadership(unreachable, stop, backoff_max_seconds=0.2))
        await asyncio.sleep(1.5)  # several attempts, each refused
        assert not standby.done(), standby.exception() if standby.done() else None
        stop.set()
        assert await asyncio.wait_for(standby, timeout=5) is None
    finally:
        await unreachable.dispose()
