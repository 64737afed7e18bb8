"""Tenant schema: org, employees, skills, role framework, aspirations.

Revision ID: t0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_records",
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("subject", "key", name=op.f("pk_idempotency_records")),
    )
    op.create_index(op.f("ix_idempotency_records_created_at"), "idempotency_records", ["created_at"], unique=False)
    op.create_table(
        "job_families",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_families")),
        sa.UniqueConstraint("name", name=op.f("uq_job_families_name")),
    )
    op.create_table(
        "org_units",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "division",
                "department",
                "team",
                name="org_unit_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["org_units.id"], name=op.f("fk_org_units_parent_id_org_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_units")),
        sa.UniqueConstraint(
            "parent_id", "name", name=op.f("uq_org_units_parent_id_name"), postgresql_nulls_not_distinct=True
        ),
    )
    op.create_index(op.f("ix_org_units_parent_id"), "org_units", ["parent_id"], unique=False)
    op.create_table(
        "proficiency_levels",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_proficiency_levels_level_range")),
        sa.PrimaryKeyConstraint("level", name=op.f("pk_proficiency_levels")),
    )
    op.create_table(
        "skill_categories",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_skill_categories_name")),
    )
    op.create_table(
        "roles",
        sa.Column("job_family_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 10", name=op.f("ck_roles_level_range")),
        sa.ForeignKeyConstraint(
            ["job_family_id"], ["job_families.id"], name=op.f("fk_roles_job_family_id_job_families")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("job_family_id", "title", name=op.f("uq_roles_job_family_id_title")),
    )
    op.create_index(op.f("ix_roles_job_family_id"), "roles", ["job_family_id"], unique=False)
    op.create_table(
        "skills",
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("alt_labels", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("catalog_uri", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["skill_categories.id"], name=op.f("fk_skills_category_id_skill_categories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skills")),
        sa.UniqueConstraint("catalog_uri", name=op.f("uq_skills_catalog_uri")),
    )
    op.create_index(op.f("ix_skills_category_id"), "skills", ["category_id"], unique=False)
    op.create_index("uq_skills_label_lower", "skills", [sa.text("lower(label)")], unique=True)
    op.create_table(
        "career_paths",
        sa.Column("from_role_id", sa.Uuid(), nullable=False),
        sa.Column("to_role_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "promotion",
                "lateral",
                "cross_department",
                name="transition_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("typical_months", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("from_role_id <> to_role_id", name=op.f("ck_career_paths_distinct_roles")),
        sa.CheckConstraint(
            "typical_months IS NULL OR typical_months BETWEEN 0 AND 240", name=op.f("ck_career_paths_months_range")
        ),
        sa.ForeignKeyConstraint(
            ["from_role_id"], ["roles.id"], name=op.f("fk_career_paths_from_role_id_roles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["to_role_id"], ["roles.id"], name=op.f("fk_career_paths_to_role_id_roles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_career_paths")),
        sa.UniqueConstraint("from_role_id", "to_role_id", name=op.f("uq_career_paths_from_role_id_to_role_id")),
    )
    op.create_index(op.f("ix_career_paths_from_role_id"), "career_paths", ["from_role_id"], unique=False)
    op.create_index(op.f("ix_career_paths_to_role_id"), "career_paths", ["to_role_id"], unique=False)
    op.create_table(
        "employees",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("org_unit_id", sa.Uuid(), nullable=True),
        sa.Column("manager_id", sa.Uuid(), nullable=True),
        sa.Column("role_id", sa.Uuid(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 10", name=op.f("ck_employees_level_range")),
        sa.CheckConstraint("manager_id <> id", name=op.f("ck_employees_not_own_manager")),
        sa.ForeignKeyConstraint(["manager_id"], ["employees.id"], name=op.f("fk_employees_manager_id_employees")),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"], name=op.f("fk_employees_org_unit_id_org_units")),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"], name=op.f("fk_employees_role_id_roles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employees")),
        sa.UniqueConstraint("external_id", name=op.f("uq_employees_external_id")),
    )
    op.create_index(op.f("ix_employees_manager_id"), "employees", ["manager_id"], unique=False)
    op.create_index(op.f("ix_employees_org_unit_id"), "employees", ["org_unit_id"], unique=False)
    op.create_index(op.f("ix_employees_role_id"), "employees", ["role_id"], unique=False)
    op.create_index("uq_employees_email_lower", "employees", [sa.text("lower(email)")], unique=True)
    op.create_table(
        "role_skills",
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("skill_id", sa.Uuid(), nullable=False),
        sa.Column("target_level", sa.Integer(), nullable=False),
        sa.Column(
            "importance",
            sa.Enum(
                "essential",
                "important",
                "nice_to_have",
                name="importance",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("target_level BETWEEN 1 AND 5", name=op.f("ck_role_skills_target_level_range")),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_role_skills_role_id_roles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"], name=op.f("fk_role_skills_skill_id_skills")),
        sa.PrimaryKeyConstraint("role_id", "skill_id", name=op.f("pk_role_skills")),
    )
    op.create_index(op.f("ix_role_skills_skill_id"), "role_skills", ["skill_id"], unique=False)
    op.create_table(
        "aspirations",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column(
            "open_to_move",
            sa.Enum(
                "hidden",
                "hr_only",
                "hiring_managers",
                name="open_to_move",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="hidden",
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], name=op.f("fk_aspirations_employee_id_employees")),
        sa.PrimaryKeyConstraint("employee_id", name=op.f("pk_aspirations")),
    )
    op.create_table(
        "employee_skills",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("skill_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "self",
                "manager",
                "peer",
                "assessment",
                "course",
                "project",
                name="skill_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("evidence_url", sa.String(length=2000), nullable=True),
        sa.Column("last_confirmed", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_employee_skills_level_range")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_employee_skills_validity")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_employee_skills_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"], name=op.f("fk_employee_skills_skill_id_skills")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employee_skills")),
    )
    op.create_index(op.f("ix_employee_skills_employee_id"), "employee_skills", ["employee_id"], unique=False)
    op.create_index(op.f("ix_employee_skills_skill_id"), "employee_skills", ["skill_id"], unique=False)
    op.create_index(
        "uq_employee_skills_current",
        "employee_skills",
        ["employee_id", "skill_id"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_table(
        "aspiration_roles",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["aspirations.employee_id"],
            name=op.f("fk_aspiration_roles_employee_id_aspirations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"], name=op.f("fk_aspiration_roles_role_id_roles")),
        sa.PrimaryKeyConstraint("employee_id", "role_id", name=op.f("pk_aspiration_roles")),
    )
    op.create_index(op.f("ix_aspiration_roles_role_id"), "aspiration_roles", ["role_id"], unique=False)
    op.create_table(
        "aspiration_skills",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("skill_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["aspirations.employee_id"],
            name=op.f("fk_aspiration_skills_employee_id_aspirations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"], name=op.f("fk_aspiration_skills_skill_id_skills")),
        sa.PrimaryKeyConstraint("employee_id", "skill_id", name=op.f("pk_aspiration_skills")),
    )
    op.create_index(op.f("ix_aspiration_skills_skill_id"), "aspiration_skills", ["skill_id"], unique=False)
    op.bulk_insert(
        sa.table(
            "proficiency_levels",
            sa.column("level", sa.Integer),
            sa.column("name", sa.String),
            sa.column("description", sa.Text),
        ),
        [
            {"level": 1, "name": "Novice", "description": "Knows the basics; needs guidance for most tasks."},
            {
                "level": 2,
                "name": "Advanced beginner",
                "description": "Handles routine tasks; needs help with new ones.",
            },
            {"level": 3, "name": "Competent", "description": "Works independently on most tasks."},
            {"level": 4, "name": "Proficient", "description": "Handles complex work and guides others."},
            {"level": 5, "name": "Expert", "description": "Recognised authority; shapes how the organisation does it."},
        ],
    )


def downgrade() -> None:
    raise NotImplementedError("the initial revision is not downgraded; restore from backup instead")
