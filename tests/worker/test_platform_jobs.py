"""Platform jobs (about tenants rather than inside one), end to end: asked for through the service in a
control session, sent after commit (or by the relay), run by a real `dramatiq` worker process as the
owner, and watched through their record in control.platform_jobs."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq.message import Message
from sqlalchemy import Connection, Engine, func, select, text, update

from backend.core.jobs import outbox, platform
from backend.core.jobs.models import Job, JobStatus, PlatformJob
from backend.core.jobs.platform import (
    PROVISION_JOB,
    SET_STATUS_JOB,
    PlatformJobService,
    request_provisioning,
    request_status_change,
)
from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.settings import Settings
from tenants.migrator import TENANT_TREE, script_directory
from tenants.models import TenantStatus
from tenants.provisioning import SCHEMA_CHANGE_LOCK, RoleNames, get_tenant
from tenants.registry import TenantRegistry
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, process_env
from tests.worker.conftest import dead_letters
from tests.worker.processes import WORKER, Process, running
from tests.worker.test_outbox import RecordingSender
from worker.broker import PLATFORM_JOB_OPTION, DramatiqSender, build_broker, queue_name
from worker.errors import JobBusyError
from worker.middleware import TenantMiddleware
from worker.scheduler import relay_all

pytestmark = pytest.mark.usefixtures("platform_worker")

TERMINAL = {JobStatus.SUCCEEDED, JobStatus.FAILED}


@pytest.fixture(scope="module")
def platform_settings(settings: Settings) -> Settings:
    # A namespace of this module's own: only its worker process takes these messages.
    return settings.model_copy(update={"broker_namespace": f"{settings.broker_namespace}_platform"})


@pytest.fixture(scope="module")
def platform_sender(platform_settings: Settings) -> Iterator[DramatiqSender]:
    sender = DramatiqSender(build_broker(platform_settings), queue_name(platform_settings))
    yield sender
    sender.close()


@pytest.fixture(scope="module")
def platform_worker(platform_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    logs = tmp_path_factory.mktemp("platform_worker")
    env = {**process_env(platform_settings, logs), "LOG_LEVEL": "INFO"}
    with running(WORKER, env, logs / "worker.log") as worker:
        yield worker


Request = Callable[..., Awaitable[PlatformJob]]


async def ask(database: Database, sender: DramatiqSender | None, request: Request, **arguments: Any) -> PlatformJob:
    """Ask for a platform job as the console does: in a control session's transaction, sent after its
    commit (not at all when `sender` is None: as if the process had died right after the commit)."""
    async with database.control_session() as session:
        job = await request(session, **arguments)
        await session.commit()
        if sender is not None:
            assert await platform.send_committed(database, sender, session) == 1
    return job


async def record(database: Database, job_id: uuid.UUID) -> PlatformJob:
    async with database.control_session() as session:
        return await PlatformJobService(session).get(job_id)


async def wait_for(
    database: Database,
    job_id: uuid.UUID,
    *,
    until: Callable[[PlatformJob], bool] = lambda job: job.status in TERMINAL,
    seen: list[tuple[int, str | None]] | None = None,
    timeout: float = 60.0,  # noqa: ASYNC109 - a deadline for polling the database
) -> PlatformJob:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        job = await record(database, job_id)
        if seen is not None:
            seen.append((job.progress, job.step))
        if until(job):
            return job
        if loop.time() > deadline:
            raise AssertionError(f"platform job {job_id} is still {job.status} ({job.step}, {job.error})")
        await asyncio.sleep(0.05)


async def jobs_about_slug(database: Database, slug: str) -> list[PlatformJob]:
    async with database.control_session() as session:
        query = select(PlatformJob).where(PlatformJob.arguments["slug"].astext == slug)
        return list((await session.scalars(query)).all())


async def abandon(database: Database, job_id: uuid.UUID) -> None:
    """A job the test asked for but will not run: failed and marked sent, so that no relay (this run's
    schedulers included) sends it later."""
    async with database.control_session() as session, session.begin():
        await session.execute(
            update(PlatformJob)
            .where(PlatformJob.id == job_id)
            .values(status=JobStatus.FAILED, sent_at=func.now(), error="abandoned by the test")
        )


def member_of(owner_engine: Engine, roles: RoleNames, role: str) -> bool:
    with owner_engine.connect() as connection:
        return bool(
            connection.scalar(text("SELECT pg_has_role(:app, :role, 'MEMBER')"), {"app": roles.app, "role": role})
        )


def tables_of(connection: Connection, schema: str) -> set[str]:
    query = text("SELECT tablename FROM pg_tables WHERE schemaname = :schema")
    return set(connection.scalars(query, {"schema": schema}))


def new_slug() -> str:
    return f"pj_{secrets.token_hex(4)}"


async def test_a_provisioning_job_creates_the_tenant_and_shows_each_step(
    database: Database,
    platform_sender: DramatiqSender,
    platform_worker: Process,
    owner_engine: Engine,
    roles: RoleNames,
    make_tenant: TenantFactory,
) -> None:
    slug, requester = new_slug(), uuid.uuid4()
    # Holding the schema-change lock stops the job right after it registered the tenant: the console
    # must already see it running, what it is doing, and the tenant it is about.
    with owner_engine.connect() as holder:
        holder.execute(SCHEMA_CHANGE_LOCK)
        asked = await ask(
            database, platform_sender, request_provisioning, slug=slug, name=" Provisioned Co ", requested_by=requester
        )
        assert (asked.status, asked.progress, asked.kind) == (JobStatus.QUEUED, 0, PROVISION_JOB)
        assert asked.arguments == {"slug": slug, "name": "Provisioned Co"}
        running_job = await wait_for(database, asked.id, until=lambda job: job.progress >= 15)
        assert (running_job.status, running_job.progress, running_job.step) == (
            JobStatus.RUNNING,
            15,
            "creating schema and role",
        )
        assert running_job.attempts == 1
        assert running_job.started_at is not None
        assert running_job.sent_at is not None
        assert running_job.tenant_id is not None
        holder.rollback()

    seen: list[tuple[int, str | None]] = []
    job = await wait_for(database, asked.id, seen=seen)
    assert job.status == JobStatus.SUCCEEDED, f"{job.error}\n{platform_worker.output()}"
    assert (job.progress, job.step, job.error, job.attempts, job.requested_by) == (100, "active", None, 1, requester)
    assert job.finished_at is not None
    tenant = get_tenant(owner_engine, slug)
    assert (tenant.status, tenant.name, tenant.id) == (TenantStatus.ACTIVE, "Provisioned Co", running_job.tenant_id)
    assert job.result == {"tenant_id": str(tenant.id), "slug": slug, "schema": f"t_{slug}"}
    # The bar only moves forward (how many migration steps a poll catches depends on timing).
    assert [progress for progress, _ in seen] == sorted(progress for progress, _ in seen)
    assert all(step == "active" or step.startswith("migrating: t") for progress, step in seen if progress > 15)

    by_cli = make_tenant()
    with owner_engine.connect() as connection:
        version = connection.scalar(text(f"SELECT version_num FROM t_{slug}.alembic_version"))
        tables = tables_of(connection, f"t_{slug}")
        assert tables == tables_of(connection, by_cli.schema_name)  # every tenant table, as the CLI makes them
    assert version == script_directory(TENANT_TREE).get_current_head()
    assert {"jobs", "employees", "org_units", "skills", "mentoring_programmes", "opportunities"} <= tables
    # Served like any tenant: the app's role may become the tenant's, and its tables are there.
    assert member_of(owner_engine, roles, tenant.role_name)
    async with database.tenant_session(tenant) as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 0

    async with database.control_session() as session:
        assert [j.id for j in await PlatformJobService(session).list(tenant_id=tenant.id)] == [job.id]
        with pytest.raises(ConflictError, match="already exists"):
            await request_provisioning(session, slug=slug, name="Again", requested_by=None)
        await session.rollback()
    assert len(await jobs_about_slug(database, slug)) == 1


async def test_a_tenant_left_provisioning_may_be_asked_for_again_and_the_job_resumes_it(
    database: Database, platform_sender: DramatiqSender, owner_engine: Engine, roles: RoleNames
) -> None:
    # An interrupted `crosswalk tenants create` (or a failed job) left the tenant registered only.
    slug = new_slug()
    with owner_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO control.tenants (id, slug, name, status, placement, schema_name, role_name, "
                "created_at, updated_at) VALUES (gen_random_uuid(), :slug, 'Half', 'provisioning', "
                "'default', :schema, :role, now(), now())"
            ),
            {"slug": slug, "schema": f"t_{slug}", "role": roles.tenant(slug)},
        )
    half = get_tenant(owner_engine, slug)
    asked = await ask(database, platform_sender, request_provisioning, slug=slug, name="Whole Co", requested_by=None)
    assert asked.tenant_id == half.id
    job = await wait_for(database, asked.id)
    assert job.status == JobStatus.SUCCEEDED, job.error
    tenant = get_tenant(owner_engine, slug)
    assert (tenant.id, tenant.status, tenant.name) == (half.id, TenantStatus.ACTIVE, "Whole Co")


async def test_a_slug_taken_or_being_provisioned_is_refused_and_asks_for_nothing(
    database: Database, make_tenant: TenantFactory
) -> None:
    taken = make_tenant()
    async with database.control_session() as session:
        with pytest.raises(ConflictError, match=f"tenant '{taken.slug}' already exists \\(active\\)"):
            await request_provisioning(session, slug=taken.slug, name="Taken", requested_by=None)
        assert outbox.take_committed(session) == []
    assert await jobs_about_slug(database, taken.slug) == []

    slug = new_slug()
    first = await ask(database, None, request_provisioning, slug=slug, name="First", requested_by=None)
    async with database.control_session() as session:
        with pytest.raises(ConflictError, match="already being provisioned"):
            await request_provisioning(session, slug=slug, name="Second", requested_by=None)
    assert [j.id for j in await jobs_about_slug(database, slug)] == [first.id]
    await abandon(database, first.id)


@pytest.mark.parametrize("slug", ["", "Bad", "x;drop schema control", "select", "admin", "a" * 31, "a__b"])
async def test_a_bad_slug_is_refused_and_asks_for_nothing(database: Database, slug: str) -> None:
    async with database.control_session() as session:
        before = await session.scalar(select(func.count()).select_from(PlatformJob))
        with pytest.raises(InvalidInputError) as refused:
            await request_provisioning(session, slug=slug, name="Bad Co", requested_by=None)
        assert refused.value.field == "slug"
        assert await session.scalar(select(func.count()).select_from(PlatformJob)) == before
        assert outbox.take_committed(session) == []


@pytest.mark.parametrize("name", ["", "   ", "n" * 201])
async def test_a_bad_name_is_refused(database: Database, name: str) -> None:
    async with database.control_session() as session:
        with pytest.raises(InvalidInputError) as refused:
            await request_provisioning(session, slug=new_slug(), name=name, requested_by=None)
    assert refused.value.field == "name"


async def test_a_rolled_back_request_asks_for_nothing(database: Database) -> None:
    slug, sender = new_slug(), RecordingSender()
    async with database.control_session() as session:
        await request_provisioning(session, slug=slug, name="Never", requested_by=None)
        await session.rollback()
        assert await platform.send_committed(database, sender, session) == 0
    assert sender.sent == []
    assert await jobs_about_slug(database, slug) == []


async def test_status_change_jobs_archive_and_reactivate_a_tenant(
    database: Database,
    platform_sender: DramatiqSender,
    platform_worker: Process,
    make_tenant: TenantFactory,
    owner_engine: Engine,
    roles: RoleNames,
) -> None:
    tenant = make_tenant()
    archive = await ask(
        database,
        platform_sender,
        request_status_change,
        tenant_id=tenant.id,
        status=TenantStatus.ARCHIVED,
        requested_by=None,
    )
    assert (archive.kind, archive.tenant_id) == (SET_STATUS_JOB, tenant.id)
    job = await wait_for(database, archive.id)
    assert job.status == JobStatus.SUCCEEDED, f"{job.error}\n{platform_worker.output()}"
    assert (job.progress, job.step, job.attempts) == (100, "archived", 1)
    assert job.result == {"tenant_id": str(tenant.id), "slug": tenant.slug, "status": "archived"}
    assert get_tenant(owner_engine, tenant.slug).status == TenantStatus.ARCHIVED
    # Archiving revoked the serving role's way into the tenant's data.
    assert not member_of(owner_engine, roles, tenant.role_name)

    activate = await ask(
        database,
        platform_sender,
        request_status_change,
        tenant_id=tenant.id,
        status=TenantStatus.ACTIVE,
        requested_by=None,
    )
    job = await wait_for(database, activate.id)
    assert job.status == JobStatus.SUCCEEDED, f"{job.error}\n{platform_worker.output()}"
    assert get_tenant(owner_engine, tenant.slug).status == TenantStatus.ACTIVE
    assert member_of(owner_engine, roles, tenant.role_name)
    async with database.tenant_session(tenant) as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 0

    async with database.control_session() as session:
        listed = await PlatformJobService(session).list(tenant_id=tenant.id)
        assert [j.id for j in listed] == [activate.id, archive.id]  # newest first
        assert [j.id for j in await PlatformJobService(session).list(tenant_id=tenant.id, limit=1)] == [activate.id]
        with pytest.raises(InvalidInputError):
            await PlatformJobService(session).list(limit=0)
        with pytest.raises(NotFoundError):
            await PlatformJobService(session).get(uuid.uuid4())


async def test_a_status_change_is_refused_while_another_is_in_flight_or_when_it_changes_nothing(
    database: Database, platform_sender: DramatiqSender, make_tenant: TenantFactory, owner_engine: Engine
) -> None:
    tenant = make_tenant()
    suspend = await ask(
        database, None, request_status_change, tenant_id=tenant.id, status=TenantStatus.SUSPENDED, requested_by=None
    )
    async with database.control_session() as session:
        with pytest.raises(ConflictError, match="already has a platform job queued or running"):
            await request_status_change(session, tenant_id=tenant.id, status=TenantStatus.ARCHIVED, requested_by=None)
    # The console's way when it no longer holds the session that asked: send what is committed and unsent.
    assert await platform.send_requested(database, platform_sender) >= 1
    assert (await wait_for(database, suspend.id)).status == JobStatus.SUCCEEDED
    assert get_tenant(owner_engine, tenant.slug).status == TenantStatus.SUSPENDED

    async with database.control_session() as session:
        with pytest.raises(ConflictError, match="already suspended"):
            await request_status_change(session, tenant_id=tenant.id, status=TenantStatus.SUSPENDED, requested_by=None)
        with pytest.raises(InvalidInputError) as refused:
            await request_status_change(
                session, tenant_id=tenant.id, status=TenantStatus.PROVISIONING, requested_by=None
            )
        assert refused.value.field == "status"
        with pytest.raises(NotFoundError):
            await request_status_change(session, tenant_id=uuid.uuid4(), status=TenantStatus.ACTIVE, requested_by=None)


async def test_a_platform_job_delivered_again_after_success_does_nothing(
    database: Database,
    platform_sender: DramatiqSender,
    platform_worker: Process,
    make_tenant: TenantFactory,
    owner_engine: Engine,
) -> None:
    tenant = make_tenant()
    asked = await ask(
        database,
        platform_sender,
        request_status_change,
        tenant_id=tenant.id,
        status=TenantStatus.SUSPENDED,
        requested_by=None,
    )
    done = await wait_for(database, asked.id)
    assert done.status == JobStatus.SUCCEEDED
    # What at-least-once delivery can do: the very same message again, after it succeeded.
    again = [outbox.OutboxMessage(done.id, None, SET_STATUS_JOB, done.arguments)]
    assert await outbox.send_and_mark(database, None, platform_sender, again) == 1
    for _ in range(300):
        lines = platform_worker.output().splitlines()
        if any("job_already_done" in line and str(done.id) in line for line in lines):
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the worker did not skip the redelivered job:\n" + platform_worker.output())
    after = await record(database, done.id)
    assert (after.status, after.attempts, after.finished_at, after.result) == (
        JobStatus.SUCCEEDED,
        1,
        done.finished_at,
        done.result,
    )
    assert get_tenant(owner_engine, tenant.slug).status == TenantStatus.SUSPENDED
    assert await dead_letters(database, str(done.id), wait=False) == []


async def test_a_provisioning_job_whose_tenant_an_earlier_attempt_finished_just_says_so(
    database: Database, platform_sender: DramatiqSender, make_tenant: TenantFactory
) -> None:
    # A worker killed after provisioning committed but before the job's record did: the rerun finds
    # the tenant its own record names, active, and succeeds without provisioning anything again.
    tenant = make_tenant()
    async with database.control_session() as session, session.begin():
        job = PlatformJob(
            kind=PROVISION_JOB,
            arguments={"slug": tenant.slug, "name": tenant.name},
            tenant_id=tenant.id,
            status=JobStatus.RUNNING,
            attempts=1,
        )
        session.add(job)
    messages = [outbox.OutboxMessage(job.id, None, PROVISION_JOB, job.arguments)]
    assert await outbox.send_and_mark(database, None, platform_sender, messages) == 1
    done = await wait_for(database, job.id)
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert (done.attempts, done.progress, done.step) == (2, 100, "active")
    assert done.result == {"tenant_id": str(tenant.id), "slug": tenant.slug, "schema": tenant.schema_name}


async def test_a_provisioning_job_for_a_slug_taken_meanwhile_fails_at_once_into_the_dead_letter(
    database: Database, platform_sender: DramatiqSender, make_tenant: TenantFactory
) -> None:
    slug = new_slug()
    asked = await ask(database, None, request_provisioning, slug=slug, name="Late Co", requested_by=None)
    make_tenant(slug)  # the CLI got there first
    messages = [outbox.OutboxMessage(asked.id, None, PROVISION_JOB, asked.arguments)]
    assert await outbox.send_and_mark(database, None, platform_sender, messages) == 1
    job = await wait_for(database, asked.id)
    assert job.status == JobStatus.FAILED
    assert job.error == f"TenantExistsError: tenant '{slug}' already exists (active)"
    assert job.attempts == 1
    [letter] = await dead_letters(database, str(asked.id))
    assert (letter.tenant_id, letter.actor, letter.attempts, letter.error) == (None, PROVISION_JOB, 1, job.error)
    assert PLATFORM_JOB_OPTION in letter.message["options"]


async def test_a_platform_message_for_an_unknown_job_is_dead_lettered_not_looped(
    database: Database, platform_sender: DramatiqSender
) -> None:
    message_id = uuid.uuid4()
    arguments = {"tenant_id": str(uuid.uuid4()), "status": "archived"}
    platform_sender.send([outbox.OutboxMessage(message_id, None, SET_STATUS_JOB, arguments)])
    [letter] = await dead_letters(database, str(message_id))
    assert (letter.tenant_id, letter.actor, letter.attempts) == (None, SET_STATUS_JOB, 1)
    assert letter.error == f"PoisonMessageError: job {message_id} does not exist in control.platform_jobs"
    await asyncio.sleep(3)  # past the first retry's backoff: a looping message would have run again
    assert len(await dead_letters(database, str(message_id), wait=False)) == 1


@pytest.mark.parametrize(
    ("actor", "platform_job", "pinned", "error"),
    [
        # A tenant's job without a tenant is refused, as it always was.
        ("skills.remind_stale", False, False, "the message names no tenant or job"),
        ("skills.remind_stale", True, False, "PoisonMessageError: skills.remind_stale is a tenant's job"),
        (SET_STATUS_JOB, True, True, "a platform job's message names a tenant"),
        (SET_STATUS_JOB, False, True, "PoisonMessageError: tenants.set_status is a platform job"),
    ],
)
async def test_a_message_whose_kind_and_options_disagree_is_refused(
    database: Database,
    platform_sender: DramatiqSender,
    make_tenant: TenantFactory,
    owner_engine: Engine,
    actor: str,
    platform_job: bool,
    pinned: bool,
    error: str,
) -> None:
    tenant = make_tenant()
    options: dict[str, Any] = {PLATFORM_JOB_OPTION: True} if platform_job else {}
    if pinned:
        options["tenant_id"] = str(tenant.id)
    message_id = str(uuid.uuid4())
    platform_sender.broker.enqueue(
        Message(
            queue_name=platform_sender.queue,
            actor_name=actor,
            args=(),
            kwargs={"tenant_id": str(tenant.id), "status": "archived"} if actor == SET_STATUS_JOB else {},
            options=options,
            message_id=message_id,
        )
    )
    [letter] = await dead_letters(database, message_id)
    assert letter.error.startswith(error)
    assert letter.attempts == 1
    assert get_tenant(owner_engine, tenant.slug).status == TenantStatus.ACTIVE


async def test_the_relay_sends_platform_jobs_left_unsent(
    database: Database, platform_sender: DramatiqSender, make_tenant: TenantFactory, owner_engine: Engine
) -> None:
    async def committed_but_never_sent(tenant: TenantRef) -> PlatformJob:
        job = await ask(
            database, None, request_status_change, tenant_id=tenant.id, status=TenantStatus.SUSPENDED, requested_by=None
        )
        async with database.control_session() as session, session.begin():
            # As if the process had died right after the commit, a minute ago.
            await session.execute(
                update(PlatformJob)
                .where(PlatformJob.id == job.id)
                .values(created_at=func.now() - text("interval '1 minute'"))
            )
        return job

    # The scheduler's relay covers the platform's jobs as well as every tenant's.
    lost = await committed_but_never_sent(make_tenant())
    recorder = RecordingSender()
    await relay_all(database, TenantRegistry(database, 0), recorder)
    assert outbox.OutboxMessage(lost.id, None, SET_STATUS_JOB, lost.arguments) in recorder.sent
    assert (await record(database, lost.id)).sent_at is not None
    await abandon(database, lost.id)

    # And what it sends, the worker runs.
    tenant = make_tenant()
    lost = await committed_but_never_sent(tenant)
    assert await outbox.relay_unsent(database, None, platform_sender) == 1
    job = await wait_for(database, lost.id)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.sent_at is not None
    assert get_tenant(owner_engine, tenant.slug).status == TenantStatus.SUSPENDED


@pytest.mark.usefixtures("worker")  # the in-process worker's event loop, which the middleware's hooks use
async def test_a_delivery_that_finds_its_job_running_elsewhere_leaves_the_record_alone(
    database: Database, broker: dramatiq.Broker, settings: Settings
) -> None:
    async with database.control_session() as session, session.begin():
        job = PlatformJob(
            kind=SET_STATUS_JOB,
            arguments={},
            status=JobStatus.RUNNING,
            attempts=1,
            progress=40,
            sent_at=dt.datetime.now(dt.UTC),
        )
        session.add(job)
    middleware = next(m for m in broker.middleware if isinstance(m, TenantMiddleware))
    message = dramatiq.MessageProxy(
        Message(
            queue_name=settings.broker_namespace,
            actor_name=SET_STATUS_JOB,
            args=(),
            kwargs={},
            options={PLATFORM_JOB_OPTION: True},
            message_id=str(job.id),
        )
    )

    def one_attempt(error: Exception) -> None:
        # On a thread of its own, as in the worker (the hooks wait on the worker's event loop).
        middleware.before_process_message(broker, message)
        middleware.after_process_message(broker, message, exception=error)

    # A second delivery while the first runs (a long provisioning, say): the console keeps seeing it run.
    await asyncio.to_thread(one_attempt, JobBusyError(f"job {job.id} is running in another worker"))
    busy = await record(database, job.id)
    assert (busy.status, busy.progress, busy.error) == (JobStatus.RUNNING, 40, None)
    # Any other failed attempt is the record's: queued again, with its error, for the retry.
    await asyncio.to_thread(one_attempt, ValueError("boom"))
    failed = await record(database, job.id)
    assert (failed.status, failed.error) == (JobStatus.QUEUED, "ValueError: boom")
    await abandon(database, job.id)
