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
from tests.marketplace.market import build_market


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


async def _employee(client: AsyncTestClient[Litestar], hr: dict[str, str], name: str, **extra: Any) -> dict[str, Any]:
    email = f"{name.split()[0].lower()}.{secrets.token_hex(3)}@a.example"
    created = await client.post("/api/v1/employees", json={"email": email, "full_name": name, **extra}, headers=hr)
    assert created.status_code == 201, created.text
    return dict(created.json())


def _selected(page: str, field: str) -> str | None:
    """The value of the option selected in the form's select `field`."""
    select = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', page, re.DOTALL)
    assert select is not None, f"no select {field}"
    chosen = re.search(r'<option\s+(?:selected\s+value="([^"]*)"|value="([^"]*)"\s+selected)', select.group(1))
    return None if chosen is None else (chosen.group(1) or chosen.group(2))


async def test_a_manager_is_found_by_name_and_a_refused_save_keeps_what_was_typed(
    client: AsyncTestClient[Litestar],
    staff: Staff,
    tenants: tuple[TenantRef, TenantRef],
    auth: TokenFactory,
    database: Database,
) -> None:
    mine, theirs = tenants
    hr = auth(mine)
    tag = secrets.token_hex(2)
    boss = await _employee(client, hr, f"Bettina Lookup{tag}")
    report = await _employee(client, hr, f"Ravi Lookup{tag}", manager_id=boss["id"])
    stranger = await _employee(client, auth(theirs), f"Bettina Lookup{tag} Elsewhere")
    unit = await client.post("/api/v1/org-units", json={"name": f"Ops {tag}", "kind": "department"}, headers=hr)
    assert unit.status_code == 201, unit.text
    tab = await _chosen(client, staff, mine)

    # The form says "Manager", and its field searches as you type (select2 on the view's lookup).
    form = await tab.get(f"/admin/employee/edit/{boss['id']}")
    assert "employee id" not in form.text
    assert re.search(r'<label[^>]*for="manager_id"[^>]*>\s*Manager\s*</label>', form.text)
    assert re.search(r'<select[^>]*data-role="select2-ajax"[^>]*name="manager_id"', form.text) or re.search(
        r'<select[^>]*name="manager_id"[^>]*data-role="select2-ajax"', form.text
    )
    # The lookup finds people by part of their name, in the chosen tenant only, by name and email.
    found = await tab.get(f"/admin/employee/lookup?name=manager_id&term=ettina%20lookup{tag}")
    assert found.status_code == 200
    results = found.json()["results"]
    assert results == [{"id": boss["id"], "text": f"Bettina Lookup{tag} ({boss['email']})"}]
    assert stranger["id"] not in found.text
    assert (await tab.get("/admin/employee/lookup?name=email&term=a")).status_code == 404

    # A refused save (a manager loop, the service's 422 naming the field) keeps every field as typed,
    # the chosen references too, with the message above the form and beside the manager.
    url = f"/admin/employee/edit/{boss['id']}"
    typed = {
        "full_name": f"Bettina Lookup{tag}",
        "email": boss["email"],
        "title": "Head of operations",
        "level": "4",
        "org_unit_id": unit.json()["id"],
        "manager_id": report["id"],
        "active": "y",
    }
    refused = await tab.post(url, {**typed, "save": "Save"})
    assert refused.status_code == 422, refused.text
    assert "cannot report to themselves" in refused.text
    assert re.search(r'class="invalid-feedback">[^<]*cannot report to themselves', refused.text)
    assert 'value="Head of operations"' in refused.text
    assert _selected(refused.text, "manager_id") == report["id"]
    assert _selected(refused.text, "org_unit_id") == unit.json()["id"]
    assert f"Ravi Lookup{tag} ({report['email']})" in refused.text
    after = (await client.get(f"/api/v1/employees/{boss['id']}", headers=hr)).json()
    assert (after["manager_id"], after["title"]) == (None, None)

    # A new person with a duplicate email: refused (409), the form kept with the manager chosen.
    added = {"full_name": "Dana Duplicate", "email": boss["email"], "manager_id": boss["id"], "active": "y"}
    duplicate = await _form_post(tab, "/admin/employee/create", added)
    assert duplicate.status_code == 409, duplicate.text
    assert 'value="Dana Duplicate"' in duplicate.text
    assert _selected(duplicate.text, "manager_id") == boss["id"]

    # Another tenant's person is not accepted as a manager, even by id.
    foreign = await tab.post(url, {**typed, "manager_id": stranger["id"], "save": "Save"})
    assert foreign.status_code == 400
    assert (await client.get(f"/api/v1/employees/{boss['id']}", headers=hr)).json()["manager_id"] is None

    saved = await tab.post(url, {**typed, "manager_id": "", "save": "Save"})
    assert saved.status_code == 302, saved.text
    assert (await client.get(f"/api/v1/employees/{boss['id']}", headers=hr)).json()["title"] == "Head of operations"


async def _skill(client: AsyncTestClient[Litestar], hr: dict[str, str], label: str) -> str:
    created = await client.post("/api/v1/skills", json={"label": label}, headers=hr)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_a_role_an_opening_and_a_course_are_given_skills_through_their_services(
    client: AsyncTestClient[Litestar],
    staff: Staff,
    tenants: tuple[TenantRef, TenantRef],
    auth: TokenFactory,
    database: Database,
) -> None:
    mine, theirs = tenants
    hr = auth(mine)
    tag = secrets.token_hex(2)
    sql, python = await _skill(client, hr, f"SQL {tag}"), await _skill(client, hr, f"Python {tag}")
    their_skill = await _skill(client, auth(theirs), f"Their skill {tag}")
    family = await client.post("/api/v1/job-families", json={"name": f"Data {tag}"}, headers=hr)
    role = await client.post(
        "/api/v1/roles", json={"title": f"Analyst {tag}", "level": 2, "job_family_id": family.json()["id"]}, headers=hr
    )
    assert role.status_code == 201, role.text
    role_id = role.json()["id"]
    tab = await _chosen(client, staff, mine)
    details = f"/admin/role/details/{role_id}"
    page = await tab.get(details)
    assert "Required skills" in page.text
    assert (await tab.get(f"/admin/role/lookup?name=skill_id&term=SQL%20{tag}")).json()["results"] == [
        {"id": sql, "text": f"SQL {tag}"}
    ]
    edit = await tab.get(f"/admin/role/edit/{role_id}")
    assert f"{details}#skills" in edit.text

    added = await tab.post(f"/admin/role/{role_id}/skills", {"skill_id": sql, "level": "3", "importance": "essential"})
    assert added.status_code == 303, added.text
    await tab.get(details)
    second = await tab.post(
        f"/admin/role/{role_id}/skills", {"skill_id": python, "level": "2", "importance": "nice_to_have"}
    )
    assert second.status_code == 303, second.text
    # The API's rules: a level beyond 5 is refused (400, the schema), another tenant's skill is not found.
    await tab.get(details)
    too_high = await tab.post(
        f"/admin/role/{role_id}/skills", {"skill_id": sql, "level": "7", "importance": "essential"}
    )
    assert too_high.status_code == 400
    assert "Nothing was changed." in too_high.text
    await tab.get(details)
    foreign = await tab.post(
        f"/admin/role/{role_id}/skills", {"skill_id": their_skill, "level": "2", "importance": "important"}
    )
    assert foreign.status_code == 404
    await tab.get(details)
    removed = await tab.post(f"/admin/role/{role_id}/skills/remove", {"skill_id": python})
    assert removed.status_code == 303, removed.text
    required = (await client.get(f"/api/v1/roles/{role_id}/skills", headers=hr)).json()["items"]
    assert [(s["skill_id"], s["target_level"], s["importance"]) for s in required] == [(sql, 3, "essential")]
    page = await tab.get(details)
    assert re.search(rf"<td>SQL {tag}</td>\s*<td>3</td>\s*<td>essential</td>", page.text)
    assert f"Python {tag}" not in re.sub(r"<select.*?</select>", "", page.text, flags=re.DOTALL)
    events = await _audit(database, staff, "role.skill_set")
    assert [e.changes for e in events] == [
        {f"skill SQL {tag}": {"from": None, "to": "level 3, essential"}},
        {f"skill Python {tag}": {"from": None, "to": "level 2, nice to have"}},
    ]
    [dropped] = await _audit(database, staff, "role.skill_removed")
    assert dropped.changes == {f"skill Python {tag}": {"from": "level 2, nice to have", "to": None}}
    assert dropped.target == f"role Analyst {tag}"

    # An opening: its skills replaced through OpportunityService.update, one at a time.
    gig = await client.post(
        "/api/v1/opportunities",
        json={"title": f"Gig {tag}", "kind": "gig", "hours_per_week": 4, "duration_weeks": 8},
        headers=hr,
    )
    assert gig.status_code == 201, gig.text
    gig_id = gig.json()["id"]
    await tab.get(f"/admin/opportunity/details/{gig_id}")
    for skill_id, level in ((sql, "4"), (python, "2")):
        answer = await tab.post(
            f"/admin/opportunity/{gig_id}/skills", {"skill_id": skill_id, "level": level, "importance": "essential"}
        )
        assert answer.status_code == 303, answer.text
    await tab.post(f"/admin/opportunity/{gig_id}/skills/remove", {"skill_id": sql})
    asked = (await client.get(f"/api/v1/opportunities/{gig_id}", headers=hr)).json()["skills"]
    assert [(s["skill_id"], s["level"]) for s in asked] == [(python, 2)]
    assert len(await _audit(database, staff, "opportunity.skill_set")) == 2

    # A course: the skills it teaches and the level reached, through CourseService.update.
    course = await client.post(
        "/api/v1/courses",
        json={
            "title": f"Course {tag}",
            "provider": "Acme",
            "format": "online",
            "duration_hours": 3,
            "cost": 50,
            "currency": "EUR",
        },
        headers=hr,
    )
    assert course.status_code == 201, course.text
    course_id = course.json()["id"]
    page = await tab.get(f"/admin/course/details/{course_id}")
    assert "Skills taught" in page.text
    answer = await tab.post(f"/admin/course/{course_id}/skills", {"skill_id": python, "level": "3"})
    assert answer.status_code == 303, answer.text
    taught = (await client.get(f"/api/v1/courses/{course_id}", headers=hr)).json()["skills"]
    assert [(s["skill_id"], s["level_reached"]) for s in taught] == [(python, 3)]
    await tab.get(f"/admin/course/details/{course_id}")
    answer = await tab.post(f"/admin/course/{course_id}/skills/remove", {"skill_id": python})
    assert answer.status_code == 303, answer.text
    assert (await client.get(f"/api/v1/courses/{course_id}", headers=hr)).json()["skills"] == []
    [taught_event] = await _audit(database, staff, "course.skill_set")
    assert taught_event.changes == {f"skill Python {tag}": {"from": None, "to": "level 3"}}


async def test_an_employee_page_shows_skills_aspirations_by_the_rules_and_applications(
    client: AsyncTestClient[Litestar],
    staff: Staff,
    tenants: tuple[TenantRef, TenantRef],
    auth: TokenFactory,
) -> None:
    mine, _ = tenants
    hr = auth(mine)
    tag = secrets.token_hex(2)
    skill = await _skill(client, hr, f"Forecasting {tag}")
    open_person = await _employee(client, hr, f"Olga Open{tag}")
    hidden_person = await _employee(client, hr, f"Hugo Hidden{tag}")
    rated = await client.put(
        f"/api/v1/employees/{open_person['id']}/skills/{skill}", json={"level": 4, "source": "manager"}, headers=hr
    )
    assert rated.status_code == 200, rated.text
    for person, openness in ((open_person, "hr_only"), (hidden_person, "hidden")):
        answer = await client.put(
            f"/api/v1/employees/{person['id']}/aspirations",
            json={"open_to_move": openness, "skill_ids": [skill]},
            headers=hr,
        )
        assert answer.status_code == 200, answer.text
    tab = await _chosen(client, staff, mine)

    page = await tab.get(f"/admin/employee/details/{open_person['id']}")
    assert page.status_code == 200
    skills = re.search(r'id="employee-skills".*?</table>', page.text, re.DOTALL)
    assert skills is not None
    assert f"Forecasting {tag}" in skills.group(0)
    assert "manager" in skills.group(0)
    assert re.search(r"\d{4}-\d{2}-\d{2}", skills.group(0))
    aspirations = re.search(r'id="employee-aspirations".*?</table>', page.text, re.DOTALL)
    assert aspirations is not None
    assert "yes, HR may see it" in aspirations.group(0)
    assert f"Forecasting {tag}" in aspirations.group(0)
    assert "None" not in page.text

    hidden = await tab.get(f"/admin/employee/details/{hidden_person['id']}")
    assert 'id="aspirations-withheld"' in hidden.text
    assert "keeps their aspirations hidden" in hidden.text
    withheld = re.search(r'id="employee-aspirations".*?</div>\s*</div>', hidden.text, re.DOTALL)
    assert withheld is not None
    assert f"Forecasting {tag}" not in withheld.group(0)

    # The view is audited as the API audits one: the open person's, not the hidden one's (not shown).
    audit = await client.get(
        f"/api/v1/audit-events?action=aspirations.viewed&subject_employee_id={open_person['id']}", headers=hr
    )
    assert [(e["actor_subject"], e["details"]) for e in audit.json()["items"]] == [
        (f"console:{staff.email}", {"open_to_move": "hr_only"})
    ]
    none = await client.get(
        f"/api/v1/audit-events?action=aspirations.viewed&subject_employee_id={hidden_person['id']}", headers=hr
    )
    assert none.json()["items"] == []


async def test_an_application_page_is_audited_once_per_view(
    client: AsyncTestClient[Litestar],
    collaborators: AppCollaborators,
    database: Database,
    make_tenant: TenantFactory,
    auth: TokenFactory,
) -> None:
    """As the API logs one view per application shown, the console logs one per page shown (SQLAdmin
    reads the row twice for a detail page), and the employee's page one per application it lists."""
    tenant = make_tenant(f"edit_v_{secrets.token_hex(3)}")
    market = await build_market(client, tenant, auth)
    opening = await market.opening()
    application = await market.apply(opening["id"], "ana")
    secretbox = collaborators.secretbox
    assert isinstance(secretbox, SecretBox)
    staff = await _make_staff(database, secretbox, PlatformRole.CONSULTANT, [tenant])
    tab = await _chosen(client, staff, tenant)

    async def views_by_console() -> list[dict[str, Any]]:
        seen = await market.audit(action="application.viewed")
        return [e for e in seen if e["actor_subject"] == f"console:{staff.email}"]

    assert (await tab.get(f"/admin/application/details/{application['id']}")).status_code == 200
    assert [e["object_id"] for e in await views_by_console()] == [application["id"]]
    page = await tab.get(f"/admin/employee/details/{market.people['ana']}")
    assert re.search(rf">\s*{re.escape(opening['title'])}\s*</a>", page.text)
    assert [e["object_id"] for e in await views_by_console()] == [application["id"]] * 2
