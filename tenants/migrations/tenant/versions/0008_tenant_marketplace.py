"""Tenant schema: the opportunity marketplace and the audit log.

Opportunity types, opportunities with their skills and visibility units, applications with their
history, the mobility policy, manager releases with their answers, moves; and the audit log, which
is append-only for the tenant role: UPDATE and DELETE are revoked from every role that the schema's
default privileges granted them to (the tenant's role), so not even a bug in the serving code can
rewrite who saw what.

Revision ID: t0008
Revises: t0007
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0008"
down_revision = "t0007"
branch_labels = None
depends_on = None

# Every role holding UPDATE or DELETE on the audit log other than its owner (who runs migrations).
_APPEND_ONLY = """
DO $$
DECLARE grantee_name text;
BEGIN
    FOR grantee_name IN
        SELECT DISTINCT acl.grantee::regrole::text
        FROM pg_class c, aclexplode(c.relacl) AS acl
        WHERE c.oid = 'audit_events'::regclass
          AND acl.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
          AND acl.grantee <> c.relowner
          AND acl.grantee <> 0
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %s', grantee_name);
    END LOOP;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_subject", sa.String(length=200), nullable=False),
        sa.Column("actor_employee_id", sa.Uuid(), nullable=True),
        sa.Column("actor_client_id", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("subject_employee_id", sa.Uuid(), nullable=True),
        sa.Column("object_type", sa.String(length=50), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"], unique=False)
    op.create_index(op.f("ix_audit_events_actor_employee_id"), "audit_events", ["actor_employee_id"], unique=False)
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"], unique=False)
    op.create_index(op.f("ix_audit_events_subject_employee_id"), "audit_events", ["subject_employee_id"], unique=False)
    op.create_table(
        "mobility_policy",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "manager_notice",
            sa.Enum(
                "at_application",
                "at_offer",
                "never_before_move",
                name="manager_notice",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("release_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_mobility_policy_single_row")),
        sa.CheckConstraint("release_days BETWEEN 1 AND 90", name=op.f("ck_mobility_policy_release_days_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mobility_policy")),
    )
    op.create_table(
        "opportunity_types",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_types")),
    )
    op.create_index(
        "uq_opportunity_types_name_lower", "opportunity_types", [sa.literal_column("lower(name)")], unique=True
    )
    op.create_table(
        "opportunities",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "role",
                "gig",
                "project",
                "custom",
                name="opportunity_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("type_id", sa.Uuid(), nullable=True),
        sa.Column("role_id", sa.Uuid(), nullable=True),
        sa.Column("org_unit_id", sa.Uuid(), nullable=True),
        sa.Column("hiring_manager_id", sa.Uuid(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("remote", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("hours_per_week", sa.Integer(), nullable=True),
        sa.Column("duration_weeks", sa.Integer(), nullable=True),
        sa.Column("positions", sa.Integer(), server_default="1", nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("min_level", sa.Integer(), nullable=True),
        sa.Column("max_level", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "open",
                "closed",
                "filled",
                name="opportunity_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_by_subject", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(kind = 'custom') = (type_id IS NOT NULL)", name=op.f("ck_opportunities_custom_needs_type")
        ),
        sa.CheckConstraint(
            "kind <> 'role' OR (hours_per_week IS NULL AND duration_weeks IS NULL)",
            name=op.f("ck_opportunities_role_has_no_hours"),
        ),
        sa.CheckConstraint("kind <> 'role' OR role_id IS NOT NULL", name=op.f("ck_opportunities_role_needs_role_id")),
        sa.CheckConstraint(
            "kind NOT IN ('gig', 'project') OR (hours_per_week IS NOT NULL AND duration_weeks IS NOT NULL)",
            name=op.f("ck_opportunities_gig_needs_hours"),
        ),
        sa.CheckConstraint(
            "kind NOT IN ('gig', 'project') OR role_id IS NULL", name=op.f("ck_opportunities_gig_has_no_role_id")
        ),
        sa.CheckConstraint("closes_at > opens_at", name=op.f("ck_opportunities_window")),
        sa.CheckConstraint("duration_weeks BETWEEN 1 AND 260", name=op.f("ck_opportunities_duration_range")),
        sa.CheckConstraint("hours_per_week BETWEEN 1 AND 80", name=op.f("ck_opportunities_hours_range")),
        sa.CheckConstraint("level BETWEEN 1 AND 10", name=op.f("ck_opportunities_level_range")),
        sa.CheckConstraint("max_level BETWEEN 1 AND 10", name=op.f("ck_opportunities_max_level_range")),
        sa.CheckConstraint("min_level <= max_level", name=op.f("ck_opportunities_level_bounds_order")),
        sa.CheckConstraint("min_level BETWEEN 1 AND 10", name=op.f("ck_opportunities_min_level_range")),
        sa.CheckConstraint("positions BETWEEN 1 AND 1000", name=op.f("ck_opportunities_positions_range")),
        sa.ForeignKeyConstraint(["created_by"], ["employees.id"], name=op.f("fk_opportunities_created_by_employees")),
        sa.ForeignKeyConstraint(
            ["hiring_manager_id"], ["employees.id"], name=op.f("fk_opportunities_hiring_manager_id_employees")
        ),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"], name=op.f("fk_opportunities_org_unit_id_org_units")),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"], name=op.f("fk_opportunities_role_id_roles")),
        sa.ForeignKeyConstraint(
            ["type_id"], ["opportunity_types.id"], name=op.f("fk_opportunities_type_id_opportunity_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
    )
    op.create_index(op.f("ix_opportunities_created_by"), "opportunities", ["created_by"], unique=False)
    op.create_index(op.f("ix_opportunities_hiring_manager_id"), "opportunities", ["hiring_manager_id"], unique=False)
    op.create_index(op.f("ix_opportunities_org_unit_id"), "opportunities", ["org_unit_id"], unique=False)
    op.create_index(op.f("ix_opportunities_role_id"), "opportunities", ["role_id"], unique=False)
    op.create_index(op.f("ix_opportunities_status"), "opportunities", ["status"], unique=False)
    op.create_index(op.f("ix_opportunities_type_id"), "opportunities", ["type_id"], unique=False)
    op.create_table(
        "applications",
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "application", "interest", name="application_kind", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "stage",
            sa.Enum(
                "interested",
                "applied",
                "screening",
                "interview",
                "offer",
                "hired",
                "rejected",
                "withdrawn",
                name="application_stage",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("stage_changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("manager_informed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("informed_manager_id", sa.Uuid(), nullable=True),
        sa.Column("hired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], name=op.f("fk_applications_employee_id_employees")),
        sa.ForeignKeyConstraint(
            ["informed_manager_id"], ["employees.id"], name=op.f("fk_applications_informed_manager_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"], ["opportunities.id"], name=op.f("fk_applications_opportunity_id_opportunities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("opportunity_id", "employee_id", name=op.f("uq_applications_opportunity_id_employee_id")),
    )
    op.create_index(op.f("ix_applications_employee_id"), "applications", ["employee_id"], unique=False)
    op.create_index(op.f("ix_applications_opportunity_id"), "applications", ["opportunity_id"], unique=False)
    op.create_index(op.f("ix_applications_stage"), "applications", ["stage"], unique=False)
    op.create_table(
        "opportunity_skills",
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("skill_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
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
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_opportunity_skills_level_range")),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_skills_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"], name=op.f("fk_opportunity_skills_skill_id_skills")),
        sa.PrimaryKeyConstraint("opportunity_id", "skill_id", name=op.f("pk_opportunity_skills")),
    )
    op.create_index(op.f("ix_opportunity_skills_skill_id"), "opportunity_skills", ["skill_id"], unique=False)
    op.create_table(
        "opportunity_visibility_units",
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("org_unit_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_visibility_units_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_opportunity_visibility_units_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("opportunity_id", "org_unit_id", name=op.f("pk_opportunity_visibility_units")),
    )
    op.create_index(
        op.f("ix_opportunity_visibility_units_org_unit_id"),
        "opportunity_visibility_units",
        ["org_unit_id"],
        unique=False,
    )
    op.create_table(
        "application_events",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column(
            "from_stage",
            sa.Enum(
                "interested",
                "applied",
                "screening",
                "interview",
                "offer",
                "hired",
                "rejected",
                "withdrawn",
                name="from_stage",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_stage",
            sa.Enum(
                "interested",
                "applied",
                "screening",
                "interview",
                "offer",
                "hired",
                "rejected",
                "withdrawn",
                name="to_stage",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("by_subject", sa.String(length=200), nullable=False),
        sa.Column("by_employee_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_events_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_employee_id"], ["employees.id"], name=op.f("fk_application_events_by_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_events")),
    )
    op.create_index(
        op.f("ix_application_events_application_id"), "application_events", ["application_id"], unique=False
    )
    op.create_table(
        "manager_releases",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("manager_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "released",
                "delayed",
                "blocked",
                "overridden",
                "lapsed",
                "cancelled",
                name="release_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("release_on", sa.Date(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_manager_releases_application_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["employees.id"], name=op.f("fk_manager_releases_manager_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manager_releases")),
        sa.UniqueConstraint("application_id", name=op.f("uq_manager_releases_application_id")),
    )
    op.create_index(op.f("ix_manager_releases_manager_id"), "manager_releases", ["manager_id"], unique=False)
    op.create_index(op.f("ix_manager_releases_status"), "manager_releases", ["status"], unique=False)
    op.create_table(
        "moves",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "role",
                "gig",
                "project",
                "custom",
                name="opportunity_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("type_id", sa.Uuid(), nullable=True),
        sa.Column("from_role_id", sa.Uuid(), nullable=True),
        sa.Column("to_role_id", sa.Uuid(), nullable=True),
        sa.Column("from_org_unit_id", sa.Uuid(), nullable=True),
        sa.Column("to_org_unit_id", sa.Uuid(), nullable=True),
        sa.Column(
            "release",
            sa.Enum(
                "released",
                "lapsed",
                "overridden",
                "not_needed",
                "not_asked",
                name="release_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_moves_application_id_applications")
        ),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], name=op.f("fk_moves_employee_id_employees")),
        sa.ForeignKeyConstraint(
            ["from_org_unit_id"], ["org_units.id"], name=op.f("fk_moves_from_org_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(["from_role_id"], ["roles.id"], name=op.f("fk_moves_from_role_id_roles")),
        sa.ForeignKeyConstraint(
            ["opportunity_id"], ["opportunities.id"], name=op.f("fk_moves_opportunity_id_opportunities")
        ),
        sa.ForeignKeyConstraint(["to_org_unit_id"], ["org_units.id"], name=op.f("fk_moves_to_org_unit_id_org_units")),
        sa.ForeignKeyConstraint(["to_role_id"], ["roles.id"], name=op.f("fk_moves_to_role_id_roles")),
        sa.ForeignKeyConstraint(["type_id"], ["opportunity_types.id"], name=op.f("fk_moves_type_id_opportunity_types")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moves")),
        sa.UniqueConstraint("application_id", name=op.f("uq_moves_application_id")),
    )
    op.create_index(op.f("ix_moves_employee_id"), "moves", ["employee_id"], unique=False)
    op.create_index(op.f("ix_moves_moved_at"), "moves", ["moved_at"], unique=False)
    op.create_index(op.f("ix_moves_opportunity_id"), "moves", ["opportunity_id"], unique=False)
    op.create_table(
        "manager_release_events",
        sa.Column("release_id", sa.Uuid(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "requested",
                "release",
                "delay",
                "block",
                "override",
                "lapsed",
                "cancelled",
                name="release_action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("by_subject", sa.String(length=200), nullable=False),
        sa.Column("by_employee_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_employee_id"], ["employees.id"], name=op.f("fk_manager_release_events_by_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["manager_releases.id"],
            name=op.f("fk_manager_release_events_release_id_manager_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manager_release_events")),
    )
    op.create_index(
        op.f("ix_manager_release_events_release_id"), "manager_release_events", ["release_id"], unique=False
    )
    op.execute(_APPEND_ONLY)


def downgrade() -> None:
    op.drop_table("manager_release_events")
    op.drop_table("moves")
    op.drop_table("manager_releases")
    op.drop_table("application_events")
    op.drop_table("opportunity_visibility_units")
    op.drop_table("opportunity_skills")
    op.drop_table("applications")
    op.drop_table("opportunities")
    op.drop_table("opportunity_types")
    op.drop_table("mobility_policy")
    op.drop_table("audit_events")
