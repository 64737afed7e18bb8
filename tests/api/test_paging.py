"""Every list is paged. The rule is tested, not the routes: the OpenAPI schema is walked, so a list
route added later is held to it without touching this file. A list response is a page (`items`,
`results_per_page`, `cursor`) of a route that takes `cursor` and a `limit` of at most MAX_LIMIT, or a
list bounded by construction that says its bound (`maxItems`); SCIM collections page the SCIM way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.api.pagination import MAX_LIMIT
from backend.auth.principal import UserRole
from tests.api.world import build_world
from tests.conftest import TenantFactory, TokenFactory

Client = AsyncTestClient[Litestar]
PAGE_FIELDS = {"items", "results_per_page", "cursor"}


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def list_responses(app: Litestar) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(path, operation, resolved body schema) of every GET whose 200 answer is a JSON list or an
    object holding one as `items`."""
    document = app.openapi_schema.to_schema()
    components = document["components"]["schemas"]
    for path, item in document["paths"].items():
        operation = item.get("get")
        ok = (operation or {}).get("responses", {}).get("200", {})
        for media_type, content in (ok.get("content") or {}).items():
            if not media_type.endswith("json"):
                continue
            body = _resolve(content.get("schema", {}), components)
            items = _resolve(body.get("properties", {}).get("items", {}), components)
            if body.get("type") == "array" or items.get("type") == "array":
                assert operation is not None
                yield path, operation, body


def query_parameters(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p.get("schema", {}) for p in operation.get("parameters", []) if p["in"] == "query"}


def test_every_list_in_the_schema_is_a_page_or_declares_its_bound(app: Litestar) -> None:
    unpaged: list[str] = []
    seen = set()
    for path, operation, body in list_responses(app):
        seen.add(path)
        if body.get("type") == "array":
            if "maxItems" not in body:
                unpaged.append(f"{path}: a plain array with no maxItems")
            continue
        items = body["properties"]["items"]
        if set(body.get("properties", {})) == PAGE_FIELDS:
            parameters = query_parameters(operation)
            limit = parameters.get("limit", {})
            if "cursor" not in parameters or not 1 <= limit.get("maximum", MAX_LIMIT + 1) <= MAX_LIMIT:
                unpaged.append(f"{path}: a page without `cursor` and a `limit` of at most {MAX_LIMIT}")
        elif "maxItems" not in items:
            unpaged.append(f"{path}: `items` neither paged nor bounded (maxItems)")
    assert not unpaged, "\n".join(unpaged)
    # The walk sees the lists (a broken walk would pass on nothing).
    assert {"/api/v1/employees", "/api/v1/employees/{employee_id}/skills/history"} <= seen


def test_scim_collections_page_the_scim_way(app: Litestar) -> None:
    document = app.openapi_schema.to_schema()
    for path in ("/scim/v2/Users", "/scim/v2/Groups"):
        assert {"startIndex", "count"} <= set(query_parameters(document["paths"][path]["get"])), path


async def test_a_long_skill_history_comes_in_pages(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant, UserRole.HR_ADMIN)
    w = await build_world(client, hr, "h")
    url = f"/api/v1/employees/{w.employee['id']}/skills/{w.skill['id']}"
    for change in range(30):
        response = await client.put(url, json={"level": 1 + change % 5, "source": "manager"}, headers=hr)
        assert response.status_code == 200, response.text
    history_url = f"/api/v1/employees/{w.employee['id']}/skills/history"
    versions: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        response = await client.get(history_url, params=params, headers=hr)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["results_per_page"] == 7
        assert len(page["items"]) <= 7
        versions += page["items"]
        pages += 1
        cursor = page["cursor"]
        if cursor is None:
            break
    # The world's manager rating (level 3) and its 30 changes, each once, in the order recorded.
    assert len(versions) == 31
    assert len({v["id"] for v in versions}) == 31
    assert pages == 5
    assert [v["level"] for v in versions] == [3] + [1 + change % 5 for change in range(30)]
    # A page larger than the bound is refused, not served whole.
    too_large = await client.get(history_url, params={"limit": MAX_LIMIT + 1}, headers=hr)
    assert too_large.status_code == 400
