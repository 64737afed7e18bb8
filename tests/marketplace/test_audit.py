"""The audit log: every view of someone's confidential signal by another person (one entry per
application shown, in lists too; aspirations), every change, readable by HR only, never editable."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.audit.service import AuditService
from backend.auth.principal import Principal, Scope, UserRole, scopes_for
from backend.errors import PermissionDeniedError
from tenants.sessions import Database
from tests.helpers import problem
from tests.marketplace.market import API, Client, Market, ok


async def test_each_view_of_an_application_is_logged(m: Market, client: Client) -> None:
    opening = await m.opening()
    ana = await m.apply(opening["id"], "ana")
    tom = await m.apply(opening["id"], "tom")
    # The applicants' own reads are not views of someone else's signal.
    await ok(await client.get(f"{API}/applications/{ana['id']}", headers=m.as_("ana")))
    await ok(await client.get(f"{API}/me/applications", headers=m.as_("tom")))
    assert await m.audit(action="application.viewed") == []

    await ok(await client.get(f"{API}/applications/{ana['id']}", headers=m.as_("hm")))
    listed = await ok(await client.get(f"{API}/opportunities/{opening['id']}/applications", headers=m.as_("hm")))
    assert [a["employee_id"] for a in listed["items"]] == [m.people["ana"], m.people["tom"]]
    # HR reading is a view too.
    await ok(await client.get(f"{API}/opportunities/{opening['id']}/applications?limit=1", headers=m.hr))
    views = await m.audit(action="application.viewed")
    assert [(v["actor_employee_id"], v["subject_employee_id"], v["object_id"]) for v in views] == [
        (m.people["hm"], m.people["ana"], ana["id"]),
        (m.people["hm"], m.people["ana"], ana["id"]),
        (m.people["hm"], m.people["tom"], tom["id"]),
        (None, m.people["ana"], ana["id"]),
    ]
    assert {v["object_type"] for v in views} == {"application"}
    assert {v["details"]["opportunity_id"] for v in views} == {opening["id"]}
    assert views[0]["actor_subject"] == f"employee:{m.people['hm']}"
    # A refused read shows nothing and records nothing.
    problem(await client.get(f"{API}/applications/{ana['id']}", headers=m.as_("lead")), 404)
    assert len(await m.audit(action="application.viewed")) == 4


async def test_the_managers_views_and_the_changes_are_logged(m: Market, client: Client) -> None:
    opening = await m.opening()
    application = await m.apply(opening["id"])
    await ok(await m.move(application["id"], "offer"))
    await ok(await client.get(f"{API}/me/releases", headers=m.as_("lead")))
    await ok(await client.get(f"{API}/applications/{application['id']}", headers=m.as_("director")))
    by_lead = await m.audit(actor_employee_id=m.people["lead"], action="application.viewed")
    assert [(v["subject_employee_id"], v["details"].get("via")) for v in by_lead] == [(m.people["ana"], "release")]
    assert len(await m.audit(actor_employee_id=m.people["director"])) == 1
    # The signal's history: created by Ana, moved by the hiring manager, her manager told at offer.
    about_ana = await m.audit(subject_employee_id=m.people["ana"])
    assert [(e["action"], e["actor_employee_id"]) for e in about_ana] == [
        ("application.created", m.people["ana"]),
        ("application.stage_changed", m.people["hm"]),
        ("application.manager_informed", m.people["hm"]),
        ("application.viewed", m.people["lead"]),
        ("application.viewed", m.people["director"]),
    ]
    assert about_ana[1]["details"] == {"from": "applied", "to": "offer"}
    since = about_ana[3]["at"]
    assert [
        e["action"] for e in await m.audit(subject_employee_id=m.people["ana"], since=since.replace("+", "%2B"))
    ] == [
        "application.viewed",
        "application.viewed",
    ]


async def test_views_of_aspirations_are_logged(m: Market, client: Client) -> None:
    url = f"{API}/employees/{m.people['ana']}/aspirations"
    await ok(await client.put(url, json={"open_to_move": "hiring_managers"}, headers=m.as_("ana")))
    await ok(await client.get(url, headers=m.as_("ana")))
    await ok(await client.get(url, headers=m.as_("hm")))
    await ok(await client.get(url, headers=m.hr))
    problem(await client.get(url, headers=m.as_("lead")), 404)
    views = await m.audit(action="aspirations.viewed")
    assert [(v["actor_employee_id"], v["subject_employee_id"], v["details"]) for v in views] == [
        (m.people["hm"], m.people["ana"], {"open_to_move": "hiring_managers"}),
        (None, m.people["ana"], {"open_to_move": "hiring_managers"}),
    ]


async def test_only_hr_reads_the_log_and_nobody_edits_it(m: Market, client: Client, database: Database) -> None:
    opening = await m.opening()
    application = await m.apply(opening["id"])
    await ok(await client.get(f"{API}/applications/{application['id']}", headers=m.as_("hm")))
    for name in ("hm", "ana", "ceo"):
        problem(await client.get(f"{API}/audit-events", headers=m.as_(name)), 403)
    # A token holding audit:read without being HR is refused by the service as well.
    scoped = m.auth(m.tenant, UserRole.MANAGER, employee_id=uuid.UUID(m.people["hm"]), scopes=(Scope.AUDIT_READ.value,))
    problem(await client.get(f"{API}/audit-events", headers=scoped), 403)
    problem(await client.get(f"{API}/audit-events?since=yesterday", headers=m.hr), 400)
    # No route writes it...
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, f"{API}/audit-events", json={}, headers=m.hr)
        assert response.status_code == 405, (method, response.status_code)
    # ...and the tenant's role (which the API becomes) may add rows but not change or remove them.
    before = await m.audit()
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with database.tenant_session(m.tenant) as session, session.begin():
                await session.execute(text(statement))
    assert await m.audit() == before


async def test_the_log_is_bounded_by_a_period_and_names_its_actors(
    m: Market, client: Client, database: Database
) -> None:
    opening = await m.opening()
    application = await m.apply(opening["id"])
    await ok(await client.get(f"{API}/applications/{application['id']}", headers=m.as_("hm")))
    everything = await m.audit()
    assert everything
    first, last = everything[0]["at"], everything[-1]["at"]
    # `until` is exclusive, `since` inclusive: the first entry alone, then all but it.
    assert await m.audit(until=first.replace("+", "%2B")) == []
    assert await m.audit(since=first.replace("+", "%2B")) == everything
    assert len(await m.audit(until=last.replace("+", "%2B"))) < len(everything)
    problem(await client.get(f"{API}/audit-events?until=tomorrow", headers=m.hr), 400)
    # HR's choice of whom to filter by: the employees who appear as actors, each once.
    hr = Principal(m.tenant, "test:hr", None, frozenset({UserRole.HR_ADMIN}), scopes_for({UserRole.HR_ADMIN}))
    ana = uuid.UUID(m.people["ana"])
    employee = Principal(
        m.tenant, f"employee:{ana}", ana, frozenset({UserRole.EMPLOYEE}), scopes_for({UserRole.EMPLOYEE})
    )
    async with database.tenant_session(m.tenant) as session:
        actors = await AuditService(session).actors(hr)
        with pytest.raises(PermissionDeniedError):
            await AuditService(session).actors(employee)
    assert sorted(map(str, actors)) == sorted({e["actor_employee_id"] for e in everything if e["actor_employee_id"]})
    assert m.people["hm"] in {str(a) for a in actors}
