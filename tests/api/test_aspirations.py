"""Aspirations and who may see them."""

from __future__ import annotations

import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from tests.api.world import build_world
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem

Client = AsyncTestClient[Litestar]


async def test_visibility_follows_open_to_move(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    w = await build_world(client, hr, "a")
    url = f"/api/v1/employees/{w.employee['id']}/aspirations"
    me = auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(w.employee["id"]))
    own_manager = auth(tenant, UserRole.MANAGER, employee_id=uuid.UUID(w.manager["id"]))
    other = await client.post(
        "/api/v1/employees", json={"email": "hm@a.example", "full_name": "Hiring Manager"}, headers=hr
    )
    hiring_manager = auth(tenant, UserRole.MANAGER, employee_id=uuid.UUID(other.json()["id"]))
    colleague = auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(other.json()["id"]))

    async def sees(headers: dict[str, str]) -> bool:
        response = await client.get(url, headers=headers)
        assert response.status_code in (200, 404), response.text
        return response.status_code == 200

    # hr_only (set by build_world)
    assert [await sees(h) for h in (me, hr, own_manager, hiring_manager, colleague)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert (
        await client.put(url, json={"open_to_move": "hiring_managers", "target_role_ids": [w.senior["id"]]}, headers=me)
    ).status_code == 200
    assert [await sees(h) for h in (me, hr, own_manager, hiring_manager, colleague)] == [True, True, False, True, False]
    assert (await client.put(url, json={"open_to_move": "hidden"}, headers=me)).status_code == 200
    assert [await sees(h) for h in (me, hr, own_manager, hiring_manager, colleague)] == [
        True,
        False,
        False,
        False,
        False,
    ]
    got = (await client.get(url, headers=me)).json()
    assert got["open_to_move"] == "hidden"
    assert got["target_role_ids"] == []
    assert got["skill_ids"] == []


async def test_setting_aspirations(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    w = await build_world(client, hr, "s")
    url = f"/api/v1/employees/{w.employee['id']}/aspirations"
    me = auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(w.employee["id"]))
    boss = auth(tenant, UserRole.MANAGER, employee_id=uuid.UUID(w.manager["id"]))
    body = {
        "open_to_move": "hr_only",
        "target_role_ids": [w.senior["id"], w.junior["id"]],
        "skill_ids": [w.skill["id"]],
    }
    saved = (await client.put(url, json=body, headers=me)).json()
    assert sorted(saved["target_role_ids"]) == sorted([w.senior["id"], w.junior["id"]])
    problem(await client.put(url, json=body, headers=boss), 403)
    unknown = await client.put(
        url, json={"open_to_move": "hr_only", "target_role_ids": [str(uuid.uuid4())]}, headers=me
    )
    assert problem(unknown, 422)["errors"][0]["field"] == "target_role_ids"
    problem(await client.put(url, json={"open_to_move": "everyone"}, headers=me), 400)
    assert (await client.get(url, headers=me)).json()["target_role_ids"] == saved["target_role_ids"]


async def test_every_change_of_aspirations_is_audited_whoever_makes_it(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    w = await build_world(client, hr, "c")  # HR set her aspirations: hr_only, a target role, a skill
    employee_id = w.employee["id"]
    url = f"/api/v1/employees/{employee_id}/aspirations"
    me = auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(employee_id))

    async def changes() -> list[dict[str, object]]:
        response = await client.get(
            "/api/v1/audit-events",
            params={"subject_employee_id": employee_id, "action": "aspirations.changed"},
            headers=hr,
        )
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    # Her own change, HR's change of her open-to-move level, and a PUT that changes nothing.
    body = {"open_to_move": "hiring_managers", "target_role_ids": [w.junior["id"]], "skill_ids": [w.skill["id"]]}
    assert (await client.put(url, json=body, headers=me)).status_code == 200
    assert (await client.put(url, json={**body, "open_to_move": "hidden"}, headers=hr)).status_code == 200
    assert (await client.put(url, json={**body, "open_to_move": "hidden"}, headers=hr)).status_code == 200
    problem(
        await client.put(
            url, json=body, headers=auth(tenant, UserRole.MANAGER, employee_id=uuid.UUID(w.manager["id"]))
        ),
        403,
    )

    logged = await changes()
    assert [(e["actor_employee_id"], e["actor_subject"], e["details"]) for e in logged] == [
        (
            None,
            logged[0]["actor_subject"],
            {
                "changed": ["open_to_move", "target_role_ids", "skill_ids"],
                "open_to_move": {"before": "hidden", "after": "hr_only"},
            },
        ),
        (
            employee_id,
            f"employee:{employee_id}",
            {
                "changed": ["open_to_move", "target_role_ids"],
                "open_to_move": {"before": "hr_only", "after": "hiring_managers"},
            },
        ),
        (
            None,
            logged[2]["actor_subject"],
            {"changed": ["open_to_move"], "open_to_move": {"before": "hiring_managers", "after": "hidden"}},
        ),
    ]
    assert str(logged[0]["actor_subject"]).startswith("test:")
    assert logged[2]["actor_subject"] == logged[0]["actor_subject"]
    assert {(e["object_type"], e["object_id"]) for e in logged} == {("aspirations", employee_id)}
    # The log is HR's, and HR may not see a hidden search: which roles she aims at is not in it.
    assert w.junior["id"] not in str(logged)
    assert w.senior["id"] not in str(logged)
