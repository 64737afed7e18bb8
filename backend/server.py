"""The HTTP server's own bounds, which uvicorn lacks: how large and how slow a request head may be.

uvicorn (with httptools, its fast parser) bounds neither the size of a request's line and headers nor
the time a client takes to send them: its keep-alive timeout runs only between requests and is reset by
every byte, and a connection that opens and sends nothing is never closed. A client could hold a socket
(and memory) for as long as it liked, with a head that never ends or one 50 MB long. This protocol, a
small subclass of uvicorn's, adds:

- HTTP_MAX_HEAD_BYTES: a head larger than that is a 431, and the connection is closed;
- HTTP_HEAD_TIMEOUT_SECONDS: from the moment a connection opens, or its last response ends, the next
  head must arrive whole in that time; a connection that sent part of one gets a 408, one that sent
  nothing is closed as uvicorn closes an idle keep-alive connection;
- and the parser's refusals (a NUL or a newline in a header, a request line or path that is not HTTP)
  answer a 400 problem+json instead of uvicorn's plain text.

The body's own time is the app's to bound (backend/api/bounds.py), where the answer can go through the
app's exception handlers. Every answer of this module closes the connection: what the client sends next
can no longer be told apart from the rest of the refused request.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

import msgspec
import structlog
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from backend.api.problems import PROBLEM_JSON, Problem
from backend.settings import get_settings

log = structlog.get_logger()
_encode = msgspec.json.Encoder().encode


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.max_head_bytes = settings.http_max_head_bytes
        self.head_timeout = settings.http_head_timeout_seconds
        # Bytes of the next request head received so far; None while a request's body is under way.
        self.head_bytes: int | None = 0
        self.head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # Fed to the parser at most up to the limit, so that a head which ends within it is never
        # mistaken for one that does not (a body or a next request may follow in the same read).
        while self.head_bytes is not None and data:
            room = self.max_head_bytes - self.head_bytes
            if room <= 0:
                self.refuse(431, f"the request line and headers exceed {self.max_head_bytes} bytes")
                return
            piece, data = data[:room], data[room:]
            self.head_bytes += len(piece)
            super().data_received(piece)
            if self.transport.is_closing():
                return
        if data:
            super().data_received(data)

    def on_headers_complete(self) -> None:
        self.head_bytes = None
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.head_bytes = 0

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # uvicorn arms its keep-alive timer when it waits for a next request (none is pipelined):
        # the next head's time starts now too.
        if self.timeout_keep_alive_task is not None:
            self._start_head_timer()

    def send_400_response(self, msg: str) -> None:
        self.refuse(
            400,
            "the request is not valid HTTP: its request line, path or a header holds a character HTTP "
            "does not allow, or it is malformed",
        )

    def refuse(self, status: int, detail: str) -> None:
        """Answer a problem+json and close the connection."""
        self._cancel_head_timer()
        log.info("request_refused", status=status, detail=detail, by="server")
        body = _encode(Problem(title=HTTPStatus(status).phrase, status=status, detail=detail))
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: " + PROBLEM_JSON.encode() + b"\r\n",
                b"content-length: " + str(len(body)).encode() + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()

    def _start_head_timer(self) -> None:
        self._cancel_head_timer()
        self.head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing():
            return
        if self.head_bytes == 0:
            # Nothing of a request came: no one to answer.
            self.transport.close()
            return
        # Part of a head, or the rest of a body the app did not wait for, is still trickling in.
        self.refuse(408, f"the request was not received within {self.head_timeout:g} s")
