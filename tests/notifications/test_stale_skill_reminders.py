"""The nightly reminder to re-confirm stale skills, and the notifications an employee reads."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from backend.settings import Settings
from tenants.sessions import Database
from tests.api.world import build_world
from tests.conftest import TenantFactory, TokenFactory
from worker.actors.skills import remind_stale

TODAY = dt.date.today()


async def test_employees_with_stale_skills_get_one_reminder_a_month_and_can_read_it(
    client: AsyncTestClient[Litestar], database: Database, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    world = await build_world(client, hr, "stale")
    stale_on = (TODAY - dt.timedelta(days=400)).isoformat()
    for who, confirmed in ((world.employee, stale_on), (world.manager, TODAY.isoformat())):
        response = await client.put(
            f"/api/v1/employees/{who['id']}/skills/{world.skill['id']}",
            json={"level": 5, "source": "manager", "last_confirmed": confirmed},
            headers=hr,
        )
        assert response.status_code in (200, 201), response.text

    service_args = {"today": TODAY, "stale_days": 365}
    from backend.notifications.service import NotificationService

    async with database.tenant_session(tenant) as session, session.begin():
        assert await NotificationService(session).remind_stale_skills(**service_args) == 1
    async with database.tenant_session(tenant) as session, session.begin():
        # The nightly run again the same month: no second reminder.
        assert await NotificationService(session).remind_stale_skills(**service_args) == 0

    employee = auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(world.employee["id"]))
    page = (await client.get("/api/v1/me/notifications", headers=employee)).json()
    [reminder] = page["items"]
    assert reminder["kind"] == "skills.stale"
    assert "Dashboards stale" in reminder["body"]
    assert reminder["data"]["skills"] == 1
    # What a page in another language writes the reminder from (backend/notifications/kinds.py).
    assert reminder["data"]["names"] == [world.skill["label"]]
    assert reminder["data"]["confirmed_before"] == (TODAY - dt.timedelta(days=365)).isoformat()
    assert reminder["read_at"] is None

    # The manager, whose skill is fresh, has none, and cannot mark the employee's reminder read.
    manager = auth(tenant, UserRole.MANAGER, employee_id=uuid.UUID(world.manager["id"]))
    assert (await client.get("/api/v1/me/notifications", headers=manager)).json()["items"] == []
    response = await client.post(f"/api/v1/me/notifications/{reminder['id']}/read", headers=manager)
    assert response.status_code == 404
    # Nor can anyone of another tenant: a token of another tenant naming this employee names nobody
    # there, and is refused outright.
    outsider = auth(make_tenant(), UserRole.EMPLOYEE, employee_id=uuid.UUID(world.employee["id"]))
    refused = await client.get("/api/v1/me/notifications", headers=outsider)
    assert refused.status_code == 401
    assert "items" not in refused.json()

    read = await client.post(f"/api/v1/me/notifications/{reminder['id']}/read", headers=employee)
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    unread = (await client.get("/api/v1/me/notifications?unread=true", headers=employee)).json()
    assert unread["items"] == []


async def test_the_reminder_job_body_reports_what_it_raised(
    client: AsyncTestClient[Litestar],
    database: Database,
    make_tenant: TenantFactory,
    auth: TokenFactory,
    settings: Settings,
) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    world = await build_world(client, hr, "job")
    response = await client.put(
        f"/api/v1/employees/{world.employee['id']}/skills/{world.skill['id']}",
        json={"level": 1, "source": "self", "last_confirmed": (TODAY - dt.timedelta(days=800)).isoformat()},
        headers=auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(world.employee["id"])),
    )
    assert response.status_code in (200, 201), response.text

    class Job:
        def __init__(self, session: object) -> None:
            self.session = session
            self.settings = settings

    async with database.tenant_session(tenant) as session, session.begin():
        assert await remind_stale(Job(session)) == {"reminders": 1}  # type: ignore[arg-type]


async def test_reminders_sort_among_the_other_notifications_by_when_they_were_raised(
    client: AsyncTestClient[Litestar], database: Database, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    # The list (and the portal's /notifications) is ordered by id, oldest first: a reminder made in SQL
    # must have a time-ordered id (UUIDv7) as the others, not a random one.
    from backend.notifications.service import NotificationService

    tenant = make_tenant()
    hr = auth(tenant)
    world = await build_world(client, hr, "order")
    employee_id = uuid.UUID(world.employee["id"])
    response = await client.put(
        f"/api/v1/employees/{employee_id}/skills/{world.skill['id']}",
        json={"level": 2, "source": "manager", "last_confirmed": (TODAY - dt.timedelta(days=400)).isoformat()},
        headers=hr,
    )
    assert response.status_code in (200, 201), response.text
    for step in ("before", "reminder", "after"):
        async with database.tenant_session(tenant) as session, session.begin():
            service = NotificationService(session)
            if step == "reminder":
                assert await service.remind_stale_skills(TODAY, 365) == 1
            else:
                await service.send(employee_id, kind="test.order", title=step, body="...", data={})
        await asyncio.sleep(0.01)
    employee = auth(tenant, UserRole.EMPLOYEE, employee_id=employee_id)
    items = (await client.get("/api/v1/me/notifications", headers=employee)).json()["items"]
    assert [n["title"] if n["kind"] == "test.order" else n["kind"] for n in items] == [
        "before",
        "skills.stale",
        "after",
    ]
    assert uuid.UUID(items[1]["id"]).version == 7
