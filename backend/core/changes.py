"""The change log: facts the domains record, in their own transaction, about what changed in a tenant
("employee.created", "skills.changed", "opportunity.opened", ...).

A domain records what happened in its own terms and knows nothing of who reads it; a reader decides
which facts concern it. Matching is the reader today: `backend.matching.staleness` says which facts make
the precomputed matches stale, the scheduler debounces those into one recompute, and the recompute
deletes the facts it covered. So no domain imports matching to tell it something changed, and a fact a
new domain records reaches matching once matching's rule names it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Identity, String, func, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import TenantBase

# The column holding a fact is this long; longer names are cut, never refused.
FACT_MAX = 50


class Change(TenantBase):
    """One fact of the change log.

    Rows are only ever inserted by the writers, so concurrent changes never wait on each other. The
    table keeps the name it had when only matching wrote it (no migration for a name)."""

    __tablename__ = "matching_changes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # What happened, "<what>.<how>" (e.g. "employee.changed"); the column's name is from the same time.
    fact: Mapped[str] = mapped_column("reason", String(FACT_MAX))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


async def note_change(session: AsyncSession, fact: str) -> None:
    """Record `fact` in the tenant's change log, in the caller's transaction (it is kept only if that
    transaction commits). An insert only, so that concurrent requests do not queue behind one another."""
    await session.execute(insert(Change).values(fact=fact[:FACT_MAX]))
