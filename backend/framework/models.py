"""The role framework: job families, roles with levels and required skills, career paths."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import IdMixin, TenantBase, TimestampMixin, str_enum


class JobFamily(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "job_families"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)


class Role(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "roles"
    __table_args__ = (
        UniqueConstraint("job_family_id", "title"),
        CheckConstraint("level BETWEEN 1 AND 10", name="level_range"),
    )

    job_family_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_families.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)


class Importance(enum.StrEnum):
    ESSENTIAL = "essential"
    IMPORTANT = "important"
    NICE_TO_HAVE = "nice_to_have"


class RoleSkill(TimestampMixin, TenantBase):
    __tablename__ = "role_skills"
    __table_args__ = (CheckConstraint("target_level BETWEEN 1 AND 5", name="target_level_range"),)

    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skills.id"), primary_key=True, index=True)
    target_level: Mapped[int] = mapped_column(Integer)
    importance: Mapped[Importance] = mapped_column(str_enum(Importance, "importance"))


class TransitionKind(enum.StrEnum):
    PROMOTION = "promotion"
    LATERAL = "lateral"
    CROSS_DEPARTMENT = "cross_department"


class CareerPath(IdMixin, TimestampMixin, TenantBase):
    """One step of a career path: a move from one role to another that people make."""

    __tablename__ = "career_paths"
    __table_args__ = (
        UniqueConstraint("from_role_id", "to_role_id"),
        CheckConstraint("from_role_id <> to_role_id", name="distinct_roles"),
        CheckConstraint("typical_months IS NULL OR typical_months BETWEEN 0 AND 240", name="months_range"),
    )

    from_role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), index=True)
    to_role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TransitionKind] = mapped_column(str_enum(TransitionKind, "transition_kind"))
    typical_months: Mapped[int | None] = mapped_column(Integer)
