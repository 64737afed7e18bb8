"""What the analytics answer: the same structs for the API and the consultants' console."""

from __future__ import annotations

import uuid
from datetime import date

from msgspec import Struct

from backend.marketplace.models import ApplicationStage, OpportunityKind
from backend.mentoring.models import ProgrammeStatus
from backend.org.models import OrgUnitKind


class MobilityPoint(Struct):
    """One calendar month (UTC)."""

    # The first day of the month.
    month: date
    # Active employees who started on or before the month's last day (or whose start date is unknown).
    headcount: int
    # Moves (marketplace hires) recorded in the month.
    internal_moves: int
    # internal_moves / headcount; 0 when the headcount is 0.
    mobility_rate: float
    # Openings filled, or closed without being filled, in the month.
    openings_closed: int
    # Of those, the ones that hired someone through the marketplace.
    filled_internally: int
    # filled_internally / openings_closed; null when no opening closed.
    internal_fill_rate: float | None


class MobilitySeries(Struct):
    months: int
    # Oldest first, the current month last.
    points: list[MobilityPoint]


class KindCount(Struct):
    """Open openings of one kind: `role`, `gig`, `project`, or one of the tenant's own types."""

    kind: OpportunityKind
    # The tenant's type, for `custom` openings only.
    type_id: uuid.UUID | None
    # The kind itself, or the name of the tenant's type.
    name: str
    opportunities: int
    # Their positions not filled yet (positions less hires).
    positions: int


class StageCount(Struct):
    stage: ApplicationStage
    applications: int


class Pipeline(Struct):
    open_opportunities: int
    # Positions of the open openings not filled yet.
    open_positions: int
    # Applications and interests of the open openings, at every stage (the total of `by_stage`).
    applications: int
    # Applications and interests still in play: at a stage that is not final (`interested` to `offer`),
    # of an opening that may still hire (open, or closed with its applications going on).
    live_applications: int
    # `role`, `gig` and `project` always, then the tenant's types that have open openings, by name.
    by_kind: list[KindCount]
    # Every stage, in lifecycle order, 0 when none.
    by_stage: list[StageCount]


class SkillGap(Struct):
    skill_id: uuid.UUID
    skill_name: str
    # The lowest level the department's openings ask of this skill: supply counts people at or above it.
    level: int
    # Positions asking for the skill (one unit per position of each open opening).
    demand: int
    # Active people of the department (sub-units included) at or above `level`.
    supply: int
    # Positions those people cannot cover, one position each, at or below their own level.
    gap: int


class DepartmentGaps(Struct):
    org_unit_id: uuid.UUID
    name: str
    kind: OrgUnitKind
    # Over all of the department's required skills, not only those listed.
    demand: int
    gap: int
    # The `limit` skills with the largest gap (ties by skill name).
    skills: list[SkillGap]


class SkillGaps(Struct):
    limit: int
    # The largest total gap first.
    departments: list[DepartmentGaps]


class ProgrammeParticipation(Struct):
    programme_id: uuid.UUID
    name: str
    status: ProgrammeStatus
    # Distinct people in live (published or active) pairings as mentor, and as mentee.
    mentors: int
    mentees: int
    active_pairings: int
    # Open or waitlisted requests of active employees without a live pairing.
    waiting_requests: int


class MentoringParticipation(Struct):
    programmes: list[ProgrammeParticipation]
    # Distinct active employees in a live pairing of any programme, as mentor or mentee.
    participants: int
    active_employees: int
    # participants / active_employees; 0 when there are none.
    participation_rate: float
