"""Who a verified credential names: the `Principal` of a token's or a portal session's claims, refused
when its tenant or its person no longer allows it.

One rule for every way a person comes in with a credential: the API's bearer middleware (a token, or
the portal session cookie on /api) and the portal's pages (the same cookie) ask the same `Principals`,
which the composition root builds once. Why an employee's credential no longer works is a record of a
domain (backend.org), so the composition root passes that read in (`CredentialRefusal`).
"""

from __future__ import annotations

import uuid
from typing import Protocol

from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import PARTNER_SCOPES, Principal, Scope, UserRole
from backend.auth.tokens import TokenClaims
from backend.core.unit_of_work import UnitOfWork
from tenants.models import TenantStatus
from tenants.registry import TenantRegistry

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="crosswalk"'}
_KNOWN_SCOPES = {s.value for s in Scope}
_KNOWN_ROLES = {r.value for r in UserRole}


class TenantUnavailable(PermissionDeniedException):
    """The credential's tenant exists but is not active (suspended, archived, still provisioning): 403,
    as any refusal; the portal tells a person in a browser in words (backend/portal/visitors.py)."""

    def __init__(self, slug: str, status: TenantStatus) -> None:
        super().__init__(f"tenant {slug!r} is {status.value}")
        self.status = status


class CredentialRefusal(Protocol):
    """Why a credential issued to an employee at `issued_at` (seconds since the epoch) no longer works,
    or None when it still does, read on a session pinned to the employee's tenant. Answered by
    backend.org, which owns the employee."""

    async def __call__(self, session: AsyncSession, employee_id: uuid.UUID, issued_at: float, /) -> str | None: ...


class Principals:
    """Turns verified claims into the caller, or refuses them (401, 403, 404 as Litestar exceptions)."""

    def __init__(
        self, *, registry: TenantRegistry, unit_of_work: UnitOfWork, credential_refusal: CredentialRefusal
    ) -> None:
        self.registry = registry
        # The read of an ended credential runs in a transaction of its own.
        self.unit_of_work = unit_of_work
        self.credential_refusal = credential_refusal

    async def of_claims(self, claims: TokenClaims) -> Principal:
        principal = await self.principal_from_claims(claims)
        if principal.employee_id is not None:
            await self.refuse_ended_credential(principal, claims.issued_at)
        return principal

    async def refuse_ended_credential(self, principal: Principal, issued_at: float) -> None:
        """A person's token or session stops working the moment they are deactivated (see
        backend/org/credentials.py for why this reads the database on every such request)."""
        assert principal.employee_id is not None
        async with self.unit_of_work.tenant(principal.tenant) as session:
            reason = await self.credential_refusal(session, principal.employee_id, issued_at)
        if reason is not None:
            raise NotAuthorizedException(reason, headers=CHALLENGE)

    async def principal_from_claims(self, claims: TokenClaims) -> Principal:
        tenant = await self.registry.get(claims.tenant_slug)
        if tenant is None:
            raise NotFoundException(f"tenant {claims.tenant_slug!r} does not exist")
        if tenant.id != claims.tenant_id:
            # Same slug, different tenant: the token predates an archive and re-creation.
            raise NotAuthorizedException("the bearer token belongs to another tenant", headers=CHALLENGE)
        if tenant.status != TenantStatus.ACTIVE:
            raise TenantUnavailable(tenant.slug, tenant.status)
        if unknown := set(claims.roles) - _KNOWN_ROLES:
            raise NotAuthorizedException(f"unknown roles in token: {sorted(unknown)}", headers=CHALLENGE)
        scopes = frozenset(Scope(s) for s in claims.scopes if s in _KNOWN_SCOPES)
        if claims.client_id is not None:
            # A partner's token never carries more than the allow-list, whatever it was minted with.
            scopes &= PARTNER_SCOPES
        return Principal(
            tenant=tenant,
            subject=claims.subject,
            employee_id=claims.employee_id,
            roles=frozenset(UserRole(r) for r in claims.roles),
            scopes=scopes,
            client_id=claims.client_id,
        )
