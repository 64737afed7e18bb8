"""My notifications: the page the header's unread count links to, a thin page over the same service,
with the same principal and scope, as `GET /api/v1/me/notifications` and
`POST /api/v1/me/notifications/{id}/read`.

- `/notifications?unread=yes&cursor=`: the person's notifications (`NotificationService.list`), oldest
  first as the API lists them, a page at a time (the API's cursor), unread ones marked; "Unread only"
  is the API's `unread=true`. Each is written in the page's language from its kind and data
  (backend/portal/notices.py); one the portal cannot write is shown as stored, marked English.
- `POST /notifications/{id}/read`: marks one read (`NotificationService.mark_read`); another person's
  notification is a 404 page, as in the API.
- `POST /notifications/read`: marks read every unread one the person had in front of them, up to the
  moment the page was shown (`NotificationService.mark_all_read`).

Writes are POST forms from our own pages (the same-origin wall), then 303 back to the page they came
from (a page of `/notifications` only).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from msgspec import Struct

from backend.auth.middleware import principal_employee
from backend.auth.principal import Scope
from backend.errors import NotFoundError
from backend.notifications.service import NotificationService
from backend.portal.forms import read_form
from backend.portal.lists import from_cursor, paging
from backend.portal.notices import shown
from backend.portal.routes import Visit
from backend.portal.visitors import safe_return_path

NOTIFICATIONS_PATHS = ["^/notifications(/|$)"]
NOTIFICATIONS = "/notifications"
# Notifications per page.
NOTIFICATIONS_PAGE = 20


class ReadForm(Struct):
    # The page to come back to (a page of /notifications, with its filter and cursor).
    next: str = NOTIFICATIONS
    # When the page was shown (ISO 8601): "all" is every unread one the person had in front of them.
    up_to: str = ""


def back_to(next_page: str) -> str:
    """Where a form comes back to: a page of /notifications only (else its first page)."""
    path = safe_return_path(next_page)
    return path if path == NOTIFICATIONS or path.startswith(NOTIFICATIONS + "?") else NOTIFICATIONS


def shown_at(value: str) -> dt.datetime | None:
    """The moment a page was shown, as the form carries it; None when missing or not a moment."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class NotificationsController(Controller):
    path = "/"
    include_in_schema = False

    @get("/notifications", opt={"scope": Scope.NOTIFICATIONS_READ}, name="portal:notifications")
    async def notifications(
        self, visit: NamedDependency[Visit], unread: FromQuery[str] = "", cursor: FromQuery[str | None] = None
    ) -> Template:
        only_unread = unread == "yes"
        service = NotificationService(visit.db)
        employee_id = principal_employee(visit.principal)
        filter_query = {"unread": "yes"} if only_unread else {}
        # A cursor of another list (or made up): the first page.
        items, next_cursor, cursor = await from_cursor(
            lambda c: service.list(
                employee_id, unread=True if only_unread else None, cursor=c, limit=NOTIFICATIONS_PAGE
            ),
            cursor,
        )
        me, unread_count = await visit.header()
        here = f"{NOTIFICATIONS}?{urlencode({**filter_query, 'cursor': cursor})}" if cursor else None
        first = f"{NOTIFICATIONS}?{urlencode(filter_query)}" if filter_query else NOTIFICATIONS
        return await visit.page(
            "notifications.html",
            me=me,
            unread=unread_count,
            # Each in the page's language (backend/portal/notices.py), else as stored, in English.
            notifications=shown(visit.language, items),
            only_unread=only_unread,
            shown_at=dt.datetime.now(dt.UTC).isoformat(),
            back=here or first,
            **paging(NOTIFICATIONS, cursor, next_cursor, **filter_query),
        )

    # Answered with a redirect, or a page when not found: HTML either way.
    @post(
        "/notifications/{notification_id:uuid}/read",
        opt={"scope": Scope.NOTIFICATIONS_READ},
        name="portal:notification-read",
        media_type=MediaType.HTML,
    )
    async def read_one(self, visit: NamedDependency[Visit], notification_id: FromPath[uuid.UUID]) -> Any:
        visit.refuse_cross_site()
        data = await read_form(visit.request, ReadForm)
        try:
            await NotificationService(visit.db).mark_read(principal_employee(visit.principal), notification_id)
        except NotFoundError:
            # Another person's, or none: not found, as in the API.
            return await visit.refused(404, NOTIFICATIONS, visit.language.gettext("Back to my notifications"))
        return Redirect(back_to(data.next), status_code=303)

    @post(
        "/notifications/read",
        opt={"scope": Scope.NOTIFICATIONS_READ},
        name="portal:notifications-read",
        media_type=MediaType.HTML,
    )
    async def read_all(self, visit: NamedDependency[Visit]) -> Any:
        visit.refuse_cross_site()
        data = await read_form(visit.request, ReadForm)
        await NotificationService(visit.db).mark_all_read(
            principal_employee(visit.principal), up_to=shown_at(data.up_to)
        )
        return Redirect(back_to(data.next), status_code=303)
