"""Postgres advisory locks: the one way the code takes them.

Every lock has a name and a scope. A tenant's lock (`lock_tenant`) is keyed by the tenant's schema and
the name, so one tenant's recompute, catalogue import or org-tree edit never waits for another
tenant's: each tenant has its own lock of each name. A platform lock (`lock_global`) is keyed by the
name alone and spans the whole database, for what really is one thing per database (migrations, the
scheduler's leadership, schema changes, one job id, requests about one tenant slug).

Keys are 64-bit hashes of "<scope>\\0<name>" computed here (BLAKE2b), the same in every process and
Postgres version, so a test or an operator can find a lock in `pg_locks` from its name; the scopes
"tenant:<schema>" and "global" cannot produce the same string, so a tenant's lock never is a global one.

Transaction-level locks (the default) end with the transaction; session-level ones (`Hold.SESSION`)
end with the connection, for work that spans several transactions (a migration run, a leader).

An API request waits for a tenant's exclusive lock first in the process (`queue_in_process`: `_Gate`,
an asyncio lock per tenant and name, held until the transaction ends), and only then in Postgres:
requests of one process queue in memory, so at most one of them per process waits in Postgres (for
another process's holder).
A caller that takes the lock before its transaction's first statement (the catalogue import does)
queues holding no pooled connection at all: 30 concurrent imports of one tenant once held the whole
pool while they waited for each other, and every other tenant's requests waited for a connection.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Select, event, func, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session

from tenants.sessions import TenantNotPinnedError, TenantRef, TenantSession


class Hold(enum.Enum):
    TRANSACTION = "transaction"
    SESSION = "session"


def lock_key(scope: str, name: str) -> int:
    """The signed 64-bit advisory-lock key of `name` in `scope`."""
    digest = hashlib.blake2b(f"{scope}\0{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def tenant_lock_key(tenant: TenantRef, name: str) -> int:
    return lock_key(f"tenant:{tenant.schema_name}", name)


def global_lock_key(name: str) -> int:
    return lock_key("global", name)


def lock_statement(key: int, *, hold: Hold = Hold.TRANSACTION, shared: bool = False, wait: bool = True) -> Select[Any]:
    """The SELECT that takes the lock `key`: it returns a boolean when `wait` is False (whether the
    lock was taken), nothing otherwise (it waits)."""
    function = (
        f"pg_{'' if wait else 'try_'}advisory_{'xact_' if hold is Hold.TRANSACTION else ''}lock"
        f"{'_shared' if shared else ''}"
    )
    return select(getattr(func, function)(literal(key, BigInteger)))


def _tenant_of(session: AsyncSession) -> TenantRef:
    tenant = session.info.get("tenant")
    if not isinstance(tenant, TenantRef):
        raise TenantNotPinnedError("a tenant's lock needs a session pinned to that tenant")
    return tenant


@dataclass
class _Gate:
    """The in-process queue for one tenant lock; `users` counts holders and waiters, so that the
    table drops a gate nobody needs."""

    key: int
    lock: asyncio.Lock
    users: int = 0


# Per event loop (an asyncio lock belongs to one loop; the worker may run several), by lock key.
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, _Gate]] = weakref.WeakKeyDictionary()
_HELD_GATES = "crosswalk_held_gates"


def _leave(gate: _Gate, table: dict[int, _Gate]) -> None:
    gate.users -= 1
    if gate.users == 0 and table.get(gate.key) is gate:
        del table[gate.key]


async def _enter_gate(session: AsyncSession, key: int) -> None:
    held: dict[int, tuple[_Gate, dict[int, _Gate]]] = session.sync_session.info.setdefault(_HELD_GATES, {})
    if key in held:  # this transaction holds it already (a lock is taken once per transaction)
        return
    table = _gates.setdefault(asyncio.get_running_loop(), {})
    gate = table.get(key)
    if gate is None:
        gate = table[key] = _Gate(key, asyncio.Lock())
    gate.users += 1
    try:
        await gate.lock.acquire()
    except BaseException:
        _leave(gate, table)
        raise
    held[key] = (gate, table)


def _release_gates(session: Any) -> None:
    held: dict[int, tuple[_Gate, dict[int, _Gate]]] = session.info.pop(_HELD_GATES, {})
    for gate, table in held.values():
        gate.lock.release()
        _leave(gate, table)


@event.listens_for(TenantSession, "after_transaction_end")
def _release_gates_with_transaction(session: Any, transaction: Any) -> None:
    if transaction.parent is None:  # the transaction itself, not a savepoint in it
        _release_gates(session)


async def lock_tenant(
    session: AsyncSession, name: str, *, shared: bool = False, wait: bool = True, queue_in_process: bool = False
) -> bool:
    """Take the tenant's lock `name` until the session's transaction ends; with `wait` False, only if
    it is free now. Returns whether it was taken (always True when waiting). With `queue_in_process`
    (requests of the API, whose pool every tenant shares), an exclusive wait queues in the process
    first (see the module's notes)."""
    key = tenant_lock_key(_tenant_of(session), name)
    if queue_in_process and wait and not shared:
        await _enter_gate(session, key)
    try:
        return await session.scalar(lock_statement(key, shared=shared, wait=wait)) is not False
    except BaseException:
        if not session.in_transaction():  # no transaction began, so none will end and release it
            _release_gates(session.sync_session)
        raise


async def lock_global(
    executor: AsyncSession | AsyncConnection, name: str, *, hold: Hold = Hold.TRANSACTION, wait: bool = True
) -> bool:
    """Take the database-wide lock `name` (see the module's notes on scope); returns whether taken."""
    return await executor.scalar(lock_statement(global_lock_key(name), hold=hold, wait=wait)) is not False


def lock_global_sync(
    executor: Session | Connection, name: str, *, hold: Hold = Hold.TRANSACTION, wait: bool = True
) -> bool:
    """`lock_global` for the synchronous engine (migrations and provisioning run on it)."""
    return executor.scalar(lock_statement(global_lock_key(name), hold=hold, wait=wait)) is not False
