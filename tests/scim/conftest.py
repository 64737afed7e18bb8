"""A SCIM client's view: a tenant, a SCIM token made by its HR admin through the API, and the
assertions a provisioning client makes on SCIM responses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from tenants.sessions import TenantRef
from tests.conftest import TenantFactory, TokenFactory

Client = AsyncTestClient[Litestar]

SCIM_JSON = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CROSSWALK = "urn:ietf:params:scim:schemas:extension:crosswalk:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class Directory:
    """One tenant as its identity provider sees it: the SCIM token's headers, and HR's API headers."""

    tenant: TenantRef
    headers: dict[str, str]
    hr: dict[str, str]
    token: str
    token_id: str


DirectoryFactory = Callable[..., Awaitable[Directory]]


async def create_token(client: Client, hr: dict[str, str], name: str = "Okta") -> dict[str, Any]:
    response = await client.post("/api/v1/scim-tokens", json={"name": name}, headers=hr)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def directory(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> DirectoryFactory:
    async def make(tenant: TenantRef | None = None) -> Directory:
        tenant = tenant or make_tenant()
        hr = auth(tenant, UserRole.HR_ADMIN)
        created = await create_token(client, hr)
        headers = {"Authorization": f"Bearer {created['token']}", "Content-Type": SCIM_JSON}
        return Directory(tenant, headers, hr, created["token"], created["id"])

    return make


def scim_ok(response: Any, status: int = 200) -> dict[str, Any]:
    """Assert a successful SCIM response with `status` and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(SCIM_JSON), response.headers
    return dict(response.json())


def scim_error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """Assert a SCIM Error (RFC 7644 §3.12): the Error schema, status as a string, the scimType."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(SCIM_JSON), response.headers
    body = dict(response.json())
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type, body
    return body


def okta_user(user_name: str, given: str = "Ana", family: str = "Lima", **extra: Any) -> dict[str, Any]:
    """What Okta's SCIM 2.0 app sends to create a user."""
    return {
        "schemas": [USER],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": f"{given} {family}",
        "locale": "en-US",
        "externalId": f"00u{abs(hash(user_name)) % 10**8}",
        "groups": [],
        "password": "never-stored-1A!",
        "active": True,
        **extra,
    }


def patch_op(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


async def provision(client: Client, directory: Directory, body: dict[str, Any]) -> dict[str, Any]:
    return scim_ok(await client.post("/scim/v2/Users", json=body, headers=directory.headers), 201)
