"""Bounds on a request's body, checked as the app reads it: its time, and how deep its JSON nests.

- A body that has not arrived whole HTTP_BODY_TIMEOUT_SECONDS after its request's head is a 408, and
  the connection is closed (the rest of the body may still be on its way). Without it, a client that
  stalls a body would hold its connection, and the handler waiting for it, as long as it liked. The
  server bounds the head (backend/server.py); the body's bound lives here, where the answer goes
  through the app's exception handlers (problem+json, or a SCIM error on SCIM paths).
- JSON nested deeper than HTTP_JSON_MAX_DEPTH is a 400 naming the limit. msgspec decodes nested arrays
  and objects by recursion, and a document a thousand levels deep raised RecursionError (a 500) on
  every JSON route. No request of this API nests more than a few levels.

The console (a mounted Starlette app) does not go through Litestar's exception handlers: there the
408 is sent from here, and the console's request is unwound.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from http import HTTPStatus
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.handlers import ASGIRouteHandler
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from backend.api.problems import PROBLEM_JSON, Problem
from backend.settings import Settings

# A JSON string (its escapes included), whose brackets are text, not structure.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(rb"[\[\]{}]")
_NOT_JSON = (b"application/x-www-form-urlencoded", b"multipart/", b"text/")


class RequestBodyTimeoutError(ClientException):
    status_code = 408


class _ConsoleBodyTimedOut(BaseException):
    """Unwinds the console once its 408 is sent. Not an Exception, so that neither Starlette nor the
    plugin that mounts the console take it for an error of theirs and log a traceback."""


def nesting_exceeds(body: bytes, limit: int) -> bool:
    """Whether the JSON document `body` nests arrays and objects more than `limit` levels deep."""
    # Cheap first: a document with no more brackets than the limit cannot nest deeper.
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub(b"", body)):
        if bracket[0] in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


async def _send_problem(send: Send, status: int, detail: str) -> None:
    body = msgspec.json.encode(Problem(title=HTTPStatus(status).phrase, status=status, detail=detail))
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    }
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(start)
    await send(end)


def _may_be_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return not value.lower().startswith(_NOT_JSON)
    return True


def request_body_bounds(settings: Settings) -> Any:
    timeout = settings.http_body_timeout_seconds
    max_depth = settings.http_json_max_depth
    late = f"the request body was not received within {timeout:g} s"

    def middleware(app: ASGIApp) -> ASGIApp:
        async def bounded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            chunks: list[bytes] | None = [] if _may_be_json(scope) else None
            body_done = False
            mounted = isinstance(scope.get("route_handler"), ASGIRouteHandler)

            async def receive_in_time() -> ReceiveMessage:
                nonlocal body_done
                if body_done:
                    return await receive()
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await receive()
                except TimeoutError:
                    if not mounted:
                        # Connection: close, as the rest of the body may still come.
                        raise RequestBodyTimeoutError(late, headers={"Connection": "close"}) from None
                    await _send_problem(send, 408, late)
                    raise _ConsoleBodyTimedOut from None
                if message["type"] != "http.request" or not message.get("more_body", False):
                    body_done = True
                if chunks is not None and message["type"] == "http.request":
                    chunks.append(message.get("body", b""))
                    if body_done and nesting_exceeds(b"".join(chunks), max_depth):
                        raise ClientException(f"the JSON body nests deeper than {max_depth} levels")
                return message

            if not mounted:
                await app(scope, receive_in_time, send)
                return
            # The 408 is sent: the console's request ends there.
            with contextlib.suppress(_ConsoleBodyTimedOut):
                await app(scope, receive_in_time, send)

        return bounded

    return middleware
