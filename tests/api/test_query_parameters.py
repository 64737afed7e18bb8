"""Query strings, walked over the whole route table: a parameter a route does not take, and a second
value of one that takes a single value, is a 400 naming it, on every route (the API, sign-in, the token
endpoint, health, the docs), never silently ignored; the parameters a route does take keep working."""

from __future__ import annotations

import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.api.query import ANY_QUERY, QUERY_RULES
from backend.auth.principal import Scope, UserRole
from tests.api.test_route_table import routes
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem

Client = AsyncTestClient[Litestar]
API = "/api/v1"
# SCIM answers SCIM errors and reads its own query parameters (RFC 7644): its rules are its own.
SCIM = "/scim/"


def _named(body: dict[str, object], *names: str) -> None:
    errors = body.get("errors")
    assert isinstance(errors, list), body
    assert sorted(e["field"] for e in errors) == sorted(names), body
    for name in names:
        assert name in str(body["detail"]), body


async def test_every_route_refuses_an_unknown_query_parameter(
    client: Client, app: Litestar, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    # Every scope, so that the refusal is the query's and not the scope guard's.
    headers = auth(tenant, UserRole.HR_ADMIN, scopes=tuple(s.value for s in Scope))
    checked: list[str] = []
    any_query: list[str] = []
    for method, path, handler in routes(app):
        if path.startswith(SCIM):
            continue
        if handler.opt.get(ANY_QUERY):
            any_query.append(f"{method} {path}")
            continue
        assert QUERY_RULES in handler.opt, f"{method} {path} has no query rules"
        body = {} if method in ("POST", "PUT", "PATCH") else None
        response = await client.request(
            method, path, params={"bogus": "1"}, json=body, headers=headers, follow_redirects=False
        )
        if path == "/oauth/token":
            # The token endpoint answers in RFC 6749's shape, as all its errors.
            assert response.status_code == 400, response.text
            assert response.json()["error"] == "invalid_request"
            assert "bogus" in response.json()["error_description"]
        else:
            _named(problem(response, 400), "bogus")
        checked.append(f"{method} {path}")
    # The walk covered the API and the routes around it; the only routes that take any query string
    # are where an OpenID provider sends the browser back, with a query string it writes (after sign-in,
    # RFC 6749 4.1.2: ignore unknown parameters; after sign-out, its `state`).
    assert len(checked) >= 100
    for expected in ("GET /api/v1/employees", "GET /health", "GET /schema/openapi.json", "POST /oauth/token"):
        assert expected in checked
    assert any(c.startswith("GET /auth/") and c.endswith("/login") for c in checked)
    assert sorted(c.rsplit("/", 1)[-1] for c in any_query) == ["callback", "logged-out"], any_query
    assert all(c.startswith("GET /auth/") for c in any_query), any_query


async def test_known_parameters_work_and_single_ones_are_not_repeated(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    for n in range(3):
        response = await client.post(
            f"{API}/employees", json={"email": f"p{n}@example.com", "full_name": f"Person {n}"}, headers=hr
        )
        assert response.status_code == 201, response.text

    page = await client.get(f"{API}/employees", params={"limit": "2", "q": "person", "active": "true"}, headers=hr)
    assert page.status_code == 200, page.text
    assert len(page.json()["items"]) == 2
    # A parameter whose name is not its Python name (`state`) is known by its name.
    pairings = await client.get(f"{API}/mentoring/pairings", params={"state": "active"}, headers=hr)
    assert pairings.status_code == 200, pairings.text
    assert (await client.get("/health")).status_code == 200

    # A typo is not the default page.
    _named(problem(await client.get(f"{API}/employees?limt=1", headers=hr), 400), "limt")
    # Two values for one: Litestar would keep one of them.
    _named(problem(await client.get(f"{API}/employees?limit=1&limit=3", headers=hr), 400), "limit")
    _named(problem(await client.get(f"{API}/employees?active=true&active=false", headers=hr), 400), "active")
    # Every offender is named at once.
    _named(problem(await client.get(f"{API}/employees?a=1&b=2&q=x&q=y", headers=hr), 400), "a", "b", "q")
    # Refused before anything is looked at: the same answer for an object that does not exist.
    _named(problem(await client.get(f"{API}/employees/{uuid.uuid4()}?expand=all", headers=hr), 400), "expand")
    # Public routes too.
    _named(problem(await client.get("/health?verbose=1"), 400), "verbose")
