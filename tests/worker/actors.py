"""Actors that exist only in the tests, to drive the jobs infrastructure through each of its paths."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from backend.errors import InvalidInputError
from backend.org.models import OrgUnit, OrgUnitKind
from worker.errors import TransientJobError
from worker.runner import JobContext, job_actor


@job_actor("test.write_marker", time_limit=timedelta(seconds=30))
async def write_marker(job: JobContext, marker: str) -> dict[str, Any]:
    """Leaves a row named after `marker` (a new one on every run) and reports the pinned schema."""
    await job.progress(50)
    job.session.add(OrgUnit(name=f"{marker}-{uuid.uuid4()}", kind=OrgUnitKind.TEAM))
    search_path = await job.session.scalar(text("SELECT current_setting('search_path')"))
    role = await job.session.scalar(text("SELECT current_user"))
    return {"search_path": search_path, "role": role}


@job_actor("test.flaky", time_limit=timedelta(seconds=30), max_retries=3)
async def flaky(job: JobContext, fail_times: int) -> dict[str, Any]:
    if job.attempt <= fail_times:
        raise TransientJobError(f"attempt {job.attempt} hit a passing outage")
    return {"attempt": job.attempt}


@job_actor("test.broken", time_limit=timedelta(seconds=30))
async def broken(job: JobContext) -> None:
    raise ValueError("this job's data can never work")


@job_actor("test.refuses_input", time_limit=timedelta(seconds=30))
async def refuses_input(job: JobContext, level: int) -> None:
    """A job whose input the domain refuses, as a service refuses a bad value."""
    raise InvalidInputError("level", f"level {level} is not between 1 and 5")


@job_actor("test.slow", time_limit=timedelta(seconds=1))
async def slow(job: JobContext, seconds: float) -> None:
    await asyncio.sleep(seconds)


@job_actor("test.read_schema", time_limit=timedelta(seconds=30))
async def read_schema(job: JobContext, schema: str) -> dict[str, Any]:
    """Tries to read another schema's table by naming it: the tenant's database role must refuse."""
    count = await job.session.scalar(text(f'SELECT count(*) FROM "{schema}".org_units'))
    return {"count": count}


@job_actor("test.nap", time_limit=timedelta(seconds=10))
async def nap(job: JobContext, seconds: float, n: int) -> dict[str, Any]:
    """A short job numbered `n` (numbered, so that many of them are not one job merged)."""
    await asyncio.sleep(seconds)
    return {"n": n}
