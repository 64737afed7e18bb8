"""Reading the tenant's job records for the jobs API (asking for jobs is the core's:
`backend.core.jobs.enqueue`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.auth.principal import Principal
from backend.core.jobs.models import Job, JobStatus
from backend.errors import NotFoundError


class JobService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, principal: Principal, job_id: uuid.UUID) -> Job:
        job = await self.session.get(Job, job_id)
        # Someone else's job is as absent as a missing one: its kind and arguments are not theirs to see.
        if job is None or not self._may_see(principal, job):
            raise NotFoundError(f"job {job_id} does not exist")
        return job

    async def list(
        self,
        principal: Principal,
        *,
        status: JobStatus | None,
        kind: str | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[Sequence[Job], str | None]:
        query = select(Job)
        if not _sees_every_job(principal):
            query = query.where(Job.requested_by_employee_id == principal.employee_id)
        if status is not None:
            query = query.where(Job.status == status)
        if kind is not None:
            query = query.where(Job.kind == kind)
        return await paginate(self.session, query, Job.id, cursor, limit)

    @staticmethod
    def _may_see(principal: Principal, job: Job) -> bool:
        return _sees_every_job(principal) or (
            principal.employee_id is not None and job.requested_by_employee_id == principal.employee_id
        )


def _sees_every_job(principal: Principal) -> bool:
    # HR runs the tenant's programmes and imports; a partner app granted jobs:read watches the jobs it
    # and the tenant's integrations started (it holds no employee to narrow them to).
    return principal.is_hr or principal.client_id is not None
