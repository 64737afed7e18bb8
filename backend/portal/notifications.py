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
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType, RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from msgspec import Struct
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.middleware import principal_employee
from backend.auth.principal import Principal, Scope
from backend.errors import InvalidInputError, NotFoundError
from backend.notifications.service import NotificationService
from backend.portal.i18n import Languages
from backend.portal.notices import shown
from backend.portal.routes import language_of, page, refuse_cross_site, signed_in_header
from backend.portal.visitors import safe_return_path
from backend.settings import Settings

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
        self,
        request: HTMXRequest,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        languages: NamedDependency[Languages],
        settings: NamedDependency[Settings],
        unread: FromQuery[str] = "",
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        only_unread = unread == "yes"
        service = NotificationService(db)
        employee_id = principal_employee(principal)
        filter_query = {"unread": "yes"} if only_unread else {}
        try:
            items, next_cursor = await service.list(
                employee_id, unread=True if only_unread else None, cursor=cursor or None, limit=NOTIFICATIONS_PAGE
            )
        except InvalidInputError:
            # A cursor of another list (or made up): the first page.
            cursor = None
            items, next_cursor = await service.list(
                employee_id, unread=True if only_unread else None, cursor=None, limit=NOTIFICATIONS_PAGE
            )
        me, unread_count = await signed_in_header(db, principal)
        here = f"{NOTIFICATIONS}?{urlencode({**filter_query, 'cursor': cursor})}" if cursor else None
        first = f"{NOTIFICATIONS}?{urlencode(filter_query)}" if filter_query else NOTIFICATIONS
        return page(
            request,
            languages,
            settings,
            "notifications.html",
            me=me,
            unread=unread_count,
            # Each in the page's language (backend/portal/notices.py), else as stored, in English.
            notifications=shown(language_of(request, languages), items),
            only_unread=only_unread,
            shown_at=dt.datetime.now(dt.UTC).isoformat(),
            back=here or first,
            next_page=f"{NOTIFICATIONS}?{urlencode({**filter_query, 'cursor': next_cursor})}" if next_cursor else None,
            first_page=first if cursor else None,
        )

    # Answered with a redirect, or a page when not found: HTML either way.
    @post(
        "/notifications/{notification_id:uuid}/read",
        opt={"scope": Scope.NOTIFICATIONS_READ},
        name="portal:notification-read",
        media_type=MediaType.HTML,
    )
    async def read_one(
        self,
        request: HTMXRequest,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        languages: NamedDependency[Languages],
        settings: NamedDependency[Settings],
        notification_id: FromPath[uuid.UUID],
        data: Annotated[ReadForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        refuse_cross_site(request, settings)
        try:
            await NotificationService(db).mark_read(principal_employee(principal), notification_id)
        except NotFoundError:
            # Another person's, or none: not found, as in the API.
            me, unread_count = await signed_in_header(db, principal)
            response = page(request, languages, settings, "notifications_missing.html", me=me, unread=unread_count)
            response.status_code = 404
            return response
        return Redirect(back_to(data.next), status_code=303)

    @post(
        "/notifications/read",
        opt={"scope": Scope.NOTIFICATIONS_READ},
        name="portal:notifications-read",
        media_type=MediaType.HTML,
    )
    async def read_all(
        self,
        request: HTMXRequest,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        data: Annotated[ReadForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        refuse_cross_site(request, settings)
        await NotificationService(db).mark_all_read(principal_employee(principal), up_to=shown_at(data.up_to))
        return Redirect(back_to(data.next), status_code=303)
