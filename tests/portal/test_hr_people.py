"""The HR workspace's People area, in Chromium through the company's real OpenID provider, as Hilde (HR):
she finds Ana by name and by the filters, opens her page and reads her place in the directory, her skills
with their levels as the API serves them, her aspirations (her open-to-move choice lets HR see them) and
her application, the view of her aspirations written to the audit log as the API writes it; Ben (HR only)
with his aspirations, his mentoring and his training plan; Cara (hidden) with a sentence instead of her
aspirations and no audit entry; a search too long refused beside its field, as typed; the page in Dutch;
the search by keyboard alone. Over HTTP: Ana and Hm are refused (403), a script without a session gets
the API's 401, and an unknown query parameter is a 400, as the API answers.

What is set up (an opening Ana applied to, a draft programme where Dan is offered as Ben's mentor, a
plan for Ben) is removed afterwards: the other tests read the same company."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Locator, Page, expect
from sqlalchemy import delete, select

from backend.audit.models import AuditEvent
from backend.auth.principal import Principal, UserRole, scopes_for
from backend.marketplace.applications import ApplicationService
from backend.marketplace.models import Application, ApplicationKind, Opportunity, OpportunityKind
from backend.marketplace.opportunities import OpportunityService
from backend.marketplace.schemas import ApplicationCreate, OpportunityCreate
from backend.mentoring.models import (
    MenteeRequest,
    MentorProfile,
    Pairing,
    PairingRun,
    PairingState,
    Programme,
    ProgrammeStatus,
)
from backend.notifications.models import Notification
from backend.org.service import OrgService
from backend.org.skill_profiles import SkillProfileService
from backend.portal.i18n import LANGUAGE_COOKIE
from backend.training.models import PlanOrigin, TrainingPlan
from tenants.base import new_id
from tenants.sessions import Database
from tests.mentoring.seed import add_mentee, add_mentor, add_pairing, add_programme
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in
from tests.portal.test_keyboard import assert_keyboard_reaches_everything

HTML = {"Accept": "text/html,application/xhtml+xml"}


def person(portal: Portal, employee_id: uuid.UUID) -> Principal:
    held = frozenset({UserRole.EMPLOYEE})
    return Principal(portal.tenant, f"employee:{employee_id}", employee_id, held, scopes_for(held))


def hr(portal: Portal) -> Principal:
    held = frozenset({UserRole.HR_ADMIN})
    return Principal(portal.tenant, "test:hr", None, held, scopes_for(held))


@dataclass(frozen=True)
class Seeded:
    opening_title: str
    application_id: uuid.UUID
    programme_name: str
    plan_id: uuid.UUID


@pytest.fixture
async def seeded(portal: Portal, database: Database) -> AsyncIterator[Seeded]:
    """An open gig Ana applied to; a draft mentoring programme (no one but HR sees a draft) in which Ben
    asks for a mentor and Dan is proposed as his mentor; a plan for Ben towards Senior Analyst that HR
    asked for. All removed afterwards."""
    people = portal.world.people
    started = dt.datetime.now(dt.UTC)
    token = secrets.token_hex(3)
    title = f"Forecasting gig {token}"
    name = f"Data mentoring {token}"
    async with database.tenant_session(portal.tenant) as session, session.begin():
        opportunities = OpportunityService(session)
        opening = await opportunities.create(
            hr(portal),
            OpportunityCreate(
                title=title,
                kind=OpportunityKind.GIG,
                description="Two hours a week on the sales forecast.",
                hiring_manager_id=people["hm"],
                hours_per_week=2,
                duration_weeks=4,
            ),
        )
        await opportunities.open(hr(portal), opening.id)
        applied = await ApplicationService(session).apply(
            person(portal, people["ana"]), opening.id, ApplicationCreate(kind=ApplicationKind.APPLICATION)
        )
        plan = TrainingPlan(
            id=new_id(),
            employee_id=people["ben"],
            target_role_id=portal.world.roles["Senior Analyst"],
            origin=PlanOrigin.REQUESTED,
            requested_by="test:hr",
            total_cost=0,
            total_hours=0,
            gaps=[],
        )
        session.add(plan)
    programme = await add_programme(database, portal.tenant, name, ProgrammeStatus.DRAFT)
    request = await add_mentee(
        database,
        portal.tenant,
        programme,
        people["ben"],
        languages=["en"],
        target_role_id=portal.world.roles["Analyst"],
    )
    offer = await add_mentor(database, portal.tenant, programme, people["dan"], capacity=2, languages=["en"])
    await add_pairing(
        database, portal.tenant, programme, profile_id=offer, request_id=request, state=PairingState.PROPOSED
    )
    yield Seeded(title, applied.id, name, plan.id)
    async with database.tenant_session(portal.tenant) as session, session.begin():
        await session.execute(delete(TrainingPlan).where(TrainingPlan.id == plan.id))
        await session.execute(delete(Pairing).where(Pairing.programme_id == programme))
        await session.execute(delete(PairingRun).where(PairingRun.programme_id == programme))
        await session.execute(delete(MenteeRequest).where(MenteeRequest.programme_id == programme))
        await session.execute(delete(MentorProfile).where(MentorProfile.programme_id == programme))
        await session.execute(delete(Programme).where(Programme.id == programme))
        await session.execute(delete(Application).where(Application.id == applied.id))
        await session.execute(delete(Opportunity).where(Opportunity.id == opening.id))
        await session.execute(
            delete(Notification).where(
                Notification.created_at >= started,
                Notification.employee_id.in_([people[n] for n in ("ana", "hm", "cara")]),
            )
        )


async def signed_in(page: Page, portal: Portal, login: str, language: str = "en") -> None:
    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": portal.base_url}])
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, login)


async def views_of_aspirations(
    database: Database, portal: Portal, subject: str, since: dt.datetime
) -> list[AuditEvent]:
    async with database.tenant_session(portal.tenant) as session:
        found = await session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == "aspirations.viewed",
                AuditEvent.subject_employee_id == portal.world.people[subject],
                AuditEvent.at >= since,
            )
            .order_by(AuditEvent.id)
        )
        return list(found.all())


async def hilde_id(database: Database, portal: Portal) -> uuid.UUID:
    async with database.tenant_session(portal.tenant) as session:
        found, _ = await OrgService(session).list_employees(limit=1, email="hilde@example.com")
        return found[0].id


async def test_hr_finds_ana_and_reads_her_skills_aspirations_and_applications(
    seeded: Seeded, page: Page, portal: Portal, database: Database, shots: Shots
) -> None:
    people = portal.world.people
    await signed_in(page, portal, "hilde")
    await page.get_by_role("link", name="HR workspace").click()
    await page.get_by_role("navigation", name="HR workspace").get_by_role("link", name="People").click()
    await expect(page).to_have_url(f"{portal.base_url}/hr/people")
    await expect(page.get_by_role("heading", level=1)).to_have_text("People")
    await expect(page.get_by_role("link", name="People", exact=True).first).to_have_attribute("aria-current", "page")
    await assert_accessible(page)
    await shots(page, "hr-people")

    # By name, within Data (a department: its Analytics team too), with Hm as manager, in Berlin.
    await page.get_by_label("Name or email").fill("ana")
    await page.get_by_label("Department or team").select_option(label="Data")
    await page.get_by_label("Manager").select_option(label="Hm")
    await page.get_by_label("Location").fill("berlin")
    await page.get_by_role("button", name="Search").click()
    rows = page.locator("#people tbody tr")
    await expect(rows).to_have_count(1)
    ana = page.locator(f"#person-{people['ana']}")
    await expect(ana).to_contain_text("ana@example.com")
    await expect(ana).to_contain_text("Analytics")
    await expect(ana).to_contain_text("Hm")
    # The filters stay as chosen.
    await expect(page.get_by_label("Department or team")).to_have_value(
        await page.locator("#unit option", has_text="Data").get_attribute("value") or ""
    )
    await expect(page.get_by_label("Name or email")).to_have_value("ana")
    # Sales has no Ana; the people who left are another list.
    await page.get_by_label("Department or team").select_option(label="Sales")
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("#no-people")).to_have_text("Nobody matches your search.")
    await page.get_by_label("Department or team").select_option(label="Data")
    await page.get_by_label("Status").select_option(label="Left the company")
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("#no-people")).to_be_visible()
    await page.get_by_label("Status").select_option(label="Active")
    await page.get_by_role("button", name="Search").click()

    since = dt.datetime.now(dt.UTC)
    await page.get_by_role("link", name="Ana", exact=True).click()
    await expect(page).to_have_url(f"{portal.base_url}/hr/people/{people['ana']}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ana")
    await expect(page.locator("#fact-unit")).to_have_text("Analytics")
    await expect(page.locator("#fact-manager")).to_have_text("Hm")
    await expect(page.locator("#fact-location")).to_have_text("Berlin")
    await expect(page.locator("#fact-level")).to_have_text("4")
    # Her skills as the API serves them: every current rating, with its level and source.
    async with database.tenant_session(portal.tenant) as session:
        ratings, _ = await SkillProfileService(session).profile(people["ana"], None, None, 100)
    table = page.locator("#skills")
    await expect(table.locator("tbody tr")).to_have_count(len(ratings))
    for rating in ratings:
        row = table.locator(f"#skill-{rating.id}")
        await expect(row.get_by_role("rowheader")).to_have_text(rating.skill_label)
        await expect(row.locator("td").first).to_contain_text(f"{rating.level} · {rating.level_name}")
    assert {r.skill_label for r in ratings} >= {"SQL", "Python", "Tableau"}
    # Her aspirations: open to hiring managers, aiming for Senior Analyst.
    aspirations = page.locator("#aspirations")
    await expect(aspirations).to_contain_text("Open to move: Open to hiring managers.")
    await expect(page.locator("#target-roles")).to_contain_text("Senior Analyst")
    # Her application, as HR sees it.
    application = page.locator(f"#application-{seeded.application_id}")
    await expect(application.get_by_role("rowheader")).to_have_text(seeded.opening_title)
    await expect(application).to_contain_text("Applied")
    await assert_accessible(page)
    await shots(page, "hr-person")

    # The view went to the audit log as the API's view does: Hilde saw Ana's aspirations.
    views = await views_of_aspirations(database, portal, "ana", since)
    assert [(v.actor_employee_id, v.object_type, v.details) for v in views] == [
        (await hilde_id(database, portal), "aspirations", {"open_to_move": "hiring_managers"})
    ]
    async with database.tenant_session(portal.tenant) as session:
        application_views = await session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "application.viewed",
                AuditEvent.object_id == seeded.application_id,
                AuditEvent.at >= since,
            )
        )
        assert len(application_views.all()) == 1


async def test_hr_sees_bens_hr_only_aspirations_mentoring_and_plan_and_not_caras_hidden_ones(
    seeded: Seeded, page: Page, portal: Portal, database: Database
) -> None:
    people = portal.world.people
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}/hr/people/{people['ben']}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ben")
    await expect(page.locator("#aspirations")).to_contain_text("Open to move: HR only.")
    mentoring = page.locator("#mentoring")
    await expect(mentoring).to_contain_text(
        f"Asked for a mentor in {seeded.programme_name}: waiting for the next pairing run."
    )
    await expect(mentoring).to_contain_text("Aims for Analyst.")
    await expect(mentoring).to_contain_text(f"Mentee of Dan in {seeded.programme_name}: proposed.")
    await expect(page.locator(f"#plan-{seeded.plan_id}")).to_contain_text("Towards Senior Analyst")
    await assert_accessible(page)
    # Dan's page says the other side of the pair.
    await page.goto(f"{portal.base_url}/hr/people/{people['dan']}")
    await expect(page.locator("#mentoring")).to_contain_text(f"Offers to mentor 2 people in {seeded.programme_name}.")
    await expect(page.locator("#mentoring")).to_contain_text(f"Mentor of Ben in {seeded.programme_name}: proposed.")

    since = dt.datetime.now(dt.UTC)
    await page.goto(f"{portal.base_url}/hr/people/{people['cara']}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Cara")
    await expect(page.locator("#aspirations-hidden")).to_have_text(
        "Cara keeps their aspirations to themselves: they chose that nobody else sees them, HR included."
    )
    await expect(page.locator("#target-roles")).to_have_count(0)
    await expect(page.locator("#grow-skills")).to_have_count(0)
    await expect(page.locator("#no-plans")).to_be_visible()
    await assert_accessible(page)
    # Nothing was shown, so nothing was recorded as seen.
    assert await views_of_aspirations(database, portal, "cara", since) == []


async def test_a_search_too_long_is_refused_beside_its_field_as_typed_and_the_page_reads_in_dutch(
    page: Page, portal: Portal, shots: Shots
) -> None:
    await signed_in(page, portal, "hilde", "nl")
    typed = "a" * 201
    response = await page.goto(f"{portal.base_url}/hr/people?q={typed}")
    assert response is not None
    assert response.status == 422
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mensen")
    field = page.locator("#q")
    await expect(field).to_have_value(typed)
    await expect(field).to_have_attribute("aria-describedby", "q-error")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#q-error")).to_have_text("Zoek met hoogstens 200 tekens.")
    await assert_accessible(page)
    await page.goto(f"{portal.base_url}/hr/people/{portal.world.people['cara']}")
    await expect(page.locator("#aspirations-hidden")).to_contain_text("Cara houdt")
    await shots(page, "hr-person-nl")


async def tab_to(page: Page, target: Locator) -> None:
    """Tab (and nothing else) until `target` has the focus."""
    for _ in range(60):
        await page.keyboard.press("Tab")
        if await target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reaches {target}")


async def test_hr_searches_by_keyboard_alone_and_every_control_shows_its_focus(page: Page, portal: Portal) -> None:
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}/hr/people")
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    await tab_to(page, page.locator("#q"))
    await page.keyboard.type("Ana")
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/hr/people\?q=Ana"))
    await tab_to(page, page.get_by_role("link", name="Ana", exact=True))
    await page.keyboard.press("Enter")
    ana = f"/hr/people/{portal.world.people['ana']}"
    await expect(page).to_have_url(f"{portal.base_url}{ana}")
    for path in ("/hr/people?q=Ana", ana):
        await page.goto(f"{portal.base_url}{path}")
        await assert_keyboard_reaches_everything(page, path)


async def test_only_hr_reads_the_people_pages_and_the_query_is_held_to_its_fields(page: Page, portal: Portal) -> None:
    ana = portal.world.people["ana"]
    async with httpx.AsyncClient(base_url=portal.base_url) as anonymous:
        for path in ("/hr/people", f"/hr/people/{ana}"):
            assert (await anonymous.get(path)).status_code == 401
    for login in ("ana", "hm"):
        await page.context.clear_cookies()
        await signed_in(page, portal, login)
        cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
        async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as client:
            for path in ("/hr/people", f"/hr/people/{ana}", "/hr/people?q=ana"):
                refused = await client.get(path)
                assert refused.status_code == 403, (login, path)
                assert "Only your company&#39;s HR admins may use the HR workspace." in refused.text
    await page.context.clear_cookies()
    await signed_in(page, portal, "hilde")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as hildes:
        assert (await hildes.get("/hr/people?q=ana")).status_code == 200
        # A parameter the list does not take is refused, as the API refuses it, never ignored.
        for query in ("?department=sales", "?q=ana&q=ben"):
            odd = await hildes.get(f"/hr/people{query}")
            assert odd.status_code == 400, query
        # A choice the list does not have is refused beside its field.
        unknown = await hildes.get(f"/hr/people?unit={uuid.uuid4()}")
        assert unknown.status_code == 422
        assert 'id="unit-error"' in unknown.text
        # Someone who does not exist: the not-found page.
        assert (await hildes.get(f"/hr/people/{uuid.uuid4()}")).status_code == 404
