"""Thin actors over the skills and notifications services."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Any

from backend.notifications.service import NotificationService
from worker.runner import JobContext, job_actor


@job_actor("skills.remind_stale", time_limit=timedelta(minutes=10))
async def remind_stale(job: JobContext) -> dict[str, Any]:
    """Remind employees to re-confirm skills they have not confirmed for SKILL_STALE_DAYS."""
    today = dt.datetime.now(dt.UTC).date()
    raised = await NotificationService(job.session).remind_stale_skills(today, job.settings.skill_stale_days)
    return {"reminders": raised}
