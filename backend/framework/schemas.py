from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from backend.api.fields import Description, Name
from backend.framework.models import Importance, TransitionKind

RoleLevel = Annotated[int, Meta(ge=1, le=10)]
TargetLevel = Annotated[int, Meta(ge=1, le=5)]
Months = Annotated[int, Meta(ge=0, le=240)]


class JobFamilyCreate(Struct, forbid_unknown_fields=True):
    name: Name
    description: Description | None = None


class JobFamilyUpdate(Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET


class JobFamilyRead(Struct):
    id: uuid.UUID
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime


class RoleCreate(Struct, forbid_unknown_fields=True):
    job_family_id: uuid.UUID
    title: Name
    level: RoleLevel
    description: Description | None = None


class RoleUpdate(Struct, forbid_unknown_fields=True):
    job_family_id: uuid.UUID | UnsetType = UNSET
    title: Name | UnsetType = UNSET
    level: RoleLevel | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET


class RoleRead(Struct):
    id: uuid.UUID
    job_family_id: uuid.UUID
    title: str
    level: int
    description: str | None
    created_at: datetime
    updated_at: datetime


class RoleSkillSet(Struct, forbid_unknown_fields=True):
    target_level: TargetLevel
    importance: Importance


class RoleSkillRead(Struct):
    role_id: uuid.UUID
    skill_id: uuid.UUID
    skill_label: str
    target_level: int
    importance: Importance


class CareerPathCreate(Struct, forbid_unknown_fields=True):
    from_role_id: uuid.UUID
    to_role_id: uuid.UUID
    kind: TransitionKind
    typical_months: Months | None = None


class CareerPathUpdate(Struct, forbid_unknown_fields=True):
    kind: TransitionKind | UnsetType = UNSET
    typical_months: Months | UnsetType | None = UNSET


class CareerPathRead(Struct):
    id: uuid.UUID
    from_role_id: uuid.UUID
    to_role_id: uuid.UUID
    kind: TransitionKind
    typical_months: int | None
    created_at: datetime
    updated_at: datetime


# How a person meets the skills a role or an opening asks for (the framework's required and
# nice-to-have skills, by importance). Matching computes it; the marketplace's application reads carry
# it, so it lives below both.
class SkillMatch(Struct):
    """One skill an opening asks for: the level the person has now (0 when they lack it) against the
    level needed."""

    skill_id: uuid.UUID
    label: str
    have: int
    need: int
    importance: Importance


class MatchExplanation(Struct):
    """Why a person and an opening fit: the score is the sum of `factors` (each factor's weighted
    contribution). `summary` says it in a sentence a person can read."""

    score: float
    factors: dict[str, float]
    required_have: int
    required_total: int
    summary: str
    matched: list[SkillMatch]
    missing: list[SkillMatch]
