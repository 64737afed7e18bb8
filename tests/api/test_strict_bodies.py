"""JSON bodies are held to their documented types: Litestar's lax conversion would otherwise take `0`
for a boolean or `"2"` for an integer (see backend/api/strict.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.marketplace.market import API, Client


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/mentoring/programmes",
            {"name": "P", "kind": "evergreen", "require_different_department": 0},
            "require_different_department",
        ),
        ("/mentoring/programmes", {"name": "P", "kind": "evergreen", "per_mentee": "5"}, "per_mentee"),
        (
            "/opportunities",
            {"title": "G", "kind": "gig", "hours_per_week": 2, "duration_weeks": 2, "remote": "true"},
            "remote",
        ),
        ("/opportunities", {"title": "G", "kind": "gig", "hours_per_week": "2", "duration_weeks": 2}, "hours_per_week"),
        ("/org-units", {"name": 5, "kind": "team"}, "name"),
    ],
)
async def test_a_value_of_the_wrong_type_is_refused(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, path: str, body: dict[str, Any], field: str
) -> None:
    hr = auth(make_tenant())
    refused = problem(await client.post(f"{API}{path}", json=body, headers=hr), 400)
    assert refused["errors"][0]["field"] == field, refused
    assert (await client.get(f"{API}{path}", headers=hr)).json()["items"] == []


async def test_well_typed_bodies_and_absent_optional_ones_pass(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    hr = auth(make_tenant())
    created = await client.post(
        f"{API}/mentoring/programmes",
        json={"name": "P", "kind": "evergreen", "require_different_department": True, "per_mentee": 5},
        headers=hr,
    )
    assert created.status_code == 201, created.text
    # JSON Schema's integers include numbers with a zero fraction.
    assert created.json()["per_mentee"] == 5
    unit = await client.post(f"{API}/org-units", json={"name": "Data", "kind": "department"}, headers=hr)
    integral = await client.post(
        f"{API}/employees",
        json={"email": "a@b.example", "full_name": "A", "level": 4.0, "org_unit_id": unit.json()["id"]},
        headers=hr,
    )
    assert (integral.status_code, integral.json()["level"]) == (201, 4), integral.text
    problem(
        await client.post(
            f"{API}/employees", json={"email": "c@b.example", "full_name": "C", "level": 4.5}, headers=hr
        ),
        400,
    )
    # A body that is not JSON at all is still Litestar's to refuse.
    problem(
        await client.post(f"{API}/org-units", content=b"{not json", headers={**hr, "Content-Type": "application/json"}),
        400,
    )
