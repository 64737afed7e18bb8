"""What a partner app's developer does: get credentials from an HR admin, ask for tokens, call the API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from backend.settings import Settings
from tenants.sessions import Database, TenantRef
from tests.conftest import TokenFactory

Client = AsyncTestClient[Litestar]


@dataclass(frozen=True)
class Credentials:
    id: str
    client_id: str
    client_secret: str
    tenant: TenantRef


Register = Callable[..., Awaitable[Credentials]]


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The serving database for a test's own calls to services. Not the app's: the test client runs
    the app on an event loop of its own, and a pool must stay on the loop that opened it."""
    database = Database(settings.serving_url, pool_size=1, max_overflow=0)
    yield database
    await database.dispose()


@pytest.fixture
def register(client: Client, auth: TokenFactory) -> Register:
    """An HR admin of `tenant` registers a partner app with `scopes` through the API."""

    async def make(tenant: TenantRef, *scopes: str, name: str = "Acme LMS") -> Credentials:
        response = await client.post(
            "/api/v1/partner-clients",
            json={"name": name, "scopes": list(scopes)},
            headers=auth(tenant, UserRole.HR_ADMIN),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return Credentials(body["id"], body["client_id"], body["client_secret"], tenant)

    return make


async def request_token(
    client: Client | httpx.AsyncClient,
    client_id: str,
    client_secret: str,
    *,
    scope: str | None = None,
    method: str = "basic",
) -> httpx.Response:
    """POST /oauth/token as an OAuth library does: client_secret_basic or client_secret_post."""
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    if method == "basic":
        return await client.post("/oauth/token", data=form, auth=(client_id, client_secret))
    return await client.post("/oauth/token", data={**form, "client_id": client_id, "client_secret": client_secret})


async def bearer(client: Client, credentials: Credentials, scope: str | None = None) -> dict[str, str]:
    response = await request_token(client, credentials.client_id, credentials.client_secret, scope=scope)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """Assert an RFC 6749 error response, and that no token came with it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert "access_token" not in body
    return body
