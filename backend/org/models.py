"""Org units (divisions, departments, teams in a hierarchy) and employees."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.identifiers import ASCII_FOLD_ARGUMENTS
from tenants.base import IdMixin, TenantBase, TimestampMixin, str_enum


class OrgUnitKind(enum.StrEnum):
    DIVISION = "division"
    DEPARTMENT = "department"
    TEAM = "team"


class OrgUnit(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "org_units"
    # NULLS NOT DISTINCT: two top-level units (no parent) may not share a name either.
    __table_args__ = (UniqueConstraint("parent_id", "name", postgresql_nulls_not_distinct=True),)

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgUnitKind] = mapped_column(str_enum(OrgUnitKind, "org_unit_kind"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_units.id"), index=True)


class Employee(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "employees"
    __table_args__ = (
        # Identifiers are unique as compared: emails as stored (their normal form, ASCII letters in lower
        # case), userNames ASCII-folded; never by lower(), which folds Unicode lookalikes together.
        UniqueConstraint("email"),
        CheckConstraint(f"email = translate(email, {ASCII_FOLD_ARGUMENTS})", name="email_folded"),
        Index("uq_employees_user_name_folded", text(f"translate(user_name, {ASCII_FOLD_ARGUMENTS})"), unique=True),
        CheckConstraint("level BETWEEN 1 AND 10", name="level_range"),
        CheckConstraint("manager_id <> id", name="not_own_manager"),
    )

    email: Mapped[str] = mapped_column(String(320))
    full_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("employees.id"), index=True)
    role_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("roles.id"), index=True)
    level: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date | None] = mapped_column(Date)
    # The person's id in the company's system of record (SCIM's enterprise employeeNumber).
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    # The job code of the company's system of record (SCIM's Crosswalk extension), kept as sent.
    job_code: Mapped[str | None] = mapped_column(String(200))
    # Set by SCIM provisioning: the sign-in name at the identity provider, its id for the person
    # (SCIM externalId) and the name parts it sends.
    user_name: Mapped[str | None] = mapped_column(String(320))
    scim_external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    # The identity provider deleted the user: the employee is inactive and out of SCIM's view, and
    # their history stays. Provisioning the same userName again brings the employee back.
    deprovisioned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # People leave; their history (skills, moves, applications) stays, so nobody is deleted.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # When the employee last turned inactive, set by a trigger on every path that deactivates
    # (migration t0014): every credential issued to them until then is refused, even after a
    # reactivation (backend/org/credentials.py).
    credentials_revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
