"""Sessions pinned to one tenant for the whole of every transaction.

The pin is `set_config(..., is_local => true)` for both `search_path` and `role`: transaction-scoped
settings vanish at COMMIT/ROLLBACK, so a pooled connection never carries one tenant's settings into
the next user's transaction (a plain `SET` would), and they are what pgbouncer's transaction mode keeps.

It costs no round trip of its own: the `after_begin` hook stages it on the driver connection, and
`PinningConnection` sends it in the same simple-query message as the BEGIN that asyncpg sends before
the transaction's first statement. The statements of the transaction itself are the same text for
every tenant, so asyncpg's and Postgres's prepared-statement caches stay at one entry per query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction

from tenants.models import TenantStatus
from tenants.sql import quote_literal

_TOUCHED_TENANTS = "crosswalk_tenants_touched"


def pin_sql(tenant: TenantRef) -> str:
    return (
        f"SELECT set_config('search_path', {quote_literal(tenant.schema_name)}, true), "
        f"set_config('role', {quote_literal(tenant.role_name)}, true)"
    )


class PinningConnection(asyncpg.Connection):  # type: ignore[misc]
    """An asyncpg connection that sends a staged tenant pin together with the next BEGIN."""

    _crosswalk_pin: str | None = None

    # Same signature as asyncpg's execute, which this overrides (hence `timeout`).
    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109
        pin, self._crosswalk_pin = self._crosswalk_pin, None
        if pin is None or args or not query.startswith("BEGIN"):
            if pin is not None:
                self._crosswalk_pin = pin
            return str(await super().execute(query, *args, timeout=timeout))
        try:
            return str(await super().execute(f"{query};{pin}", timeout=timeout))
        except BaseException:
            # BEGIN went through but the pin did not (say, the tenant's role was revoked since it was
            # cached). asyncpg does not expect a failed BEGIN and would treat the next one as nested, so
            # this connection is dropped; the pool opens a fresh one. It is rare, so that is cheap.
            self.terminate()
            raise


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
    driver = connection.connection.driver_connection
    if not isinstance(driver, PinningConnection):
        raise TenantNotPinnedError("tenant sessions need an engine made by tenants.sessions.Database")
    driver._crosswalk_pin = pin_sql(tenant)
    _retire_when_catalog_cache_is_large(connection, tenant, int(session.info["max_tenants"]))


def _retire_when_catalog_cache_is_large(connection: Connection, tenant: TenantRef, limit: int) -> None:
    # Each backend caches catalog rows of every schema it has touched and never shrinks that cache;
    # counting distinct tenants per pooled connection bounds a backend's memory. The soft invalidation
    # lets the current transaction finish and replaces the connection at its next checkout.
    touched: set[str] = connection.info.setdefault(_TOUCHED_TENANTS, set())
    touched.add(tenant.schema_name)
    if len(touched) >= limit:
        connection.connection.invalidate(soft=True)


def _drop_staged_pin(dbapi_connection: Any, record: Any) -> None:
    # A session that began but never executed leaves its pin staged; the next user must not inherit it.
    if dbapi_connection is not None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if isinstance(driver, PinningConnection):
            driver._crosswalk_pin = None


def _replace_if_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    # A pooled connection whose server went away (Postgres restarted, or ended the backend) is closed
    # on asyncpg's side as soon as the socket says so; handing it out would fail the request that gets
    # it. The pool replaces it instead (a DisconnectionError at checkout makes it connect afresh). It
    # costs no round trip, unlike pool_pre_ping's BEGIN, SELECT and ROLLBACK on every checkout.
    driver = getattr(dbapi_connection, "driver_connection", None)
    if isinstance(driver, asyncpg.Connection) and driver.is_closed():
        raise exc.DisconnectionError("the server closed this pooled connection")


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
        connect_args = {"connection_class": PinningConnection, **engine_options.pop("connect_args", {})}
        self.engine: AsyncEngine = create_async_engine(
            url,
            connect_args=connect_args,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=pool_recycle_seconds,
            # Errors and logs must not carry row data (emails, names) from statement parameters.
            hide_parameters=True,
            **engine_options,
        )
        self.max_tenants_per_connection = max_tenants_per_connection
        event.listen(self.engine.sync_engine.pool, "checkin", _drop_staged_pin)
        event.listen(self.engine.sync_engine.pool, "checkout", _replace_if_closed)
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
