"""People who have left stay readable by HR: their next roles and their applications are scored like
anyone's (the engine is given exactly the people asked for), never a server error."""

from __future__ import annotations

from backend.auth.principal import UserRole
from tests.conftest import TokenFactory
from tests.matching.test_recommendations import API, Client, ok
from tests.matching.world import World


async def test_hr_reads_a_leavers_next_roles(client: Client, auth: TokenFactory, world: World) -> None:
    hr = auth(world.tenant, UserRole.HR_ADMIN)
    url = f"{API}/employees/{world.people['ana']}/next-roles"
    before = await ok(await client.get(url, headers=hr))
    await ok(await client.patch(f"{API}/employees/{world.people['ana']}", json={"active": False}, headers=hr))
    after = await ok(await client.get(url, headers=hr))
    assert [item["title"] for item in after["items"]] == [item["title"] for item in before["items"]]
    assert {item["title"] for item in after["items"]} == {"Analyst", "Senior Analyst"}
    assert [item["match"]["score"] for item in after["items"]] == [item["match"]["score"] for item in before["items"]]


async def test_an_applicant_who_left_stays_in_the_ranked_list(client: Client, auth: TokenFactory, world: World) -> None:
    hr = auth(world.tenant, UserRole.HR_ADMIN)
    dan = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["dan"])
    await ok(await client.post(f"{API}/opportunities/{world.analyst}/applications", json={}, headers=dan), 201)
    await ok(await client.patch(f"{API}/employees/{world.people['dan']}", json={"active": False}, headers=hr))
    listed = await ok(await client.get(f"{API}/opportunities/{world.analyst}/applications", headers=hr))
    [item] = listed["items"]
    assert item["employee_id"] == str(world.people["dan"])
    assert item["match"]["required_total"] == 2
