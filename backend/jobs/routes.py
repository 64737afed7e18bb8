from __future__ import annotations

import uuid

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import DEFAULT_LIMIT, Page, page_of
from backend.api.params import Cursor, Limit
from backend.auth.principal import Principal, Scope
from backend.core.jobs.models import JobStatus
from backend.crud import to_schema
from backend.jobs.schemas import JobRead
from backend.jobs.service import JobService


class JobController(Controller):
    path = "/jobs"
    tags = ["Jobs"]

    @get(
        "/",
        opt={"scope": Scope.JOBS_READ},
        summary="List background jobs",
        description="HR sees every job of the tenant, anyone else the jobs they asked for. "
        "`status=failed` is the tenant's dead-letter view: jobs the worker gave up on, with the error.",
    )
    async def list_jobs(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        status: FromQuery[JobStatus | None] = None,
        kind: FromQuery[str | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[JobRead]:
        items, next_cursor = await JobService(db).list(principal, status=status, kind=kind, cursor=cursor, limit=limit)
        return page_of(items, next_cursor, limit, lambda j: to_schema(j, JobRead))

    @get("/{job_id:uuid}", opt={"scope": Scope.JOBS_READ}, summary="Get a background job and its progress")
    async def get_job(
        self, db: NamedDependency[AsyncSession], principal: NamedDependency[Principal], job_id: FromPath[uuid.UUID]
    ) -> JobRead:
        return to_schema(await JobService(db).get(principal, job_id), JobRead)
