"""The current request's ASGI scope, reachable from hooks that are not handed the request.

Litestar's `after_request` hook receives only the response; the idempotency capture needs the
request's state. The middleware sets the scope in a ContextVar in the request's own task; dependency
tasks inherit a copy of the context, which points to the same scope, so all of them see one state.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

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
        token = _current_scope.set(scope)
        try:
            await app(scope, receive, send)
        finally:
            _current_scope.reset(token)

    return middleware
