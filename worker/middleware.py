"""The tenant middleware: every message is pinned to the one tenant its options name, and unpinned
after it, whatever happened (success, retry, failure or skip).

It also keeps the job's record honest after a failed attempt (queued again for a retry, or failed),
and puts what the worker gives up on into the dead-letter list (`control.dead_letters`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

import dramatiq
import structlog
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from tenants.models import TenantStatus
from tenants.sessions import TenantRef
from worker.errors import TenantLookupError, is_transient
from worker.resources import WorkerResources
from worker.runner import Delivery, delivery_or_none, record_failure, set_delivery

log = structlog.get_logger()

T = TypeVar("T")
_ERROR_LENGTH = 2000


def describe(exception: BaseException) -> str:
    """One line for the job record and the dead letter: the error's type and message, never a
    traceback (which may quote data) and never longer than a screen."""
    text = f"{type(exception).__name__}: {exception}".replace("\n", " ").strip()
    return text[:_ERROR_LENGTH]


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
            reason, tenant, job_id = self._resolve(message)
        except Exception as exc:
            if is_transient(exc):
                # The control database is away for a moment: retry the message later, like any job.
                raise TenantLookupError(describe(exc)) from exc
            raise
        if reason is not None or tenant is None or job_id is None:
            reason = reason or "the message names no tenant or job"
            # Nothing can run without its tenant: give the message up at once (no retry can fix it).
            log.warning("job_refused", message_id=message.message_id, actor=message.actor_name, reason=reason)
            self._dead_letter(message, tenant, reason)
            message.fail()
            return
        set_delivery(Delivery(tenant=tenant, job_id=job_id, resources=self.resources))
        structlog.contextvars.bind_contextvars(tenant=tenant.slug, job_id=str(job_id), actor=message.actor_name)

    def _resolve(self, message: dramatiq.MessageProxy) -> tuple[str | None, TenantRef | None, uuid.UUID | None]:
        try:
            tenant_id = uuid.UUID(str(message.options.get("tenant_id")))
            job_id = uuid.UUID(message.message_id)
        except ValueError:
            return "the message names no tenant or job", None, None
        tenant = self._run(self.resources.registry.by_id(tenant_id))
        if tenant is None:
            return f"tenant {tenant_id} does not exist", None, job_id
        if tenant.status != TenantStatus.ACTIVE:
            return f"tenant {tenant.slug} is {tenant.status.value}", tenant, job_id
        return None, tenant, job_id

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
                self._run(record_failure(self.resources.database, delivery.tenant, delivery.job_id, error, final=final))
                if final:
                    self._dead_letter(message, delivery.tenant, error)
        finally:
            self._clear()

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
