"""Thin actors over the mentoring services."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from backend.mentoring.runs import PAIRING_RUN_JOB, PairingRunService
from worker.runner import JobContext, job_actor


async def run_pairing(job: JobContext, run_id: str) -> dict[str, Any]:
    """Compute a pairing run (idempotent: a retry replaces the run's proposed pairs, never adds)."""
    return await PairingRunService(job.session).run(uuid.UUID(run_id), progress=job.progress)


# Declared apart from its body, so that tests can run the body as the runner does.
pairing_run = job_actor(PAIRING_RUN_JOB, time_limit=timedelta(minutes=10))(run_pairing)
