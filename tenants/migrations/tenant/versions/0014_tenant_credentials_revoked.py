"""Tenant schema: an employee's credentials end with their deactivation, and job results hold no weights.

`employees.credentials_revoked_at` is set by a trigger whenever an employee turns inactive, by
whatever path (API, SCIM, console, a script): every token and session issued to them until then is
refused, now and after a reactivation (see backend/org/credentials.py). The recompute job's
results no longer carry the tenant's matching weights (partners read job records, not weights), and
the results already stored lose them too.

Revision ID: t0014
Revises: t0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0014"
down_revision = "t0013"
branch_labels = None
depends_on = None

_REVOKE_FUNCTION = """
CREATE FUNCTION employees_revoke_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The statement's own clock, not the transaction's start: a credential issued while the
    -- deactivating transaction ran is still one of those it ends.
    NEW.credentials_revoked_at := clock_timestamp();
    RETURN NEW;
END
$$
"""
_REVOKE_TRIGGER = """
CREATE TRIGGER employees_revoke_credentials
BEFORE UPDATE OF active ON employees
FOR EACH ROW WHEN (OLD.active AND NOT NEW.active)
EXECUTE FUNCTION employees_revoke_credentials()
"""


def upgrade() -> None:
    op.add_column("employees", sa.Column("credentials_revoked_at", sa.DateTime(timezone=True), nullable=True))
    # People already inactive: whatever they were issued is over.
    op.execute("UPDATE employees SET credentials_revoked_at = now() WHERE NOT active")
    op.execute(_REVOKE_FUNCTION)
    op.execute(_REVOKE_TRIGGER)
    op.execute("UPDATE jobs SET result = result - 'weights' WHERE kind = 'matching.recompute' AND result ? 'weights'")


def downgrade() -> None:
    op.execute("DROP TRIGGER employees_revoke_credentials ON employees")
    op.execute("DROP FUNCTION employees_revoke_credentials()")
    op.drop_column("employees", "credentials_revoked_at")
