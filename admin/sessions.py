"""Console sessions: an opaque cookie, the session itself in Redis with two clocks.

A session ends after `idle_seconds` without a request and, whatever the activity, `max_seconds` after
sign-in. Only a SHA-256 of the cookie value names the Redis key, so whoever reads Redis cannot replay
a session; sign-out deletes the key.
"""

from __future__ import annotations

import secrets
import time
import uuid

import msgspec
from redis.asyncio import Redis

from backend.auth.portal_sessions import session_hash

CONSOLE_COOKIE = "crosswalk_console"
_PREFIX = "crosswalk:console-session:"


class ConsoleSession(msgspec.Struct):
    user_id: uuid.UUID
    email: str
    # How the person signed in: "oidc" (the platform's identity provider) or "password" (+ TOTP).
    method: str
    started_at: float
    # The tenant the console shows now (the tenant switcher); re-checked against the assignments on
    # every request.
    tenant_slug: str | None = None
    # For RP-initiated logout at the platform's identity provider.
    id_token: str | None = None


def _key(session_id: str) -> str:
    return _PREFIX + session_hash(session_id)


class ConsoleSessions:
    def __init__(self, redis: Redis, *, idle_seconds: int, max_seconds: int) -> None:
        self._redis = redis
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds

    def _ttl_ms(self, session: ConsoleSession) -> int:
        left = session.started_at + self.max_seconds - time.time()
        return int(1000 * min(self.idle_seconds, left))

    async def create(self, session: ConsoleSession) -> str:
        session_id = secrets.token_urlsafe(32)
        ttl = self._ttl_ms(session)
        if ttl > 0:
            await self._redis.set(_key(session_id), msgspec.json.encode(session), px=ttl)
        return session_id

    async def touch(self, session_id: str) -> ConsoleSession | None:
        """The live session, its idle clock restarted; None when it has ended (or never was)."""
        key = _key(session_id)
        raw = await self._redis.get(key)
        if raw is None:
            return None
        session = msgspec.json.decode(raw, type=ConsoleSession)
        ttl = self._ttl_ms(session)
        if ttl <= 0:
            await self._redis.delete(key)
            return None
        await self._redis.pexpire(key, ttl)
        return session

    async def save(self, session_id: str, session: ConsoleSession) -> None:
        ttl = self._ttl_ms(session)
        if ttl > 0:
            await self._redis.set(_key(session_id), msgspec.json.encode(session), px=ttl, xx=True)

    async def end(self, session_id: str) -> ConsoleSession | None:
        raw = await self._redis.getdel(_key(session_id))
        return None if raw is None else msgspec.json.decode(raw, type=ConsoleSession)
