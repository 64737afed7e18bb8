"""The edges of HTTP on a served API (`crosswalk serve`, real sockets): the size and time of a request's
head and body, what the server refuses before the app sees it, JSON nested too deep, OPTIONS.

The served app has bounds of a second or so (HTTP_*_TIMEOUT_SECONDS), so a stalled client is seen
within them; each test checks that the answer came within the bound, not merely eventually.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text

from backend.app import create_app
from backend.settings import Settings
from tests.conftest import ServedApp, TenantFactory, TokenFactory, serve_app

HEAD_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
MAX_HEAD_BYTES = 16384
MAX_DEPTH = 32
STATEMENT_TIMEOUT = 1.0
LOCK_TIMEOUT = 0.5
# What a loaded 2-core machine may add to a bound before the answer is seen.
SLACK = 2.5


@pytest.fixture(scope="module")
def served(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    bounds = {
        "HTTP_HEAD_TIMEOUT_SECONDS": str(HEAD_TIMEOUT),
        "HTTP_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "HTTP_MAX_HEAD_BYTES": str(MAX_HEAD_BYTES),
        "HTTP_JSON_MAX_DEPTH": str(MAX_DEPTH),
        "DB_STATEMENT_TIMEOUT_SECONDS": str(STATEMENT_TIMEOUT),
        # Longer than the statement's: a statement waiting on a lock meets the statement timeout.
        "DB_LOCK_TIMEOUT_SECONDS": "30",
        "DB_UNAVAILABLE_RETRY_AFTER_SECONDS": "3",
    }
    with serve_app(settings, tmp_path_factory.mktemp("edges"), extra_env=bounds) as app:
        yield app


@dataclass
class Answer:
    status: int | None
    headers: dict[str, str]
    body: bytes
    seconds: float
    closed: bool

    def problem(self, status: int) -> dict[str, Any]:
        assert self.status == status, (self.status, self.body)
        assert self.headers.get("content-type") == "application/problem+json", self.headers
        document = json.loads(self.body)
        assert document["status"] == status, document
        return dict(document)


def exchange(port: int, *parts: bytes, pause: float = 0.0, wait: float = 15.0) -> Answer:
    """Send `parts` (with `pause` s between them) on a fresh connection, then read until the server
    closes it or `wait` s pass; the answer's time counts from the last part sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as connection:
        for index, part in enumerate(parts):
            if index and pause:
                time.sleep(pause)
            connection.sendall(part)
        started = time.monotonic()
        received = b""
        closed = False
        connection.settimeout(wait)
        try:
            while chunk := connection.recv(65536):
                received += chunk
            closed = True
        except TimeoutError:
            pass
        except ConnectionResetError:
            closed = True
        seconds = time.monotonic() - started
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/") else None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(status, headers, body, seconds, closed)


def test_a_stalled_body_is_a_408_within_the_bound(
    served: ServedApp, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    token = auth(make_tenant())["Authorization"]
    head = (
        "POST /api/v1/org-units HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: {token}\r\nContent-Length: 100\r\n\r\n"
    ).encode()
    answer = exchange(served.port, head + b'{"name": "Ops", ')
    problem = answer.problem(408)
    assert "not received within" in problem["detail"]
    assert answer.seconds < BODY_TIMEOUT + SLACK
    assert answer.closed, "the connection stays open after the 408"


def test_a_stalled_body_to_the_console_is_a_408_within_the_bound(served: ServedApp) -> None:
    # The console is a mounted app of its own, outside Litestar's exception handlers.
    head = (
        b"POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 100\r\n\r\n"
    )
    answer = exchange(served.port, head + b"email=a%40b.example&pass")
    answer.problem(408)
    assert answer.seconds < BODY_TIMEOUT + SLACK
    assert answer.closed


def test_a_stalled_head_is_a_408_within_the_bound(served: ServedApp) -> None:
    answer = exchange(served.port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    answer.problem(408)
    assert answer.seconds < HEAD_TIMEOUT + SLACK
    assert answer.closed


def test_a_head_sent_a_line_at_a_time_is_cut_off_at_the_bound(served: ServedApp) -> None:
    # Each line would reset a timeout per read: the bound is on the whole head.
    received = b""
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        connection.settimeout(0.1)
        while time.monotonic() - started < 10:
            try:
                connection.sendall(b"X-A: b\r\n")
                chunk = connection.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            received += chunk
            if not chunk:
                break
        seconds = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 408"), received
    assert seconds < HEAD_TIMEOUT + SLACK


def test_a_connection_that_sends_nothing_is_closed_within_the_bound(served: ServedApp) -> None:
    answer = exchange(served.port)
    assert answer.closed
    assert answer.status is None
    assert answer.seconds < HEAD_TIMEOUT + SLACK


def test_a_keep_alive_connection_serves_its_next_request(served: ServedApp) -> None:
    # The head's bound starts when the previous response ends, and does not cut off a client that
    # takes a moment between two requests.
    with httpx.Client(base_url=served.base_url, timeout=10) as client:
        assert client.get("/health").status_code == 200
        time.sleep(HEAD_TIMEOUT / 2)
        assert client.get("/health").status_code == 200
        assert client.get("/health").status_code == 200


def test_a_header_of_a_megabyte_is_a_431(served: ServedApp) -> None:
    big = b"X-Big: " + b"a" * (1024 * 1024) + b"\r\n"
    try:
        answer = exchange(served.port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pytest.fail("the server reset the connection instead of answering 431")
    problem = answer.problem(431)
    assert str(MAX_HEAD_BYTES) in problem["detail"]


def test_heads_within_the_limit_and_large_bodies_pass(
    served: ServedApp, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    headers = {**auth(make_tenant()), "X-Padding": "p" * (MAX_HEAD_BYTES - 2048)}
    assert httpx.get(f"{served.base_url}/api/v1/org-units", headers=headers, timeout=10).status_code == 200
    # A body far larger than the head limit, sent in one write with its head, is not taken for a head.
    created = httpx.post(
        f"{served.base_url}/api/v1/org-units",
        json={"name": "n" * (MAX_HEAD_BYTES * 8), "kind": "department"},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 400, created.text
    assert [error["field"] for error in created.json()["errors"]] == ["name"]


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Nul: a\x00b\r\n\r\n", id="nul-in-header"),
        pytest.param(b"GET /he\x01alth HTTP/1.1\r\nHost: x\r\n\r\n", id="control-in-path"),
        pytest.param(b"GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n", id="spaces-in-path"),
        pytest.param(b"GET /health HTTP/1.1\r\nBad Header: x\r\n\r\n", id="space-in-header-name"),
    ],
)
def test_what_the_server_refuses_is_a_problem(served: ServedApp, request_bytes: bytes) -> None:
    answer = exchange(served.port, request_bytes)
    problem = answer.problem(400)
    assert "not valid HTTP" in problem["detail"]
    assert answer.closed


def nested(depth: int) -> bytes:
    return b'{"name": ' + b"[" * depth + b"]" * depth + b"}"


def test_json_nested_a_thousand_deep_is_a_400_on_every_json_route(
    served: ServedApp, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = {**auth(tenant), "Content-Type": "application/json"}
    base = served.base_url
    unit = httpx.post(f"{base}/api/v1/org-units", json={"name": "Ops", "kind": "department"}, headers=hr, timeout=10)
    assert unit.status_code == 201, unit.text
    scim = httpx.post(f"{base}/api/v1/scim-tokens", json={"name": "Entra"}, headers=hr, timeout=10).json()["token"]
    routes = [
        ("POST", "/api/v1/org-units", hr),
        ("PATCH", f"/api/v1/org-units/{unit.json()['id']}", hr),
        ("POST", "/api/v1/employees", hr),
        ("POST", "/api/v1/skill-categories", hr),
        ("POST", "/scim/v2/Users", {"Authorization": f"Bearer {scim}", "Content-Type": "application/scim+json"}),
    ]
    for method, path, headers in routes:
        answer = httpx.request(method, f"{base}{path}", content=nested(1000), headers=headers, timeout=10)
        assert answer.status_code == 400, (path, answer.status_code, answer.text)
        assert f"deeper than {MAX_DEPTH} levels" in answer.text, (path, answer.text)
    # Within the limit, the document is judged on its fields (a name is not a list).
    shallow = httpx.post(f"{base}/api/v1/org-units", content=nested(MAX_DEPTH - 1), headers=hr, timeout=10)
    assert shallow.status_code == 400, shallow.text
    assert "deeper" not in shallow.text
    # Brackets inside strings are text, not nesting.
    text = json.dumps({"name": "[" * (MAX_DEPTH + 10), "kind": "team"})
    assert httpx.post(f"{base}/api/v1/org-units", content=text, headers=hr, timeout=10).status_code == 201


def _example_path(path: str, parameters: list[dict[str, Any]]) -> str:
    types = {p["name"]: p.get("schema", {}) for p in parameters if p.get("in") == "path"}

    def value(match: re.Match[str]) -> str:
        schema = types.get(match[1], {})
        if schema.get("type") == "integer":
            return "1"
        if schema.get("format") == "uuid":
            return "00000000-0000-0000-0000-000000000001"
        return "x"

    return re.sub(r"\{([^}:]+)[^}]*\}", value, path)


def test_options_lists_every_method_of_every_path(served: ServedApp) -> None:
    schema = httpx.get(f"{served.base_url}/schema/openapi.json", timeout=10).json()
    wrong = []
    for path, item in schema["paths"].items():
        documented = {method.upper() for method in item if method != "parameters"}
        parameters = [
            p for operation in item.values() if isinstance(operation, dict) for p in operation.get("parameters", [])
        ]
        answer = httpx.options(f"{served.base_url}{_example_path(path, parameters)}", timeout=10)
        allowed = {method.strip() for method in answer.headers.get("allow", "").split(",") if method.strip()}
        if answer.status_code != 204 or allowed != documented | {"OPTIONS"}:
            wrong.append((path, answer.status_code, sorted(documented), sorted(allowed)))
    assert not wrong, wrong


def test_a_statement_beyond_the_statement_timeout_is_a_503(
    served: ServedApp, make_tenant: TenantFactory, auth: TokenFactory, owner_engine: Engine
) -> None:
    tenant = make_tenant()
    url = f"{served.base_url}/api/v1/org-units"
    with owner_engine.connect() as blocker:
        # Another transaction holds the table: the API's query runs on, waiting, until the timeout.
        blocker.execute(text(f'LOCK TABLE "{tenant.schema_name}".org_units IN ACCESS EXCLUSIVE MODE'))
        started = time.monotonic()
        answer = httpx.get(url, headers=auth(tenant), timeout=30)
        seconds = time.monotonic() - started
        blocker.rollback()
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "3"
    assert "statement timeout" in answer.json()["detail"]
    assert STATEMENT_TIMEOUT <= seconds < STATEMENT_TIMEOUT + SLACK
    assert httpx.get(url, headers=auth(tenant), timeout=10).status_code == 200


async def test_a_lock_held_beyond_the_lock_timeout_is_a_503(
    settings: Settings, make_tenant: TenantFactory, auth: TokenFactory, owner_engine: Engine
) -> None:
    bounded = settings.model_copy(update={"db_lock_timeout_seconds": LOCK_TIMEOUT})
    tenant = make_tenant()
    hr = auth(tenant)
    async with AsyncTestClient[Litestar](create_app(bounded)) as client:
        created = await client.post("/api/v1/org-units", json={"name": "Ops", "kind": "department"}, headers=hr)
        unit = created.json()["id"]
        with owner_engine.connect() as blocker:
            # A transaction that keeps the row: the API's update waits for it, up to the lock timeout.
            blocker.execute(
                text(f'SELECT 1 FROM "{tenant.schema_name}".org_units WHERE id = :id FOR UPDATE'), {"id": unit}
            )
            started = time.monotonic()
            answer = await client.patch(f"/api/v1/org-units/{unit}", json={"name": "Operations"}, headers=hr)
            seconds = time.monotonic() - started
            blocker.rollback()
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == str(settings.db_unavailable_retry_after_seconds)
        assert "lock timeout" in answer.json()["detail"]
        assert seconds < LOCK_TIMEOUT + SLACK
        again = await client.patch(f"/api/v1/org-units/{unit}", json={"name": "Operations"}, headers=hr)
        assert again.status_code == 200, again.text
