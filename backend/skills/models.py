"""Skills: the global ESCO-derived catalogue (control schema) and each tenant's own library.

A tenant's library holds the skills it uses: adopted from the catalogue (keeping the ESCO URI) or
defined by the tenant. Everything in the tenant schema points at the library, so a tenant can rename,
categorise or retire a skill without touching the shared catalogue.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Subquery,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import ControlBase, IdMixin, TenantBase, TimestampMixin, str_enum


class CatalogKind(enum.StrEnum):
    SKILL = "skill"
    OCCUPATION = "occupation"


class CatalogConcept(IdMixin, ControlBase):
    """An ESCO skill or occupation. Shared read-only by every tenant."""

    __tablename__ = "catalog_concepts"
    __table_args__ = (
        Index(
            "ix_catalog_concepts_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "control.gin_trgm_ops"},
        ),
    )

    kind: Mapped[CatalogKind] = mapped_column(str_enum(CatalogKind, "catalog_kind"), index=True)
    uri: Mapped[str] = mapped_column(String(300), unique=True)
    label: Mapped[str] = mapped_column(String(300))
    alt_labels: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    description: Mapped[str] = mapped_column(Text, server_default="")
    # Lower-cased label and alternative labels, one string, for trigram search.
    search_text: Mapped[str] = mapped_column(Text)


class SkillCategory(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "skill_categories"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)


class Skill(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "skills"
    __table_args__ = (Index("uq_skills_label_lower", text("lower(label)"), unique=True),)

    label: Mapped[str] = mapped_column(String(300))
    alt_labels: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    description: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("skill_categories.id"), index=True)
    # Set when adopted from the catalogue; the URI keeps it comparable across tenants and imports.
    catalog_uri: Mapped[str | None] = mapped_column(String(300), unique=True)


class ProficiencyLevel(TimestampMixin, TenantBase):
    """The tenant's names for the levels 1 to 5 of every skill."""

    __tablename__ = "proficiency_levels"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)


class SkillSource(enum.StrEnum):
    SELF = "self"
    MANAGER = "manager"
    PEER = "peer"
    ASSESSMENT = "assessment"
    COURSE = "course"
    PROJECT = "project"


class EmployeeSkill(IdMixin, TenantBase):
    """One version of one source's rating of an employee's skill (the employee's own, their
    manager's, an assessment's, ...). Each source keeps its own rating: a change closes that
    source's current row and opens a new one, so the profile at any date can be read back; current
    rows have `valid_to` NULL, at most one per skill and source. Where one level is needed (matching,
    training plans, mentoring, analytics), it is the highest current rating (`current_levels`)."""

    __tablename__ = "employee_skills"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
        Index(
            "uq_employee_skills_current",
            "employee_id",
            "skill_id",
            "source",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
    )

    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    skill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skills.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    source: Mapped[SkillSource] = mapped_column(str_enum(SkillSource, "skill_source"))
    evidence_url: Mapped[str | None] = mapped_column(String(2000))
    last_confirmed: Mapped[date] = mapped_column(Date, server_default=func.current_date())
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who closed this version (the token subject): by a new rating of the same source, or by ending it.
    ended_by: Mapped[str | None] = mapped_column(String(200))


def current_levels(*conditions: ColumnElement[bool]) -> Subquery:
    """Each employee's level in each skill now: the highest of its current ratings, one row per
    (employee_id, skill_id, level), among the ratings that meet `conditions` (give the employees
    wanted here: a join condition outside would not narrow the grouping)."""
    return (
        select(EmployeeSkill.employee_id, EmployeeSkill.skill_id, func.max(EmployeeSkill.level).label("level"))
        .where(EmployeeSkill.valid_to.is_(None), *conditions)
        .group_by(EmployeeSkill.employee_id, EmployeeSkill.skill_id)
        .subquery("current_levels")
    )
