"""The transactional outbox: a job asked for inside a transaction is sent to the broker only after that
transaction commits, and a crash or a broker outage in between leaves it for the relay, not lost.

`enqueue` (in `backend.jobs.service`) writes the job row and notes the message on the session; the
owner of the unit of work (the request's `provide_db`, the worker's job runner, the CLI) calls
`send_committed` after its commit. A rollback forgets the notes with the rows. Whatever was committed
but never marked sent (the process died, the broker was down) the relay sends again; a message sent
twice is harmless because every actor skips a job that has already succeeded.

Platform jobs (`backend.jobs.platform`) go the same way on a control session: their messages carry no
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
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.jobs.records import JobRecords, owner_of
from tenants.sessions import Database, TenantRef

log = structlog.get_logger()

_PENDING = "crosswalk_outbox"
RELAY_BATCH = 500


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    job_id: uuid.UUID
    # None for a platform job: its message names no tenant, and its record is in the control schema.
    tenant_id: uuid.UUID | None
    kind: str
    arguments: dict[str, Any] = field(default_factory=dict)


class JobSender(Protocol):
    """Puts messages on the broker; blocking, and raises when the broker cannot take them."""

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
    for a control session, whose transactions ask only for platform jobs. Never raises for a broker
    that is down: the request or job that asked has succeeded, and the relay sends the messages later."""
    messages = take_committed(session)
    if not messages:
        return 0
    return await send_and_mark(database, tenant, sender, messages)


async def send_and_mark(
    database: Database, tenant: TenantRef | None, sender: JobSender, messages: Sequence[OutboxMessage]
) -> int:
    """Send `messages` and stamp their records sent: a tenant job's in `tenant`'s schema, a platform
    job's (whatever `tenant` is) in the control schema."""
    records: dict[TenantRef | None, list[uuid.UUID]] = {}
    for message in messages:
        if message.tenant_id is not None and (tenant is None or message.tenant_id != tenant.id):
            raise ValueError(f"job {message.job_id} is not a job of {owner_of(tenant)}")
        records.setdefault(tenant if message.tenant_id is not None else None, []).append(message.job_id)
    try:
        # The broker clients are blocking; a thread keeps a slow broker from stalling the event loop.
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
    """Send the committed jobs of the tenant (None: the platform's) that were never marked sent.
    `older_than` leaves a fresh job to the request that asked for it, which is about to send it itself."""
    records = JobRecords(database, tenant)
    model = records.model
    sent = 0
    while True:
        async with records.session() as session:
            jobs = (
                await session.execute(
                    select(model.id, model.kind, model.arguments)
                    .where(model.sent_at.is_(None), model.created_at < func.now() - older_than)
                    .order_by(model.created_at)
                    .limit(RELAY_BATCH)
                )
            ).all()
        if not jobs:
            return sent
        tenant_id = tenant.id if tenant is not None else None
        messages = [OutboxMessage(job_id, tenant_id, kind, arguments) for job_id, kind, arguments in jobs]
        done = await send_and_mark(database, tenant, sender, messages)
        sent += done
        if done < len(messages) or len(jobs) < RELAY_BATCH:
            return sent
