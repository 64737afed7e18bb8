"""The current request's ASGI scope, reachable from hooks that are not handed the request.

Litestar's `after_request` hook receives only the response; the idempotency capture needs the
request's state. The middleware sets the scope in a ContextVar in the request's own task; dependency
tasks inherit a copy of the context, which points to the same scope, so all of them see one state.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from typing import Any

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
# A caller's own request id is kept (to follow a request across systems) only if it is plain.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")

_current_scope: ContextVar[Any] = ContextVar("crosswalk_request_scope", default=None)


def current_state() -> dict[str, Any] | None:
    scope = _current_scope.get()
    if scope is None:
        return None
    state = scope.setdefault("state", {})
    assert isinstance(state, dict)
    return state


def request_scope_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = given if _SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        token = _current_scope.set(scope)
        try:
            await app(scope, receive, send_with_id)
        finally:
            _current_scope.reset(token)
            structlog.contextvars.clear_contextvars()

    return middleware
