"""Looking an employee up by email or by external id: exact matches (emails regardless of ASCII case
only), a non-ASCII lookalike refused rather than folded into someone's address, the list's own rules
(who may read it, one tenant's people only)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem

Client = AsyncTestClient[Litestar]
EMPLOYEES = "/api/v1/employees"


async def _found(client: Client, headers: dict[str, str], **params: str) -> list[str]:
    response = await client.get(EMPLOYEES, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_an_employee_is_found_by_email_and_by_external_id(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant)

    async def hire(email: str, external_id: str) -> dict[str, Any]:
        body = {"email": email, "full_name": email.split("@")[0].title(), "external_id": external_id}
        response = await client.post(EMPLOYEES, json=body, headers=hr)
        assert response.status_code == 201, response.text
        return dict(response.json())

    kate = await hire("Kate.Doe@Example.com", "HR-0042")
    katelyn = await hire("katelyn.doe@example.com", "hr-0042")

    assert await _found(client, hr, email="kate.doe@example.com") == [kate["id"]]
    # ASCII case does not matter in an email; nothing else is loosened: no substring, no prefix.
    assert await _found(client, hr, email="KATE.DOE@EXAMPLE.COM") == [kate["id"]]
    assert await _found(client, hr, email="kate.doe@example.co") == []
    assert await _found(client, hr, email="ate.doe@example.com") == []
    # External ids are compared exactly, case included.
    assert await _found(client, hr, external_id="HR-0042") == [kate["id"]]
    assert await _found(client, hr, external_id="hr-0042") == [katelyn["id"]]
    assert await _found(client, hr, external_id="HR-004") == []
    # Both at once: the person with both.
    assert await _found(client, hr, email="kate.doe@example.com", external_id="HR-0042") == [kate["id"]]
    assert await _found(client, hr, email="kate.doe@example.com", external_id="hr-0042") == []

    # Whoever may read the directory may look people up (the list's rule), in their tenant only.
    colleague = auth(tenant, UserRole.EMPLOYEE, employee_id=None)
    assert await _found(client, colleague, email="katelyn.doe@example.com") == [katelyn["id"]]
    assert await _found(client, auth(make_tenant()), email="kate.doe@example.com") == []
    assert await _found(client, auth(make_tenant()), external_id="HR-0042") == []


async def test_a_lookalike_or_malformed_email_is_refused(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    response = await client.post(EMPLOYEES, json={"email": "kate@example.com", "full_name": "Kate"}, headers=hr)
    assert response.status_code == 201, response.text
    for lookalike in (
        "\u212aate@example.com",  # the Kelvin sign, which Unicode lower-cases to "k"
        "k\u0430te@example.com",  # a Cyrillic a
        "kate@ex\u0430mple.com",
        "\uff4bate@example.com",  # a fullwidth k
        "kate@@example.com",
        "kate@example@com",
        "kate.example.com",
    ):
        body = problem(await client.get(EMPLOYEES, params={"email": lookalike}, headers=hr), 400)
        assert [e["field"] for e in body["errors"]] == ["email"], (lookalike, body)
    body = problem(await client.get(EMPLOYEES, params={"external_id": ""}, headers=hr), 400)
    assert [e["field"] for e in body["errors"]] == ["external_id"], body
