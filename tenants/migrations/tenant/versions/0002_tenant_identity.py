"""Tenant schema: SSO identity links, SCIM fields of employees, directory groups.

Revision ID: t0002
Revises: t0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0002"
down_revision = "t0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_groups",
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("scim_external_id", sa.String(length=255), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_groups")),
        sa.UniqueConstraint("scim_external_id", name=op.f("uq_directory_groups_scim_external_id")),
    )
    op.create_index(
        "uq_directory_groups_display_name_lower",
        "directory_groups",
        [sa.literal_column("lower(display_name)")],
        unique=True,
    )
    op.create_table(
        "directory_group_members",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_directory_group_members_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["directory_groups.id"],
            name=op.f("fk_directory_group_members_group_id_directory_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "employee_id", name=op.f("pk_directory_group_members")),
    )
    op.create_index(
        op.f("ix_directory_group_members_employee_id"), "directory_group_members", ["employee_id"], unique=False
    )
    op.create_table(
        "employee_identities",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_employee_identities_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employee_identities")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_employee_identities_issuer_subject")),
    )
    op.create_index(op.f("ix_employee_identities_employee_id"), "employee_identities", ["employee_id"], unique=False)
    op.add_column("employees", sa.Column("user_name", sa.String(length=320), nullable=True))
    op.add_column("employees", sa.Column("scim_external_id", sa.String(length=255), nullable=True))
    op.add_column("employees", sa.Column("given_name", sa.String(length=100), nullable=True))
    op.add_column("employees", sa.Column("family_name", sa.String(length=100), nullable=True))
    op.add_column("employees", sa.Column("deprovisioned_at", sa.DateTime(timezone=True), nullable=True))
    op.create_unique_constraint(op.f("uq_employees_scim_external_id"), "employees", ["scim_external_id"])
    op.create_index("uq_employees_user_name_lower", "employees", [sa.literal_column("lower(user_name)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_employees_user_name_lower", table_name="employees")
    op.drop_constraint(op.f("uq_employees_scim_external_id"), "employees", type_="unique")
    for column in ("deprovisioned_at", "family_name", "given_name", "scim_external_id", "user_name"):
        op.drop_column("employees", column)
    op.drop_table("employee_identities")
    op.drop_table("directory_group_members")
    op.drop_table("directory_groups")
