"""Tenant schema: identifiers unique and compared by their ASCII-folded form, never by lower().

Postgres's lower() folds Unicode (the Kelvin sign K lowers to k), so a unique index on lower(email)
made a lookalike address collide with, and a lookup find, another person's. Emails are stored in their
normal form (ASCII letters lower-case; backend/identifiers.py) and unique as stored; userNames and
directory group names are unique by translate(A-Z to a-z), the expression the code compares.

Revision ID: t0013
Revises: t0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0013"
down_revision = "t0012"
branch_labels = None
depends_on = None

# A migration keeps its own copy: it must build the same indexes whatever the code says later.
_FOLD = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'"


def upgrade() -> None:
    # Every writer lower-cased emails already; this makes sure of the ASCII letters. It cannot collide:
    # two addresses equal after it were equal under the lower() index that was there.
    op.execute(f"UPDATE employees SET email = translate(email, {_FOLD}) WHERE email <> translate(email, {_FOLD})")  # noqa: S608 - constants only
    op.drop_index("uq_employees_email_lower", table_name="employees")
    op.create_unique_constraint(op.f("uq_employees_email"), "employees", ["email"])
    op.create_check_constraint(op.f("ck_employees_email_folded"), "employees", f"email = translate(email, {_FOLD})")
    op.drop_index("uq_employees_user_name_lower", table_name="employees")
    op.create_index(
        "uq_employees_user_name_folded",
        "employees",
        [sa.literal_column(f"translate(user_name, {_FOLD})")],
        unique=True,
    )
    op.drop_index("uq_directory_groups_display_name_lower", table_name="directory_groups")
    op.create_index(
        "uq_directory_groups_display_name_folded",
        "directory_groups",
        [sa.literal_column(f"translate(display_name, {_FOLD})")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_directory_groups_display_name_folded", table_name="directory_groups")
    op.create_index(
        "uq_directory_groups_display_name_lower",
        "directory_groups",
        [sa.literal_column("lower(display_name)")],
        unique=True,
    )
    op.drop_index("uq_employees_user_name_folded", table_name="employees")
    op.create_index("uq_employees_user_name_lower", "employees", [sa.literal_column("lower(user_name)")], unique=True)
    op.drop_constraint(op.f("ck_employees_email_folded"), "employees", type_="check")
    op.drop_constraint(op.f("uq_employees_email"), "employees", type_="unique")
    op.create_index("uq_employees_email_lower", "employees", [sa.text("lower(email)")], unique=True)
