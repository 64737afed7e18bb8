"""Races the services must win: concurrent edits that could loop a hierarchy or fork a profile."""

from __future__ import annotations

import asyncio
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from tests.api.world import build_world
from tests.conftest import TenantFactory, TokenFactory

Client = AsyncTestClient[Litestar]


async def test_concurrent_manager_changes_cannot_make_a_loop(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    hr = auth(make_tenant())
    a, b = [
        (await client.post("/api/v1/employees", json={"email": f"{n}@loop.example", "full_name": n}, headers=hr)).json()
        for n in ("a", "b")
    ]
    for _ in range(5):
        results = await asyncio.gather(
            client.patch(f"/api/v1/employees/{a['id']}", json={"manager_id": b["id"]}, headers=hr),
            client.patch(f"/api/v1/employees/{b['id']}", json={"manager_id": a["id"]}, headers=hr),
        )
        assert sorted(r.status_code for r in results) == [200, 422], [r.text for r in results]
        managers = {
            e["id"]: e["manager_id"] for e in (await client.get("/api/v1/employees", headers=hr)).json()["items"]
        }
        assert not (managers[a["id"]] == b["id"] and managers[b["id"]] == a["id"])
        for person in (a, b):
            await client.patch(f"/api/v1/employees/{person['id']}", json={"manager_id": None}, headers=hr)


async def test_concurrent_skill_changes_all_land_in_history(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    w = await build_world(client, hr, "r")
    url = f"/api/v1/employees/{w.employee['id']}/skills/{w.skill['id']}"
    results = await asyncio.gather(
        *(client.put(url, json={"level": level, "source": "manager"}, headers=hr) for level in (1, 2, 4, 5))
    )
    assert [r.status_code for r in results] == [200] * 4, [r.text for r in results]
    history = (await client.get(f"/api/v1/employees/{w.employee['id']}/skills/history", headers=hr)).json()["items"]
    assert len(history) == 5  # the world's first manager rating plus four changes of it
    assert [h["valid_to"] is None for h in history].count(True) == 1


async def test_skip_level_managers_do_not_see_a_confidential_search(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    w = await build_world(client, hr, "k")
    skip = (
        await client.post("/api/v1/employees", json={"email": "skip@k.example", "full_name": "Skip"}, headers=hr)
    ).json()
    await client.patch(f"/api/v1/employees/{w.manager['id']}", json={"manager_id": skip["id"]}, headers=hr)
    url = f"/api/v1/employees/{w.employee['id']}/aspirations"
    me = auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(w.employee["id"]))
    await client.put(url, json={"open_to_move": "hiring_managers"}, headers=me)
    skip_level = auth(tenant, UserRole.MANAGER, employee_id=uuid.UUID(skip["id"]))
    assert (await client.get(url, headers=skip_level)).status_code == 404
