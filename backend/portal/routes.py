"""The portal's pages: thin handlers that call the same domain services, with the same principal and
scopes, as the API routes, and render Jinja templates (Litestar's template support, with its HTMX
request and template classes).

- `/`: the company form for a visitor not signed in; the home page for a signed-in person.
- `/company`: the form's target; on to the company's SSO (`/auth/{company}/login`).
- `/home`: the person's best-matching opportunities with their reasons (`MatchServingService`, as
  `GET /api/v1/me/recommendations`).
- `/language`: the language switch (a POST form from our own pages).

Every signed-in page takes one `Visit` (the `visit` dependency, `provide_visit`): the request, its
session, its principal, the languages and the settings, with what every page does with them (render a
page with the signed-in header, the person's language, the refusal page, the same-origin wall, the
write flow).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromQuery
from litestar.plugins.htmx import ClientRedirect, HTMXDetails, HTMXRequest, HTMXTemplate
from litestar.response import Redirect, Template
from msgspec import Struct
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.middleware import principal_employee
from backend.auth.portal_sessions import PortalSession
from backend.auth.principal import Principal, Scope
from backend.auth.same_origin import cross_site_refusal
from backend.identifiers import ascii_fold
from backend.matching.serving import MatchServingService
from backend.notifications.service import NotificationService
from backend.org.models import Employee
from backend.org.service import OrgService
from backend.portal.forms import Refusal, Words, attempt, read_fields, read_form
from backend.portal.i18n import LANGUAGE_COOKIE, LANGUAGES, N_, Language, Languages
from backend.portal.visitors import (
    COMPANY_COOKIE,
    PUBLIC_PAGE,
    SESSION_KEY,
    CompanyUnavailable,
    PageNotPermitted,
    SignInRequired,
    company_of,
    page_path,
    safe_return_path,
    sign_in_url,
)
from backend.settings import Settings
from backend.sso.service import DEFAULT_RETURN_TO
from tenants.registry import TenantRegistry
from tenants.slugs import SLUG_PATTERN

HOME = DEFAULT_RETURN_TO
# A year: the company and the language are remembered choices, not credentials.
_REMEMBER_SECONDS = 365 * 24 * 3600
_PUBLIC = {PUBLIC_PAGE: True}


# Why the HR workspace refuses someone who is not HR (its door and the scope guard's page say the same).
HR_ONLY_REASON = N_("Only your company's HR admins may use the HR workspace.")


class LanguageChoice(Struct):
    language: str
    next: str = HOME


def remember(response: Response[Any], cookie: str, value: str, settings: Settings) -> None:
    """Keeps a choice of the browser's (its company, its language) in a cookie for a year."""
    response.set_cookie(
        cookie,
        value,
        max_age=_REMEMBER_SECONDS,
        httponly=True,
        secure=settings.environment == "prod",
        samesite="lax",
    )


def language_of(request: ASGIConnection[Any, Any, Any, Any], languages: Languages) -> Language:
    session: PortalSession | None = request.scope.get("state", {}).get(SESSION_KEY)
    return languages.choose(
        request.cookies.get(LANGUAGE_COOKIE),
        session.locale if session is not None else None,
        request.headers.get("accept-language"),
    )


def page(request: HTMXRequest, languages: Languages, settings: Settings, template: str, **context: Any) -> Template:
    """A page in the person's language, with what the base layout shows (who, which company, the
    language switch and sign-out). Remembers the company of a signed-in person, so that an ended
    session can send them back through its SSO."""
    language = language_of(request, languages)
    principal = request.user if isinstance(request.user, Principal) else None
    response = HTMXTemplate(
        template_name=template,
        context={
            "i18n": language,
            "language": language.code,
            "languages": LANGUAGES,
            "principal": principal,
            # Where the language switch comes back to.
            "here": page_path(request),
            **context,
        },
    )
    if principal is not None and request.cookies.get(COMPANY_COOKIE) != principal.tenant.slug:
        remember(response, COMPANY_COOKIE, principal.tenant.slug, settings)
    return response


def refuse_cross_site(request: HTMXRequest, settings: Settings) -> None:
    """Every cookie-carrying write comes from a page of this site (the same wall as sign-out's)."""
    if reason := cross_site_refusal(request.headers, settings.base_url):
        raise PermissionDeniedException(reason)


async def signed_in_header(db: AsyncSession, principal: Principal) -> tuple[Employee, int]:
    """Who is signed in and their unread notifications: what the layout's header shows."""
    me = await OrgService(db).get_employee(principal_employee(principal))
    return me, await NotificationService(db).unread_count(me.id)


@dataclass(frozen=True)
class Visit:
    """One signed-in person's request of a page, and what every page does with it: the handlers take
    this (the `visit` dependency) and their own parameters."""

    request: HTMXRequest
    db: AsyncSession
    principal: Principal
    languages: Languages
    settings: Settings

    @property
    def language(self) -> Language:
        """The person's language (their choice, their session's, else their browser's)."""
        return language_of(self.request, self.languages)

    async def header(self) -> tuple[Employee, int]:
        """Who is signed in and their unread notifications (for a page that needs `me` before rendering)."""
        return await signed_in_header(self.db, self.principal)

    async def page(self, template: str, *, status: int = 200, **context: Any) -> Template:
        """A page with the signed-in header (`me` and `unread`, read now unless given), answered `status`."""
        if "me" not in context:
            context["me"], context["unread"] = await self.header()
        response = page(self.request, self.languages, self.settings, template, **context)
        response.status_code = status
        return response

    async def refused(self, status: int, back_to: str, back_label: str, *, reason: str | None = None) -> Template:
        """The one refusal page, as the API answers: 404, what the person may not see, as if it did not
        exist; 403, not theirs (with `reason`); each with a way back (`back_to`, `back_label`)."""
        return await self.page(
            "refused.html", status=status, code=status, reason=reason, back_to=back_to, back_label=back_label
        )

    async def refuse_unless_hr(self) -> Template | None:
        """The HR workspace's door (`backend/portal/hr.py`): the refusal page (403) for anyone who is
        not HR, as the API refuses them (`require_hr`); None for HR."""
        if self.principal.is_hr:
            return None
        reason = self.language.gettext(HR_ONLY_REASON)
        return await self.refused(403, "/home", self.language.gettext("Back to your home page"), reason=reason)

    def refuse_cross_site(self) -> None:
        """The same-origin wall every POST form passes first."""
        refuse_cross_site(self.request, self.settings)

    async def form(self, *names: str, repeated: Collection[str] = ()) -> FormMultiDict:
        """The POST form's fields, after the same-origin wall (`refuse_cross_site` first): only `names`
        (and `repeated`, the ones that may come more than once), else 400 (`forms.read_fields`)."""
        return await read_fields(self.request, names, repeated=repeated)

    async def attempt(
        self, write: Callable[[], Awaitable[object]], words: Words | None = None, *, not_found_raises: bool = False
    ) -> Refusal:
        """The one write flow (`forms.attempt`): the write in a savepoint, a refusal as field errors."""
        return await attempt(self.db, write, words, not_found_raises=not_found_raises)


async def provide_visit(
    request: HTMXRequest,
    db: NamedDependency[AsyncSession],
    principal: NamedDependency[Principal],
    languages: NamedDependency[Languages],
    settings: NamedDependency[Settings],
) -> Visit:
    """The `visit` dependency of every signed-in page."""
    return Visit(request, db, principal, languages, settings)


def sign_in_again(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
    """A page that needs a signed-in person, asked by a browser that is not (or no longer) signed in:
    through the company's SSO and back to the page. htmx follows a redirect of its own request, so it
    is told to load the sign-in as a whole page instead."""
    target = sign_in_url(company_of(request), exc.return_to)
    # An exception handler gets the app's request class, so htmx's headers are read through its details.
    if HTMXDetails(request):
        return ClientRedirect(target)
    return Redirect(target, status_code=303)


def company_unavailable(languages: Languages) -> Callable[[Request[Any, Any, Any], CompanyUnavailable], Response[Any]]:
    """The page a signed-in person of a suspended (or archived) company gets instead of the API's JSON
    403: the same status, in their language, saying what happened and whom to ask."""

    def handler(request: Request[Any, Any, Any], exc: CompanyUnavailable) -> Response[Any]:
        language = language_of(request, languages)
        return HTMXTemplate(
            template_name="unavailable.html",
            context={
                "i18n": language,
                "language": language.code,
                "languages": LANGUAGES,
                "principal": None,
                "here": page_path(request),
                "status": exc.status.value,
            },
            status_code=exc.status_code,
        )

    return handler


def page_not_permitted(languages: Languages) -> Callable[[Request[Any, Any, Any], PageNotPermitted], Response[Any]]:
    """The refusal page (403) for a signed-in person whose roles do not give a page's scope, instead
    of the API's JSON: in their language, saying why, with a way back home. The HR workspace names
    who may use it."""

    def handler(request: Request[Any, Any, Any], exc: PageNotPermitted) -> Response[Any]:
        language = language_of(request, languages)
        path = request.scope["path"]
        reason = (
            language.gettext(HR_ONLY_REASON)
            if path == "/hr" or path.startswith("/hr/")
            else language.gettext("Your roles in your company do not give you this page.")
        )
        return HTMXTemplate(
            template_name="refused.html",
            context={
                "i18n": language,
                "language": language.code,
                "languages": LANGUAGES,
                "principal": request.user if isinstance(request.user, Principal) else None,
                "here": page_path(request),
                "code": 403,
                "reason": reason,
                "back_to": "/home",
                "back_label": language.gettext("Back to your home page"),
            },
            status_code=403,
        )

    return handler


class PortalController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", opt=_PUBLIC, name="portal:start")
    async def start(
        self,
        request: HTMXRequest,
        languages: NamedDependency[Languages],
        settings: NamedDependency[Settings],
        return_to: FromQuery[str | None] = None,
    ) -> Response[Any]:
        if isinstance(request.user, Principal):
            return Redirect(safe_return_path(return_to), status_code=303)
        return page(
            request,
            languages,
            settings,
            "company.html",
            company=company_of(request) or "",
            return_to=safe_return_path(return_to),
            error=None,
        )

    @get("/company", opt=_PUBLIC, name="portal:company")
    async def company(
        self,
        request: HTMXRequest,
        languages: NamedDependency[Languages],
        settings: NamedDependency[Settings],
        registry: NamedDependency[TenantRegistry],
        company: FromQuery[str] = "",
        return_to: FromQuery[str | None] = None,
    ) -> Response[Any]:
        # ASCII letters only are folded: `str.lower()` would turn a lookalike (the Kelvin sign) into `k`.
        slug = ascii_fold(company.strip())
        target = safe_return_path(return_to)
        known = SLUG_PATTERN.fullmatch(slug) is not None and await registry.get(slug) is not None
        if not known:
            language = language_of(request, languages)
            error = (
                language.gettext("Enter your company's name as it appears in its portal address.")
                if not slug
                else language.gettext("No company signs in here under that name. Check the spelling.")
            )
            response = page(
                request, languages, settings, "company.html", company=company, return_to=target, error=error
            )
            response.status_code = 422 if slug else 400
            return response
        redirect: Response[Any] = Redirect(sign_in_url(slug, target), status_code=303)
        remember(redirect, COMPANY_COOKIE, slug, settings)
        return redirect

    @get("/home", opt={"scope": Scope.MATCHING_READ}, name="portal:home")
    async def home(self, visit: NamedDependency[Visit]) -> Template:
        me, unread = await visit.header()
        recommendations = await MatchServingService(visit.db).recommendations(visit.principal)
        return await visit.page("home.html", me=me, recommendations=recommendations, unread=unread)

    @post("/language", opt=_PUBLIC, status_code=303, name="portal:language")
    async def choose_language(
        self,
        request: HTMXRequest,
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        refuse_cross_site(request, settings)
        data = await read_form(request, LanguageChoice)
        response: Response[Any] = Redirect(safe_return_path(data.next), status_code=303)
        if data.language in LANGUAGES:
            remember(response, LANGUAGE_COOKIE, data.language, settings)
        return response
