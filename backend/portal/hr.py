"""The HR workspace: the pages of a company's HR admins (people, framework, openings, mentoring,
learning, policy and settings, analytics), over the same services, with the same principal and rules,
as the API. `/hr` is its landing page; each area is a module of its own (`backend/portal/hr_*.py`)
whose pages start with `/hr/<area>` and begin with `visit.refuse_unless_hr()`.

Only HR reaches these pages: anyone else gets the refusal page (403) with what only HR may do, as the
API answers them (`require_hr`). The header's "HR workspace" link shows only to HR.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import Template

from backend.auth.principal import Scope
from backend.portal.i18n import N_
from backend.portal.routes import Visit

HR_PATHS = ["^/hr(/|$)"]
HR = "/hr"


@dataclass(frozen=True)
class Area:
    """One area of the workspace: its path, its name and what it is for (marked for translation here,
    translated in the page's language by the template)."""

    key: str
    path: str
    title: str
    summary: str


# The workspace's areas, in the order the landing page and the workspace's menu list them.
AREAS: tuple[Area, ...] = (
    Area(
        "people",
        "/hr/people",
        N_("People"),
        N_("Find a person; read their skills, aspirations, applications, mentoring and plans as the rules allow."),
    ),
    Area(
        "framework",
        "/hr/framework",
        N_("Framework"),
        N_("Job families, roles and the skills each asks for, and the career paths between roles."),
    ),
    Area(
        "openings",
        "/hr/openings",
        N_("Openings"),
        N_("Post and edit openings with their skills, move applications through each pipeline."),
    ),
    Area(
        "mentoring",
        "/hr/mentoring",
        N_("Mentoring"),
        N_("Programmes and enrolment; run a pairing, review the pairs and the waiting list, publish."),
    ),
    Area(
        "learning",
        "/hr/learning",
        N_("Learning"),
        N_("The course catalogue and the skills each course teaches; import courses from a CSV file."),
    ),
    Area(
        "settings",
        "/hr/settings",
        N_("Policy and settings"),
        N_("The mobility policy, matching weights, sign-in, partner apps and SCIM tokens."),
    ),
    Area(
        "analytics",
        "/hr/analytics",
        N_("Analytics"),
        N_("Mobility, fill rate, pipeline, skill gaps and mentoring in charts; the audit log."),
    ),
)


class HRController(Controller):
    @get(HR, opt={"scope": Scope.EMPLOYEES_READ}, name="portal:hr")
    async def workspace(self, visit: NamedDependency[Visit]) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await visit.page("hr.html", areas=AREAS)
