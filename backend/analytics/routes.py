from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.schemas import MentoringParticipation, MobilitySeries, Pipeline, SkillGaps
from backend.analytics.service import MAX_MONTHS, MAX_SKILLS, AnalyticsService
from backend.auth.principal import Scope

_READ = {"scope": Scope.ANALYTICS_READ}

Months = Annotated[
    int,
    QueryParameter(ge=1, le=MAX_MONTHS, description="How many calendar months, the current one included."),
]
SkillLimit = Annotated[
    int, QueryParameter(ge=1, le=MAX_SKILLS, description="The skills listed per department (largest gap first).")
]


class AnalyticsController(Controller):
    path = "/analytics"
    tags = ["Analytics"]

    @get(
        "/mobility",
        opt=_READ,
        summary="Internal mobility by month (HR)",
        description="One point per UTC calendar month, oldest first, the current month last: `headcount` (active "
        "employees who started by the month's end; no start date counts as started), `internal_moves` (hires "
        "through the marketplace recorded in the month), `mobility_rate` (moves / headcount, 0 without "
        "headcount), `openings_closed` (openings filled, or closed unfilled, in the month), `filled_internally` "
        "(of those, the ones that hired) and `internal_fill_rate` (null when none closed). See docs/analytics.md.",
    )
    async def mobility_analytics(self, db: NamedDependency[AsyncSession], months: Months = 12) -> MobilitySeries:
        return await AnalyticsService(db).mobility(months)

    @get(
        "/pipeline",
        opt=_READ,
        summary="Open openings by kind and their applications by stage (HR)",
        description="Open openings counted by kind (`role`, `gig`, `project`, then the tenant's own types by name) "
        "with their positions, and the applications and interests of open openings at every stage, in "
        "lifecycle order (0 when none), with the totals.",
    )
    async def pipeline_analytics(self, db: NamedDependency[AsyncSession]) -> Pipeline:
        return await AnalyticsService(db).pipeline()

    @get(
        "/skill-gaps",
        opt=_READ,
        summary="Required skills asked by open openings against the people who have them, by department (HR)",
        description="Demand: each position of an open opening with a department counts one unit of each of its "
        "required (not nice-to-have) skills at the level asked. Supply: active people of the department or its "
        "sub-units whose current level is at least that level. `gap` = positions they cannot cover (one each). "
        "Per department the `limit` skills with the largest gap (ties by name); departments by total gap.",
    )
    async def skill_gap_analytics(self, db: NamedDependency[AsyncSession], limit: SkillLimit = 10) -> SkillGaps:
        return await AnalyticsService(db).skill_gaps(limit)

    @get(
        "/mentoring",
        opt=_READ,
        summary="Mentoring participation by programme (HR)",
        description="Per programme: the distinct mentors and mentees of its live (published or active) pairings, "
        "those pairings, and the requests still waiting for a mentor. Overall: the active employees in a "
        "live pairing as mentor or mentee, as a share of all active employees.",
    )
    async def mentoring_analytics(self, db: NamedDependency[AsyncSession]) -> MentoringParticipation:
        return await AnalyticsService(db).mentoring()
