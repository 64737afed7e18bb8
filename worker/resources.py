"""What a worker process holds for its lifetime: its settings (which a tenant's job body gets in its
`JobContext`), the serving database, the tenant registry, a sender for the jobs that jobs enqueue, the
unit of work every job runs in, and the owner's engine for platform jobs. Built lazily, on the worker's
event loop thread."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, create_engine

from backend.core.jobs.models import DeadLetter
from backend.core.jobs.outbox import JobSender
from backend.core.unit_of_work import UnitOfWork
from backend.settings import DEFAULT_JOB_RESEND_AFTER_SECONDS, Settings, as_psycopg_url
from tenants.provisioning import RoleNames
from tenants.registry import TenantRegistry
from tenants.sessions import Database


class _NoSender:
    tenant_in_flight = 1
    resend_after = timedelta(seconds=DEFAULT_JOB_RESEND_AFTER_SECONDS)

    def send(self, messages: object) -> None:
        raise RuntimeError("the worker's broker is not configured yet")

    def close(self) -> None:
        pass


class WorkerResources:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Set once the broker exists (the broker's middleware needs these resources first).
        self._sender: JobSender = _NoSender()
        self._unit_of_work: UnitOfWork | None = None
        self._database: Database | None = None
        self._registry: TenantRegistry | None = None
        self._owner_engine: Engine | None = None

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
    def sender(self) -> JobSender:
        return self._sender

    @sender.setter
    def sender(self, sender: JobSender) -> None:
        self._sender = sender
        self._unit_of_work = None

    @property
    def unit_of_work(self) -> UnitOfWork:
        """Every job's transaction (`worker.runner`): on the worker's database, sending with its sender."""
        if self._unit_of_work is None:
            self._unit_of_work = UnitOfWork(self.database, self.sender)
        return self._unit_of_work

    @property
    def registry(self) -> TenantRegistry:
        if self._registry is None:
            self._registry = TenantRegistry(self.database, self.settings.tenant_cache_seconds)
        return self._registry

    @property
    def owner_engine(self) -> Engine:
        """The owner's synchronous engine (the CLI's, Alembic's driver), for platform jobs only: creating
        schemas and roles and granting a tenant's role need rights the serving role must never hold."""
        if self._owner_engine is None:
            # Provisioning runs one at a time (a schema-change lock), so a small pool is enough.
            self._owner_engine = create_engine(
                as_psycopg_url(self.settings.owner_url), pool_size=2, max_overflow=2, hide_parameters=True
            )
        return self._owner_engine

    @property
    def roles(self) -> RoleNames:
        return RoleNames(self.settings.role_prefix)

    async def dead_letter(self, **fields: Any) -> None:
        async with self.unit_of_work.control() as session:
            session.add(DeadLetter(**fields))

    async def close(self) -> None:
        if self._owner_engine is not None:
            self._owner_engine.dispose()
            self._owner_engine = None
        if self._database is not None:
            await self._database.dispose()
            self._database = None
            self._unit_of_work = None
