"""A manager's openings in the portal, in Chromium through the company's real OpenID provider: Hm (the
hiring manager of the world's openings, signed in as a manager) posts a gig with a skill found by
typing, is shown a refusal beside its field with the rest kept, edits the draft, opens and closes it;
on the analyst opening reads the applicants ranked with their reasons and the candidates exactly as the
API lists them for him (a person open to HR only, or hidden, never there), moves one application on and
rejects another with a reason. Ben, no manager, has no link to the page and is refused it; an opening
of nobody's Hm may see is not found. axe-core on each page, screenshots at 390 and 1440 px.

The world's data are put back afterwards: the openings posted here are deleted, and so are the
applications made here (with their notifications), since other tests read the same company."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import Page, expect
from sqlalchemy import delete, select

from backend.auth.principal import Principal, UserRole, scopes_for
from backend.marketplace.applications import ApplicationService
from backend.marketplace.models import Application, ManagerRelease, Opportunity, OpportunityKind, OpportunityStatus
from backend.marketplace.schemas import ApplicationCreate
from backend.notifications.models import Notification
from backend.portal.i18n import LANGUAGE_COOKIE
from tenants.base import new_id
from tenants.sessions import Database
from tests.conftest import TokenFactory
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
API = "/api/v1"
# The prefix of every opening these tests post (and delete afterwards).
POSTED = "Hiring test "


async def signed_in(page: Page, portal: Portal, login: str) -> None:
    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "en", "url": portal.base_url}])
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, login)


def employee(portal: Portal, name: str) -> Principal:
    """A person of the world as the API knows them when they sign in as an employee."""
    roles = frozenset({UserRole.EMPLOYEE})
    person = portal.world.people[name]
    return Principal(portal.tenant, f"employee:{person}", person, roles, scopes_for(roles))


@pytest.fixture
async def posted(portal: Portal, database: Database) -> AsyncIterator[None]:
    """Whatever these tests post goes again afterwards (its skills and visibility go with it)."""
    yield
    async with database.tenant_session(portal.tenant) as session, session.begin():
        await session.execute(delete(Opportunity).where(Opportunity.title.startswith(POSTED)))


@pytest.fixture
async def applicants(portal: Portal, database: Database) -> AsyncIterator[dict[str, uuid.UUID]]:
    """Ana (Hm's own report) and Cara (hidden from candidate lists) apply to the analyst opening, each
    through the service the API's apply route calls, as themselves; the applications, their history
    and the notifications they sent are deleted afterwards."""
    world = portal.world
    made: dict[str, uuid.UUID] = {}
    async with database.tenant_session(portal.tenant) as session, session.begin():
        for name, note in (("ana", "I run our weekly numbers."), ("cara", "Tableau is my daily tool.")):
            application = await ApplicationService(session).apply(
                employee(portal, name), world.analyst, ApplicationCreate(note=note)
            )
            made[name] = application.id
    yield made
    async with database.tenant_session(portal.tenant) as session, session.begin():
        ids = [str(i) for i in made.values()]
        await session.execute(delete(Notification).where(Notification.data["application_id"].astext.in_(ids)))
        await session.execute(delete(ManagerRelease).where(ManagerRelease.application_id.in_(made.values())))
        await session.execute(delete(Application).where(Application.id.in_(made.values())))


async def test_a_manager_posts_a_gig_with_a_skill_found_by_typing_edits_opens_and_closes_it(
    page: Page, portal: Portal, shots: Shots, posted: None, database: Database
) -> None:
    title = f"{POSTED}{secrets.token_hex(3)} forecast gig"
    await signed_in(page, portal, "hm")
    await page.get_by_role("link", name="My openings").click()
    await page.wait_for_url(f"{portal.base_url}/openings")
    await expect(page.get_by_role("heading", level=1)).to_have_text("My openings")
    # The world's openings, by status: Hm is their hiring manager.
    await expect(page.locator("#openings-draft")).to_contain_text("Draft gig")
    await expect(page.locator("#openings-open")).to_contain_text("Data analysis gig")
    await expect(page.locator("#openings-open")).to_contain_text("Sales dashboard project")
    await assert_accessible(page)
    await shots(page, "openings")

    # The form, with no title: everything else typed, a skill found by typing and ticked.
    await page.get_by_label("Kind").select_option(label="Gig")
    await page.get_by_label("Department").select_option(label="Data")
    await page.get_by_label("Location").fill("Rotterdam")
    await page.get_by_label("Remote work possible").check()
    await page.get_by_label("Hours a week").fill("6")
    await page.get_by_label("Weeks", exact=True).fill("10")
    await page.get_by_label("Description").fill("Six hours a week on the sales forecasts.")
    search = page.get_by_label("Search your company's skill library")
    await search.focus()
    await page.keyboard.type("tabl")
    # htmx asked for the results as Hm typed: no page load.
    found = page.locator("#found-skills")
    await expect(found.locator("li")).to_have_count(1)
    assert page.url == f"{portal.base_url}/openings"
    # By keyboard: past the search's button to the skill, ticked with Space, then its level and importance.
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    tableau = found.get_by_label("Ask for Tableau")
    await expect(tableau).to_be_focused()
    await page.keyboard.press("Space")
    await expect(tableau).to_be_checked()
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Level of Tableau")).to_be_focused()
    await page.keyboard.type("3")
    await expect(page.get_by_label("Level of Tableau")).to_have_value("3")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Importance of Tableau")).to_be_focused()
    await page.get_by_label("Importance of Tableau").select_option(label="Important")
    await assert_accessible(page)
    await shots(page, "openings-skill-search")
    async with page.expect_response(f"{portal.base_url}/openings") as answered:
        await page.get_by_role("button", name="Save draft").click()
    assert (await answered.value).status == 422
    await expect(page.locator("#title-error")).to_have_text("Give it a title, in at most 200 characters.")
    await expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Title")).to_have_attribute("aria-describedby", "title-error")
    # The rest as typed, the skill still asked for at its level and importance.
    await expect(page.get_by_label("Location")).to_have_value("Rotterdam")
    await expect(page.get_by_label("Hours a week")).to_have_value("6")
    await expect(page.get_by_label("Weeks", exact=True)).to_have_value("10")
    await expect(page.get_by_label("Remote work possible")).to_be_checked()
    await expect(page.get_by_label("Description")).to_have_value("Six hours a week on the sales forecasts.")
    await expect(page.locator("#chosen-skills").get_by_label("Ask for Tableau")).to_be_checked()
    await expect(page.get_by_label("Level of Tableau")).to_have_value("3")
    await expect(page.get_by_label("Importance of Tableau")).to_have_value("important")
    await assert_accessible(page)
    await shots(page, "openings-refused")
    async with database.tenant_session(portal.tenant) as session:
        assert await session.scalar(select(Opportunity.id).where(Opportunity.title.startswith(POSTED))) is None

    await page.get_by_label("Title").fill(title)
    await page.get_by_role("button", name="Save draft").click()
    await page.wait_for_url(f"{portal.base_url}/openings/*")
    opening_id = page.url.rsplit("/", 1)[1]
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    await expect(page.locator("#status-title")).to_have_text("Status: Draft")
    await expect(page.locator("#opening-facts")).to_contain_text("Gig · Data · Rotterdam · remote possible")
    await expect(page.locator("#opening-facts")).to_contain_text("6 hours a week · 10 weeks")
    await expect(page.locator("#opening-skills-asked")).to_have_text("Tableau, level 3 · Important")
    await expect(page.locator("#no-applicants")).to_be_visible()
    await expect(page.locator("#no-candidates")).to_contain_text("while the opening takes applications")
    await assert_accessible(page)
    await shots(page, "opening-draft")
    # As the API has it: a draft, Hm its hiring manager and creator.
    async with database.tenant_session(portal.tenant) as session:
        saved = await session.get(Opportunity, uuid.UUID(opening_id))
        assert saved is not None
        assert (saved.status, saved.kind, saved.hours_per_week) == (OpportunityStatus.DRAFT, OpportunityKind.GIG, 6)
        assert saved.hiring_manager_id == saved.created_by_employee_id == portal.world.people["hm"]

    # Edit the draft: 8 hours now, and Tableau no longer asked for.
    await page.get_by_role("link", name="Edit the draft").click()
    await page.wait_for_url(f"{portal.base_url}/openings/{opening_id}/edit")
    await expect(page.get_by_label("Title")).to_have_value(title)
    await page.get_by_label("Hours a week").fill("8")
    await page.get_by_label("Ask for Tableau").uncheck()
    await assert_accessible(page)
    await shots(page, "opening-edit")
    await page.get_by_role("button", name="Save changes").click()
    await page.wait_for_url(f"{portal.base_url}/openings/{opening_id}")
    await expect(page.locator("#opening-facts")).to_contain_text("8 hours a week")
    await expect(page.locator("#opening-skills-asked")).to_have_count(0)

    await page.get_by_role("button", name="Open it").click()
    await page.wait_for_url(f"{portal.base_url}/openings/{opening_id}")
    await expect(page.locator("#status-title")).to_have_text("Status: Open")
    await expect(page.locator("#status-meaning")).to_contain_text("takes applications")
    await page.get_by_role("button", name="Close it").click()
    await page.wait_for_url(f"{portal.base_url}/openings/{opening_id}")
    await expect(page.locator("#status-title")).to_have_text("Status: Closed")
    await expect(page.get_by_role("button", name="Open it again")).to_be_visible()
    await page.get_by_role("link", name="Back to my openings").click()
    await expect(page.locator("#openings-closed")).to_contain_text(title)


async def test_a_draft_without_a_description_does_not_open_and_says_why(
    page: Page, portal: Portal, shots: Shots, posted: None
) -> None:
    await signed_in(page, portal, "hm")
    await page.goto(f"{portal.base_url}/openings")
    await page.get_by_label("Title").fill(f"{POSTED}{secrets.token_hex(3)} quiet gig")
    await page.get_by_label("Hours a week").fill("4")
    await page.get_by_label("Weeks", exact=True).fill("4")
    await page.get_by_role("button", name="Save draft").click()
    await page.wait_for_url(f"{portal.base_url}/openings/*")
    async with page.expect_response(lambda r: r.url.endswith("/open")) as answered:
        await page.get_by_role("button", name="Open it").click()
    assert (await answered.value).status == 422
    await expect(page.locator("#status-error")).to_have_text(
        "It needs a description before it opens: edit it to add one."
    )
    await expect(page.get_by_role("button", name="Open it")).to_have_attribute("aria-describedby", "status-error")
    await expect(page.locator("#status-title")).to_have_text("Status: Draft")
    await assert_accessible(page)
    # In Dutch, the same page and My openings, written for the language (and still fitting a phone).
    await page.get_by_role("button", name="Nederlands").click()
    await expect(page.locator("#status-title")).to_have_text("Status: Concept")
    await expect(page.get_by_role("button", name="Openen")).to_be_visible()
    await shots(page, "opening-dutch")
    await page.get_by_role("link", name="Mijn vacatures", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mijn vacatures")
    await expect(page.get_by_role("button", name="Concept bewaren")).to_be_visible()
    await assert_accessible(page)
    await shots(page, "openings-dutch")


async def test_the_analyst_openings_applicants_are_ranked_with_reasons_and_its_candidates_are_the_apis(
    page: Page,
    portal: Portal,
    shots: Shots,
    applicants: dict[str, uuid.UUID],
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
) -> None:
    world = portal.world
    hm = auth(portal.tenant, UserRole.MANAGER, employee_id=world.people["hm"])
    ranked = (await client.get(f"{API}/opportunities/{world.analyst}/applications", headers=hm)).json()["items"]
    listed = (await client.get(f"{API}/opportunities/{world.analyst}/candidates", headers=hm)).json()["items"]
    await signed_in(page, portal, "hm")
    await page.goto(f"{portal.base_url}/openings")
    await page.get_by_role("link", name="Data analysis gig").click()
    await page.wait_for_url(f"{portal.base_url}/openings/{world.analyst}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Data analysis gig")

    # Applicants best match first, as the API ranks them: Cara has every required skill, Ana misses one.
    rows = page.locator("#applicants > li")
    await expect(rows.locator("h3")).to_have_text([a["applicant"]["full_name"] for a in ranked])
    await expect(rows.locator("h3")).to_have_text(["Cara", "Ana"])
    cara, ana = page.locator(f"#application-{applicants['cara']}"), page.locator(f"#application-{applicants['ana']}")
    await expect(cara.locator(".portal-summary")).to_have_text("Has 2 of 2 required skills.")
    await expect(ana.locator(".portal-summary")).to_have_text(
        "Has 1 of 2 required skills. Missing: Tableau, level 2 of 3."
    )
    await expect(ana).to_contain_text("Their note: I run our weekly numbers.")
    await expect(ana.locator(".application-stage")).to_have_text("Stage: Applied")
    # What an offer sets off, from the company's mobility policy (at offer, 14 days).
    await expect(page.locator("#release-rule")).to_contain_text("to release them; they have 14 days to answer")
    await ana.locator("summary", has_text="How the score adds up").click()
    await expect(ana.locator("table")).to_contain_text("Required skills")
    await expect(ana.locator("tfoot")).to_contain_text("Total")

    # Candidates exactly as the API lists them for Hm: never Ben (open to HR only), nor Cara (hidden,
    # and an applicant now), nor Ana (his own report, and an applicant).
    assert listed, "the world has a candidate open to hiring managers for the analyst opening"
    names = [c["employee"]["full_name"] for c in listed]
    await expect(page.locator("#candidates > li h3")).to_have_text(names)
    assert not {"Ben", "Cara", "Ana"} & set(names)
    candidates = page.locator("#candidates")
    for absent in ("Ben", "Cara", "Ana"):
        await expect(candidates.get_by_role("heading", name=absent, exact=True)).to_have_count(0)
    await expect(page.locator("#candidates-audience")).to_contain_text("those open to HR only, never appear")
    await assert_accessible(page)
    await shots(page, "opening-applicants")

    # Ana to the next stage; the stages offered are the hiring side's only.
    move = ana.get_by_label("Move Ana to")
    await expect(move.locator("option")).to_have_text(["Screening", "Interview", "Offer"])
    await move.select_option(label="Screening")
    await ana.get_by_role("button", name="Move").click()
    await page.wait_for_url(f"{portal.base_url}/openings/{world.analyst}*")
    await expect(ana.locator(".application-stage")).to_have_text("Stage: Screening")
    await expect(ana.get_by_label("Move Ana to").locator("option")).to_have_text(["Interview", "Offer"])

    # A rejection without its reason is refused beside the reason; with it, Cara is told why.
    told = "We chose someone already in the Data team."
    await cara.get_by_label("The reason told to Cara (optional)").fill(told)
    async with page.expect_response(lambda r: r.url.endswith("/stage")) as answered:
        await cara.get_by_role("button", name="Reject").click()
    assert (await answered.value).status == 422
    cara = page.locator(f"#application-{applicants['cara']}")
    reason = cara.get_by_label("Why not Cara (for the hiring side)")
    await expect(page.locator(f"#reject-note-error-{applicants['cara']}")).to_have_text(
        "Give the reason for the rejection. Only the hiring side reads it."
    )
    await expect(reason).to_have_attribute("aria-invalid", "true")
    await expect(cara.get_by_label("The reason told to Cara (optional)")).to_have_value(told)
    await expect(cara.locator(".application-stage")).to_have_text("Stage: Applied")
    await assert_accessible(page)
    await shots(page, "opening-rejection-refused")
    await reason.fill("Less SQL depth than the team needs.")
    await cara.get_by_role("button", name="Reject").click()
    await page.wait_for_url(f"{portal.base_url}/openings/{world.analyst}*")
    await expect(cara.locator(".application-stage")).to_have_text("Stage: Not selected")
    await expect(cara.get_by_role("button", name="Reject")).to_have_count(0)
    await cara.locator("summary", has_text="History").click()
    await expect(cara.locator("details ol")).to_contain_text(told)

    # The API reads the same: Ana screening, Cara rejected with the reason shared.
    for application_id, stage in ((applicants["ana"], "screening"), (applicants["cara"], "rejected")):
        got = (await client.get(f"{API}/applications/{application_id}", headers=hm)).json()
        assert got["stage"] == stage
    cara_read = (await client.get(f"{API}/applications/{applicants['cara']}", headers=hm)).json()
    assert cara_read["reason_shared"] == told


async def test_someone_not_a_manager_gets_no_link_and_no_page_and_nobodys_opening_is_not_found(
    page: Page, portal: Portal, shots: Shots, database: Database, posted: None
) -> None:
    world = portal.world
    await signed_in(page, portal, "ben")
    await expect(page.locator("nav[aria-label='Your pages']")).to_be_visible()
    await expect(page.get_by_role("link", name="My openings")).to_have_count(0)
    response = await page.goto(f"{portal.base_url}/openings")
    assert response is not None
    assert response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Not yours to see")
    await expect(page.locator("#forbidden-reason")).to_contain_text("is for managers")
    await expect(page.get_by_label("Title")).to_have_count(0)
    await assert_accessible(page)
    await shots(page, "openings-forbidden")
    # The analyst opening is on Ben's board, but its applicants are Hm's: refused, as the API does.
    response = await page.goto(f"{portal.base_url}/openings/{world.analyst}")
    assert response is not None
    assert response.status == 403
    await expect(page.locator("#forbidden-reason")).to_contain_text("Only the opening's hiring manager and HR")
    # Hm's draft does not exist for Ben.
    response = await page.goto(f"{portal.base_url}/openings/{world.draft}")
    assert response is not None
    assert response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Not found")

    # A draft HR is preparing for no hiring manager yet: not Hm's to see either.
    async with database.tenant_session(portal.tenant) as session, session.begin():
        draft = Opportunity(
            id=new_id(),
            title=f"{POSTED}HR's draft",
            kind=OpportunityKind.GIG,
            hours_per_week=4,
            duration_weeks=4,
            status=OpportunityStatus.DRAFT,
            created_by="test:hr",
        )
        session.add(draft)
    await page.context.clear_cookies()
    await signed_in(page, portal, "hm")
    for path in (f"/openings/{draft.id}", f"/openings/{draft.id}/edit"):
        response = await page.goto(f"{portal.base_url}{path}")
        assert response is not None
        assert response.status == 404, path
        await expect(page.get_by_role("heading", level=1)).to_have_text("Not found")


async def test_a_hiring_manager_without_the_manager_role_reads_their_opening_without_its_candidates(
    page: Page, portal: Portal, shots: Shots, database: Database, posted: None
) -> None:
    """Ben (no manager role) is named hiring manager of a gig: he reads its page and its applicants, as
    the API serves them to him; only the candidates, a manager's or HR's list, are not his."""
    async with database.tenant_session(portal.tenant) as session, session.begin():
        gig = Opportunity(
            id=new_id(),
            title=f"{POSTED}Ben's gig",
            kind=OpportunityKind.GIG,
            hours_per_week=4,
            duration_weeks=4,
            status=OpportunityStatus.OPEN,
            hiring_manager_id=portal.world.people["ben"],
            created_by="test:hr",
        )
        session.add(gig)
    await signed_in(page, portal, "ben")
    response = await page.goto(f"{portal.base_url}/openings/{gig.id}")
    assert response is not None
    assert response.status == 200
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"{POSTED}Ben's gig")
    await expect(page.locator("#no-candidates")).to_have_text(
        "Candidates who have not applied are shown to managers and HR."
    )
    await assert_accessible(page)
    await shots(page, "opening-of-a-hiring-manager-who-is-not-a-manager")


async def test_an_opening_for_a_role_takes_the_roles_skills_and_a_gig_without_hours_is_refused_beside_them(
    page: Page, portal: Portal, posted: None
) -> None:
    """Over HTTP, as the form sends it without script (a session from the browser's sign-in)."""
    world = portal.world
    await signed_in(page, portal, "hm")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    headers = {**HTML, "Origin": portal.base_url}
    async with httpx.AsyncClient(base_url=portal.base_url, headers=headers, cookies=cookies) as hm:
        gig = {"title": f"{POSTED}hourless gig", "kind": "gig", "duration_weeks": "6", "location": "Delft"}
        refused = await hm.post("/openings", data=gig)
        assert refused.status_code == 422
        assert 'id="hours_per_week-error"' in refused.text
        assert "A gig or a project needs its hours a week" in refused.text
        assert 'value="Delft"' in refused.text
        # Without script, the search comes back with the results and everything typed (nothing saved).
        searched = await hm.post("/openings", data={**gig, "q": "stat", "intent": "search"})
        assert searched.status_code == 200
        assert "Ask for Statistics" in searched.text
        assert 'value="Delft"' in searched.text
        role = {"title": f"{POSTED}analyst role", "kind": "role", "role_id": str(world.roles["Analyst"])}
        created = await hm.post("/openings", data=role)
        assert created.status_code == 303, created.text
        opening = await hm.get(created.headers["location"])
        assert "SQL, level 3 · Essential" in opening.text
        assert "Tableau, level 3 · Essential" in opening.text


async def test_the_pages_answer_scripts_as_the_api_and_take_writes_from_our_pages_only(
    page: Page, portal: Portal
) -> None:
    analyst = portal.world.analyst
    async with httpx.AsyncClient(base_url=portal.base_url) as anonymous:
        for method, path in (
            ("GET", "/openings"),
            ("POST", "/openings"),
            ("GET", "/openings/skills?q=sql"),
            ("GET", f"/openings/{analyst}"),
            ("GET", f"/openings/{analyst}/edit"),
            ("POST", f"/openings/{analyst}/edit"),
            ("POST", f"/openings/{analyst}/open"),
            ("POST", f"/openings/{analyst}/close"),
            ("POST", f"/openings/{analyst}/applications/{uuid.uuid4()}/stage"),
        ):
            response = await anonymous.request(method, path)
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
    await signed_in(page, portal, "hm")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as hm:
        # htmx's request gets the skills alone, the ticked ones kept ticked.
        sql = portal.world.skills["SQL"]
        fragment = await hm.get(
            "/openings/skills",
            params={"q": "tab", "skill_row": str(sql), "skill_id": str(sql), "level": "2", "importance": "important"},
            headers={"HX-Request": "true"},
        )
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        assert "Ask for Tableau" in fragment.text
        assert f'value="{sql}" checked' in fragment.text
        assert '<option value="2" selected>' in fragment.text
        # From another site, nothing is written: the analyst opening stays open.
        forged = await hm.post(f"/openings/{analyst}/close", headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403
        assert "Status: Open" in (await hm.get(f"/openings/{analyst}")).text


async def test_a_form_with_a_field_it_does_not_have_is_refused_and_changes_nothing(
    page: Page, portal: Portal, posted: None, database: Database
) -> None:
    """Every form is read by the one reader: a field the page's form does not send (or a single one
    sent twice) is a bad request (400), as an unknown query parameter is, and nothing is written."""
    analyst = portal.world.analyst
    title = f"{POSTED}{secrets.token_hex(3)} odd gig"
    sql = str(portal.world.skills["SQL"])
    gig = {
        "title": title,
        "kind": "gig",
        "description": "Two hours a week.",
        "hours_per_week": "2",
        "duration_weeks": "4",
        "skill_row": sql,
        "skill_id": sql,
        "level": "2",
        "importance": "important",
        "intent": "save",
    }
    await signed_in(page, portal, "hm")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as hm:
        own = {"Origin": portal.base_url}
        for form in ({**gig, "salary": "90000"}, {**gig, "title": [title, "Another title"]}):
            odd = await hm.post("/openings", data=form, headers=own)
            assert odd.status_code == 400, form
        odd = await hm.post(f"/openings/{analyst}/close", data={"reason": "filled"}, headers=own)
        assert odd.status_code == 400
        assert "Status: Open" in (await hm.get(f"/openings/{analyst}")).text
    async with database.tenant_session(portal.tenant) as session:
        made = await session.scalar(select(Opportunity).where(Opportunity.title == title))
    assert made is None
