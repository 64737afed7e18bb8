"""One employee's applications for HR's People page (`ApplicationService.of_employee`, and the API's
`GET /employees/{id}/applications`): HR reads them all, as `GET /applications/{id}` shows each to HR, and
every one shown is an audit entry; the employee reads their own (no entry); anyone else is refused
(403), and nobody's is not found."""

from __future__ import annotations

import secrets
import uuid

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.auth.principal import Principal, UserRole, scopes_for
from backend.errors import NotFoundError, PermissionDeniedError
from backend.marketplace.applications import ApplicationService
from backend.marketplace.models import ApplicationKind, ApplicationStage
from backend.marketplace.schemas import ApplicationCreate
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory
from tests.helpers import problem
from tests.marketplace.market import API, Client, Market, ok
from tests.matching.world import build_world


def caller(tenant: TenantRef, employee_id: uuid.UUID | None, *roles: UserRole) -> Principal:
    held = frozenset(roles or {UserRole.EMPLOYEE})
    subject = f"employee:{employee_id}" if employee_id else "test:hr"
    return Principal(tenant, subject, employee_id, held, scopes_for(held))


async def test_hr_reads_an_employees_applications_and_each_view_is_logged(
    make_tenant: TenantFactory, database: Database
) -> None:
    tenant = make_tenant(f"apps_{secrets.token_hex(3)}")
    world = await build_world(database, tenant)
    ana, dan = world.people["ana"], world.people["dan"]
    hr = caller(tenant, None, UserRole.HR_ADMIN)
    async with database.tenant_session(tenant) as session, session.begin():
        service = ApplicationService(session)
        applied = await service.apply(
            caller(tenant, ana), world.analyst, ApplicationCreate(kind=ApplicationKind.INTEREST, note="Keen.")
        )
        own, _ = await service.of_employee(caller(tenant, ana), ana, cursor=None, limit=10)
        assert [a.id for a in own] == [applied.id]
        assert (await session.scalars(select(AuditEvent).where(AuditEvent.action == "application.viewed"))).all() == []

        seen, next_cursor = await service.of_employee(hr, ana, cursor=None, limit=10)
        assert next_cursor is None
        assert [(a.id, a.stage, a.opportunity.title, a.note) for a in seen] == [
            (applied.id, ApplicationStage.INTERESTED, "Data analysis gig", "Keen.")
        ]
        views = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "application.viewed"))).all()
        assert [(v.subject_employee_id, v.object_id, v.actor_subject) for v in views] == [(ana, applied.id, "test:hr")]
        assert await service.of_employee(hr, dan, cursor=None, limit=10) == ([], None)

        with pytest.raises(PermissionDeniedError):
            await service.of_employee(caller(tenant, dan), ana, cursor=None, limit=10)
        with pytest.raises(PermissionDeniedError):
            await service.of_employee(caller(tenant, world.people["hm"], UserRole.MANAGER), ana, cursor=None, limit=10)
        with pytest.raises(NotFoundError):
            await service.of_employee(hr, uuid.uuid4(), cursor=None, limit=10)


async def test_the_api_lists_an_employees_applications_for_hr_and_the_employee_only(m: Market, client: Client) -> None:
    opening = await m.opening()
    applied = await m.apply(opening["id"], "ana")
    path = f"{API}/employees/{m.people['ana']}/applications"
    listed = await ok(await client.get(path, headers=m.hr))
    assert [(a["id"], a["stage"]) for a in listed["items"]] == [(applied["id"], "applied")]
    assert [v["object_id"] for v in await m.audit(action="application.viewed")] == [applied["id"]]
    assert [a["id"] for a in (await ok(await client.get(path, headers=m.as_("ana"))))["items"]] == [applied["id"]]
    for other in ("lead", "hm", "tom"):
        problem(await client.get(path, headers=m.as_(other)), 403)
    problem(await client.get(f"{API}/employees/{uuid.uuid4()}/applications", headers=m.hr), 404)
