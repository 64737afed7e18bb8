"""Security headers on every response: every route of the route table (walked, so a route added later
is checked too), the errors of the router (404, 405) and of a failing handler (500), the console's
pages and files, the sign-in pages and redirects, SCIM, health and the API docs. HTML pages get a
policy that runs scripts from this origin only; everything else may load nothing at all. HSTS in
production only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.auth.principal import UserRole
from backend.settings import Settings
from tests.api.test_route_table import routes
from tests.conftest import TenantFactory, TokenFactory

Client = AsyncTestClient[Litestar]
NOT_A_PAGE = "default-src 'none'; frame-ancestors 'none'"


def directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else "" for d in (p.strip() for p in policy.split(";"))}


def assert_secured(response: httpx.Response, what: str, *, production: bool = False) -> None:
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("x-frame-options") == "DENY", what
    assert headers.get("referrer-policy") == "strict-origin-when-cross-origin", what
    assert "content-security-policy" in headers, what
    policy = directives(response)
    assert policy["frame-ancestors"] == "'none'", what
    if headers.get("content-type", "").startswith("text/html"):
        assert policy["default-src"] == "'self'", what
        assert policy["object-src"] == "'none'", what
        assert policy["base-uri"] == "'none'", what
        # No CDN, no other origin: scripts come from here (the docs page may start its viewer inline).
        assert policy["script-src"].split()[0] == "'self'", what
        assert "http" not in headers["content-security-policy"], what
        if not response.url.path.startswith("/schema"):
            assert policy["script-src"] == "'self'", what
    else:
        assert headers["content-security-policy"] == NOT_A_PAGE, what
    if production:
        assert headers.get("strict-transport-security") == "max-age=63072000; includeSubDomains", what
    else:
        assert "strict-transport-security" not in headers, what


async def test_every_route_answers_with_the_headers(
    client: Client, app: Litestar, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant, UserRole.HR_ADMIN)
    checked = 0
    for method, path, _ in routes(app):
        body = {} if method in ("POST", "PUT", "PATCH") else None
        # Without credentials (401s, public pages and redirects) and as HR (answers, 4xx of the handlers).
        for headers in ({}, hr):
            response = await client.request(method, path, json=body, headers=headers, follow_redirects=False)
            assert_secured(response, f"{method} {path} ({response.status_code})")
            checked += 1
    assert checked >= 100


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/health", "application/json"),
        ("/no/such/route", "application/problem+json"),
        ("/api/v1/employees?limit=0", "application/problem+json"),
        ("/schema/openapi.json", "application/vnd.oai.openapi+json"),
        ("/schema", "text/html"),
        ("/admin/login", "text/html"),
        ("/admin/", ""),
        ("/admin/statics/css/main.css", "text/css"),
        ("/admin/console-static/console.js", "text/javascript"),
        ("/auth/no_such_co/login", "application/problem+json"),
        ("/auth/no_such_co/logged-out", "text/html"),
        ("/auth/no_such_co/logout", "text/html"),
        ("/scim/v2/Users", "application/scim+json"),
        ("/.well-known/jwks.json", "application/json"),
    ],
)
async def test_each_kind_of_response_has_the_headers(client: Client, path: str, kind: str) -> None:
    response = await client.get(path, follow_redirects=False)
    assert response.headers.get("content-type", "").startswith(kind), (path, response.headers)
    assert_secured(response, path)


async def test_a_wrong_method_has_the_headers(client: Client) -> None:
    response = await client.delete("/health")
    assert response.status_code == 405
    assert_secured(response, "DELETE /health")


@get("/test-only/fails", opt={"exclude_from_auth": True}, sync_to_thread=False)
def failing_handler() -> None:
    raise RuntimeError("a bug")


@pytest.fixture(scope="module")
async def production_client(settings: Settings) -> AsyncIterator[Client]:
    """The app as production runs it (ENVIRONMENT=prod), with a handler that fails, for the 500."""
    app = create_app(settings.model_copy(update={"environment": "prod"}))
    app.register(failing_handler)
    async with AsyncTestClient(app) as production:
        yield production


async def test_production_adds_hsts_to_every_kind_of_response(production_client: Client) -> None:
    for path in ("/health", "/no/such/route", "/admin/login", "/api/v1/employees", "/scim/v2/Users"):
        assert_secured(await production_client.get(path, follow_redirects=False), path, production=True)
    failed = await production_client.get("/test-only/fails")
    assert failed.status_code == 500
    assert failed.headers["content-type"].startswith("application/problem+json")
    assert_secured(failed, "a 500", production=True)
