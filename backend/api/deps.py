"""The one database session of a request: pinned to the caller's tenant, committed on success."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api import idempotency
from backend.auth.principal import Principal
from backend.core.jobs import outbox
from backend.core.jobs.outbox import JobSender
from tenants.sessions import Database

DbProvider = Callable[..., AsyncGenerator[AsyncSession, None]]


def tenant_db_provider(database: Database, job_sender: JobSender) -> DbProvider:
    """The provider of `db`, built by the app with its database and job sender: as arguments, not
    dependencies, because Litestar resolves dependencies of the same depth concurrently, in a task
    group, which costs more per request than the work itself; taking `principal` alone makes the two
    a chain."""

    async def provide_db(
        request: Request[Principal, Any, Any], principal: NamedDependency[Principal]
    ) -> AsyncGenerator[AsyncSession, None]:
        session = database.tenant_session(principal.tenant)
        try:
            await idempotency.check(session, request)
            yield session
            idempotency.record(session, request)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        finally:
            await session.close()
        # Jobs the request asked for go to the broker only now that they exist (the transactional outbox).
        await outbox.send_committed(database, principal.tenant, job_sender, session)

    return provide_db


def control_db_provider(database: Database) -> DbProvider:
    """The provider of `control_db`, built by the app with its database."""

    async def provide_control_db() -> AsyncGenerator[AsyncSession, None]:
        """A session on the control schema, for the tenant's identity settings (its IdP, partner clients,
        SCIM tokens). Those rows carry a tenant_id, and every service that takes this session filters by
        the caller's tenant: the tenant role of `db` cannot read the control schema at all."""
        session = database.control_session()
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        finally:
            await session.close()

    return provide_control_db
