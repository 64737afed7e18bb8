"""The one database session of a request: pinned to the caller's tenant, committed on success."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api import idempotency
from backend.auth.principal import Principal
from backend.core.unit_of_work import UnitOfWork


async def provide_db(
    request: Request[Principal, Any, Any],
    principal: NamedDependency[Principal],
    unit_of_work: NamedDependency[UnitOfWork],
) -> AsyncGenerator[AsyncSession, None]:
    # Taking `principal` makes the dependencies a chain (`unit_of_work`, then `principal`, then this one;
    # see `backend.app.provide_principal`): Litestar resolves dependencies of the same depth concurrently,
    # in a task group, which costs more per request than the work itself.
    # The request's unit of work; its extra is the idempotency record, in the same transaction. Jobs the
    # request asked for go to the broker once it committed (the transactional outbox).
    async with unit_of_work.tenant(principal.tenant) as session:
        await idempotency.check(session, request)
        yield session
        idempotency.record(session, request)


async def provide_control_db(unit_of_work: NamedDependency[UnitOfWork]) -> AsyncGenerator[AsyncSession, None]:
    """A session on the control schema, for the tenant's identity settings (its IdP, partner clients,
    SCIM tokens). Those rows carry a tenant_id, and every service that takes this session filters by
    the caller's tenant: the tenant role of `db` cannot read the control schema at all."""
    async with unit_of_work.control() as session:
        yield session
