"""The unit of work: how every entry point runs a transaction.

An entry point (an API request, a SCIM request, a console form, a job, a CLI command) opens its
transaction with `unit_of_work.tenant(tenant)` (a session pinned to the tenant's role) or
`unit_of_work.control()` (a session on the control schema), does its work on the session it gets, and
leaves the rest here: commit on success, roll back on any exception (cancellation too), close, and,
once committed, send the jobs the transaction asked for (the transactional outbox,
`backend.core.jobs.outbox`: a tenant session's tenant jobs, a control session's platform jobs). An
entry point keeps only its own extras inside the block: the API's idempotency record, the console's
audit record, the worker's job record.

    async with unit_of_work.tenant(principal.tenant) as session:
        await Service(session).change(...)

Built once by each composition root (the app, the worker, the CLI) from its database and job sender.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.jobs import outbox
from tenants.sessions import Database, TenantRef


class UnitOfWork:
    def __init__(self, database: Database, job_sender: outbox.JobSender) -> None:
        self.database = database
        self.job_sender = job_sender

    @asynccontextmanager
    async def tenant(self, tenant: TenantRef) -> AsyncIterator[AsyncSession]:
        """A transaction on a session pinned to `tenant`; its jobs go to the broker once it committed."""
        async with self._transaction(self.database.tenant_session(tenant)) as session:
            yield session
        await outbox.send_committed(self.database, tenant, self.job_sender, session)

    @asynccontextmanager
    async def control(self) -> AsyncIterator[AsyncSession]:
        """A transaction on the control schema; the platform jobs it asked for go once it committed."""
        async with self._transaction(self.database.control_session()) as session:
            yield session
        await outbox.send_committed(self.database, None, self.job_sender, session)

    @asynccontextmanager
    async def owner(self, tenant: TenantRef | None) -> AsyncIterator[AsyncSession]:
        """`tenant(tenant)`, or `control()` for None: the platform, as the job machinery names an owner."""
        transaction = self.control() if tenant is None else self.tenant(tenant)
        async with transaction as session:
            yield session

    @staticmethod
    @asynccontextmanager
    async def _transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
        try:
            yield session
            await session.commit()
        except BaseException:
            # Cancellation and a client gone are failures too: nothing of a half-done change stays.
            await session.rollback()
            raise
        finally:
            await session.close()
