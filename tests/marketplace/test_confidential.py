"""Confidential mobility: the applicant's management chain learns of an application only at the moment
the tenant's policy names, the direct manager is notified then, and nobody else ever sees it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import problem
from tests.marketplace.market import API, Client, Market, ok

CHAIN = ("lead", "director", "ceo")  # Ana's manager and those above
# The stage at which the chain may first see the application, for each policy.
MOMENT = {"at_application": "applied", "at_offer": "offer", "never_before_move": "hired"}
STEPS = ("applied", "screening", "interview", "offer", "hired")


async def visible_to(m: Market, client: Client, application_id: str, names: tuple[str, ...]) -> set[str]:
    seen = set()
    for name in names:
        response = await client.get(f"{API}/applications/{application_id}", headers=m.as_(name))
        if response.status_code == 200:
            seen.add(name)
        else:
            problem(response, 404)
    return seen


def told(notifications: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for n in notifications if n["kind"] == "marketplace.report_applied"]


@pytest.mark.parametrize("policy", list(MOMENT))
async def test_the_chain_learns_at_the_policys_moment(m: Market, client: Client, policy: str) -> None:
    await m.set_policy(policy)
    assert (await ok(await client.get(f"{API}/mobility-policy", headers=m.as_("ana"))))["manager_notice"] == policy
    opening = await m.opening()
    application = await m.apply(opening["id"])
    # The chain cannot reach it through the opening's applicants either: those are the hiring manager's.
    for name in CHAIN:
        problem(await client.get(f"{API}/opportunities/{opening['id']}/applications", headers=m.as_(name)), 403)
    moment = STEPS.index(MOMENT[policy])
    for index, stage in enumerate(STEPS):
        if stage != "applied":
            if stage == "hired" and policy != "never_before_move":
                # The release asked of Ana's manager at offer (see test_releases.py).
                await ok(
                    await client.post(
                        f"{API}/applications/{application['id']}/release",
                        json={"action": "release"},
                        headers=m.as_("lead"),
                    )
                )
            await ok(await m.move(application["id"], stage))
        informed = index >= moment
        # The applicant, HR and the hiring manager see it all along; a colleague never does.
        assert await visible_to(m, client, application["id"], ("ana", "hm", "tom")) == {"ana", "hm"}, stage
        assert (await client.get(f"{API}/applications/{application['id']}", headers=m.hr)).status_code == 200
        assert await visible_to(m, client, application["id"], CHAIN) == (set(CHAIN) if informed else set()), stage
        # Only the direct manager is notified, once, at the moment.
        assert len(told(await m.notifications("lead"))) == (1 if informed else 0), stage
        for above in ("director", "ceo"):
            assert told(await m.notifications(above)) == []
        got = await ok(await client.get(f"{API}/applications/{application['id']}", headers=m.as_("ana")))
        assert (got["manager_informed_at"] is not None) == informed
    [notice] = told(await m.notifications("lead"))
    assert notice["data"]["application_id"] == application["id"]
    assert notice["data"]["stage"] == MOMENT[policy]


async def test_an_interest_is_not_an_application(m: Market, client: Client) -> None:
    await m.set_policy("at_application")
    opening = await m.opening()
    interest = await m.apply(opening["id"], "ana", "interest")
    assert await visible_to(m, client, interest["id"], CHAIN) == set()
    assert told(await m.notifications("lead")) == []
    await m.apply(opening["id"], "ana", "application")
    assert await visible_to(m, client, interest["id"], CHAIN) == set(CHAIN)
    assert len(told(await m.notifications("lead"))) == 1


async def test_a_hiring_manager_in_the_chain_sees_it_as_hiring_manager(m: Market, client: Client) -> None:
    # The director (Ana's skip-level) posts the opening: as its hiring manager they see her
    # application from the start, while her own manager still does not.
    opening = await m.opening(by="director")
    application = await m.apply(opening["id"])
    assert await visible_to(m, client, application["id"], CHAIN) == {"director"}
    listed = await ok(await client.get(f"{API}/opportunities/{opening['id']}/applications", headers=m.as_("director")))
    assert [a["id"] for a in listed["items"]] == [application["id"]]


async def test_a_policy_change_applies_from_the_next_stage_change(m: Market, client: Client) -> None:
    opening = await m.opening()
    application = await m.apply(opening["id"])
    await ok(await m.move(application["id"], "screening"))
    assert await visible_to(m, client, application["id"], ("lead",)) == set()
    await m.set_policy("at_application")
    assert await visible_to(m, client, application["id"], ("lead",)) == set()
    await ok(await m.move(application["id"], "interview"))
    assert await visible_to(m, client, application["id"], ("lead",)) == {"lead"}
    assert [n["data"]["stage"] for n in told(await m.notifications("lead"))] == ["interview"]


async def test_the_policy_is_hrs(m: Market, client: Client) -> None:
    url = f"{API}/mobility-policy"
    default = await ok(await client.get(url, headers=m.as_("ana")))
    assert default == {"manager_notice": "at_offer", "release_days": 14, "updated_at": None, "updated_by": None}
    problem(await client.put(url, json={"manager_notice": "at_application"}, headers=m.as_("hm")), 403)
    problem(await client.put(url, json={"manager_notice": "whenever"}, headers=m.hr), 400)
    problem(await client.put(url, json={"manager_notice": "at_offer", "release_days": 0}, headers=m.hr), 400)
    saved = await ok(
        await client.put(url, json={"manager_notice": "never_before_move", "release_days": 7}, headers=m.hr)
    )
    assert (saved["manager_notice"], saved["release_days"]) == ("never_before_move", 7)
    assert saved["updated_at"] is not None
    [change] = await m.audit(action="mobility_policy.changed")
    assert change["details"] == {
        "manager_notice": ["at_offer", "never_before_move"],
        "release_days": [14, 7],
    }


async def test_the_applicants_note_stays_with_the_hiring_side(m: Market, client: Client) -> None:
    """What Ana writes to the hiring side reaches HR and the hiring manager, never her management chain,
    not once they may see the application, nor as the manager asked for her release."""
    await m.set_policy("at_application")
    opening = await m.opening()
    note = "Please do not tell Lead yet: I want out of Analytics."
    created = await client.post(
        f"{API}/opportunities/{opening['id']}/applications", json={"note": note}, headers=m.as_("ana")
    )
    application = await ok(created, 201)
    url = f"{API}/applications/{application['id']}"
    for headers in (m.as_("ana"), m.as_("hm"), m.hr):
        seen = await ok(await client.get(url, headers=headers))
        assert (seen["note"], seen["history"][0]["note"]) == (note, note)
    listed = await ok(await client.get(f"{API}/opportunities/{opening['id']}/applications", headers=m.as_("hm")))
    assert [item["note"] for item in listed["items"]] == [note]
    assert [
        item["note"] for item in (await ok(await client.get(f"{API}/me/applications", headers=m.as_("ana"))))["items"]
    ] == [note]

    # The chain sees the application from the moment (at application here), and never the note.
    assert await visible_to(m, client, application["id"], CHAIN) == set(CHAIN)
    for name in CHAIN:
        seen = await ok(await client.get(url, headers=m.as_(name)))
        assert seen["note"] is None
        assert [event["note"] for event in seen["history"]] == [None]
    # At offer Lead is asked for the release: the application with its release, still without the note.
    await ok(await m.move(application["id"], "offer"))
    asked = await ok(await client.get(url, headers=m.as_("lead")))
    assert asked["release"] is not None
    assert asked["note"] is None
    assert all(event["note"] is None for event in asked["history"])
    releases = await ok(await client.get(f"{API}/me/releases", headers=m.as_("lead")))
    assert [r["application_id"] for r in releases["items"]] == [application["id"]]
    assert note not in repr(releases)
    for name in CHAIN:
        assert note not in repr(await m.notifications(name))
