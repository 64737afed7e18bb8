"""Who sees which opening: departments (with their sub-units), levels, the whole company, drafts, and
scheduled openings. An opening one may not see answers 404, as if it did not exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from tests.helpers import problem
from tests.marketplace.market import API, Client, Market, execute, ok

EVERYONE = ("ceo", "director", "lead", "ana", "tom", "hm", "sam")


async def seen_by(m: Market, client: Client, opportunity_id: str) -> set[str]:
    """Who of the company gets the opening, checked both ways: by id and in the list."""
    seen = set()
    for name in EVERYONE:
        one = await client.get(f"{API}/opportunities/{opportunity_id}", headers=m.as_(name))
        listed = await ok(await client.get(f"{API}/opportunities?limit=200", headers=m.as_(name)))
        in_list = opportunity_id in {o["id"] for o in listed["items"]}
        if one.status_code == 200:
            assert in_list, name
            seen.add(name)
        else:
            problem(one, 404)
            assert not in_list, name
    return seen


async def test_whole_company(m: Market, client: Client) -> None:
    opening = await m.opening()
    assert await seen_by(m, client, opening["id"]) == set(EVERYONE)


async def test_a_department_includes_its_sub_units(m: Market, client: Client) -> None:
    # Listed: Data. Its team Analytics is in; Sales and the division above are not. The hiring
    # manager (in Sales) sees their own opening whatever its rules.
    opening = await m.opening(visibility_unit_ids=[m.units["Data"]])
    assert await seen_by(m, client, opening["id"]) == {"director", "lead", "ana", "tom", "hm"}
    # Listing the team alone leaves its department out.
    await ok(
        await client.patch(
            f"{API}/opportunities/{opening['id']}",
            json={"visibility_unit_ids": [m.units["Analytics"], m.units["Sales"]]},
            headers=m.as_("hm"),
        )
    )
    assert await seen_by(m, client, opening["id"]) == {"lead", "ana", "tom", "hm", "sam"}
    # Listing the top of the tree is the whole company again.
    await ok(
        await client.patch(
            f"{API}/opportunities/{opening['id']}",
            json={"visibility_unit_ids": [m.units["Northwind"]]},
            headers=m.as_("hm"),
        )
    )
    assert await seen_by(m, client, opening["id"]) == set(EVERYONE)


async def test_levels_bound_who_sees_it(m: Market, client: Client) -> None:
    # Levels: ceo 9, director 7, lead 5, ana 3, tom 6, hm 6, sam unknown.
    opening = await m.opening(by="lead", min_level=4, max_level=6)
    # lead is in range and its maker; hm and tom in range; sam's level is unknown: not admitted.
    assert await seen_by(m, client, opening["id"]) == {"lead", "tom", "hm"}
    only_min = await m.opening(by="lead", min_level=7)
    assert await seen_by(m, client, only_min["id"]) == {"ceo", "director", "lead"}
    both = await m.opening(by="lead", min_level=5, visibility_unit_ids=[m.units["Data"]])
    assert await seen_by(m, client, both["id"]) == {"director", "lead", "tom"}


async def test_drafts_are_seen_by_their_makers_and_hr_only(m: Market, client: Client) -> None:
    # Posted by the lead for the hiring manager: both see it, and HR; nobody else.
    draft = await m.opening(by="lead", publish=False, hiring_manager_id=m.people["hm"])
    assert await seen_by(m, client, draft["id"]) == {"lead", "hm"}
    assert (await ok(await client.get(f"{API}/opportunities/{draft['id']}", headers=m.hr)))["status"] == "draft"
    problem(await client.patch(f"{API}/opportunities/{draft['id']}", json={"title": "Hm"}, headers=m.as_("ana")), 404)
    problem(await client.post(f"{API}/opportunities/{draft['id']}/open", headers=m.as_("ana")), 404)
    drafts = await ok(await client.get(f"{API}/opportunities?status=draft", headers=m.as_("tom")))
    assert drafts["items"] == []


async def test_a_scheduled_opening_appears_at_opens_at(m: Market, client: Client, owner_engine: Engine) -> None:
    opening = await m.opening(opens_at=(datetime.now(UTC) + timedelta(days=2)).isoformat())
    assert (opening["status"], opening["accepting_applications"]) == ("open", False)
    assert await seen_by(m, client, opening["id"]) == {"hm"}
    execute(owner_engine, m.tenant, "UPDATE opportunities SET opens_at = now() - interval '1 minute'")
    assert await seen_by(m, client, opening["id"]) == set(EVERYONE)


async def test_applicants_keep_seeing_what_they_applied_to(m: Market, client: Client) -> None:
    opening = await m.opening()
    await m.apply(opening["id"], "ana")
    # The rules change to leave Ana out, and the opening closes: she still sees it, Tom does not.
    url = f"{API}/opportunities/{opening['id']}"
    await ok(await client.patch(url, json={"visibility_unit_ids": [m.units["Sales"]]}, headers=m.as_("hm")))
    await ok(await client.post(f"{url}/close", headers=m.as_("hm")))
    assert await seen_by(m, client, opening["id"]) == {"ana", "hm"}
