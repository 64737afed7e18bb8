from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from backend.api.fields import NON_BLANK, Description, HttpUrl, Label, Name
from backend.skills.models import CatalogKind, SkillSource

# Items are cleaned by the service (trimmed, blanks and duplicates dropped, each at most 300 characters).
AltLabels = Annotated[list[str], Meta(max_length=50)]
Uri = Annotated[str, Meta(min_length=8, max_length=300, pattern=r"^https?://[^\x00-\x20\x7f]+$")]
ProficiencyValue = Annotated[int, Meta(ge=1, le=5, description="Proficiency level, 1 (novice) to 5 (expert).")]


class CatalogConceptRead(Struct):
    id: uuid.UUID
    kind: CatalogKind
    uri: str
    label: str
    alt_labels: list[str]
    description: str


class SkillCategoryCreate(Struct, forbid_unknown_fields=True):
    name: Name
    description: Description | None = None


class SkillCategoryUpdate(Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET


class SkillCategoryRead(Struct):
    id: uuid.UUID
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime


class SkillCreate(Struct, forbid_unknown_fields=True, frozen=True):
    """Adopt a catalogue skill (give `catalog_uri`) or define the tenant's own (give `label`)."""

    catalog_uri: Uri | None = None
    label: Label | None = None
    alt_labels: AltLabels | None = None
    description: Description | None = None
    category_id: uuid.UUID | None = None


class SkillUpdate(Struct, forbid_unknown_fields=True):
    label: Label | UnsetType = UNSET
    alt_labels: AltLabels | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET
    category_id: uuid.UUID | UnsetType | None = UNSET


class SkillRead(Struct):
    id: uuid.UUID
    label: str
    alt_labels: list[str]
    description: str | None
    category_id: uuid.UUID | None
    catalog_uri: str | None
    created_at: datetime
    updated_at: datetime


class ProficiencyLevelRead(Struct):
    level: int
    name: str
    description: str | None


class ProficiencyLevelUpdate(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=100, pattern=NON_BLANK)]
    description: Description | None = None


class EmployeeSkillSet(Struct, forbid_unknown_fields=True):
    """A rating of one source. `source` defaults to `self` on one's own profile and `manager` on a
    report's; `course` and `assessment` need `evidence_url` unless a partner app that owns them writes."""

    level: ProficiencyValue
    source: SkillSource | None = None
    evidence_url: HttpUrl | None = None
    last_confirmed: date | None = None


class EmployeeSkillRead(Struct):
    id: uuid.UUID
    employee_id: uuid.UUID
    skill_id: uuid.UUID
    skill_label: str
    level: int
    level_name: str
    source: SkillSource
    evidence_url: str | None
    last_confirmed: date
    recorded_by: str | None
    valid_from: datetime
    valid_to: datetime | None
    # Who closed this version (a new rating of the same source, or ending it); null while current.
    ended_by: str | None
