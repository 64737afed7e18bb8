"""Builds a worker's broker: its middleware, its resources, and every actor declared on it."""

from __future__ import annotations

import dramatiq

from backend.settings import Settings
from worker.broker import DramatiqSender, build_broker, queue_name
from worker.middleware import TenantMiddleware
from worker.resources import WorkerResources
from worker.runner import declare_actors


def configure(settings: Settings) -> tuple[dramatiq.Broker, WorkerResources]:
    """The worker's broker with every registered job body declared on it as an actor."""
    import worker.actors  # noqa: F401 - registers every job body of the project

    resources = WorkerResources(settings)
    broker = build_broker(settings, extra_middleware=[TenantMiddleware(resources)])
    resources.sender = DramatiqSender.of(broker, settings)
    declare_actors(broker, queue_name(settings))
    dramatiq.set_broker(broker)
    return broker, resources
