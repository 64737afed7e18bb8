"""Thin actor over the matching service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backend.matching.service import RECOMPUTE, MatchingService
from worker.runner import JobContext, job_actor


@job_actor(RECOMPUTE, time_limit=timedelta(minutes=30))
async def recompute(job: JobContext) -> dict[str, Any]:
    """Every active employee's recommendations and every open opening's candidates, replaced in the
    job's transaction (a rerun leaves the same single set)."""
    return await MatchingService(job.session).recompute(progress=job.progress, job_id=job.job_id)
