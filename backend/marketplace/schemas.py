from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from backend.api.fields import NON_BLANK, Description, Name, ShortText
from backend.framework.models import Importance
from backend.framework.schemas import MatchExplanation
from backend.marketplace.models import (
    ApplicationKind,
    ApplicationStage,
    ManagerNotice,
    OpportunityKind,
    OpportunityStatus,
    ReleaseAction,
    ReleaseOutcome,
    ReleaseStatus,
)

Level = Annotated[int, Meta(ge=1, le=10, description="A level of the tenant's framework, 1 to 10.")]
SkillLevel = Annotated[int, Meta(ge=1, le=5, description="The proficiency asked for, 1 to 5.")]
Hours = Annotated[int, Meta(ge=1, le=80, description="Hours per week (gigs and projects).")]
Weeks = Annotated[int, Meta(ge=1, le=260, description="How many weeks it lasts (gigs and projects).")]
Positions = Annotated[int, Meta(ge=1, le=1000, description="How many people it takes.")]
# A moment with its time zone: an opening closing "at 17:00" must say where.
Moment = Annotated[datetime, Meta(tz=True)]
TypeName = Annotated[str, Meta(min_length=1, max_length=100, pattern=NON_BLANK)]
UnitIds = Annotated[
    list[uuid.UUID],
    Meta(max_length=50, description="Org units whose people (and their sub-units') may see it; empty: everyone."),
]
ReleaseDays = Annotated[int, Meta(ge=1, le=90, description="Days the current manager has to answer a release.")]


class OpportunityTypeCreate(Struct, forbid_unknown_fields=True):
    """A new, active kind of opportunity (deactivate it with its own route)."""

    name: TypeName
    description: Description | None = None


class OpportunityTypeUpdate(Struct, forbid_unknown_fields=True):
    name: TypeName | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET


class OpportunityTypeRead(Struct):
    id: uuid.UUID
    name: str
    description: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class OpportunitySkillSet(Struct, forbid_unknown_fields=True):
    skill_id: uuid.UUID
    level: SkillLevel
    # `nice_to_have` makes it a nice-to-have skill; the others are required.
    importance: Importance = Importance.ESSENTIAL


SkillList = Annotated[list[OpportunitySkillSet], Meta(max_length=50)]


class OpportunitySkillRead(Struct):
    skill_id: uuid.UUID
    label: str
    level: int
    importance: Importance


class OpportunityCreate(Struct, forbid_unknown_fields=True):
    """A new opening, created as a draft. `role` needs `role_id` and takes no hours or duration;
    `gig` and `project` need `hours_per_week` and `duration_weeks` and take no role; `custom` needs the
    `type_id` of one of the tenant's opportunity types."""

    title: Name
    kind: OpportunityKind
    description: Description | None = None
    type_id: uuid.UUID | None = None
    role_id: uuid.UUID | None = None
    org_unit_id: uuid.UUID | None = None
    # The creator, when the creator is an employee and names nobody else.
    hiring_manager_id: uuid.UUID | None = None
    location: ShortText | None = None
    remote: bool = False
    hours_per_week: Hours | None = None
    duration_weeks: Weeks | None = None
    positions: Positions = 1
    level: Level | None = None
    min_level: Level | None = None
    max_level: Level | None = None
    opens_at: Moment | None = None
    closes_at: Moment | None = None
    # Omitted (or null) for a role: the role's required skills are copied.
    skills: SkillList | None = None
    visibility_unit_ids: UnitIds = []


class OpportunityUpdate(Struct, forbid_unknown_fields=True):
    """Kind, type and role change only while the opening is a draft; a filled one is final."""

    title: Name | UnsetType = UNSET
    kind: OpportunityKind | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET
    type_id: uuid.UUID | UnsetType | None = UNSET
    role_id: uuid.UUID | UnsetType | None = UNSET
    org_unit_id: uuid.UUID | UnsetType | None = UNSET
    hiring_manager_id: uuid.UUID | UnsetType | None = UNSET
    location: ShortText | UnsetType | None = UNSET
    remote: bool | UnsetType = UNSET
    hours_per_week: Hours | UnsetType | None = UNSET
    duration_weeks: Weeks | UnsetType | None = UNSET
    positions: Positions | UnsetType = UNSET
    level: Level | UnsetType | None = UNSET
    min_level: Level | UnsetType | None = UNSET
    max_level: Level | UnsetType | None = UNSET
    opens_at: Moment | UnsetType | None = UNSET
    closes_at: Moment | UnsetType | None = UNSET
    skills: SkillList | UnsetType = UNSET
    visibility_unit_ids: UnitIds | UnsetType = UNSET


class OpportunityRead(Struct):
    id: uuid.UUID
    title: str
    description: str | None
    kind: OpportunityKind
    type_id: uuid.UUID | None
    role_id: uuid.UUID | None
    org_unit_id: uuid.UUID | None
    hiring_manager_id: uuid.UUID | None
    location: str | None
    remote: bool
    hours_per_week: int | None
    duration_weeks: int | None
    positions: int
    # How many people it has hired so far.
    hired: int
    level: int | None
    min_level: int | None
    max_level: int | None
    visibility_unit_ids: list[uuid.UUID]
    skills: list[OpportunitySkillRead]
    status: OpportunityStatus
    # Open, past `opens_at` and before `closes_at`: applications are taken now.
    accepting_applications: bool
    opens_at: datetime | None
    closes_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    filled_at: datetime | None
    # Who created it (a token subject: "sso:<employee id>", "partner:<client id>", ...), and the employee,
    # when it was one.
    created_by: str
    created_by_employee_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class ApplicationCreate(Struct, forbid_unknown_fields=True, frozen=True):
    """Apply, or express interest (a lighter signal). Applying after expressing interest converts the
    interest into an application."""

    kind: ApplicationKind = ApplicationKind.APPLICATION
    note: Description | None = None


class StageChange(Struct, forbid_unknown_fields=True):
    """Where the hiring side moves an application. Any stage may be named: a move the rules do not
    allow (backwards, or `applied`, which only its applicant does by applying) is a 409 naming both
    stages, and `withdrawn` is the applicant's (403)."""

    to: ApplicationStage
    # The hiring side's own note (HR and the hiring manager read it); required when rejecting.
    note: Description | None = None
    # When rejecting, the reason told to the applicant (in their application and their notification).
    reason_shared: Description | None = None


class Withdrawal(Struct, forbid_unknown_fields=True, frozen=True):
    note: Description | None = None


class ApplicationEventRead(Struct):
    id: uuid.UUID
    from_stage: ApplicationStage | None
    to_stage: ApplicationStage
    by_employee_id: uuid.UUID | None
    at: datetime
    # Shown to HR, the hiring manager and the note's author only.
    note: str | None
    # What the hiring side told the applicant (a rejection's reason): the applicant and the hiring side.
    reason_shared: str | None


class ApplicantBrief(Struct):
    id: uuid.UUID
    full_name: str
    title: str | None
    org_unit_id: uuid.UUID | None
    role_id: uuid.UUID | None
    level: int | None


class OpportunityBrief(Struct):
    id: uuid.UUID
    title: str
    kind: OpportunityKind
    type_id: uuid.UUID | None
    status: OpportunityStatus
    hiring_manager_id: uuid.UUID | None


class ReleaseEventRead(Struct):
    id: uuid.UUID
    action: ReleaseAction
    by_employee_id: uuid.UUID | None
    at: datetime
    deadline: datetime | None
    release_on: date | None
    reason: str | None


class ReleaseRead(Struct):
    id: uuid.UUID
    application_id: uuid.UUID
    manager_id: uuid.UUID
    status: ReleaseStatus
    deadline: datetime
    # Past the deadline without an answer, a hire counts the release as given.
    deadline_passed: bool
    release_on: date | None
    resolved_at: datetime | None
    created_at: datetime
    history: list[ReleaseEventRead]


class ReleaseRequestRead(ReleaseRead):
    """A release asked of the caller, with whom and what it is about."""

    applicant: ApplicantBrief
    opportunity: OpportunityBrief


class ApplicationRead(Struct):
    id: uuid.UUID
    opportunity_id: uuid.UUID
    employee_id: uuid.UUID
    opportunity: OpportunityBrief
    applicant: ApplicantBrief
    kind: ApplicationKind
    stage: ApplicationStage
    # The applicant's message to the hiring side: the applicant, HR and the hiring manager only.
    note: str | None
    # The reason of a rejection that the hiring side shared with the applicant (the applicant and
    # the hiring side see it).
    reason_shared: str | None
    stage_changed_at: datetime
    # When the applicant's manager (and those above) were told, as the tenant's policy says; null: not yet.
    manager_informed_at: datetime | None
    hired_at: datetime | None
    created_at: datetime
    updated_at: datetime
    history: list[ApplicationEventRead]
    # The manager release (from offer on): shown to HR, the hiring manager and the manager asked.
    release: ReleaseRead | None
    # How the applicant fits the opening, scored now: in the hiring side's list of applicants only.
    match: MatchExplanation | None = None


class ReleaseAnswerAction(enum.StrEnum):
    RELEASE = "release"
    DELAY = "delay"
    BLOCK = "block"
    # HR only: let the move go ahead whatever the manager answered.
    OVERRIDE = "override"


class ReleaseAnswer(Struct, forbid_unknown_fields=True):
    """`release` (optionally `release_on`, the day the employee may go), `delay` (`until`, a new
    deadline later than the current one, and a `reason`), `block` (a `reason`), `override` (HR, a
    `reason`)."""

    action: ReleaseAnswerAction
    release_on: date | None = None
    until: Moment | None = None
    reason: Description | None = None


class MobilityPolicySet(Struct, forbid_unknown_fields=True):
    manager_notice: ManagerNotice
    release_days: ReleaseDays = 14


class MobilityPolicyRead(Struct):
    """When an applicant's current manager is told (`at_application`, `at_offer` or
    `never_before_move`), and how many days they have to answer a release. `updated_at` is null while
    the tenant keeps the defaults."""

    manager_notice: ManagerNotice
    release_days: int
    updated_at: datetime | None
    # Who set it (a token subject); null, like `updated_at`, while the tenant keeps the defaults.
    updated_by: str | None


class MoveRead(Struct):
    """A hire through the marketplace, from where to where. `updates_employee`: a move into a role
    rewrites the employee's role, title, level (and org unit) on `effective_on`; `applied_at` says
    when it did (null: not yet, or never for gigs, projects and the tenant's own kinds)."""

    id: uuid.UUID
    employee_id: uuid.UUID
    opportunity_id: uuid.UUID
    kind: OpportunityKind
    type_id: uuid.UUID | None
    from_role_id: uuid.UUID | None
    to_role_id: uuid.UUID | None
    from_org_unit_id: uuid.UUID | None
    to_org_unit_id: uuid.UUID | None
    from_title: str | None
    to_title: str | None
    from_level: int | None
    to_level: int | None
    release: ReleaseOutcome
    effective_on: date
    moved_at: datetime
    updates_employee: bool
    applied_at: datetime | None
