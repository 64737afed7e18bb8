"""The consultants' console: SQLAdmin, mounted at /admin in the API's own ASGI app.

The plugin gets the engine (its `sessionmaker=` argument is broken in 0.2.0) and the session maker is
set afterwards: control-plane views use plain sessions of the serving role, tenant views sessions
pinned to the chosen tenant (admin/views/base.py). Every form carries a CSRF token (asgi-csrf,
signed double-submit cookie), checked before SQLAdmin sees the request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asgi_csrf import asgi_csrf
from redis.asyncio import Redis
from sqladmin import BaseView, expose
from sqladmin_litestar_plugin import SQLAdminPlugin
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from admin import audit
from admin.auth import ConsoleAuth
from admin.context import consultant_of, current_tenant
from admin.errors import ErrorPages, ServerErrors
from admin.i18n import (
    LANGUAGES,
    N_,
    ConsoleLanguage,
    ConsoleLanguages,
    current_language,
    gettext,
    language_switch,
    ngettext,
)
from admin.views.base import RefusalStatus, current_csrftoken, readable
from admin.views.operations import OPERATION_VIEWS
from admin.views.platform import PLATFORM_VIEWS
from admin.views.portfolio import PORTFOLIO_VIEWS
from admin.views.tenant_data import TENANT_VIEWS
from backend.api.problems import UNAVAILABLE_ERRORS, database_unavailable, log_unavailable
from backend.auth.ratelimits import RateLimiter
from backend.auth.revocations import ClientRevocations
from backend.auth.secretbox import SecretBox
from backend.core.unit_of_work import UnitOfWork
from backend.settings import Settings
from backend.sso.oidc import RelyingParty

BASE_PATH = "/admin"
TEMPLATES = Path(__file__).resolve().parent / "templates"
# The console's own script (console.js): the pages' CSP runs no inline script.
STATIC = Path(__file__).resolve().parent / "static"


class SwitchTenantView(BaseView):
    """The tenant switcher's form posts here; the choice is kept in the console session."""

    name = "Switch client company"
    auth: ConsoleAuth
    unit_of_work: UnitOfWork

    def is_visible(self, request: Request) -> bool:
        return False

    @expose("/switch-tenant", methods=["POST"], identity="switch-tenant")
    async def switch(self, request: Request) -> Response:
        consultant = consultant_of(request)
        slug = str((await request.form()).get("tenant", "")).strip()
        tenant = consultant.tenants.get(slug)
        async with self.unit_of_work.control() as session:
            if tenant is None:
                await audit.record(session, consultant, "tenant.switch_refused", target=f"tenant {slug}"[:300])
            else:
                await audit.record(session, consultant, "tenant.switch", tenant_id=tenant.id, target=f"tenant {slug}")
        if tenant is None:
            raise HTTPException(403, f"The client company {slug!r} is not assigned to you.")
        await self.auth.choose_tenant(request, tenant.slug)
        return RedirectResponse(str(request.url_for("admin:view-dashboard")), status_code=303)


class CsrfTokenForTemplates:
    """Hands asgi-csrf's token of this request to the forms SQLAdmin renders (a context variable, since
    WTForms builds them without the request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "csrftoken" in scope:
            token = current_csrftoken.set(scope["csrftoken"]())
            try:
                await self.app(scope, receive, send)
            finally:
                current_csrftoken.reset(token)
            return
        await self.app(scope, receive, send)


def _for_this_app(view: type[Any], **attributes: Any) -> type[Any]:
    """A subclass of `view` for one app. SQLAdmin keeps its state (session maker, admin, templates) on
    the view classes, and so do we (the app's collaborators a view uses): a subclass per app keeps two
    apps in one process (tests do that) from taking each other's."""
    return type(view.__name__, (view,), {"__module__": view.__module__, **attributes})


def build_console(
    *,
    settings: Settings,
    unit_of_work: UnitOfWork,
    redis: Redis,
    secretbox: SecretBox,
    relying_party: RelyingParty,
    rate_limiter: RateLimiter,
    revocations: ClientRevocations,
) -> SQLAdminPlugin:
    """The console, with the app's collaborators: the views get theirs as class attributes (SQLAdmin
    makes the view objects itself)."""
    auth = ConsoleAuth(
        settings=settings,
        unit_of_work=unit_of_work,
        redis=redis,
        relying_party=relying_party,
        rate_limiter=rate_limiter,
        secretbox=secretbox,
        base_path=BASE_PATH,
    )
    # What the views use, set on each view class (each declares those it reads).
    collaborators = {
        "database": unit_of_work.database,
        "secretbox": secretbox,
        "unit_of_work": unit_of_work,
        "relying_party": relying_party,
        "revocations": revocations,
    }
    views: list[Any] = [
        _for_this_app(view, **collaborators)
        for view in (*OPERATION_VIEWS, *TENANT_VIEWS, *PORTFOLIO_VIEWS, *PLATFORM_VIEWS)
    ]
    views.append(_for_this_app(SwitchTenantView, unit_of_work=unit_of_work, auth=auth))
    # Errors and refusals shown inside the console's frame with a way back (admin/errors.py).
    pages = ErrorPages()
    plugin = SQLAdminPlugin(
        views=views,
        engine=unit_of_work.database.engine,
        base_url=BASE_PATH,
        title=N_("Crosswalk console"),
        templates_dir=str(TEMPLATES),
        authentication_backend=auth,
        middlewares=[
            # The consultant's language, for every page (the sign-in's too): admin/i18n.py.
            Middleware(ConsoleLanguage, catalogues=ConsoleLanguages()),
            Middleware(
                asgi_csrf,
                signing_secret=secretbox.derive("console-csrf"),
                # asgi-csrf lets a POST without cookies through; a forged cross-site sign-in has none.
                # (Either spelling of the path, as the mount passes it.)
                always_protect={"/login", f"{BASE_PATH}/login"},
                cookie_path=BASE_PATH,
                cookie_secure=settings.environment == "prod",
                cookie_samesite="Strict",
            ),
            Middleware(CsrfTokenForTemplates),
            Middleware(RefusalStatus),
            Middleware(ServerErrors, pages=pages),
        ],
    )
    admin = plugin.admin
    admin.session_maker = async_sessionmaker(unit_of_work.database.engine, expire_on_commit=False)
    admin.is_async = True
    admin.admin.router.routes.extend(auth.routes())
    # SQLAdmin's sign-out answers a GET; ours shows a form on GET and signs out on its POST. The route
    # keeps SQLAdmin's name, which its templates link to.
    admin.admin.router.routes = [
        Route("/logout", endpoint=auth.sign_out, methods=["GET", "POST"], name="logout")
        if isinstance(route, Route) and route.name == "logout"
        else route
        for route in admin.admin.router.routes
    ]
    admin.admin.router.routes.append(
        Route("/language", endpoint=language_switch(BASE_PATH), methods=["POST"], name="language")
    )
    admin.admin.router.routes.append(Mount("/console-static", app=StaticFiles(directory=STATIC), name="console-static"))
    # A database that cannot serve is a 503 here too, on the sign-in page, saying when to come back.
    retry_after = settings.db_unavailable_retry_after_seconds

    async def unavailable(request: Request, exc: Exception) -> Response:
        if database_unavailable(exc) is None:
            raise exc
        log_unavailable(request.url.path, exc)
        message = "The database is unavailable for a moment; try again shortly."
        return await auth.page(request, message, 503, retry_after)

    errors: tuple[type[Exception], ...] = (DBAPIError, *UNAVAILABLE_ERRORS)
    for error in errors:
        admin.admin.add_exception_handler(error, unavailable)
    admin.templates.env.globals["console_auth"] = auth
    # One gettext for the console's strings and SQLAdmin's, in the request's language (admin/i18n.py).
    admin.templates.env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    admin.templates.env.globals["console_languages"] = LANGUAGES
    admin.templates.env.globals["current_language"] = current_language.get
    pages.templates, pages.auth = admin.templates, auth
    admin.admin.add_exception_handler(HTTPException, pages.http_exception)
    admin.templates.env.globals["current_tenant"] = current_tenant.get
    # The console's own pages show values as its lists and details do (times to the minute, "-").
    admin.templates.env.filters["readable"] = readable
    auth.templates = admin.templates
    return plugin
