"""The transactional outbox: a job asked for inside a transaction is sent to the broker only after that
transaction commits, and a crash or a broker outage in between leaves it for the relay, not lost.

`enqueue` (in `backend.jobs.service`) writes the job row and notes the message on the session; the
owner of the unit of work (the request's `provide_db`, the worker's job runner, the CLI) calls
`send_committed` after its commit. A rollback forgets the notes with the rows. Whatever was committed
but never marked sent (the process died, the broker was down) the relay sends again; a message sent
twice is harmless because every actor skips a job that has already succeeded.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import anyio.to_thread
import structlog
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.jobs.models import Job
from tenants.sessions import Database, TenantRef, TenantSession

log = structlog.get_logger()

_PENDING = "crosswalk_outbox"
RELAY_BATCH = 500


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    job_id: uuid.UUID
    tenant_id: uuid.UUID
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


@event.listens_for(TenantSession, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


async def send_committed(database: Database, tenant: TenantRef, sender: JobSender, session: AsyncSession) -> int:
    """Send what the session's committed transaction enqueued. Never raises for a broker that is down:
    the request or job that asked has succeeded, and the relay sends the messages later."""
    messages = take_committed(session)
    if not messages:
        return 0
    return await send_and_mark(database, tenant, sender, messages)


async def send_and_mark(
    database: Database, tenant: TenantRef, sender: JobSender, messages: Sequence[OutboxMessage]
) -> int:
    try:
        # The broker clients are blocking; a thread keeps a slow broker from stalling the event loop.
        await anyio.to_thread.run_sync(sender.send, messages)
    except Exception as exc:
        log.warning("jobs_send_deferred", tenant=tenant.slug, jobs=len(messages), error=type(exc).__name__)
        return 0
    async with database.tenant_session(tenant) as session, session.begin():
        await session.execute(update(Job).where(Job.id.in_([m.job_id for m in messages])).values(sent_at=func.now()))
    return len(messages)


async def relay_unsent(
    database: Database, tenant: TenantRef, sender: JobSender, *, older_than: timedelta = timedelta(seconds=10)
) -> int:
    """Send the tenant's committed jobs that were never marked sent. `older_than` leaves a fresh job to
    the request that asked for it, which is about to send it itself."""
    sent = 0
    while True:
        async with database.tenant_session(tenant) as session:
            jobs = (
                await session.execute(
                    select(Job.id, Job.kind, Job.arguments)
                    .where(Job.sent_at.is_(None), Job.created_at < func.now() - older_than)
                    .order_by(Job.created_at)
                    .limit(RELAY_BATCH)
                )
            ).all()
        if not jobs:
            return sent
        messages = [OutboxMessage(job_id, tenant.id, kind, arguments) for job_id, kind, arguments in jobs]
        done = await send_and_mark(database, tenant, sender, messages)
        sent += done
        if done < len(messages) or len(jobs) < RELAY_BATCH:
            return sent
