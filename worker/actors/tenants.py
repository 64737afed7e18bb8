"""Platform actors over tenants/provisioning.py: provisioning a tenant and changing its status, as the
owner (the serving role may neither create schemas and roles nor grant a tenant's role)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from backend.core.jobs.platform import PROVISION_JOB, SET_STATUS_JOB
from tenants.models import Tenant, TenantStatus
from tenants.provisioning import ProvisioningProgress, create_tenant, set_status
from tenants.sessions import TenantRef
from worker.errors import PoisonMessageError
from worker.runner import BlockingReport, PlatformJobContext, platform_actor


def _summary(tenant: Tenant | TenantRef) -> dict[str, Any]:
    return {"tenant_id": str(tenant.id), "slug": tenant.slug, "schema": tenant.schema_name}


@platform_actor(PROVISION_JOB, time_limit=timedelta(minutes=30))
async def provision(job: PlatformJobContext, slug: str, name: str) -> dict[str, Any]:
    """Create the tenant, its schema and role, and migrate it; resumable, like the CLI's command."""
    if job.tenant_id is not None:
        earlier = await job.session.get(Tenant, job.tenant_id)
        if earlier is not None and earlier.slug == slug and earlier.status != TenantStatus.PROVISIONING:
            # An earlier attempt of this very job finished the tenant and died before it could say so.
            await job.progress(100, earlier.status.value)
            return _summary(earlier)

    # Alembic's `op` proxy is process-global, yet two provisionings on threads of one worker never
    # migrate at once: create_tenant takes the database's schema-change lock first.
    def work(report: BlockingReport) -> TenantRef:
        def relay(progress: ProvisioningProgress) -> None:
            report(progress.percent, progress.step, progress.tenant_id)

        return create_tenant(job.owner_engine, job.roles, slug, name, on_progress=relay)

    return _summary(await job.run_blocking(work))


@platform_actor(SET_STATUS_JOB, time_limit=timedelta(minutes=5))
async def change_status(job: PlatformJobContext, tenant_id: str, status: str) -> dict[str, Any]:
    """Suspend, archive or reactivate a tenant (archiving revokes the serving role's use of its role)."""
    target = TenantStatus(status)
    tenant = await job.session.get(Tenant, uuid.UUID(tenant_id))
    if tenant is None:
        raise PoisonMessageError(f"tenant {tenant_id} does not exist")
    slug = tenant.slug
    await job.progress(10, f"making {slug} {target.value}")
    changed = await job.run_blocking(lambda _: set_status(job.owner_engine, job.roles, slug, target))
    await job.progress(100, changed.status.value)
    return {"tenant_id": str(changed.id), "slug": changed.slug, "status": changed.status.value}
