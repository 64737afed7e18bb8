"""The tenant middleware: every message is pinned to the one tenant its options name, and unpinned
after it, whatever happened (success, retry, failure or skip). A platform job's message names no tenant
but carries `PLATFORM_JOB_OPTION`: it goes to its actor unpinned (the runner lets only platform actors
run it); any other message without a tenant is refused as before.

It also keeps the job's record honest after a failed attempt (queued again for a retry, or failed),
puts what the worker gives up on into the dead-letter list (`control.dead_letters`), among them the
messages no actor of the worker's can run (an unknown kind, bytes that were not a message), and lets
the tenant's next waiting jobs go once one of its jobs is given up.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import dramatiq
import structlog
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from backend.core.jobs.records import JobRecords, owner_of
from tenants.models import TenantStatus
from tenants.sessions import TenantRef
from worker.broker import PLATFORM_JOB_OPTION
from worker.decoding import UNDECODABLE_OPTION
from worker.errors import JobBusyError, TenantLookupError, is_transient
from worker.resources import WorkerResources
from worker.runner import Delivery, delivery_or_none, send_next, set_delivery

log = structlog.get_logger()

T = TypeVar("T")
_ERROR_LENGTH = 2000


def describe(exception: BaseException) -> str:
    """One line for the job record and the dead letter: the error's type and message, never a
    traceback (which may quote data) and never longer than a screen."""
    text = f"{type(exception).__name__}: {exception}".replace("\n", " ").strip()
    return text[:_ERROR_LENGTH]


@dataclass(frozen=True, slots=True)
class _Refusal:
    reason: str
    tenant: TenantRef | None = None


class TenantMiddleware(Middleware):
    def __init__(self, resources: WorkerResources) -> None:
        self.resources = resources

    def _run(self, coroutine: Awaitable[T]) -> T:
        loop = get_event_loop_thread()
        if loop is None:
            raise RuntimeError("the AsyncIO middleware must come before the tenant middleware")
        return loop.run_coroutine(coroutine)

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        set_delivery(None)
        try:
            resolved = self._resolve(message)
        except Exception as exc:
            if is_transient(exc):
                # The control database is away for a moment: retry the message later, like any job.
                raise TenantLookupError(describe(exc)) from exc
            raise
        if isinstance(resolved, _Refusal):
            # Nothing can run without its tenant: give the message up at once (no retry can fix it).
            log.warning("job_refused", message_id=message.message_id, actor=message.actor_name, reason=resolved.reason)
            self._dead_letter(message, resolved.tenant, resolved.reason)
            message.fail()
            return
        set_delivery(resolved)
        structlog.contextvars.bind_contextvars(
            tenant=owner_of(resolved.tenant), job_id=str(resolved.job_id), actor=message.actor_name
        )

    def _resolve(self, message: dramatiq.MessageProxy) -> Delivery | _Refusal:
        options = message.options
        if options.get(PLATFORM_JOB_OPTION) is True:
            return self._resolve_platform(message)
        try:
            tenant_id = uuid.UUID(str(options.get("tenant_id")))
            job_id = uuid.UUID(message.message_id)
        except ValueError:
            return _Refusal("the message names no tenant or job")
        tenant = self._run(self.resources.registry.by_id(tenant_id))
        if tenant is None:
            return _Refusal(f"tenant {tenant_id} does not exist")
        if tenant.status != TenantStatus.ACTIVE:
            return _Refusal(f"tenant {tenant.slug} is {tenant.status.value}", tenant)
        return Delivery(tenant=tenant, job_id=job_id, resources=self.resources)

    def _resolve_platform(self, message: dramatiq.MessageProxy) -> Delivery | _Refusal:
        if "tenant_id" in message.options:
            return _Refusal("a platform job's message names a tenant")
        try:
            job_id = uuid.UUID(message.message_id)
        except ValueError:
            return _Refusal("the message names no job")
        return Delivery(tenant=None, job_id=job_id, resources=self.resources)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        try:
            delivery = delivery_or_none()
            if exception is not None and delivery is not None:
                error = describe(exception)
                final = bool(message.failed)
                # A second delivery that found the job running elsewhere leaves that run's record alone
                # (a long platform job would otherwise show `queued` while it provisions).
                if not isinstance(exception, JobBusyError):
                    records = JobRecords(self.resources.database, delivery.tenant)
                    self._run(records.record_failure(delivery.job_id, error, final=final))
                if final:
                    self._dead_letter(message, delivery.tenant, error)
                    self._run(send_next(delivery))
        finally:
            self._clear()

    def before_nack(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        """A message of no actor of this worker's is failed by Dramatiq before any middleware sees it
        run: a kind this worker does not know (a rolling deploy, a removed job) or bytes that were not
        a message at all. It ends in the dead letters with the reason, its job record failed. (The
        nack of a job that ran and failed has its actor, and was recorded after it ran.)"""
        if message.actor_name in broker.actors:
            return
        try:
            self._give_up_unrunnable(message)
        except Exception:
            # The nack goes on regardless: the broker's own dead-letter queue still keeps the message.
            log.exception("dead_letter_failed", message_id=message.message_id, actor=message.actor_name)

    def _give_up_unrunnable(self, message: dramatiq.MessageProxy) -> None:
        if UNDECODABLE_OPTION in message.options:
            reason = f"undecodable message: {message.options[UNDECODABLE_OPTION]}"
            log.warning("job_refused", message_id=message.message_id, reason=reason)
            self._dead_letter(message, None, reason)
            return
        reason = f"unknown job kind {message.actor_name}"
        log.warning("job_refused", message_id=message.message_id, actor=message.actor_name, reason=reason)
        resolved = self._resolve(message)
        if isinstance(resolved, _Refusal):
            self._dead_letter(message, resolved.tenant, f"{reason}; {resolved.reason}")
            return
        records = JobRecords(self.resources.database, resolved.tenant)
        self._run(records.record_failure(resolved.job_id, reason, final=True))
        self._dead_letter(message, resolved.tenant, reason)
        self._run(send_next(resolved))

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        self._clear()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._run(self.resources.close())

    def _clear(self) -> None:
        set_delivery(None)
        structlog.contextvars.clear_contextvars()

    def _dead_letter(self, message: dramatiq.MessageProxy, tenant: TenantRef | None, error: str) -> None:
        self._run(
            self.resources.dead_letter(
                message_id=message.message_id,
                tenant_id=tenant.id if tenant is not None else None,
                actor=message.actor_name,
                queue=message.queue_name,
                error=error,
                attempts=int(message.options.get("retries", 0)) or 1,
                message={"kwargs": message.kwargs, "options": _safe_options(message.options)},
            )
        )


def _safe_options(options: dict[str, Any]) -> dict[str, Any]:
    # The traceback Retries stores in the options can quote values; the error line says enough.
    return {k: v for k, v in options.items() if k != "traceback"}
