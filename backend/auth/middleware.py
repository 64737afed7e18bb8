"""Authentication: the tenant comes from the verified token or session, never from the request.

Two checks read records that domains own (a partner client's, an employee's); the edge kit imports no
domain, so the composition root passes those reads in (`ClientRevokedOnRecord` here, `CredentialRefusal`
through `Principals`, backend/auth/principals.py, which the portal's pages share), and the middleware
only opens the transaction they run in and turns their answer into a 401.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

import structlog
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.types import ASGIApp
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.portal_sessions import SESSION_COOKIE, PortalSessions
from backend.auth.principal import Principal, Scope
from backend.auth.principals import CHALLENGE, Principals
from backend.auth.revocations import ClientRevocations
from backend.auth.same_origin import UNSAFE_METHODS, body_refusal, cross_site_refusal
from backend.auth.tokens import InvalidTokenError, TokenSigner
from backend.core.unit_of_work import UnitOfWork

_CHALLENGE = CHALLENGE


class ClientRevokedOnRecord(Protocol):
    """Whether a partner client's record (on a control session) says it may no longer call: revoked,
    or gone. Answered by backend.partners, which owns the record."""

    async def __call__(self, session: AsyncSession, client_id: str, /) -> bool: ...


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """A bearer token (CLI, partner app, portal front end) or the session cookie of an SSO login."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        signer: TokenSigner,
        revocations: ClientRevocations,
        portal_sessions: PortalSessions,
        unit_of_work: UnitOfWork,
        client_revoked_on_record: ClientRevokedOnRecord,
        principals: Principals,
        public_url: str,
        exclude: list[str],
    ) -> None:
        super().__init__(app, exclude=exclude)
        self.signer = signer
        self.revocations = revocations
        self.portal_sessions = portal_sessions
        # The read of a revoked partner client, run in a transaction of its own.
        self.unit_of_work = unit_of_work
        self.client_revoked_on_record = client_revoked_on_record
        # Claims to the caller, with the tenant's and the person's refusals (shared with the portal).
        self.principals = principals
        self.public_url = public_url

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if header:
            if scheme.lower() != "bearer" or not token.strip():
                raise NotAuthorizedException("a bearer token is required", headers=_CHALLENGE)
            try:
                claims = self.signer.verify(token.strip())
            except InvalidTokenError as exc:
                raise NotAuthorizedException(str(exc), headers=_CHALLENGE) from exc
            if claims.client_id is not None and await self.partner_client_revoked(claims.client_id):
                raise NotAuthorizedException("the partner client has been revoked", headers=_CHALLENGE)
            if claims.session is not None and not await self.portal_sessions.is_live(claims.session):
                raise NotAuthorizedException("the session has ended; sign in again", headers=_CHALLENGE)
            credential = token.strip()
        elif session_id := connection.cookies.get(SESSION_COOKIE):
            # Checked before the session is even looked up: a forged request learns nothing.
            refuse_cross_site_write(connection, self.public_url)
            session = await self.portal_sessions.get(session_id)
            if session is None:
                raise NotAuthorizedException("the session has ended; sign in again", headers=_CHALLENGE)
            claims, credential = session.claims(), session_id
        else:
            raise NotAuthorizedException("a bearer token is required", headers=_CHALLENGE)
        principal = await self.principals.of_claims(claims)
        structlog.contextvars.bind_contextvars(tenant=principal.tenant.slug)
        return AuthenticationResult(user=principal, auth=credential)

    async def partner_client_revoked(self, client_id: str) -> bool:
        """Redis says so at once in every process (written even before the revoking transaction commits);
        the client's record says so for good, should Redis lose its entry (a flush, a failover)."""
        if await self.revocations.is_revoked(client_id):
            return True
        async with self.unit_of_work.control() as session:
            return await self.client_revoked_on_record(session, client_id)


def refuse_cross_site_write(connection: ASGIConnection[Any, Any, Any, Any], public_url: str) -> None:
    """A cookie-authenticated write comes from a page of our own origin, with a JSON body (see
    backend/auth/same_origin.py); a bearer token is never sent by a browser on its own, so bearer
    calls need neither."""
    if connection.scope.get("method") not in UNSAFE_METHODS:
        return
    if reason := cross_site_refusal(connection.headers, public_url):
        raise PermissionDeniedException(reason)
    if reason := body_refusal(connection.headers):
        raise HTTPException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=reason)


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
