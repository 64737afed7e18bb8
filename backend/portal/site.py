"""The portal as the app mounts it: its routers (pages and files) and its template engine, built by the
composition root (backend/app.py) with the collaborators they use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqladmin
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from litestar import Router
from litestar.di import Provide
from litestar.plugins.htmx import HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from backend.api.deps import control_db_provider, provide_principal, tenant_db_provider
from backend.auth.portal_sessions import PortalSessions
from backend.auth.principals import Principals
from backend.core.unit_of_work import UnitOfWork
from backend.portal.board import BoardController
from backend.portal.career import CAREER_PATHS, CareerController
from backend.portal.hiring import HIRING_PATHS, HiringController
from backend.portal.hr import HR_PATHS, HRController
from backend.portal.hr_analytics import HRAnalyticsController
from backend.portal.hr_framework import FrameworkController
from backend.portal.hr_learning import LearningController
from backend.portal.hr_mentoring import HRMentoringController
from backend.portal.hr_openings import HROpeningsController
from backend.portal.hr_people import PeopleController
from backend.portal.hr_settings import HRSettingsController
from backend.portal.i18n import Languages
from backend.portal.mentoring import MENTORING_PATHS, MentoringController
from backend.portal.notifications import NOTIFICATIONS_PATHS, NotificationsController
from backend.portal.profile import PROFILE_PATHS, ProfileController
from backend.portal.routes import (
    PortalController,
    company_unavailable,
    page_not_permitted,
    provide_visit,
    sign_in_again,
)
from backend.portal.team import TEAM_PATHS, TeamController
from backend.portal.visitors import CompanyUnavailable, PageNotPermitted, SignInRequired, portal_guard
from backend.sso.oidc import RelyingParty
from tenants.registry import TenantRegistry

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC_PATH = "/static"
# The design system the console already ships (Tabler, in SQLAdmin's package): the portal serves the
# same files itself, beside its own few rules (static/).
CONSOLE_STATICS = Path(sqladmin.__file__).parent / "statics"
# What the API's bearer middleware leaves to the portal (its pages authenticate with `portal_guard`).
PORTAL_PATHS = [
    "^/$",
    "^/company$",
    "^/home$",
    "^/language$",
    f"^{STATIC_PATH}/",
    "^/board(/|$)",
    "^/applications(/|$)",
    *PROFILE_PATHS,
    *CAREER_PATHS,
    *MENTORING_PATHS,
    *HIRING_PATHS,
    *TEAM_PATHS,
    *NOTIFICATIONS_PATHS,
    *HR_PATHS,
]


@pass_context
def _gettext(context: Context, message: str) -> str:
    return str(context["i18n"].gettext(message))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return str(context["i18n"].ngettext(singular, plural, n))


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja with the i18n extension, its gettext and ngettext taken from the page's language (the
    `i18n` of each page's context; newstyle: escaped, with %(name)s placeholders)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def portal_routers(
    *,
    unit_of_work: UnitOfWork,
    principals: Principals,
    portal_sessions: PortalSessions,
    registry: TenantRegistry,
    relying_party: RelyingParty,
) -> list[Any]:
    """The pages (behind the portal's guard) and the files they load (public: styles and fonts)."""
    languages = Languages()
    pages = Router(
        path="/",
        route_handlers=[
            PortalController,
            BoardController,
            ProfileController,
            CareerController,
            MentoringController,
            HiringController,
            TeamController,
            NotificationsController,
            HRController,
            LearningController,
            PeopleController,
            FrameworkController,
            HROpeningsController,
            HRMentoringController,
            HRAnalyticsController,
            HRSettingsController,
        ],
        guards=[portal_guard(principals, portal_sessions)],
        request_class=HTMXRequest,
        exception_handlers={
            SignInRequired: sign_in_again,
            CompanyUnavailable: company_unavailable(languages),
            PageNotPermitted: page_not_permitted(languages),
        },
        dependencies={
            "db": Provide(tenant_db_provider(unit_of_work)),
            # The company's identity settings (its provider, partner apps, SCIM tokens) for the HR
            # workspace's settings, as the API's routes read them; the provider's discovery for its issuer.
            "control_db": Provide(control_db_provider(unit_of_work)),
            "relying_party": Provide(lambda: relying_party, use_cache=True, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "languages": Provide(lambda: languages, use_cache=True, sync_to_thread=False),
            "registry": Provide(lambda: registry, use_cache=True, sync_to_thread=False),
            # What every signed-in page takes: the request, its session, principal, languages, settings.
            "visit": Provide(provide_visit),
        },
        include_in_schema=False,
    )
    files = create_static_files_router(
        path=STATIC_PATH, directories=[HERE / "static", CONSOLE_STATICS], name="portal:static"
    )
    return [pages, files]
