"""The manager release: asked of the applicant's manager at offer, answered by a deadline (release,
delay, block), overridden by HR, lapsing into a release when nobody answers; every answer kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from tests.helpers import problem
from tests.marketplace.market import API, Client, Market, execute, ok, rows


async def at_offer(m: Market, applicant: str = "ana", by: str = "hm") -> dict[str, Any]:
    opening = await m.opening(by=by)
    application = await m.apply(opening["id"], applicant)
    return dict(await ok(await m.move(application["id"], "offer", by=by)))


async def answer(m: Market, client: Client, application_id: str, by: dict[str, str], **body: Any) -> Any:
    return await client.post(f"{API}/applications/{application_id}/release", json=body, headers=by)


def move_release(owner_engine: Engine, m: Market, application_id: str) -> tuple[str, date]:
    [(release, effective_on)] = rows(
        owner_engine, m.tenant, "SELECT release, effective_on FROM moves WHERE application_id = :a", a=application_id
    )
    return release, effective_on


async def test_release_then_hire(m: Market, client: Client, owner_engine: Engine) -> None:
    application = await at_offer(m)
    release = application["release"]
    assert (release["manager_id"], release["status"], release["deadline_passed"]) == (
        m.people["lead"],
        "pending",
        False,
    )
    deadline = datetime.fromisoformat(release["deadline"])
    assert timedelta(days=13, hours=23) < deadline - datetime.now(UTC) <= timedelta(days=14)
    [asked] = [n for n in await m.notifications("lead") if n["kind"] == "marketplace.release_requested"]
    assert asked["data"]["application_id"] == application["id"]
    [pending] = (await ok(await client.get(f"{API}/me/releases", headers=m.as_("lead"))))["items"]
    assert (pending["application_id"], pending["applicant"]["full_name"], pending["opportunity"]["title"]) == (
        application["id"],
        "Ana",
        "Dashboard sprint",
    )
    # No hire before the manager's answer.
    assert "waiting" in problem(await m.move(application["id"], "hired"), 409)["detail"]
    # Only the manager asked (or HR) answers; others in the chain see the application but not this.
    problem(await answer(m, client, application["id"], m.as_("director"), action="release"), 403)
    problem(await answer(m, client, application["id"], m.as_("ana"), action="release"), 403)
    problem(await answer(m, client, application["id"], m.as_("tom"), action="release"), 404)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    problem(await answer(m, client, application["id"], m.as_("lead"), action="release", release_on=str(yesterday)), 422)
    release_on = (datetime.now(UTC) + timedelta(days=7)).date()
    released = await ok(
        await answer(m, client, application["id"], m.as_("lead"), action="release", release_on=str(release_on))
    )
    assert (released["release"]["status"], released["release"]["release_on"]) == ("released", str(release_on))
    assert [e["action"] for e in released["release"]["history"]] == ["requested", "release"]
    problem(await answer(m, client, application["id"], m.as_("lead"), action="block", reason="Changed my mind"), 409)
    [answered] = [n for n in await m.notifications("hm") if n["kind"] == "marketplace.release_answered"]
    assert answered["data"]["status"] == "released"
    assert (await ok(await client.get(f"{API}/me/releases", headers=m.as_("lead"))))["items"] == []

    hired = await ok(await m.move(application["id"], "hired"))
    assert hired["stage"] == "hired"
    assert move_release(owner_engine, m, application["id"]) == ("released", release_on)


async def test_a_delay_moves_the_deadline_and_is_kept(m: Market, client: Client) -> None:
    application = await at_offer(m)
    lead = m.as_("lead")
    deadline = datetime.fromisoformat(application["release"]["deadline"])
    later = deadline + timedelta(days=7)
    problem(await answer(m, client, application["id"], lead, action="delay", until=later.isoformat()), 422)
    no_date = problem(await answer(m, client, application["id"], lead, action="delay", reason="Quarter end"), 422)
    assert no_date["errors"][0]["field"] == "until"
    earlier = problem(
        await answer(
            m,
            client,
            application["id"],
            lead,
            action="delay",
            until=(deadline - timedelta(days=1)).isoformat(),
            reason="x",
        ),
        422,
    )
    assert earlier["errors"][0]["field"] == "until"
    delayed = await ok(
        await answer(m, client, application["id"], lead, action="delay", until=later.isoformat(), reason="Quarter end")
    )
    assert delayed["release"]["status"] == "delayed"
    assert datetime.fromisoformat(delayed["release"]["deadline"]) == later
    again = later + timedelta(days=3)
    await ok(
        await answer(m, client, application["id"], lead, action="delay", until=again.isoformat(), reason="Handover")
    )
    problem(await m.move(application["id"], "hired"), 409)
    # Who delayed, when, until when and why, for HR and the hiring manager.
    for reader in (m.hr, m.as_("hm")):
        history = (await ok(await client.get(f"{API}/applications/{application['id']}", headers=reader)))["release"][
            "history"
        ]
        assert [(e["action"], e["by_employee_id"], e["reason"]) for e in history] == [
            ("requested", m.people["hm"], None),
            ("delay", m.people["lead"], "Quarter end"),
            ("delay", m.people["lead"], "Handover"),
        ]
        assert datetime.fromisoformat(history[-1]["deadline"]) == again
    # The applicant sees the stage, not what their manager answered.
    assert (await ok(await client.get(f"{API}/applications/{application['id']}", headers=m.as_("ana"))))[
        "release"
    ] is None


async def test_a_block_stops_the_hire_until_hr_overrides(m: Market, client: Client, owner_engine: Engine) -> None:
    application = await at_offer(m)
    problem(await answer(m, client, application["id"], m.as_("lead"), action="block"), 422)
    blocked = await ok(
        await answer(m, client, application["id"], m.as_("lead"), action="block", reason="Critical project")
    )
    assert blocked["release"]["status"] == "blocked"
    assert "blocked" in problem(await m.move(application["id"], "hired"), 409)["detail"]
    # A block holds even past the deadline: it is an answer.
    execute(owner_engine, m.tenant, "UPDATE manager_releases SET deadline = now() - interval '1 day'")
    problem(await m.move(application["id"], "hired"), 409)
    # Only HR overrides, and says why.
    problem(await answer(m, client, application["id"], m.as_("hm"), action="override", reason="Needed"), 403)
    problem(await answer(m, client, application["id"], m.as_("lead"), action="override", reason="Fine"), 403)
    problem(await answer(m, client, application["id"], m.hr, action="override"), 422)
    overridden = await ok(
        await answer(m, client, application["id"], m.hr, action="override", reason="Agreed with the director")
    )
    assert [(e["action"], e["reason"]) for e in overridden["release"]["history"]] == [
        ("requested", None),
        ("block", "Critical project"),
        ("override", "Agreed with the director"),
    ]
    await ok(await m.move(application["id"], "hired"))
    assert move_release(owner_engine, m, application["id"])[0] == "overridden"
    answers = await m.audit(action="release.answered", subject_employee_id=m.people["ana"])
    assert [(a["actor_employee_id"], a["details"]["action"]) for a in answers] == [
        (m.people["lead"], "block"),
        (None, "override"),
    ]


async def test_hr_answers_for_the_manager(m: Market, client: Client) -> None:
    application = await at_offer(m)
    released = await ok(await answer(m, client, application["id"], m.hr, action="release"))
    assert released["release"]["status"] == "released"
    await ok(await m.move(application["id"], "hired"))


async def test_no_answer_by_the_deadline_counts_as_released(m: Market, client: Client, owner_engine: Engine) -> None:
    application = await at_offer(m)
    execute(owner_engine, m.tenant, "UPDATE manager_releases SET deadline = now() - interval '1 minute'")
    [waiting] = (await ok(await client.get(f"{API}/me/releases", headers=m.as_("lead"))))["items"]
    assert (waiting["status"], waiting["deadline_passed"]) == ("pending", True)
    hired = await ok(await m.move(application["id"], "hired"))
    assert (hired["stage"], hired["release"]["status"]) == ("hired", "lapsed")
    assert [e["action"] for e in hired["release"]["history"]] == ["requested", "lapsed"]
    assert move_release(owner_engine, m, application["id"])[0] == "lapsed"


async def test_a_delay_that_runs_out_lapses_too(m: Market, client: Client, owner_engine: Engine) -> None:
    application = await at_offer(m)
    until = datetime.fromisoformat(application["release"]["deadline"]) + timedelta(days=1)
    await ok(
        await answer(m, client, application["id"], m.as_("lead"), action="delay", until=until.isoformat(), reason="x")
    )
    execute(owner_engine, m.tenant, "UPDATE manager_releases SET deadline = now() - interval '1 minute'")
    assert (await ok(await m.move(application["id"], "hired")))["release"]["status"] == "lapsed"


async def test_a_rejection_cancels_the_release(m: Market, client: Client) -> None:
    application = await at_offer(m)
    await ok(await m.move(application["id"], "rejected", note="Budget frozen"))
    assert (await ok(await client.get(f"{API}/me/releases", headers=m.as_("lead"))))["items"] == []
    cancelled = await ok(await client.get(f"{API}/me/releases?status=cancelled", headers=m.as_("lead")))
    assert [r["application_id"] for r in cancelled["items"]] == [application["id"]]
    problem(await answer(m, client, application["id"], m.as_("lead"), action="release"), 409)


async def test_no_release_without_another_manager(m: Market, client: Client, owner_engine: Engine) -> None:
    # The CEO has no manager; Ana's own manager hiring her needs no release from himself.
    for applicant, by in (("ceo", "hm"), ("ana", "lead")):
        application = await at_offer(m, applicant, by)
        assert application["release"] is None
        await ok(await m.move(application["id"], "hired", by=by))
        assert move_release(owner_engine, m, application["id"])[0] == "not_needed"
    problem(await answer(m, client, application["id"], m.hr, action="release"), 409)
