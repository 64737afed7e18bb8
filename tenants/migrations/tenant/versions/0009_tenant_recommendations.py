"""Tenant schema: precomputed recommendations, candidate lists and skill adjacency.

Revision ID: t0009
Revises: t0008
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0009"
down_revision = "t0008"
branch_labels = None
depends_on = None


def _ranked_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.REAL(), nullable=False),
        sa.Column("contributions", postgresql.ARRAY(sa.REAL()), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "opportunity_recommendations",
        *_ranked_columns(),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("rank", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_opportunity_recommendations_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_recommendations_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["matching_runs.id"],
            name=op.f("fk_opportunity_recommendations_run_id_matching_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("employee_id", "rank", name=op.f("pk_opportunity_recommendations")),
    )
    op.create_index(
        op.f("ix_opportunity_recommendations_opportunity_id"),
        "opportunity_recommendations",
        ["opportunity_id"],
        unique=False,
    )
    op.create_table(
        "opportunity_candidates",
        *_ranked_columns(),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("pool", sa.String(length=32), nullable=False),
        sa.Column("rank", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_opportunity_candidates_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_candidates_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["matching_runs.id"],
            name=op.f("fk_opportunity_candidates_run_id_matching_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("opportunity_id", "pool", "rank", name=op.f("pk_opportunity_candidates")),
    )
    op.create_index(
        op.f("ix_opportunity_candidates_employee_id"), "opportunity_candidates", ["employee_id"], unique=False
    )
    op.create_table(
        "skill_adjacency",
        sa.Column("skill_id", sa.Uuid(), nullable=False),
        sa.Column("related_skill_id", sa.Uuid(), nullable=False),
        sa.Column("weight", sa.REAL(), nullable=False),
        sa.ForeignKeyConstraint(
            ["related_skill_id"],
            ["skills.id"],
            name=op.f("fk_skill_adjacency_related_skill_id_skills"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skills.id"], name=op.f("fk_skill_adjacency_skill_id_skills"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("skill_id", "related_skill_id", name=op.f("pk_skill_adjacency")),
    )


def downgrade() -> None:
    op.drop_table("skill_adjacency")
    op.drop_table("opportunity_candidates")
    op.drop_table("opportunity_recommendations")
