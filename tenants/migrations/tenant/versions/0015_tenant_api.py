"""Tenant schema: every record of who acted names an actor, never NULL.

`requested_by`, `updated_by`, `created_by` and `published_by` held an employee's id, so a job, a
policy, a programme or a pairing run asked for by a CLI-minted token, a partner app or the console
recorded nobody (the matching weights already record their setter: t0011). They now hold the caller's
token subject (`Principal.actor`); where the
employee matters (whose jobs one sees, who manages an opening) it stays beside it in an
`..._employee_id` column. Rows written before record "employee:<id>" when they named an employee and
"unrecorded" when they named nobody.

Revision ID: t0015
Revises: t0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0015"
down_revision = "t0014"
branch_labels = None
depends_on = None

ACTOR = sa.String(length=200)
_FROM_EMPLOYEE = "CASE WHEN {column} IS NULL THEN 'unrecorded' ELSE 'employee:' || {column}::text END"


def _employee_to_actor(table: str, column: str, *, foreign_key: str | None = None, nullable: bool = False) -> None:
    """Turn a column holding an employee's id into one holding an actor."""
    if foreign_key is not None:
        op.drop_constraint(foreign_key, table, type_="foreignkey")
    # A column set only once something happens (a run is published later) stays NULL until then.
    using = f"'employee:' || {column}::text" if nullable else _FROM_EMPLOYEE.format(column=column)
    op.alter_column(table, column, type_=ACTOR, postgresql_using=using, existing_nullable=True, nullable=nullable)


def upgrade() -> None:
    # Jobs: the actor, and the employee whose jobs they are.
    op.alter_column("jobs", "requested_by", new_column_name="requested_by_employee_id")
    op.add_column("jobs", sa.Column("requested_by", ACTOR, nullable=True))
    op.execute(
        "UPDATE jobs SET requested_by = CASE WHEN requested_by_employee_id IS NULL THEN 'unrecorded' "
        "ELSE 'employee:' || requested_by_employee_id::text END"
    )
    op.alter_column("jobs", "requested_by", nullable=False)

    _employee_to_actor("mobility_policy", "updated_by")
    _employee_to_actor("mentoring_programmes", "created_by", foreign_key="fk_mentoring_programmes_created_by_employees")
    _employee_to_actor("pairing_runs", "created_by", foreign_key="fk_pairing_runs_created_by_employees")
    _employee_to_actor(
        "pairing_runs", "published_by", foreign_key="fk_pairing_runs_published_by_employees", nullable=True
    )

    # Openings kept both already, the other way round.
    op.drop_constraint("fk_opportunities_created_by_employees", "opportunities", type_="foreignkey")
    op.drop_index("ix_opportunities_created_by", table_name="opportunities")
    op.alter_column("opportunities", "created_by", new_column_name="created_by_employee_id")
    op.alter_column("opportunities", "created_by_subject", new_column_name="created_by")
    op.create_foreign_key(
        op.f("fk_opportunities_created_by_employee_id_employees"),
        "opportunities",
        "employees",
        ["created_by_employee_id"],
        ["id"],
    )
    op.create_index(
        op.f("ix_opportunities_created_by_employee_id"), "opportunities", ["created_by_employee_id"], unique=False
    )


def _actor_to_employee(table: str, column: str, *, foreign_key: str | None = None) -> None:
    """Back to an employee's id: the actors that were not "employee:<id>" become NULL again."""
    op.alter_column(
        table,
        column,
        type_=sa.Uuid(),
        postgresql_using=f"CASE WHEN starts_with({column}, 'employee:') THEN substr({column}, 10)::uuid END",
        nullable=True,
    )
    if foreign_key is not None:
        op.create_foreign_key(foreign_key, table, "employees", [column], ["id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_opportunities_created_by_employee_id"), table_name="opportunities")
    op.drop_constraint(op.f("fk_opportunities_created_by_employee_id_employees"), "opportunities", type_="foreignkey")
    op.alter_column("opportunities", "created_by", new_column_name="created_by_subject")
    op.alter_column("opportunities", "created_by_employee_id", new_column_name="created_by")
    op.create_foreign_key("fk_opportunities_created_by_employees", "opportunities", "employees", ["created_by"], ["id"])
    op.create_index("ix_opportunities_created_by", "opportunities", ["created_by"], unique=False)

    _actor_to_employee("pairing_runs", "published_by", foreign_key="fk_pairing_runs_published_by_employees")
    _actor_to_employee("pairing_runs", "created_by", foreign_key="fk_pairing_runs_created_by_employees")
    _actor_to_employee("mentoring_programmes", "created_by", foreign_key="fk_mentoring_programmes_created_by_employees")
    _actor_to_employee("mobility_policy", "updated_by")

    op.drop_column("jobs", "requested_by")
    op.alter_column("jobs", "requested_by_employee_id", new_column_name="requested_by")
