"""Tenant schema: the job code of an employee, from the company's system of record (SCIM).

Revision ID: t0012
Revises: t0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0012"
down_revision = "t0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("employees", sa.Column("job_code", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("employees", "job_code")
