"""Tenant schema: identical waiting jobs are one job, and jobs lost by the broker are sent again.

`uq_jobs_waiting_identical` makes a job of the same kind and arguments as one not started yet
(`queued`, no attempt) impossible, so that asking again returns the waiting job even under concurrent
requests. Identical waiting jobs asked for before this revision are merged first: the oldest stays, the
others are failed with an error naming it (they would have done the same work). `resends` counts how
often the relay sent a job again because it had not started.

Revision ID: t0016
Revises: t0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0016"
down_revision = "t0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("resends", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        """
        WITH waiting AS (
            SELECT id, first_value(id) OVER identical AS kept, row_number() OVER identical AS n
            FROM jobs
            WHERE status = 'queued' AND attempts = 0
            WINDOW identical AS (PARTITION BY kind, md5(arguments::text) ORDER BY created_at, id)
        )
        UPDATE jobs SET status = 'failed', finished_at = clock_timestamp(),
            error = 'merged into the identical job ' || waiting.kept || ', which was waiting too'
        FROM waiting WHERE jobs.id = waiting.id AND waiting.n > 1
        """
    )
    op.create_index(
        "uq_jobs_waiting_identical",
        "jobs",
        ["kind", sa.text("md5(arguments::text)")],
        unique=True,
        postgresql_where=sa.text("status = 'queued' AND attempts = 0"),
    )


def downgrade() -> None:
    op.drop_index("uq_jobs_waiting_identical", table_name="jobs")
    op.drop_column("jobs", "resends")
