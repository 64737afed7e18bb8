"""The matching recompute as a real job: a profile change, the scheduler's debounced refresh, a
Dramatiq worker running `matching.recompute`, and the API serving the new ranking."""

from __future__ import annotations

import uuid

import dramatiq
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from backend.auth.principal import UserRole
from backend.core.jobs.models import Job, JobStatus
from backend.core.unit_of_work import UnitOfWork
from backend.matching.service import RECOMPUTE
from tenants.registry import TenantRegistry
from tenants.sessions import Database
from tests.conftest import TenantFactory, TokenFactory
from tests.matching.world import build_world
from tests.worker.conftest import wait_for_job
from worker.broker import DramatiqSender
from worker.scheduler import refresh_matches


async def test_a_change_is_recomputed_by_the_worker_once(
    worker_client: AsyncTestClient[Litestar],
    database: Database,
    make_tenant: TenantFactory,
    auth: TokenFactory,
    sender: DramatiqSender,
    worker: dramatiq.Worker,
) -> None:
    world = await build_world(database, make_tenant())
    ana = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ana"])
    before = (await worker_client.get("/api/v1/me/recommendations", headers=ana)).json()
    assert before["computed_at"] is None
    assert before["items"] == []
    assert before["pending_changes"] is False

    changed = await worker_client.put(
        f"/api/v1/employees/{world.people['ana']}/skills/{world.skills['Tableau']}",
        json={"level": 3, "source": "self"},
        headers=ana,
    )
    assert changed.status_code == 200, changed.text
    assert (await worker_client.get("/api/v1/me/recommendations", headers=ana)).json()["pending_changes"] is True

    registry = TenantRegistry(database, 0)
    # The scheduler's tick: once with a long quiet period (nothing is due), then due; a second tick
    # while the job waits asks for nothing more.
    assert await refresh_matches(UnitOfWork(database, sender), registry, debounce=3600, max_wait=3600) == 0
    assert await refresh_matches(UnitOfWork(database, sender), registry, debounce=0, max_wait=3600) >= 1
    async with database.tenant_session(world.tenant) as session:
        [job] = (await session.scalars(select(Job).where(Job.kind == RECOMPUTE))).all()
    await refresh_matches(UnitOfWork(database, sender), registry, debounce=0, max_wait=3600)
    done = await wait_for_job(database, world.tenant, job.id, timeout=60)
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert done.progress == 100
    assert done.result is not None
    assert done.result["employees"] == 5
    assert done.result["opportunities"] == 2

    after = (await worker_client.get("/api/v1/me/recommendations", headers=ana)).json()
    assert after["computed_at"] is not None
    assert after["pending_changes"] is False
    assert [item["opportunity"]["id"] for item in after["items"]] == [str(world.analyst)]
    assert after["items"][0]["match"]["summary"] == "You have 2 of 2 required skills."
    async with database.tenant_session(world.tenant) as session:
        jobs = (await session.scalars(select(Job).where(Job.kind == RECOMPUTE))).all()
    assert len(jobs) == 1


async def test_a_partner_reads_a_recompute_job_without_the_weights(
    worker_client: AsyncTestClient[Litestar],
    database: Database,
    make_tenant: TenantFactory,
    auth: TokenFactory,
    worker: dramatiq.Worker,
) -> None:
    world = await build_world(database, make_tenant())
    hr = auth(world.tenant, UserRole.HR_ADMIN)
    started = await worker_client.post("/api/v1/matching/recompute", headers=hr)
    assert started.status_code == 202, started.text
    done = await wait_for_job(database, world.tenant, uuid.UUID(started.json()["id"]), timeout=60)
    assert done.status == JobStatus.SUCCEEDED, done.error
    # A partner app granted jobs:read (an HRIS watching the recomputes its writes set off).
    registered = await worker_client.post(
        "/api/v1/partner-clients", json={"name": "HRIS", "scopes": ["jobs:read", "employees:write"]}, headers=hr
    )
    assert registered.status_code == 201, registered.text
    token = await worker_client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(registered.json()["client_id"], registered.json()["client_secret"]),
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    record = await worker_client.get(f"/api/v1/jobs/{done.id}", headers=headers)
    assert record.status_code == 200, record.text
    result = record.json()["result"]
    assert result["employees"] == 5
    assert "weights" not in result
    listed = (await worker_client.get(f"/api/v1/jobs?kind={RECOMPUTE}", headers=headers)).json()["items"]
    assert [job["id"] for job in listed] == [str(done.id)]
    assert all("weights" not in (job["result"] or {}) for job in listed)
    assert (await worker_client.get("/api/v1/matching/weights", headers=headers)).status_code == 403
