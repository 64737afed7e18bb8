from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from backend.api.fields import Email, Name, ShortText
from backend.framework.models import Importance
from backend.org.models import OrgUnitKind
from backend.skills.models import SkillSource

Level = Annotated[int, Meta(ge=1, le=10)]


class OrgUnitCreate(Struct, forbid_unknown_fields=True):
    name: Name
    kind: OrgUnitKind
    parent_id: uuid.UUID | None = None


class OrgUnitUpdate(Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    kind: OrgUnitKind | UnsetType = UNSET
    parent_id: uuid.UUID | UnsetType | None = UNSET


class OrgUnitRead(Struct):
    id: uuid.UUID
    name: str
    kind: OrgUnitKind
    parent_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class EmployeeCreate(Struct, forbid_unknown_fields=True):
    email: Email
    full_name: Name
    title: ShortText | None = None
    org_unit_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    role_id: uuid.UUID | None = None
    level: Level | None = None
    location: ShortText | None = None
    start_date: date | None = None
    external_id: ShortText | None = None
    # The job code of the company's system of record (SCIM provisioning sends it too).
    job_code: ShortText | None = None


class EmployeeUpdate(Struct, forbid_unknown_fields=True):
    email: Email | UnsetType = UNSET
    full_name: Name | UnsetType = UNSET
    title: ShortText | UnsetType | None = UNSET
    org_unit_id: uuid.UUID | UnsetType | None = UNSET
    manager_id: uuid.UUID | UnsetType | None = UNSET
    role_id: uuid.UUID | UnsetType | None = UNSET
    level: Level | UnsetType | None = UNSET
    location: ShortText | UnsetType | None = UNSET
    start_date: date | UnsetType | None = UNSET
    external_id: ShortText | UnsetType | None = UNSET
    job_code: ShortText | UnsetType | None = UNSET
    active: bool | UnsetType = UNSET


class EmployeeRead(Struct):
    id: uuid.UUID
    email: str
    full_name: str
    title: str | None
    org_unit_id: uuid.UUID | None
    manager_id: uuid.UUID | None
    role_id: uuid.UUID | None
    level: int | None
    location: str | None
    start_date: date | None
    external_id: str | None
    job_code: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class TeamSkillStatus(enum.StrEnum):
    """A person's level in a skill against the level their role asks."""

    MET = "met"
    BELOW = "below"
    MISSING = "missing"
    # A skill the person has that their role does not ask for.
    NOT_REQUIRED = "not_required"


class TeamSkillCell(Struct):
    """One skill of a team member: their level now (the highest of their current ratings; 0 when they
    have none) against the level their role asks (`required_level`; null when it asks for none).
    `gap`: how many levels below it they are (0 when met or not asked)."""

    skill_id: uuid.UUID
    label: str
    level: int
    required_level: int | None
    importance: Importance | None
    status: TeamSkillStatus
    gap: int


class StaleSkillRead(Struct):
    """A current rating last confirmed before the stale-skill reminders' threshold (`SKILL_STALE_DAYS`)."""

    skill_id: uuid.UUID
    label: str
    level: int
    source: SkillSource
    last_confirmed: date


class TeamMemberSkills(Struct):
    """A direct report's skills against their role: the skills the role asks for first (essential,
    important, nice to have), then the other skills they have; and their stale ratings."""

    employee_id: uuid.UUID
    full_name: str
    title: str | None
    role_id: uuid.UUID | None
    role_title: str | None
    skills: list[TeamSkillCell]
    stale: list[StaleSkillRead]
