"""Who is calling /scim/v2: a tenant's identity provider, known by its SCIM bearer token.

The token alone names the tenant (nothing in the request can choose another). Every request looks
the token up, so a revoked token stops working at once; `last_used_at` is written at most once a
minute per token, so a busy provisioning run does not turn every read into a write.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from datetime import timedelta
from typing import Any

import structlog
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.types import Guard
from scim2_models import ForbiddenException, UnauthorizedException
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.concurrency import TenantConcurrency
from backend.core.unit_of_work import UnitOfWork
from backend.scim.models import ScimToken
from backend.scim.tokens import TOKEN_PREFIX, hash_token
from tenants.models import Tenant, TenantStatus
from tenants.registry import tenant_ref
from tenants.sessions import TenantRef

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="crosswalk-scim"'}
LAST_USED_RESOLUTION = timedelta(minutes=1)
_TENANT_STATE = "scim_tenant"


class ScimUnauthorized(UnauthorizedException):
    """401 with the challenge RFC 6750 asks for."""

    headers = CHALLENGE


async def tenant_for_token(session: AsyncSession, authorization: str | None) -> TenantRef:
    """The tenant whose live token is in the `Authorization` header; raises ScimUnauthorized (401),
    or ForbiddenException (403) for a tenant that is suspended or archived."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ScimUnauthorized(detail="a SCIM bearer token is required")
    # Only our own tokens are looked up: a JWT of the main API sent here by mistake is refused
    # without a query, and the error says what is wrong.
    if not token.startswith(TOKEN_PREFIX):
        raise ScimUnauthorized(detail="this is not a SCIM token; create one with POST /api/v1/scim-tokens")
    row = (
        await session.execute(
            select(ScimToken, Tenant)
            .join(Tenant, Tenant.id == ScimToken.tenant_id)
            .where(ScimToken.token_hash == hash_token(token), ScimToken.revoked_at.is_(None))
        )
    ).one_or_none()
    if row is None:
        raise ScimUnauthorized(detail="the SCIM token is unknown or revoked")
    scim_token, tenant = row
    if tenant.status != TenantStatus.ACTIVE:
        # As for every caller of a suspended tenant (see the README): the token is valid, the tenant is not.
        raise ForbiddenException(detail=f"tenant {tenant.slug!r} is {tenant.status.value}")
    now = await session.scalar(select(func.now()))
    assert now is not None
    if scim_token.last_used_at is None or now - scim_token.last_used_at >= LAST_USED_RESOLUTION:
        await session.execute(update(ScimToken).where(ScimToken.id == scim_token.id).values(last_used_at=now))
    return tenant_ref(tenant)


def scim_guard(unit_of_work: UnitOfWork) -> Guard:
    """Router guard of /scim/v2: authenticate, and keep the tenant for `provide_scim_db`."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        async with unit_of_work.control() as session:
            tenant = await tenant_for_token(session, connection.headers.get("authorization"))
        structlog.contextvars.bind_contextvars(tenant=tenant.slug)
        connection.scope.setdefault("state", {})[_TENANT_STATE] = tenant

    return guard


def scim_tenant(request: Request[Any, Any, Any]) -> TenantRef:
    tenant = request.scope.get("state", {}).get(_TENANT_STATE)
    if not isinstance(tenant, TenantRef):
        raise ScimUnauthorized(detail="a SCIM bearer token is required")
    return tenant


def scim_db_provider(
    unit_of_work: UnitOfWork, tenant_concurrency: TenantConcurrency
) -> Callable[..., AsyncGenerator[AsyncSession, None]]:
    """The provider of `scim_db`, built by the app with its unit of work and the tenants' concurrency
    slots."""

    async def provide_scim_db(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
        """The request's unit of work, pinned to the token's tenant: committed on success, rolled back on
        error (so a request that fails half-way changes nothing), and the jobs it asked for sent once it
        committed. It runs in one of the tenant's concurrency slots, taken before the session opens
        (backend/api/concurrency.py)."""
        tenant = scim_tenant(request)
        async with tenant_concurrency.slot(tenant.id), unit_of_work.tenant(tenant) as session:
            yield session

    return provide_scim_db
