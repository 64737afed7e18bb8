"""OPTIONS answers every method of its path.

Litestar answers OPTIONS itself, with an Allow header made when a path's first handlers are registered:
a path whose methods come from several handlers (GET from one, POST from another) listed only the
first ones. This middleware answers an OPTIONS that reaches Litestar's own handler with the methods of
the whole route, as the router knows it once the app is built. Like Litestar's, the answer needs no
credentials: it says what the path supports, not what the caller may do.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

_ALLOWED = "crosswalk_allowed_methods"


def _allowed_methods(app: Litestar) -> dict[str, bytes]:
    allowed: dict[str, bytes] | None = getattr(app.state, _ALLOWED, None)
    if allowed is None:
        allowed = {
            route.path_format: ", ".join(sorted(route.methods)).encode()
            for route in app.routes
            if isinstance(route, HTTPRoute)
        }
        setattr(app.state, _ALLOWED, allowed)
    return allowed


def _is_litestars_own(handler: Any) -> bool:
    # The handler HTTPRoute creates for a path without an OPTIONS handler of its own.
    return getattr(getattr(handler, "fn", None), "__name__", None) == "options_handler" and not getattr(
        handler, "include_in_schema", True
    )


def answer_options(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != ScopeType.HTTP
            or scope["method"] != "OPTIONS"
            or not _is_litestars_own(scope.get("route_handler"))
        ):
            await app(scope, receive, send)
            return
        allow = _allowed_methods(scope["litestar_app"]).get(scope["path_template"])
        if allow is None:
            await app(scope, receive, send)
            return
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 204,
            "headers": [(b"allow", allow)],
        }
        end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(start)
        await send(end)

    return middleware
