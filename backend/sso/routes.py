"""The portal's sign-in: /auth/<tenant>/login, the provider's callback, logout, and the session.

These routes are outside the bearer middleware: a person arrives here without credentials. Errors
are problem+json, or a short HTML page for a browser that asks for HTML.
"""

from __future__ import annotations

import dataclasses
import html
from http import HTTPStatus
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody, Parameter
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.problems import PROBLEM_JSON, problem_response, problem_spec
from backend.api.query import ANY_QUERY
from backend.auth.portal_sessions import SESSION_COOKIE, PortalSession, PortalSessions, session_hash
from backend.auth.principal import Principal, Scope
from backend.auth.same_origin import cross_site_refusal
from backend.auth.secretbox import SecretBox
from backend.auth.tokens import TokenSigner
from backend.core.unit_of_work import UnitOfWork
from backend.settings import Settings
from backend.sso.models import IdentityProvider
from backend.sso.oidc import RelyingParty
from backend.sso.schemas import IdentityProviderRead, IdentityProviderWrite, PortalToken, RoleMapping, SessionRead
from backend.sso.service import (
    CallbackParams,
    IdentityProviderService,
    LoginError,
    LoginFailure,
    SsoLogins,
    callback_url,
    logged_out_url,
    login_url,
)
from tenants.models import TenantStatus
from tenants.registry import TenantRegistry
from tenants.sessions import TenantRef
from tenants.slugs import SLUG_PATTERN

LOGIN_BINDING_COOKIE = "crosswalk_login"
TenantSlug = Annotated[
    str,
    Parameter(pattern=SLUG_PATTERN.pattern, max_length=30, description="The company's tenant name, as in its URLs."),
]
_STATUS = {
    LoginFailure.BAD_REQUEST: 400,
    LoginFailure.BAD_TOKEN: 401,
    LoginFailure.REFUSED: 403,
    LoginFailure.NOT_CONFIGURED: 404,
    LoginFailure.PROVIDER_DOWN: 502,
}
_PUBLIC = {"exclude_from_auth": True}
_REDIRECT = ResponseSpec(data_container=None, description="Redirects the browser (Location header).")
_LOGIN_ERRORS = {
    400: problem_spec(400, "The login response is incomplete, stale, or from another login or provider."),
    401: problem_spec(401, "The provider's code or id_token failed a check."),
    403: problem_spec(403, "The provider refused, or the person may not sign in to this company."),
    404: problem_spec(404, "No active company with SSO under this name."),
    502: problem_spec(502, "The company's identity provider cannot be reached."),
}
_NOBODY = {401: problem_spec(401, "Nobody is signed in.")}
_CROSS_SITE = {403: problem_spec(403, "The request does not come from a page of this site.")}


def _secure_cookies(settings: Settings) -> bool:
    return settings.environment == "prod"


def _error(request: Request[Any, Any, Any], status: int, detail: str, what: str = "Sign-in") -> Response[Any]:
    accept = request.headers.get("accept", "")
    if "text/html" in accept and PROBLEM_JSON not in accept:
        title = HTTPStatus(status).phrase
        body = (
            f"<!doctype html><html lang=en><meta charset=utf-8><title>{what} failed</title>"
            f"<h1>{what} failed: {html.escape(title)}</h1><p>{html.escape(detail)}</p>"
            f"<p>Nothing was changed. Start again from your company's portal.</p></html>"
        )
        return Response(body, status_code=status, media_type="text/html")
    return problem_response(status, detail)


class SignInProviders:
    """The company a sign-in names, and its identity provider."""

    def __init__(self, registry: TenantRegistry, unit_of_work: UnitOfWork, secretbox: SecretBox) -> None:
        self.registry = registry
        self.unit_of_work = unit_of_work
        self.secretbox = secretbox

    async def tenant(self, slug: str) -> TenantRef | None:
        return await self.registry.get(slug)

    async def provider(self, tenant: TenantRef) -> IdentityProvider | None:
        async with self.unit_of_work.control() as session:
            return await IdentityProviderService(session, tenant.id, self.secretbox).find()

    async def active(self, slug: str) -> tuple[TenantRef, IdentityProvider]:
        """An active company's enabled provider, or a LoginError."""
        tenant = await self.tenant(slug)
        if tenant is None or tenant.status != TenantStatus.ACTIVE:
            raise LoginError(LoginFailure.NOT_CONFIGURED, f"no active company {slug!r} signs in here")
        provider = await self.provider(tenant)
        if provider is None or not provider.enabled:
            raise LoginError(LoginFailure.NOT_CONFIGURED, f"single sign-on is not set up for {slug!r}")
        return tenant, provider


class SsoController(Controller):
    path = "/auth"
    tags = ["Sign-in"]

    @get(
        "/{tenant_slug:str}/login",
        opt=_PUBLIC,
        status_code=303,
        summary="Start single sign-on at the company's identity provider",
        responses={303: _REDIRECT, **_LOGIN_ERRORS},
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        sign_in_providers: NamedDependency[SignInProviders],
        sso_logins: NamedDependency[SsoLogins],
        settings: NamedDependency[Settings],
        tenant_slug: TenantSlug,
        return_to: FromQuery[str | None] = None,
    ) -> Response[Any]:
        try:
            tenant, provider = await sign_in_providers.active(tenant_slug)
            start = await sso_logins.begin(tenant, provider, return_to)
        except LoginError as exc:
            return _error(request, _STATUS[exc.failure], exc.detail)
        response: Response[Any] = Redirect(start.redirect_url, status_code=303)
        response.set_cookie(
            LOGIN_BINDING_COOKIE,
            start.browser_binding,
            path=f"/auth/{tenant.slug}/",
            max_age=600,
            httponly=True,
            secure=_secure_cookies(settings),
            samesite="lax",
        )
        return response

    @get(
        "/{tenant_slug:str}/callback",
        # The provider writes this query string (code, state, iss, and what else it likes).
        opt={**_PUBLIC, ANY_QUERY: True},
        status_code=303,
        summary="Where the identity provider sends the browser back",
        responses={303: _REDIRECT, **_LOGIN_ERRORS},
    )
    async def callback(
        self,
        request: Request[Any, Any, Any],
        sign_in_providers: NamedDependency[SignInProviders],
        sso_logins: NamedDependency[SsoLogins],
        portal_sessions: NamedDependency[PortalSessions],
        settings: NamedDependency[Settings],
        tenant_slug: TenantSlug,
        unit_of_work: NamedDependency[UnitOfWork],
    ) -> Response[Any]:
        params = CallbackParams.from_query(request.query_params)
        try:
            tenant, provider = await sign_in_providers.active(tenant_slug)
            async with unit_of_work.tenant(tenant) as session:
                completed = await sso_logins.complete(
                    tenant, provider, params, request.cookies.get(LOGIN_BINDING_COOKIE), session
                )
        except LoginError as exc:
            response = _error(request, _STATUS[exc.failure], exc.detail)
            response.delete_cookie(LOGIN_BINDING_COOKIE, path=f"/auth/{tenant_slug}/")
            return response
        session_id = await portal_sessions.create(completed.session)
        response = Redirect(completed.return_to, status_code=303)
        response.delete_cookie(LOGIN_BINDING_COOKIE, path=f"/auth/{tenant.slug}/")
        response.set_cookie(
            SESSION_COOKIE,
            session_id,
            path="/",
            max_age=portal_sessions.ttl_seconds,
            httponly=True,
            secure=_secure_cookies(settings),
            samesite="lax",
        )
        return response

    @get(
        "/{tenant_slug:str}/logout",
        opt=_PUBLIC,
        summary="A page that asks to sign out (signing out itself is the POST)",
        media_type="text/html",
    )
    async def logout_page(self, tenant_slug: TenantSlug) -> str:
        # A GET changes nothing: a link or an image on another site must not end anyone's session.
        action = html.escape(f"/auth/{tenant_slug}/logout")
        return (
            "<!doctype html><html lang=en><meta charset=utf-8><title>Sign out</title>"
            "<h1>Sign out?</h1>"
            f'<form method="post" action="{action}"><button type="submit">Sign out</button></form></html>'
        )

    @post(
        "/{tenant_slug:str}/logout",
        opt=_PUBLIC,
        status_code=303,
        summary="Sign out (also at the identity provider)",
        description="Only from a page of this site (its `Origin`, else `Referer`): another site cannot sign "
        "anyone out.",
        responses={303: _REDIRECT, **_CROSS_SITE},
    )
    async def logout(
        self,
        request: Request[Any, Any, Any],
        sign_in_providers: NamedDependency[SignInProviders],
        sso_logins: NamedDependency[SsoLogins],
        portal_sessions: NamedDependency[PortalSessions],
        settings: NamedDependency[Settings],
        tenant_slug: TenantSlug,
    ) -> Response[Any]:
        if refused := _cross_site(request, settings.base_url):
            return refused
        session_id = request.cookies.get(SESSION_COOKIE)
        ended = await portal_sessions.end(session_id) if session_id else None
        target = logged_out_url(settings.base_url, tenant_slug)
        tenant = await sign_in_providers.tenant(tenant_slug)
        if ended is not None and tenant is not None and ended.tenant_slug == tenant.slug:
            provider = await sign_in_providers.provider(tenant)
            target = await sso_logins.logout_redirect(tenant, provider, ended.id_token)
        response: Response[Any] = Redirect(target, status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get(
        "/{tenant_slug:str}/logged-out",
        # The provider comes back here with its own query string (the `state` of RP-initiated logout).
        opt={**_PUBLIC, ANY_QUERY: True},
        summary="Signed out",
        media_type="text/html",
    )
    async def logged_out(self, tenant_slug: TenantSlug) -> str:
        return (
            "<!doctype html><html lang=en><meta charset=utf-8><title>Signed out</title>"
            "<h1>You are signed out</h1>"
            f'<p><a href="/auth/{html.escape(tenant_slug)}/login">Sign in again</a></p></html>'
        )

    @get(
        "/session",
        opt=_PUBLIC,
        summary="Who is signed in (the portal session cookie)",
        responses={200: ResponseSpec(SessionRead, description="The signed-in person."), **_NOBODY},
    )
    async def session(
        self, request: Request[Any, Any, Any], portal_sessions: NamedDependency[PortalSessions]
    ) -> Response[Any]:
        portal = await _current_session(request, portal_sessions)
        if portal is None:
            return problem_response(401, "nobody is signed in")
        return Response(
            SessionRead(
                tenant=portal.tenant_slug,
                employee_id=str(portal.employee_id),
                subject=portal.subject,
                roles=list(portal.roles),
                scopes=list(portal.scopes),
            )
        )

    @post(
        "/session/token",
        opt=_PUBLIC,
        status_code=200,
        summary="A bearer token for the portal front end, from the session",
        description="Only from a page of this site (its `Origin`, else `Referer`).",
        responses={200: ResponseSpec(PortalToken, description="A bearer token."), **_NOBODY, **_CROSS_SITE},
    )
    async def session_token(
        self,
        request: Request[Any, Any, Any],
        portal_sessions: NamedDependency[PortalSessions],
        signer: NamedDependency[TokenSigner],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        if refused := _cross_site(request, settings.base_url):
            return refused
        portal = await _current_session(request, portal_sessions)
        if portal is None:
            return problem_response(401, "nobody is signed in")
        # Bound to the session: never longer than it, and refused as soon as it ends (logout).
        session_id = request.cookies[SESSION_COOKIE]
        remaining = await portal_sessions.remaining_seconds(session_id)
        ttl = max(1, min(settings.token_ttl_seconds, remaining))
        claims = dataclasses.replace(portal.claims(), session=session_hash(session_id))
        token = signer.mint(claims, ttl)
        return Response(
            PortalToken(access_token=token, token_type="Bearer", expires_in=ttl),  # noqa: S106
            headers={"Cache-Control": "no-store"},
        )


def _cross_site(request: Request[Any, Any, Any], public_url: str) -> Response[Any] | None:
    """The refusal of a cookie-authenticated POST that does not come from a page of this site
    (backend/auth/same_origin.py), or None."""
    reason = cross_site_refusal(request.headers, public_url)
    return None if reason is None else _error(request, 403, reason, "Request")


async def _current_session(request: Request[Any, Any, Any], portal_sessions: PortalSessions) -> PortalSession | None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    return await portal_sessions.get(session_id)


def provider_read(provider: IdentityProvider, tenant: TenantRef, base_url: str) -> IdentityProviderRead:
    """The settings as the API and the HR workspace's page show them: never the secret, only whether one
    is stored; with the addresses the company's IT registers at its provider."""
    return IdentityProviderRead(
        issuer=provider.issuer,
        client_id=provider.client_id,
        client_secret_set=bool(provider.client_secret_encrypted),
        allowed_domains=list(provider.allowed_domains),
        groups_claim=provider.groups_claim,
        role_mapping=RoleMapping(
            manager=list(provider.role_mapping.get("manager", [])),
            hr_admin=list(provider.role_mapping.get("hr_admin", [])),
        ),
        provider_verifies_emails=provider.provider_verifies_emails,
        enabled=provider.enabled,
        redirect_uri=callback_url(base_url, tenant.slug),
        post_logout_redirect_uri=logged_out_url(base_url, tenant.slug),
        login_url=login_url(base_url, tenant.slug),
        created_at=provider.created_at,
        updated_at=provider.updated_at,
    )


class IdentityProviderController(Controller):
    """The tenant's own SSO settings, for its HR admins (consultants use `crosswalk sso`)."""

    path = "/identity-provider"
    tags = ["Identity"]

    @get("/", opt={"scope": Scope.IDENTITY_ADMIN}, summary="The company's SSO settings (never the secret)")
    async def get_provider(
        self,
        control_db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        secretbox: NamedDependency[SecretBox],
        settings: NamedDependency[Settings],
    ) -> IdentityProviderRead:
        provider = await IdentityProviderService(control_db, principal.tenant.id, secretbox).get()
        return provider_read(provider, principal.tenant, settings.base_url)

    @put("/", opt={"scope": Scope.IDENTITY_ADMIN}, summary="Configure SSO (the issuer is checked by discovery)")
    async def put_provider(
        self,
        control_db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        secretbox: NamedDependency[SecretBox],
        relying_party: NamedDependency[RelyingParty],
        settings: NamedDependency[Settings],
        data: JSONBody[IdentityProviderWrite],
    ) -> IdentityProviderRead:
        service = IdentityProviderService(control_db, principal.tenant.id, secretbox)
        provider = await service.configure(data, relying_party)
        return provider_read(provider, principal.tenant, settings.base_url)

    @delete("/", opt={"scope": Scope.IDENTITY_ADMIN}, summary="Remove the SSO settings")
    async def delete_provider(
        self,
        control_db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        secretbox: NamedDependency[SecretBox],
    ) -> None:
        await IdentityProviderService(control_db, principal.tenant.id, secretbox).remove()
