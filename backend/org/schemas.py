from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from backend.api.fields import Email, Name, ShortText
from backend.org.models import OrgUnitKind

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
