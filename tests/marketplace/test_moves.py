"""A hire into a role updates the person's role, title, level and org unit from the opening on the
move's effective date, kept as a move in their history; gigs leave the person's job alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from backend.marketplace.moves import MoveService
from tenants.sessions import Database
from tests.helpers import problem
from tests.marketplace.market import API, Client, Market, ok, rows


async def role_opening(m: Market, client: Client, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "Senior Analyst, Sales",
        "kind": "role",
        "role_id": m.role["id"],
        "description": "Own the sales analytics.",
        "org_unit_id": m.units["Sales"],
        "level": 5,
        **fields,
    }
    created = await ok(await client.post(f"{API}/opportunities", json=body, headers=m.as_("hm")), 201)
    return dict(await ok(await client.post(f"{API}/opportunities/{created['id']}/open", headers=m.as_("hm"))))


async def employee(m: Market, client: Client, name: str) -> tuple[Any, ...]:
    got = await ok(await client.get(f"{API}/employees/{m.people[name]}", headers=m.hr))
    return got["role_id"], got["title"], got["level"], got["org_unit_id"]


async def test_a_hire_into_a_role_moves_the_person_now(m: Market, client: Client, owner_engine: Engine) -> None:
    await m.set_policy("never_before_move")
    opening = await role_opening(m, client)
    application = await m.apply(opening["id"], "ana")
    assert await employee(m, client, "ana") == (None, None, 3, m.units["Analytics"])
    await ok(await m.move(application["id"], "offer"))
    await ok(await m.move(application["id"], "hired"))
    assert await employee(m, client, "ana") == (m.role["id"], "Senior Analyst, Sales", 5, m.units["Sales"])

    # Her history shows the move, to her, her managers and HR; to nobody else.
    moves_url = f"{API}/employees/{m.people['ana']}/moves"
    [move] = (await ok(await client.get(moves_url, headers=m.as_("ana"))))["items"]
    today = datetime.now(UTC).date().isoformat()
    assert {k: move[k] for k in ("from_role_id", "to_role_id", "from_title", "to_title", "from_level", "to_level")} == {
        "from_role_id": None,
        "to_role_id": m.role["id"],
        "from_title": None,
        "to_title": "Senior Analyst, Sales",
        "from_level": 3,
        "to_level": 5,
    }
    assert (move["from_org_unit_id"], move["to_org_unit_id"]) == (m.units["Analytics"], m.units["Sales"])
    assert (move["effective_on"], move["updates_employee"], move["applied_at"] is not None) == (today, True, True)
    for headers in (m.as_("lead"), m.as_("ceo"), m.hr):
        assert (await ok(await client.get(moves_url, headers=headers)))["items"] == [move]
    for name in ("tom", "hm"):
        problem(await client.get(moves_url, headers=m.as_(name)), 404)
    # The change reaches matching through the org service, like any edit of the person.
    reasons = {r[0] for r in rows(owner_engine, m.tenant, "SELECT reason FROM matching_changes")}
    assert "employee.changed" in reasons


async def test_a_move_effective_later_takes_effect_on_its_day(m: Market, client: Client, database: Database) -> None:
    # At offer Lead releases Ana from a week ahead: the move waits for that day.
    opening = await role_opening(m, client, level=None, org_unit_id=None)
    application = await m.apply(opening["id"], "ana")
    await ok(await m.move(application["id"], "offer"))
    release_on = (datetime.now(UTC) + timedelta(days=7)).date()
    await ok(
        await client.post(
            f"{API}/applications/{application['id']}/release",
            json={"action": "release", "release_on": str(release_on)},
            headers=m.as_("lead"),
        )
    )
    await ok(await m.move(application["id"], "hired"))
    before = await employee(m, client, "ana")
    assert before == (None, None, 3, m.units["Analytics"])
    [move] = (await ok(await client.get(f"{API}/employees/{m.people['ana']}/moves", headers=m.hr)))["items"]
    assert (move["effective_on"], move["applied_at"]) == (str(release_on), None)
    # The opening names no level nor unit: the role's level is taken, the unit stays.
    assert (move["to_level"], move["to_org_unit_id"]) == (4, None)

    # The nightly job applies what is due: nothing the day before, the move on its day, and only once.
    async with database.tenant_session(m.tenant) as session, session.begin():
        assert await MoveService(session).apply_due(release_on - timedelta(days=1)) == 0
    assert await employee(m, client, "ana") == before
    async with database.tenant_session(m.tenant) as session, session.begin():
        assert await MoveService(session).apply_due(release_on) == 1
    assert await employee(m, client, "ana") == (m.role["id"], "Senior Analyst, Sales", 4, m.units["Analytics"])
    async with database.tenant_session(m.tenant) as session, session.begin():
        assert await MoveService(session).apply_due(release_on) == 0
    [applied] = (await ok(await client.get(f"{API}/employees/{m.people['ana']}/moves", headers=m.hr)))["items"]
    assert applied["applied_at"] is not None


async def test_a_gig_leaves_the_persons_job_alone(m: Market, client: Client) -> None:
    await m.set_policy("never_before_move")
    opening = await m.opening(org_unit_id=m.units["Sales"])
    application = await m.apply(opening["id"], "ana")
    await ok(await m.move(application["id"], "offer"))
    await ok(await m.move(application["id"], "hired"))
    assert await employee(m, client, "ana") == (None, None, 3, m.units["Analytics"])
    [move] = (await ok(await client.get(f"{API}/employees/{m.people['ana']}/moves", headers=m.as_("ana"))))["items"]
    assert (move["kind"], move["updates_employee"], move["applied_at"], move["to_title"]) == ("gig", False, None, None)
