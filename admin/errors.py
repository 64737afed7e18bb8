"""Errors and refusals inside the console's frame (sidebar, tenant switcher, who is signed in) with a
way back: SQLAdmin's own error page replaces the whole page, and an unexpected error was Starlette's
bare "Internal Server Error"."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.auth import ConsoleAuth
from admin.i18n import N_, gettext

log = logging.getLogger(__name__)

_TITLES = {
    400: N_("This cannot be done"),
    401: N_("Sign in first"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("This cannot be done now"),
    422: N_("This cannot be done"),
    500: N_("Something went wrong"),
}


def _back(request: Request) -> str | None:
    """The way back: the console page the person came from (the console's home is always offered)."""
    referer = request.headers.get("referer", "")
    here = urlsplit(str(request.url))
    came = urlsplit(referer)
    base = str(request.url_for("admin:index"))
    if referer.startswith(base) and came.netloc == here.netloc and came.path != here.path:
        return referer
    return None


class ErrorPages:
    """Renders the console's error page (admin/templates/sqladmin/error.html); `templates` and `auth`
    are set once SQLAdmin has made them."""

    def __init__(self) -> None:
        self.templates: Any = None
        self.auth: ConsoleAuth | None = None

    async def render(self, request: Request, status: int, message: str) -> Response:
        if getattr(request.state, "consultant", None) is None and self.auth is not None and status != 401:
            # A path no view answers is routed before the sign-in check: find who is signed in for the
            # frame (someone not signed in gets the bare page with the way to sign in).
            await self.auth.authenticate(request)
        context = {
            "status_code": status,
            "status_title": gettext(_TITLES.get(status, HTTPStatus(status).phrase)),
            "message": gettext(message),
            "back_url": _back(request),
            "title": gettext(_TITLES.get(status, HTTPStatus(status).phrase)),
        }
        response: Response = await self.templates.TemplateResponse(
            request, "sqladmin/error.html", context, status_code=status
        )
        return response

    async def http_exception(self, request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException):
            raise TypeError(f"Expected HTTPException, got {type(exc)}")
        headers = dict(exc.headers or {})
        message = str(exc.detail) if exc.detail else HTTPStatus(exc.status_code).phrase
        response = await self.render(request, exc.status_code, message)
        response.headers.update(headers)
        return response


class ServerErrors:
    """An unexpected error is logged and shown as the console's 500 page, inside the frame, instead of
    the bare text the server's last resort sends."""

    def __init__(self, app: ASGIApp, pages: ErrorPages) -> None:
        self.app = app
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if started or self.pages.templates is None:
                raise
            log.exception("console error on %s %s", scope.get("method"), scope.get("path"))
            message = N_("The console could not do this; the error is logged. Try again, or tell the platform team.")
            response = await self.pages.render(Request(scope, receive), 500, message)
            await response(scope, receive, send)
