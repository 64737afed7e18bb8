"""What the precomputed matches hang on: the tenant's factor weights, the changes that make the
current matches stale, and the runs that computed them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    REAL,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import IdMixin, TenantBase


class MatchingSettings(TenantBase):
    """The tenant's weights of the named factors; one row (absent until HR changes the defaults)."""

    __tablename__ = "matching_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    weights: Mapped[dict[str, float]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Who set them (`Principal.actor`).
    updated_by: Mapped[str] = mapped_column(String(200))


class MatchingChange(TenantBase):
    """Something the matches depend on changed (a profile, an opening, an aspiration, the weights).

    Rows are only ever inserted by requests, so concurrent changes never wait on each other; the
    scheduler debounces them into one recompute, which deletes the rows it covered."""

    __tablename__ = "matching_changes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    reason: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MatchingRun(IdMixin, TenantBase):
    """One recompute of the tenant's recommendations and candidate lists; the newest is served."""

    __tablename__ = "matching_runs"

    job_id: Mapped[uuid.UUID | None] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    # The newest change the run saw: changes up to it are covered by this run.
    covered_change_id: Mapped[int] = mapped_column(BigInteger, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB)


class _RankedMatch:
    """What a precomputed match keeps: its score and each factor's contribution, in the order of
    `backend.matching.engine.Factor`."""

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matching_runs.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(REAL)
    contributions: Mapped[list[float]] = mapped_column(ARRAY(REAL))


class OpportunityRecommendation(_RankedMatch, TenantBase):
    """An employee's top opportunities, best first (rank 1)."""

    __tablename__ = "opportunity_recommendations"

    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True)
    rank: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    opportunity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"), index=True)


class OpportunityCandidate(_RankedMatch, TenantBase):
    """An opening's top internal candidates per audience, best first. `pool` is who may be shown
    them: "hr" (people open to HR or to hiring managers) or "hiring_managers" (only the latter)."""

    __tablename__ = "opportunity_candidates"

    opportunity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True
    )
    pool: Mapped[str] = mapped_column(String(32), primary_key=True)
    rank: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)


class SkillAdjacency(TenantBase):
    """How related two skills are in this tenant (co-occurrence in its profiles and roles, and shared
    category), as the last run learnt it; next-role and applicant explanations reuse it."""

    __tablename__ = "skill_adjacency"

    skill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    related_skill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    weight: Mapped[float] = mapped_column(REAL)
