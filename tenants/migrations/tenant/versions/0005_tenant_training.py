"""Tenant schema: the course catalogue, course completions and training plans.

Revision ID: t0005
Revises: t0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0005"
down_revision = "t0004"
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column[datetime]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("duration_hours", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "format",
            sa.Enum(
                "online",
                "classroom",
                "blended",
                "self_paced",
                name="course_format",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("cost >= 0", name=op.f("ck_courses_cost_positive")),
        sa.CheckConstraint("duration_hours >= 0", name=op.f("ck_courses_duration_positive")),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_courses_currency_code")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
        sa.UniqueConstraint("provider", "external_id", name=op.f("uq_courses_provider_external_id")),
    )
    op.create_table(
        "course_skills",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("skill_id", sa.Uuid(), nullable=False),
        sa.Column("level_reached", sa.Integer(), nullable=False),
        sa.CheckConstraint("level_reached BETWEEN 1 AND 5", name=op.f("ck_course_skills_level_range")),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_course_skills_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"], name=op.f("fk_course_skills_skill_id_skills")),
        sa.PrimaryKeyConstraint("course_id", "skill_id", name=op.f("pk_course_skills")),
    )
    op.create_index(op.f("ix_course_skills_skill_id"), "course_skills", ["skill_id"], unique=False)
    op.create_table(
        "course_completions",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("evidence_url", sa.String(length=2000), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("skills_raised", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_course_completions_course_id_courses")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_course_completions_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_completions")),
        sa.UniqueConstraint(
            "employee_id",
            "course_id",
            "completed_on",
            name=op.f("uq_course_completions_employee_id_course_id_completed_on"),
        ),
    )
    op.create_index(op.f("ix_course_completions_course_id"), "course_completions", ["course_id"], unique=False)
    op.create_index(op.f("ix_course_completions_employee_id"), "course_completions", ["employee_id"], unique=False)
    op.create_table(
        "training_plans",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("target_role_id", sa.Uuid(), nullable=False),
        sa.Column(
            "origin",
            sa.Enum(
                "aspiration",
                "requested",
                name="plan_origin",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("total_cost", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("total_hours", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("gaps", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_training_plans_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(["target_role_id"], ["roles.id"], name=op.f("fk_training_plans_target_role_id_roles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_plans")),
        sa.UniqueConstraint("employee_id", "target_role_id", name=op.f("uq_training_plans_employee_id_target_role_id")),
    )
    op.create_index(op.f("ix_training_plans_employee_id"), "training_plans", ["employee_id"], unique=False)
    op.create_index(op.f("ix_training_plans_target_role_id"), "training_plans", ["target_role_id"], unique=False)
    op.create_table(
        "training_plan_courses",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("closes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_training_plan_courses_course_id_courses")),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["training_plans.id"],
            name=op.f("fk_training_plan_courses_plan_id_training_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "position", name=op.f("pk_training_plan_courses")),
    )
    op.create_index(op.f("ix_training_plan_courses_course_id"), "training_plan_courses", ["course_id"], unique=False)


def downgrade() -> None:
    op.drop_table("training_plan_courses")
    op.drop_table("training_plans")
    op.drop_table("course_completions")
    op.drop_table("course_skills")
    op.drop_table("courses")
