"""The scheduler: periodic work for every tenant, from exactly one process.

Any number of `crosswalk scheduler` processes may run (say, one per host for failover); the one that
holds a session-level Postgres advisory lock schedules, the others wait on standby. The lock belongs to
a database connection, so a scheduler that dies (even by SIGKILL) frees it at once and a standby takes
over. Nightly jobs carry a dedupe key per date, so a hand-over in the middle of a night does not ask
for the same job twice.

Its work: the outbox relay (tenants' and platform jobs committed but never sent, e.g. while the broker
was down), the debounced recompute of recommendations after changes, and the nightly runs (matches,
training plans for everyone's target roles, reminders to re-confirm stale skills, moves into a role
that take effect that day).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable
from functools import partial

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.backoff import Backoff
from backend.core.jobs import outbox
from backend.core.jobs.enqueue import SCHEDULER, enqueue
from backend.core.jobs.records import owner_of
from backend.core.unit_of_work import UnitOfWork
from backend.matching.service import enqueue_if_due
from tenants.locks import Hold, global_lock_key, lock_global
from tenants.registry import TenantRegistry
from tenants.sessions import Database, TenantRef

log = structlog.get_logger()

# The advisory lock every scheduler of this database competes for (its key, for finding it in pg_locks).
SCHEDULER_LOCK = "scheduler"
SCHEDULER_LOCK_KEY = global_lock_key(SCHEDULER_LOCK)
STANDBY_POLL_SECONDS = 5.0
# The jobs of the nightly run, for every active tenant; the worker has an actor for each.
NIGHTLY_JOBS = (
    # Moves into a role taking effect today rewrite their employees before the recompute reads them.
    "marketplace.apply_moves",
    "matching.recompute",
    "training.recommend_all",
    "skills.remind_stale",
)
NIGHTLY_AT = {"hour": 2, "minute": 0}


async def acquire_leadership(
    database: Database, stop: asyncio.Event, *, backoff_max_seconds: float = 30.0
) -> AsyncConnection | None:
    """Wait until this process holds the scheduler lock; None if told to stop first. Postgres being
    unreachable (down, restarting, a connection dropped) is waited out with backoff, never raised: a
    scheduler that exited on it would silently stop the relay and the nightly runs."""
    backoff = Backoff(cap=backoff_max_seconds)
    while not stop.is_set():
        try:
            connection = await _try_lock(database)
        except Exception as exc:
            delay = backoff.next_delay()
            log.warning("scheduler_database_unreachable", error=one_line(exc), retry_in_seconds=round(delay, 2))
            await _sleep_unless_stopped(stop, delay)
            continue
        backoff.reset()
        if connection is not None:
            log.info("scheduler_leading")
            return connection
        await _sleep_unless_stopped(stop, STANDBY_POLL_SECONDS)
    return None


async def _try_lock(database: Database) -> AsyncConnection | None:
    """The lock's connection if this process took the lock; None if another scheduler holds it."""
    connection = await database.engine.connect()
    try:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        if await lock_global(connection, SCHEDULER_LOCK, hold=Hold.SESSION, wait=False):
            return connection
    except BaseException:
        await _close_quietly(connection)
        raise
    await connection.close()
    return None


async def _close_quietly(connection: AsyncConnection) -> None:
    # Closing a connection whose server is gone fails too; the pool has already dropped it.
    try:
        await connection.close()
    except Exception as exc:
        log.warning("scheduler_lock_connection_lost", error=one_line(exc))


async def _sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def one_line(exc: BaseException) -> str:
    """The exception's type and first line: enough to see which server is away, without a traceback
    every few seconds for as long as it is."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:300]


async def relay_all(database: Database, registry: TenantRegistry, sender: outbox.JobSender) -> int:
    """Send what was committed but is not on the broker (never sent, or waiting for its tenant's turn)
    and send again what was sent but never started (see `outbox.resend_unstarted`): the platform's own
    jobs (None), then every active tenant's."""
    sent = 0
    owners: list[TenantRef | None] = [None, *await registry.active()]
    for tenant in owners:
        try:
            sent += await outbox.resend_unstarted(database, tenant, sender)
            sent += await outbox.relay_unsent(database, tenant, sender)
        except Exception:
            # One tenant's trouble (a migration in progress, a dropped role) must not stall the others.
            log.exception("relay_failed", tenant=owner_of(tenant))
    if sent:
        log.info("relay_sent", jobs=sent)
    return sent


async def refresh_matches(
    unit_of_work: UnitOfWork, registry: TenantRegistry, *, debounce: float, max_wait: float
) -> int:
    """Ask for a recompute of recommendations in every tenant whose changes are due (debounced)."""
    asked = 0
    for tenant in await registry.active():
        try:
            async with unit_of_work.tenant(tenant) as session:
                job = await enqueue_if_due(session, debounce, max_wait)
            asked += job is not None
        except Exception:
            log.exception("matching_refresh_failed", tenant=tenant.slug)
    return asked


async def enqueue_nightly(unit_of_work: UnitOfWork, tenant: TenantRef, day: dt.date) -> list[str]:
    async with unit_of_work.tenant(tenant) as session:
        kinds = [
            (
                await enqueue(session, kind, {}, requested_by=SCHEDULER, dedupe_key=f"nightly:{kind}:{day.isoformat()}")
            ).kind
            for kind in NIGHTLY_JOBS
        ]
    return kinds


async def nightly(unit_of_work: UnitOfWork, registry: TenantRegistry) -> None:
    day = dt.datetime.now(dt.UTC).date()
    for tenant in await registry.active():
        try:
            await enqueue_nightly(unit_of_work, tenant, day)
        except Exception:
            log.exception("nightly_failed", tenant=tenant.slug)


async def run_scheduler(
    unit_of_work: UnitOfWork,
    registry: TenantRegistry,
    stop: asyncio.Event,
    *,
    relay_seconds: float,
    matching_debounce_seconds: float = 30.0,
    matching_max_wait_seconds: float = 300.0,
    backoff_max_seconds: float = 30.0,
) -> None:
    """Lead (or wait to lead) until `stop` is set. Losing the lock's connection (Postgres restarted,
    the network dropped it) ends the leadership; the loop then competes for it again, waiting out an
    outage with backoff. Nothing but `stop` ends it. The unit of work is the scheduler's transactions
    (nightly runs, recomputes); the relay sends with its database and sender."""
    database, sender = unit_of_work.database, unit_of_work.job_sender
    while not stop.is_set():
        connection = await acquire_leadership(database, stop, backoff_max_seconds=backoff_max_seconds)
        if connection is None:
            return
        scheduler = AsyncIOScheduler(timezone=dt.UTC)
        # Partials of coroutine functions, which APScheduler awaits on this loop (a lambda it would not).
        jobs: list[tuple[Callable[[], Awaitable[object]], object]] = [
            (partial(relay_all, database, registry, sender), IntervalTrigger(seconds=relay_seconds)),
            (
                partial(
                    refresh_matches,
                    unit_of_work,
                    registry,
                    debounce=matching_debounce_seconds,
                    max_wait=matching_max_wait_seconds,
                ),
                # Often enough that a quiet burst is picked up soon after its debounce ends.
                IntervalTrigger(seconds=max(1.0, min(relay_seconds, matching_debounce_seconds / 2))),
            ),
            (partial(nightly, unit_of_work, registry), CronTrigger(timezone=dt.UTC, **NIGHTLY_AT)),
        ]
        for work, trigger in jobs:
            # coalesce + one instance: a slow run is not stacked up behind itself after a pause.
            scheduler.add_job(work, trigger, coalesce=True, max_instances=1, misfire_grace_time=3600)
        scheduler.start()
        try:
            await relay_all(database, registry, sender)
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), relay_seconds)
                except TimeoutError:
                    await connection.scalar(select(1))  # still holding the lock's connection?
        except Exception as exc:
            log.warning("scheduler_lost_leadership", error=one_line(exc))
        finally:
            scheduler.shutdown(wait=False)
            await _close_quietly(connection)
