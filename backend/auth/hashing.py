"""argon2id for every stored secret (partner secrets, console passwords), always off the event loop.

A hash or a verification holds 19 MiB and a core for ~20 ms: run on the event loop, it would stall
every other request of the process meanwhile. `in_thread` runs it on a worker thread, at most
HASHING_LIMITER's count at once, so that a burst of sign-ins or token requests queues here instead of
taking every worker thread (and their memory) of the process.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

R = TypeVar("R")

# OWASP's Password Storage Cheat Sheet for argon2id: 19 MiB of memory, 2 iterations, 1 degree of
# parallelism is its baseline (its other rows trade memory for iterations at the same cost; one
# iteration at 19 MiB falls below all of them). About 20 ms a verification on a 2-core machine, paid
# once per token request (a token lasts 15 minutes) or sign-in, never per API call.
HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
HASHING_LIMITER = anyio.CapacityLimiter(max(2, os.cpu_count() or 1))
# The token endpoint checks a secret presented from an address the client has not authenticated from
# lately within these slots alone (half the cores): a flood of wrong secrets queues here, never ahead
# of a partner asking from its own servers, whose checks take HASHING_LIMITER's.
UNPROVEN_HASHING_LIMITER = anyio.CapacityLimiter(max(1, (os.cpu_count() or 1) // 2))


def verify(hashed: str, secret: str) -> bool:
    """Whether `secret` matches `hashed` (CPU-bound: call it through `in_thread`)."""
    try:
        return HASHER.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


async def in_thread(function: Callable[..., R], *args: object, limiter: anyio.CapacityLimiter | None = None) -> R:
    """Run `function` (a hash or a verification) on a worker thread, within `limiter`'s slots
    (HASHING_LIMITER's unless told otherwise)."""
    return await anyio.to_thread.run_sync(function, *args, limiter=limiter or HASHING_LIMITER)
