"""Request bodies of POST routes, walked over the OpenAPI document: a POST that needs no input (publish,
open, close, withdraw, ...) or whose input is all optional takes no body, an empty body or `{}` alike,
and the document says its body is not required; a field it does not know is still refused. A POST that
needs a body says so plainly when it gets none."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import Scope, UserRole
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.marketplace.market import build_market

Client = AsyncTestClient[Litestar]
API = "/api/v1"


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _posts(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path with its parameters filled in, operation) of every POST of the API."""
    found = []
    for path, item in document["paths"].items():
        if path.startswith(f"{API}/") and "post" in item:
            filled = path
            for parameter in item["post"].get("parameters", []):
                if parameter["in"] == "path":
                    sample = str(uuid.uuid4()) if parameter["schema"].get("format") == "uuid" else "1"
                    filled = filled.replace("{" + parameter["name"] + "}", sample)
            found.append((filled, item["post"]))
    return found


async def _answer(client: Client, path: str, headers: dict[str, str], **body: Any) -> tuple[int, Any]:
    response = await client.post(path, headers=headers, **body)
    problem_body = response.json() if response.headers.get("content-type", "").endswith("problem+json") else None
    return response.status_code, problem_body


async def test_every_post_without_required_input_takes_no_body_alike(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    tenant = make_tenant()
    headers = auth(tenant, UserRole.HR_ADMIN, scopes=tuple(s.value for s in Scope))
    optional: list[str] = []
    required: list[str] = []
    for path, operation in _posts(document):
        request_body = operation.get("requestBody")
        assert request_body is not None, f"POST {path} documents no body: whatever is sent would be ignored"
        content = request_body["content"]
        if "application/json" not in content:
            continue  # a file upload (the course catalogue's CSV) has rules of its own
        schema = _schema(document, content["application/json"]["schema"])
        needs_input = bool(schema.get("required"))
        assert request_body["required"] is needs_input, f"POST {path}: required should be {needs_input}"
        if needs_input:
            body = problem(await client.post(path, headers=headers), 400)
            assert body["errors"] == [{"field": "body", "message": "this request takes a JSON body"}], (path, body)
            required.append(path)
            continue
        absent = await _answer(client, path, headers)
        empty = await _answer(client, path, headers, content=b"")
        empty_object = await _answer(client, path, headers, json={})
        assert absent == empty == empty_object, (path, absent, empty, empty_object)
        assert absent[0] != 400, (path, absent)
        refused = problem(await client.post(path, json={"bogus": 1}, headers=headers), 400)
        assert [e["field"] for e in refused["errors"]] == ["bogus"], (path, refused)
        optional.append(path)
    # The walk reached the actions the first-time user tripped on, and the creating POSTs.
    for action in ("/withdraw", "/publish", "/discard", "/open", "/close", "/activate", "/deactivate", "/revoke"):
        assert any(p.endswith(action) for p in optional), action
    assert any(p.endswith("/recompute") for p in optional)
    assert f"{API}/employees" in required


async def test_an_application_is_made_and_withdrawn_without_a_body(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    m = await build_market(client, make_tenant(), auth)
    opening = await m.opening()
    ana = m.as_("ana")
    applied = await client.post(f"{API}/opportunities/{opening['id']}/applications", headers=ana)
    assert applied.status_code == 201, applied.text
    assert applied.json()["kind"] == "application"
    url = f"{API}/applications/{applied.json()['id']}/withdraw"
    body = problem(await client.post(url, json={"reason": "changed my mind"}, headers=ana), 400)
    assert [e["field"] for e in body["errors"]] == ["reason"]
    withdrawn = await client.post(url, headers=ana)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["stage"] == "withdrawn"
    closed = await client.post(f"{API}/opportunities/{opening['id']}/close", json={}, headers=m.as_("hm"))
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
