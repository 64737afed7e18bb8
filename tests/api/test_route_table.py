"""The whole route table, walked: no route answers without credentials except the few that must
(health, docs, sign-in, the token endpoint, published keys), and every API route refuses a token
that lacks the one scope it declares. A route added later is checked without touching this file."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.testing import AsyncTestClient

from backend.auth.principal import Scope, UserRole
from tests.conftest import TenantFactory, TokenFactory

Client = AsyncTestClient[Litestar]

# Reached before anyone is known: the sign-in flow, the token endpoint, published keys and metadata,
# health probes, the API docs and the portal's style sheets and fonts (its sign-in pages load them).
# Each entry is a path prefix; a new public route must be added here.
PUBLIC_PREFIXES = ("/health", "/ready", "/schema", "/auth/", "/oauth/token", "/.well-known/", "/static/")
_PARAMETER = re.compile(r"\{(\w+):(\w+)\}")
_SAMPLE = {"uuid": str(uuid.uuid4()), "int": "1"}


def routes(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    """(method, path with its parameters filled in, handler) for every HTTP route of the app."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            for method in sorted(handler.http_methods):
                if method in ("OPTIONS", "HEAD"):
                    continue
                path = _PARAMETER.sub(lambda m: _SAMPLE.get(m.group(2), "x"), route.path)
                yield method, path, handler


def is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


async def test_no_route_is_reachable_without_credentials(client: Client, app: Litestar) -> None:
    checked = []
    for method, path, _ in routes(app):
        if is_public(path):
            continue
        body = {} if method in ("POST", "PUT", "PATCH") else None
        response = await client.request(method, path, json=body, follow_redirects=False)
        assert response.status_code == 401, f"{method} {path} answered {response.status_code} without credentials"
        assert "www-authenticate" in response.headers, f"{method} {path}"
        checked.append(f"{method} {path}")
    # The walk really covered the API (and not, say, an empty table).
    assert len(checked) >= 40
    assert any(" /api/v1/employees" in c for c in checked)


async def test_public_routes_are_only_the_expected_ones(app: Litestar) -> None:
    public = {path for _, path, _ in routes(app) if is_public(path)}
    assert public
    for path in public:
        assert not path.startswith("/api/"), path


async def test_every_api_route_declares_its_scope(app: Litestar) -> None:
    api = [(m, p, h) for m, p, h in routes(app) if p.startswith("/api/v1/")]
    assert api
    for method, path, handler in api:
        assert isinstance(handler.opt.get("scope"), Scope), f"{method} {path} declares no scope"


async def test_a_token_without_the_routes_scope_is_refused(
    client: Client, app: Litestar, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    for method, path, handler in routes(app):
        if not path.startswith("/api/v1/"):
            continue
        needed = handler.opt["scope"]
        # An HR admin holding every scope but the one this route needs.
        headers = auth(tenant, UserRole.HR_ADMIN, scopes=tuple(s.value for s in Scope if s != needed))
        body = {} if method in ("POST", "PUT", "PATCH") else None
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, f"{method} {path} answered {response.status_code} without {needed}"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert needed.value in response.json()["detail"], f"{method} {path}"
