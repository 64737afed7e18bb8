"""The HR workspace's mentoring area, in Chromium through the company's real OpenID provider, as Hilde
(HR): she creates a programme (a cohort without dates refused beside its field first, what she typed
kept), opens its enrolment, reads who enrolled (as the services enrol them) and the counts, runs a
pairing (computed as the worker computes it, the page following its state by itself), reviews the
pairs with their reasons and the waiting list, previews and makes a swap by keyboard alone (the total
score's change shown before and after), removes a pair (its mentee joins the waiting list), reads the
run in Dutch, and publishes it; Ana then finds her mentor on her own mentoring page. Over HTTP: Ana
and Hm are refused (403) every page and write, another site's form is refused, a form field the page
does not send is a bad request (400) and changes nothing. axe-core and screenshots on every page."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import delete, func, select

from backend.mentoring.models import (
    MenteeRequest,
    MentorProfile,
    Pairing,
    PairingRun,
    ProgrammeKind,
    ProgrammeStatus,
    RequestStatus,
    RunStatus,
    WaitlistEntry,
)
from backend.mentoring.models import Programme as ProgrammeRow
from backend.mentoring.profiles import MentorProfileService
from backend.mentoring.programmes import ProgrammeService
from backend.mentoring.requests import MenteeRequestService
from backend.mentoring.runs import PairingRunService
from backend.mentoring.schemas import MenteeRequestCreate, MentorProfileCreate, ProgrammeCreate, RunCreate
from backend.notifications.models import Notification
from backend.portal.i18n import LANGUAGE_COOKIE
from backend.skills.models import EmployeeSkill, Skill, SkillSource
from tenants.base import new_id
from tenants.sessions import Database
from tests.mentoring.seed import hr
from tests.portal.conftest import WIDTHS, Portal, Shots, assert_accessible, sign_in
from tests.portal.test_keyboard import assert_keyboard_reaches_everything

HTML = {"Accept": "text/html,application/xhtml+xml"}


@dataclass(frozen=True)
class Setting:
    """A uniquely named programme title and a skill of this test alone, with the levels the pool's
    scores come from: Cara 5 and Ben 2 (who offers to teach it) as mentors; Ana 3 and Dan (not rated)
    as mentees, Hm (who speaks only German) too. Scores (skill lead 0.4 x levels ahead / 5, wants to
    teach 0.25, the same time zone 0.15): Ana-Ben 0.40, Ana-Cara 0.31, Dan-Cara 0.55, Dan-Ben 0.56;
    the run pairs Ana-Ben and Dan-Cara (0.95), swapped Ana-Cara and Dan-Ben (0.87)."""

    title: str
    skill: uuid.UUID
    skill_label: str


@pytest.fixture
async def setting(portal: Portal, database: Database) -> AsyncIterator[Setting]:
    """The title, the skill and its ratings; afterwards every programme of that title is taken away
    with its enrolment, runs, pairs and the notices its run sent, and the skill with its ratings."""
    tag = secrets.token_hex(3)
    title, label = f"Facilitation circle {tag}", f"Facilitation {tag}"
    people = portal.world.people
    skill = new_id()
    async with database.tenant_session(portal.tenant) as session, session.begin():
        session.add(Skill(id=skill, label=label))
        await session.flush()
        for name, level in (("cara", 5), ("ben", 2), ("ana", 3)):
            session.add(EmployeeSkill(employee_id=people[name], skill_id=skill, level=level, source=SkillSource.SELF))
    yield Setting(title, skill, label)
    async with database.tenant_session(portal.tenant) as session, session.begin():
        programmes = select(ProgrammeRow.id).where(ProgrammeRow.name == title)
        runs = select(PairingRun.id).where(PairingRun.programme_id.in_(programmes))
        await session.execute(delete(Pairing).where(Pairing.programme_id.in_(programmes)))
        await session.execute(delete(WaitlistEntry).where(WaitlistEntry.run_id.in_(runs)))
        await session.execute(delete(PairingRun).where(PairingRun.programme_id.in_(programmes)))
        await session.execute(delete(MenteeRequest).where(MenteeRequest.programme_id.in_(programmes)))
        await session.execute(delete(MentorProfile).where(MentorProfile.programme_id.in_(programmes)))
        await session.execute(delete(ProgrammeRow).where(ProgrammeRow.name == title))
        await session.execute(
            delete(Notification).where(
                Notification.kind.startswith("mentoring."), Notification.data["programme_name"].astext == title
            )
        )
        await session.execute(delete(EmployeeSkill).where(EmployeeSkill.skill_id == skill))
        await session.execute(delete(Skill).where(Skill.id == skill))


async def enrol(portal: Portal, database: Database, programme_id: uuid.UUID, setting: Setting) -> None:
    """Cara and Ben offer to mentor (Ben to teach the skill), Ana, Dan and Hm ask for a mentor: as HR
    enrols them through the services."""
    tenant, people = portal.tenant, portal.world.people
    async with database.tenant_session(tenant) as session, session.begin():
        profiles, requests = MentorProfileService(session), MenteeRequestService(session)
        for name, teaches in (("cara", []), ("ben", [setting.skill])):
            offer = MentorProfileCreate(employee_id=people[name], languages=["en"], capacity=1, skill_ids=teaches)
            await profiles.create(hr(tenant), programme_id, offer)
        for name, languages in (("ana", ["en"]), ("dan", ["en"]), ("hm", ["de"])):
            ask = MenteeRequestCreate(
                employee_id=people[name], goals="Run better workshops", languages=languages, skill_ids=[setting.skill]
            )
            await requests.create(hr(tenant), programme_id, ask)


async def signed_in(page: Page, portal: Portal, login: str) -> None:
    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "en", "url": portal.base_url}])
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, login)


async def tab_to(page: Page, selector: str) -> None:
    """Tab (the keyboard alone) until the control `selector` has the focus."""
    for _ in range(200):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reaches {selector}")


async def stored_pairs(
    database: Database, portal: Portal, run_id: uuid.UUID
) -> dict[uuid.UUID, tuple[uuid.UUID, float]]:
    """Each mentee's mentor and score in the run, read back through the service."""
    async with database.tenant_session(portal.tenant) as session:
        service = PairingRunService(session)
        pairs, _ = await service.pairings(hr(portal.tenant), run_id, cursor=None, limit=100)
        return {p.mentee_employee_id: (p.mentor_employee_id, round(p.score, 2)) for p in pairs}


async def test_hr_runs_a_programme_from_creation_to_a_published_pairing(
    page: Page, browser: Browser, portal: Portal, database: Database, setting: Setting, shots: Shots
) -> None:
    people = portal.world.people
    await signed_in(page, portal, "hilde")
    await page.get_by_role("link", name="HR workspace").click()
    await page.get_by_role("navigation", name="HR workspace").get_by_role("link", name="Mentoring").click()
    await page.wait_for_url(f"{portal.base_url}/hr/mentoring")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mentoring programmes")
    await assert_accessible(page)
    await shots(page, "hr-mentoring")

    # A cohort without dates: refused beside its dates, what was typed kept.
    create = page.locator("#create")
    await create.get_by_label("Name").fill(setting.title)
    await create.get_by_label("Kind").select_option("cohort")
    await create.get_by_label("Goals").fill("Everyone leads a workshop by June.")
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if r.request.method == "POST" else None)
    await create.get_by_role("button", name="Create the programme").click()
    await expect(page.locator("#starts_on-error")).to_have_text("A cohort needs a start and an end date.")
    assert statuses == [422]
    starts = page.locator("#create").get_by_label("Starts on")
    await expect(starts).to_have_attribute("aria-invalid", "true")
    await expect(starts).to_have_attribute("aria-describedby", re.compile(r"\bstarts_on-error\b"))
    await expect(page.locator("#create").get_by_label("Name")).to_have_value(setting.title)
    await expect(page.locator("#create").get_by_label("Goals")).to_have_value("Everyone leads a workshop by June.")
    await assert_accessible(page)
    await shots(page, "hr-mentoring-refused")

    # An ongoing programme: created as a draft, then its enrolment opened.
    await page.locator("#create").get_by_label("Kind").select_option("evergreen")
    await page.locator("#create").get_by_role("button", name="Create the programme").click()
    await page.wait_for_url(re.compile(r"/hr/mentoring/programmes/[0-9a-f-]+\?done=created"))
    programme_id = uuid.UUID(page.url.split("/programmes/")[1].split("?")[0])
    await expect(page.get_by_role("heading", level=1)).to_have_text(setting.title)
    await expect(page.locator("#programme-status")).to_contain_text("Draft.")
    await page.get_by_role("button", name="Open enrolment").click()
    await expect(page.locator("#done")).to_contain_text("Enrolment is open")
    await expect(page.locator("#programme-status")).to_contain_text("Open for enrolment.")
    async with database.tenant_session(portal.tenant) as session:
        saved = await ProgrammeService(session).get(hr(portal.tenant), programme_id)

    # Edited: a description, read back through the service.
    edit = page.locator("#edit")
    await edit.get_by_label("Description").fill("Practise running a workshop with a colleague.")
    await edit.get_by_role("button", name="Save the programme").click()
    await expect(page.locator("#done")).to_have_text("The programme is saved.")
    await expect(page.locator("#edit").get_by_label("Description")).to_have_value(
        "Practise running a workshop with a colleague."
    )

    async with database.tenant_session(portal.tenant) as session:
        saved = await ProgrammeService(session).get(hr(portal.tenant), programme_id)
        assert (saved.name, saved.status, saved.goals, saved.description) == (
            setting.title,
            ProgrammeStatus.OPEN,
            "Everyone leads a workshop by June.",
            "Practise running a workshop with a colleague.",
        )

    # Enrolment, by name, and its counts on the list.
    await enrol(portal, database, programme_id, setting)
    await page.reload()
    await expect(page.locator("#mentors-title")).to_have_text("Mentors who offered (2)")
    await expect(page.locator("#mentors li")).to_have_text(["Ben · takes 1 mentee", "Cara · takes 1 mentee"])
    await expect(page.locator("#mentees li")).to_have_text(
        [
            "Ana · waiting for the next pairing run",
            "Dan · waiting for the next pairing run",
            "Hm · waiting for the next pairing run",
        ]
    )
    await assert_accessible(page)
    await shots(page, "hr-mentoring-programme")
    await page.goto(f"{portal.base_url}/hr/mentoring")
    row = page.locator(f"#programme-{programme_id}")
    await expect(row.locator(".programme-status")).to_have_text("Open for enrolment")
    await expect(row.locator(".programme-mentors")).to_have_text("2")
    await expect(row.locator(".programme-mentees")).to_have_text("3")
    await expect(row.locator(".programme-waiting")).to_have_text("3")
    await expect(row.locator(".programme-matched")).to_have_text("0")

    # Run a pairing: the page shows it being computed, and follows it once the worker has.
    await row.get_by_role("link", name=setting.title).click()
    await page.get_by_role("button", name="Run a pairing").click()
    await page.wait_for_url(re.compile(r"/hr/mentoring/runs/[0-9a-f-]+$"))
    run_id = uuid.UUID(page.url.rsplit("/", 1)[1])
    await expect(page.locator("#run-status")).to_have_text("Being computed")
    await expect(page.locator("#run-progress")).to_be_visible()
    await assert_accessible(page)
    await shots(page, "hr-mentoring-run-computing")
    async with database.tenant_session(portal.tenant) as session, session.begin():
        assert (await PairingRunService(session).run(run_id))["matched"] == 2
    await expect(page.locator("#run-status")).to_have_text("Waiting for review")
    await expect(page.locator("#run-totals")).to_have_text("2 matched, 1 waiting, total score 0.95.")
    ana_row = page.locator("#pairs tbody tr").filter(has=page.get_by_role("rowheader", name="Ana"))
    dan_row = page.locator("#pairs tbody tr").filter(has=page.get_by_role("rowheader", name="Dan"))
    await expect(ana_row.locator(".pair-mentor")).to_have_text("Ben")
    await expect(ana_row.locator(".pair-score")).to_have_text("0.4")
    await expect(ana_row.locator(".pair-reasons")).to_contain_text(f"Mentor wants to teach {setting.skill_label}.")
    await expect(dan_row.locator(".pair-mentor")).to_have_text("Cara")
    await expect(dan_row.locator(".pair-score")).to_have_text("0.55")
    await expect(dan_row.locator(".pair-reasons")).to_contain_text(
        f"Mentor is level 5 in {setting.skill_label}, you are not yet rated."
    )
    await expect(page.locator("#waitlist-entries li")).to_have_text(["Hm: no mentor shares a language with you."])
    await assert_accessible(page)
    await shots(page, "hr-mentoring-run")
    await assert_keyboard_reaches_everything(page, "/hr/mentoring/runs/{id}")

    # The same pair twice: refused beside the second choice, both choices kept.
    swap = page.locator("#swap-form")
    ana_pair = "Ana with Ben (0.4)"
    await swap.get_by_label("First pair").select_option(label=ana_pair)
    await swap.get_by_label("Second pair").select_option(label=ana_pair)
    await swap.get_by_role("button", name="Show the effect of the swap").click()
    await expect(page.locator("#second_pairing_id-error")).to_have_text("Choose two different pairs.")
    await expect(page.get_by_label("Second pair")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("First pair").locator("option:checked")).to_have_text(ana_pair)
    await expect(page.get_by_label("Second pair").locator("option:checked")).to_have_text(ana_pair)
    await assert_accessible(page)

    # A swap by keyboard alone: the choices, the effect before anything changes, then the swap.
    await page.goto(f"{portal.base_url}/hr/mentoring/runs/{run_id}")
    await page.locator("body").focus()
    await tab_to(page, "#first_pairing_id")
    await page.keyboard.press("ArrowDown")
    await tab_to(page, "#second_pairing_id")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await tab_to(page, "#preview-swap")
    await page.keyboard.press("Enter")
    await expect(page.locator("#effect")).to_have_text("Total score 0.95 → 0.87.")
    await expect(page.locator("#preview-pairs > li")).to_have_count(2)
    await expect(page.locator("#preview-pairs")).to_contain_text("Ana with Cara · score 0.31")
    await expect(page.locator("#preview-pairs")).to_contain_text("Dan with Ben · score 0.56")
    await expect(page.locator("#preview-pairs")).to_contain_text(
        f"Mentor is level 5 in {setting.skill_label}, you are level 3."
    )
    assert await stored_pairs(database, portal, run_id) == {
        people["ana"]: (people["ben"], 0.4),
        people["dan"]: (people["cara"], 0.55),
    }
    await assert_accessible(page)
    await shots(page, "hr-mentoring-swap-preview")
    await tab_to(page, "#confirm-swap")
    await page.keyboard.press("Enter")
    await expect(page.locator("#done")).to_have_text("The mentors are swapped. Total score 0.95 → 0.87.")
    await expect(page.locator("#run-totals")).to_have_text("2 matched, 1 waiting, total score 0.87.")
    await expect(ana_row.locator(".pair-mentor")).to_have_text("Cara")
    await expect(ana_row.locator(".pair-score")).to_have_text("0.31")
    assert await stored_pairs(database, portal, run_id) == {
        people["ana"]: (people["cara"], 0.31),
        people["dan"]: (people["ben"], 0.56),
    }

    # Remove Dan's pair: the effect first, then Dan joins the waiting list after Hm.
    await page.get_by_role("link", name="Remove the pair of Dan and Ben").click()
    await expect(page.locator("#preview-title")).to_have_text("Remove the pair of Dan and Ben?")
    await expect(page.locator("#effect")).to_contain_text("Total score 0.87 → 0.31.")
    await expect(page.locator("#effect")).to_contain_text("Dan joins the waiting list at place 2.")
    await assert_accessible(page)
    await shots(page, "hr-mentoring-remove-preview")
    await page.get_by_role("button", name="Remove the pair").click()
    await expect(page.locator("#done")).to_have_text(
        "The pair is removed and its mentee joins the waiting list. Total score 0.87 → 0.31."
    )
    await expect(page.locator("#waitlist-entries li")).to_have_text(
        [
            "Hm: no mentor shares a language with you.",
            "Dan: HR took your proposed pair out of the run while reviewing it.",
        ]
    )
    assert await stored_pairs(database, portal, run_id) == {people["ana"]: (people["cara"], 0.31)}

    # In Dutch: the run, its reasons and its waiting list.
    await page.get_by_role("button", name="Nederlands").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Koppelingsronde van {setting.title}")
    await expect(ana_row.locator(".pair-reasons")).to_contain_text(
        f"Mentor heeft niveau 5 in {setting.skill_label}, u niveau 3."
    )
    await expect(page.locator("#waitlist-entries li").nth(0)).to_contain_text("Hm:")
    await assert_accessible(page)
    await shots(page, "hr-mentoring-run-nl")
    await page.get_by_role("button", name="English").click()

    # Publish: the run is published and its people told; Ana finds Cara on her mentoring page.
    await page.get_by_role("button", name="Publish the run").click()
    await expect(page.locator("#done")).to_have_text(
        "The run is published: every pair and every mentee on the waiting list is told."
    )
    await expect(page.locator("#run-status")).to_have_text("Published")
    async with database.tenant_session(portal.tenant) as session:
        run = await PairingRunService(session).get(hr(portal.tenant), run_id)
        assert run.status == RunStatus.PUBLISHED
        statuses_now = dict(
            (
                await session.execute(
                    select(MenteeRequest.employee_id, MenteeRequest.status).where(
                        MenteeRequest.programme_id == programme_id
                    )
                )
            ).all()
        )
    assert statuses_now == {
        people["ana"]: RequestStatus.MATCHED,
        people["dan"]: RequestStatus.WAITLISTED,
        people["hm"]: RequestStatus.WAITLISTED,
    }
    # Closed: no more runs or enrolments.
    await page.get_by_role("link", name=f"Back to {setting.title}").click()
    await page.get_by_role("button", name="Close the programme").click()
    await expect(page.locator("#programme-status")).to_contain_text("Closed.")
    await expect(page.get_by_role("button", name="Run a pairing")).to_have_count(0)
    await expect(page.locator("#run-list tbody tr")).to_have_count(1)
    await expect(page.locator("#run-list tbody tr")).to_contain_text("Published")

    context = await browser.new_context(viewport={"width": WIDTHS["desktop"], "height": 900}, locale="en-GB")
    try:
        ana = await context.new_page()
        await signed_in(ana, portal, "ana")
        await ana.goto(f"{portal.base_url}/mentoring")
        mine = ana.locator("#my-pairings li").filter(has_text=setting.title)
        await expect(mine).to_contain_text("Cara mentors you")
    finally:
        await context.close()


@pytest.fixture
async def queued(portal: Portal, database: Database, setting: Setting) -> tuple[uuid.UUID, uuid.UUID]:
    """A programme of the test's title with a run not yet computed: (programme id, run id)."""
    data = ProgrammeCreate(name=setting.title, kind=ProgrammeKind.EVERGREEN, status=ProgrammeStatus.OPEN)
    async with database.tenant_session(portal.tenant) as session, session.begin():
        programme = await ProgrammeService(session).create(hr(portal.tenant), data)
        run = await PairingRunService(session).start(hr(portal.tenant), programme.id, RunCreate())
    return programme.id, run.id


async def cookies_of(browser: Browser, portal: Portal, login: str) -> dict[str, str]:
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await signed_in(page, portal, login)
        return {c["name"]: c["value"] for c in await context.cookies(portal.base_url)}
    finally:
        await context.close()


async def test_only_hr_reaches_the_area_and_its_forms_come_from_its_pages(
    browser: Browser, portal: Portal, database: Database, setting: Setting, queued: tuple[uuid.UUID, uuid.UUID]
) -> None:
    programme_id, run_id = queued
    pages = ["/hr/mentoring", f"/hr/mentoring/programmes/{programme_id}", f"/hr/mentoring/runs/{run_id}"]
    writes = {
        "/hr/mentoring/programmes": {"name": "Not theirs", "kind": "evergreen"},
        f"/hr/mentoring/programmes/{programme_id}/status": {"status": "closed"},
        f"/hr/mentoring/programmes/{programme_id}/runs": {"objective": ""},
        f"/hr/mentoring/runs/{run_id}/discard": {},
    }
    for login in ("ana", "hm"):
        cookies = await cookies_of(browser, portal, login)
        async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as client:
            for path in pages:
                response = await client.get(path)
                assert response.status_code == 403, (login, path)
                assert "Only your company&#39;s HR admins may use the HR workspace." in response.text
            for path, form in writes.items():
                response = await client.post(path, data=form, headers={"Origin": portal.base_url})
                assert response.status_code == 403, (login, path)

    cookies = await cookies_of(browser, portal, "hilde")
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as hildes:
        for path in pages:
            assert (await hildes.get(path)).status_code == 200, path
        # Another site's form cannot write through her cookie.
        refused = await hildes.post(
            f"/hr/mentoring/programmes/{programme_id}/status",
            data={"status": "closed"},
            headers={"Origin": "https://x.example"},
        )
        assert refused.status_code == 403
        # A field the form does not have (or one sent twice) is a bad request, and nothing is written.
        own = {"Origin": portal.base_url}
        odd = await hildes.post(
            f"/hr/mentoring/programmes/{programme_id}/status", data={"status": "closed", "force": "1"}, headers=own
        )
        assert odd.status_code == 400
        twice = await hildes.post(
            f"/hr/mentoring/programmes/{programme_id}/status", data={"status": ["closed", "open"]}, headers=own
        )
        assert twice.status_code == 400
        extra = await hildes.post(
            "/hr/mentoring/programmes",
            data={"name": setting.title, "kind": "evergreen", "status": "open"},
            headers=own,
        )
        assert extra.status_code == 400
    async with database.tenant_session(portal.tenant) as session:
        programme = await ProgrammeService(session).get(hr(portal.tenant), programme_id)
        assert programme.status == ProgrammeStatus.OPEN
        run = await PairingRunService(session).get(hr(portal.tenant), run_id)
        assert run.status == RunStatus.QUEUED
        count = await session.scalar(
            select(func.count()).select_from(ProgrammeRow).where(ProgrammeRow.name == setting.title)
        )
        assert count == 1
