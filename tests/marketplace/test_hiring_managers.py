"""Who may be a hiring manager, and who is on the hiring side of an application when an opening
changes hands: someone in the applicant's management chain only if the applicant sent it to them, or
from the policy's moment; every hand-over is in the audit log."""

from __future__ import annotations

import uuid
from typing import Any

from backend.auth.principal import UserRole
from tests.helpers import problem
from tests.marketplace.market import API, Client, Market, ok


def gig(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Forecast sprint",
        "kind": "gig",
        "description": "Four weeks on the forecasts.",
        "hours_per_week": 8,
        "duration_weeks": 4,
        **fields,
    }


async def test_only_someone_who_manages_people_is_named_hiring_manager(m: Market, client: Client) -> None:
    # Sam and Ana manage nobody; Lead manages Ana and Tom.
    for name in ("sam", "ana"):
        refused = problem(
            await client.post(f"{API}/opportunities", json=gig(hiring_manager_id=m.people[name]), headers=m.hr), 422
        )
        assert [e["field"] for e in refused["errors"]] == ["hiring_manager_id"]
        assert "manages nobody" in refused["detail"]
    # A manager's sign-in is not enough either: posting names oneself, who must manage someone.
    tom_as_manager = m.auth(m.tenant, UserRole.MANAGER, employee_id=uuid.UUID(m.people["tom"]))
    problem(await client.post(f"{API}/opportunities", json=gig(), headers=tom_as_manager), 422)

    opening = await m.opening()
    url = f"{API}/opportunities/{opening['id']}"
    problem(await client.patch(url, json={"hiring_manager_id": m.people["sam"]}, headers=m.hr), 422)
    assert (await ok(await client.get(url, headers=m.hr)))["hiring_manager_id"] == m.people["hm"]
    # Nor someone competing for the opening: Lead applied to it.
    await m.apply(opening["id"], "lead")
    competing = problem(await client.patch(url, json={"hiring_manager_id": m.people["lead"]}, headers=m.hr), 422)
    assert competing["errors"][0]["field"] == "hiring_manager_id"
    # A people manager who does not compete for it may be named.
    moved = await ok(await client.patch(url, json={"hiring_manager_id": m.people["director"]}, headers=m.hr))
    assert moved["hiring_manager_id"] == m.people["director"]


async def test_an_opening_handed_to_the_applicants_manager_waits_for_the_policys_moment(
    m: Market, client: Client
) -> None:
    opening = await m.opening(positions=2)
    application = await m.apply(opening["id"], "ana")
    url = f"{API}/applications/{application['id']}"
    applicants = f"{API}/opportunities/{opening['id']}/applications"
    # HR hands the opening to Lead, Ana's own manager; the policy (at offer) has told Lead nothing.
    await ok(
        await client.patch(
            f"{API}/opportunities/{opening['id']}", json={"hiring_manager_id": m.people["lead"]}, headers=m.hr
        )
    )
    [handover] = await m.audit(action="opportunity.hiring_manager_changed")
    assert handover["details"] == {"from": m.people["hm"], "to": m.people["lead"]}
    assert (handover["object_type"], handover["object_id"]) == ("opportunity", opening["id"])

    lead = m.as_("lead")
    problem(await client.get(url, headers=lead), 404)
    assert (await ok(await client.get(applicants, headers=lead)))["items"] == []
    problem(await m.move(application["id"], "screening", by="lead"), 404)
    # The former hiring manager is off the opening altogether.
    problem(await client.get(url, headers=m.as_("hm")), 404)
    # Tom applies now, to Lead as hiring manager: that one is Lead's from the start.
    toms = await m.apply(opening["id"], "tom")
    assert [a["id"] for a in (await ok(await client.get(applicants, headers=lead)))["items"]] == [toms["id"]]
    await ok(await m.move(toms["id"], "screening", by="lead"))
    assert [n for n in await m.notifications("lead") if n["kind"] == "marketplace.report_applied"] == []

    # HR moves Ana's to offer, the policy's moment: Lead joins its hiring side, and is told as her manager.
    await ok(await client.post(f"{url}/stage", json={"to": "offer"}, headers=m.hr))
    assert (await ok(await client.get(url, headers=lead)))["stage"] == "offer"
    listed = await ok(await client.get(applicants, headers=lead))
    assert sorted(a["id"] for a in listed["items"]) == sorted([application["id"], toms["id"]])
    told = [n for n in await m.notifications("lead") if n["kind"] == "marketplace.report_applied"]
    assert [n["data"]["application_id"] for n in told] == [application["id"]]
