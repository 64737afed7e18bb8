"""My career in the portal: in Chromium through the company's real OpenID provider, Ana (a Junior
Analyst whose company's career path goes on to Analyst and Senior Analyst, the role she aims at) reads
her path, each step's fit, gap and typical time as the next-roles API gives them, chooses a target role,
has its training plan made (the courses, their cost and time, the gap each closes, what no course
covers), marks a course done and sees it done, and then on her profile; a date in the future is refused
beside its field. Ben, who has no role, reads a sentence instead of a path (axe-core on each page,
screenshots at 390 and 1440 px). Over HTTP: the pages answer scripts as the API does and take writes
from our pages only."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import Page, expect
from sqlalchemy import delete, select

from backend.auth.principal import Principal, UserRole, scopes_for
from backend.portal.i18n import LANGUAGE_COOKIE, Languages
from backend.skills.models import EmployeeSkill, SkillSource
from backend.training.courses import CourseService
from backend.training.models import Course, CourseCompletion, CourseFormat, TrainingPlan
from backend.training.plans import _PLANS_LOCK as PLANS_LOCK
from backend.training.schemas import CourseCreate, CourseSkillSet
from tenants.locks import lock_tenant
from tenants.sessions import Database
from tests.conftest import TokenFactory
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
ENGLISH = Languages().get("en")


@dataclass(frozen=True)
class Catalogue:
    """The courses Ana's plans are made of: Tableau to level 3 (her gap to Analyst) and Statistics to
    level 3 (one of her gaps to Senior Analyst; no course teaches Python to level 4)."""

    tableau: uuid.UUID
    statistics: uuid.UUID


@pytest.fixture
async def catalogue(portal: Portal, database: Database) -> AsyncIterator[Catalogue]:
    """Two courses added through the training service (as HR); afterwards they go, with Ana's plans,
    completions and the course ratings they gave her (other tests read the same company)."""
    world = portal.world
    hr = Principal(
        tenant=world.tenant,
        subject="test:hr",
        employee_id=None,
        roles=frozenset({UserRole.HR_ADMIN}),
        scopes=scopes_for(frozenset({UserRole.HR_ADMIN})),
    )

    def course(title: str, hours: float, cost: float, skill: str) -> CourseCreate:
        return CourseCreate(
            title=title,
            provider="Rotterdam Data School",
            format=CourseFormat.ONLINE,
            duration_hours=hours,
            cost=cost,
            currency="EUR",
            skills=[CourseSkillSet(skill_id=world.skills[skill], level_reached=3)],
        )

    async with database.tenant_session(portal.tenant) as session, session.begin():
        service = CourseService(session)
        tableau = await service.create(hr, course("Tableau for analysts", 16, 450, "Tableau"))
        statistics = await service.create(hr, course("Statistics in practice", 24.5, 1250.5, "Statistics"))
    yield Catalogue(tableau.id, statistics.id)
    ana = world.people["ana"]
    async with database.tenant_session(portal.tenant) as session, session.begin():
        # A plan's courses go with it (on delete cascade).
        await session.execute(delete(TrainingPlan).where(TrainingPlan.employee_id == ana))
        await session.execute(delete(CourseCompletion).where(CourseCompletion.employee_id == ana))
        await session.execute(
            delete(EmployeeSkill).where(EmployeeSkill.employee_id == ana, EmployeeSkill.source == SkillSource.COURSE)
        )
        await session.execute(delete(Course).where(Course.id.in_([tableau.id, statistics.id])))


async def signed_in(page: Page, portal: Portal, login: str) -> Page:
    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "en", "url": portal.base_url}])
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, login)
    return page


async def test_an_employee_reads_her_path_plans_her_training_and_marks_a_course_done(
    page: Page,
    portal: Portal,
    catalogue: Catalogue,
    shots: Shots,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
) -> None:
    world = portal.world
    ana = world.people["ana"]
    await signed_in(page, portal, "ana")
    await page.get_by_role("link", name="My career").click()
    await page.wait_for_url(f"{portal.base_url}/career")
    await expect(page.get_by_role("heading", level=1)).to_have_text("My career")

    # The path: her role first, then one step and two steps on, as the next-roles API ranks them now.
    path = page.locator("#career-path")
    await expect(path.locator("#step-0")).to_contain_text("You are here")
    await expect(path.locator("#step-0")).to_contain_text("Junior Analyst (level 3)")
    answer = await client.get(
        f"/api/v1/employees/{ana}/next-roles", headers=auth(world.tenant, UserRole.EMPLOYEE, employee_id=ana)
    )
    assert answer.status_code == 200, answer.text
    fits = {item["title"]: item["match"]["score"] for item in answer.json()["items"]}
    assert set(fits) == {"Analyst", "Senior Analyst"}
    analyst = path.locator("#step-1").locator(f"#role-{world.roles['Analyst']}")
    await expect(analyst).to_contain_text("Analyst (level 4)")
    await expect(analyst.locator(".portal-fit")).to_contain_text(ENGLISH.percent(fits["Analyst"]))
    await expect(analyst.locator(".portal-gap")).to_contain_text(
        "You have 1 of 2 required skills. Missing: Tableau, level 2 of 3."
    )
    await expect(analyst.locator(".portal-time")).to_have_text("Typically about 18 months.")
    await expect(analyst).to_contain_text("Promotion")
    senior = path.locator("#step-2").locator(f"#role-{world.roles['Senior Analyst']}")
    await expect(senior.locator(".portal-fit")).to_contain_text(ENGLISH.percent(fits["Senior Analyst"]))
    await expect(senior.locator(".portal-gap")).to_contain_text("Python, level 3 of 4")
    await expect(senior.locator(".portal-gap")).to_contain_text("Statistics, level 3")
    await expect(senior.locator(".portal-time")).to_have_text("Typically about 42 months in all, through Analyst.")
    await expect(senior).to_contain_text("You aim at this role")
    await assert_accessible(page)
    await shots(page, "career")

    # Choosing the role she aims at: no plan yet, then made now from the catalogue.
    await page.get_by_label("Target role").select_option(label="Senior Analyst (level 5) · you aim at it")
    await page.get_by_role("button", name="See the training plan").click()
    await page.wait_for_url(f"{portal.base_url}/career/plan?role={world.roles['Senior Analyst']}")
    await expect(page.locator("#no-plan")).to_contain_text("You have no training plan for Senior Analyst yet.")
    await page.get_by_role("button", name="Make my training plan").click()
    await expect(page.locator("#plan-summary")).to_contain_text("1 course: €1,250.50 in all, 24.5 hours of study.")
    course = page.locator(f"#course-{catalogue.statistics}")
    await expect(course).to_contain_text("Statistics in practice")
    await expect(course.locator(".portal-cost")).to_have_text("€1,250.50")
    await expect(course.locator(".portal-hours")).to_have_text("24.5 hours")
    await expect(course.locator(".portal-closes")).to_have_text("Statistics, level 3: takes you to level 3")
    await expect(page.locator(f"#course-{catalogue.tableau}")).to_have_count(0)
    await expect(page.locator("#uncovered")).to_contain_text(
        "Python, level 3 of 4: no course of the catalogue teaches it to that level."
    )
    await assert_accessible(page)
    await shots(page, "career-plan")

    # The next step's plan, from its card on the path; its course marked done today.
    # By keyboard alone: back to the path, on to the step's link, the plan made, the course marked done.
    await page.get_by_role("link", name="Back to My career").click()
    await page.wait_for_url(f"{portal.base_url}/career")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # the skip link: past the header
    link = page.get_by_role("link", name="Training plan for Analyst", exact=True)
    for _ in range(20):
        if await link.evaluate("element => element === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(link).to_be_focused()
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{portal.base_url}/career/plan?role={world.roles['Analyst']}")
    make = page.get_by_role("button", name="Make my training plan")
    await make.focus()
    await page.keyboard.press("Enter")
    tableau = page.locator(f"#course-{catalogue.tableau}")
    await expect(tableau.locator(".portal-cost")).to_have_text("€450.00")
    await expect(tableau.locator(".portal-closes")).to_have_text("Tableau, level 2 of 3: takes you to level 3")
    await expect(page.locator("#uncovered")).to_have_count(0)
    await expect(tableau.get_by_label("Date you finished Tableau for analysts")).to_have_value(
        dt.date.today().isoformat()
    )
    await tableau.get_by_label("Date you finished Tableau for analysts").focus()
    done = tableau.get_by_role("button", name="Mark as done")
    for _ in range(5):  # through the date's day, month and year
        await page.keyboard.press("Tab")
        if await done.evaluate("element => element === document.activeElement"):
            break
    await expect(done).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(tableau.locator(f"#course-{catalogue.tableau}-done")).to_contain_text(
        f"Done You finished it on {ENGLISH.date(dt.date.today())}."
    )
    await expect(tableau.get_by_role("button", name="Mark as done")).to_have_count(0)
    await assert_accessible(page)
    await shots(page, "career-plan-done")

    # The course raised her Tableau to level 3, as a course rating, and her path says so.
    await page.get_by_role("link", name="My profile").click()
    row = page.locator(f"#skill-{world.skills['Tableau']}").filter(has_text="Course")
    await expect(row).to_contain_text("3 ·")
    await page.get_by_role("link", name="My career").click()
    await expect(page.locator(f"#role-{world.roles['Analyst']}").locator(".portal-gap")).to_contain_text(
        "You have 2 of 2 required skills."
    )

    # In Dutch, the amounts and hours as Dutch writes them.
    await page.get_by_role("button", name="Nederlands").click()
    await page.goto(f"{portal.base_url}/career/plan?role={world.roles['Analyst']}")
    dutch = Languages().get("nl")
    assert "450,00" in dutch.money(450, "EUR")
    await expect(tableau.locator(".portal-cost")).to_have_text(dutch.money(450, "EUR"))
    await expect(tableau.locator(".portal-hours")).to_have_text("16 uur")
    await expect(tableau.locator(f"#course-{catalogue.tableau}-done")).to_contain_text("Afgerond")


async def test_a_date_in_the_future_is_refused_beside_its_field_with_what_was_typed(
    page: Page, portal: Portal, catalogue: Catalogue, shots: Shots
) -> None:
    await signed_in(page, portal, "ana")
    await page.goto(f"{portal.base_url}/career/plan?role={portal.world.roles['Analyst']}")
    await page.get_by_role("button", name="Make my training plan").click()
    tableau = page.locator(f"#course-{catalogue.tableau}")
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    field = tableau.get_by_label("Date you finished Tableau for analysts")
    await field.fill(tomorrow)
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if r.url.endswith("/career/plan/completions") else None)
    await tableau.get_by_role("button", name="Mark as done").click()
    error = page.locator(f"#completed_on-{catalogue.tableau}-error")
    await expect(error).to_have_text("The date you finished cannot be in the future.")
    assert statuses == [422]
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(field).to_have_attribute("aria-describedby", f"completed_on-{catalogue.tableau}-error")
    await expect(field).to_have_value(tomorrow)
    # Nothing was recorded: the course is not done.
    await expect(tableau.get_by_role("button", name="Mark as done")).to_be_visible()
    await assert_accessible(page)
    await shots(page, "career-plan-refused")


async def test_a_person_without_a_career_path_reads_why(page: Page, portal: Portal, shots: Shots) -> None:
    await signed_in(page, portal, "ben")
    await page.get_by_role("link", name="My career").click()
    await page.wait_for_url(f"{portal.base_url}/career")
    await expect(page.locator("#no-path")).to_contain_text(
        "Your profile does not name your role yet, so there is no career path to show."
    )
    await expect(page.locator("#career-path")).to_have_count(0)
    await assert_accessible(page)
    await shots(page, "career-no-path")
    # In Dutch too.
    await page.get_by_role("button", name="Nederlands").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mijn loopbaan")
    await expect(page.locator("#no-path")).to_contain_text("er is geen loopbaanpad om te tonen")


async def test_the_pages_answer_scripts_as_the_api_and_take_writes_from_our_pages_only(
    page: Page, portal: Portal, catalogue: Catalogue
) -> None:
    async with httpx.AsyncClient(base_url=portal.base_url) as anonymous:
        for method, path in (
            ("GET", "/career"),
            ("GET", "/career/plan"),
            ("POST", "/career/plan"),
            ("POST", "/career/plan/completions"),
        ):
            response = await anonymous.request(method, path)
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
    await signed_in(page, portal, "ana")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    analyst = str(portal.world.roles["Analyst"])
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as browser:
        evil = {"Origin": "https://evil.example"}
        refused = await browser.post("/career/plan", data={"role": analyst}, headers=evil)
        assert refused.status_code == 403
        done = {"role": analyst, "course_id": str(catalogue.tableau), "completed_on": dt.date.today().isoformat()}
        refused = await browser.post("/career/plan/completions", data=done, headers=evil)
        assert refused.status_code == 403
        plan = await browser.get("/career/plan", params={"role": analyst})
        # Nothing was made: no plan for Analyst.
        assert 'id="no-plan"' in plan.text
        # A role that is not a role: refused beside the chooser.
        unknown = await browser.get("/career/plan", params={"role": "nonsense"})
        assert unknown.status_code == 422
        assert re.search(r'id="role"[^>]*aria-invalid="true"', unknown.text)
        assert 'id="role-error"' in unknown.text


async def test_while_every_plan_is_being_made_again_asking_for_one_is_refused_beside_the_role(
    page: Page, portal: Portal, catalogue: Catalogue, database: Database
) -> None:
    await signed_in(page, portal, "ana")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    analyst = str(portal.world.roles["Analyst"])
    headers = {**HTML, "Origin": portal.base_url}
    async with httpx.AsyncClient(base_url=portal.base_url, headers=headers, cookies=cookies) as browser:
        # The recompute of every plan holds this lock (as `training.recommend_all` does) meanwhile.
        async with database.tenant_session(portal.tenant) as session, session.begin():
            await lock_tenant(session, PLANS_LOCK)
            refused = await browser.post("/career/plan", data={"role": analyst})
        assert refused.status_code == 422
        error = refused.text.split('id="role-error"')[1].split("</div>")[0]
        assert "Every training plan of the company is being made again right now" in error
        assert re.search(r'id="role"[^>]*aria-invalid="true"', refused.text)
        # The role stays chosen, and no plan was made.
        assert re.search(rf'value="{analyst}" selected', refused.text)
        assert 'id="no-plan"' in refused.text
        # Once the recompute is done, the same request makes the plan.
        made = await browser.post("/career/plan", data={"role": analyst})
        assert made.status_code == 303
        plan = await browser.get(made.headers["location"])
        assert f'id="course-{catalogue.tableau}"' in plan.text


async def test_a_form_with_a_field_it_does_not_have_is_refused_and_changes_nothing(
    page: Page, portal: Portal, catalogue: Catalogue, database: Database
) -> None:
    """Every form is read by the one reader: a field the page's form does not send is a bad request
    (400), as an unknown query parameter is, and nothing is made or recorded."""
    await signed_in(page, portal, "ana")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    analyst = str(portal.world.roles["Analyst"])
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as browser:
        own = {"Origin": portal.base_url}
        odd = await browser.post("/career/plan", data={"role": analyst, "priority": "high"}, headers=own)
        assert odd.status_code == 400
        done = {"role": analyst, "course_id": str(catalogue.tableau), "completed_on": dt.date.today().isoformat()}
        odd = await browser.post("/career/plan/completions", data={**done, "grade": "A"}, headers=own)
        assert odd.status_code == 400
        plan = await browser.get("/career/plan", params={"role": analyst})
        # Nothing was made: no plan for Analyst.
        assert 'id="no-plan"' in plan.text
    async with database.tenant_session(portal.tenant) as session:
        # Nor was the course recorded as done.
        recorded = await session.scalar(
            select(CourseCompletion).where(CourseCompletion.employee_id == portal.world.people["ana"])
        )
    assert recorded is None
