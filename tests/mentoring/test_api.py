"""The mentoring API: who may do what, the states of a pairing, and tenant isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from tenants.sessions import Database
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.mentoring.seed import compute

Client = AsyncTestClient[Litestar]
API = "/api/v1"


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_a_programme_from_enrolment_to_rematch(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, database: Database
) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    post, get = client.post, client.get

    async def unit(name: str) -> str:
        body = await ok(await post(f"{API}/org-units", json={"name": name, "kind": "department"}, headers=hr), 201)
        return str(body["id"])

    data, sales = await unit("Data"), await unit("Sales")
    family = await ok(await post(f"{API}/job-families", json={"name": "Analytics"}, headers=hr), 201)
    senior = await ok(
        await post(
            f"{API}/roles", json={"job_family_id": family["id"], "title": "Senior Analyst", "level": 3}, headers=hr
        ),
        201,
    )
    sql = await ok(await post(f"{API}/skills", json={"label": "SQL"}, headers=hr), 201)

    async def person(name: str, unit_id: str, **extra: Any) -> tuple[str, dict[str, str]]:
        body = {"email": f"{name}@example.com", "full_name": name.title(), "org_unit_id": unit_id, **extra}
        created = await ok(await post(f"{API}/employees", json=body, headers=hr), 201)
        return created["id"], auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(created["id"]))

    boss, boss_h = await person("boss", data)
    ana, ana_h = await person("ana", data, manager_id=boss)
    mia, mia_h = await person("mia", sales, role_id=senior["id"])
    leo, leo_h = await person("leo", sales)
    for who, level in ((mia, 4), (ana, 2), (boss, 5)):
        await ok(
            await client.put(
                f"{API}/employees/{who}/skills/{sql['id']}", json={"level": level, "source": "manager"}, headers=hr
            )
        )

    programme_body = {
        "name": "Data mentoring",
        "kind": "evergreen",
        "status": "open",
        "require_different_department": True,
        "goals": "Grow analysts",
    }
    problem(await post(f"{API}/mentoring/programmes", json=programme_body, headers=ana_h), 403)
    programme = await ok(await post(f"{API}/mentoring/programmes", json=programme_body, headers=hr), 201)
    assert programme["weights"]["skill_lead"] == 0.4
    pid = programme["id"]
    profiles = f"{API}/mentoring/programmes/{pid}/mentor-profiles"
    requests = f"{API}/mentoring/programmes/{pid}/mentee-requests"

    mia_profile = await ok(
        await post(profiles, json={"languages": ["en"], "capacity": 1, "skill_ids": [sql["id"]]}, headers=mia_h), 201
    )
    await ok(await post(profiles, json={"languages": ["en"], "capacity": 3}, headers=boss_h), 201)
    problem(await post(profiles, json={"languages": ["en"]}, headers=mia_h), 409)
    # Nobody enrols someone else, or edits someone else's profile, but HR.
    problem(await post(profiles, json={"languages": ["en"], "employee_id": leo}, headers=ana_h), 403)
    problem(await client.patch(f"{API}/mentoring/mentor-profiles/{mia_profile['id']}", json={}, headers=ana_h), 403)
    edited = await ok(
        await client.patch(
            f"{API}/mentoring/mentor-profiles/{mia_profile['id']}", json={"topics": ["career"]}, headers=mia_h
        )
    )
    assert edited["topics"] == ["career"]
    assert edited["skill_ids"] == [sql["id"]]

    ana_request = await ok(
        await post(
            requests,
            json={
                "goals": "Become a senior analyst",
                "languages": ["en"],
                "skill_ids": [sql["id"]],
                "target_role_id": senior["id"],
            },
            headers=ana_h,
        ),
        201,
    )
    leo_request = await ok(await post(requests, json={"goals": "Learn", "languages": ["de"]}, headers=leo_h), 201)
    problem(await get(f"{API}/mentoring/mentee-requests/{leo_request['id']}", headers=ana_h), 404)
    assert [r["id"] for r in (await ok(await get(requests, headers=ana_h)))["items"]] == [ana_request["id"]]
    assert len((await ok(await get(requests, headers=hr)))["items"]) == 2

    # Runs are HR's: started with 202 and a job to follow.
    runs = f"{API}/mentoring/programmes/{pid}/runs"
    problem(await post(runs, json={}, headers=ana_h), 403)
    run = await ok(await post(runs, json={}, headers=hr), 202)
    assert run["status"] == "queued"
    assert run["job_id"]
    assert (await ok(await get(f"{API}/jobs/{run['job_id']}", headers=hr)))["kind"] == "mentoring.pairing_run"
    await compute(database, tenant, uuid.UUID(run["id"]))

    run_url = f"{API}/mentoring/runs/{run['id']}"
    problem(await get(run_url, headers=ana_h), 404)
    got = await ok(await get(run_url, headers=hr))
    assert (got["status"], got["matched"], got["unmatched"]) == ("proposed", 1, 1)
    [pair] = (await ok(await get(f"{run_url}/pairings", headers=hr)))["items"]
    # Not the boss: he is in Ana's reporting line (and her department).
    assert (pair["mentor_employee_id"], pair["mentee_employee_id"], pair["state"]) == (mia, ana, "proposed")
    sentences = pair["reasons"]["sentences"]
    assert "Mentor is level 4 in SQL, you are level 2" in sentences
    assert "Mentor wants to teach SQL" in sentences
    assert "Mentor is a Senior Analyst, the role you aim for" in sentences
    assert set(pair["reasons"]["factors"]) == {"skill_lead", "wants_to_teach", "made_the_move", "time_zone_overlap"}
    [waiting] = (await ok(await get(f"{run_url}/waitlist", headers=hr)))["items"]
    assert (waiting["mentee_request_id"], waiting["position"], waiting["reason_code"]) == (
        leo_request["id"],
        1,
        "no_shared_language",
    )

    # Proposed pairs are HR's until published; employees cannot publish.
    pairing_url = f"{API}/mentoring/pairings/{pair['id']}"
    problem(await get(pairing_url, headers=ana_h), 404)
    assert (await ok(await get(f"{API}/mentoring/pairings", headers=ana_h)))["items"] == []
    problem(await post(f"{run_url}/publish", headers=ana_h), 403)
    published = await ok(await post(f"{run_url}/publish", headers=hr))
    assert published["status"] == "published"
    problem(await post(f"{run_url}/publish", headers=hr), 409)
    problem(await post(f"{run_url}/discard", headers=hr), 409)

    assert (await ok(await get(pairing_url, headers=ana_h)))["state"] == "published"
    assert [p["id"] for p in (await ok(await get(f"{API}/mentoring/pairings", headers=mia_h)))["items"]] == [pair["id"]]
    problem(await get(pairing_url, headers=leo_h), 404)
    assert (await ok(await get(f"{API}/mentoring/mentee-requests/{ana_request['id']}", headers=ana_h)))[
        "status"
    ] == "matched"
    leo_now = await ok(await get(f"{API}/mentoring/mentee-requests/{leo_request['id']}", headers=leo_h))
    assert (leo_now["status"], leo_now["waitlist_position"]) == ("waitlisted", 1)
    assert leo_now["waitlist_reason"] == "no mentor shares a language with you"

    # Check-ins are the pair's: the first makes the pairing active.
    check_ins = f"{pairing_url}/check-ins"
    today = datetime.now(UTC).date().isoformat()
    problem(await post(check_ins, json={"happened_on": today}, headers=leo_h), 404)
    problem(await post(check_ins, json={"happened_on": today}, headers=hr), 403)
    problem(await post(check_ins, json={"happened_on": today, "rating": 6}, headers=mia_h), 400)
    await ok(await post(check_ins, json={"happened_on": today, "notes": "Good start", "rating": 5}, headers=mia_h), 201)
    assert (await ok(await get(pairing_url, headers=ana_h)))["state"] == "active"
    assert len((await ok(await get(check_ins, headers=hr)))["items"]) == 1
    problem(await post(f"{API}/mentoring/mentee-requests/{ana_request['id']}/withdraw", headers=ana_h), 409)

    # The mentor cannot ask for a new mentor for Ana; Ana can: the pair ends, Mia is excluded.
    problem(await post(f"{pairing_url}/rematch", json={}, headers=mia_h), 403)
    problem(await post(f"{pairing_url}/rematch", json={"run_now": True}, headers=ana_h), 403)
    rematched = await ok(await post(f"{pairing_url}/rematch", json={"reason": "other focus"}, headers=ana_h))
    assert rematched["pairing"]["state"] == "ended"
    assert rematched["pairing"]["end_reason"] == "other focus"
    assert rematched["request"]["status"] == "open"
    assert rematched["request"]["excluded_mentor_ids"] == [mia]
    assert rematched["run"] is None
    problem(await post(check_ins, json={"happened_on": today}, headers=ana_h), 409)

    # HR re-runs the pool at once: Ana has nobody left (the boss is in her line, Mia excluded).
    again = await ok(await post(f"{pairing_url}/rematch", json={"run_now": True}, headers=hr))
    assert again["run"]["status"] == "queued"
    await compute(database, tenant, uuid.UUID(again["run"]["id"]))
    codes = {
        w["mentee_request_id"]: w["reason_code"]
        for w in (await ok(await get(f"{API}/mentoring/runs/{again['run']['id']}/waitlist", headers=hr)))["items"]
    }
    assert codes == {ana_request["id"]: "excluded", leo_request["id"]: "no_shared_language"}

    # Another tenant's HR sees none of it.
    other = auth(make_tenant())
    for url in (
        f"{API}/mentoring/programmes/{pid}",
        f"{API}/mentoring/mentor-profiles/{mia_profile['id']}",
        f"{API}/mentoring/mentee-requests/{ana_request['id']}",
        run_url,
        pairing_url,
        check_ins,
    ):
        problem(await get(url, headers=other), 404)
    problem(await client.patch(f"{API}/mentoring/programmes/{pid}", json={"name": "x"}, headers=other), 404)
    problem(await post(runs, json={}, headers=other), 404)
    problem(await post(f"{run_url}/publish", headers=other), 404)
    problem(await post(f"{pairing_url}/end", json={}, headers=other), 404)
    assert (await ok(await get(f"{API}/mentoring/pairings", headers=other)))["items"] == []


async def test_enrolment_follows_the_programme(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    body = {"email": "e@x.example", "full_name": "E"}
    me = await ok(await client.post(f"{API}/employees", json=body, headers=hr), 201)
    mine = auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(me["id"]))
    problem(await client.post(f"{API}/mentoring/programmes", json={"name": "C", "kind": "cohort"}, headers=hr), 422)
    past = date.today() - timedelta(days=30)
    cohort = {
        "name": "Spring cohort",
        "kind": "cohort",
        "starts_on": past.isoformat(),
        "ends_on": (past + timedelta(days=90)).isoformat(),
        "enrolment_closes": (past + timedelta(days=7)).isoformat(),
    }
    draft = await ok(await client.post(f"{API}/mentoring/programmes", json=cohort, headers=hr), 201)
    url = f"{API}/mentoring/programmes/{draft['id']}"
    request = {"goals": "Grow", "languages": ["en"]}
    # A draft is invisible to employees; an open programme past its enrolment window refuses them.
    problem(await client.get(url, headers=mine), 404)
    assert (await ok(await client.get(f"{API}/mentoring/programmes", headers=mine)))["items"] == []
    await ok(await client.patch(url, json={"status": "open"}, headers=hr))
    problem(await client.post(f"{url}/mentee-requests", json=request, headers=mine), 409)
    await ok(await client.patch(url, json={"enrolment_closes": None}, headers=hr))
    bad = await client.post(f"{url}/mentee-requests", json={**request, "languages": ["English"]}, headers=mine)
    assert problem(bad, 422)["errors"][0]["field"] == "languages"
    filed = await ok(await client.post(f"{url}/mentee-requests", json=request, headers=mine), 201)
    withdrawn = await ok(await client.post(f"{API}/mentoring/mentee-requests/{filed['id']}/withdraw", headers=mine))
    assert withdrawn["status"] == "withdrawn"
    # Filed again in place: one request per person and programme.
    again = await ok(await client.post(f"{url}/mentee-requests", json=request, headers=mine), 201)
    assert (again["id"], again["status"]) == (filed["id"], "open")
    problem(await client.patch(url, json={"ends_on": "2000-01-01"}, headers=hr), 422)
