"""Tenant schema: skill ratings per source with who ended them, and versioned matching weights.

- `employee_skills`: one current rating per skill *and source* (the employee's own, their manager's,
  an assessment's ... side by side: nobody's rating closes another source's), and `ended_by`, who
  closed a version.
- `matching_weights_versions` replaces the single row of `matching_settings`: every version of the
  weights, with who set them and when. Version 1 is what the tenant had (its settings, or the defaults
  of the time, written out here so that the version says exactly what was in force).
- `matching_runs.weights_version`: the version a recompute scored with.

Revision ID: t0011
Revises: t0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
import uuid_utils
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0011"
down_revision = "t0010"
branch_labels = None
depends_on = None

# backend.matching.engine.Weights() when this revision was written (tested to be equal still).
DEFAULT_WEIGHTS = {
    "required_skills": 0.45,
    "nice_to_have_skills": 0.1,
    "adjacent_skills": 0.1,
    "aspirations": 0.15,
    "level_fit": 0.15,
    "location_fit": 0.05,
}
DEFAULTS_SET_BY = "crosswalk:defaults"


def upgrade() -> None:
    op.add_column("employee_skills", sa.Column("ended_by", sa.String(length=200), nullable=True))
    op.drop_index("uq_employee_skills_current", table_name="employee_skills")
    op.create_index(
        "uq_employee_skills_current",
        "employee_skills",
        ["employee_id", "skill_id", "source"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )

    versions = op.create_table(
        "matching_weights_versions",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("weights", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_by_employee_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_matching_weights_versions_positive_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_weights_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_matching_weights_versions_version")),
    )
    bind = op.get_bind()
    settings = bind.execute(sa.text("SELECT weights, updated_at, updated_by FROM matching_settings")).first()
    first: dict[str, object] = {
        # UUIDv7, as the models' ids: lists are paginated in id order.
        "id": uuid.UUID(bytes=uuid_utils.uuid7().bytes),
        "version": 1,
        "weights": DEFAULT_WEIGHTS,
        "set_by": DEFAULTS_SET_BY,
        "set_by_employee_id": None,
    }
    if settings is not None:
        weights, updated_at, updated_by = settings
        first |= {
            "weights": weights,
            "set_at": updated_at,
            "set_by": f"employee:{updated_by}" if updated_by else "unknown",
            "set_by_employee_id": updated_by,
        }
    op.bulk_insert(versions, [first])
    op.drop_table("matching_settings")
    op.add_column("matching_runs", sa.Column("weights_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("matching_runs", "weights_version")
    op.create_table(
        "matching_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("weights", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_matching_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_settings")),
    )
    op.execute(
        "INSERT INTO matching_settings (id, weights, updated_at, updated_by) "
        "SELECT 1, weights, set_at, set_by_employee_id FROM matching_weights_versions "
        "ORDER BY version DESC LIMIT 1"
    )
    op.drop_table("matching_weights_versions")
    # Back to one current rating per skill: keep the newest of each skill's current ratings.
    op.execute(
        "UPDATE employee_skills AS older SET valid_to = newer.valid_from FROM employee_skills AS newer "
        "WHERE older.valid_to IS NULL AND newer.valid_to IS NULL AND older.employee_id = newer.employee_id "
        "AND older.skill_id = newer.skill_id AND (older.valid_from, older.id) < (newer.valid_from, newer.id)"
    )
    op.drop_index("uq_employee_skills_current", table_name="employee_skills")
    op.create_index(
        "uq_employee_skills_current",
        "employee_skills",
        ["employee_id", "skill_id"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.drop_column("employee_skills", "ended_by")
