"""Portal sessions after an SSO login: an opaque cookie value, the session itself in Redis.

Only a SHA-256 of the cookie value names the Redis key, so whoever reads Redis cannot replay a
session. Logout deletes the key, which ends the session everywhere at once.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Iterable

import msgspec
from redis.asyncio import Redis

from backend.auth.tokens import TokenClaims

SESSION_COOKIE = "crosswalk_session"
_PREFIX = "crosswalk:portal-session:"
# The sessions of one employee, so that deactivating them or changing their groups ends them.
_EMPLOYEE_PREFIX = "crosswalk:employee-sessions:"


class PortalSession(msgspec.Struct, frozen=True):
    subject: str
    tenant_slug: str
    tenant_id: uuid.UUID
    employee_id: uuid.UUID
    roles: tuple[str, ...]
    scopes: tuple[str, ...]
    # For RP-initiated logout at the tenant's identity provider.
    issuer: str
    id_token: str
    # When the session began (seconds since the epoch): one begun before the employee's deactivation
    # stays refused. A session stored before this field existed counts as begun at the epoch.
    started_at: float = 0.0
    # The person's language as the identity provider's `locale` claim says (BCP 47, e.g. "nl-NL"), which
    # the portal's pages use unless the person chose another; None when the provider sends none.
    locale: str | None = None

    def claims(self) -> TokenClaims:
        return TokenClaims(
            subject=self.subject,
            tenant_slug=self.tenant_slug,
            tenant_id=self.tenant_id,
            roles=self.roles,
            scopes=self.scopes,
            employee_id=self.employee_id,
            issued_at=self.started_at,
        )


def session_hash(session_id: str) -> str:
    """What names a session outside the cookie (the Redis key, a token's `sid`): never the id itself."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def _employee_key(tenant_id: uuid.UUID, employee_id: uuid.UUID) -> str:
    return f"{_EMPLOYEE_PREFIX}{tenant_id}:{employee_id}"


def _key(session_id: str) -> str:
    return _PREFIX + session_hash(session_id)


class PortalSessions:
    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self._redis = redis
        self.ttl_seconds = ttl_seconds

    async def create(self, session: PortalSession) -> str:
        session_id = secrets.token_urlsafe(32)
        session = msgspec.structs.replace(session, started_at=time.time())
        index = _employee_key(session.tenant_id, session.employee_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(_key(session_id), msgspec.json.encode(session), ex=self.ttl_seconds)
            pipe.sadd(index, session_hash(session_id))
            pipe.expire(index, self.ttl_seconds)
            await pipe.execute()
        return session_id

    async def end_for_employees(self, tenant_id: uuid.UUID, employee_ids: Iterable[uuid.UUID]) -> None:
        """End every session of these employees: they were deactivated, or their roles may have changed
        (the next sign-in works them out afresh)."""
        for employee_id in employee_ids:
            index = _employee_key(tenant_id, employee_id)
            hashes = await self._redis.smembers(index)
            keys = [_PREFIX + (h.decode() if isinstance(h, bytes) else str(h)) for h in hashes]
            await self._redis.delete(*keys, index)

    async def get(self, session_id: str) -> PortalSession | None:
        raw = await self._redis.get(_key(session_id))
        return None if raw is None else msgspec.json.decode(raw, type=PortalSession)

    async def is_live(self, hashed_session_id: str) -> bool:
        return bool(await self._redis.exists(_PREFIX + hashed_session_id))

    async def remaining_seconds(self, session_id: str) -> int:
        return max(0, int(await self._redis.ttl(_key(session_id))))

    async def end(self, session_id: str) -> PortalSession | None:
        raw = await self._redis.getdel(_key(session_id))
        return None if raw is None else msgspec.json.decode(raw, type=PortalSession)

    async def count_for_tenant(self, tenant_slug: str) -> int:
        """How many live sessions a tenant has (for tests and the console; scans, so not for hot paths)."""
        count = 0
        async for key in self._redis.scan_iter(match=_PREFIX + "*", count=500):
            raw = await self._redis.get(key)
            if raw is not None and msgspec.json.decode(raw, type=PortalSession).tenant_slug == tenant_slug:
                count += 1
        return count
