"""What the portal translates beyond its own words, in Chromium through the company's real OpenID
provider: the names of the product's default proficiency levels (a name the company chose is shown as
written), and a suspended company, whose signed-in people get a page saying so in their language
rather than the API's JSON 403 (a program still gets the 403).

The fixtures change the shared company (a level's name, its status) and put it back afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import Engine, select, update

from backend.auth.portal_sessions import SESSION_COOKIE
from backend.portal.i18n import DEFAULT_LEVEL_NAMES
from backend.skills.models import ProficiencyLevel
from tenants.models import TenantStatus
from tenants.provisioning import RoleNames, set_status
from tenants.sessions import Database
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
# How long the served app's tenant registry may keep a status it read (TenantRegistry's TTL, 5 s).
REGISTRY_TTL = 6.0


async def signed_in(page: Page, portal: Portal, login: str) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, login)


@pytest.fixture
async def renamed_level(portal: Portal, database: Database) -> AsyncIterator[str]:
    """Level 4 of the company's scale renamed by the company; its default name back afterwards."""
    async with database.tenant_session(portal.tenant) as session, session.begin():
        default = await session.scalar(select(ProficiencyLevel.name).where(ProficiencyLevel.level == 4))
        await session.execute(update(ProficiencyLevel).where(ProficiencyLevel.level == 4).values(name="Vakkundig Plus"))
    try:
        yield "Vakkundig Plus"
    finally:
        async with database.tenant_session(portal.tenant) as session, session.begin():
            await session.execute(update(ProficiencyLevel).where(ProficiencyLevel.level == 4).values(name=default))


async def test_the_default_scales_names_are_translated_and_a_companys_own_are_kept(
    page: Page, portal: Portal, shots: Shots, database: Database, renamed_level: str
) -> None:
    async with database.tenant_session(portal.tenant) as session:
        rows = await session.execute(select(ProficiencyLevel.level, ProficiencyLevel.name))
        seeded = {level: name for level, name in rows}
    # The company starts with the product's scale (the migration's), which the portal knows by name;
    # only level 4 is the company's own now.
    assert {level: name for level, name in seeded.items() if level != 4} == {
        level: name for level, name in DEFAULT_LEVEL_NAMES.items() if level != 4
    }
    assert seeded[4] == renamed_level

    # Ben's provider says he reads Dutch: SQL at 2 is the default scale's, in Dutch; Negotiation at 4
    # is named as his company named it.
    await signed_in(page, portal, "ben")
    await page.goto(f"{portal.base_url}/profile")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mijn profiel")
    rows = page.locator("#my-skills tbody tr")
    await expect(rows.filter(has_text="SQL")).to_contain_text("2 · Gevorderde beginner")
    await expect(rows.filter(has_text="Negotiation")).to_contain_text(f"4 · {renamed_level}")
    await expect(page.locator("main")).not_to_contain_text("Advanced beginner")
    # The levels to choose from, as well.
    options = page.locator("select[name=level]").first.locator("option")
    await expect(options).to_contain_text(
        ["1 · Beginner", "2 · Gevorderde beginner", "3 · Competent", f"4 · {renamed_level}", "5 · Expert"]
    )
    await assert_accessible(page)
    await shots(page, "profile-levels-dutch")

    # In English, the product's own words.
    await page.get_by_role("button", name="English").click()
    await expect(rows.filter(has_text="SQL")).to_contain_text("2 · Advanced beginner")
    await expect(rows.filter(has_text="Negotiation")).to_contain_text(f"4 · {renamed_level}")


@pytest.fixture
def suspend(portal: Portal, owner_engine: Engine, roles: RoleNames) -> Iterator[None]:
    """The company suspended for the test; active again afterwards, and seen so by the served app."""
    try:
        yield
    finally:
        set_status(owner_engine, roles, portal.tenant.slug, TenantStatus.ACTIVE)


async def _until(condition: object, *, seconds: float = REGISTRY_TTL * 2) -> None:
    """Waits (the served app reads a tenant's status again within its registry's TTL)."""
    assert callable(condition)
    for _ in range(int(seconds * 4)):
        if await condition():
            return
        await asyncio.sleep(0.25)
    raise AssertionError("the served app did not see the change in time")


async def test_a_signed_in_person_of_a_suspended_company_gets_a_page_in_their_language(
    page: Page, portal: Portal, shots: Shots, owner_engine: Engine, roles: RoleNames, suspend: None
) -> None:
    await signed_in(page, portal, "ben")
    cookie = next(c for c in await page.context.cookies(portal.base_url) if c["name"] == SESSION_COOKIE)
    http = httpx.AsyncClient(base_url=portal.base_url)
    http.cookies.set(SESSION_COOKIE, cookie["value"])
    async with http:
        assert (await http.get("/board", headers=HTML)).status_code == 200
        set_status(owner_engine, roles, portal.tenant.slug, TenantStatus.SUSPENDED)

        async def refused() -> bool:
            return (await http.get("/board", headers=HTML)).status_code == 403

        await _until(refused)
        # A browser: an HTML page in the person's language (Ben's provider says Dutch), with the status.
        answer = await http.get("/board", headers=HTML)
        assert answer.headers["content-type"].startswith("text/html")
        assert 'lang="nl"' in answer.text
        # A program with the same cookie: the API's problem, as before.
        script = await http.get("/board", headers={"Accept": "application/json"})
        assert script.status_code == 403
        assert script.headers["content-type"].startswith("application/problem+json")
        assert "suspended" in script.json()["detail"]

        await page.goto(f"{portal.base_url}/profile")
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Het portaal van uw bedrijf is niet beschikbaar"
        )
        await expect(page.locator("#company-unavailable")).to_contain_text("voorlopig opgeschort")
        await expect(page.locator("#company-unavailable")).to_contain_text("Uw HR-afdeling")
        # Nothing of the company is shown: no pages to go to, no count.
        await expect(page.get_by_role("navigation", name="Uw pagina\u2019s")).to_have_count(0)
        await expect(page.locator("#unread-notifications")).to_have_count(0)
        await assert_accessible(page)
        await shots(page, "company-suspended")
        # The language switch still works, and the page says it in English.
        await page.get_by_role("button", name="English").click()
        await page.wait_for_url(f"{portal.base_url}/profile")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Your company's portal is not available")
        await expect(page.locator("#company-unavailable")).to_contain_text("suspended for now")

        set_status(owner_engine, roles, portal.tenant.slug, TenantStatus.ACTIVE)

        async def served() -> bool:
            return (await http.get("/board", headers=HTML)).status_code == 200

        await _until(served)
