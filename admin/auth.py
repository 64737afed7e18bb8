"""Consultant sign-in: the platform's own OpenID provider (the same relying party and login protocol
as a tenant's SSO, backend/sso), or a password with a TOTP code for the dev run; sessions in Redis.

`authenticate` runs before every console page: it resolves the session, the platform user as they
are now (deactivated people and withdrawn assignments take effect at once), and the tenant chosen in
the switcher, which must be one the person may act for.
"""

from __future__ import annotations

import math
import time
from typing import Any

import structlog
from redis.asyncio import Redis
from sqladmin.authentication import AuthenticationBackend
from sqladmin.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from admin import audit
from admin.context import current_tenant
from admin.lockouts import Lock, LockoutsUnavailableError, SignInLockouts
from admin.sessions import CONSOLE_COOKIE, ConsoleSession, ConsoleSessions
from admin.users import Consultant, PlatformUserService, SignInError
from backend.auth.ratelimits import Limit, RateLimitedError, RateLimiter, client_address
from backend.auth.secretbox import SecretBox
from backend.core.unit_of_work import UnitOfWork
from backend.errors import DomainError
from backend.identifiers import ascii_fold
from backend.settings import Settings
from backend.sso.oidc import ClientCredentials, RelyingParty
from backend.sso.service import CallbackParams, LoginError, OidcLogins, email_is_verified
from tenants.models import TenantStatus

log = structlog.get_logger()

CONSOLE_REALM = "console"
LANDING = "/portfolio"  # where a platform user lands after signing in: the portfolio of their tenants
LOGIN_BINDING_COOKIE = "crosswalk_console_login"


def _retry(seconds: int) -> str:
    if seconds < 120:
        return f"Try again in {seconds} seconds."
    return f"Try again in {math.ceil(seconds / 60)} minutes."


def _locked_message(lock: Lock) -> str:
    return f"Too many failed sign-ins: this account or address is locked. {_retry(lock.seconds)}"


def callback_path(base_path: str) -> str:
    return f"{base_path}/auth/callback"


class ConsoleAuth(AuthenticationBackend):
    def __init__(
        self,
        *,
        settings: Settings,
        unit_of_work: UnitOfWork,
        redis: Redis,
        relying_party: RelyingParty,
        rate_limiter: RateLimiter,
        secretbox: SecretBox,
        base_path: str,
    ) -> None:
        # No Starlette SessionMiddleware: the session lives in Redis, named by an opaque cookie.
        self.middlewares = []
        self.settings = settings
        # Sign-ins, sign-outs and their audit records: each one transaction on the control schema.
        self.unit_of_work = unit_of_work
        self.rate_limiter = rate_limiter
        self.secretbox = secretbox
        self.base_path = base_path
        self.sessions = ConsoleSessions(
            redis,
            idle_seconds=settings.console_session_idle_seconds,
            max_seconds=settings.console_session_max_seconds,
        )
        self.oidc = OidcLogins(redis, relying_party)
        self.lockouts = SignInLockouts(
            rate_limiter.redis,
            settings.broker_namespace,
            failures=settings.console_lockout_failures,
            address_failures=settings.console_lockout_address_failures,
            seconds=settings.console_lockout_seconds,
            max_seconds=settings.console_lockout_max_seconds,
        )
        self.secure_cookies = settings.environment == "prod"
        # Set by the console builder once SQLAdmin has made its template engine.
        self.templates: Jinja2Templates

    # What the login page offers.
    @property
    def oidc_enabled(self) -> bool:
        settings = self.settings
        return bool(settings.console_oidc_issuer and settings.console_oidc_client_id)

    @property
    def password_enabled(self) -> bool:
        return self.settings.console_password_enabled

    def _client(self) -> ClientCredentials:
        settings = self.settings
        assert settings.console_oidc_client_id is not None
        secret = settings.console_oidc_client_secret.get_secret_value() if settings.console_oidc_client_secret else ""
        return ClientCredentials(
            client_id=settings.console_oidc_client_id,
            client_secret=secret,
            redirect_uri=settings.base_url + callback_path(self.base_path),
        )

    def _users(self, session: Any) -> PlatformUserService:
        return PlatformUserService(session, self.secretbox)

    # SQLAdmin's hooks.
    async def login(self, request: Request) -> Response | bool:
        if not self.password_enabled:
            return await self.page(request, "Password sign-in is turned off; sign in with the identity provider.", 403)
        form = await request.form()
        email, password, code = (str(form.get(k, "")) for k in ("email", "password", "code"))
        address = client_address(request.scope)
        try:
            await self.rate_limiter.hit(Limit.CONSOLE_SIGN_IN_PER_ADDRESS, address)
            await self.rate_limiter.hit(Limit.CONSOLE_SIGN_IN_PER_ACCOUNT, ascii_fold(email.strip()))
            lock = await self.lockouts.lock(email, address)
        except RateLimitedError as exc:
            return await self._too_many(request, exc)
        except LockoutsUnavailableError:
            return await self.page(request, "Sign-in is unavailable for a moment; try again shortly.", 503)
        if lock.locked:
            # Refused before any check, even with the right password and code.
            await self._audit_failure(email, "locked", lock)
            return await self.page(request, _locked_message(lock), 429, lock.seconds)
        async with self.unit_of_work.control() as session:
            try:
                user = await self._users(session).verify_password(email, password, code)
            except (SignInError, DomainError) as exc:
                refused = str(exc)
            else:
                await audit.record(
                    session,
                    Consultant(user.id, user.email, user.name, user.role, {}),
                    "sign_in",
                    changes={"method": "password"},
                )
                refused = ""
        if refused:
            try:
                lock = await self.lockouts.failed(email, address)
            except LockoutsUnavailableError:
                lock = Lock(0)
            await self._audit_failure(email, "refused", lock)
            if lock.locked:
                return await self.page(request, f"{refused}. {_locked_message(lock)}", 429, lock.seconds)
            return await self.page(request, refused, 400)
        try:
            await self.lockouts.succeeded(email)
        except LockoutsUnavailableError:
            log.warning("console_lockout_not_cleared")
        session_value = ConsoleSession(user_id=user.id, email=user.email, method="password", started_at=time.time())
        return await self._signed_in(request, session_value, self.base_path + LANDING)

    async def _audit_failure(self, email: str, outcome: str, lock: Lock) -> None:
        changes: dict[str, object] = {"method": "password", "outcome": outcome}
        if lock.locked:
            changes["locked_seconds"] = lock.seconds
        async with self.unit_of_work.control() as session:
            await audit.record(session, None, "sign_in_failed", actor_email=email[:320], changes=changes)

    async def logout(self, request: Request) -> Response | bool:
        session_id = request.cookies.get(CONSOLE_COOKIE)
        ended = await self.sessions.end(session_id) if session_id else None
        target = self.base_path + "/login"
        if ended is not None:
            async with self.unit_of_work.control() as session:
                await audit.record(session, None, "sign_out", actor_email=ended.email)
            if ended.id_token and self.oidc_enabled:
                settings = self.settings
                assert settings.console_oidc_issuer is not None
                assert settings.console_oidc_client_id is not None
                target = await self.oidc.logout_url(
                    settings.console_oidc_issuer,
                    settings.console_oidc_client_id,
                    ended.id_token,
                    settings.base_url + self.base_path + "/login",
                )
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(CONSOLE_COOKIE, path=self.base_path)
        return response

    async def authenticate(self, request: Request) -> Response | bool:
        current_tenant.set(None)
        session_id = request.cookies.get(CONSOLE_COOKIE)
        console_session = await self.sessions.touch(session_id) if session_id else None
        if console_session is None:
            return False
        async with self.unit_of_work.control() as session:
            consultant = await self._users(session).consultant(console_session.user_id)
        if consultant is None:
            await self.sessions.end(session_id or "")
            return False
        request.state.consultant = consultant
        request.state.console_session = console_session
        request.state.console_session_id = session_id
        tenant = consultant.tenants.get(console_session.tenant_slug or "")
        if tenant is not None and tenant.status == TenantStatus.ACTIVE:
            current_tenant.set(tenant)
        return True

    async def get_user_id(self, request: Request) -> Any:
        consultant = getattr(request.state, "consultant", None)
        return consultant.id if consultant else None

    # The tenant switcher.
    async def choose_tenant(self, request: Request, slug: str | None) -> None:
        console_session: ConsoleSession = request.state.console_session
        console_session.tenant_slug = slug
        await self.sessions.save(request.state.console_session_id, console_session)

    # The platform's identity provider.
    async def oidc_start(self, request: Request) -> Response:
        if not self.oidc_enabled:
            return await self.page(request, "Sign-in through an identity provider is not configured.", 404)
        try:
            await self.rate_limiter.hit(Limit.CONSOLE_SIGN_IN_PER_ADDRESS, client_address(request.scope))
        except RateLimitedError as exc:
            return await self._too_many(request, exc)
        settings = self.settings
        assert settings.console_oidc_issuer is not None
        try:
            start = await self.oidc.begin(
                CONSOLE_REALM, settings.console_oidc_issuer, self._client(), self.base_path + LANDING
            )
        except LoginError as exc:
            return await self.page(request, exc.detail, 502)
        response = RedirectResponse(start.redirect_url, status_code=303)
        response.set_cookie(
            LOGIN_BINDING_COOKIE,
            start.browser_binding,
            path=self.base_path + "/auth/",
            max_age=600,
            httponly=True,
            secure=self.secure_cookies,
            samesite="lax",
        )
        return response

    async def oidc_callback(self, request: Request) -> Response:
        if not self.oidc_enabled:
            return await self.page(request, "Sign-in through an identity provider is not configured.", 404)
        settings = self.settings
        assert settings.console_oidc_issuer is not None
        params = CallbackParams.from_query(request.query_params)
        try:
            login = await self.oidc.finish(
                CONSOLE_REALM,
                settings.console_oidc_issuer,
                self._client(),
                params,
                request.cookies.get(LOGIN_BINDING_COOKIE),
            )
        except LoginError as exc:
            return await self.page(request, exc.detail, 400)
        email = login.claims.get("email")
        async with self.unit_of_work.control() as session:
            try:
                verified = email_is_verified(
                    login.claims, provider_verifies_emails=settings.console_oidc_provider_verifies_emails
                )
                if not isinstance(email, str) or not verified:
                    raise SignInError("the identity provider did not vouch for an email address")
                user = await self._users(session).by_verified_email(email)
            except (SignInError, DomainError) as exc:
                await audit.record(
                    session, None, "sign_in_failed", actor_email=str(email)[:320], changes={"method": "oidc"}
                )
                return await self.page(request, str(exc), 403)
            await audit.record(
                session,
                Consultant(user.id, user.email, user.name, user.role, {}),
                "sign_in",
                changes={"method": "oidc"},
            )
        console_session = ConsoleSession(
            user_id=user.id, email=user.email, method="oidc", started_at=time.time(), id_token=login.id_token
        )
        response = await self._signed_in(request, console_session, login.return_to)
        response.delete_cookie(LOGIN_BINDING_COOKIE, path=self.base_path + "/auth/")
        return response

    async def _signed_in(self, request: Request, console_session: ConsoleSession, target: str) -> Response:
        session_id = await self.sessions.create(console_session)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            CONSOLE_COOKIE,
            session_id,
            path=self.base_path,
            max_age=self.settings.console_session_max_seconds,
            httponly=True,
            secure=self.secure_cookies,
            samesite="lax",
        )
        log.info("console_sign_in", method=console_session.method)
        return response

    async def _too_many(self, request: Request, exc: RateLimitedError) -> Response:
        return await self.page(request, f"Too many sign-in attempts. {_retry(exc.retry_after)}", 429, exc.retry_after)

    async def page(self, request: Request, error: str, status: int, retry_after: int | None = None) -> Response:
        """The sign-in page again, saying why the last attempt failed."""
        response: Response = await self.templates.TemplateResponse(
            request, "sqladmin/login.html", {"error": error}, status_code=status
        )
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    async def sign_out(self, request: Request) -> Response:
        """SQLAdmin's /logout, which it answers on GET: here a GET only shows a form, and the form's POST
        (checked by asgi-csrf, as every POST of the console) signs out."""
        if request.method != "POST":
            page: Response = await self.templates.TemplateResponse(request, "console/sign_out.html", {})
            return page
        response = await self.logout(request)
        assert isinstance(response, Response)
        return response

    def routes(self) -> list[Route]:
        return [
            Route("/auth/start", endpoint=self.oidc_start, methods=["GET"]),
            Route("/auth/callback", endpoint=self.oidc_callback, methods=["GET"]),
        ]
