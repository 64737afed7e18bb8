"""What the precomputed matches hang on: the tenant's factor weights (every version of them) and the
runs that computed them (the changes that make them stale are facts of `backend.core.changes`)."""

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
    Integer,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import IdMixin, TenantBase


class MatchingWeightsVersion(IdMixin, TenantBase):
    """One version of the tenant's weights of the named factors; the highest `version` is in force.

    Versions are only ever added (version 1 is what the tenant started with), so every stored score
    can be explained by the weights of the run that computed it (`MatchingRun.weights_version`)."""

    __tablename__ = "matching_weights_versions"
    __table_args__ = (CheckConstraint("version >= 1", name="positive_version"),)

    version: Mapped[int] = mapped_column(Integer, unique=True)
    weights: Mapped[dict[str, float]] = mapped_column(JSONB)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Who set them: the caller's token subject, and the employee when it is one.
    set_by: Mapped[str] = mapped_column(String(200))
    set_by_employee_id: Mapped[uuid.UUID | None] = mapped_column()


class MatchingRun(IdMixin, TenantBase):
    """One recompute of the tenant's recommendations and candidate lists; the newest is served."""

    __tablename__ = "matching_runs"

    job_id: Mapped[uuid.UUID | None] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    # The newest change the run saw: changes up to it are covered by this run.
    covered_change_id: Mapped[int] = mapped_column(BigInteger, default=0)
    # The version of the weights the run scored with (NULL: a run from before weights had versions).
    weights_version: Mapped[int | None] = mapped_column(Integer)
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
