"""Partner clients revoked before their tokens expire: a Redis set every API process consults.

A revoked client's id is kept for as long as any token it was issued can still be valid, so the
check costs one Redis round trip on partner calls only, and revocation takes effect at once.
"""

from __future__ import annotations

from redis.asyncio import Redis

_PREFIX = "crosswalk:revoked-client:"


class ClientRevocations:
    def __init__(self, redis: Redis, token_lifetime_seconds: int) -> None:
        self._redis = redis
        self._lifetime = token_lifetime_seconds

    async def revoke(self, client_id: str) -> None:
        await self._redis.set(_PREFIX + client_id, b"1", ex=self._lifetime)

    async def is_revoked(self, client_id: str) -> bool:
        return bool(await self._redis.exists(_PREFIX + client_id))
