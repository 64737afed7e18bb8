"""Tenant schema: confidentiality of reassigned openings, reasons shared with applicants, moves that
rewrite the employee's record.

- `applications.addressed_to_id`: the hiring manager the applicant sent the application to. Rows of
  before are taken to have been sent to the opening's hiring manager of now, the best knowledge there is.
- `application_events.reason_shared`: what the hiring side told the applicant (a rejection's reason).
- `moves`: from and to title and level, whether the move rewrites the employee's record and when it
  did. Moves of before were left to the HRIS, so they rewrite nothing.

Revision ID: t0010
Revises: t0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0010"
down_revision = "t0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("addressed_to_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_applications_addressed_to_id_employees"), "applications", "employees", ["addressed_to_id"], ["id"]
    )
    op.execute(
        "UPDATE applications SET addressed_to_id = opportunities.hiring_manager_id "
        "FROM opportunities WHERE opportunities.id = applications.opportunity_id"
    )
    op.add_column("application_events", sa.Column("reason_shared", sa.Text(), nullable=True))
    op.add_column("moves", sa.Column("from_title", sa.String(length=200), nullable=True))
    op.add_column("moves", sa.Column("to_title", sa.String(length=200), nullable=True))
    op.add_column("moves", sa.Column("from_level", sa.Integer(), nullable=True))
    op.add_column("moves", sa.Column("to_level", sa.Integer(), nullable=True))
    op.add_column("moves", sa.Column("updates_employee", sa.Boolean(), server_default="false", nullable=False))
    op.add_column("moves", sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for column in ("applied_at", "updates_employee", "to_level", "from_level", "to_title", "from_title"):
        op.drop_column("moves", column)
    op.drop_column("application_events", "reason_shared")
    op.drop_constraint(op.f("fk_applications_addressed_to_id_employees"), "applications", type_="foreignkey")
    op.drop_column("applications", "addressed_to_id")
