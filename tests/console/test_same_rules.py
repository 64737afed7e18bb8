"""One rule, one answer: the console reaches the marketplace through the API's services and answers
each refusal with the API's status and reason (a move backwards is 409 naming both stages, a broken
rule 422 naming it); its dashboard counts the applications still in play only."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pyotp
from litestar import Litestar
from litestar.testing import AsyncTestClient

from admin.models import PlatformRole
from admin.users import PlatformUserService
from backend.app import AppCollaborators
from backend.auth.secretbox import SecretBox
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.console.test_access import PASSWORD, Browserless, Staff, _chosen
from tests.helpers import problem
from tests.marketplace.market import API, Market, build_market, ok

Client = AsyncTestClient[Litestar]


async def _console_for(
    client: Client, database: Database, collaborators: AppCollaborators, tenant: TenantRef
) -> Browserless:
    secretbox = collaborators.secretbox
    assert isinstance(secretbox, SecretBox)
    email = f"rules-{secrets.token_hex(3)}@crosswalk.example"
    async with database.control_session() as session, session.begin():
        users = PlatformUserService(session, secretbox)
        created = await users.create(email, "Rule Checker", PlatformRole.CONSULTANT, PASSWORD)
        await users.assign(email, tenant.id, by="test")
    assert created.totp_uri is not None
    return await _chosen(client, Staff(email, pyotp.parse_uri(created.totp_uri).secret), tenant)


async def _market(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> Market:
    return await build_market(client, make_tenant(f"rules_{secrets.token_hex(3)}"), auth)


async def test_an_application_moves_in_the_console_by_the_apis_rules(
    client: Client, collaborators: AppCollaborators, database: Database, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    m = await _market(client, make_tenant, auth)
    opening = await m.opening()
    application = await m.apply(opening["id"], "ana")
    tab = await _console_for(client, database, collaborators, m.tenant)
    details = f"/admin/application/details/{application['id']}"
    stage_url = f"/admin/application/{application['id']}/stage"
    assert "Move to" in (await tab.get(details)).text

    assert (await tab.post(stage_url, {"to": "screening"})).status_code == 303
    api_url = f"{API}/applications/{application['id']}"
    assert (await ok(await client.get(api_url, headers=m.hr)))["stage"] == "screening"

    # Backwards: 409 naming both stages, in the console as in the API, and nothing moves.
    await tab.get(details)
    backwards = await tab.post(stage_url, {"to": "applied"})
    by_api = problem(await client.post(f"{api_url}/stage", json={"to": "applied"}, headers=m.hr), 409)
    assert backwards.status_code == 409
    assert by_api["detail"] == "an application cannot move from screening to applied"
    assert by_api["detail"] in backwards.text
    # A rejection without its reason: 422 naming the note, in both.
    await tab.get(details)
    no_reason = await tab.post(stage_url, {"to": "rejected"})
    by_api = problem(await client.post(f"{api_url}/stage", json={"to": "rejected"}, headers=m.hr), 422)
    assert no_reason.status_code == 422
    assert by_api["detail"] in no_reason.text
    # Not a stage at all: 400, as the API's schema answers.
    await tab.get(details)
    assert (await tab.post(stage_url, {"to": "promoted"})).status_code == 400
    problem(await client.post(f"{api_url}/stage", json={"to": "promoted"}, headers=m.hr), 400)
    assert (await ok(await client.get(api_url, headers=m.hr)))["stage"] == "screening"

    await tab.get(details)
    shared = "We hired internally earlier."
    rejected = await tab.post(stage_url, {"to": "rejected", "note": "Too junior for the team", "reason_shared": shared})
    assert rejected.status_code == 303
    mine = await ok(await client.get(api_url, headers=m.as_("ana")))
    assert (mine["stage"], mine["reason_shared"]) == ("rejected", shared)


async def test_a_console_refusal_has_the_apis_status(
    client: Client, collaborators: AppCollaborators, database: Database, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    m = await _market(client, make_tenant, auth)
    tab = await _console_for(client, database, collaborators, m.tenant)
    # Sam manages nobody, so may not be named hiring manager (docs/marketplace.md).
    body: dict[str, Any] = {
        "title": f"Survey gig {secrets.token_hex(2)}",
        "kind": "gig",
        "hours_per_week": 4,
        "duration_weeks": 8,
        "positions": 1,
        "hiring_manager_id": m.people["sam"],
    }
    await tab.get("/admin/opportunity/create")
    refused = await tab.post("/admin/opportunity/create", {**{k: str(v) for k, v in body.items()}, "save": "Save"})
    by_api = problem(await client.post(f"{API}/opportunities", json=body, headers=m.hr), 422)
    assert refused.status_code == 422
    assert by_api["detail"] in refused.text
    listed = await ok(await client.get(f"{API}/opportunities", params={"q": body["title"]}, headers=m.hr))
    assert listed["items"] == []
    # An edit of an employee into a duplicate email: the API's conflict, 409.
    await tab.get(f"/admin/employee/edit/{m.people['sam']}")
    clash = await tab.post(
        f"/admin/employee/edit/{m.people['sam']}",
        {"full_name": "Sam", "email": f"ana@{m.tenant.slug.replace('_', '-')}.example", "active": "y", "save": "Save"},
    )
    assert clash.status_code == 409
    assert re.search("already exists", clash.text)


async def test_the_dashboard_counts_the_applications_in_play(
    client: Client, collaborators: AppCollaborators, database: Database, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    m = await _market(client, make_tenant, auth)
    await m.set_policy("never_before_move")
    opening = await m.opening(positions=3)
    hired = await m.apply(opening["id"], "ana")
    await ok(await m.move(hired["id"], "offer"))
    await ok(await m.move(hired["id"], "hired"))
    rejected = await m.apply(opening["id"], "tom")
    await ok(await m.move(rejected["id"], "rejected", note="Not now"))
    withdrawn = await m.apply(opening["id"], "sam")
    await ok(await client.post(f"{API}/applications/{withdrawn['id']}/withdraw", json={}, headers=m.as_("sam")))
    await m.apply(opening["id"], "lead", kind="interest")
    # A closed opening's applications go on and can still lead to a hire: in play too.
    closing = await m.opening(title="Closing gig")
    screening = await m.apply(closing["id"], "tom")
    await ok(await m.move(screening["id"], "screening"))
    await ok(await client.post(f"{API}/opportunities/{closing['id']}/close", headers=m.as_("hm")))

    pipeline = await ok(await client.get(f"{API}/analytics/pipeline", headers=m.hr))
    # Live: Lead's interest and Tom's screening; hired, rejected and withdrawn ones are done.
    assert pipeline["live_applications"] == 2
    assert pipeline["applications"] == 4
    # One of the three positions is filled: two are open.
    assert pipeline["open_positions"] == 2
    tab = await _console_for(client, database, collaborators, m.tenant)
    dashboard = await tab.get("/admin/dashboard")
    shown = re.search(r'id="kpi-applications">(\d+)<', dashboard.text)
    assert shown is not None, dashboard.text
    assert shown.group(1) == "2"
