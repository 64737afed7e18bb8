"""What mentoring tells people: publishing a run tells both members of every pair who the other is and
why they were paired, and every waitlisted mentee their place and why; a pairing that ends (by its
members, by HR, by a re-match) tells its members, not the one who ended it. Each once, however often
the request is sent again."""

from __future__ import annotations

import uuid
from typing import Any

from backend.auth.principal import UserRole
from tenants.sessions import Database
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.mentoring.seed import compute
from tests.mentoring.test_api import API, Client, ok


async def test_publishing_and_ending_pairings_tell_the_people_in_them(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, database: Database
) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    post, get = client.post, client.get

    async def unit(name: str) -> str:
        return str(
            (await ok(await post(f"{API}/org-units", json={"name": name, "kind": "department"}, headers=hr), 201))["id"]
        )

    data, sales = await unit("Data"), await unit("Sales")
    sql = await ok(await post(f"{API}/skills", json={"label": "SQL"}, headers=hr), 201)

    async def person(name: str, unit_id: str) -> tuple[str, dict[str, str]]:
        body = {"email": f"{name}@example.com", "full_name": name.title(), "org_unit_id": unit_id}
        created = await ok(await post(f"{API}/employees", json=body, headers=hr), 201)
        return created["id"], auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(created["id"]))

    mia, mia_h = await person("mia", sales)
    ana, ana_h = await person("ana", data)
    _, leo_h = await person("leo", data)
    zoe, zoe_h = await person("zoe", data)
    for who, level in ((mia, 4), (ana, 2)):
        await ok(
            await client.put(
                f"{API}/employees/{who}/skills/{sql['id']}", json={"level": level, "source": "manager"}, headers=hr
            )
        )

    async def told(headers: dict[str, str], kind: str | None = None) -> list[dict[str, Any]]:
        items = (await ok(await get(f"{API}/me/notifications?limit=200", headers=headers)))["items"]
        return [n for n in items if kind is None or n["kind"] == kind]

    programme = await ok(
        await post(
            f"{API}/mentoring/programmes",
            json={"name": "Data mentoring", "kind": "evergreen", "status": "open"},
            headers=hr,
        ),
        201,
    )
    pid = programme["id"]
    await ok(
        await post(
            f"{API}/mentoring/programmes/{pid}/mentor-profiles",
            json={"languages": ["en"], "capacity": 2, "skill_ids": [sql["id"]]},
            headers=mia_h,
        ),
        201,
    )
    requests = f"{API}/mentoring/programmes/{pid}/mentee-requests"
    await ok(
        await post(requests, json={"goals": "SQL", "languages": ["en"], "skill_ids": [sql["id"]]}, headers=ana_h), 201
    )
    await ok(await post(requests, json={"goals": "More SQL", "languages": ["en"]}, headers=zoe_h), 201)
    leo_request = await ok(await post(requests, json={"goals": "Learn", "languages": ["de"]}, headers=leo_h), 201)

    run = await ok(await post(f"{API}/mentoring/programmes/{pid}/runs", json={}, headers=hr), 202)
    await compute(database, tenant, uuid.UUID(run["id"]))
    # A proposed run is HR's to review: nobody is told anything yet.
    for headers in (mia_h, ana_h, zoe_h, leo_h):
        assert await told(headers) == []

    run_url = f"{API}/mentoring/runs/{run['id']}"
    await ok(await post(f"{run_url}/publish", headers=hr))
    pairs = {p["mentee_employee_id"]: p for p in (await ok(await get(f"{run_url}/pairings", headers=hr)))["items"]}
    assert set(pairs) == {ana, zoe}

    [to_ana] = await told(ana_h, "mentoring.paired")
    assert to_ana["title"] == "Mia is your mentor in Data mentoring"
    assert "Mentor is level 4 in SQL, you are level 2" in to_ana["body"]
    assert to_ana["data"]["role"] == "mentee"
    assert (to_ana["data"]["pairing_id"], to_ana["data"]["mentor_employee_id"]) == (pairs[ana]["id"], mia)
    assert to_ana["data"]["reasons"] == pairs[ana]["reasons"]
    to_mia = await told(mia_h, "mentoring.paired")
    assert sorted(n["title"] for n in to_mia) == [
        "You are Ana's mentor in Data mentoring",
        "You are Zoe's mentor in Data mentoring",
    ]
    assert {n["data"]["role"] for n in to_mia} == {"mentor"}
    assert {n["data"]["mentee_employee_id"] for n in to_mia} == {ana, zoe}
    assert len(await told(zoe_h, "mentoring.paired")) == 1
    [to_leo] = await told(leo_h)
    assert to_leo["kind"] == "mentoring.waitlisted"
    assert to_leo["body"] == (
        "You are number 1 on the waitlist of Data mentoring. Why: no mentor shares a language with you."
    )
    assert to_leo["data"]["mentee_request_id"] == leo_request["id"]

    # Publishing again is refused and tells nobody twice.
    problem(await post(f"{run_url}/publish", headers=hr), 409)
    assert len(await told(mia_h)) == 2
    assert len(await told(ana_h)) == 1
    assert len(await told(leo_h)) == 1

    # Ana ends her pairing: Mia is told, with the reason; Ana, who ended it, is not.
    ana_pair = f"{API}/mentoring/pairings/{pairs[ana]['id']}"
    await ok(await post(f"{ana_pair}/end", json={"reason": "goals reached"}, headers=ana_h))
    [ended] = await told(mia_h, "mentoring.pairing_ended")
    assert ended["title"] == "Your mentoring with Ana has ended"
    assert ended["body"] == "Your pairing with Ana in Data mentoring has ended. Reason: goals reached."
    assert await told(ana_h, "mentoring.pairing_ended") == []
    # Ending it again changes nothing and tells nobody again.
    await ok(await post(f"{ana_pair}/end", json={}, headers=ana_h))
    assert len(await told(mia_h, "mentoring.pairing_ended")) == 1

    # HR re-matches Zoe: both members are told.
    zoe_pair = f"{API}/mentoring/pairings/{pairs[zoe]['id']}"
    await ok(await post(f"{zoe_pair}/rematch", json={}, headers=hr))
    assert [n["data"]["other_employee_id"] for n in await told(zoe_h, "mentoring.pairing_ended")] == [mia]
    assert sorted(n["data"]["other_employee_id"] for n in await told(mia_h, "mentoring.pairing_ended")) == sorted(
        [ana, zoe]
    )
    assert "Reason: re-matching." in (await told(zoe_h, "mentoring.pairing_ended"))[0]["body"]
