"""Partner clients revoked before their tokens expire: a Redis set every API process consults.

A revoked client's id is kept for as long as any token it was issued can still be valid, so the
check costs one Redis round trip on partner calls only, and revocation takes effect at once. Redis is
not the last word: the client's record is read too (backend/auth/middleware.py), so a flush or a
failover that loses the entry revives no token.
"""

from __future__ import annotations

from redis.asyncio import Redis

from backend.settings import MAX_PARTNER_TOKEN_TTL_SECONDS

_PREFIX = "crosswalk:revoked-client:"
# Kept as long as the longest partner token any process may issue could still pass verification
# (with its leeway), whatever the TTL of the process that revokes: the CLI's may differ from the API's.
_REMEMBER_SECONDS = MAX_PARTNER_TOKEN_TTL_SECONDS + 60


class ClientRevocations:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def revoke(self, client_id: str) -> None:
        await self._redis.set(_PREFIX + client_id, b"1", ex=_REMEMBER_SECONDS)

    async def is_revoked(self, client_id: str) -> bool:
        return bool(await self._redis.exists(_PREFIX + client_id))
