"""With a token of tenant A, nothing of tenant B can be read, listed, changed or deleted."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.world import World, build_world
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem

Client = AsyncTestClient[Litestar]


def reads(w: World) -> list[str]:
    e, s = w.employee["id"], w.skill["id"]
    return [
        f"/api/v1/org-units/{w.department['id']}",
        f"/api/v1/employees/{e}",
        f"/api/v1/employees/{e}/skills",
        f"/api/v1/employees/{e}/skills/history",
        f"/api/v1/employees/{e}/aspirations",
        f"/api/v1/skills/{s}",
        f"/api/v1/job-families/{w.family['id']}",
        f"/api/v1/roles/{w.senior['id']}",
        f"/api/v1/roles/{w.senior['id']}/skills",
        f"/api/v1/career-paths/{w.path['id']}",
    ]


def writes(w: World) -> list[tuple[str, str, dict[str, Any] | None]]:
    e, s = w.employee["id"], w.skill["id"]
    return [
        ("PATCH", f"/api/v1/org-units/{w.department['id']}", {"name": "hijacked"}),
        ("PATCH", f"/api/v1/employees/{e}", {"full_name": "hijacked", "active": False}),
        ("PUT", f"/api/v1/employees/{e}/skills/{s}", {"level": 1, "source": "assessment"}),
        ("DELETE", f"/api/v1/employees/{e}/skills/{s}", None),
        ("PUT", f"/api/v1/employees/{e}/aspirations", {"open_to_move": "hidden"}),
        ("PATCH", f"/api/v1/skills/{s}", {"label": "hijacked"}),
        ("PATCH", f"/api/v1/skill-categories/{w.category['id']}", {"name": "hijacked"}),
        ("PATCH", f"/api/v1/job-families/{w.family['id']}", {"name": "hijacked"}),
        ("PATCH", f"/api/v1/roles/{w.senior['id']}", {"title": "hijacked"}),
        ("PUT", f"/api/v1/roles/{w.senior['id']}/skills/{s}", {"target_level": 1, "importance": "nice_to_have"}),
        ("DELETE", f"/api/v1/roles/{w.senior['id']}/skills/{s}", None),
        ("PATCH", f"/api/v1/career-paths/{w.path['id']}", {"typical_months": 1}),
        ("DELETE", f"/api/v1/career-paths/{w.path['id']}", None),
    ]


async def snapshot(client: Client, w: World) -> list[Any]:
    result = []
    for url in reads(w):
        response = await client.get(url, headers=w.headers)
        assert response.status_code == 200, (url, response.text)
        result.append(response.json())
    return result


async def test_tenant_a_cannot_touch_tenant_b(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    tenant_a, tenant_b = make_tenant(), make_tenant()
    world_b = await build_world(client, auth(tenant_b), "b")
    a = auth(tenant_a)
    before = await snapshot(client, world_b)

    for url in reads(world_b):
        problem(await client.get(url, headers=a), 404)
    for method, url, body in writes(world_b):
        problem(await client.request(method, url, json=body, headers=a), 404)

    # A reference to B's objects inside a body of A is an unknown object, not a link across tenants.
    problem(
        await client.post(
            "/api/v1/employees",
            json={"email": "x@a.example", "full_name": "X", "manager_id": world_b.employee["id"]},
            headers=a,
        ),
        422,
    )
    problem(
        await client.post(
            "/api/v1/career-paths",
            json={"from_role_id": world_b.junior["id"], "to_role_id": world_b.senior["id"], "kind": "promotion"},
            headers=a,
        ),
        422,
    )

    for url in [
        "/api/v1/org-units",
        "/api/v1/employees",
        "/api/v1/skills",
        "/api/v1/skill-categories",
        "/api/v1/job-families",
        "/api/v1/roles",
        "/api/v1/career-paths",
    ]:
        listed = await client.get(url, headers=a)
        assert listed.status_code == 200, listed.text
        assert listed.json()["items"] == [], url

    assert await snapshot(client, world_b) == before
