"""Authentication: the tenant comes from the verified token or session, never from the request."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from backend.auth.portal_sessions import SESSION_COOKIE
from backend.auth.principal import Principal, Scope, UserRole
from backend.auth.tokens import InvalidTokenError, TokenClaims
from backend.state import Services, services_of
from tenants.models import TenantStatus

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="crosswalk"'}
_KNOWN_SCOPES = {s.value for s in Scope}
_KNOWN_ROLES = {r.value for r in UserRole}


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """A bearer token (CLI, partner app, portal front end) or the session cookie of an SSO login."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        services = services_of(connection.app)
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if header:
            if scheme.lower() != "bearer" or not token.strip():
                raise NotAuthorizedException("a bearer token is required", headers=_CHALLENGE)
            try:
                claims = services.signer.verify(token.strip())
            except InvalidTokenError as exc:
                raise NotAuthorizedException(str(exc), headers=_CHALLENGE) from exc
            if claims.client_id is not None and await services.revocations.is_revoked(claims.client_id):
                raise NotAuthorizedException("the partner client has been revoked", headers=_CHALLENGE)
            if claims.session is not None and not await services.portal_sessions.is_live(claims.session):
                raise NotAuthorizedException("the session has ended; sign in again", headers=_CHALLENGE)
            credential = token.strip()
        elif session_id := connection.cookies.get(SESSION_COOKIE):
            session = await services.portal_sessions.get(session_id)
            if session is None:
                raise NotAuthorizedException("the session has ended; sign in again", headers=_CHALLENGE)
            claims, credential = session.claims(), session_id
        else:
            raise NotAuthorizedException("a bearer token is required", headers=_CHALLENGE)
        principal = await principal_from_claims(services, claims)
        structlog.contextvars.bind_contextvars(tenant=principal.tenant.slug)
        return AuthenticationResult(user=principal, auth=credential)


async def principal_from_claims(services: Services, claims: TokenClaims) -> Principal:
    tenant = await services.registry.get(claims.tenant_slug)
    if tenant is None:
        raise NotFoundException(f"tenant {claims.tenant_slug!r} does not exist")
    if tenant.id != claims.tenant_id:
        # Same slug, different tenant: the token predates an archive and re-creation.
        raise NotAuthorizedException("the bearer token belongs to another tenant", headers=_CHALLENGE)
    if tenant.status != TenantStatus.ACTIVE:
        raise PermissionDeniedException(f"tenant {tenant.slug!r} is {tenant.status.value}")
    if unknown := set(claims.roles) - _KNOWN_ROLES:
        raise NotAuthorizedException(f"unknown roles in token: {sorted(unknown)}", headers=_CHALLENGE)
    return Principal(
        tenant=tenant,
        subject=claims.subject,
        employee_id=claims.employee_id,
        roles=frozenset(UserRole(r) for r in claims.roles),
        scopes=frozenset(Scope(s) for s in claims.scopes if s in _KNOWN_SCOPES),
        client_id=claims.client_id,
    )


async def scope_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Every authenticated route must name the scope it needs; a route that names none is closed.
    Async so that Litestar runs it on the loop: a sync guard would cost a thread hop per request."""
    # OPTIONS (answered by Litestar itself) only lists allowed methods, and is not authenticated.
    if handler.opt.get("exclude_from_auth") or connection.scope.get("method") == "OPTIONS":
        return
    needed = handler.opt.get("scope")
    principal = connection.user
    if not isinstance(principal, Principal):
        raise NotAuthorizedException("a bearer token is required", headers=_CHALLENGE)
    if not isinstance(needed, Scope):
        raise PermissionDeniedException("this route declares no scope and is closed")
    if needed not in principal.scopes:
        raise PermissionDeniedException(f"the token lacks the scope {needed.value!r}")


def principal_employee(principal: Principal) -> uuid.UUID:
    if principal.employee_id is None:
        raise PermissionDeniedException("this route is for a signed-in employee")
    return principal.employee_id
