"""Opportunities through the API: an opening's whole life, the rules of each kind, publishing, editing,
the tenant's own types, and the changes noted for matching."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from backend.auth.principal import Principal, UserRole, scopes_for
from backend.errors import NotFoundError, PermissionDeniedError
from backend.marketplace.opportunities import OpportunityService, may_post
from tenants.sessions import Database
from tests.helpers import problem
from tests.marketplace.market import API, Client, Market, execute, ok, rows


def _iso(moment: datetime) -> str:
    return moment.isoformat()


async def test_an_opening_from_draft_to_filled(m: Market, client: Client, owner_engine: Engine) -> None:
    # The managers are told at the move, so no release is asked on the way (see test_releases.py).
    await m.set_policy("never_before_move")
    hm, ana, tom = m.as_("hm"), m.as_("ana"), m.as_("tom")
    draft = await ok(
        await client.post(
            f"{API}/opportunities",
            json={
                "title": "Senior Analyst, Sales",
                "kind": "role",
                "role_id": m.role["id"],
                "description": "Own the sales analytics.",
                "org_unit_id": m.units["Sales"],
                "location": "Lisbon",
                "positions": 2,
                "level": 4,
            },
            headers=hm,
        ),
        201,
    )
    # A manager posting an opening is its hiring manager; a role opening copies its role's skills.
    assert (draft["status"], draft["hiring_manager_id"], draft["created_by_employee_id"]) == (
        "draft",
        m.people["hm"],
        m.people["hm"],
    )
    assert draft["created_by"] == f"employee:{m.people['hm']}"
    assert {(s["label"], s["level"], s["importance"]) for s in draft["skills"]} == {
        ("SQL", 4, "essential"),
        ("PYTHON", 3, "nice_to_have"),
    }
    assert draft["accepting_applications"] is False
    url = f"{API}/opportunities/{draft['id']}"
    # A draft is its makers' work in progress: nobody else knows it exists, nor can apply.
    problem(await client.get(url, headers=ana), 404)
    problem(await client.post(f"{url}/applications", json={}, headers=ana), 404)

    opened = await ok(await client.post(f"{url}/open", headers=hm))
    assert opened["status"] == "open"
    assert opened["opened_at"] is not None
    assert opened["accepting_applications"] is True
    problem(await client.post(f"{url}/open", headers=hm), 409)
    assert (await ok(await client.get(url, headers=ana)))["id"] == draft["id"]

    first = await m.apply(draft["id"], "ana")
    second = await m.apply(draft["id"], "tom")
    assert (first["stage"], first["kind"]) == ("applied", "application")
    # Not twice, and not to one's own opening.
    problem(await client.post(f"{url}/applications", json={}, headers=ana), 409)
    problem(await client.post(f"{url}/applications", json={}, headers=hm), 403)

    for stage in ("screening", "interview", "offer", "hired"):
        moved = await ok(await m.move(first["id"], stage))
        assert moved["stage"] == stage
    hired = await ok(await client.get(f"{API}/applications/{first['id']}", headers=ana))
    assert [(e["from_stage"], e["to_stage"]) for e in hired["history"]] == [
        (None, "applied"),
        ("applied", "screening"),
        ("screening", "interview"),
        ("interview", "offer"),
        ("offer", "hired"),
    ]
    assert hired["hired_at"] is not None
    one_hire = await ok(await client.get(url, headers=hm))
    assert (one_hire["status"], one_hire["hired"]) == ("open", 1)

    # Skipping forward is allowed; the second hire fills the two positions.
    await ok(await m.move(second["id"], "offer"))
    await ok(await m.move(second["id"], "hired"))
    filled = await ok(await client.get(url, headers=hm))
    assert (filled["status"], filled["hired"], filled["accepting_applications"]) == ("filled", 2, False)
    assert filled["filled_at"] is not None
    # A filled opening is final, and still visible to those who applied.
    problem(await client.post(f"{url}/open", headers=hm), 409)
    problem(await client.post(f"{url}/close", headers=hm), 409)
    problem(await client.patch(url, json={"title": "Again"}, headers=hm), 409)
    assert (await ok(await client.get(url, headers=tom)))["status"] == "filled"

    # The moves are recorded for mobility analytics, and a move into a role takes effect on the employee
    # (docs/marketplace.md, Moves; see test_moves.py).
    moves = rows(
        owner_engine,
        m.tenant,
        "SELECT employee_id::text, kind, to_role_id::text, from_org_unit_id::text, to_org_unit_id::text, release "
        "FROM moves ORDER BY moved_at",
    )
    assert [tuple(r) for r in moves] == [
        (m.people["ana"], "role", m.role["id"], m.units["Analytics"], m.units["Sales"], "not_asked"),
        (m.people["tom"], "role", m.role["id"], m.units["Analytics"], m.units["Sales"], "not_asked"),
    ]
    employee = await ok(await client.get(f"{API}/employees/{m.people['ana']}", headers=m.hr))
    assert (employee["org_unit_id"], employee["role_id"], employee["title"], employee["level"]) == (
        m.units["Sales"],
        m.role["id"],
        "Senior Analyst, Sales",
        4,
    )

    # Every change matching depends on was noted for the recompute.
    reasons = {r[0] for r in rows(owner_engine, m.tenant, "SELECT reason FROM matching_changes")}
    assert {"opportunity.created", "opportunity.opened", "opportunity.filled"} <= reasons


async def test_a_past_deadline_refuses_applications(m: Market, client: Client, owner_engine: Engine) -> None:
    soon = datetime.now(UTC) + timedelta(days=3)
    opening = await m.opening(closes_at=_iso(soon))
    assert opening["accepting_applications"] is True
    execute(owner_engine, m.tenant, "UPDATE opportunities SET closes_at = now() - interval '1 minute'")
    url = f"{API}/opportunities/{opening['id']}"
    # Still open and visible, but no longer taking applications (no job needed for that).
    listed = await ok(await client.get(f"{API}/opportunities?accepting=false", headers=m.as_("ana")))
    assert [(o["id"], o["status"], o["accepting_applications"]) for o in listed["items"]] == [
        (opening["id"], "open", False)
    ]
    assert (
        "stopped taking applications"
        in problem(await client.post(f"{url}/applications", json={}, headers=m.as_("ana")), 409)["detail"]
    )
    assert (await ok(await client.get(f"{API}/me/applications", headers=m.as_("ana"))))["items"] == []
    # Closing it, then reopening with the deadline still past, is refused until the deadline moves.
    await ok(await client.post(f"{url}/close", headers=m.as_("hm")))
    refused = problem(await client.post(f"{url}/open", headers=m.as_("hm")), 422)
    assert refused["errors"][0]["field"] == "closes_at"
    later = datetime.now(UTC) + timedelta(days=10)
    await ok(await client.patch(url, json={"closes_at": _iso(later)}, headers=m.as_("hm")))
    reopened = await ok(await client.post(f"{url}/open", headers=m.as_("hm")))
    assert (reopened["status"], reopened["closed_at"], reopened["accepting_applications"]) == ("open", None, True)
    await m.apply(opening["id"])


async def test_a_closed_opening_takes_no_applications_and_keeps_its_process(m: Market, client: Client) -> None:
    opening = await m.opening()
    application = await m.apply(opening["id"])
    await ok(await client.post(f"{API}/opportunities/{opening['id']}/close", headers=m.as_("hm")))
    problem(await client.post(f"{API}/opportunities/{opening['id']}/applications", json={}, headers=m.as_("tom")), 404)
    # The applicant still sees it; the process goes on.
    assert (await ok(await client.get(f"{API}/opportunities/{opening['id']}", headers=m.as_("ana"))))["status"] == (
        "closed"
    )
    assert (await ok(await m.move(application["id"], "interview")))["stage"] == "interview"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "role"}, "role_id"),
        ({"kind": "role", "role_id": "ROLE", "hours_per_week": 10}, "hours_per_week"),
        ({"kind": "gig", "duration_weeks": 4}, "hours_per_week"),
        ({"kind": "project", "hours_per_week": 4}, "duration_weeks"),
        ({"kind": "gig", "hours_per_week": 4, "duration_weeks": 4, "role_id": "ROLE"}, "role_id"),
        ({"kind": "custom"}, "type_id"),
        ({"kind": "gig", "hours_per_week": 4, "duration_weeks": 4, "type_id": "TYPE"}, "type_id"),
        ({"kind": "gig", "hours_per_week": 4, "duration_weeks": 4, "min_level": 5, "max_level": 3}, "min_level"),
        (
            {
                "kind": "gig",
                "hours_per_week": 4,
                "duration_weeks": 4,
                "opens_at": "2030-01-02T00:00:00Z",
                "closes_at": "2030-01-01T00:00:00Z",
            },
            "closes_at",
        ),
        ({"kind": "role", "role_id": "UNKNOWN"}, "role_id"),
        (
            {"kind": "gig", "hours_per_week": 4, "duration_weeks": 4, "hiring_manager_id": "UNKNOWN"},
            "hiring_manager_id",
        ),
        (
            {"kind": "gig", "hours_per_week": 4, "duration_weeks": 4, "visibility_unit_ids": ["UNKNOWN"]},
            "visibility_unit_ids",
        ),
        (
            {"kind": "gig", "hours_per_week": 4, "duration_weeks": 4, "skills": [{"skill_id": "UNKNOWN", "level": 2}]},
            "skills",
        ),
    ],
)
async def test_each_kind_has_its_rules(m: Market, client: Client, body: dict[str, Any], field: str) -> None:
    kind = await ok(await client.post(f"{API}/opportunity-types", json={"name": "Rotation"}, headers=m.hr), 201)
    fill = {"ROLE": m.role["id"], "TYPE": kind["id"], "UNKNOWN": "0190f0f0-0000-7000-8000-000000000000"}

    def resolved(value: Any) -> Any:
        if isinstance(value, str):
            return fill.get(value, value)
        if isinstance(value, list):
            return [resolved(v) for v in value]
        if isinstance(value, dict):
            return {k: resolved(v) for k, v in value.items()}
        return value

    refused = problem(
        await client.post(f"{API}/opportunities", json={"title": "X", **resolved(body)}, headers=m.hr), 422
    )
    assert refused["errors"][0]["field"] == field, refused
    # Nothing was created.
    assert (await ok(await client.get(f"{API}/opportunities", headers=m.hr)))["items"] == []


async def test_malformed_openings_are_refused_with_the_field(m: Market, client: Client) -> None:
    for body in (
        {"title": "X", "kind": "internship"},
        {"title": "X", "kind": "gig", "hours_per_week": 0, "duration_weeks": 2},
        {"title": "X", "kind": "gig", "hours_per_week": 2, "duration_weeks": 2, "positions": 0},
        {"title": "X", "kind": "gig", "hours_per_week": 2, "duration_weeks": 2, "level": 11},
        {"title": "X", "kind": "gig", "hours_per_week": 2, "duration_weeks": 2, "closes_at": "2030-01-01T00:00:00"},
        {"title": "", "kind": "role"},
        {"kind": "role"},
        {"title": "X", "kind": "gig", "colour": "red"},
    ):
        problem(await client.post(f"{API}/opportunities", json=body, headers=m.hr), 400)
    assert (await ok(await client.get(f"{API}/opportunities", headers=m.hr)))["items"] == []


async def test_who_posts_and_edits(m: Market, client: Client) -> None:
    gig = {"title": "Gig", "kind": "gig", "hours_per_week": 4, "duration_weeks": 4}
    # Employees read openings; managers, HR and partner apps post them.
    problem(await client.post(f"{API}/opportunities", json=gig, headers=m.as_("ana")), 403)
    by_hr = await ok(await client.post(f"{API}/opportunities", json=gig, headers=m.hr), 201)
    assert by_hr["hiring_manager_id"] is None
    # Opening needs a description and a hiring manager: each refusal names the field.
    url = f"{API}/opportunities/{by_hr['id']}"
    assert problem(await client.post(f"{url}/open", headers=m.hr), 422)["errors"][0]["field"] == "description"
    await ok(await client.patch(url, json={"description": "Help"}, headers=m.hr))
    assert problem(await client.post(f"{url}/open", headers=m.hr), 422)["errors"][0]["field"] == "hiring_manager_id"
    await ok(await client.patch(url, json={"hiring_manager_id": m.people["lead"]}, headers=m.hr))
    await ok(await client.post(f"{url}/open", headers=m.hr))

    # Its hiring manager edits it, including skills and visibility; another manager sees it, edits nothing.
    edited = await ok(
        await client.patch(
            url,
            json={
                "title": "Gig, edited",
                "skills": [{"skill_id": m.skills["python"], "level": 2, "importance": "nice_to_have"}],
                "visibility_unit_ids": [m.units["Data"]],
                "remote": True,
            },
            headers=m.as_("lead"),
        )
    )
    assert (edited["title"], edited["remote"], edited["visibility_unit_ids"]) == (
        "Gig, edited",
        True,
        [m.units["Data"]],
    )
    assert [(s["label"], s["importance"]) for s in edited["skills"]] == [("PYTHON", "nice_to_have")]
    problem(await client.patch(url, json={"title": "Mine"}, headers=m.as_("director")), 403)
    problem(await client.post(f"{url}/close", headers=m.as_("director")), 403)
    # What an opening is (kind, type, role) changes only while it is a draft.
    problem(await client.patch(url, json={"kind": "project"}, headers=m.hr), 409)
    problem(await client.patch(url, json={"hours_per_week": None}, headers=m.hr), 422)
    assert (await ok(await client.get(url, headers=m.hr)))["title"] == "Gig, edited"


async def test_who_may_post_is_one_rule_for_the_api_and_the_pages(m: Market, client: Client) -> None:
    def caller(*roles: UserRole, employee: str | None = "hm", client_id: str | None = None) -> Principal:
        held = frozenset({UserRole.EMPLOYEE, *roles})
        return Principal(
            tenant=m.tenant,
            subject="test",
            employee_id=uuid.UUID(m.people[employee]) if employee else None,
            roles=held,
            scopes=scopes_for(held),
            client_id=client_id,
        )

    allowed = [
        caller(UserRole.MANAGER),
        caller(UserRole.HR_ADMIN, employee=None),
        caller(employee=None, client_id="ats"),
    ]
    refused = [caller(), caller(UserRole.MANAGER, employee=None)]
    for principal in allowed:
        assert may_post(principal)
        OpportunityService.require_poster(principal)
    for principal in refused:
        assert not may_post(principal)
        with pytest.raises(PermissionDeniedError, match="only managers and HR post openings"):
            OpportunityService.require_poster(principal)
    # The API's create asks the same rule: an employee is refused, their manager-role colleague is not.
    gig = {"title": "Gig", "kind": "gig", "hours_per_week": 4, "duration_weeks": 4}
    assert (
        "only managers and HR"
        in problem(await client.post(f"{API}/opportunities", json=gig, headers=m.as_("ana")), 403)["detail"]
    )
    await ok(await client.post(f"{API}/opportunities", json=gig, headers=m.as_("hm")), 201)


async def test_an_opening_to_change_is_read_only_by_who_manages_it(m: Market, database: Database) -> None:
    """`get_managed` (what a page reads before offering to edit) answers as `update` would: the hiring
    manager and HR get the opening, another manager who sees it is refused, one who does not is told
    it does not exist."""
    draft = await m.opening(publish=False, title="Quiet draft")
    published = await m.opening(title="Published gig")

    def caller(name: str | None) -> Principal:
        roles = frozenset({UserRole.HR_ADMIN}) if name is None else frozenset({UserRole.EMPLOYEE, UserRole.MANAGER})
        employee_id = uuid.UUID(m.people[name]) if name else None
        return Principal(m.tenant, "test", employee_id, roles, scopes_for(roles))

    async with database.tenant_session(m.tenant) as session, session.begin():
        service = OpportunityService(session)
        for opening in (draft, published):
            for who in ("hm", None):
                assert (await service.get_managed(caller(who), uuid.UUID(opening["id"]))).title == opening["title"]
        with pytest.raises(PermissionDeniedError, match="may change it"):
            await service.get_managed(caller("lead"), uuid.UUID(published["id"]))
        with pytest.raises(NotFoundError):
            await service.get_managed(caller("lead"), uuid.UUID(draft["id"]))


async def test_the_tenants_own_types(m: Market, client: Client) -> None:
    types = f"{API}/opportunity-types"
    problem(await client.post(types, json={"name": "Rotation"}, headers=m.as_("hm")), 403)
    rotation = await ok(
        await client.post(types, json={"name": "Rotation", "description": "Six months elsewhere"}, headers=m.hr), 201
    )
    problem(await client.post(types, json={"name": "rotation"}, headers=m.hr), 409)
    assert problem(await client.post(types, json={"name": "Gig"}, headers=m.hr), 422)["errors"][0]["field"] == "name"
    await ok(await client.post(types, json={"name": "Fellowship"}, headers=m.hr), 201)
    listed = await ok(await client.get(types, headers=m.as_("ana")))
    assert [t["name"] for t in listed["items"]] == ["Rotation", "Fellowship"]

    opening = await m.opening(kind="custom", type_id=rotation["id"], hours_per_week=None, duration_weeks=None)
    assert (opening["kind"], opening["type_id"], opening["status"]) == ("custom", rotation["id"], "open")
    only_rotations = await ok(await client.get(f"{API}/opportunities?type_id={rotation['id']}", headers=m.as_("ana")))
    assert [o["id"] for o in only_rotations["items"]] == [opening["id"]]

    # A retired type takes no new openings.
    problem(await client.post(f"{types}/{rotation['id']}/deactivate", headers=m.as_("hm")), 403)
    retired = await ok(await client.post(f"{types}/{rotation['id']}/deactivate", headers=m.hr))
    assert retired["active"] is False
    refused = await client.post(
        f"{API}/opportunities",
        json={"title": "Another rotation", "kind": "custom", "type_id": rotation["id"]},
        headers=m.as_("hm"),
    )
    assert problem(refused, 422)["errors"][0]["field"] == "type_id"
    assert [t["name"] for t in (await ok(await client.get(f"{types}?active=true", headers=m.hr)))["items"]] == [
        "Fellowship"
    ]
    await ok(await client.post(f"{types}/{rotation['id']}/activate", headers=m.hr))
    await ok(await client.patch(f"{types}/{rotation['id']}", json={"description": "Six months"}, headers=m.hr))
    assert len((await ok(await client.get(f"{types}?active=true", headers=m.hr)))["items"]) == 2


async def test_listing_filters_and_pages(m: Market, client: Client) -> None:
    made = [await m.opening(title=f"Dashboards {i}") for i in range(3)]
    await m.opening(title="Forecasting", org_unit_id=m.units["Analytics"])
    ana = m.as_("ana")
    seen, cursor = [], None
    while True:
        page = await ok(
            await client.get(f"{API}/opportunities?limit=2" + (f"&cursor={cursor}" if cursor else ""), headers=ana)
        )
        seen += [o["title"] for o in page["items"]]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == ["Dashboards 0", "Dashboards 1", "Dashboards 2", "Forecasting"]
    assert [o["id"] for o in (await ok(await client.get(f"{API}/opportunities?q=dashb", headers=ana)))["items"]] == [
        o["id"] for o in made
    ]
    # A department's openings include its teams'.
    in_data = await ok(await client.get(f"{API}/opportunities?org_unit_id={m.units['Data']}", headers=ana))
    assert [o["title"] for o in in_data["items"]] == ["Forecasting"]
    assert (await ok(await client.get(f"{API}/opportunities?kind=role", headers=ana)))["items"] == []


async def test_creating_posts_honour_idempotency_keys(m: Market, client: Client) -> None:
    body = {"title": "Gig", "kind": "gig", "hours_per_week": 4, "duration_weeks": 4, "description": "Help"}
    keyed = {**m.as_("hm"), "Idempotency-Key": "post-gig-1"}
    first = await client.post(f"{API}/opportunities", json=body, headers=keyed)
    again = await client.post(f"{API}/opportunities", json=body, headers=keyed)
    assert (first.status_code, again.status_code, again.headers.get("idempotent-replayed")) == (201, 201, "true")
    assert again.json() == first.json()
    assert len((await ok(await client.get(f"{API}/opportunities", headers=m.hr)))["items"]) == 1
    await ok(await client.post(f"{API}/opportunities/{first.json()['id']}/open", headers=m.as_("hm")))
    applying = {**m.as_("ana"), "Idempotency-Key": "apply-1"}
    url = f"{API}/opportunities/{first.json()['id']}/applications"
    applied = await client.post(url, json={}, headers=applying)
    replayed = await client.post(url, json={}, headers=applying)
    assert (applied.status_code, replayed.status_code, replayed.json()["id"]) == (201, 201, applied.json()["id"])
    problem(await client.post(url, json={"kind": "interest"}, headers=applying), 409)
