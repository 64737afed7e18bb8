"""Lock-outs of the console's password sign-in, in Redis, with exponential backoff.

Every failed password or TOTP check counts against the account (the email typed, whether or not such
a platform user exists, so a lock-out tells nothing about who exists) and against the address. From
`failures` failures on (`address_failures` for an address), each further failure locks it for
`seconds`, doubled at each failure up to `max_seconds`; a locked account refuses even the right
password and code until the lock ends. A sign-in that succeeds clears the account's count; an
address's count is only forgotten, a day after its last failure (or the longest lock, if longer),
so that an attacker cannot clear it by signing in to an account of their own between guesses.

Without Redis nothing can be checked, and the console refuses password sign-ins (it cannot keep a
session without Redis either): the caller sees it as `LockoutsUnavailableError`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from backend.auth.ratelimits import digest
from backend.identifiers import ascii_fold

_FORGET_AFTER_SECONDS = 86400

# KEYS[1]: the counter; ARGV: threshold, base seconds, max seconds, now, forget-after seconds.
# Returns the seconds the failure locks for (0: not locked yet).
_FAIL = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local threshold = tonumber(ARGV[1])
local lock = 0
if failures >= threshold then
  lock = math.min(tonumber(ARGV[2]) * 2 ^ (failures - threshold), tonumber(ARGV[3]))
  redis.call('HSET', KEYS[1], 'locked_until', tonumber(ARGV[4]) + lock)
end
redis.call('EXPIRE', KEYS[1], math.max(tonumber(ARGV[5]), tonumber(ARGV[3])))
return lock
"""


class LockoutsUnavailableError(Exception):
    """Redis cannot be reached, so whether the account is locked cannot be told."""


@dataclass(frozen=True)
class Lock:
    """Whether an account or address is locked, and for how many more (whole) seconds."""

    seconds: int

    @property
    def locked(self) -> bool:
        return self.seconds > 0


class SignInLockouts:
    def __init__(
        self,
        redis: Redis,
        namespace: str,
        *,
        failures: int,
        address_failures: int,
        seconds: int,
        max_seconds: int,
    ) -> None:
        self._redis = redis
        self._prefix = f"crosswalk:{namespace}:console-lockout:"
        self._thresholds = {"account": failures, "address": address_failures}
        self.seconds = seconds
        self.max_seconds = max_seconds
        self._fail = redis.register_script(_FAIL)

    def _key(self, kind: str, value: str) -> str:
        return f"{self._prefix}{kind}:{digest(value)}"

    def _keys(self, account: str, address: str) -> dict[str, str]:
        return {"account": self._key("account", ascii_fold(account.strip())), "address": self._key("address", address)}

    async def lock(self, account: str, address: str) -> Lock:
        """The longer of the account's and the address's locks now."""
        try:
            values = [await self._redis.hget(key, "locked_until") for key in self._keys(account, address).values()]
        except (RedisError, OSError) as exc:
            raise LockoutsUnavailableError(str(exc)) from exc
        until = max((float(v) for v in values if v is not None), default=0.0)
        return Lock(max(0, math.ceil(until - time.time())))

    async def failed(self, account: str, address: str) -> Lock:
        """Count a failed sign-in; the lock it starts, if any."""
        longest = 0.0
        try:
            for kind, key in self._keys(account, address).items():
                args = [self._thresholds[kind], self.seconds, self.max_seconds, time.time(), _FORGET_AFTER_SECONDS]
                longest = max(longest, float(await self._fail(keys=[key], args=args)))
        except (RedisError, OSError) as exc:
            raise LockoutsUnavailableError(str(exc)) from exc
        return Lock(math.ceil(longest))

    async def succeeded(self, account: str) -> None:
        try:
            await self._redis.delete(self._key("account", ascii_fold(account.strip())))
        except (RedisError, OSError) as exc:
            raise LockoutsUnavailableError(str(exc)) from exc
