"""Org units and employees: create, read, update, list with filters, and bad input."""

from __future__ import annotations

import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.world import build_world
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem

Client = AsyncTestClient[Litestar]


async def test_org_units_tree(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    hr = auth(make_tenant())
    w = await build_world(client, hr, "o")
    children = (await client.get(f"/api/v1/org-units?parent_id={w.department['id']}", headers=hr)).json()
    assert [u["name"] for u in children["items"]] == ["Analytics o"]
    teams = (await client.get("/api/v1/org-units?kind=team", headers=hr)).json()["items"]
    assert [u["id"] for u in teams] == [w.team["id"]]
    renamed = await client.patch(f"/api/v1/org-units/{w.team['id']}", json={"name": "Insights"}, headers=hr)
    assert renamed.json()["name"] == "Insights"
    assert renamed.json()["parent_id"] == w.department["id"]
    # The department cannot move below its own team.
    body = problem(
        await client.patch(f"/api/v1/org-units/{w.department['id']}", json={"parent_id": w.team["id"]}, headers=hr),
        422,
    )
    assert body["errors"][0]["field"] == "parent_id"
    problem(await client.post("/api/v1/org-units", json={"name": "X", "kind": "tribe"}, headers=hr), 400)
    problem(
        await client.post(
            "/api/v1/org-units", json={"name": "X", "kind": "team", "parent_id": str(uuid.uuid4())}, headers=hr
        ),
        422,
    )
    problem(await client.get(f"/api/v1/org-units/{uuid.uuid4()}", headers=hr), 404)


async def test_employees_crud_filters_and_deactivation(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    hr = auth(make_tenant())
    w = await build_world(client, hr, "e")
    got = (await client.get(f"/api/v1/employees/{w.employee['id']}", headers=hr)).json()
    assert got["manager_id"] == w.manager["id"]
    assert got["active"] is True
    reports = (await client.get(f"/api/v1/employees?manager_id={w.manager['id']}", headers=hr)).json()["items"]
    assert [e["id"] for e in reports] == [w.employee["id"]]
    # Both sit in the department's Analytics team: in the department's people, not placed in it itself.
    within = (await client.get(f"/api/v1/employees?within_org_unit_id={w.department['id']}", headers=hr)).json()
    assert {e["id"] for e in within["items"]} == {w.manager["id"], w.employee["id"]}
    assert (await client.get(f"/api/v1/employees?org_unit_id={w.department['id']}", headers=hr)).json()["items"] == []
    # Who may be named an opening's hiring manager: those with an active direct report.
    leads = (await client.get("/api/v1/employees?manages_people=true", headers=hr)).json()["items"]
    assert [e["id"] for e in leads] == [w.manager["id"]]
    others = (await client.get("/api/v1/employees?manages_people=false", headers=hr)).json()["items"]
    assert w.manager["id"] not in [e["id"] for e in others]
    assert w.employee["id"] in [e["id"] for e in others]
    found = (await client.get("/api/v1/employees?q=ANA", headers=hr)).json()["items"]
    assert [e["email"] for e in found] == ["ana.e@example.com"]
    assert (await client.get("/api/v1/employees?location=lisbon", headers=hr)).json()["items"][0]["id"] == w.employee[
        "id"
    ]

    left = await client.patch(f"/api/v1/employees/{w.employee['id']}", json={"active": False}, headers=hr)
    assert left.status_code == 200
    assert left.json()["active"] is False
    active = (await client.get("/api/v1/employees?active=true", headers=hr)).json()["items"]
    assert w.employee["id"] not in [e["id"] for e in active]
    # A manager whose only report has left manages nobody now.
    leads = (await client.get("/api/v1/employees?manages_people=true", headers=hr)).json()["items"]
    assert w.manager["id"] not in [e["id"] for e in leads]
    # Still there, with history: nobody is deleted.
    assert (await client.get(f"/api/v1/employees/{w.employee['id']}", headers=hr)).status_code == 200
    assert len((await client.get(f"/api/v1/employees/{w.employee['id']}/skills", headers=hr)).json()["items"]) == 1


async def test_employee_bad_input(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    hr = auth(make_tenant())
    w = await build_world(client, hr, "x")
    body = problem(await client.post("/api/v1/employees", json={"email": "nope", "full_name": "N"}, headers=hr), 400)
    assert any(e["field"].endswith("email") for e in body["errors"]), body
    body = problem(await client.post("/api/v1/employees", json={"full_name": "No Email"}, headers=hr), 400)
    assert "email" in body["detail"]
    problem(
        await client.post("/api/v1/employees", json={"email": "a@b.co", "full_name": "A", "level": 11}, headers=hr), 400
    )
    problem(
        await client.post("/api/v1/employees", json={"email": "a@b.co", "full_name": "A", "salary": 1}, headers=hr), 400
    )
    dupe = await client.post("/api/v1/employees", json={"email": "ANA.x@example.com", "full_name": "Twin"}, headers=hr)
    assert "already exists" in problem(dupe, 409)["detail"]
    cycle = await client.patch(
        f"/api/v1/employees/{w.manager['id']}", json={"manager_id": w.employee["id"]}, headers=hr
    )
    assert problem(cycle, 422)["errors"][0]["field"] == "manager_id"
    problem(
        await client.patch(f"/api/v1/employees/{w.employee['id']}", json={"role_id": str(uuid.uuid4())}, headers=hr),
        422,
    )
    problem(await client.get("/api/v1/employees/not-a-uuid", headers=hr), 404)
    problem(await client.get("/api/v1/employees?limit=0", headers=hr), 400)
    problem(await client.get("/api/v1/employees?cursor=%%%", headers=hr), 400)


async def test_me_is_the_token_employee(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    tenant = make_tenant()
    w = await build_world(client, auth(tenant), "m")
    me = await client.get("/api/v1/me", headers=auth(tenant, employee_id=uuid.UUID(w.employee["id"])))
    assert me.json()["email"] == "ana.m@example.com"
    problem(await client.get("/api/v1/me", headers=auth(tenant)), 403)
