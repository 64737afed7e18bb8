from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from backend.api.fields import NON_BLANK, Description, HttpUrl, Label, Name
from backend.framework.models import Importance
from backend.training.models import CourseFormat, PlanOrigin

# Constrained numbers carry no description: the API's OpenAPI plugin copies bounds only from plain types.
Level = Annotated[int, Meta(ge=1, le=5)]
ExternalId = Annotated[str, Meta(min_length=1, max_length=200, pattern=NON_BLANK)]
Hours = Annotated[float, Meta(ge=0, le=10_000)]
Cost = Annotated[float, Meta(ge=0, le=1_000_000_000)]
Currency = Annotated[str, Meta(pattern="^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR.")]


class CourseSkillSet(Struct, forbid_unknown_fields=True):
    """A skill the course teaches and the level (1-5) a learner reaches in it."""

    skill_id: uuid.UUID
    level_reached: Level


CourseSkills = Annotated[list[CourseSkillSet], Meta(max_length=50)]


class CourseCreate(Struct, forbid_unknown_fields=True):
    """A new, active course: `duration_hours` in hours, `cost` per learner in `currency` (ISO 4217),
    rounded to 2 decimals."""

    title: Label
    provider: Name
    format: CourseFormat
    duration_hours: Hours
    cost: Cost
    currency: Currency
    external_id: ExternalId | None = None
    description: Description | None = None
    url: HttpUrl | None = None
    skills: CourseSkills = []


class CourseUpdate(Struct, forbid_unknown_fields=True):
    """Only the fields sent change; `skills`, when sent, replaces the course's skills."""

    title: Label | UnsetType = UNSET
    provider: Name | UnsetType = UNSET
    format: CourseFormat | UnsetType = UNSET
    duration_hours: Hours | UnsetType = UNSET
    cost: Cost | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    external_id: ExternalId | UnsetType | None = UNSET
    description: Description | UnsetType | None = UNSET
    url: HttpUrl | UnsetType | None = UNSET
    skills: CourseSkills | UnsetType = UNSET


class CourseSkillRead(Struct):
    skill_id: uuid.UUID
    skill_label: str
    level_reached: int


class CourseRead(Struct):
    id: uuid.UUID
    title: str
    provider: str
    external_id: str | None
    description: str | None
    url: str | None
    format: CourseFormat
    duration_hours: float
    cost: float
    currency: str
    active: bool
    skills: list[CourseSkillRead]
    created_at: datetime
    updated_at: datetime


class ImportReport(Struct):
    """What a catalogue import did: courses created, changed, and found exactly as in the file."""

    rows: int
    created: int
    updated: int
    unchanged: int


class CourseCompletionCreate(Struct, forbid_unknown_fields=True):
    course_id: uuid.UUID
    completed_on: date
    evidence_url: HttpUrl | None = None


class SkillRaise(Struct):
    skill_id: uuid.UUID
    from_level: int | None
    to_level: int


class CourseCompletionRead(Struct):
    id: uuid.UUID
    employee_id: uuid.UUID
    course_id: uuid.UUID
    completed_on: date
    evidence_url: str | None
    recorded_by: str | None
    skills_raised: list[SkillRaise]
    created_at: datetime


class TrainingPlanRequest(Struct, forbid_unknown_fields=True):
    role_id: uuid.UUID


class GapRead(Struct):
    """A skill in which the employee is below the role. `status`: closed (by `closed_by`), unclosable
    (no active course teaches it to the level), or deferred (past the 16 most important gaps a plan
    covers at once)."""

    skill_id: uuid.UUID
    skill_label: str
    importance: Importance
    current_level: int | None
    required_level: int
    status: str
    closed_by: uuid.UUID | None


class ClosedGapRead(Struct):
    skill_id: uuid.UUID
    skill_label: str
    from_level: int | None
    to_level: int
    required_level: int


class PlanCourseRead(Struct):
    position: int
    course_id: uuid.UUID
    title: str
    provider: str
    format: CourseFormat
    cost: float
    currency: str
    duration_hours: float
    url: str | None
    closes: list[ClosedGapRead]
    reason: str


class TrainingPlanRead(Struct):
    id: uuid.UUID
    employee_id: uuid.UUID
    target_role_id: uuid.UUID
    target_role_title: str
    origin: PlanOrigin
    computed_at: datetime
    job_id: uuid.UUID | None
    total_cost: float
    currency: str | None
    total_hours: float
    courses: list[PlanCourseRead]
    gaps: list[GapRead]
