"""Rate limits, counted in Redis so that every API process shares one count.

The `limits` library does the counting (its moving window on Redis: at most N hits in any window of
the given length, never a burst at a window's edge). Every limit is named by `Limit` and set by a
setting (`RATE_LIMIT_...`, see the README); `backend/api/ratelimit.py` applies them to requests, the
token endpoint and the console apply the ones that need what only they know (the client id, the
account).

If Redis cannot be reached, every rate limit lets the request through (fails open) and logs it, for a
second at a time before trying Redis again: a limit protects availability, so it must not take the
service down with Redis, and never turns into a 500. Keys are SHA-256 digests of what they count
(addresses, token hashes, emails), so Redis holds no address or credential in clear.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum, auto
from typing import Any

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from backend.settings import Settings

log = structlog.get_logger()

# After a failure to reach Redis, limits are not asked again for this long: a Redis that is down would
# otherwise cost every request a connection attempt.
_RETRY_REDIS_AFTER_SECONDS = 1.0
# Each Redis call of a limit gives up after this long (then the limit lets the request through).
_REDIS_TIMEOUT_SECONDS = 0.5
UNKNOWN_ADDRESS = "unknown"


class Limit(StrEnum):
    """Every rate limit; its value names the setting that defines it (`RATE_LIMIT_<VALUE>`)."""

    TOKEN_PER_ADDRESS = auto()
    TOKEN_PER_CLIENT = auto()
    TOKEN_FAILURES_PER_CLIENT = auto()
    SSO_LOGIN_PER_ADDRESS = auto()
    SSO_LOGIN_PER_TENANT = auto()
    CONSOLE_SIGN_IN_PER_ADDRESS = auto()
    CONSOLE_SIGN_IN_PER_ACCOUNT = auto()
    SCIM_PER_TOKEN = auto()
    SCIM_PER_ADDRESS = auto()
    API_PER_TOKEN = auto()
    API_PER_TENANT = auto()

    @property
    def setting(self) -> str:
        return f"RATE_LIMIT_{self.name}"


# What a refusal says, per limit (the caller learns which limit and when to come back, nothing more).
_WHAT = {
    Limit.TOKEN_PER_ADDRESS: "token requests from this address",
    Limit.TOKEN_PER_CLIENT: "tokens issued to this client",
    Limit.TOKEN_FAILURES_PER_CLIENT: "failed authentications of this client",
    Limit.SSO_LOGIN_PER_ADDRESS: "sign-ins started from this address",
    Limit.SSO_LOGIN_PER_TENANT: "sign-ins started for this company",
    Limit.CONSOLE_SIGN_IN_PER_ADDRESS: "console sign-ins from this address",
    Limit.CONSOLE_SIGN_IN_PER_ACCOUNT: "console sign-ins for this account",
    Limit.SCIM_PER_TOKEN: "SCIM requests with this token",
    Limit.SCIM_PER_ADDRESS: "SCIM requests from this address",
    Limit.API_PER_TOKEN: "API requests of this caller",
    Limit.API_PER_TENANT: "API requests of this company",
}


class RateLimitedError(Exception):
    """A request over a limit; `retry_after` is in whole seconds (at least 1)."""

    def __init__(self, limit: Limit, rate: str, retry_after: int) -> None:
        self.limit = limit
        self.retry_after = retry_after
        self.detail = f"too many {_WHAT[limit]} (at most {rate}); try again in {retry_after} s"
        super().__init__(self.detail)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def client_address(scope: Mapping[str, Any]) -> str:
    """The caller's address: the ASGI client, which the proxy-headers middleware has already replaced
    with the forwarded address when the connection comes from a trusted proxy."""
    client = scope.get("client")
    return str(client[0]) if client else UNKNOWN_ADDRESS


def redis_client(redis_url: str) -> Redis:
    """A Redis client for limits and lockouts: short timeouts, since a limit must never hold a request
    up for long (it fails open, or the console refuses a sign-in, instead)."""
    return Redis.from_url(
        redis_url, socket_timeout=_REDIS_TIMEOUT_SECONDS, socket_connect_timeout=_REDIS_TIMEOUT_SECONDS
    )


@dataclass(frozen=True)
class Rule:
    limit: Limit
    rate: str
    item: RateLimitItem


class RateLimiter:
    def __init__(self, redis: Redis, namespace: str, rates: Mapping[Limit, str]) -> None:
        self.redis = redis
        self.prefix = f"crosswalk:{namespace}:"
        self.rules = {limit: Rule(limit, rates[limit], parse(rates[limit])) for limit in Limit}
        storage = RedisStorage(
            # The URI is only read for its scheme: the connections are the client's own pool.
            "async+redis://",
            implementation="redispy",
            key_prefix=self.prefix + "ratelimit",
            wrap_exceptions=True,
            # limits types its options as scalars, but hands them to redis-py, which takes a pool.
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]
        )
        self.strategy = MovingWindowRateLimiter(storage)
        self._redis_down_until = 0.0

    @classmethod
    def from_settings(cls, redis: Redis, settings: Settings) -> RateLimiter:
        # The broker's namespace: deployments (and test runs) sharing a Redis keep their own counts.
        return cls(
            redis, settings.broker_namespace, {limit: getattr(settings, f"rate_limit_{limit.value}") for limit in Limit}
        )

    def _available(self) -> bool:
        return time.monotonic() >= self._redis_down_until

    def _redis_failed(self, exc: Exception, name: str) -> None:
        self._redis_down_until = time.monotonic() + _RETRY_REDIS_AFTER_SECONDS
        log.warning("rate_limit_unchecked", limit=name, reason=type(exc).__name__)

    async def _refusal(self, rule: Rule, key: str) -> RateLimitedError:
        try:
            stats = await self.strategy.get_window_stats(rule.item, rule.limit.value, key)
            wait = stats.reset_time - time.time()
        except (StorageError, RedisError, OSError):
            wait = rule.item.get_expiry()
        return RateLimitedError(rule.limit, rule.rate, max(1, math.ceil(wait)))

    async def _allowed(self, limit: Limit, hashed: str, *, consume: bool) -> bool:
        """Whether `limit` has room for `hashed` (counting this request when `consume`); True when
        Redis cannot tell (limits fail open)."""
        if not self._available():
            return True
        ask = self.strategy.hit if consume else self.strategy.test
        try:
            return await ask(self.rules[limit].item, limit.value, hashed)
        except (StorageError, RedisError, OSError) as exc:
            self._redis_failed(exc, limit.value)
            return True

    async def hit(self, limit: Limit, key: str) -> None:
        """Count one request against `limit` for `key`; raises RateLimitedError when over it (the
        refused request is not counted, so waiting `retry_after` is enough)."""
        hashed = digest(key)
        if not await self._allowed(limit, hashed, consume=True):
            raise await self._refusal(self.rules[limit], hashed)

    async def check(self, limit: Limit, key: str) -> None:
        """Raise RateLimitedError if `limit` is used up for `key`, without counting anything: for
        limits that count only some outcomes (a failed authentication, a token issued)."""
        hashed = digest(key)
        if not await self._allowed(limit, hashed, consume=False):
            raise await self._refusal(self.rules[limit], hashed)

    async def count(self, limit: Limit, key: str) -> None:
        """Count one outcome against `limit` for `key`, whether or not it is over (see `check`)."""
        await self._allowed(limit, digest(key), consume=True)

    async def remember(self, name: str, key: str, seconds: int) -> None:
        """Keep a fact about `key` for `seconds` (e.g. an address a client authenticated from)."""
        if not self._available():
            return
        try:
            await self.redis.set(f"{self.prefix}{name}:{digest(key)}", b"1", ex=seconds)
        except (RedisError, OSError) as exc:
            self._redis_failed(exc, name)

    async def remembers(self, name: str, key: str) -> bool:
        if not self._available():
            return False
        try:
            return bool(await self.redis.exists(f"{self.prefix}{name}:{digest(key)}"))
        except (RedisError, OSError) as exc:
            self._redis_failed(exc, name)
            return False

    async def aclose(self) -> None:
        await self.redis.aclose()
