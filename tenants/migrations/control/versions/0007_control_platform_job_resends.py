"""Control schema: platform jobs lost by the broker are sent again; `resends` counts how often.

Revision ID: c0007
Revises: c0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0007"
down_revision = "c0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "platform_jobs", sa.Column("resends", sa.Integer(), server_default="0", nullable=False), schema="control"
    )


def downgrade() -> None:
    op.drop_column("platform_jobs", "resends", schema="control")
