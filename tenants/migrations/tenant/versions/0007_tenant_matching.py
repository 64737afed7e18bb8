"""Tenant schema: matching weights, changes awaiting a recompute, recompute runs.

Revision ID: t0007
Revises: t0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0007"
down_revision = "t0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matching_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("weights", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_matching_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_settings")),
    )
    op.create_table(
        "matching_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reason", sa.String(length=50), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_changes")),
    )
    op.create_table(
        "matching_runs",
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("covered_change_id", sa.BigInteger(), nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_runs")),
    )
    op.create_index(op.f("ix_matching_runs_computed_at"), "matching_runs", ["computed_at"], unique=False)


def downgrade() -> None:
    op.drop_table("matching_runs")
    op.drop_table("matching_changes")
    op.drop_table("matching_settings")
