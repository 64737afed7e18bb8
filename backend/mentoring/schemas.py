from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from backend.api.fields import NO_NUL, NON_BLANK, Description, Name
from backend.mentoring.models import (
    PairingObjective,
    PairingState,
    ProgrammeKind,
    ProgrammeStatus,
    RequestStatus,
    RunStatus,
)

IdList = Annotated[list[uuid.UUID], Meta(max_length=50)]
Capacity = Annotated[int, Meta(ge=1, le=10, description="How many mentees the mentor takes at once.")]
UtcOffset = Annotated[
    int, Meta(ge=-720, le=840, description="The person's offset from UTC in minutes (e.g. 60 for UTC+1).")
]
# The items of these lists are checked by the service (422): the OpenAPI document would not show
# constraints on list items, and a request valid by the document must not get a 400.
Languages = Annotated[
    list[str], Meta(min_length=1, max_length=10, description="ISO 639 language codes, e.g. `en`, `pt-BR`.")
]
Topics = Annotated[list[str], Meta(max_length=20, description="Free-text topics, 1 to 100 characters each.")]
Goals = Annotated[str, Meta(min_length=1, max_length=5000, pattern=NON_BLANK)]
Reason = Annotated[str, Meta(max_length=2000, pattern=NO_NUL)]
Weight = Annotated[float, Meta(ge=0, le=10)]
PerMentee = Annotated[
    int,
    Meta(
        ge=1,
        le=500,
        description="How many best mentors per mentee the solve starts from (speed only: the result is the"
        " optimum over every allowed pair whatever the value).",
    ),
]
Rating = Annotated[int, Meta(ge=1, le=5)]


class Weights(Struct, forbid_unknown_fields=True):
    """The weight of each named factor in a pair's score."""

    skill_lead: Weight = 0.4
    wants_to_teach: Weight = 0.25
    made_the_move: Weight = 0.2
    time_zone_overlap: Weight = 0.15


class ProgrammeCreate(Struct, forbid_unknown_fields=True):
    name: Name
    kind: ProgrammeKind
    description: Description | None = None
    goals: Description | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    enrolment_opens: date | None = None
    enrolment_closes: date | None = None
    objective: PairingObjective = PairingObjective.TOTAL_SCORE
    require_different_department: bool = False
    weights: Weights | None = None
    per_mentee: PerMentee = 50
    status: ProgrammeStatus = ProgrammeStatus.DRAFT


class ProgrammeUpdate(Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    kind: ProgrammeKind | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET
    goals: Description | UnsetType | None = UNSET
    starts_on: date | UnsetType | None = UNSET
    ends_on: date | UnsetType | None = UNSET
    enrolment_opens: date | UnsetType | None = UNSET
    enrolment_closes: date | UnsetType | None = UNSET
    objective: PairingObjective | UnsetType = UNSET
    require_different_department: bool | UnsetType = UNSET
    weights: Weights | UnsetType | None = UNSET
    per_mentee: PerMentee | UnsetType = UNSET
    status: ProgrammeStatus | UnsetType = UNSET


class ProgrammeRead(Struct):
    id: uuid.UUID
    name: str
    kind: ProgrammeKind
    status: ProgrammeStatus
    description: str | None
    goals: str | None
    starts_on: date | None
    ends_on: date | None
    enrolment_opens: date | None
    enrolment_closes: date | None
    objective: PairingObjective
    require_different_department: bool
    weights: Weights
    per_mentee: int
    created_at: datetime
    updated_at: datetime


class MentorProfileCreate(Struct, forbid_unknown_fields=True):
    languages: Languages
    # HR may create a profile for someone; anyone else creates their own (omit it).
    employee_id: uuid.UUID | None = None
    capacity: Capacity = 2
    skill_ids: IdList = []
    topics: Topics = []
    utc_offset_minutes: UtcOffset = 0
    availability: Description | None = None
    active: bool = True


class MentorProfileUpdate(Struct, forbid_unknown_fields=True):
    languages: Languages | UnsetType = UNSET
    capacity: Capacity | UnsetType = UNSET
    skill_ids: IdList | UnsetType = UNSET
    topics: Topics | UnsetType = UNSET
    utc_offset_minutes: UtcOffset | UnsetType = UNSET
    availability: Description | UnsetType | None = UNSET
    active: bool | UnsetType = UNSET


class MentorProfileRead(Struct):
    id: uuid.UUID
    programme_id: uuid.UUID
    employee_id: uuid.UUID
    capacity: int
    skill_ids: list[uuid.UUID]
    topics: list[str]
    languages: list[str]
    utc_offset_minutes: int
    availability: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class MenteeRequestCreate(Struct, forbid_unknown_fields=True):
    goals: Goals
    languages: Languages
    # HR may file a request for someone; anyone else files their own (omit it).
    employee_id: uuid.UUID | None = None
    skill_ids: IdList = []
    target_role_id: uuid.UUID | None = None
    utc_offset_minutes: UtcOffset = 0
    preferences: Description | None = None
    excluded_mentor_ids: IdList = []


class MenteeRequestUpdate(Struct, forbid_unknown_fields=True):
    goals: Goals | UnsetType = UNSET
    languages: Languages | UnsetType = UNSET
    skill_ids: IdList | UnsetType = UNSET
    target_role_id: uuid.UUID | UnsetType | None = UNSET
    utc_offset_minutes: UtcOffset | UnsetType = UNSET
    preferences: Description | UnsetType | None = UNSET
    excluded_mentor_ids: IdList | UnsetType = UNSET


class MenteeRequestRead(Struct):
    id: uuid.UUID
    programme_id: uuid.UUID
    employee_id: uuid.UUID
    status: RequestStatus
    goals: str
    skill_ids: list[uuid.UUID]
    target_role_id: uuid.UUID | None
    languages: list[str]
    utc_offset_minutes: int
    preferences: str | None
    excluded_mentor_ids: list[uuid.UUID]
    # The place in line and its reason, from the last published run that left the request unmatched.
    waitlist_position: int | None
    waitlist_reason: str | None
    created_at: datetime
    updated_at: datetime


class RunCreate(Struct, forbid_unknown_fields=True, frozen=True):
    # The programme's objective unless given.
    objective: PairingObjective | None = None


class RunRead(Struct):
    id: uuid.UUID
    programme_id: uuid.UUID
    job_id: uuid.UUID | None
    status: RunStatus
    objective: PairingObjective
    matched: int | None
    unmatched: int | None
    total_score: float | None
    computed_at: datetime | None
    # Who started and who published the run (token subjects: "sso:<employee id>", "cli:hr_admin", ...).
    created_by: str
    published_at: datetime | None
    published_by: str | None
    created_at: datetime


class FactorRead(Struct):
    value: float
    weight: float
    points: float


class ReasonsRead(Struct):
    # The stored reasons also hold `statements` (backend/mentoring/reasons.py), which the API does not
    # serve: `sentences` are those statements in English.
    factors: dict[str, FactorRead]
    sentences: list[str]


class PairingRead(Struct):
    id: uuid.UUID
    run_id: uuid.UUID
    programme_id: uuid.UUID
    mentor_profile_id: uuid.UUID
    mentee_request_id: uuid.UUID
    mentor_employee_id: uuid.UUID
    mentee_employee_id: uuid.UUID
    state: PairingState
    score: float
    reasons: ReasonsRead
    published_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    created_at: datetime


class WaitlistRead(Struct):
    id: uuid.UUID
    run_id: uuid.UUID
    mentee_request_id: uuid.UUID
    position: int
    reason_code: str
    reason: str


class RunSwap(Struct, forbid_unknown_fields=True, frozen=True):
    """Two proposed pairs of the run whose mentors to exchange."""

    first_pairing_id: uuid.UUID
    second_pairing_id: uuid.UUID
    # The effect only (the new pairs, their scores and the run's total after), nothing written.
    dry_run: bool = False


class RunRemove(Struct, forbid_unknown_fields=True, frozen=True):
    """A proposed pair of the run to take out: its mentee joins the end of the waitlist."""

    pairing_id: uuid.UUID
    dry_run: bool = False


class RunEditRead(Struct):
    """A review's change of a proposed run (or its effect, `dry_run`): the run's total score before and
    after, the pairs it makes with their new mentors, scores and reasons, the waitlist entry it adds."""

    run: RunRead
    total_before: float
    total_after: float
    pairings: list[PairingRead]
    waitlisted: WaitlistRead | None
    dry_run: bool


class PairingEnd(Struct, forbid_unknown_fields=True, frozen=True):
    reason: Reason | None = None


class Rematch(Struct, forbid_unknown_fields=True, frozen=True):
    reason: Reason | None = None
    # HR only: start a pairing run for the programme at once (otherwise the request joins the next run).
    run_now: bool = False


class RematchRead(Struct):
    pairing: PairingRead
    request: MenteeRequestRead
    run: RunRead | None


class CheckInCreate(Struct, forbid_unknown_fields=True):
    happened_on: date
    notes: Description | None = None
    rating: Rating | None = None


class CheckInRead(Struct):
    id: uuid.UUID
    pairing_id: uuid.UUID
    author_employee_id: uuid.UUID
    happened_on: date
    notes: str | None
    rating: int | None
    created_at: datetime
