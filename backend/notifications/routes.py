from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import DEFAULT_LIMIT, Page, page_of
from backend.api.params import Cursor, Limit
from backend.auth.middleware import principal_employee
from backend.auth.principal import Principal, Scope
from backend.crud import to_schema
from backend.notifications.schemas import NotificationRead
from backend.notifications.service import NotificationService


class NotificationController(Controller):
    path = "/me/notifications"
    tags = ["Notifications"]

    @get("/", opt={"scope": Scope.NOTIFICATIONS_READ}, summary="My notifications, oldest first")
    async def list_notifications(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        unread: FromQuery[bool | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[NotificationRead]:
        items, next_cursor = await NotificationService(db).list(
            principal_employee(principal), unread=unread, cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit, lambda n: to_schema(n, NotificationRead))

    @post(
        "/{notification_id:uuid}/read",
        status_code=200,
        opt={"scope": Scope.NOTIFICATIONS_READ},
        summary="Mark one of my notifications read",
    )
    async def read_notification(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        notification_id: FromPath[uuid.UUID],
    ) -> NotificationRead:
        notification = await NotificationService(db).mark_read(principal_employee(principal), notification_id)
        return to_schema(notification, NotificationRead)
