"""Employees' email addresses through the API: ASCII only, one @, stored in their normal form and
compared exactly, so that an address that only looks like a colleague's is refused, never theirs."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem

Client = AsyncTestClient[Litestar]

LOOKALIKES = {
    "kelvin": "\u212aaren@acme.example",
    "cyrillic": "k\u0430ren@acme.example",
    "fullwidth": "\uff4baren@acme.example",
    "dotless": "kar\u0131n@acme.example",
    "long-s": "\u017faren@acme.example",
    "cyrillic-domain": "karen@\u0430cme.example",
    "two-at": "karen@evil.example@acme.example",
}


async def _count(client: Client, headers: dict[str, str]) -> int:
    listed = await client.get("/api/v1/employees", params={"limit": 200}, headers=headers)
    return len(listed.json()["items"])


@pytest.mark.parametrize("name", LOOKALIKES)
async def test_a_lookalike_or_malformed_email_is_refused(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, name: str
) -> None:
    tenant = make_tenant()
    hr = auth(tenant, UserRole.HR_ADMIN)
    karen = await client.post("/api/v1/employees", json={"email": "karen@acme.example", "full_name": "K"}, headers=hr)
    assert karen.status_code == 201, karen.text
    other = await client.post("/api/v1/employees", json={"email": "other@acme.example", "full_name": "O"}, headers=hr)
    before = await _count(client, hr)
    body = problem(
        await client.post("/api/v1/employees", json={"email": LOOKALIKES[name], "full_name": "Not K"}, headers=hr), 400
    )
    assert body["errors"][0]["field"].endswith("email"), body
    patched = await client.patch(
        f"/api/v1/employees/{other.json()['id']}", json={"email": LOOKALIKES[name]}, headers=hr
    )
    problem(patched, 400)
    assert await _count(client, hr) == before
    shown = await client.get(f"/api/v1/employees/{other.json()['id']}", headers=hr)
    assert shown.json()["email"] == "other@acme.example"


async def test_addresses_are_stored_in_their_normal_form_and_compared_as_stored(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant, UserRole.HR_ADMIN)
    created = await client.post(
        "/api/v1/employees", json={"email": "Karen.Desk@ACME.example", "full_name": "K"}, headers=hr
    )
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "karen.desk@acme.example"
    # The same address in other ASCII case is the same address: taken.
    problem(
        await client.post("/api/v1/employees", json={"email": "KAREN.DESK@acme.example", "full_name": "K"}, headers=hr),
        409,
    )
    # What the schema's pattern cannot see, the identifier rules refuse (with the field).
    body = problem(
        await client.post(
            "/api/v1/employees", json={"email": "karen..desk@acme.example", "full_name": "K"}, headers=hr
        ),
        422,
    )
    assert body["errors"][0]["field"] == "email"
