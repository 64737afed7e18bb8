"""Application stages: the whole transition table (every move a hiring manager may make, and every
other one refused with 409 and the state left alone), interests becoming applications, rejections
needing a reason, and withdrawal by the applicant only."""

from __future__ import annotations

from typing import Any

import pytest

from backend.marketplace.applications import hiring_moves
from backend.marketplace.models import ApplicationStage
from tests.helpers import problem
from tests.marketplace.market import API, Client, Market, ok

TARGETS = ("screening", "interview", "offer", "hired", "rejected")
# The documented table (docs/marketplace.md): where the hiring manager or HR may move an application.
ALLOWED = {
    "interested": {"rejected"},
    "applied": {"screening", "interview", "offer", "rejected"},
    "screening": {"interview", "offer", "rejected"},
    "interview": {"offer", "rejected"},
    "offer": {"hired", "rejected"},
    "hired": set(),
    "rejected": set(),
    "withdrawn": set(),
}
# How to get an application to each stage (after applying; an interest stays `interested`).
PATHS = {
    "interested": [],
    "applied": [],
    "screening": ["screening"],
    "interview": ["interview"],
    "offer": ["offer"],
    "hired": ["offer", "hired"],
    "rejected": ["rejected"],
    "withdrawn": ["withdrawn"],
}


async def application_at(m: Market, client: Client, stage: str, title: str) -> dict[str, Any]:
    opening = await m.opening(title=title, positions=5)
    application = await m.apply(opening["id"], "ana", "interest" if stage == "interested" else "application")
    for step in PATHS[stage]:
        if step == "withdrawn":
            await ok(
                await client.post(f"{API}/applications/{application['id']}/withdraw", json={}, headers=m.as_("ana"))
            )
        else:
            await ok(await m.move(application["id"], step, note="Not this time" if step == "rejected" else None))
    got = await ok(await client.get(f"{API}/applications/{application['id']}", headers=m.hr))
    assert got["stage"] == stage
    return dict(got)


def test_the_moves_offered_to_the_hiring_side_are_the_documented_table() -> None:
    # What a page offers the hiring manager (backend/portal/hiring.py) is this rule, which `move`
    # enforces (the test below): forward in order, a rejection last, never the applicant's own moves.
    for stage in ApplicationStage:
        offered = hiring_moves(stage)
        assert set(offered) == ALLOWED[stage.value], stage
        assert ApplicationStage.APPLIED not in offered
        assert ApplicationStage.WITHDRAWN not in offered
        if ApplicationStage.REJECTED in offered:
            assert offered[-1] == ApplicationStage.REJECTED
    assert hiring_moves(ApplicationStage.APPLIED) == ["screening", "interview", "offer", "rejected"]


@pytest.mark.parametrize("stage", list(ALLOWED))
async def test_every_move_from_a_stage(m: Market, client: Client, stage: str) -> None:
    # Managers are told at the move, so hires need no release here (see test_releases.py).
    await m.set_policy("never_before_move")
    application = await application_at(m, client, stage, f"From {stage}")
    stage_url = f"{API}/applications/{application['id']}/stage"
    for target in sorted(set(TARGETS) - ALLOWED[stage]):
        by_manager = problem(await m.move(application["id"], target, note="why"), 409)
        assert f"from {stage} to {target}" in by_manager["detail"]
        problem(await client.post(stage_url, json={"to": target, "note": "why"}, headers=m.hr), 409)
    unchanged = await ok(await client.get(f"{API}/applications/{application['id']}", headers=m.hr))
    assert (unchanged["stage"], unchanged["history"]) == (stage, application["history"])
    # Each allowed move, on an application of its own.
    for target in sorted(ALLOWED[stage]):
        fresh = await application_at(m, client, stage, f"From {stage} to {target}")
        moved = await ok(await m.move(fresh["id"], target, note="Reason"))
        assert moved["stage"] == target
        assert (moved["history"][-1]["from_stage"], moved["history"][-1]["to_stage"]) == (stage, target)


async def test_an_interest_becomes_an_application(m: Market, client: Client) -> None:
    opening = await m.opening()
    interest = await m.apply(opening["id"], "ana", "interest")
    assert (interest["kind"], interest["stage"]) == ("interest", "interested")
    told = [n for n in await m.notifications("hm") if n["kind"] == "marketplace.application_received"]
    assert [n["title"] for n in told] == ["Ana is interested in Dashboard sprint"]
    problem(
        await client.post(
            f"{API}/opportunities/{opening['id']}/applications", json={"kind": "interest"}, headers=m.as_("ana")
        ),
        409,
    )
    converted = await m.apply(opening["id"], "ana", "application")
    assert (converted["id"], converted["kind"], converted["stage"]) == (interest["id"], "application", "applied")
    assert [(e["from_stage"], e["to_stage"]) for e in converted["history"]] == [
        (None, "interested"),
        ("interested", "applied"),
    ]
    problem(await client.post(f"{API}/opportunities/{opening['id']}/applications", json={}, headers=m.as_("ana")), 409)
    # The hiring manager does not move an interest into the process: its author applies.
    other = await m.apply(opening["id"], "tom", "interest")
    problem(await m.move(other["id"], "screening"), 409)


async def test_a_rejection_needs_a_reason(m: Market, client: Client) -> None:
    opening = await m.opening()
    application = await m.apply(opening["id"])
    refused = problem(await m.move(application["id"], "rejected"), 422)
    assert refused["errors"][0]["field"] == "note"
    problem(await m.move(application["id"], "rejected", note="   "), 422)
    rejected = await ok(await m.move(application["id"], "rejected", note="We chose someone closer to the team"))
    assert rejected["history"][-1]["note"] == "We chose someone closer to the team"
    # The applicant is told the stage; the hiring side's note stays with the hiring side.
    mine = await ok(await client.get(f"{API}/applications/{application['id']}", headers=m.as_("ana")))
    assert (mine["stage"], mine["history"][-1]["note"]) == ("rejected", None)
    told = [n for n in await m.notifications("ana") if n["kind"] == "marketplace.application_stage"]
    assert [n["data"]["stage"] for n in told] == ["rejected"]


async def test_who_moves_an_application(m: Market, client: Client) -> None:
    opening = await m.opening()
    application = await m.apply(opening["id"])
    # The applicant never moves their own application; an unrelated manager does not know it exists.
    problem(await m.move(application["id"], "screening", by="ana"), 403)
    problem(await m.move(application["id"], "screening", by="director"), 404)
    # Withdrawing is the applicant's (403); applying too, so "applied" is a move outside the table (409).
    problem(
        await client.post(f"{API}/applications/{application['id']}/stage", json={"to": "withdrawn"}, headers=m.hr), 403
    )
    refused = problem(
        await client.post(f"{API}/applications/{application['id']}/stage", json={"to": "applied"}, headers=m.hr), 409
    )
    assert "from applied to applied" in refused["detail"]
    problem(
        await client.post(f"{API}/applications/{application['id']}/stage", json={"to": "hiring"}, headers=m.hr), 400
    )
    assert (
        await ok(
            await client.post(f"{API}/applications/{application['id']}/stage", json={"to": "screening"}, headers=m.hr)
        )
    )["stage"] == "screening"


async def test_only_the_applicant_withdraws(m: Market, client: Client) -> None:
    await m.set_policy("at_application")
    opening = await m.opening()
    application = await m.apply(opening["id"])
    url = f"{API}/applications/{application['id']}/withdraw"
    # The hiring manager, HR and the (informed) manager see it, but may not withdraw it; others 404.
    for who in ("hm", "lead"):
        problem(await client.post(url, json={}, headers=m.as_(who)), 403)
    problem(await client.post(url, json={}, headers=m.hr), 403)
    problem(await client.post(url, json={}, headers=m.as_("tom")), 404)
    withdrawn = await ok(await client.post(url, json={"note": "Staying after all"}, headers=m.as_("ana")))
    assert (withdrawn["stage"], withdrawn["history"][-1]["note"]) == ("withdrawn", "Staying after all")
    problem(await client.post(url, json={}, headers=m.as_("ana")), 409)
    problem(await m.move(application["id"], "screening"), 409)
    # Withdrawing is final for this opening.
    problem(await client.post(f"{API}/opportunities/{opening['id']}/applications", json={}, headers=m.as_("ana")), 409)


@pytest.mark.parametrize("stage", ["screening", "interview", "offer"])
async def test_a_move_backwards_is_409_naming_both_stages(m: Market, client: Client, stage: str) -> None:
    application = await application_at(m, client, stage, f"Back from {stage}")
    stage_url = f"{API}/applications/{application['id']}/stage"
    earlier = ["interested", "applied", "screening", "interview", "offer"]
    for target in earlier[: earlier.index(stage) + 1]:
        for headers in (m.as_("hm"), m.hr):
            refused = problem(await client.post(stage_url, json={"to": target}, headers=headers), 409)
            assert refused["detail"] == f"an application cannot move from {stage} to {target}"
    assert (await ok(await client.get(f"{API}/applications/{application['id']}", headers=m.hr)))["stage"] == stage


async def test_a_rejection_tells_the_applicant_the_reason_hr_chose_to_share(m: Market, client: Client) -> None:
    await m.set_policy("at_application")
    opening = await m.opening()
    application = await m.apply(opening["id"])
    url = f"{API}/applications/{application['id']}"
    # The shared reason goes with a rejection only.
    refused = problem(
        await client.post(f"{url}/stage", json={"to": "screening", "reason_shared": "Strong profile"}, headers=m.hr),
        422,
    )
    assert refused["errors"][0]["field"] == "reason_shared"
    shared = "We needed someone who can start this month."
    rejected = await ok(
        await client.post(
            f"{url}/stage",
            json={"to": "rejected", "note": "Ana's SQL is below what the team needs.", "reason_shared": shared},
            headers=m.hr,
        )
    )
    assert (rejected["reason_shared"], rejected["history"][-1]["reason_shared"]) == (shared, shared)
    mine = await ok(await client.get(url, headers=m.as_("ana")))
    # Ana reads the reason shared with her, in her application and in her notification; the internal
    # note stays with the hiring side.
    assert (mine["stage"], mine["reason_shared"]) == ("rejected", shared)
    assert (mine["history"][-1]["reason_shared"], mine["history"][-1]["note"]) == (shared, None)
    [told] = [n for n in await m.notifications("ana") if n["kind"] == "marketplace.application_stage"]
    assert told["data"]["reason_shared"] == shared
    assert shared in told["body"]
    assert "SQL" not in told["body"]
    # It is between Ana and the hiring side: her manager, who may see the application, does not read it.
    lead = await ok(await client.get(url, headers=m.as_("lead")))
    assert (lead["reason_shared"], lead["history"][-1]["reason_shared"], lead["history"][-1]["note"]) == (
        None,
        None,
        None,
    )
    assert (await ok(await client.get(url, headers=m.as_("hm"))))["reason_shared"] == shared
