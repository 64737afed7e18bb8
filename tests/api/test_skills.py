"""Catalogue search, the skill library, proficiency names, employee profiles with history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from tests.api.world import build_world
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem

Client = AsyncTestClient[Litestar]
SQL_SERVER = "http://data.europa.eu/esco/skill/c062bab3-3ea0-4291-9220-a2d8fef4bead"


async def test_catalogue_search_ranks_label_matches_first(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    employee = auth(make_tenant(), UserRole.EMPLOYEE)
    page = (await client.get("/api/v1/catalog/concepts?q=sql%20server&kind=skill&limit=5", headers=employee)).json()
    labels = [c["label"].lower() for c in page["items"]]
    assert labels, page
    assert labels[0].startswith("sql server"), labels
    assert page["cursor"] is None
    concept = next(c for c in page["items"] if c["uri"] == SQL_SERVER)
    assert (await client.get(f"/api/v1/catalog/concepts/{concept['id']}", headers=employee)).json() == concept
    # Alternative labels count: "MS SQL Server" is an alternative label of SQL Server.
    alt = (await client.get("/api/v1/catalog/concepts?q=ms%20sql%20server", headers=employee)).json()["items"]
    assert SQL_SERVER in [c["uri"] for c in alt]
    browse = (await client.get("/api/v1/catalog/concepts?limit=2", headers=employee)).json()
    assert len(browse["items"]) == 2
    assert browse["cursor"]
    # Wildcards in the search text are taken literally.
    assert (await client.get("/api/v1/catalog/concepts?q=%25%25%25", headers=employee)).json()["items"] == []


async def test_adopting_and_defining_skills(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    hr = auth(make_tenant())
    adopted = await client.post("/api/v1/skills", json={"catalog_uri": SQL_SERVER}, headers=hr)
    assert adopted.status_code == 201, adopted.text
    assert adopted.json()["catalog_uri"] == SQL_SERVER
    assert adopted.json()["label"].lower().startswith("sql server")
    problem(await client.post("/api/v1/skills", json={"catalog_uri": SQL_SERVER}, headers=hr), 409)
    problem(await client.post("/api/v1/skills", json={"catalog_uri": "http://example.com/nope"}, headers=hr), 422)
    problem(await client.post("/api/v1/skills", json={"description": "neither"}, headers=hr), 422)
    own = await client.post(
        "/api/v1/skills", json={"label": "Northwind WMS", "alt_labels": ["warehouse system"]}, headers=hr
    )
    assert own.status_code == 201
    assert own.json()["catalog_uri"] is None
    problem(await client.post("/api/v1/skills", json={"label": "northwind wms"}, headers=hr), 409)
    found = (await client.get("/api/v1/skills?q=warehouse", headers=hr)).json()["items"]
    assert [s["label"] for s in found] == ["Northwind WMS"]
    employee = auth(make_tenant(), UserRole.EMPLOYEE)
    problem(await client.post("/api/v1/skills", json={"label": "Nope"}, headers=employee), 403)


async def test_proficiency_scale_can_be_renamed(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    hr = auth(make_tenant())
    levels = (await client.get("/api/v1/proficiency-levels", headers=hr)).json()
    assert [lv["level"] for lv in levels] == [1, 2, 3, 4, 5]
    assert levels[4]["name"] == "Expert"
    renamed = await client.put("/api/v1/proficiency-levels/5", json={"name": "Master"}, headers=hr)
    assert renamed.json()["name"] == "Master"
    problem(await client.put("/api/v1/proficiency-levels/6", json={"name": "Beyond"}, headers=hr), 400)


async def test_profile_changes_keep_history(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    w = await build_world(client, hr, "p")
    url = f"/api/v1/employees/{w.employee['id']}/skills/{w.skill['id']}"
    before_change = datetime.now(UTC).isoformat()
    me = auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(w.employee["id"]))
    raised = await client.put(
        url, json={"level": 4, "source": "self", "evidence_url": "https://git.example/pr/1"}, headers=me
    )
    assert raised.status_code == 200, raised.text
    assert raised.json()["level"] == 4
    assert raised.json()["level_name"] == "Proficient"
    confirmed = await client.put(
        url, json={"level": 4, "source": "self", "evidence_url": "https://git.example/pr/1"}, headers=me
    )
    assert confirmed.json()["id"] == raised.json()["id"], "re-confirming the same level opens no new version"

    # Her own rating stands beside her manager's (from the world), which it does not close.
    current = (await client.get(f"/api/v1/employees/{w.employee['id']}/skills", headers=me)).json()["items"]
    assert [(s["skill_label"], s["level"], s["source"]) for s in current] == [
        ("Dashboards p", 3, "manager"),
        ("Dashboards p", 4, "self"),
    ]
    then = (
        await client.get(f"/api/v1/employees/{w.employee['id']}/skills", params={"at": before_change}, headers=me)
    ).json()["items"]
    assert [(s["level"], s["source"]) for s in then] == [(3, "manager")]
    history = (await client.get(f"/api/v1/employees/{w.employee['id']}/skills/history", headers=me)).json()["items"]
    assert [(h["level"], h["valid_to"] is None) for h in history] == [(3, True), (4, True)]

    # HR ends the skill: every rating of it, each recorded as ended by HR.
    assert (await client.delete(url, headers=hr)).status_code == 204
    assert (await client.get(f"/api/v1/employees/{w.employee['id']}/skills", headers=me)).json()["items"] == []
    history = (await client.get(f"/api/v1/employees/{w.employee['id']}/skills/history", headers=me)).json()["items"]
    assert len(history) == 2
    assert all(h["valid_to"] is not None and h["ended_by"].startswith("test:") for h in history)
    problem(await client.delete(url, headers=hr), 404)


async def test_who_may_change_a_profile(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    tenant = make_tenant()
    w = await build_world(client, auth(tenant), "w")
    url = f"/api/v1/employees/{w.employee['id']}/skills/{w.skill['id']}"
    me = auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(w.employee["id"]))
    boss = auth(tenant, UserRole.MANAGER, employee_id=uuid.UUID(w.manager["id"]))
    peer = auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(w.manager["id"]))
    assert (
        problem(await client.put(url, json={"level": 5, "source": "assessment"}, headers=me), 422)["errors"][0]["field"]
        == "source"
    )
    assert (await client.put(url, json={"level": 2, "source": "manager"}, headers=boss)).status_code == 200
    problem(await client.put(url, json={"level": 5, "source": "self"}, headers=boss), 422)
    # The manager, acting as a plain employee, may not edit someone else's profile.
    problem(
        await client.put(
            f"/api/v1/employees/{w.employee['id']}/skills/{w.skill['id']}",
            json={"level": 5, "source": "self"},
            headers=peer,
        ),
        403,
    )
    problem(await client.put(url, json={"level": 0, "source": "self"}, headers=me), 400)
    problem(
        await client.put(url, json={"level": 3, "source": "self", "evidence_url": "javascript:alert(1)"}, headers=me),
        400,
    )
    problem(await client.put(url, json={"level": 3, "source": "self", "last_confirmed": "2999-01-01"}, headers=me), 422)
    problem(
        await client.put(
            f"/api/v1/employees/{w.employee['id']}/skills/{uuid.uuid4()}",
            json={"level": 3, "source": "self"},
            headers=me,
        ),
        404,
    )
