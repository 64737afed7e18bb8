"""What the precomputed matches hang on: the tenant's factor weights, the changes that make the
current matches stale, and the runs that computed them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    Integer,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import IdMixin, TenantBase


class MatchingSettings(TenantBase):
    """The tenant's weights of the named factors; one row (absent until HR changes the defaults)."""

    __tablename__ = "matching_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    weights: Mapped[dict[str, float]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column()


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
