"""Control schema: whether a tenant's identity provider is trusted to issue verified email addresses only.

Off for every provider, existing ones included: until HR declares it, a sign-in needs
`email_verified: true` in the id_token (see the README on Entra ID).

Revision ID: c0005
Revises: c0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0005"
down_revision = "c0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "identity_providers",
        sa.Column("provider_verifies_emails", sa.Boolean(), server_default=sa.false(), nullable=False),
        schema="control",
    )


def downgrade() -> None:
    op.drop_column("identity_providers", "provider_verifies_emails", schema="control")
