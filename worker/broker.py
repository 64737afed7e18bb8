"""The Dramatiq broker: Redis by default (REDIS_URL, the embedded one in the local run), RabbitMQ when
BROKER_URL is an amqp:// URL. The API process uses it only to send; the worker also consumes.

Redis: a worker killed with SIGKILL leaves its in-flight messages in its own "acked" set until some
other consumer's maintenance pass sees that its heartbeat stopped and requeues them. Dramatiq's
defaults (60 s heartbeat timeout, maintenance on 0.1 % of commands) left them stuck for minutes; here
the timeout is 30 s and one command in ten runs maintenance (a few cheap Redis calls), so they run
again within about 40 s. RabbitMQ gives unacknowledged messages back as soon as the connection drops.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import MAINTENANCE_SCALE
from dramatiq.message import Message
from dramatiq.middleware import AgeLimit, AsyncIO, Middleware, Retries, ShutdownNotifications, TimeLimit

from backend.core.jobs.outbox import OutboxMessage
from backend.settings import DEFAULT_JOB_RESEND_AFTER_SECONDS, DEFAULT_JOB_TENANT_IN_FLIGHT, Settings
from worker.decoding import TolerantEncoder, TolerantRedisBroker

REDIS_HEARTBEAT_TIMEOUT_MS = 30_000
REDIS_MAINTENANCE_CHANCE = MAINTENANCE_SCALE // 10
# Transient failures are retried from 1 s, doubling, up to 5 minutes apart.
MIN_BACKOFF_MS = 1_000
MAX_BACKOFF_MS = 300_000
# The message option that marks a platform job (see backend/core/jobs/platform.py). Such a message names no
# tenant: the tenant middleware hands it to its actor unpinned, and refuses any other message that
# names no tenant.
PLATFORM_JOB_OPTION = "platform_job"


def queue_name(settings: Settings) -> str:
    """One queue for every job, named after the namespace: RabbitMQ has no key prefix of its own, so
    this keeps two deployments (or test runs) on one broker apart there too."""
    return settings.broker_namespace


def broker_url(settings: Settings) -> str:
    url = settings.broker_url or settings.redis_url
    if url is None:
        raise RuntimeError("neither BROKER_URL nor REDIS_URL is set and the embedded Redis was not started")
    return url


def build_broker(settings: Settings, *, extra_middleware: Sequence[Middleware] = ()) -> dramatiq.Broker:
    """The broker with its middleware. Order matters: the event loop (AsyncIO) boots first and stops
    last; the extra (tenant) middleware sits before Retries, so after a failure it runs after Retries
    has decided whether the message is retried or given up."""
    # Bytes that are not a message become a message of no actor, dead-lettered with the reason
    # (worker/decoding.py). Dramatiq's encoder is process-wide; this one decodes every valid message
    # as Dramatiq's own does.
    dramatiq.set_encoder(TolerantEncoder())
    middleware: list[Middleware] = [
        AsyncIO(),
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        *extra_middleware,
        Retries(min_backoff=MIN_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS),
    ]
    url = broker_url(settings)
    broker: dramatiq.Broker
    if url.startswith(("amqp://", "amqps://")):
        broker = RabbitmqBroker(url=url, middleware=middleware)
    else:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30)
        broker = TolerantRedisBroker(  # type: ignore[no-untyped-call]
            client=client,
            middleware=middleware,
            namespace=settings.broker_namespace,
            heartbeat_timeout=REDIS_HEARTBEAT_TIMEOUT_MS,
            maintenance_chance=REDIS_MAINTENANCE_CHANCE,
        )
    broker.declare_queue(queue_name(settings))
    return broker


def message_options(message: OutboxMessage) -> dict[str, Any]:
    if message.tenant_id is None:
        return {PLATFORM_JOB_OPTION: True}
    return {"tenant_id": str(message.tenant_id)}


class DramatiqSender:
    """Sends outbox messages: the job's id is the message's id, the tenant (or the mark of a platform
    job) rides in the options."""

    def __init__(
        self,
        broker: dramatiq.Broker,
        queue: str,
        *,
        tenant_in_flight: int = DEFAULT_JOB_TENANT_IN_FLIGHT,
        resend_after: timedelta = timedelta(seconds=DEFAULT_JOB_RESEND_AFTER_SECONDS),
    ) -> None:
        self.broker = broker
        self.queue = queue
        self.tenant_in_flight = tenant_in_flight
        self.resend_after = resend_after

    @classmethod
    def of(cls, broker: dramatiq.Broker, settings: Settings) -> DramatiqSender:
        """The sender of a deployment: its queue, its tenants' in-flight limit and its re-send bound."""
        return cls(
            broker,
            queue_name(settings),
            tenant_in_flight=settings.job_tenant_in_flight,
            resend_after=timedelta(seconds=settings.job_resend_after_seconds),
        )

    def send(self, messages: Sequence[OutboxMessage]) -> None:
        for message in messages:
            self.broker.enqueue(
                Message(
                    queue_name=self.queue,
                    actor_name=message.kind,
                    args=(),
                    kwargs=dict(message.arguments),
                    options=message_options(message),
                    message_id=str(message.job_id),
                )
            )

    def close(self) -> None:
        self.broker.close()


class SenderOnFirstSend:
    """A deployment's sender whose broker is built at its first send: for the CLI, whose commands
    mostly ask for no job and so need no broker (nor REDIS_URL) at all."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tenant_in_flight = settings.job_tenant_in_flight
        self.resend_after = timedelta(seconds=settings.job_resend_after_seconds)
        self._sender: DramatiqSender | None = None

    def send(self, messages: Sequence[OutboxMessage]) -> None:
        if self._sender is None:
            self._sender = DramatiqSender.of(build_broker(self.settings), self.settings)
        self._sender.send(messages)

    def close(self) -> None:
        if self._sender is not None:
            self._sender.close()
