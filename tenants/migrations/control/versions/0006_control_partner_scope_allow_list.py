"""Control schema: partner clients keep only the scopes of the partner allow-list.

Partner scopes were everything but a deny-list, so a client registered before may hold a scope that
is no longer grantable (mentoring, notifications). Such a scope is never granted any more (the token
endpoint and the API both check the allow-list); it is dropped here too, so that the client's record
says what it can really do. The list is the one of this revision, written out: a migration must not
change with later code.

Revision ID: c0006
Revises: c0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0006"
down_revision = "c0005"
branch_labels = None
depends_on = None

_PARTNER_SCOPES = (
    "org:read",
    "org:write",
    "employees:read",
    "employees:write",
    "taxonomy:read",
    "taxonomy:write",
    "skills:read",
    "skills:write",
    "roles:read",
    "roles:write",
    "opportunities:read",
    "opportunities:write",
    "training:read",
    "training:write",
    "jobs:read",
)


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE control.partner_clients SET scopes = ARRAY("
            "SELECT s FROM unnest(scopes) AS s WHERE s = ANY(CAST(:allowed AS varchar[])) ORDER BY s)::varchar[] "
            "WHERE NOT scopes <@ CAST(:allowed AS varchar[])"
        ).bindparams(allowed=list(_PARTNER_SCOPES))
    )


def downgrade() -> None:
    # The dropped scopes were never grantable under the allow-list; nothing to give back.
    pass
