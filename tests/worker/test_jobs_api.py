"""/api/v1/jobs: a job's record and progress for whoever asked for it and for HR, nobody else."""

from __future__ import annotations

import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from backend.auth.principal import UserRole
from backend.core.jobs.enqueue import enqueue
from backend.core.jobs.models import Job, JobStatus
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem


async def _job(database: Database, tenant: TenantRef, requested_by: uuid.UUID | None, **values: object) -> str:
    async with database.tenant_session(tenant) as session:
        job = await enqueue(
            session,
            "test.write_marker",
            {"marker": "api"},
            requested_by=f"employee:{requested_by}" if requested_by else "test",
            requested_by_employee_id=requested_by,
        )
        if values:
            await session.execute(update(Job).where(Job.id == job.id).values(**values))
        await session.commit()
    return str(job.id)


async def test_a_job_is_visible_to_whoever_asked_and_to_hr_only(
    client: AsyncTestClient[Litestar], database: Database, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    # Real employees of the tenant: a person's token is refused unless it names one who is active.
    asker, colleague = [
        uuid.UUID(
            (
                await client.post(
                    "/api/v1/employees", json={"email": f"{name}@example.com", "full_name": name}, headers=auth(tenant)
                )
            ).json()["id"]
        )
        for name in ("asker", "colleague")
    ]
    job_id = await _job(database, tenant, asker, status=JobStatus.RUNNING, progress=40)

    mine = await client.get(f"/api/v1/jobs/{job_id}", headers=auth(tenant, UserRole.EMPLOYEE, employee_id=asker))
    assert mine.status_code == 200
    body = mine.json()
    assert (body["status"], body["progress"], body["kind"], body["attempts"]) == ("running", 40, "test.write_marker", 0)
    assert (await client.get(f"/api/v1/jobs/{job_id}", headers=auth(tenant))).status_code == 200

    theirs = auth(tenant, UserRole.MANAGER, employee_id=colleague)
    problem(await client.get(f"/api/v1/jobs/{job_id}", headers=theirs), 404)
    assert (await client.get("/api/v1/jobs", headers=theirs)).json()["items"] == []
    # Another tenant's HR cannot see it either.
    problem(await client.get(f"/api/v1/jobs/{job_id}", headers=auth(make_tenant())), 404)


async def test_failed_jobs_are_the_tenants_dead_letter_view(
    client: AsyncTestClient[Litestar], database: Database, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    failed = await _job(database, tenant, None, status=JobStatus.FAILED, error="ValueError: bad row 7")
    await _job(database, tenant, None, status=JobStatus.SUCCEEDED, progress=100)
    page = (await client.get("/api/v1/jobs", params={"status": "failed"}, headers=auth(tenant))).json()
    assert [(j["id"], j["error"]) for j in page["items"]] == [(failed, "ValueError: bad row 7")]
    assert len((await client.get("/api/v1/jobs", headers=auth(tenant))).json()["items"]) == 2
    problem(await client.get("/api/v1/jobs", params={"status": "lost"}, headers=auth(tenant)), 400)
