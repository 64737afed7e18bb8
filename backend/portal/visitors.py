"""Who is on a portal page: the signed-in person (the `Principal` of their portal session, by the same
`Principals` the API's middleware asks), or a visitor not signed in.

The portal's routes are outside the API's bearer middleware, because a page answers a person who is
not signed in with a way to sign in (the company form, or their company's SSO and back to the page they
were on), never with a bare 401. Its guard puts the principal where the middleware would
(`request.user`) and then applies the API's own scope guard: a page declares the scope it needs, as an
API route does, and the domain services called with the principal apply the same rules.

Pages are for browsers: a request that does not ask for HTML and is not signed in gets the API's
answer (401 with a challenge), so nothing of the portal answers a script without credentials.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.types import Guard

from backend.api.query import refuse_unknown_query
from backend.auth.middleware import scope_guard
from backend.auth.portal_sessions import SESSION_COOKIE, PortalSession, PortalSessions
from backend.auth.principal import Principal
from backend.auth.principals import CHALLENGE, Principals, TenantUnavailable
from backend.sso.service import DEFAULT_RETURN_TO, LoginError, safe_return_to
from tenants.models import TenantStatus
from tenants.slugs import SLUG_PATTERN

# The company a browser last signed in to (not a secret: it names where to sign in again when the
# session has ended, since an ended session no longer says whose it was).
COMPANY_COOKIE = "crosswalk_company"
# A page a visitor not signed in may open (the company form, the language switch).
PUBLIC_PAGE = "portal_public"
# Where the portal keeps the visitor's session for the page (None when not signed in).
SESSION_KEY = "portal_session"


class SignInRequired(NotAuthorizedException):
    """The page needs a signed-in person: the portal's handler sends a browser through SSO and back."""

    def __init__(self, return_to: str) -> None:
        super().__init__("sign in to see this page", headers=CHALLENGE)
        self.return_to = return_to


class CompanyUnavailable(PermissionDeniedException):
    """A signed-in person's company is not active (suspended, archived): the API's 403, which the
    portal's handler answers a browser with a page saying so in the person's language."""

    def __init__(self, status: TenantStatus) -> None:
        super().__init__(f"the company is {status.value}")
        self.status = status


class PageNotPermitted(PermissionDeniedException):
    """A signed-in person whose roles do not give the scope a page needs: the API's 403, which the
    portal's handler answers a browser with the refusal page, in the person's language."""


def wants_html(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return "text/html" in connection.headers.get("accept", "")


def page_path(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The path and query of the page asked for: where to come back after signing in."""
    query = connection.scope.get("query_string", b"").decode("latin-1")
    return connection.scope["path"] + (f"?{query}" if query else "")


def company_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    slug = connection.cookies.get(COMPANY_COOKIE)
    return slug if slug and SLUG_PATTERN.fullmatch(slug) else None


def sign_in_url(company: str | None, return_to: str) -> str:
    """The company's SSO, coming back to `return_to`; without a known company, the company form."""
    if company is None:
        return "/?" + urlencode({"return_to": return_to})
    return f"/auth/{quote(company)}/login?" + urlencode({"return_to": return_to})


def safe_return_path(value: str | None) -> str:
    """Only a path of this site, by the sign-in's own rule (else the portal's home page): a link must
    not send a person elsewhere."""
    try:
        return safe_return_to(value)
    except LoginError:
        return DEFAULT_RETURN_TO


def portal_guard(principals: Principals, portal_sessions: PortalSessions) -> Guard:
    """The guard of every portal route: finds who is signed in, then applies the API's scope guard."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        # A query parameter the page does not take is refused before anything else, as on every route
        # (the app's hook for it runs after the guards).
        refuse_unknown_query(connection, handler)
        try:
            session, principal = await _signed_in(connection, principals, portal_sessions)
        except TenantUnavailable as exc:
            # The company is suspended (or archived): a program gets the API's 403; a browser a page
            # saying so, in the person's language (their session's, kept for it); the public pages
            # (the language switch) still answer, as to a visitor not signed in.
            connection.scope["user"] = None
            if not wants_html(connection):
                raise
            if handler.opt.get(PUBLIC_PAGE):
                return
            raise CompanyUnavailable(exc.status) from exc
        connection.scope["user"] = principal
        connection.scope.setdefault("state", {})[SESSION_KEY] = session
        if principal is None:
            if not wants_html(connection):
                raise NotAuthorizedException("sign in through your company's portal", headers=CHALLENGE)
            if handler.opt.get(PUBLIC_PAGE):
                return
            raise SignInRequired(page_path(connection))
        if handler.opt.get(PUBLIC_PAGE):
            return
        try:
            await scope_guard(connection, handler)
        except PermissionDeniedException as exc:
            # A program gets the API's 403 as it is; a browser the refusal page with the same status.
            if not wants_html(connection):
                raise
            raise PageNotPermitted(exc.detail) from exc

    return guard


async def _signed_in(
    connection: ASGIConnection[Any, Any, Any, Any], principals: Principals, portal_sessions: PortalSessions
) -> tuple[PortalSession | None, Principal | None]:
    session_id = connection.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None, None
    session = await portal_sessions.get(session_id)
    if session is None:
        return None, None
    # The session's language serves even a refusal (a suspended company's page).
    connection.scope.setdefault("state", {})[SESSION_KEY] = session
    try:
        principal = await principals.of_claims(session.claims())
    except NotAuthorizedException:
        # Ended for this person (deactivated since): signing in again says why.
        return None, None
    return session, principal
