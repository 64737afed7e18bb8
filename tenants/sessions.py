"""Sessions pinned to one tenant for the whole of every transaction.

The pin is `set_config(..., is_local => true)` for both `search_path` and `role`, sent as one
statement in the `after_begin` hook: transaction-scoped settings vanish at COMMIT/ROLLBACK, so a
pooled connection never carries one tenant's settings into the next user's transaction (a plain
`SET` would), and they also survive pgbouncer in transaction mode. The statement text is the same for
every tenant, so asyncpg's and Postgres's prepared-statement caches stay at one entry per query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction

from tenants.models import TenantStatus

_PIN_STATEMENT = text("SELECT set_config('search_path', :schema, true), set_config('role', :role, true)")
_TOUCHED_TENANTS = "crosswalk_tenants_touched"


@dataclass(frozen=True, slots=True)
class TenantRef:
    """What a request or job needs to know about its tenant; cheap to cache and to pass around."""

    id: uuid.UUID
    slug: str
    name: str
    status: TenantStatus
    placement: str
    schema_name: str
    role_name: str


class TenantNotPinnedError(RuntimeError):
    pass


class TenantSession(Session):
    """A session whose every transaction runs as one tenant's role, on that tenant's schema."""


@event.listens_for(TenantSession, "after_begin")
def _pin_transaction(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    tenant = session.info.get("tenant")
    if not isinstance(tenant, TenantRef):
        raise TenantNotPinnedError("a tenant session was used without a tenant")
    connection.execute(_PIN_STATEMENT, {"schema": tenant.schema_name, "role": tenant.role_name})
    _retire_when_catalog_cache_is_large(connection, tenant, int(session.info["max_tenants"]))


def _retire_when_catalog_cache_is_large(connection: Connection, tenant: TenantRef, limit: int) -> None:
    # Each backend caches catalog rows of every schema it has touched and never shrinks that cache;
    # counting distinct tenants per pooled connection bounds a backend's memory. The soft invalidation
    # lets the current transaction finish and replaces the connection at its next checkout.
    touched: set[str] = connection.info.setdefault(_TOUCHED_TENANTS, set())
    touched.add(tenant.schema_name)
    if len(touched) >= limit:
        connection.connection.invalidate(soft=True)


class Database:
    """The serving engine of one placement (one Postgres database) and its session factories."""

    def __init__(
        self,
        url: URL,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        max_tenants_per_connection: int = 100,
        pool_recycle_seconds: int = 1800,
        **engine_options: Any,
    ) -> None:
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=pool_recycle_seconds,
            # Errors and logs must not carry row data (emails, names) from statement parameters.
            hide_parameters=True,
            **engine_options,
        )
        self.max_tenants_per_connection = max_tenants_per_connection
        self._tenant_sessions = async_sessionmaker(
            self.engine, sync_session_class=TenantSession, expire_on_commit=False
        )
        self._control_sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def tenant_session(self, tenant: TenantRef) -> AsyncSession:
        return self._tenant_sessions(info={"tenant": tenant, "max_tenants": self.max_tenants_per_connection})

    def control_session(self) -> AsyncSession:
        return self._control_sessions()

    async def dispose(self) -> None:
        await self.engine.dispose()
