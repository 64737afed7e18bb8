"""What a worker process holds for its lifetime: the serving database, the tenant registry, and a
sender for the jobs that jobs enqueue. Built lazily, on the worker's event loop thread."""

from __future__ import annotations

from typing import Any

from backend.jobs.models import DeadLetter
from backend.jobs.outbox import JobSender
from backend.settings import Settings
from tenants.registry import TenantRegistry
from tenants.sessions import Database


class _NoSender:
    def send(self, messages: object) -> None:
        raise RuntimeError("the worker's broker is not configured yet")

    def close(self) -> None:
        pass


class WorkerResources:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Set once the broker exists (the broker's middleware needs these resources first).
        self.sender: JobSender = _NoSender()
        self._database: Database | None = None
        self._registry: TenantRegistry | None = None

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(
                self.settings.serving_url,
                pool_size=self.settings.db_pool_size,
                max_overflow=self.settings.db_max_overflow,
                max_tenants_per_connection=self.settings.db_max_tenants_per_connection,
                pool_recycle_seconds=self.settings.db_pool_recycle_seconds,
            )
        return self._database

    @property
    def registry(self) -> TenantRegistry:
        if self._registry is None:
            self._registry = TenantRegistry(self.database, self.settings.tenant_cache_seconds)
        return self._registry

    async def dead_letter(self, **fields: Any) -> None:
        async with self.database.control_session() as session, session.begin():
            session.add(DeadLetter(**fields))

    async def close(self) -> None:
        if self._database is not None:
            await self._database.dispose()
            self._database = None
