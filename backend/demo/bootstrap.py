"""First-run set-up of the local run: the skills catalogue and the demo company, then demo tokens."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager

from sqlalchemy import Engine

from backend.core.unit_of_work import UnitOfWork
from backend.settings import Settings
from backend.skills.catalog import catalog_size, import_catalog
from backend.skills.esco import BUNDLED_OCCUPATIONS, BUNDLED_SKILLS
from backend.skills.models import CatalogKind
from tenants.models import TenantStatus
from tenants.provisioning import RoleNames, TenantNotFoundError, create_tenant, get_tenant
from tenants.sessions import TenantRef

DEMO_SLUG = "northwind"
DEMO_NAME = "Northwind Logistics"


def ensure_catalog_and_demo(
    engine: Engine,
    settings: Settings,
    unit_of_work: Callable[[], AbstractAsyncContextManager[UnitOfWork]],
    *,
    demo: bool,
) -> Iterator[str]:
    """`engine` is the owner's (the catalogue, provisioning); `unit_of_work` opens the CLI's unit of work
    on the serving database, for the seeding."""
    if catalog_size(engine) == 0:
        skills = import_catalog(engine, BUNDLED_SKILLS, CatalogKind.SKILL)
        occupations = import_catalog(engine, BUNDLED_OCCUPATIONS, CatalogKind.OCCUPATION)
        yield f"skills catalogue: imported {skills} ESCO skills and {occupations} occupations"
    if not demo:
        return
    try:
        tenant = get_tenant(engine, DEMO_SLUG)
    except TenantNotFoundError:
        tenant = create_tenant(engine, RoleNames(settings.role_prefix), DEMO_SLUG, DEMO_NAME)
        yield f"demo company: provisioned tenant {DEMO_SLUG}"
    if tenant.status != TenantStatus.ACTIVE:
        yield f"demo company: tenant {DEMO_SLUG} is {tenant.status.value}; not seeding"
        return
    seeded = asyncio.run(_seed_if_empty(unit_of_work, tenant))
    if seeded:
        yield f"demo company: seeded {seeded}"
    yield from demo_tokens(settings, tenant)


async def _seed_if_empty(
    unit_of_work: Callable[[], AbstractAsyncContextManager[UnitOfWork]], tenant: TenantRef
) -> str | None:
    from backend.demo.seed import DemoTenantNotEmptyError, seed_demo_company

    async with unit_of_work() as work:
        try:
            async with work.tenant(tenant) as session:
                summary = await seed_demo_company(session)
                # Imported only now: a run that reuses its data need not load matching's libraries.
                from backend.demo.activity import compute_recommendations, seed_demo_activity

                activity = await seed_demo_activity(session, tenant)
        except DemoTenantNotEmptyError:
            return None
        # Computed here rather than by the worker, so that the first page anyone opens has them: the
        # run says it is ready only after this returns.
        async with work.tenant(tenant) as session:
            await compute_recommendations(session)
    return (
        f"{summary.employees} employees, {summary.skills} skills, {summary.roles} roles, "
        f"{summary.moves} past moves, {activity.openings} openings, {activity.courses} courses, "
        f"{activity.applications} applications, {activity.pairings} mentoring pairs"
    )


def demo_tokens(settings: Settings, tenant: TenantRef) -> Iterator[str]:
    """Print ready-to-use tokens so that a newcomer can call the API at once."""
    from backend.app import build_signer
    from backend.auth.principal import UserRole
    from backend.auth.tokens import user_claims

    claims = user_claims(tenant, frozenset({UserRole.HR_ADMIN}), subject="demo:hr_admin")
    token = build_signer(settings).mint(claims)
    yield f"demo HR admin token (valid {settings.token_ttl_seconds // 60} min; more with `crosswalk tokens create`):"
    yield token
    yield f'try: curl -H "Authorization: Bearer $TOKEN" http://{settings.host}:{settings.port}/api/v1/employees'
