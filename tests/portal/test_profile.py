"""My profile and my aspirations in the portal: in Chromium through the company's real OpenID provider,
an employee searches the skill library as they type, adds a skill at a level by keyboard alone,
confirms a stale rating in one click, reads the history, is shown a refusal beside its field with what
they typed kept, and sets their aspirations, reading who sees them at the level chosen (axe-core on each
page, screenshots at 390 and 1440 px). Over HTTP: that explanation's promise holds through the API."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import Page, expect
from sqlalchemy import delete, select, update

from backend.aspirations.models import Aspiration, AspirationRole, AspirationSkill, OpenToMove
from backend.auth.principal import UserRole
from backend.portal.i18n import LANGUAGE_COOKIE, Languages
from backend.portal.site import template_config
from backend.skills.models import EmployeeSkill
from tenants.sessions import Database
from tests.conftest import TenantFactory, TokenFactory
from tests.matching.world import build_world
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
# Ben: in Sales, no manager, his provider's locale Dutch (the tests read English: the switch's cookie).
PERSON = "ben"


@pytest.fixture
async def bens_page(page: Page, portal: Portal, database: Database) -> AsyncIterator[Page]:
    """Ben signed in, in English, his Negotiation rating last confirmed two years ago (stale); his
    skills and aspirations are put back as the world had them afterwards (other tests read the same
    company): the Python he adds is taken off again."""
    ben = portal.world.people[PERSON]
    async with database.tenant_session(portal.tenant) as session, session.begin():
        await session.execute(
            update(EmployeeSkill)
            .where(EmployeeSkill.employee_id == ben, EmployeeSkill.skill_id == portal.world.skills["Negotiation"])
            .values(last_confirmed=dt.date.today() - dt.timedelta(days=730))
        )
    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "en", "url": portal.base_url}])
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, PERSON)
    yield page
    async with database.tenant_session(portal.tenant) as session, session.begin():
        await session.execute(
            delete(EmployeeSkill).where(
                EmployeeSkill.employee_id == ben, EmployeeSkill.skill_id == portal.world.skills["Python"]
            )
        )
        await session.execute(delete(AspirationRole).where(AspirationRole.employee_id == ben))
        await session.execute(delete(AspirationSkill).where(AspirationSkill.employee_id == ben))
        await session.execute(
            update(Aspiration).where(Aspiration.employee_id == ben).values(open_to_move=OpenToMove.HR_ONLY)
        )


async def test_an_employee_adds_a_skill_as_they_type_confirms_a_stale_one_and_reads_the_history(
    bens_page: Page, portal: Portal, shots: Shots
) -> None:
    page = bens_page
    await page.get_by_role("link", name="My profile").click()
    await page.wait_for_url(f"{portal.base_url}/profile")
    await expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    negotiation = page.locator(f"#skill-{portal.world.skills['Negotiation']}")
    await expect(negotiation).to_contain_text("4 ·")
    await expect(negotiation).to_contain_text("You")
    await expect(negotiation).to_contain_text("Due for confirmation")
    await expect(page.locator(f"#skill-{portal.world.skills['SQL']}")).not_to_contain_text("Due for confirmation")
    await assert_accessible(page)
    await shots(page, "profile")

    # Keyboard only: past the header by the skip link, on to the search, typing, the level, Add.
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    search = page.get_by_label("Search your company's skill library")
    for _ in range(40):
        if await search.evaluate("element => element === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(search).to_be_focused()
    await page.keyboard.type("pyth")
    # htmx asked for the results as the person typed: no page load.
    results = page.locator("#skill-results")
    await expect(results.locator(".portal-skill-result")).to_have_count(1)
    await expect(results).to_contain_text("Python")
    assert page.url.startswith(f"{portal.base_url}/profile")
    assert "q=" not in page.url
    await assert_accessible(page)
    await shots(page, "profile-search")
    await page.keyboard.press("Tab")  # the search's own button
    await page.keyboard.press("Tab")  # Python's level
    level = page.get_by_label("Your level of Python")
    await expect(level).to_be_focused()
    await page.keyboard.type("3")
    await expect(level).to_have_value("3")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Add")).to_be_focused()
    await page.keyboard.press("Enter")
    python = page.locator(f"#skill-{portal.world.skills['Python']}")
    await expect(python).to_contain_text("3 ·")
    await expect(python).to_contain_text("You")

    # Confirming the stale rating is one click: its date moves to today, its level stays.
    await negotiation.get_by_role("button", name="Confirm").click()
    await expect(negotiation).not_to_contain_text("Due for confirmation")
    await expect(negotiation).to_contain_text("4 ·")
    await expect(negotiation).to_contain_text(dt.date.today().strftime("%B"))
    await shots(page, "profile-confirmed")

    await page.get_by_role("link", name="See the history of your skills").click()
    await page.wait_for_url(f"{portal.base_url}/profile/history")
    history = page.locator("#skill-history")
    await expect(history).to_contain_text("Python")
    await expect(history).to_contain_text("Negotiation")
    await expect(history.locator("tbody tr")).to_have_count(3)
    await assert_accessible(page)
    await shots(page, "profile-history")


async def test_a_refused_skill_is_shown_beside_its_field_with_what_was_typed(
    bens_page: Page, portal: Portal, shots: Shots
) -> None:
    page = bens_page
    await page.goto(f"{portal.base_url}/profile")
    search = page.get_by_label("Search your company's skill library")
    await search.fill("statis")
    # Without waiting for script: the search's own form (a GET) finds the same skills.
    await page.get_by_role("button", name="Search", exact=True).click()
    await page.wait_for_url(f"{portal.base_url}/profile?q=statis")
    # No level chosen: the schema's refusal (the API's 400/422 problem names `level`), beside it.
    response_status: list[int] = []
    page.on("response", lambda r: response_status.append(r.status) if r.url.endswith("/profile/skills") else None)
    await page.get_by_role("button", name="Add").click()
    error = page.locator(f"#level-error-{portal.world.skills['Statistics']}")
    await expect(error).to_contain_text("Choose your level, from 1 to 5.")
    assert response_status == [422]
    await expect(page.get_by_label("Your level of Statistics")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Search your company's skill library")).to_have_value("statis")
    await assert_accessible(page)
    await shots(page, "profile-refused")


async def test_an_employee_sets_aspirations_and_reads_who_sees_them(
    bens_page: Page, portal: Portal, shots: Shots
) -> None:
    page = bens_page
    await page.get_by_role("link", name="My aspirations").click()
    await page.wait_for_url(f"{portal.base_url}/aspirations")
    who = page.locator("#who-sees")
    await expect(who).to_contain_text("HR only")
    await expect(who).to_contain_text("No manager sees them")
    await expect(page.locator("#aspirations-saved")).to_have_count(0)
    await assert_accessible(page)
    await shots(page, "aspirations")

    await page.get_by_label("Open to hiring managers").check()
    await expect(page.locator("#open-hiring_managers-who")).to_contain_text(
        "Your own manager and everyone above them never see them."
    )
    await page.get_by_label("Roles I aim at").select_option(label="Analyst (level 4)")
    await page.get_by_label("Skills I want to grow").select_option(label="Tableau")
    await page.get_by_role("button", name="Save my aspirations").click()
    await page.wait_for_url(f"{portal.base_url}/aspirations?saved=true")
    await expect(page.locator("#aspirations-saved")).to_have_text("Your aspirations are saved.")
    await expect(who).to_contain_text("Open to hiring managers")
    await expect(who).to_contain_text("managers outside your own management chain")
    await expect(page.get_by_label("Open to hiring managers")).to_be_checked()
    chosen = page.get_by_label("Roles I aim at").locator("option:checked")
    await expect(chosen).to_have_text(re.compile(r"^Analyst"))
    await expect(page.get_by_label("Skills I want to grow").locator("option:checked")).to_have_text("Tableau")
    await assert_accessible(page)
    await shots(page, "aspirations-saved")


async def test_the_pages_speak_dutch(bens_page: Page, portal: Portal) -> None:
    page = bens_page
    await page.get_by_role("button", name="Nederlands").click()
    await page.goto(f"{portal.base_url}/aspirations")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mijn ambities")
    await expect(page.locator("#who-sees")).to_contain_text("Alleen HR")
    await page.goto(f"{portal.base_url}/profile")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mijn profiel")
    await expect(page.locator(f"#skill-{portal.world.skills['SQL']}")).to_contain_text("Bevestigen")


def explanation(level: OpenToMove) -> str:
    """What the aspirations page says of who sees them at `level` (in English)."""
    environment = template_config().engine_instance.engine
    macros = environment.get_template("aspirations_macros.html").make_module({"i18n": Languages().get("en")})
    return str(macros.who_sees(level.value))


async def test_who_sees_the_aspirations_through_the_api_is_what_the_page_says(
    client: AsyncTestClient[Litestar], auth: TokenFactory, make_tenant: TenantFactory, database: Database
) -> None:
    tenant = make_tenant(f"asp_{secrets.token_hex(3)}")
    world = await build_world(database, tenant)
    people = world.people
    # Ana's manager is Hm: a manager in her chain. To Ben (in Sales) Hm is a manager outside it.
    hr = auth(tenant, UserRole.HR_ADMIN)
    hm = auth(tenant, UserRole.MANAGER, employee_id=people["hm"])
    colleague = auth(tenant, UserRole.EMPLOYEE, employee_id=people["dan"])

    async def sees(headers: dict[str, str], person: str) -> bool:
        response = await client.get(f"/api/v1/employees/{people[person]}/aspirations", headers=headers)
        assert response.status_code in (200, 404), response.text
        return response.status_code == 200

    for level in OpenToMove:
        for person in ("ben", "ana"):
            own = auth(tenant, UserRole.EMPLOYEE, employee_id=people[person])
            body = {"open_to_move": level.value, "target_role_ids": [str(world.roles["Analyst"])]}
            saved = await client.put(f"/api/v1/employees/{people[person]}/aspirations", json=body, headers=own)
            assert saved.status_code == 200, saved.text
            assert await sees(own, person)
            assert not await sees(colleague, person)
        said = explanation(level)
        hr_sees = level != OpenToMove.HIDDEN
        assert await sees(hr, "ben") is hr_sees
        assert ("HR does not see them" in said) is not hr_sees
        assert ("You and HR" in said or "You, HR" in said) is hr_sees
        # A manager outside the chain sees them only when the level admits managers...
        outside_sees = level == OpenToMove.HIRING_MANAGERS
        assert await sees(hm, "ben") is outside_sees
        assert ("managers outside your own management chain" in said) is outside_sees
        # ...and one in the chain (her own manager) never does, at any level.
        assert not await sees(hm, "ana")


async def test_the_pages_answer_scripts_as_the_api_and_take_writes_from_our_pages_only(
    bens_page: Page, portal: Portal
) -> None:
    async with httpx.AsyncClient(base_url=portal.base_url) as anonymous:
        for method, path in (
            ("GET", "/profile"),
            ("GET", "/profile/search?q=sql"),
            ("GET", "/profile/history"),
            ("POST", "/profile/skills"),
            ("GET", "/aspirations"),
            ("POST", "/aspirations"),
        ):
            response = await anonymous.request(method, path)
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
    cookies = {c["name"]: c["value"] for c in await bens_page.context.cookies(portal.base_url)}
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as signed_in:
        # htmx's request gets the results alone, not a page.
        fragment = await signed_in.get("/profile/search", params={"q": "sql"}, headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        assert "SQL" in fragment.text
        # Another site's page cannot write through the person's cookie.
        form = {"open_to_move": "hidden"}
        refused = await signed_in.post("/aspirations", data=form, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403
        skill = {"skill_id": str(portal.world.skills["Statistics"]), "level": "2"}
        refused = await signed_in.post("/profile/skills", data=skill, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403
        page = await signed_in.get("/aspirations")
        # Nothing was saved: Ben is still open to HR only.
        assert re.search(r'value="hr_only"[^>]*checked', page.text)


async def test_a_refused_aspiration_is_shown_beside_its_field_with_what_was_chosen(
    bens_page: Page, portal: Portal
) -> None:
    cookies = {c["name"]: c["value"] for c in await bens_page.context.cookies(portal.base_url)}
    headers = {**HTML, "Origin": portal.base_url}
    async with httpx.AsyncClient(base_url=portal.base_url, headers=headers, cookies=cookies) as signed_in:
        unknown = str(uuid.uuid4())
        form = {"open_to_move": "hidden", "target_role_ids": [unknown], "skill_ids": [str(portal.world.skills["SQL"])]}
        refused = await signed_in.post("/aspirations", data=form)
        # The service's refusal (the API's 422 naming `target_role_ids`), beside that field.
        assert refused.status_code == 422
        assert 'id="target_role_ids-error"' in refused.text
        assert "Choose up to 20 roles of your company" in refused.text
        # The API's English words for a program are not the person's.
        assert "unknown ids" not in refused.text
        assert re.search(r'id="target_role_ids"[^>]*aria-invalid="true"', refused.text)
        # What was chosen is kept, and nothing was saved.
        assert re.search(r'value="hidden"[^>]*checked', refused.text)
        assert re.search(rf'value="{portal.world.skills["SQL"]}" selected', refused.text)
        assert re.search(r"Who sees them now</h2>\s*<p[^>]*><span[^>]*>HR only", refused.text)


async def test_a_refused_confirmation_is_shown_on_its_row(bens_page: Page, portal: Portal) -> None:
    cookies = {c["name"]: c["value"] for c in await bens_page.context.cookies(portal.base_url)}
    headers = {**HTML, "Origin": portal.base_url}
    sql = portal.world.skills["SQL"]
    async with httpx.AsyncClient(base_url=portal.base_url, headers=headers, cookies=cookies) as signed_in:
        # A source Ben may not write on his own profile: the service's refusal names `source`.
        refused = await signed_in.post(f"/profile/skills/{sql}/confirm", data={"level": "3", "source": "manager"})
        assert refused.status_code == 422
        row = refused.text.split(f'id="skill-{sql}"')[1].split("</tr>")[0]
        assert "This rating was not changed." in row
        assert "You may not give this source on your own profile: choose another one." in row
        assert "source must be one of" not in row
        assert 'aria-invalid="true"' in row
        # Nothing changed: SQL is still at level 2.
        assert re.search(r"2 · ", row)


async def test_a_dutch_refusal_is_dutch_with_no_english_words_of_the_api(
    bens_page: Page, portal: Portal, shots: Shots
) -> None:
    page = bens_page
    await page.get_by_role("button", name="Nederlands").click()
    await page.goto(f"{portal.base_url}/profile?q=statis")
    await page.get_by_role("button", name="Toevoegen").click()
    error = page.locator(f"#level-error-{portal.world.skills['Statistics']}")
    await expect(error).to_have_text("Kies uw niveau, van 1 tot 5.")
    await expect(page.get_by_label("Uw niveau van Statistics")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)
    await shots(page, "profile-refused-dutch")

    # A refused confirmation (a source Ben may not give) and a refused aspiration, in Dutch: only Dutch.
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    headers = {**HTML, "Origin": portal.base_url}
    sql = portal.world.skills["SQL"]
    async with httpx.AsyncClient(base_url=portal.base_url, headers=headers, cookies=cookies) as signed_in:
        refused = await signed_in.post(f"/profile/skills/{sql}/confirm", data={"level": "3", "source": "manager"})
        assert refused.status_code == 422
        row = refused.text.split(f'id="skill-{sql}"')[1].split("</tr>")[0]
        error_text = row.split('role="alert">')[1].split("</div>")[0]
        assert error_text == (
            "Deze beoordeling is niet gewijzigd. Deze bron mag u niet opgeven op uw eigen profiel: kies een andere."
        )
        form = {"open_to_move": "hidden", "target_role_ids": [str(uuid.uuid4())]}
        refused = await signed_in.post("/aspirations", data=form)
        assert refused.status_code == 422
        error_text = refused.text.split('id="target_role_ids-error" role="alert">')[1].split("</div>")[0]
        assert error_text == "Kies maximaal 20 functies uit het functiehuis van uw bedrijf."
        assert "unknown ids" not in refused.text


async def test_a_form_with_a_field_it_does_not_have_is_refused_and_changes_nothing(
    bens_page: Page, portal: Portal, database: Database
) -> None:
    """Every form is read by the one reader: a field the page's form does not send, or a single-valued
    one sent twice, is a bad request (400), as an unknown query parameter is; nothing is written."""
    own = {**HTML, "Origin": portal.base_url}
    python = str(portal.world.skills["Python"])
    for path, form in (
        ("/profile/skills", {"skill_id": python, "level": "2", "q": "", "weight": "9"}),
        ("/aspirations", {"open_to_move": "everyone", "theme": "dark"}),
        ("/aspirations", [("open_to_move", "everyone"), ("open_to_move", "hidden")]),
    ):
        sent = urlencode(form)
        answer = await bens_page.request.post(
            portal.base_url + path,
            data=sent,
            headers={**own, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status == 400, (path, form)
    async with database.tenant_session(portal.tenant) as session:
        added = await session.scalar(
            select(EmployeeSkill).where(
                EmployeeSkill.employee_id == portal.world.people[PERSON],
                EmployeeSkill.skill_id == portal.world.skills["Python"],
            )
        )
    assert added is None
    page = await bens_page.request.get(f"{portal.base_url}/aspirations", headers=HTML)
    # Nothing was saved: Ben is still open to HR only.
    assert re.search(r'value="hr_only"[^>]*checked', await page.text())
    # The same form without the odd field is taken.
    added_answer = await bens_page.request.post(
        f"{portal.base_url}/profile/skills",
        form={"skill_id": python, "level": "2", "q": ""},
        headers=own,
        max_redirects=0,
    )
    assert added_answer.status == 303
