"""Thin actor over the marketplace's moves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backend.marketplace.moves import APPLY_MOVES, MoveService
from worker.runner import JobContext, job_actor


@job_actor(APPLY_MOVES, time_limit=timedelta(minutes=10))
async def apply_moves(job: JobContext) -> dict[str, Any]:
    """Rewrite the employees whose moves into a role take effect today or earlier (once each)."""
    return {"applied": await MoveService(job.session).apply_due()}
