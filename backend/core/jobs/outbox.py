"""The transactional outbox: a job asked for inside a transaction is sent to the broker only after that
transaction commits, and a crash or a broker outage in between leaves it for the relay, not lost.

`enqueue` (in `backend.core.jobs.enqueue`) writes the job row and notes the message on the session; the
owner of the unit of work (the request's `provide_db`, the worker's job runner, the CLI) calls
`send_committed` after its commit. A rollback forgets the notes with the rows. Whatever was committed
but never marked sent (the process died, the broker was down) the relay sends again; a message sent
twice is harmless because every actor skips a job that has already succeeded.

Sending claims the records first (stamps `sent_at` in a short transaction) and then puts the messages
on the broker; a broker that refuses them gets the stamps taken back, and a process that dies between
the two leaves a job "sent" whose message never arrived, which the re-send below covers. Two senders
never claim the same job, so a request and the relay never both send one.

Fairness: a tenant has at most `JobSender.tenant_in_flight` jobs on the broker at once (sent and not
finished). The rest wait here, oldest first, and go out as its jobs finish (the runner sends the next
after every job) or with the relay. So a tenant's flood sits in its own outbox, not in the broker's one
queue in front of every other tenant's jobs: another tenant's job waits behind at most that many jobs of
each busy tenant.

Re-send: a job sent but still not started `resend_after` later (a Redis that lost its data lost the
message, or the sender died between claim and send) is sent again by the relay, each further time after
twice the wait before. The once-only job record makes a second message harmless.

Platform jobs (`backend.core.jobs.platform`) go the same way on a control session: their messages carry no
tenant, and the functions here take `tenant=None` for them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import anyio.to_thread
import structlog
from sqlalchemy import bindparam, event, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.core.jobs.models import JobStatus
from backend.core.jobs.records import JobRecords, owner_of
from tenants.locks import lock_tenant
from tenants.sessions import Database, TenantRef

log = structlog.get_logger()

_PENDING = "crosswalk_outbox"
RELAY_BATCH = 500
# Each further re-send of one job waits twice as long as the one before, up to this many doublings.
MAX_RESEND_DOUBLINGS = 6


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    job_id: uuid.UUID
    # None for a platform job: its message names no tenant, and its record is in the control schema.
    tenant_id: uuid.UUID | None
    kind: str
    arguments: dict[str, Any] = field(default_factory=dict)


class JobSender(Protocol):
    """Puts messages on the broker; blocking, and raises when the broker cannot take them.
    With it, the deployment's sending policy: `tenant_in_flight`, how many jobs of one tenant may be on
    the broker at once (see fairness), and `resend_after`, how long a sent job may wait to start before
    the relay sends it again (see re-send)."""

    tenant_in_flight: int
    resend_after: timedelta

    def send(self, messages: Sequence[OutboxMessage]) -> None: ...

    def close(self) -> None: ...


def note(session: AsyncSession, message: OutboxMessage) -> None:
    session.info.setdefault(_PENDING, []).append(message)


def take_committed(session: AsyncSession) -> list[OutboxMessage]:
    """The messages of the transaction that just committed (and forgets them)."""
    messages: list[OutboxMessage] = session.info.pop(_PENDING, [])
    return messages


# Every session class: tenant sessions note tenant jobs, control sessions platform jobs.
@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


async def send_committed(database: Database, tenant: TenantRef | None, sender: JobSender, session: AsyncSession) -> int:
    """Send what the session's committed transaction enqueued: `tenant` is the session's tenant, None
    for a control session, whose transactions ask only for platform jobs. A tenant's jobs go out oldest
    first within its in-flight limit, so this may send older waiting jobs and leave the new ones waiting
    for their turn. Never raises for a broker that is down: the request or job that asked has succeeded,
    and the relay sends the messages later."""
    if not take_committed(session):
        return 0
    return await send_waiting(database, tenant, sender)


async def send_waiting(
    database: Database, tenant: TenantRef | None, sender: JobSender, *, older_than: timedelta = timedelta(0)
) -> int:
    """Send the owner's committed jobs that are not on the broker yet (and at least `older_than` old):
    a tenant's up to its in-flight limit, oldest first (what a finished job calls to let the next one
    go); the platform's all."""
    sent = 0
    while True:
        messages = await _claim_unsent(database, tenant, sender.tenant_in_flight, older_than)
        if not messages:
            return sent
        if not await _send_claimed(database, tenant, sender, messages):
            return sent
        sent += len(messages)
        if len(messages) < RELAY_BATCH:
            return sent


async def _claim_unsent(
    database: Database, tenant: TenantRef | None, in_flight: int, older_than: timedelta
) -> list[OutboxMessage]:
    """Stamp `sent_at` on the jobs to send now and return their messages. A tenant's claim is taken
    under the tenant's outbox lock (held for this one statement's transaction, never across the broker
    call), so that two senders count the same in-flight jobs and never go past the limit together."""
    records = JobRecords(database, tenant)
    model = records.model
    async with records.session() as session, session.begin():
        limit: Any = literal(RELAY_BATCH)
        if tenant is not None:
            await lock_tenant(session, "outbox")
            sent_unfinished = (
                select(func.count())
                .select_from(model)
                .where(model.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]), model.sent_at.is_not(None))
                .scalar_subquery()
            )
            limit = func.least(func.greatest(in_flight - sent_unfinished, 0), RELAY_BATCH)
        waiting = (
            select(model.id)
            .where(
                model.sent_at.is_(None),
                model.status == JobStatus.QUEUED,
                model.created_at <= func.now() - bindparam("older_than", older_than),
            )
            .order_by(model.created_at, model.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = (
            await session.execute(
                update(model)
                .where(model.id.in_(waiting))
                .values(sent_at=func.now())
                .returning(model.id, model.kind, model.arguments, model.created_at)
            )
        ).all()
    tenant_id = tenant.id if tenant is not None else None
    ordered = sorted(rows, key=lambda row: (row.created_at, row.id))
    return [OutboxMessage(row.id, tenant_id, row.kind, row.arguments) for row in ordered]


async def _send_claimed(
    database: Database, tenant: TenantRef | None, sender: JobSender, messages: Sequence[OutboxMessage]
) -> bool:
    """Put claimed messages on the broker; if it refuses them, give the claims back for the relay."""
    try:
        # The broker clients are blocking; a thread keeps a slow broker from stalling the event loop.
        await anyio.to_thread.run_sync(sender.send, messages)
    except Exception as exc:
        log.warning("jobs_send_deferred", tenant=owner_of(tenant), jobs=len(messages), error=type(exc).__name__)
        await JobRecords(database, tenant).mark_unsent([message.job_id for message in messages])
        return False
    return True


async def send_and_mark(
    database: Database, tenant: TenantRef | None, sender: JobSender, messages: Sequence[OutboxMessage]
) -> int:
    """Send `messages` as they are, whatever the in-flight limit, and stamp their records sent: a tenant
    job's in `tenant`'s schema, a platform job's (whatever `tenant` is) in the control schema."""
    records: dict[TenantRef | None, list[uuid.UUID]] = {}
    for message in messages:
        if message.tenant_id is not None and (tenant is None or message.tenant_id != tenant.id):
            raise ValueError(f"job {message.job_id} is not a job of {owner_of(tenant)}")
        records.setdefault(tenant if message.tenant_id is not None else None, []).append(message.job_id)
    try:
        await anyio.to_thread.run_sync(sender.send, messages)
    except Exception as exc:
        log.warning("jobs_send_deferred", tenant=owner_of(tenant), jobs=len(messages), error=type(exc).__name__)
        return 0
    for owner, job_ids in records.items():
        await JobRecords(database, owner).mark_sent(job_ids)
    return len(messages)


async def relay_unsent(
    database: Database, tenant: TenantRef | None, sender: JobSender, *, older_than: timedelta = timedelta(seconds=10)
) -> int:
    """Send the committed jobs of the tenant (None: the platform's) that are not on the broker yet, a
    tenant's within its in-flight limit. `older_than` leaves a fresh job to the request that asked for
    it, which is about to send it itself (claims keep the two from both sending it; this keeps the
    relay from taking the request's work)."""
    return await send_waiting(database, tenant, sender, older_than=older_than)


async def resend_unstarted(database: Database, tenant: TenantRef | None, sender: JobSender) -> int:
    """Send again the jobs sent but still not started `sender.resend_after` after their last send (or after
    the last failed attempt of one waiting for its retry), each further time after twice as long: a
    broker that lost its data (a Redis restarted without persistence) lost their messages."""
    records = JobRecords(database, tenant)
    model = records.model
    wait: Any = bindparam("resend_after", sender.resend_after.total_seconds()) * func.power(
        2, func.least(model.resends, MAX_RESEND_DOUBLINGS)
    )
    due_before = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, wait)
    async with records.session() as session, session.begin():
        due = (
            select(model.id)
            .where(
                model.status == JobStatus.QUEUED,
                model.sent_at.is_not(None),
                # The last send, or the end of the last attempt: a job waiting for its retry is the
                # broker's until the retry's backoff is over.
                func.greatest(model.sent_at, model.updated_at) < due_before,
            )
            .order_by(model.sent_at)
            .limit(RELAY_BATCH)
            .with_for_update(skip_locked=True)
        )
        rows = (
            await session.execute(
                update(model)
                .where(model.id.in_(due))
                .values(sent_at=func.now(), resends=model.resends + 1)
                .returning(model.id, model.kind, model.arguments, model.resends)
            )
        ).all()
    if not rows:
        return 0
    tenant_id = tenant.id if tenant is not None else None
    messages = [OutboxMessage(row.id, tenant_id, row.kind, row.arguments) for row in rows]
    log.warning(
        "jobs_resent",
        tenant=owner_of(tenant),
        jobs=len(rows),
        job_ids=[str(row.id) for row in rows[:20]],
        most_resends=max(row.resends for row in rows),
    )
    try:
        await anyio.to_thread.run_sync(sender.send, messages)
    except Exception as exc:
        # The stamps stay: the next re-send is due after the doubled wait, which the broker outage
        # also needs before it can take them.
        log.warning("jobs_resend_failed", tenant=owner_of(tenant), jobs=len(rows), error=type(exc).__name__)
        return 0
    return len(rows)
