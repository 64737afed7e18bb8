"""Thin actors over the training services."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from backend.training.plans import TrainingPlanService
from worker.runner import JobContext, job_actor


@job_actor("training.recommend_all", time_limit=timedelta(minutes=30))
async def recommend_all(job: JobContext) -> dict[str, Any]:
    """Every active employee's training plans, replaced in the job's transaction (a rerun gives the
    same single set of plans)."""
    return await TrainingPlanService(job.session).recompute_all(progress=job.progress, job_id=job.job_id)


@job_actor("training.recommend_employee", time_limit=timedelta(minutes=5))
async def recommend_employee(job: JobContext, employee_id: str, role_id: str | None = None) -> dict[str, Any]:
    """One employee's plans: for `role_id` alone (kept as a requested plan), or for every role their
    plans cover (aspirations and requested ones). Waits for a running `recommend_all` to finish."""
    return await TrainingPlanService(job.session).recompute_employee(
        uuid.UUID(employee_id), uuid.UUID(role_id) if role_id else None, job_id=job.job_id
    )
