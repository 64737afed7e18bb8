"""Job families, roles with required skills, career paths."""

from __future__ import annotations

import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.world import build_world
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem

Client = AsyncTestClient[Litestar]


async def test_role_framework(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    hr = auth(make_tenant())
    w = await build_world(client, hr, "f")
    skills = (await client.get(f"/api/v1/roles/{w.senior['id']}/skills", headers=hr)).json()["items"]
    assert [(s["skill_label"], s["target_level"], s["importance"]) for s in skills] == [
        ("Dashboards f", 4, "essential")
    ]
    changed = await client.put(
        f"/api/v1/roles/{w.senior['id']}/skills/{w.skill['id']}",
        json={"target_level": 5, "importance": "important"},
        headers=hr,
    )
    assert changed.json()["target_level"] == 5
    roles = (await client.get(f"/api/v1/roles?job_family_id={w.family['id']}&level=3", headers=hr)).json()["items"]
    assert [r["title"] for r in roles] == ["Senior Data Analyst"]
    problem(
        await client.post(
            "/api/v1/roles", json={"job_family_id": w.family["id"], "title": "Data Analyst", "level": 2}, headers=hr
        ),
        409,
    )
    problem(
        await client.post(
            "/api/v1/roles", json={"job_family_id": w.family["id"], "title": "X", "level": 11}, headers=hr
        ),
        400,
    )
    problem(
        await client.post(
            "/api/v1/roles", json={"job_family_id": str(uuid.uuid4()), "title": "X", "level": 1}, headers=hr
        ),
        422,
    )
    assert (
        await client.delete(f"/api/v1/roles/{w.senior['id']}/skills/{w.skill['id']}", headers=hr)
    ).status_code == 204
    problem(await client.delete(f"/api/v1/roles/{w.senior['id']}/skills/{w.skill['id']}", headers=hr), 404)


async def test_career_paths(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    hr = auth(make_tenant())
    w = await build_world(client, hr, "c")
    onward = (await client.get(f"/api/v1/career-paths?from_role_id={w.junior['id']}", headers=hr)).json()["items"]
    assert [(p["to_role_id"], p["kind"], p["typical_months"]) for p in onward] == [(w.senior["id"], "promotion", 24)]
    problem(
        await client.post(
            "/api/v1/career-paths",
            json={"from_role_id": w.junior["id"], "to_role_id": w.senior["id"], "kind": "lateral"},
            headers=hr,
        ),
        409,
    )
    same = await client.post(
        "/api/v1/career-paths",
        json={"from_role_id": w.junior["id"], "to_role_id": w.junior["id"], "kind": "lateral"},
        headers=hr,
    )
    assert problem(same, 422)["errors"][0]["field"] == "to_role_id"
    problem(await client.patch(f"/api/v1/career-paths/{w.path['id']}", json={"typical_months": 999}, headers=hr), 400)
    assert (await client.patch(f"/api/v1/career-paths/{w.path['id']}", json={"typical_months": 18}, headers=hr)).json()[
        "typical_months"
    ] == 18
    assert (await client.delete(f"/api/v1/career-paths/{w.path['id']}", headers=hr)).status_code == 204
    problem(await client.get(f"/api/v1/career-paths/{w.path['id']}", headers=hr), 404)
