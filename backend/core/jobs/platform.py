"""Platform jobs: work about a tenant rather than inside one, asked for from the consultants' console.

Provisioning a tenant cannot be a tenant's job (its schema, and so its `jobs` table, does not exist
yet), and changing a tenant's status needs the owner's rights (archiving revokes a role grant). Their
records are rows of `control.platform_jobs`, asked for in a control unit of work
(`backend.core.unit_of_work`), which sends them after its commit through the same outbox as tenants' jobs:

    async with unit_of_work.control() as session:
        job = await request_provisioning(session, slug="acme", name="Acme", requested_by=user.id)

A refused request raises `InvalidInputError` (bad slug, name or status), `NotFoundError` (no such
tenant) or `ConflictError` (taken, already being provisioned, a change already in flight) and writes
nothing. The scheduler's relay re-sends any job that a crash or a broker outage left unsent. The
worker runs them as the owner (`worker/actors/tenants.py`); the console watches
`PlatformJobService.get`: `status`, `progress`, `step` (what it is doing, in words), `tenant_id` (once
the tenant exists), `result`, `error`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.jobs import outbox
from backend.core.jobs.models import JobStatus, PlatformJob
from backend.errors import ConflictError, InvalidInputError, NotFoundError
from tenants.locks import lock_global
from tenants.models import Tenant, TenantStatus
from tenants.sessions import Database
from tenants.slugs import InvalidSlugError, validate_slug

PROVISION_JOB = "tenants.provision"
SET_STATUS_JOB = "tenants.set_status"
# The statuses a status change may set; `provisioning` is where only provisioning puts a tenant.
STATUS_CHANGES = frozenset({TenantStatus.ACTIVE, TenantStatus.SUSPENDED, TenantStatus.ARCHIVED})
NAME_MAX_LENGTH = 200  # control.tenants.name
LIST_MAX_LIMIT = 500

_UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


async def request_provisioning(
    session: AsyncSession, *, slug: str, name: str, requested_by: uuid.UUID | None
) -> PlatformJob:
    """Ask for a new tenant `slug` called `name`, in the caller's transaction (the caller commits, then
    sends with `send_committed`). Refused for a slug that is not valid, that a tenant already holds, or
    that a provisioning job is already queued or running for. A tenant left in `provisioning` by a
    failed job or an interrupted CLI run may be asked for again: the job resumes it."""
    try:
        validate_slug(slug)
    except InvalidSlugError as exc:
        raise InvalidInputError("slug", str(exc)) from exc
    name = name.strip()
    if not name:
        raise InvalidInputError("name", "the tenant's name is empty")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInputError("name", f"the tenant's name is longer than {NAME_MAX_LENGTH} characters")
    await _lock_requests_about(session, slug)
    existing = (await session.execute(select(Tenant.id, Tenant.status).where(Tenant.slug == slug))).first()
    if existing is not None and existing.status != TenantStatus.PROVISIONING:
        raise ConflictError(f"tenant {slug!r} already exists ({existing.status.value})")
    if await _has_unfinished(session, PlatformJob.arguments["slug"].astext == slug, kind=PROVISION_JOB):
        raise ConflictError(f"tenant {slug!r} is already being provisioned")
    tenant_id = existing.id if existing is not None else None
    return await _ask(session, PROVISION_JOB, {"slug": slug, "name": name}, tenant_id, requested_by)


async def request_status_change(
    session: AsyncSession, *, tenant_id: uuid.UUID, status: TenantStatus, requested_by: uuid.UUID | None
) -> PlatformJob:
    """Ask to suspend, archive or reactivate a tenant, in the caller's transaction (as above). Refused
    for a tenant still provisioning, already in that status, or with a platform job queued or running:
    two changes in flight could run in either order."""
    if status not in STATUS_CHANGES:
        raise InvalidInputError("status", f"a tenant can be made active, suspended or archived, not {status.value}")
    slug = await session.scalar(select(Tenant.slug).where(Tenant.id == tenant_id))
    if slug is None:
        raise NotFoundError(f"tenant {tenant_id} does not exist")
    await _lock_requests_about(session, slug)
    current = await session.scalar(select(Tenant.status).where(Tenant.id == tenant_id))
    if current == TenantStatus.PROVISIONING:
        raise ConflictError(f"tenant {slug!r} is still provisioning")
    if current == status:
        raise ConflictError(f"tenant {slug!r} is already {status.value}")
    if await _has_unfinished(session, PlatformJob.tenant_id == tenant_id):
        raise ConflictError(f"tenant {slug!r} already has a platform job queued or running")
    arguments = {"tenant_id": str(tenant_id), "status": status.value}
    return await _ask(session, SET_STATUS_JOB, arguments, tenant_id, requested_by)


async def send_committed(database: Database, sender: outbox.JobSender, session: AsyncSession) -> int:
    """After the caller's commit: send the platform jobs its transaction asked for. Never raises for a
    broker that is down; the relay sends them later. (`outbox.send_committed` with the session's tenant
    does the same for a session that asked for both kinds of job.)"""
    return await outbox.send_committed(database, None, sender, session)


async def send_requested(database: Database, sender: outbox.JobSender) -> int:
    """Send every committed platform job not yet on the broker: for a caller that no longer holds the
    session that asked (prefer `send_committed` when it does). A job another request is sending at the
    same moment may go twice, which the worker runs once."""
    return await outbox.relay_unsent(database, None, sender, older_than=timedelta(0))


class PlatformJobService:
    """Reading platform jobs' records, on a control session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, job_id: uuid.UUID) -> PlatformJob:
        # populate_existing: a console polling on one session sees each poll's progress, not the first.
        job = await self.session.get(PlatformJob, job_id, populate_existing=True)
        if job is None:
            raise NotFoundError(f"platform job {job_id} does not exist")
        return job

    async def list(self, *, tenant_id: uuid.UUID | None = None, limit: int = 50) -> Sequence[PlatformJob]:
        """The newest first; only those about `tenant_id` when it is given."""
        if not 1 <= limit <= LIST_MAX_LIMIT:
            raise InvalidInputError("limit", f"limit must be between 1 and {LIST_MAX_LIMIT}")
        # Ids are UUIDv7, so by id is by creation.
        query = select(PlatformJob).order_by(PlatformJob.id.desc()).limit(limit)
        if tenant_id is not None:
            query = query.where(PlatformJob.tenant_id == tenant_id)
        return (await self.session.scalars(query.execution_options(populate_existing=True))).all()


async def _lock_requests_about(session: AsyncSession, slug: str) -> None:
    # Two requests about one slug at once (two consultants, a double click) would both pass the checks
    # below; the second waits here until the first commits, and then sees its job.
    await lock_global(session, f"tenant-requests:{slug}")


async def _has_unfinished(session: AsyncSession, about: ColumnElement[bool], *, kind: str | None = None) -> bool:
    query = select(PlatformJob.id).where(about, PlatformJob.status.in_(_UNFINISHED)).limit(1)
    if kind is not None:
        query = query.where(PlatformJob.kind == kind)
    return await session.scalar(query) is not None


async def _ask(
    session: AsyncSession,
    kind: str,
    arguments: dict[str, Any],
    tenant_id: uuid.UUID | None,
    requested_by: uuid.UUID | None,
) -> PlatformJob:
    job = PlatformJob(kind=kind, arguments=arguments, tenant_id=tenant_id, requested_by=requested_by)
    session.add(job)
    await session.flush()
    outbox.note(session, outbox.OutboxMessage(job.id, None, kind, arguments))
    return job
