"""Console sessions end after a while without a request, and at the latest a fixed time after sign-in,
however busy; both on a real Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from admin.sessions import ConsoleSession, ConsoleSessions
from backend.auth.portal_sessions import session_hash
from backend.settings import Settings


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(str(settings.redis_url))
    yield client
    await client.aclose()


def _session(started_at: float | None = None) -> ConsoleSession:
    return ConsoleSession(
        user_id=uuid.uuid4(), email="ada@crosswalk.example", method="password", started_at=started_at or time.time()
    )


async def test_a_session_ends_when_idle(redis: Redis) -> None:
    sessions = ConsoleSessions(redis, idle_seconds=1, max_seconds=3600)
    session_id = await sessions.create(_session())
    await asyncio.sleep(0.6)
    assert await sessions.touch(session_id) is not None  # a request restarts the idle clock
    await asyncio.sleep(0.6)
    assert await sessions.touch(session_id) is not None
    await asyncio.sleep(1.3)
    assert await sessions.touch(session_id) is None


async def test_a_busy_session_still_ends_at_its_maximum_age(redis: Redis) -> None:
    sessions = ConsoleSessions(redis, idle_seconds=3600, max_seconds=2)
    session_id = await sessions.create(_session())
    for _ in range(3):
        await asyncio.sleep(0.5)
        assert await sessions.touch(session_id) is not None
    await asyncio.sleep(0.8)
    assert await sessions.touch(session_id) is None
    # A session that began longer ago than the maximum is never stored at all.
    stale = await sessions.create(_session(started_at=time.time() - 10))
    assert await redis.exists(f"crosswalk:console-session:{session_hash(stale)}") == 0
    assert await sessions.touch(stale) is None


async def test_an_unknown_or_ended_session_is_nobody(redis: Redis) -> None:
    sessions = ConsoleSessions(redis, idle_seconds=60, max_seconds=3600)
    assert await sessions.touch("made-up") is None
    session_id = await sessions.create(_session())
    assert await sessions.end(session_id) is not None
    assert await sessions.touch(session_id) is None
