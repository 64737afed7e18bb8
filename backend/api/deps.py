"""The one database session of a request: pinned to the caller's tenant, committed on success."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api import idempotency
from backend.auth.principal import Principal
from backend.core.jobs import outbox
from backend.state import services_of


async def provide_db(
    request: Request[Principal, Any, Any], principal: NamedDependency[Principal]
) -> AsyncGenerator[AsyncSession, None]:
    # Taking `principal` makes the two dependencies a chain: Litestar resolves dependencies of the same
    # depth concurrently, in a task group, which costs more per request than the work itself.
    services = services_of(request.app)
    session = services.database.tenant_session(principal.tenant)
    try:
        await idempotency.check(session, request)
        yield session
        idempotency.record(session, request)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()
    # Jobs the request asked for go to the broker only now that they exist (the transactional outbox).
    await outbox.send_committed(services.database, principal.tenant, services.job_sender, session)


async def provide_control_db(request: Request[Principal, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    """A session on the control schema, for the tenant's identity settings (its IdP, partner clients,
    SCIM tokens). Those rows carry a tenant_id, and every service that takes this session filters by
    the caller's tenant: the tenant role of `db` cannot read the control schema at all."""
    session = services_of(request.app).database.control_session()
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()
