"""Looks tenants up by slug for every request, with a short cache so a lookup is rarely a query."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select

from tenants.models import Tenant, TenantStatus
from tenants.sessions import Database, TenantRef


def tenant_ref(tenant: Tenant) -> TenantRef:
    return TenantRef(
        id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        status=tenant.status,
        placement=tenant.placement,
        schema_name=tenant.schema_name,
        role_name=tenant.role_name,
    )


class TenantRegistry:
    """Slug -> TenantRef. A status change (suspend, archive) is seen within `ttl_seconds`."""

    def __init__(self, database: Database, ttl_seconds: float = 5.0) -> None:
        self._database = database
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, TenantRef | None]] = {}
        self._by_id: dict[uuid.UUID, tuple[float, TenantRef | None]] = {}

    async def get(self, slug: str) -> TenantRef | None:
        now = time.monotonic()
        cached = self._cache.get(slug)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        async with self._database.control_session() as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
        ref = tenant_ref(tenant) if tenant is not None else None
        self._cache[slug] = (now, ref)
        return ref

    async def by_id(self, tenant_id: uuid.UUID) -> TenantRef | None:
        """The tenant a job's message names (messages carry ids, which never change, not slugs)."""
        now = time.monotonic()
        cached = self._by_id.get(tenant_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        async with self._database.control_session() as session:
            tenant = await session.get(Tenant, tenant_id)
        ref = tenant_ref(tenant) if tenant is not None else None
        self._by_id[tenant_id] = (now, ref)
        return ref

    async def active(self) -> list[TenantRef]:
        """Every active tenant, for work done across all of them (the outbox relay, nightly jobs)."""
        async with self._database.control_session() as session:
            tenants = (await session.scalars(select(Tenant).where(Tenant.status == TenantStatus.ACTIVE))).all()
        return [tenant_ref(t) for t in tenants]
