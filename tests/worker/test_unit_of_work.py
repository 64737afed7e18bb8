"""The unit of work every entry point runs its transaction in (backend/core/unit_of_work.py): commit
on success, roll back on any error, and the jobs a committed transaction asked for sent to the broker,
whichever entry point opened it (SCIM's requests included, which once never sent them)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from backend.api.concurrency import TenantConcurrency
from backend.core.jobs.enqueue import enqueue
from backend.core.jobs.models import Job, JobStatus
from backend.core.unit_of_work import UnitOfWork
from backend.scim.auth import scim_db_provider
from tenants.sessions import Database
from tests.conftest import TenantFactory
from tests.worker.conftest import wait_for_job
from tests.worker.test_outbox import RecordingSender
from worker.broker import DramatiqSender

pytestmark = pytest.mark.usefixtures("worker")


async def test_a_committed_transaction_sends_its_jobs_and_they_run(
    make_tenant: TenantFactory, database: Database, sender: DramatiqSender
) -> None:
    tenant = make_tenant()
    async with UnitOfWork(database, sender).tenant(tenant) as session:
        job = await enqueue(session, "test.write_marker", {"marker": tenant.slug}, requested_by="test")
    done = await wait_for_job(database, tenant, job.id)
    assert done.status == JobStatus.SUCCEEDED, done.error


async def test_a_failed_transaction_leaves_no_job_and_sends_nothing(
    make_tenant: TenantFactory, database: Database
) -> None:
    tenant, recorder = make_tenant(), RecordingSender()

    async def enqueue_then_fail() -> None:
        async with UnitOfWork(database, recorder).tenant(tenant) as session:
            await enqueue(session, "test.write_marker", {"marker": tenant.slug}, requested_by="test")
            raise RuntimeError("half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        await enqueue_then_fail()
    async with database.tenant_session(tenant) as session:
        assert (await session.scalars(select(Job))).all() == []
    assert recorder.sent == []


async def test_a_scim_request_sends_the_jobs_it_asked_for_once_committed(
    make_tenant: TenantFactory, database: Database, sender: DramatiqSender
) -> None:
    """SCIM's request session (the provider `scim_db_provider` builds, driven as Litestar drives a
    generator dependency for a request the SCIM guard authenticated): a job its transaction asks for
    reaches the worker and runs."""
    tenant = make_tenant()
    request = SimpleNamespace(scope={"state": {"scim_tenant": tenant}})
    provider = scim_db_provider(UnitOfWork(database, sender), TenantConcurrency(2, 5))(request)  # type: ignore[arg-type]
    session = await anext(provider)
    job_id: uuid.UUID = (await enqueue(session, "test.write_marker", {"marker": tenant.slug}, requested_by="scim")).id
    with pytest.raises(StopAsyncIteration):
        await anext(provider)
    done = await wait_for_job(database, tenant, job_id)
    assert done.status == JobStatus.SUCCEEDED, done.error
