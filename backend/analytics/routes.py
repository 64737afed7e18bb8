from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.schemas import MentoringParticipation, MobilitySeries, Pipeline, SkillGaps
from backend.analytics.service import MAX_MONTHS, MAX_SKILLS, AnalyticsService
from backend.auth.principal import Scope

_READ = {"scope": Scope.ANALYTICS_READ}

Months = Annotated[
    int,
    QueryParameter(ge=1, le=MAX_MONTHS, description="How many calendar months, the current one included."),
]
# The department filter of every figure: that org unit and the units below it.
Department = Annotated[
    uuid.UUID | None,
    QueryParameter(description="Only this org unit and the units below it (its people, openings and moves)."),
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
        "(of those, the ones that hired) and `internal_fill_rate` (null when none closed). "
        "`until`: the window ends with that day's month (not later than the current one). "
        "`org_unit_id`: the unit's people and those of the units below it, the moves into or out of them, "
        "and their openings. See docs/analytics.md.",
    )
    async def mobility_analytics(
        self,
        db: NamedDependency[AsyncSession],
        months: Months = 12,
        until: FromQuery[date | None] = None,
        org_unit_id: Department = None,
    ) -> MobilitySeries:
        return await AnalyticsService(db).mobility(months, today=until, org_unit_id=org_unit_id)

    @get(
        "/pipeline",
        opt=_READ,
        summary="Open openings by kind and their applications by stage (HR)",
        description="Open openings counted by kind (`role`, `gig`, `project`, then the tenant's own types by name) "
        "with their positions, and the applications and interests of open openings at every stage, in "
        "lifecycle order (0 when none), with the totals. `org_unit_id`: the openings of that unit and the units "
        "below it only.",
    )
    async def pipeline_analytics(self, db: NamedDependency[AsyncSession], org_unit_id: Department = None) -> Pipeline:
        return await AnalyticsService(db).pipeline(org_unit_id=org_unit_id)

    @get(
        "/skill-gaps",
        opt=_READ,
        summary="Required skills asked by open openings against the people who have them, by department (HR)",
        description="Demand: each position of an open opening with a department counts one unit of each of its "
        "required (not nice-to-have) skills at the level asked. Supply: active people of the department or its "
        "sub-units whose current level is at least that level. `gap` = positions they cannot cover (one each). "
        "Per department the `limit` skills with the largest gap (ties by name); departments by total gap. "
        "`org_unit_id`: the departments that are that unit or below it only.",
    )
    async def skill_gap_analytics(
        self, db: NamedDependency[AsyncSession], limit: SkillLimit = 10, org_unit_id: Department = None
    ) -> SkillGaps:
        return await AnalyticsService(db).skill_gaps(limit, org_unit_id=org_unit_id)

    @get(
        "/mentoring",
        opt=_READ,
        summary="Mentoring participation by programme (HR)",
        description="Per programme: the distinct mentors and mentees of its live (published or active) pairings, "
        "those pairings, and the requests still waiting for a mentor. Overall: the active employees in a "
        "live pairing as mentor or mentee, as a share of all active employees. `org_unit_id`: the people of that "
        "unit and the units below it only (a pairing counts when either of its two is one of them).",
    )
    async def mentoring_analytics(
        self, db: NamedDependency[AsyncSession], org_unit_id: Department = None
    ) -> MentoringParticipation:
        return await AnalyticsService(db).mentoring(org_unit_id=org_unit_id)
