"""The job runner and its middleware on a real broker (Redis) and a real worker: pinning, records,
idempotency, retries of transient errors only, time limits, and the dead letter."""

from __future__ import annotations

import asyncio
import uuid

import dramatiq
import pytest
from dramatiq.message import Message
from sqlalchemy import func, select

from backend.core.jobs.models import JobStatus
from backend.core.jobs.outbox import OutboxMessage
from backend.core.unit_of_work import UnitOfWork
from backend.org.models import OrgUnit
from backend.settings import Settings
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory
from tests.worker import actors
from tests.worker.conftest import Enqueue, dead_letters, job_of, wait_for_job
from worker.broker import DramatiqSender
from worker.errors import JobBusyError
from worker.middleware import TenantMiddleware
from worker.runner import Delivery, delivery_or_none, execute

pytestmark = pytest.mark.usefixtures("worker")


async def markers(database: Database, tenant: TenantRef, marker: str) -> int:
    async with database.tenant_session(tenant) as session:
        count = await session.scalar(select(func.count()).where(OrgUnit.name.startswith(f"{marker}-")))
    return int(count or 0)


async def test_a_job_runs_pinned_to_its_tenant_and_keeps_its_record(
    make_tenant: TenantFactory, submit: Enqueue, database: Database
) -> None:
    tenant = make_tenant()
    job_id = await submit(tenant, "test.write_marker", {"marker": "pinned"})
    job = await wait_for_job(database, tenant, job_id)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.progress, job.attempts, job.error) == (100, 1, None)
    assert job.sent_at is not None
    assert job.started_at is not None
    assert job.finished_at is not None
    assert job.started_at <= job.finished_at
    assert job.result == {"search_path": tenant.schema_name, "role": tenant.role_name}
    assert await markers(database, tenant, "pinned") == 1


async def test_running_the_same_message_twice_has_its_effect_once(
    make_tenant: TenantFactory, submit: Enqueue, database: Database, broker: dramatiq.Broker, settings: Settings
) -> None:
    tenant = make_tenant()
    job_id = await submit(tenant, "test.write_marker", {"marker": "twice"})
    await wait_for_job(database, tenant, job_id)
    # What at-least-once delivery can do: the very same message again, after it succeeded.
    resources = _resources(database, broker, settings)
    delivery = Delivery(tenant=tenant, job_id=job_id, resources=resources)
    await execute(delivery, "test.write_marker", actors.write_marker, {"marker": "twice"})
    assert await markers(database, tenant, "twice") == 1
    assert (await job_of(database, tenant, job_id)).attempts == 1


async def test_two_deliveries_at_once_run_the_job_once(
    make_tenant: TenantFactory, database: Database, broker: dramatiq.Broker, settings: Settings
) -> None:
    tenant = make_tenant()
    async with database.tenant_session(tenant) as session:
        from backend.core.jobs.enqueue import enqueue

        job = await enqueue(session, "test.write_marker", {"marker": "together"}, requested_by="test")
        await session.commit()
    delivery = Delivery(tenant=tenant, job_id=job.id, resources=_resources(database, broker, settings))
    body = actors.write_marker
    outcomes = await asyncio.gather(
        *(execute(delivery, "test.write_marker", body, {"marker": "together"}) for _ in range(2)),
        return_exceptions=True,
    )
    # One ran; the other either found it running (and will be retried) or found it done.
    assert [o for o in outcomes if o is not None and not isinstance(o, JobBusyError)] == []
    assert await markers(database, tenant, "together") == 1
    assert (await job_of(database, tenant, job.id)).status == JobStatus.SUCCEEDED


async def test_transient_errors_are_retried_with_backoff_until_the_job_succeeds(
    make_tenant: TenantFactory, submit: Enqueue, database: Database
) -> None:
    tenant = make_tenant()
    job_id = await submit(tenant, "test.flaky", {"fail_times": 2})
    job = await wait_for_job(database, tenant, job_id)
    assert job.status == JobStatus.SUCCEEDED
    assert job.attempts == 3
    assert job.result == {"attempt": 3}
    assert await dead_letters(database, str(job_id), wait=False) == []


async def test_retries_stop_at_the_actors_limit_and_the_message_is_dead_lettered(
    make_tenant: TenantFactory, submit: Enqueue, database: Database
) -> None:
    tenant = make_tenant()
    job_id = await submit(tenant, "test.flaky", {"fail_times": 10})
    job = await wait_for_job(database, tenant, job_id, timeout=60)
    assert job.status == JobStatus.FAILED
    assert job.attempts == 4  # the first attempt and max_retries=3 retries
    assert job.error == "TransientJobError: attempt 4 hit a passing outage"
    [letter] = await dead_letters(database, str(job_id))
    assert (letter.tenant_id, letter.actor, letter.attempts) == (tenant.id, "test.flaky", 4)


async def test_an_error_a_retry_cannot_fix_fails_at_once_into_the_dead_letter(
    make_tenant: TenantFactory, submit: Enqueue, database: Database
) -> None:
    tenant = make_tenant()
    job_id = await submit(tenant, "test.broken")
    job = await wait_for_job(database, tenant, job_id)
    assert job.status == JobStatus.FAILED
    assert job.error == "ValueError: this job's data can never work"
    assert job.started_at is not None
    assert job.finished_at is not None
    assert job.started_at <= job.finished_at
    [letter] = await dead_letters(database, str(job_id))
    assert letter.error == job.error
    assert "traceback" not in letter.message["options"]
    await asyncio.sleep(3)  # longer than the first backoff: a retry would have run by now
    assert (await job_of(database, tenant, job_id)).attempts == 1
    assert len(await dead_letters(database, str(job_id), wait=False)) == 1


async def test_a_message_for_an_unknown_tenant_goes_to_the_dead_letter_without_running(
    sender: DramatiqSender, database: Database
) -> None:
    message_id = uuid.uuid4()
    sender.send([OutboxMessage(message_id, uuid.uuid4(), "test.write_marker", {"marker": "nowhere"})])
    [letter] = await dead_letters(database, str(message_id))
    assert letter.tenant_id is None
    assert letter.error.startswith("tenant ")
    assert letter.error.endswith(" does not exist")


async def test_arguments_that_do_not_fit_the_actor_fail_the_job_at_once(
    make_tenant: TenantFactory, submit: Enqueue, database: Database
) -> None:
    tenant = make_tenant()
    job_id = await submit(tenant, "test.write_marker", {"wrong": "argument"})
    job = await wait_for_job(database, tenant, job_id)
    assert job.status == JobStatus.FAILED
    assert job.error is not None
    assert job.error.startswith("PoisonMessageError: the arguments do not fit")
    assert await markers(database, tenant, "wrong") == 0


async def test_a_job_over_its_time_limit_is_stopped_and_failed(
    make_tenant: TenantFactory, submit: Enqueue, database: Database
) -> None:
    tenant = make_tenant()
    job_id = await submit(tenant, "test.slow", {"seconds": 20})
    job = await wait_for_job(database, tenant, job_id, timeout=15)
    assert job.status == JobStatus.FAILED
    assert job.error is not None
    assert job.error.startswith("TimeLimitExceeded")


async def test_a_job_cannot_read_another_tenants_schema(
    make_tenant: TenantFactory, submit: Enqueue, database: Database
) -> None:
    tenant, other = make_tenant(), make_tenant()
    job_id = await submit(tenant, "test.read_schema", {"schema": other.schema_name})
    job = await wait_for_job(database, tenant, job_id)
    assert job.status == JobStatus.FAILED
    assert job.error is not None
    assert "permission denied" in job.error
    assert job.result is None


@pytest.mark.parametrize("outcome", ["success", "failure", "skip"])
async def test_the_tenant_is_cleared_after_every_message(
    outcome: str,
    make_tenant: TenantFactory,
    submit: Enqueue,
    database: Database,
    broker: dramatiq.Broker,
    worker_settings: Settings,
) -> None:
    tenant = make_tenant()
    job_id = await submit(tenant, "test.write_marker", {"marker": "cleared"})
    await wait_for_job(database, tenant, job_id)
    middleware = next(m for m in broker.middleware if isinstance(m, TenantMiddleware))
    message = dramatiq.MessageProxy(
        Message(
            queue_name=worker_settings.broker_namespace,
            actor_name="test.write_marker",
            args=(),
            kwargs={"marker": "cleared"},
            options={"tenant_id": str(tenant.id)},
            message_id=str(job_id),
        )
    )

    def one_message() -> tuple[TenantRef | None, Delivery | None]:
        # On a thread of its own, as in the worker (the hooks wait on the worker's event loop).
        middleware.before_process_message(broker, message)
        pinned = delivery_or_none()
        if outcome == "skip":
            middleware.after_skip_message(broker, message)
        else:
            error = ValueError("boom") if outcome == "failure" else None
            middleware.after_process_message(broker, message, exception=error)
        return (pinned.tenant if pinned else None), delivery_or_none()

    pinned_tenant, after = await asyncio.to_thread(one_message)
    assert pinned_tenant == tenant
    assert after is None


def _resources(database: Database, broker: dramatiq.Broker, settings: Settings) -> object:
    class Resources:
        def __init__(self) -> None:
            self.settings = settings
            self.database = database
            self.sender = DramatiqSender(broker, "unused")
            self.unit_of_work = UnitOfWork(database, self.sender)

    return Resources()
