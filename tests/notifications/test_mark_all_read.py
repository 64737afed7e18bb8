"""Marking all of one's notifications read (the portal's "Mark all as read"): only one's own, only
those one had in front of one, and the API then reads them as read."""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from backend.auth.principal import UserRole
from backend.notifications.models import Notification
from backend.notifications.service import NotificationService
from tenants.sessions import Database
from tests.api.world import build_world
from tests.conftest import TenantFactory, TokenFactory


async def test_marking_all_read_marks_only_ones_own_and_only_up_to_the_moment_seen(
    client: AsyncTestClient[Litestar], database: Database, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    world = await build_world(client, auth(tenant), "markall")
    employee_id, manager_id = uuid.UUID(world.employee["id"]), uuid.UUID(world.manager["id"])
    seen = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    async with database.tenant_session(tenant) as session, session.begin():
        service = NotificationService(session)
        for title in ("Old one", "Older one", "New one"):
            await service.send(employee_id, kind="test.note", title=title, body="...", data={})
        await service.send(manager_id, kind="test.note", title="The manager's", body="...", data={})
        # Two were there when the person looked; the third came after.
        await session.execute(
            update(Notification)
            .where(Notification.title.in_(["Old one", "Older one"]))
            .values(created_at=seen - dt.timedelta(hours=1))
        )
    async with database.tenant_session(tenant) as session, session.begin():
        assert await NotificationService(session).mark_all_read(employee_id, up_to=seen) == 2
        assert await NotificationService(session).unread_count(employee_id) == 1
        assert await NotificationService(session).unread_count(manager_id) == 1

    employee = auth(tenant, UserRole.EMPLOYEE, employee_id=employee_id)
    items = (await client.get("/api/v1/me/notifications", headers=employee)).json()["items"]
    read = {n["title"]: n["read_at"] is not None for n in items}
    assert read == {"Old one": True, "Older one": True, "New one": False}

    async with database.tenant_session(tenant) as session, session.begin():
        # Without a moment: every unread one; again: none left.
        assert await NotificationService(session).mark_all_read(employee_id) == 1
        assert await NotificationService(session).mark_all_read(employee_id) == 0
        assert await NotificationService(session).unread_count(employee_id) == 0
        # The manager's is still unread: nobody marks another person's.
        assert await NotificationService(session).unread_count(manager_id) == 1
