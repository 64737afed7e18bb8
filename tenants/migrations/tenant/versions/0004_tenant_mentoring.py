"""Tenant schema: mentorship programmes, mentor profiles, mentee requests, pairings and check-ins.

Revision ID: t0004
Revises: t0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0004"
down_revision = "t0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mentoring_programmes",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("cohort", "evergreen", name="programme_kind", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "open", "closed", name="programme_status", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("goals", sa.Text(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("enrolment_opens", sa.Date(), nullable=True),
        sa.Column("enrolment_closes", sa.Date(), nullable=True),
        sa.Column(
            "objective",
            sa.Enum(
                "total_score",
                "most_matched",
                name="pairing_objective",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("require_different_department", sa.Boolean(), nullable=False),
        sa.Column("weights", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("per_mentee", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name=op.f("ck_mentoring_programmes_dates")
        ),
        sa.CheckConstraint(
            "enrolment_closes IS NULL OR enrolment_opens IS NULL OR enrolment_closes >= enrolment_opens",
            name=op.f("ck_mentoring_programmes_enrolment_window"),
        ),
        sa.CheckConstraint("per_mentee BETWEEN 1 AND 500", name=op.f("ck_mentoring_programmes_per_mentee_range")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["employees.id"], name=op.f("fk_mentoring_programmes_created_by_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentoring_programmes")),
    )
    op.create_table(
        "mentee_requests",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("goals", sa.Text(), nullable=False),
        sa.Column("target_role_id", sa.Uuid(), nullable=True),
        sa.Column("languages", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("utc_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("preferences", sa.Text(), nullable=True),
        sa.Column("excluded_mentor_ids", sa.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "matched",
                "waitlisted",
                "withdrawn",
                name="request_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("utc_offset_minutes BETWEEN -720 AND 840", name=op.f("ck_mentee_requests_utc_offset_range")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_mentee_requests_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["mentoring_programmes.id"],
            name=op.f("fk_mentee_requests_programme_id_mentoring_programmes"),
        ),
        sa.ForeignKeyConstraint(["target_role_id"], ["roles.id"], name=op.f("fk_mentee_requests_target_role_id_roles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentee_requests")),
        sa.UniqueConstraint("programme_id", "employee_id", name=op.f("uq_mentee_requests_programme_id_employee_id")),
    )
    op.create_index(op.f("ix_mentee_requests_employee_id"), "mentee_requests", ["employee_id"], unique=False)
    op.create_index(op.f("ix_mentee_requests_programme_id"), "mentee_requests", ["programme_id"], unique=False)
    op.create_index(op.f("ix_mentee_requests_target_role_id"), "mentee_requests", ["target_role_id"], unique=False)
    op.create_table(
        "mentor_profiles",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("topics", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("languages", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("utc_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("availability", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("capacity BETWEEN 1 AND 10", name=op.f("ck_mentor_profiles_capacity_range")),
        sa.CheckConstraint("utc_offset_minutes BETWEEN -720 AND 840", name=op.f("ck_mentor_profiles_utc_offset_range")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_mentor_profiles_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["mentoring_programmes.id"],
            name=op.f("fk_mentor_profiles_programme_id_mentoring_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_profiles")),
        sa.UniqueConstraint("programme_id", "employee_id", name=op.f("uq_mentor_profiles_programme_id_employee_id")),
    )
    op.create_index(op.f("ix_mentor_profiles_employee_id"), "mentor_profiles", ["employee_id"], unique=False)
    op.create_index(op.f("ix_mentor_profiles_programme_id"), "mentor_profiles", ["programme_id"], unique=False)
    op.create_table(
        "pairing_runs",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "proposed",
                "published",
                "discarded",
                name="run_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "objective",
            sa.Enum(
                "total_score",
                "most_matched",
                name="pairing_objective",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("matched", sa.Integer(), nullable=True),
        sa.Column("unmatched", sa.Integer(), nullable=True),
        sa.Column("total_score", sa.Float(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["employees.id"], name=op.f("fk_pairing_runs_created_by_employees")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_pairing_runs_job_id_jobs")),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["mentoring_programmes.id"],
            name=op.f("fk_pairing_runs_programme_id_mentoring_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["published_by"], ["employees.id"], name=op.f("fk_pairing_runs_published_by_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_runs")),
    )
    op.create_index(op.f("ix_pairing_runs_job_id"), "pairing_runs", ["job_id"], unique=False)
    op.create_index(op.f("ix_pairing_runs_programme_id"), "pairing_runs", ["programme_id"], unique=False)
    op.create_table(
        "mentee_request_skills",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("skill_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["mentee_requests.id"],
            name=op.f("fk_mentee_request_skills_request_id_mentee_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"], name=op.f("fk_mentee_request_skills_skill_id_skills")),
        sa.PrimaryKeyConstraint("request_id", "skill_id", name=op.f("pk_mentee_request_skills")),
    )
    op.create_index(op.f("ix_mentee_request_skills_skill_id"), "mentee_request_skills", ["skill_id"], unique=False)
    op.create_table(
        "mentor_profile_skills",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("skill_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["mentor_profiles.id"],
            name=op.f("fk_mentor_profile_skills_profile_id_mentor_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"], name=op.f("fk_mentor_profile_skills_skill_id_skills")),
        sa.PrimaryKeyConstraint("profile_id", "skill_id", name=op.f("pk_mentor_profile_skills")),
    )
    op.create_index(op.f("ix_mentor_profile_skills_skill_id"), "mentor_profile_skills", ["skill_id"], unique=False)
    op.create_table(
        "mentoring_waitlist",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("mentee_request_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mentee_request_id"],
            ["mentee_requests.id"],
            name=op.f("fk_mentoring_waitlist_mentee_request_id_mentee_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["pairing_runs.id"], name=op.f("fk_mentoring_waitlist_run_id_pairing_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentoring_waitlist")),
        sa.UniqueConstraint("run_id", "mentee_request_id", name=op.f("uq_mentoring_waitlist_run_id_mentee_request_id")),
        sa.UniqueConstraint("run_id", "position", name=op.f("uq_mentoring_waitlist_run_id_position")),
    )
    op.create_index(
        op.f("ix_mentoring_waitlist_mentee_request_id"), "mentoring_waitlist", ["mentee_request_id"], unique=False
    )
    op.create_index(op.f("ix_mentoring_waitlist_run_id"), "mentoring_waitlist", ["run_id"], unique=False)
    op.create_table(
        "pairings",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("mentor_profile_id", sa.Uuid(), nullable=False),
        sa.Column("mentee_request_id", sa.Uuid(), nullable=False),
        sa.Column("mentor_employee_id", sa.Uuid(), nullable=False),
        sa.Column("mentee_employee_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "proposed",
                "published",
                "active",
                "ended",
                name="pairing_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("mentor_employee_id <> mentee_employee_id", name=op.f("ck_pairings_not_self")),
        sa.ForeignKeyConstraint(
            ["mentee_employee_id"], ["employees.id"], name=op.f("fk_pairings_mentee_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["mentee_request_id"], ["mentee_requests.id"], name=op.f("fk_pairings_mentee_request_id_mentee_requests")
        ),
        sa.ForeignKeyConstraint(
            ["mentor_employee_id"], ["employees.id"], name=op.f("fk_pairings_mentor_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["mentor_profile_id"], ["mentor_profiles.id"], name=op.f("fk_pairings_mentor_profile_id_mentor_profiles")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["mentoring_programmes.id"], name=op.f("fk_pairings_programme_id_mentoring_programmes")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["pairing_runs.id"], name=op.f("fk_pairings_run_id_pairing_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairings")),
        sa.UniqueConstraint("run_id", "mentee_request_id", name=op.f("uq_pairings_run_id_mentee_request_id")),
    )
    op.create_index(op.f("ix_pairings_mentee_employee_id"), "pairings", ["mentee_employee_id"], unique=False)
    op.create_index(op.f("ix_pairings_mentee_request_id"), "pairings", ["mentee_request_id"], unique=False)
    op.create_index(op.f("ix_pairings_mentor_employee_id"), "pairings", ["mentor_employee_id"], unique=False)
    op.create_index(op.f("ix_pairings_mentor_profile_id"), "pairings", ["mentor_profile_id"], unique=False)
    op.create_index(op.f("ix_pairings_programme_id"), "pairings", ["programme_id"], unique=False)
    op.create_index(op.f("ix_pairings_run_id"), "pairings", ["run_id"], unique=False)
    op.create_index(
        "uq_pairings_live_request",
        "pairings",
        ["mentee_request_id"],
        unique=True,
        postgresql_where=sa.text("state IN ('published', 'active')"),
    )
    op.create_table(
        "mentoring_check_ins",
        sa.Column("pairing_id", sa.Uuid(), nullable=False),
        sa.Column("author_employee_id", sa.Uuid(), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "rating IS NULL OR rating BETWEEN 1 AND 5", name=op.f("ck_mentoring_check_ins_rating_range")
        ),
        sa.ForeignKeyConstraint(
            ["author_employee_id"], ["employees.id"], name=op.f("fk_mentoring_check_ins_author_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["pairing_id"], ["pairings.id"], name=op.f("fk_mentoring_check_ins_pairing_id_pairings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentoring_check_ins")),
    )
    op.create_index(
        op.f("ix_mentoring_check_ins_author_employee_id"), "mentoring_check_ins", ["author_employee_id"], unique=False
    )
    op.create_index(op.f("ix_mentoring_check_ins_pairing_id"), "mentoring_check_ins", ["pairing_id"], unique=False)


def downgrade() -> None:
    op.drop_table("mentoring_check_ins")
    op.drop_table("pairings")
    op.drop_table("mentoring_waitlist")
    op.drop_table("mentor_profile_skills")
    op.drop_table("mentee_request_skills")
    op.drop_table("pairing_runs")
    op.drop_table("mentor_profiles")
    op.drop_table("mentee_requests")
    op.drop_table("mentoring_programmes")
