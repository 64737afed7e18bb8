"""The one database session of a request: pinned to the caller's tenant, committed on success."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api import idempotency
from backend.auth.principal import Principal
from backend.core.unit_of_work import UnitOfWork

DbProvider = Callable[..., AsyncGenerator[AsyncSession, None]]


def tenant_db_provider(unit_of_work: UnitOfWork) -> DbProvider:
    """The provider of `db`, built by the app with its unit of work: as an argument, not a dependency,
    because Litestar resolves dependencies of the same depth concurrently, in a task group, which costs
    more per request than the work itself; taking `principal` alone makes the two a chain."""

    async def provide_db(
        request: Request[Principal, Any, Any], principal: NamedDependency[Principal]
    ) -> AsyncGenerator[AsyncSession, None]:
        # The request's unit of work; its extra is the idempotency record, in the same transaction. Jobs
        # the request asked for go to the broker once it committed (the transactional outbox).
        async with unit_of_work.tenant(principal.tenant) as session:
            await idempotency.check(session, request)
            yield session
            idempotency.record(session, request)

    return provide_db


def provide_principal(request: Request[Principal, Any, Any]) -> Principal:
    """The `principal` dependency: who the request's authentication found (the API's middleware, the
    portal's guard)."""
    return request.user


def control_db_provider(unit_of_work: UnitOfWork) -> DbProvider:
    """The provider of `control_db`, built by the app with its unit of work."""

    async def provide_control_db() -> AsyncGenerator[AsyncSession, None]:
        """A session on the control schema, for the tenant's identity settings (its IdP, partner clients,
        SCIM tokens). Those rows carry a tenant_id, and every service that takes this session filters by
        the caller's tenant: the tenant role of `db` cannot read the control schema at all."""
        async with unit_of_work.control() as session:
            yield session

    return provide_control_db
