"""Adds and edits of a tenant's data in the console go through the API's services and write schemas:
what the API refuses the console refuses with the same reason and changes nothing; what it accepts is
what the API then reads, with an audit record of who changed what."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from admin.models import ConsoleAuditEvent, PlatformRole
from backend.app import AppCollaborators
from backend.auth.secretbox import SecretBox
from backend.marketplace.models import Opportunity
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.console.test_access import Browserless, Staff, _chosen, _make_staff


@pytest.fixture(scope="module")
def tenants(make_tenant: TenantFactory) -> tuple[TenantRef, TenantRef]:
    return make_tenant(f"edit_a_{secrets.token_hex(3)}"), make_tenant(f"edit_b_{secrets.token_hex(3)}")


@pytest.fixture
async def staff(collaborators: AppCollaborators, database: Database, tenants: tuple[TenantRef, TenantRef]) -> Staff:
    secretbox = collaborators.secretbox
    assert isinstance(secretbox, SecretBox)
    return await _make_staff(database, secretbox, PlatformRole.CONSULTANT, [tenants[0]])


async def _audit(database: Database, staff: Staff, action: str) -> list[ConsoleAuditEvent]:
    async with database.control_session() as session:
        return list(
            await session.scalars(
                select(ConsoleAuditEvent)
                .where(ConsoleAuditEvent.action == action, ConsoleAuditEvent.actor_email == staff.email)
                .order_by(ConsoleAuditEvent.at)
            )
        )


async def _form_post(tab: Browserless, url: str, fields: dict[str, str]) -> Any:
    """Open the form (for its CSRF token), then send it as the browser would."""
    assert (await tab.get(url)).status_code == 200
    return await tab.post(url, {**fields, "save": "Save"})


async def test_roles_are_added_by_the_framework_rules(
    client: AsyncTestClient[Litestar],
    staff: Staff,
    tenants: tuple[TenantRef, TenantRef],
    auth: TokenFactory,
    database: Database,
) -> None:
    mine, _ = tenants
    hr = auth(mine)
    family = await client.post("/api/v1/job-families", json={"name": f"Data {secrets.token_hex(2)}"}, headers=hr)
    assert family.status_code == 201, family.text
    tab = await _chosen(client, staff, mine)
    title = f"Analytics engineer {secrets.token_hex(2)}"
    fields = {"title": title, "level": "11", "job_family_id": family.json()["id"]}

    refused = await _form_post(tab, "/admin/role/create", fields)
    assert refused.status_code == 400
    assert "level" in refused.text
    roles = (await client.get("/api/v1/roles", params={"q": title}, headers=hr)).json()
    assert [r for r in roles["items"] if r["title"] == title] == []

    added = await _form_post(tab, "/admin/role/create", {**fields, "level": "3"})
    assert added.status_code == 302, added.text
    roles = (await client.get("/api/v1/roles", params={"q": title}, headers=hr)).json()
    assert [(r["title"], r["level"]) for r in roles["items"] if r["title"] == title] == [(title, 3)]
    [event] = await _audit(database, staff, "role.create")
    assert (event.tenant_id, event.target) == (mine.id, f"role {title}")


async def test_a_course_edit_shows_the_current_choice_and_keeps_the_catalogue_rules(
    client: AsyncTestClient[Litestar],
    staff: Staff,
    tenants: tuple[TenantRef, TenantRef],
    auth: TokenFactory,
    database: Database,
) -> None:
    mine, _ = tenants
    hr = auth(mine)
    created = await client.post(
        "/api/v1/courses",
        json={
            "title": "SQL for analysts",
            "provider": "Acme Learning",
            "format": "online",
            "duration_hours": 6,
            "cost": 120,
            "currency": "EUR",
        },
        headers=hr,
    )
    assert created.status_code == 201, created.text
    course = created.json()
    tab = await _chosen(client, staff, mine)
    url = f"/admin/course/edit/{course['id']}"
    form = await tab.get(url)
    # The row's own format is the one selected, so saving without touching it keeps it.
    selected = re.search(r'<option\s+selected\s+value="([a-z_]+)"|<option\s+value="([a-z_]+)"\s+selected', form.text)
    assert selected is not None
    assert "online" in selected.groups()

    fields = {
        "title": "SQL for analysts",
        "provider": "Acme Learning",
        "format": "online",
        "duration_hours": "6",
        "cost": "-5",
        "currency": "EUR",
    }
    refused = await tab.post(url, {**fields, "save": "Save"})
    assert refused.status_code == 400
    assert "cost" in refused.text
    assert (await client.get(f"/api/v1/courses/{course['id']}", headers=hr)).json()["cost"] == 120

    saved = await tab.post(url, {**fields, "cost": "95.50", "save": "Save"})
    assert saved.status_code == 302, saved.text
    after = (await client.get(f"/api/v1/courses/{course['id']}", headers=hr)).json()
    assert (after["cost"], after["format"], after["duration_hours"]) == (95.5, "online", 6)
    [event] = await _audit(database, staff, "course.update")
    # Only the cost changed: the format, untouched in the form, kept its value.
    assert set(event.changes) == {"cost", "updated_at"}
    assert event.changes["cost"] == {"from": "120.00", "to": "95.50"}


async def test_an_opening_opens_and_closes_by_the_marketplace_rules(
    client: AsyncTestClient[Litestar],
    staff: Staff,
    tenants: tuple[TenantRef, TenantRef],
    auth: TokenFactory,
    database: Database,
) -> None:
    mine, theirs = tenants
    hr = auth(mine)
    manager = await client.post(
        "/api/v1/employees",
        json={"email": f"m{secrets.token_hex(3)}@a.example", "full_name": "Mia Manager"},
        headers=hr,
    )
    assert manager.status_code == 201, manager.text
    # A hiring manager manages someone (docs/marketplace.md, who may be a hiring manager).
    report = await client.post(
        "/api/v1/employees",
        json={
            "email": f"r{secrets.token_hex(3)}@a.example",
            "full_name": "Rui Report",
            "manager_id": manager.json()["id"],
        },
        headers=hr,
    )
    assert report.status_code == 201, report.text
    tab = await _chosen(client, staff, mine)
    title = f"Data quality gig {secrets.token_hex(2)}"
    gig = {"title": title, "kind": "gig", "hours_per_week": "4", "duration_weeks": "8", "positions": "1"}
    added = await _form_post(tab, "/admin/opportunity/create", gig)
    assert added.status_code == 302, added.text
    async with database.tenant_session(mine) as session:
        opportunity = await session.scalar(select(Opportunity).where(Opportunity.title == title))
    assert opportunity is not None
    assert opportunity.status.value == "draft"
    opportunity_id = opportunity.id
    details = f"/admin/opportunity/details/{opportunity_id}"

    # Opening needs a description and a hiring manager: refused with the service's reason and the API's
    # status (422, a broken rule), still a draft.
    page = await tab.get(details)
    assert "Open for applications" in page.text
    refused = await tab.post(f"/admin/opportunity/{opportunity_id}/status", {"status": "open"})
    assert refused.status_code == 422
    assert "description" in refused.text
    api = await client.get(f"/api/v1/opportunities/{opportunity_id}", headers=hr)
    assert api.json()["status"] == "draft"

    edited = await _form_post(
        tab,
        f"/admin/opportunity/edit/{opportunity_id}",
        {**gig, "description": "Clean up the customer tables.", "hiring_manager_id": manager.json()["id"]},
    )
    assert edited.status_code == 302, edited.text
    await tab.get(details)
    opened = await tab.post(f"/admin/opportunity/{opportunity_id}/status", {"status": "open"})
    assert opened.status_code == 303, opened.text
    assert (await client.get(f"/api/v1/opportunities/{opportunity_id}", headers=hr)).json()["status"] == "open"
    await tab.get(details)
    closed = await tab.post(f"/admin/opportunity/{opportunity_id}/status", {"status": "closed"})
    assert closed.status_code == 303, closed.text
    assert (await client.get(f"/api/v1/opportunities/{opportunity_id}", headers=hr)).json()["status"] == "closed"
    [opening] = await _audit(database, staff, "opportunity.open")
    assert opening.changes["status"] == {"from": "draft", "to": "open"}
    [closing] = await _audit(database, staff, "opportunity.close")
    assert closing.changes["status"] == {"from": "open", "to": "closed"}

    # Another tenant's opening is out of reach: the console's session is pinned to the chosen tenant.
    their_hr = auth(theirs)
    other = await client.post(
        "/api/v1/opportunities",
        json={"title": "Their gig", "kind": "gig", "hours_per_week": 2, "duration_weeks": 4},
        headers=their_hr,
    )
    assert other.status_code == 201, other.text
    await tab.get(details)
    reached = await tab.post(f"/admin/opportunity/{other.json()['id']}/status", {"status": "closed"})
    assert reached.status_code == 404
    their_status = (await client.get(f"/api/v1/opportunities/{other.json()['id']}", headers=their_hr)).json()
    assert their_status["status"] == "draft"
    assert (await tab.get(f"/admin/opportunity/edit/{other.json()['id']}")).status_code == 404


async def test_an_employee_moves_to_an_org_unit_chosen_by_name(
    client: AsyncTestClient[Litestar],
    staff: Staff,
    tenants: tuple[TenantRef, TenantRef],
    auth: TokenFactory,
    database: Database,
) -> None:
    mine, theirs = tenants
    hr = auth(mine)
    unit = await client.post("/api/v1/org-units", json={"name": "Finance", "kind": "department"}, headers=hr)
    assert unit.status_code == 201, unit.text
    their_unit = await client.post(
        "/api/v1/org-units", json={"name": "Their secret unit", "kind": "department"}, headers=auth(theirs)
    )
    assert their_unit.status_code == 201, their_unit.text
    person = await client.post(
        "/api/v1/employees", json={"email": f"o{secrets.token_hex(3)}@a.example", "full_name": "Omar Move"}, headers=hr
    )
    assert person.status_code == 201, person.text
    employee_id = person.json()["id"]
    tab = await _chosen(client, staff, mine)
    url = f"/admin/employee/edit/{employee_id}"
    form = await tab.get(url)
    assert re.search(rf'<option\s+value="{unit.json()["id"]}">\s*Finance\s*</option>', form.text)
    # Only the chosen tenant's units are offered, and a unit of another tenant is not accepted.
    assert "Their secret unit" not in form.text
    fields = {"full_name": "Omar Move", "email": person.json()["email"], "active": "y"}
    refused = await tab.post(url, {**fields, "org_unit_id": their_unit.json()["id"], "save": "Save"})
    assert refused.status_code == 400
    assert (await client.get(f"/api/v1/employees/{employee_id}", headers=hr)).json()["org_unit_id"] is None

    moved = await tab.post(url, {**fields, "org_unit_id": unit.json()["id"], "save": "Save"})
    assert moved.status_code == 302, moved.text
    assert (await client.get(f"/api/v1/employees/{employee_id}", headers=hr)).json()["org_unit_id"] == unit.json()["id"]
    [event] = await _audit(database, staff, "employee.update")
    assert event.changes["org_unit_id"] == {"from": None, "to": unit.json()["id"]}
    # Lists and pages name what a row refers to rather than showing its id.
    listing = await tab.get(f"/admin/employee/list?search={person.json()['email']}")
    assert "Finance" in listing.text
    assert unit.json()["id"] not in listing.text
    details = await tab.get(f"/admin/employee/details/{employee_id}")
    assert "Finance" in details.text
