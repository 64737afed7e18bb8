"""Control schema: tenants and the global skills catalogue.

Revision ID: c0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Trigram search over the catalogue; pg_trgm is a trusted extension, so the database owner may add it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA control")
    op.create_table(
        "catalog_concepts",
        sa.Column(
            "kind",
            sa.Enum(
                "skill",
                "occupation",
                name="catalog_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
                schema="control",
            ),
            nullable=False,
        ),
        sa.Column("uri", sa.String(length=300), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("alt_labels", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_concepts")),
        sa.UniqueConstraint("uri", name=op.f("uq_catalog_concepts_uri")),
        schema="control",
    )
    op.create_index(op.f("ix_catalog_concepts_kind"), "catalog_concepts", ["kind"], unique=False, schema="control")
    op.create_index(
        "ix_catalog_concepts_search_trgm",
        "catalog_concepts",
        ["search_text"],
        unique=False,
        schema="control",
        postgresql_using="gin",
        postgresql_ops={"search_text": "control.gin_trgm_ops"},
    )
    op.create_table(
        "tenants",
        sa.Column("slug", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "provisioning",
                "active",
                "suspended",
                "archived",
                name="tenant_status",
                native_enum=False,
                create_constraint=True,
                length=32,
                schema="control",
            ),
            nullable=False,
        ),
        sa.Column("placement", sa.String(length=63), nullable=False),
        sa.Column("schema_name", sa.String(length=63), nullable=False),
        sa.Column("role_name", sa.String(length=63), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("role_name", name=op.f("uq_tenants_role_name")),
        sa.UniqueConstraint("schema_name", name=op.f("uq_tenants_schema_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
        schema="control",
    )


def downgrade() -> None:
    raise NotImplementedError("the initial revision is not downgraded; restore from backup instead")
