"""Marking the precomputed matches stale. Every service that changes what matching reads (skills,
aspirations, openings, roles, weights) calls `note_change` in its own transaction; the scheduler
turns a burst of changes into one recompute (see `backend.matching.service`)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.matching.models import MatchingChange


async def note_change(session: AsyncSession, reason: str) -> None:
    """Record that the tenant's matches are stale because of `reason` (e.g. "opportunity.opened").
    An insert only, so that concurrent requests do not queue behind one another."""
    await session.execute(insert(MatchingChange).values(reason=reason[:50]))
