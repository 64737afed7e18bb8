"""What matching serves holds now, not as of the last recompute: recommendations and candidate lists
follow the openings' status, deadline and visibility and the people's state as they are when read;
the aspirations factor of a ranked list counts only what the caller may see of each person's
aspirations; the open-to-move signal reaches a hiring manager only through the manager role."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from backend.aspirations.models import AspirationSkill
from backend.auth.principal import Principal, UserRole, scopes_for
from backend.marketplace.models import Opportunity, OpportunityStatus
from backend.matching.serving import MatchServingService
from tenants.sessions import Database
from tests.conftest import TokenFactory
from tests.helpers import problem
from tests.matching.test_recommendations import API, Client, ok
from tests.matching.world import World


async def recommended(client: Client, headers: dict[str, str]) -> set[uuid.UUID]:
    body = await ok(await client.get(f"{API}/me/recommendations", headers=headers))
    return {uuid.UUID(item["opportunity"]["id"]) for item in body["items"]}


async def candidates(client: Client, world: World, opening: uuid.UUID, headers: dict[str, str]) -> set[str]:
    names = {value: key for key, value in world.people.items()}
    body = await ok(await client.get(f"{API}/opportunities/{opening}/candidates", headers=headers))
    return {names[uuid.UUID(item["employee"]["id"])] for item in body["items"]}


async def unit_id(client: Client, hr: dict[str, str], name: str) -> str:
    units = await ok(await client.get(f"{API}/org-units", params={"q": name}, headers=hr))
    return str(next(u["id"] for u in units["items"] if u["name"] == name))


async def test_recommendations_hold_when_read(
    client: Client, auth: TokenFactory, world: World, database: Database
) -> None:
    hr = auth(world.tenant, UserRole.HR_ADMIN)

    def person(name: str) -> dict[str, str]:
        return auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people[name])

    both = {world.analyst, world.sales_project}
    assert await recommended(client, person("ben")) == both
    assert await recommended(client, person("cara")) == both
    assert await recommended(client, person("dan")) == both

    # The Sales project now asks for level 5 and above: Ben (4) no longer sees it, before any recompute.
    await ok(await client.patch(f"{API}/opportunities/{world.sales_project}", json={"min_level": 5}, headers=hr))
    assert await recommended(client, person("ben")) == {world.analyst}
    await ok(await client.patch(f"{API}/opportunities/{world.sales_project}", json={"min_level": None}, headers=hr))
    # Cara moves to Data: the Sales project is for Sales only.
    data = await unit_id(client, hr, "Data")
    await ok(await client.patch(f"{API}/employees/{world.people['cara']}", json={"org_unit_id": data}, headers=hr))
    assert await recommended(client, person("cara")) == {world.analyst}
    # Dan applies to the analyst gig: it is no longer a suggestion, it is his application.
    await ok(
        await client.post(f"{API}/opportunities/{world.analyst}/applications", json={}, headers=person("dan")), 201
    )
    assert await recommended(client, person("dan")) == {world.sales_project}
    # Past its deadline, filled or closed: gone at once.
    async with database.tenant_session(world.tenant) as session, session.begin():
        await session.execute(
            update(Opportunity)
            .where(Opportunity.id == world.sales_project)
            .values(closes_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    assert await recommended(client, person("dan")) == set()
    assert await recommended(client, person("ben")) == {world.analyst}
    async with database.tenant_session(world.tenant) as session, session.begin():
        await session.execute(
            update(Opportunity).where(Opportunity.id == world.analyst).values(status=OpportunityStatus.FILLED)
        )
    assert await recommended(client, person("ben")) == set()
    # A person who left is recommended nothing: their credentials end with their deactivation, and the
    # service itself serves nobody inactive, whoever asks on their behalf.
    await ok(await client.patch(f"{API}/employees/{world.people['ana']}", json={"active": False}, headers=hr))
    problem(await client.get(f"{API}/me/recommendations", headers=person("ana")), 401)
    ana = Principal(
        tenant=world.tenant,
        subject=f"employee:{world.people['ana']}",
        employee_id=world.people["ana"],
        roles=frozenset({UserRole.EMPLOYEE}),
        scopes=scopes_for(frozenset({UserRole.EMPLOYEE})),
    )
    async with database.tenant_session(world.tenant) as session, session.begin():
        assert (await MatchServingService(session).recommendations(ana)).items == []


async def test_candidates_hold_when_read(client: Client, auth: TokenFactory, world: World) -> None:
    hr = auth(world.tenant, UserRole.HR_ADMIN)
    assert await candidates(client, world, world.analyst, hr) == {"ana", "ben", "dan"}
    assert await candidates(client, world, world.sales_project, hr) == {"ben", "dan"}

    # Ana applied since: she is an applicant, not a candidate.
    ana = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ana"])
    await ok(await client.post(f"{API}/opportunities/{world.analyst}/applications", json={}, headers=ana), 201)
    assert await candidates(client, world, world.analyst, hr) == {"ben", "dan"}
    # Dan's level drops below the opening's new bound.
    await ok(await client.patch(f"{API}/opportunities/{world.analyst}", json={"min_level": 3}, headers=hr))
    await ok(await client.patch(f"{API}/employees/{world.people['dan']}", json={"level": 2}, headers=hr))
    assert await candidates(client, world, world.analyst, hr) == {"ben"}
    # The opening is narrowed to Data: Ben, in Sales, may no longer see it.
    data = await unit_id(client, hr, "Data")
    await ok(
        await client.patch(f"{API}/opportunities/{world.analyst}", json={"visibility_unit_ids": [data]}, headers=hr)
    )
    assert await candidates(client, world, world.analyst, hr) == set()
    # Ben leaves: never a candidate again.
    await ok(await client.patch(f"{API}/employees/{world.people['ben']}", json={"active": False}, headers=hr))
    assert await candidates(client, world, world.sales_project, hr) == {"dan"}
    # A closed opening takes no applications, so it has no candidates.
    await ok(await client.patch(f"{API}/employees/{world.people['ben']}", json={"active": True}, headers=hr))
    assert await candidates(client, world, world.sales_project, hr) == {"ben", "dan"}
    await ok(await client.post(f"{API}/opportunities/{world.sales_project}/close", headers=hr))
    assert await candidates(client, world, world.sales_project, hr) == set()


async def test_the_aspirations_factor_of_applicants_counts_what_the_caller_may_see(
    client: Client, auth: TokenFactory, world: World, database: Database
) -> None:
    # Everyone wants to grow Tableau, which the analyst gig asks for; each chose a different audience.
    async with database.tenant_session(world.tenant) as session, session.begin():
        for name in ("ana", "ben", "cara", "dan"):
            session.add(AspirationSkill(employee_id=world.people[name], skill_id=world.skills["Tableau"]))
    url = f"{API}/opportunities/{world.analyst}/applications"
    for name in ("ana", "ben", "cara", "dan"):
        applicant = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people[name])
        await ok(await client.post(url, json={}, headers=applicant), 201)
    names = {str(value): key for key, value in world.people.items()}

    async def aspirations(headers: dict[str, str]) -> dict[str, float]:
        items = (await ok(await client.get(url, headers=headers)))["items"]
        return {names[item["employee_id"]]: item["match"]["factors"]["aspirations"] for item in items}

    hm = auth(world.tenant, UserRole.MANAGER, employee_id=world.people["hm"])
    # The hiring manager: Dan's (open to hiring managers) only; Ana's are hidden from her own manager,
    # Ben's are for HR, Cara's for nobody.
    by_hm = await aspirations(hm)
    assert by_hm["dan"] > 0
    assert (by_hm["ana"], by_hm["ben"], by_hm["cara"]) == (0, 0, 0)
    # HR: everyone's but the hidden.
    by_hr = await aspirations(auth(world.tenant, UserRole.HR_ADMIN))
    assert min(by_hr["ana"], by_hr["ben"], by_hr["dan"]) > 0
    assert by_hr["cara"] == 0
    # The same hiring manager signed in without the manager role sees nobody's.
    hm_as_employee = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["hm"])
    assert set((await aspirations(hm_as_employee)).values()) == {0}


async def test_a_hiring_manager_without_the_manager_role_sees_no_candidates(
    client: Client, auth: TokenFactory, world: World
) -> None:
    url = f"{API}/opportunities/{world.analyst}/candidates"
    hm_as_employee = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["hm"])
    problem(await client.get(url, headers=hm_as_employee), 403)
    hm = auth(world.tenant, UserRole.MANAGER, employee_id=world.people["hm"])
    assert [c["employee"]["id"] for c in (await ok(await client.get(url, headers=hm)))["items"]] == [
        str(world.people["dan"])
    ]
