"""API conventions: cursor pagination, Idempotency-Key, problem+json, OpenAPI documentation."""

from __future__ import annotations

import asyncio

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem

Client = AsyncTestClient[Litestar]


async def test_cursor_pagination_walks_every_item_once(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    hr = auth(make_tenant())
    created = []
    for i in range(7):
        response = await client.post("/api/v1/job-families", json={"name": f"Family {i}"}, headers=hr)
        created.append(response.json()["id"])
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/job-families?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url, headers=hr)).json()
        assert page["results_per_page"] == 3
        seen += [f["id"] for f in page["items"]]
        pages += 1
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == created
    assert pages == 3


async def test_idempotency_key_replays_and_refuses_reuse(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    hr = auth(make_tenant())
    keyed = {**hr, "Idempotency-Key": "create-ops-1"}
    first = await client.post("/api/v1/org-units", json={"name": "Ops", "kind": "department"}, headers=keyed)
    again = await client.post("/api/v1/org-units", json={"name": "Ops", "kind": "department"}, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    units = (await client.get("/api/v1/org-units", headers=hr)).json()["items"]
    assert len(units) == 1
    other = await client.post("/api/v1/org-units", json={"name": "Sales", "kind": "department"}, headers=keyed)
    assert "different request" in problem(other, 409)["detail"]
    # A failed request stores nothing: the same key may be used again once the input is fixed.
    bad_key = {**hr, "Idempotency-Key": "k2"}
    problem(await client.post("/api/v1/org-units", json={"name": "Ops", "kind": "guild"}, headers=bad_key), 400)
    fixed = await client.post("/api/v1/org-units", json={"name": "Guild", "kind": "team"}, headers=bad_key)
    assert fixed.status_code == 201
    problem(
        await client.post(
            "/api/v1/org-units", json={"name": "Y", "kind": "team"}, headers={**hr, "Idempotency-Key": "k" * 300}
        ),
        422,
    )


async def test_concurrent_retries_create_once(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    hr = {**auth(make_tenant()), "Idempotency-Key": "race"}
    results = await asyncio.gather(
        *(client.post("/api/v1/job-families", json={"name": "Raced"}, headers=hr) for _ in range(4))
    )
    assert sorted({r.status_code for r in results}) in ([201], [201, 409])
    families = (await client.get("/api/v1/job-families", headers=hr)).json()["items"]
    assert len(families) == 1


async def test_every_error_status_is_documented(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "400" in responses, (method, path)
            # Every route but the liveness check reads the database, or says whether it answers.
            assert ("503" in responses) == (path != "/health"), (method, path)
            if path.startswith("/api/"):
                assert {"401", "403", "404"} <= set(responses), (method, path)
                assert responses["404"]["content"]["application/problem+json"]


async def test_every_response_carries_a_request_id(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    generated = await client.get("/health")
    assert len(generated.headers["x-request-id"]) == 32
    kept = await client.get("/api/v1/employees", headers={**auth(make_tenant()), "X-Request-ID": "trace-123"})
    assert kept.headers["x-request-id"] == "trace-123"
    replaced = await client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"] != "bad id\twith spaces"
