"""The opportunity board, an opening's page and My applications, in Chromium through the company's
real OpenID provider (as tests/portal/test_browser.py): finding an opening by search and filter,
reading its skills against one's own and who will know, applying with a note by keyboard, the
application's stage, withdrawing; a refused application shown beside its field with the note kept.
Over plain HTTP with a signed-in session: an opening the person may not see, and another person's
application, are not found; a write from another site is refused.

Each test posts its own openings (unique titles), so the shared world's stay as the other tests
expect them."""

from __future__ import annotations

import secrets
import uuid

import httpx
from playwright.async_api import Page, expect
from sqlalchemy import select

from backend.auth.portal_sessions import SESSION_COOKIE
from backend.framework.models import Importance
from backend.marketplace.models import Opportunity, OpportunityKind, OpportunitySkill, OpportunityStatus
from backend.org.models import OrgUnit
from tenants.base import new_id
from tenants.sessions import Database
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}


async def post_opening(database: Database, portal: Portal, title: str) -> uuid.UUID:
    """An open gig in the Data department, managed by Hm, asking SQL 3 and Tableau 3 (Ana has SQL 4,
    Tableau 2)."""
    world = portal.world
    async with database.tenant_session(portal.tenant) as session, session.begin():
        data = await session.scalar(select(OrgUnit.id).where(OrgUnit.name == "Data"))
        opening = Opportunity(
            id=new_id(),
            title=title,
            kind=OpportunityKind.GIG,
            hours_per_week=6,
            duration_weeks=10,
            location="Rotterdam",
            org_unit_id=data,
            hiring_manager_id=world.people["hm"],
            status=OpportunityStatus.OPEN,
            created_by="test:hr",
        )
        session.add(opening)
        await session.flush()
        for label, level, importance in (("SQL", 3, Importance.ESSENTIAL), ("Tableau", 3, Importance.IMPORTANT)):
            session.add(
                OpportunitySkill(
                    opportunity_id=opening.id, skill_id=world.skills[label], level=level, importance=importance
                )
            )
        return opening.id


async def signed_in(page: Page, portal: Portal, login: str) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, login)


async def test_an_employee_finds_an_opening_applies_by_keyboard_and_withdraws(
    page: Page, portal: Portal, shots: Shots, database: Database
) -> None:
    word = f"Forecast{secrets.token_hex(3)}"
    opening_id = await post_opening(database, portal, f"{word} gig")
    await signed_in(page, portal, "ana")

    await page.get_by_role("link", name="Opportunity board").click()
    await page.wait_for_url(f"{portal.base_url}/board")
    await page.get_by_label("Search titles").fill(word.lower())
    await page.get_by_label("Kind").select_option(label="Gig")
    await page.get_by_label("Department").select_option(label="Data")
    await page.get_by_label("Location").fill("rotter")
    await page.get_by_role("button", name="Search", exact=True).click()
    await page.wait_for_url(f"{portal.base_url}/board?**")
    found = page.locator("#openings > li")
    await expect(found).to_have_count(1)
    await expect(found).to_contain_text(f"{word} gig")
    await expect(found).to_contain_text("Data · Rotterdam")
    await expect(found).to_contain_text("6 hours a week")
    await expect(page.get_by_label("Search titles")).to_have_value(word.lower())
    await assert_accessible(page)
    await shots(page, "board")
    # Another kind, or remote work only (it is not), finds nothing.
    await page.get_by_label("Kind").select_option(label="Project")
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(page.locator("#no-openings")).to_be_visible()
    await page.get_by_label("Kind").select_option(label="Gig")
    await page.get_by_label("Remote possible").check()
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(page.locator("#no-openings")).to_be_visible()
    await page.get_by_label("Remote possible").uncheck()
    await page.get_by_role("button", name="Search", exact=True).click()

    await page.get_by_role("link", name=f"{word} gig").click()
    await page.wait_for_url(f"{portal.base_url}/board/{opening_id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"{word} gig")
    await expect(page.locator("#skills-had")).to_contain_text("SQL (level 4, asked 3)")
    await expect(page.locator("#skills-missing")).to_contain_text("Tableau, level 2 of 3")
    who = page.locator("#who-will-know")
    await expect(who).to_contain_text("Your manager, and those above them, are told only if you reach the offer stage.")
    await expect(who).to_contain_text("has 14 days to answer")
    await assert_accessible(page)
    await shots(page, "opening")

    # By keyboard only: Tab to the note, type it, Tab to Send, Enter.
    note = page.get_by_label("A note to the hiring manager (optional)")
    for _ in range(40):
        if await note.evaluate("element => element === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(note).to_be_focused()
    await page.keyboard.type("I have run our weekly forecasts for a year.")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Send")).to_be_focused()
    await page.keyboard.press("Enter")

    await page.wait_for_url(f"{portal.base_url}/applications")
    mine = page.locator("#applications > li").filter(has_text=f"{word} gig")
    await expect(mine).to_have_count(1)
    await expect(mine.locator(".application-stage")).to_have_text("Stage: Applied")
    await expect(mine).to_contain_text("I have run our weekly forecasts for a year.")
    await expect(mine.locator(".manager-status")).to_contain_text(
        "Your manager has not been told: they are told if you reach the offer stage."
    )
    await mine.locator("summary").click()
    await expect(mine.locator("details ol")).to_contain_text("Applied")
    await assert_accessible(page)
    await shots(page, "applications")

    await mine.get_by_role("button", name="Withdraw").click()
    await page.wait_for_url(f"{portal.base_url}/applications")
    await expect(mine.locator(".application-stage")).to_have_text("Stage: Withdrawn")
    await expect(mine.get_by_role("button", name="Withdraw")).to_have_count(0)


async def test_a_refused_application_is_shown_beside_its_field_keeping_the_note(
    page: Page, portal: Portal, shots: Shots, database: Database
) -> None:
    title = f"Twice{secrets.token_hex(3)} gig"
    opening_id = await post_opening(database, portal, title)
    await signed_in(page, portal, "ana")
    await page.goto(f"{portal.base_url}/board/{opening_id}")
    # Meanwhile, in another tab, Ana applies.
    other = await page.context.new_page()
    await other.goto(f"{portal.base_url}/board/{opening_id}")
    await other.get_by_role("button", name="Send").click()
    await other.wait_for_url(f"{portal.base_url}/applications")
    await other.close()

    await page.get_by_label("A note to the hiring manager (optional)").fill("Second thoughts.")
    async with page.expect_response(f"{portal.base_url}/board/{opening_id}/apply") as answered:
        await page.get_by_role("button", name="Send").click()
    assert (await answered.value).status == 409
    await expect(page.locator("#kind-error")).to_have_text(
        "You have already responded to this opening. See My applications."
    )
    await expect(page.get_by_label("A note to the hiring manager (optional)")).to_have_value("Second thoughts.")
    await assert_accessible(page)
    await shots(page, "opening-refused")


async def _session_of(page: Page, portal: Portal, login: str) -> httpx.AsyncClient:
    """An HTTP client carrying `login`'s portal session (signed in through the provider in the browser)."""
    await signed_in(page, portal, login)
    cookie = next(c for c in await page.context.cookies(portal.base_url) if c["name"] == SESSION_COOKIE)
    http = httpx.AsyncClient(base_url=portal.base_url, headers={**HTML, "Origin": portal.base_url})
    http.cookies.set(SESSION_COOKIE, cookie["value"])
    return http


async def test_what_a_person_may_not_see_is_not_found(page: Page, portal: Portal, database: Database) -> None:
    world = portal.world
    async with await _session_of(page, portal, "ben") as ben:
        # Ben (Sales) sees the Sales project and applies to it.
        board = await ben.get("/board", params={"q": "Sales dashboard"})
        assert "Sales dashboard project" in board.text
        applied = await ben.post(f"/board/{world.sales_project}/apply", data={"kind": "application", "note": "Mine."})
        assert applied.status_code == 303, applied.text
        bens = await ben.get("/applications", headers={"Accept-Language": "en"})
        assert "Sales dashboard project" in bens.text
        # Ben's provider says he reads Dutch: his page says where it stands in Dutch.
        assert "Fase: Gesolliciteerd" in bens.text
        assert "Uw manager" in bens.text or "geen manager" in bens.text
        ben_application = bens.text.split('action="/applications/')[1].split("/withdraw")[0]
        # From another site, nothing is written.
        forged = await ben.post(f"/applications/{ben_application}/withdraw", headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403

    await page.context.clear_cookies()
    async with await _session_of(page, portal, "ana") as ana:
        # The Sales project is visible to Sales only; the draft to its hiring manager.
        for hidden in (world.sales_project, world.draft):
            missing = await ana.get(f"/board/{hidden}")
            assert missing.status_code == 404
            assert missing.headers["content-type"].startswith("text/html")
            assert "Not found" in missing.text
            refused = await ana.post(f"/board/{hidden}/apply", data={"kind": "application"})
            assert refused.status_code == 404
        board = await ana.get("/board", params={"q": "Sales dashboard"})
        assert board.status_code == 200
        assert "Sales dashboard project" not in board.text
        # Ben's application is nobody else's to see or withdraw.
        anas = await ana.get("/applications")
        assert ben_application not in anas.text
        assert "Mine." not in anas.text
        withdrawn = await ana.post(f"/applications/{ben_application}/withdraw")
        assert withdrawn.status_code == 404
        assert "Not found" in withdrawn.text


async def test_a_note_the_api_refuses_is_shown_beside_the_note_as_typed(
    page: Page, portal: Portal, database: Database
) -> None:
    opening_id = await post_opening(database, portal, f"Long{secrets.token_hex(3)} gig")
    too_long = "x" * 5001
    async with await _session_of(page, portal, "ana") as ana:
        refused = await ana.post(f"/board/{opening_id}/apply", data={"kind": "application", "note": too_long})
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("text/html")
        assert 'id="note-error"' in refused.text
        assert "Your note is too long" in refused.text
        assert f">{too_long}</textarea>" in refused.text
        # Nothing was sent.
        assert f"/board/{opening_id}" not in (await ana.get("/applications")).text


async def test_a_script_without_credentials_gets_the_apis_401(portal: Portal) -> None:
    async with httpx.AsyncClient(base_url=portal.base_url) as http:
        for method, path in (
            ("GET", "/board"),
            ("GET", f"/board/{portal.world.analyst}"),
            ("POST", f"/board/{portal.world.analyst}/apply"),
            ("GET", "/applications"),
        ):
            response = await http.request(method, path)
            assert response.status_code == 401, (method, path, response.text)


async def test_the_board_filters_by_hours_a_week_and_refuses_bad_hours_beside_their_field(
    page: Page, portal: Portal, shots: Shots, database: Database
) -> None:
    word = f"Hours{secrets.token_hex(3)}"
    await post_opening(database, portal, f"{word} gig")  # 6 hours a week
    await signed_in(page, portal, "ana")
    await page.goto(f"{portal.base_url}/board")

    async def search(at_least: str, at_most: str) -> None:
        await page.get_by_label("Search titles").fill(word)
        await page.get_by_label("Hours a week, at least").fill(at_least)
        await page.get_by_label("Hours a week, at most").fill(at_most)
        await page.get_by_role("button", name="Search", exact=True).click()
        await page.wait_for_url(f"{portal.base_url}/board?**")

    await search("4", "6")
    found = page.locator("#openings > li")
    await expect(found).to_have_count(1)
    await expect(found).to_contain_text("6 hours a week")
    assert "hours_min=4" in page.url
    assert "hours_max=6" in page.url
    await expect(page.get_by_label("Hours a week, at least")).to_have_value("4")
    await assert_accessible(page)
    await shots(page, "board-hours")
    # More hours than it asks, or fewer: not found.
    await search("7", "")
    await expect(page.locator("#no-openings")).to_be_visible()
    await search("", "5")
    await expect(page.locator("#no-openings")).to_be_visible()

    # Out of the API's range: refused beside the field, with what was typed kept.
    await search("0", "6")
    at_least = page.get_by_label("Hours a week, at least")
    await expect(at_least).to_have_attribute("aria-invalid", "true")
    await expect(at_least).to_have_attribute("aria-describedby", "hours_min-error")
    await expect(page.locator("#hours_min-error")).to_have_text("Enter a whole number of hours from 1 to 80.")
    await expect(at_least).to_have_value("0")
    await expect(page.get_by_label("Hours a week, at most")).to_have_value("6")
    await expect(page.locator("#openings")).to_have_count(0)
    # At most below at least: the service's refusal, beside the second field.
    await search("10", "5")
    await expect(page.get_by_label("Hours a week, at most")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#hours_max-error")).to_have_text("Enter no fewer hours than in the at-least field.")
    await assert_accessible(page)
    response = await page.request.get(f"{portal.base_url}/board?hours_min=81", headers=HTML)
    assert response.status == 422
