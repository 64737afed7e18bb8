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
"""

from __future__ import annotations

import enum
import hashlib
from typing import Any

from sqlalchemy import BigInteger, Select, func, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session

from tenants.sessions import TenantNotPinnedError, TenantRef


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


async def lock_tenant(session: AsyncSession, name: str, *, shared: bool = False, wait: bool = True) -> bool:
    """Take the tenant's lock `name` until the session's transaction ends; with `wait` False, only if
    it is free now. Returns whether it was taken (always True when waiting)."""
    key = tenant_lock_key(_tenant_of(session), name)
    return await session.scalar(lock_statement(key, shared=shared, wait=wait)) is not False


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
