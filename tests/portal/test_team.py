"""A manager's pages, My team and Releases, in Chromium through the company's real OpenID provider, as
Hm (Ana's manager; for these tests Dan reports to him too): the skills matrix of his reports against
their roles with their stale skills; the release asked of him when Ana reaches the offer stage of Cara's
opening, what each answer means, a block without a reason refused beside its field with what was
chosen and typed kept, then a delay, a block and a release, each kept in the history; and what the
page promises about who is told holds in the notifications. Ben, who manages nobody, sees no links and
a plain sentence on each page. Over HTTP: a script without a session gets the API's 401, another
site's page cannot answer a release, and a release not asked of the person is not found.

Everything set up (Dan's manager and role, Ana's role, a stale rating, the opening, Ana's application)
is put back afterwards: the other tests read the same company."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from babel.dates import format_date
from playwright.async_api import Page, expect
from sqlalchemy import delete, select, update

from backend.auth.principal import Principal, UserRole, scopes_for
from backend.marketplace.applications import ApplicationService
from backend.marketplace.models import (
    Application,
    ApplicationKind,
    ApplicationStage,
    ManagerRelease,
    ManagerReleaseEvent,
    Opportunity,
    OpportunityKind,
)
from backend.marketplace.opportunities import OpportunityService
from backend.marketplace.schemas import ApplicationCreate, OpportunityCreate, StageChange
from backend.notifications.models import Notification
from backend.org.schemas import EmployeeUpdate
from backend.org.service import OrgService
from backend.portal.i18n import LANGUAGE_COOKIE
from backend.skills.models import EmployeeSkill
from tenants.sessions import Database, TenantRef
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}


def long(day: dt.date) -> str:
    """A date as the English pages write it ("December 6, 2026")."""
    return format_date(day, format="long", locale="en")


def employee(tenant: TenantRef, employee_id: uuid.UUID, *roles: UserRole) -> Principal:
    held = frozenset({UserRole.EMPLOYEE, *roles})
    return Principal(tenant, f"employee:{employee_id}", employee_id, held, scopes_for(held))


def hr(tenant: TenantRef) -> Principal:
    held = frozenset({UserRole.HR_ADMIN})
    return Principal(tenant, "test:hr", None, held, scopes_for(held))


@dataclass(frozen=True)
class Asked:
    """The release asked of Hm: Ana's application to Cara's opening, at offer."""

    application_id: uuid.UUID
    title: str
    deadline: dt.datetime


@pytest.fixture
async def team(portal: Portal, database: Database) -> AsyncIterator[Asked]:
    """Ben reports to Cara; Dan reports to Hm as a Senior Analyst (SQL 4, Python 4, Statistics 3), his
    Python last confirmed two years ago; Ana is an Analyst (SQL 3, Tableau 3); Cara's open gig, to which
    Ana applied and which HR moved to offer, so the policy (at offer, 14 days) asks Hm for her release.
    Afterwards every one of these is put back or removed."""
    world, tenant = portal.world, portal.tenant
    people = world.people
    started = dt.datetime.now(dt.UTC)
    title = f"Churn model gig {secrets.token_hex(3)}"
    async with database.tenant_session(tenant) as session, session.begin():
        org = OrgService(session)
        dan_before = await org.get_employee(people["dan"])
        ana_before = await org.get_employee(people["ana"])
        before = {
            "dan": EmployeeUpdate(manager_id=dan_before.manager_id, role_id=dan_before.role_id),
            "ana": EmployeeUpdate(role_id=ana_before.role_id),
            "ben": EmployeeUpdate(manager_id=(await org.get_employee(people["ben"])).manager_id),
        }
        await org.update_employee(
            people["dan"], EmployeeUpdate(manager_id=people["hm"], role_id=world.roles["Senior Analyst"])
        )
        await org.update_employee(people["ana"], EmployeeUpdate(role_id=world.roles["Analyst"]))
        # A hiring manager manages people: Ben reports to Cara (he still manages nobody).
        await org.update_employee(people["ben"], EmployeeUpdate(manager_id=people["cara"]))
        python = await session.scalar(
            select(EmployeeSkill).where(
                EmployeeSkill.employee_id == people["dan"],
                EmployeeSkill.skill_id == world.skills["Python"],
                EmployeeSkill.valid_to.is_(None),
            )
        )
        assert python is not None
        confirmed_before = python.last_confirmed
        python.last_confirmed = dt.date.today() - dt.timedelta(days=730)
        opening = await OpportunityService(session).create(
            hr(tenant),
            OpportunityCreate(
                title=title,
                kind=OpportunityKind.GIG,
                description="Four hours a week on the churn model with Sales.",
                hiring_manager_id=people["cara"],
                hours_per_week=4,
                duration_weeks=6,
            ),
        )
        await OpportunityService(session).open(hr(tenant), opening.id)
        applications = ApplicationService(session)
        applied = await applications.apply(
            employee(tenant, people["ana"]),
            opening.id,
            ApplicationCreate(kind=ApplicationKind.APPLICATION, note="I built our churn dashboard."),
        )
        offered = await applications.move(hr(tenant), applied.id, StageChange(to=ApplicationStage.OFFER))
        assert offered.release is not None
        assert offered.release.manager_id == people["hm"]
        asked = Asked(applied.id, title, offered.release.deadline)
    yield asked
    async with database.tenant_session(tenant) as session, session.begin():
        releases = select(ManagerRelease.id).where(ManagerRelease.application_id == asked.application_id)
        await session.execute(delete(ManagerReleaseEvent).where(ManagerReleaseEvent.release_id.in_(releases)))
        await session.execute(delete(ManagerRelease).where(ManagerRelease.application_id == asked.application_id))
        await session.execute(delete(Application).where(Application.id == asked.application_id))
        await session.execute(delete(Opportunity).where(Opportunity.id == opening.id))
        await session.execute(
            delete(Notification).where(
                Notification.created_at >= started,
                Notification.employee_id.in_([people[name] for name in ("ana", "hm", "cara", "dan")]),
            )
        )
        await session.execute(
            update(EmployeeSkill).where(EmployeeSkill.id == python.id).values(last_confirmed=confirmed_before)
        )
        org = OrgService(session)
        for name, patch in before.items():
            await org.update_employee(people[name], patch)


async def signed_in(page: Page, portal: Portal, login: str) -> None:
    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "en", "url": portal.base_url}])
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, login)


async def test_a_manager_reads_the_skills_of_their_team_against_their_roles(
    team: Asked, page: Page, portal: Portal, shots: Shots
) -> None:
    people = portal.world.people
    await signed_in(page, portal, "hm")
    await page.get_by_role("link", name="My team").click()
    await page.wait_for_url(f"{portal.base_url}/team")
    await expect(page.get_by_role("heading", level=1)).to_have_text("My team")
    matrix = page.locator("#team-matrix")
    await expect(matrix.locator("tbody tr")).to_have_count(2)
    for skill in ("SQL", "Tableau", "Python", "Statistics"):
        await expect(matrix.get_by_role("columnheader", name=skill, exact=True)).to_have_count(1)

    ana = matrix.locator(f"#member-{people['ana']}")
    await expect(ana.get_by_role("rowheader")).to_contain_text("Ana")
    await expect(ana.get_by_role("rowheader")).to_contain_text("Analyst")
    cell = {skill.strip(): i + 1 for i, skill in enumerate(await matrix.locator("thead th").all_text_contents())}
    del cell["Person and role"]

    async def says(row_of: str, skill: str, text: str) -> None:
        row = matrix.locator(f"#member-{people[row_of]}")
        # The words of the cell, whatever the white space between its parts.
        words = r"\s*".join(re.escape(ch) for ch in text if not ch.isspace())
        await expect(row.locator("> *").nth(cell[skill] - 1)).to_have_text(re.compile(rf"^\s*{words}\s*$"))

    await says("ana", "SQL", "✓ 4 of 3: met")
    await says("ana", "Tableau", "▼ 2 of 3: below by 1")
    await says("ana", "Python", "3: not asked by their role")
    await says("ana", "Statistics", "\u2013 not asked by their role, not held")
    await says("dan", "SQL", "▼ 3 of 4: below by 1")
    await says("dan", "Python", "✓ 4 of 4: met")
    await says("dan", "Statistics", "✗ missing (asked: 3)")
    await says("dan", "Tableau", "\u2013 not asked by their role, not held")
    # Nobody of another team: Ben, Cara (Sales) are not Hm's reports.
    await expect(matrix).not_to_contain_text("Ben")
    await expect(matrix).not_to_contain_text("Cara")

    two_years_ago = dt.date.today() - dt.timedelta(days=730)
    stale = page.locator(f"#stale-{people['dan']}")
    await expect(stale).to_contain_text(f"Python, level 4 (their own rating), last confirmed {long(two_years_ago)}")
    await expect(page.locator(f"#stale-{people['ana']}")).to_contain_text("No stale skills.")
    await assert_accessible(page)
    await shots(page, "team")


async def test_a_manager_answers_a_release_knowing_what_each_answer_means(
    team: Asked, page: Page, portal: Portal, shots: Shots, database: Database
) -> None:
    people = portal.world.people
    await signed_in(page, portal, "hm")
    await page.get_by_role("link", name="Releases").click()
    await page.wait_for_url(f"{portal.base_url}/releases")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Releases")
    meanings = page.locator("#release-meanings")
    await expect(meanings).to_contain_text("Your report may move.")
    await expect(meanings).to_contain_text("Give a new deadline, later than the current one, and a reason.")
    await expect(meanings).to_contain_text("A block needs a reason. HR may override it")
    await expect(page.get_by_text("You have 14 days from the offer to answer.")).to_be_visible()
    await expect(page.locator("#who-is-told")).to_contain_text("The person who applied is not shown the release")
    release = page.locator(f"#release-{team.application_id}")
    await expect(release).to_contain_text(f"Ana · {team.title}")
    await expect(release).to_contain_text(f"The offer to Ana: {team.title} (Gig). Hiring manager: Cara.")
    await expect(release.locator(".release-status")).to_have_text("Status: Waiting for your answer")
    deadline = team.deadline.date()
    await expect(release.locator(".release-deadline")).to_have_text(re.compile(rf"Answer by {long(deadline)}\."))
    # Nothing of the application beyond the release: not Ana's note to the hiring side.
    await expect(page.locator("main")).not_to_contain_text("churn dashboard")
    # Each choice is described by its meaning.
    block = release.get_by_role("radio", name="Block", exact=True)
    await expect(block).to_have_attribute("aria-describedby", "meaning-block")
    await assert_accessible(page)
    await shots(page, "releases")

    # A block without a reason: refused beside the reason, the choice and the dates typed kept.
    await block.check()
    release_on = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    await release.get_by_label("The day they may go (if you release; optional)").fill(release_on)
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if r.request.method == "POST" else None)
    await release.get_by_role("button", name="Send my answer").click()
    error = page.locator("#reason-error")
    await expect(error).to_have_text("A block needs a reason: say why the move cannot go ahead.")
    assert statuses == [422]
    reason = release.get_by_label("Reason (needed to delay or block)")
    await expect(reason).to_have_attribute("aria-invalid", "true")
    await expect(reason).to_have_attribute("aria-describedby", re.compile(r"\breason-error\b"))
    await expect(release.get_by_role("radio", name="Block", exact=True)).to_be_checked()
    await expect(release.get_by_label("The day they may go (if you release; optional)")).to_have_value(release_on)
    await expect(release.locator(".release-status")).to_have_text("Status: Waiting for your answer")
    await assert_accessible(page)
    await shots(page, "releases-refused")

    # A delay: a later deadline and a reason; the deadline moves and the answer is kept.
    later = deadline + dt.timedelta(days=7)
    await release.get_by_role("radio", name="Delay", exact=True).check()
    await release.get_by_label("New deadline (if you delay)").fill(later.isoformat())
    await reason.fill("Quarter close: I need her until the books are done.")
    await release.get_by_role("button", name="Send my answer").click()
    await page.wait_for_url(re.compile(r"/releases\?answered="))
    await expect(page.locator("#answer-sent")).to_contain_text("Your answer is sent: the hiring manager is told")
    await expect(release.locator(".release-status")).to_have_text("Status: Delayed")
    await expect(release.locator(".release-deadline")).to_have_text(re.compile(rf"Answer by {long(later)}\."))
    history = page.locator(f"#history-{team.application_id}")
    await expect(history).to_contain_text(f"You delayed the deadline to {long(later)}.")
    await expect(history).to_contain_text("Reason: Quarter close: I need her until the books are done.")

    # A block with a reason stops the move; the hiring manager is told, Ana is not.
    await release.get_by_role("radio", name="Block", exact=True).check()
    await release.get_by_label("Reason (needed to delay or block)").fill("No one else can run the audit.")
    await release.get_by_role("button", name="Send my answer").click()
    await expect(release.locator(".release-status")).to_have_text("Status: Blocked")
    await expect(release.locator(".release-deadline")).to_have_text(
        re.compile("The hire cannot go ahead while your block stands.")
    )
    await expect(history).to_contain_text("You blocked the move. Reason: No one else can run the audit.")
    async with database.tenant_session(portal.tenant) as session:
        told = (
            await session.execute(
                select(Notification.employee_id, Notification.data).where(
                    Notification.kind == "marketplace.release_answered"
                )
            )
        ).all()
    about = [(who, data["status"]) for who, data in told if data["application_id"] == str(team.application_id)]
    assert about == [(people["cara"], "delayed"), (people["cara"], "blocked")]

    # A block may still become a release, with the day she may go; it moves to the answered ones.
    await release.get_by_role("radio", name="Release", exact=True).check()
    await release.get_by_label("The day they may go (if you release; optional)").fill(release_on)
    await release.get_by_role("button", name="Send my answer").click()
    await expect(page.locator(f"#release-{team.application_id}")).to_have_count(0)
    past = page.locator(f"#past-{team.application_id}")
    await expect(past.locator(".release-status")).to_have_text("Status: Released")
    go = dt.date.fromisoformat(release_on)
    lines = past.locator(f"#history-{team.application_id} li")
    await expect(lines).to_have_count(4)
    await expect(lines.nth(0)).to_contain_text("Release asked, to answer by")
    await expect(lines.nth(1)).to_contain_text("You delayed the deadline")
    await expect(lines.nth(2)).to_contain_text("You blocked the move.")
    await expect(lines.nth(3)).to_contain_text(f"You released them. They may go on {long(go)}.")
    await expect(page.locator("#no-releases")).to_be_visible()
    await assert_accessible(page)
    await shots(page, "releases-answered")


async def test_someone_who_manages_nobody_sees_no_manager_links_and_a_plain_sentence(
    team: Asked, page: Page, portal: Portal, shots: Shots
) -> None:
    await signed_in(page, portal, "ben")
    nav = page.get_by_role("navigation", name="Your pages")
    await expect(nav.get_by_role("link", name="My profile")).to_be_visible()
    await expect(nav.get_by_role("link", name="My team")).to_have_count(0)
    await expect(nav.get_by_role("link", name="Releases")).to_have_count(0)
    await page.goto(f"{portal.base_url}/team")
    await expect(page.locator("#no-team")).to_have_text(
        "Nobody reports to you in the directory, so there is no team to show."
    )
    await expect(page.locator("#team-matrix")).to_have_count(0)
    await assert_accessible(page)
    await shots(page, "team-empty")
    await page.goto(f"{portal.base_url}/releases")
    await expect(page.locator("#no-releases")).to_contain_text("Nobody has asked you for a release.")
    await expect(page.locator("main")).not_to_contain_text(team.title)
    await assert_accessible(page)
    await shots(page, "releases-empty")
    # In Dutch too.
    await page.get_by_role("button", name="Nederlands").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Vrijgaven")
    await expect(page.locator("#release-meanings")).to_contain_text("Een blokkade heeft een reden nodig.")
    await page.goto(f"{portal.base_url}/team")
    await expect(page.locator("#no-team")).to_contain_text("rapporteert niemand aan u")


async def test_the_pages_answer_scripts_as_the_api_and_answers_come_from_our_pages_and_the_manager_asked(
    team: Asked, page: Page, portal: Portal
) -> None:
    async with httpx.AsyncClient(base_url=portal.base_url) as anonymous:
        for method, path in (("GET", "/team"), ("GET", "/releases"), ("POST", f"/releases/{team.application_id}")):
            response = await anonymous.request(method, path)
            assert response.status_code == 401, (method, path, response.text)
    await signed_in(page, portal, "ben")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    answer = {"action": "release"}
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as bens:
        # Another site's page cannot write through the cookie.
        refused = await bens.post(
            f"/releases/{team.application_id}", data=answer, headers={"Origin": "https://x.example"}
        )
        assert refused.status_code == 403
        # Ben was not asked, and may not see Ana's application: not found, as the API answers.
        missing = await bens.post(f"/releases/{team.application_id}", data=answer, headers={"Origin": portal.base_url})
        assert missing.status_code == 404
        assert "This release does not exist, or it is not yours to answer." in missing.text
    hm = await page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        hms = await hm.new_page()
        await signed_in(hms, portal, "hm")
        cookies = {c["name"]: c["value"] for c in await hm.cookies(portal.base_url)}
    finally:
        await hm.close()
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as hms_client:
        # Still waiting: nothing Ben tried was kept.
        waiting = await hms_client.get("/releases")
        assert "Status: Waiting for your answer" in waiting.text


async def test_an_answer_with_a_field_the_form_does_not_have_is_refused_and_changes_nothing(
    team: Asked, page: Page, portal: Portal
) -> None:
    """Every form is read by the one reader: a field the release form does not send (or a single one
    sent twice) is a bad request (400), as an unknown query parameter is; the release still waits."""
    await signed_in(page, portal, "hm")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as hms:
        own = {"Origin": portal.base_url}
        for form in ({"action": "release", "notify": "ben"}, {"action": ["release", "block"]}):
            odd = await hms.post(f"/releases/{team.application_id}", data=form, headers=own)
            assert odd.status_code == 400, form
        waiting = await hms.get("/releases")
        assert "Status: Waiting for your answer" in waiting.text
