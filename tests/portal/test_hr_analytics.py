"""The HR workspace's analytics, in Chromium through the company's real OpenID provider as Hilde (HR):
the charts of a department of its own (thirty people, one of them hired into its gig this month, a
second gig with two applicants and a skill nobody there has), every figure on the page, in the CSV
files and in the SVG's axes as the API counts them for the same filters, the department filter changing
them as the API's does; a period that cannot be read refused beside its field with what was typed kept;
the page in Dutch; the audit log showing the hire, by name. Over HTTP: Ana (an employee) and Hm (a
manager) are refused every page and file (403) as the API refuses them; an unknown query parameter is a
bad request (400).

Everything made (the department and its people, the openings and their applications and move) is
removed afterwards; the audit log keeps its entries (nobody may delete them)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from babel.dates import format_date
from babel.numbers import format_percent
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import Page, expect
from sqlalchemy import delete, select

from backend.auth.principal import Principal, UserRole, scopes_for
from backend.framework.models import Importance
from backend.marketplace.applications import ApplicationService
from backend.marketplace.models import (
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStage,
    ManagerRelease,
    Move,
    Opportunity,
    OpportunityKind,
)
from backend.marketplace.opportunities import OpportunityService
from backend.marketplace.schemas import ApplicationCreate, OpportunityCreate, OpportunitySkillSet, StageChange
from backend.notifications.models import Notification
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.portal.i18n import LANGUAGE_COOKIE
from tenants.base import new_id
from tenants.sessions import Database
from tests.conftest import TokenFactory
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
PEOPLE = 30


def principal(portal: Portal, employee_id: uuid.UUID, *roles: UserRole) -> Principal:
    held = frozenset({UserRole.EMPLOYEE, *roles})
    return Principal(portal.tenant, f"employee:{employee_id}", employee_id, held, scopes_for(held))


@dataclass(frozen=True)
class Department:
    unit_id: uuid.UUID
    name: str
    hr_name: str
    hired_name: str
    people: list[uuid.UUID]


@pytest.fixture
async def department(portal: Portal, database: Database) -> AsyncIterator[Department]:
    """A department (with a team below it) of thirty people: Hedda, one of them, is HR and the hiring
    manager of its two gigs; Ivo was hired into the first this month (so the mobility rate is one in
    thirty); Jun applied to the second and Kai showed interest; nobody has its skill (Python 5)."""
    tag = secrets.token_hex(3)
    name = f"Zulu {tag}"
    unit = OrgUnit(id=new_id(), name=name, kind=OrgUnitKind.DEPARTMENT)
    team = OrgUnit(id=new_id(), name=f"Zulu team {tag}", kind=OrgUnitKind.TEAM, parent_id=unit.id)
    people = [new_id() for _ in range(PEOPLE)]
    names = [f"Hedda {tag}", f"Ivo {tag}", f"Jun {tag}", f"Kai {tag}"] + [f"Person {i} {tag}" for i in range(4, PEOPLE)]
    python = portal.world.skills["Python"]
    async with database.tenant_session(portal.tenant) as session, session.begin():
        session.add(unit)
        await session.flush()
        session.add(team)
        await session.flush()
        for i, (person, full_name) in enumerate(zip(people, names, strict=True)):
            session.add(
                Employee(
                    id=person,
                    email=f"zulu{i}-{tag}@example.com",
                    full_name=full_name,
                    org_unit_id=unit.id if i % 2 == 0 else team.id,
                    manager_id=people[0] if i == PEOPLE - 1 else None,
                    start_date=dt.date(2020, 1, 1),
                )
            )
            await session.flush()
    hedda = principal(portal, people[0], UserRole.HR_ADMIN)
    openings: list[uuid.UUID] = []
    async with database.tenant_session(portal.tenant) as session, session.begin():
        service = OpportunityService(session)
        for title, positions, where in ((f"Zulu gig A {tag}", 1, unit.id), (f"Zulu gig B {tag}", 2, team.id)):
            created = await service.create(
                hedda,
                OpportunityCreate(
                    title=title,
                    kind=OpportunityKind.GIG,
                    description="Two days a week.",
                    org_unit_id=where,
                    hiring_manager_id=people[0],
                    hours_per_week=8,
                    duration_weeks=6,
                    positions=positions,
                    skills=[OpportunitySkillSet(skill_id=python, level=5, importance=Importance.ESSENTIAL)],
                ),
            )
            await service.open(hedda, created.id)
            openings.append(created.id)
        applications = ApplicationService(session)
        applied = await applications.apply(
            principal(portal, people[1]), openings[0], ApplicationCreate(kind=ApplicationKind.APPLICATION)
        )
        await applications.move(hedda, applied.id, StageChange(to=ApplicationStage.OFFER))
        await applications.move(hedda, applied.id, StageChange(to=ApplicationStage.HIRED))
        await applications.apply(
            principal(portal, people[2]), openings[1], ApplicationCreate(kind=ApplicationKind.APPLICATION)
        )
        await applications.apply(
            principal(portal, people[3]), openings[1], ApplicationCreate(kind=ApplicationKind.INTEREST)
        )
    yield Department(unit.id, name, names[0], names[1], people)
    async with database.tenant_session(portal.tenant) as session, session.begin():
        apps = select(Application.id).where(Application.opportunity_id.in_(openings))
        await session.execute(delete(Move).where(Move.opportunity_id.in_(openings)))
        await session.execute(delete(ManagerRelease).where(ManagerRelease.application_id.in_(apps)))
        await session.execute(delete(ApplicationEvent).where(ApplicationEvent.application_id.in_(apps)))
        await session.execute(delete(Application).where(Application.opportunity_id.in_(openings)))
        await session.execute(delete(Opportunity).where(Opportunity.id.in_(openings)))
        await session.execute(delete(Notification).where(Notification.employee_id.in_(people)))
        await session.execute(delete(Employee).where(Employee.id.in_(people)))
        await session.execute(delete(OrgUnit).where(OrgUnit.id == team.id))
        await session.execute(delete(OrgUnit).where(OrgUnit.id == unit.id))


async def signed_in(page: Page, portal: Portal, login: str, language: str = "en") -> None:
    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": portal.base_url}])
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, login)


async def api(client: AsyncTestClient[Litestar], auth: TokenFactory, portal: Portal, path: str) -> Any:
    response = await client.get(f"/api/v1/analytics/{path}", headers=auth(portal.tenant, UserRole.HR_ADMIN))
    assert response.status_code == 200, response.text
    return response.json()


def month(text: str) -> str:
    return format_date(dt.date.fromisoformat(text), format="LLL y", locale="en")


def rate(value: float) -> str:
    return format_percent(value, format="#,##0.##%", locale="en")


async def table(page: Page, chart: str) -> list[list[str]]:
    rows = page.locator(f"#{chart}-table tbody tr")
    # Read whether the table is open or not (its <details> closed, its text is not rendered).
    return [[cell.strip() for cell in await row.locator("th, td").all_text_contents()] for row in await rows.all()]


async def ticks(page: Page, chart: str) -> list[str]:
    return [t.strip() for t in await page.locator(f"#chart-{chart} text.tick").all_text_contents()]


async def test_hr_reads_a_departments_charts_as_the_api_counts_them(
    department: Department,
    page: Page,
    portal: Portal,
    shots: Shots,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
) -> None:
    await signed_in(page, portal, "hilde")
    await page.get_by_role("link", name="HR workspace").click()
    await page.get_by_role("navigation", name="HR workspace").get_by_role("link", name="Analytics").click()
    await expect(page).to_have_url(f"{portal.base_url}/hr/analytics")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Analytics")
    await expect(
        page.get_by_role("navigation", name="HR workspace").get_by_role("link", name="Analytics")
    ).to_have_attribute("aria-current", "page")
    company = await table(page, "mobility")
    assert len(company) == 12
    await assert_accessible(page)
    await shots(page, "analytics-company")

    # By keyboard only: the department chosen by typing its name in the list, then Show.
    await page.locator("#department").focus()
    await page.keyboard.type(department.name)
    await expect(page.locator("#department")).to_have_value(str(department.unit_id))
    await page.keyboard.press("Tab")
    show = page.get_by_role("button", name="Show")
    await expect(show).to_be_focused()
    ring = await show.evaluate("e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).boxShadow")
    assert ring != "none none", ring
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(rf"department={department.unit_id}"))
    await expect(page.locator("#department")).to_have_value(str(department.unit_id))

    unit = f"org_unit_id={department.unit_id}"
    mobility = await api(client, auth, portal, f"mobility?months=12&{unit}")
    expected = [
        [month(p["month"]), str(p["headcount"]), str(p["internal_moves"]), rate(p["mobility_rate"])]
        for p in mobility["points"]
    ]
    assert await table(page, "mobility") == expected
    # This month: one move in thirty people; the departments' figures are not the company's.
    assert expected[-1][1:] == [str(PEOPLE), "1", rate(1 / PEOPLE)]
    assert company[-1][1] != str(PEOPLE)
    await expect(page.locator("#mobility-summary")).to_contain_text("Internal moves over 12 months: 1.")
    # A rate of 3.33 %: its axis ends below 5 %, not at 100 %.
    mobility_ticks = await ticks(page, "mobility")
    assert mobility_ticks[0] == "0%"
    assert 0 < float(mobility_ticks[-1].rstrip("%")) < 5

    fill = await table(page, "fill-rate")
    assert fill == [
        [
            month(p["month"]),
            str(p["openings_closed"]),
            str(p["filled_internally"]),
            str(p["openings_closed"] - p["filled_internally"]),
            rate(p["internal_fill_rate"]) if p["internal_fill_rate"] is not None else "\u2013",
        ]
        for p in mobility["points"]
    ]
    assert fill[-1][1:] == ["1", "1", "0", "100%"]

    pipeline = await api(client, auth, portal, f"pipeline?{unit}")
    assert [row[1] for row in await table(page, "pipeline")] == [str(s["applications"]) for s in pipeline["by_stage"]]
    assert (pipeline["open_opportunities"], pipeline["open_positions"], pipeline["applications"]) == (1, 2, 2)
    await expect(page.locator("#pipeline-summary")).to_have_text(
        "Applications to open openings: 2, on 1 openings with 2 positions; still in play: 2."
    )
    gaps = await api(client, auth, portal, f"skill-gaps?{unit}")
    assert await table(page, "skill-gaps") == [
        [d["name"], str(d["demand"]), str(d["demand"] - d["gap"]), str(d["gap"])] for d in gaps["departments"]
    ]
    assert [(d["name"], d["demand"], d["gap"]) for d in gaps["departments"]] == [
        (f"Zulu team {department.name.split()[-1]}", 2, 2)
    ]
    mentoring = await api(client, auth, portal, f"mentoring?{unit}")
    assert await table(page, "mentoring") == [
        [p["name"], str(p["mentors"]), str(p["mentees"]), str(p["active_pairings"]), str(p["waiting_requests"])]
        for p in mentoring["programmes"]
    ]
    await expect(page.locator("#mentoring-summary")).to_have_text(
        f"In a mentoring pair: 0 of {PEOPLE} active people (0%)."
    )
    # Counts are drawn against whole numbers only.
    for chart in ("fill-rate", "pipeline", "skill-gaps"):
        labels = await ticks(page, chart)
        assert labels[0] == "0"
        assert all(re.fullmatch(r"\d+", label) for label in labels), (chart, labels)
    await assert_accessible(page)
    await shots(page, "analytics-department")

    # Each chart's CSV file: its figures, unformatted, with the same filters.
    href = await page.locator("#mobility-csv").get_attribute("href")
    assert href is not None
    assert f"department={department.unit_id}" in href
    download = await page.request.get(f"{portal.base_url}{href}")
    assert download.status == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == 'attachment; filename="mobility.csv"'
    rows = list(csv.reader(io.StringIO(await download.text())))
    assert rows[0] == ["month", "headcount", "internal_moves", "mobility_rate"]
    assert rows[1:] == [
        [p["month"][:7], str(p["headcount"]), str(p["internal_moves"]), str(p["mobility_rate"])]
        for p in mobility["points"]
    ]
    gaps_csv = await page.request.get(f"{portal.base_url}{await page.locator('#skill-gaps-csv').get_attribute('href')}")
    assert list(csv.reader(io.StringIO(await gaps_csv.text()))) == [
        ["department", "demand", "covered", "gap"],
        *[[d["name"], str(d["demand"]), str(d["demand"] - d["gap"]), str(d["gap"])] for d in gaps["departments"]],
    ]

    # A shorter period, from a preset: three months, the API's months=3.
    await page.get_by_role("link", name="Last 3 months").click()
    await expect(page.locator("#mobility-table tbody tr")).to_have_count(3)
    assert await table(page, "mobility") == expected[-3:]


async def test_a_period_that_cannot_be_read_is_refused_beside_its_field(
    department: Department, page: Page, portal: Portal, shots: Shots
) -> None:
    await signed_in(page, portal, "hilde")
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/hr/analytics?" in r.url else None)
    await page.goto(f"{portal.base_url}/hr/analytics?start=2026-13&end=2099-01&department={department.unit_id}")
    start, end = page.get_by_label("From month"), page.get_by_label("To month")
    await expect(page.locator("#start-error")).to_have_text("Give a month as year and month, e.g. 2026-06.")
    await expect(start).to_have_attribute("aria-invalid", "true")
    await expect(start).to_have_attribute("aria-describedby", re.compile(r"\bstart-error\b"))
    await expect(page.locator("#no-figures")).to_be_visible()
    await expect(page.locator("#mobility")).to_have_count(0)
    await expect(page.locator("#department")).to_have_value(str(department.unit_id))
    assert statuses == [422]
    await assert_accessible(page)
    await shots(page, "analytics-refused")

    # A period ending after this month: the service's rule, beside the last month.
    await page.goto(f"{portal.base_url}/hr/analytics?start=2026-01&end=2099-01")
    await expect(page.locator("#end-error")).to_have_text("The period cannot end after the current month.")
    await expect(end).to_have_value("2099-01")
    await expect(start).to_have_value("2026-01")
    # A period that ends before it starts.
    await page.goto(f"{portal.base_url}/hr/analytics?start=2025-06&end=2025-01")
    await expect(page.locator("#start-error")).to_contain_text("starts on or before its last month")
    # The CSV file of a refused period says why, and is no file.
    refused = await page.request.get(f"{portal.base_url}/hr/analytics/pipeline.csv?start=2025-06&end=2025-01")
    assert refused.status == 422
    assert "start:" in await refused.text()


async def test_the_analytics_in_dutch(department: Department, page: Page, portal: Portal) -> None:
    await signed_in(page, portal, "hilde", "nl")
    await page.goto(f"{portal.base_url}/hr/analytics?department={department.unit_id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Analyses")
    await expect(page.locator("#pipeline-summary")).to_have_text(
        "Sollicitaties op open vacatures: 2, op 1 vacatures met 2 plaatsen; nog in behandeling: 2."
    )
    this_month = dt.datetime.now(dt.UTC).date().replace(day=1)
    rows = await table(page, "mobility")
    assert rows[-1] == [format_date(this_month, format="LLL y", locale="nl"), str(PEOPLE), "1", "3,33%"]
    await expect(page.get_by_role("link", name="CSV downloaden").first).to_be_visible()
    await assert_accessible(page)


async def test_the_audit_log_names_who_changed_what(
    department: Department, page: Page, portal: Portal, shots: Shots
) -> None:
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}/hr/analytics")
    await page.get_by_role("link", name="Read the audit log").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    await page.get_by_label("Who").select_option(label=department.hr_name)
    await page.get_by_label("What").select_option(label="Application moved to another stage")
    today = dt.datetime.now(dt.UTC).date()
    await page.get_by_label("From day").fill(today.isoformat())
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_url(re.compile(r"/hr/analytics/audit\?"))
    rows = page.locator("#audit-entries tbody tr")
    await expect(rows).to_have_count(2)
    first = rows.nth(0)
    await expect(first.locator("td").nth(0)).to_have_text(department.hr_name)
    await expect(first.locator("td").nth(1)).to_have_text("Application moved to another stage")
    await expect(first.locator("td").nth(2)).to_have_text(department.hired_name)
    await expect(first.locator("td").nth(3)).to_have_text(re.compile(r"Stage:\s*Applied\s*→\s*to\s*Offer"))
    await expect(rows.nth(1).locator("td").nth(3)).to_have_text(re.compile(r"Stage:\s*Offer\s*→\s*to\s*Hired"))
    when = format_date(today, format="long", locale="en")
    await expect(first.locator("th")).to_contain_text(when)
    await expect(page.locator("#audit-entries")).not_to_contain_text(str(department.people[0]))
    await assert_accessible(page)
    await shots(page, "audit-log")

    await page.get_by_label("To day").fill((today - dt.timedelta(days=2)).isoformat())
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator("#until-error")).to_have_text("The last day cannot be before the first.")
    await expect(page.get_by_label("To day")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("From day")).to_have_value(today.isoformat())


async def test_only_hr_reads_the_analytics_and_unknown_parameters_are_refused(page: Page, portal: Portal) -> None:
    paths = ("/hr/analytics", "/hr/analytics/mobility.csv", "/hr/analytics/audit")
    for login in ("ana", "hm"):
        await page.context.clear_cookies()
        await signed_in(page, portal, login)
        cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
        async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as theirs:
            for path in paths:
                refused = await theirs.get(path)
                assert refused.status_code == 403, (login, path)
    await page.context.clear_cookies()
    await signed_in(page, portal, "hilde")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as hers:
        for path in paths:
            assert (await hers.get(path)).status_code == 200, path
            assert (await hers.get(path, params={"months": "3"})).status_code == 400, path
