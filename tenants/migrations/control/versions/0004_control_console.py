"""Control schema: the consultants' console (platform users, their tenants, their audit log) and the
records of platform jobs (provisioning a tenant, changing its status).

Revision ID: c0004
Revises: c0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "c0004"
down_revision = "c0003"
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "platform_users",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "consultant", "superadmin", name="platform_role", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("totp_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_users")),
        sa.UniqueConstraint("email", name=op.f("uq_platform_users_email")),
        schema="control",
    )
    op.create_table(
        "consultant_assignments",
        sa.Column("platform_user_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["platform_user_id"],
            ["control.platform_users.id"],
            name=op.f("fk_consultant_assignments_platform_user_id_platform_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["control.tenants.id"],
            name=op.f("fk_consultant_assignments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultant_assignments")),
        sa.UniqueConstraint(
            "platform_user_id", "tenant_id", name=op.f("uq_consultant_assignments_platform_user_id_tenant_id")
        ),
        schema="control",
    )
    op.create_index(
        op.f("ix_consultant_assignments_platform_user_id"),
        "consultant_assignments",
        ["platform_user_id"],
        schema="control",
    )
    op.create_index(
        op.f("ix_consultant_assignments_tenant_id"), "consultant_assignments", ["tenant_id"], schema="control"
    )
    op.create_table(
        "console_audit_events",
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_email", sa.String(length=320), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_audit_events")),
        schema="control",
    )
    op.create_index(
        "ix_console_audit_events_tenant_id_at", "console_audit_events", ["tenant_id", "at"], schema="control"
    )
    op.create_table(
        "platform_jobs",
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("arguments", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                name="job_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_platform_jobs_progress_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_jobs")),
        schema="control",
    )
    op.create_index(op.f("ix_platform_jobs_tenant_id"), "platform_jobs", ["tenant_id"], schema="control")
    op.create_index(
        "ix_platform_jobs_unsent",
        "platform_jobs",
        ["created_at"],
        schema="control",
        postgresql_where=sa.text("sent_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("platform_jobs", schema="control")
    op.drop_table("console_audit_events", schema="control")
    op.drop_table("consultant_assignments", schema="control")
    op.drop_table("platform_users", schema="control")
