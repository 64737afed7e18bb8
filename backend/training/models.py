"""Training tables (tenant schema): the course catalogue, course completions and training plans."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import IdMixin, TenantBase, TimestampMixin, str_enum


class CourseFormat(enum.StrEnum):
    ONLINE = "online"
    CLASSROOM = "classroom"
    BLENDED = "blended"
    SELF_PACED = "self_paced"


class Course(IdMixin, TimestampMixin, TenantBase):
    """A course of the tenant's catalogue. Courses are deactivated, never deleted: plans and
    completions keep pointing at them. (provider, external_id) is how an import finds a course again."""

    __tablename__ = "courses"
    __table_args__ = (
        UniqueConstraint("provider", "external_id"),
        CheckConstraint("cost >= 0", name="cost_positive"),
        CheckConstraint("duration_hours >= 0", name="duration_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_code"),
    )

    title: Mapped[str] = mapped_column(String(300))
    provider: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    duration_hours: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    format: Mapped[CourseFormat] = mapped_column(str_enum(CourseFormat, "course_format"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")


class CourseSkill(TenantBase):
    """A skill a course teaches, and the level it brings a learner to."""

    __tablename__ = "course_skills"
    __table_args__ = (CheckConstraint("level_reached BETWEEN 1 AND 5", name="level_range"),)

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skills.id"), primary_key=True, index=True)
    level_reached: Mapped[int] = mapped_column(Integer)


class CourseCompletion(IdMixin, TenantBase):
    """An employee finished a course on a date; `skills_raised` says which levels that raised."""

    __tablename__ = "course_completions"
    __table_args__ = (UniqueConstraint("employee_id", "course_id", "completed_on"),)

    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), index=True)
    completed_on: Mapped[date] = mapped_column(Date)
    evidence_url: Mapped[str | None] = mapped_column(String(2000))
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    # [{"skill_id", "from_level", "to_level"}]: the skills this completion raised (never lowered).
    skills_raised: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PlanOrigin(enum.StrEnum):
    # From the employee's aspirations, recomputed by `training.recommend_all`.
    ASPIRATION = "aspiration"
    # Asked for explicitly for a chosen role (an opportunity), by the employee or HR.
    REQUESTED = "requested"


class TrainingPlan(IdMixin, TenantBase):
    """The cheapest set of courses closing an employee's gap to one target role. One plan per
    (employee, role): recomputing replaces it."""

    __tablename__ = "training_plans"
    __table_args__ = (UniqueConstraint("employee_id", "target_role_id"),)

    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    target_role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id"), index=True)
    origin: Mapped[PlanOrigin] = mapped_column(str_enum(PlanOrigin, "plan_origin"))
    # Who asked for a requested plan (the token's subject, e.g. "sso:<employee id>"); they may read it.
    requested_by: Mapped[str | None] = mapped_column(String(200))
    # The job that computed it, when a job did.
    job_id: Mapped[uuid.UUID | None] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    total_cost: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    # The catalogue's currency; NULL when the plan has no course.
    currency: Mapped[str | None] = mapped_column(String(3))
    total_hours: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    # Every skill in which the employee is below the role: {"skill_id", "skill_label", "importance",
    # "current_level", "required_level", "status" (closed, unclosable, deferred), "closed_by"}.
    gaps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)


class TrainingPlanCourse(TenantBase):
    """A course of a plan, in order, with the gaps it closes and why."""

    __tablename__ = "training_plan_courses"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_plans.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), index=True)
    # [{"skill_id", "skill_label", "from_level", "to_level", "required_level"}]
    closes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    reason: Mapped[str] = mapped_column(Text)
