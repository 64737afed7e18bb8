"""The portal in a real browser (Chromium, Playwright) against the served app, people signing in
through their company's real OpenID provider: the company form, signing in at /auth/{company}/login,
the home page with the person's recommendations and their reasons, the empty state, the language
switch and the provider's `locale` claim, an ended session sent back through SSO to its page, and
signing out. axe-core checks every page; screenshots at 390 and 1440 px go to the test's tmp dir."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from backend.auth.portal_sessions import SESSION_COOKIE
from backend.notifications.service import NotificationService
from tenants.sessions import Database
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in


async def test_a_visitor_names_their_company_and_lands_on_home_with_their_recommendations(
    page: Page, portal: Portal, shots: Shots, database: Database
) -> None:
    async with database.tenant_session(portal.tenant) as session, session.begin():
        await NotificationService(session).send(
            portal.world.people["ana"], kind="test.hello", title="Hello", body="A notification.", data={}
        )
    await page.goto(f"{portal.base_url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to your company's portal")
    # By keyboard: the first Tab shows the skip link, which takes focus past the header.
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_in_viewport()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await assert_accessible(page)
    await shots(page, "company-form")

    await page.get_by_label("Company").fill("no_such_company")
    await page.get_by_role("button", name="Continue to sign in").click()
    await expect(page.locator("#company-error")).to_contain_text("No company signs in here under that name")
    await expect(page.get_by_label("Company")).to_have_value("no_such_company")
    await assert_accessible(page)
    await shots(page, "company-unknown")

    await page.get_by_label("Company").fill(portal.tenant.slug)
    await page.get_by_role("button", name="Continue to sign in").click()
    await page.wait_for_url(f"{portal.issuer}/**")
    landed = await sign_in(page, portal, "ana")
    assert landed == f"{portal.base_url}/home"
    assert (await page.evaluate("document.contentType")) == "text/html"

    await expect(page.locator("#signed-in-as")).to_contain_text("Ana")
    await expect(page.locator("#signed-in-as")).to_contain_text("Portal Haven")
    await expect(page.locator("#unread-notifications")).to_have_text(re.compile(r"^\s*1\s+unread notification\s*$"))
    item = page.locator("#recommendations > li")
    await expect(item).to_have_count(1)
    await expect(item).to_contain_text("Data analysis gig")
    await expect(item).to_contain_text("You have 1 of 2 required skills.")
    await expect(item).to_contain_text("Missing: Tableau, level 2 of 3.")
    await expect(item).to_contain_text("SQL (level 4)")
    await expect(page.locator("#computed-at")).to_contain_text("Computed")
    await item.locator("summary").click()
    await expect(item.locator("table")).to_contain_text("Required skills")
    await expect(item.locator("table")).to_contain_text("Location fit")
    await assert_accessible(page)
    await shots(page, "home")


async def test_signing_in_at_the_login_address_ends_on_the_home_page(page: Page, portal: Portal) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    assert await sign_in(page, portal, "ana") == f"{portal.base_url}/home"
    await expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ana")
    # Signed in, `/` is the home page.
    await page.goto(f"{portal.base_url}/")
    assert page.url == f"{portal.base_url}/home"


async def test_nothing_to_recommend_says_so(page: Page, portal: Portal, shots: Shots) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, "hm")
    await expect(page.locator("#no-recommendations")).to_contain_text("No recommendations yet")
    await assert_accessible(page)
    await shots(page, "home-empty")


async def test_the_language_switch_and_the_providers_locale_show_dutch(
    page: Page, portal: Portal, shots: Shots
) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, "ana")
    await page.get_by_role("button", name="Nederlands").click()
    await page.wait_for_url(f"{portal.base_url}/home")
    await expect(page.locator("html")).to_have_attribute("lang", "nl")
    await expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    await expect(page.locator("#unread-notifications")).to_contain_text("ongelezen melding")
    item = page.locator("#recommendations > li")
    await expect(item).to_contain_text("U hebt 1 van 2 vereiste vaardigheden.")
    await expect(item).to_contain_text("Ontbreekt: Tableau, niveau 2 van 3.")
    dutch_moment = re.compile(r"Berekend op \d{1,2} [a-z]+ \d{4}, \d{2}:\d{2}:\d{2} UTC")
    await expect(page.locator("#computed-at")).to_contain_text(dutch_moment)
    await assert_accessible(page)
    await shots(page, "home-dutch")
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # Ben's provider sends `locale: nl-NL`: his portal is Dutch without choosing.
    other = await page.context.browser.new_context(locale="en-GB")  # type: ignore[union-attr]
    try:
        bens = await other.new_page()
        await bens.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
        await sign_in(bens, portal, "ben")
        await expect(bens.locator("html")).to_have_attribute("lang", "nl")
        await expect(bens.get_by_role("heading", level=1)).to_have_text("Hallo, Ben")
    finally:
        await other.close()


async def test_a_browser_in_dutch_gets_the_company_form_in_dutch(page: Page, portal: Portal) -> None:
    context = await page.context.browser.new_context(locale="nl-NL")  # type: ignore[union-attr]
    try:
        dutch = await context.new_page()
        await dutch.goto(f"{portal.base_url}/")
        await expect(dutch.get_by_role("heading", level=1)).to_have_text("Inloggen op het portaal van uw bedrijf")
        await assert_accessible(dutch)
    finally:
        await context.close()


async def test_an_ended_session_goes_back_through_sso_to_the_page(page: Page, portal: Portal) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, "ana")
    # The session ends (expired, or ended elsewhere): its cookie is all the browser still has.
    cookies = await page.context.cookies(portal.base_url)
    session = next(c for c in cookies if c["name"] == SESSION_COOKIE)
    await page.context.add_cookies([{**session, "value": "ended-session"}])  # type: ignore[list-item]
    sent_to: list[str] = []
    page.on("request", lambda request: sent_to.append(request.url))
    await page.goto(f"{portal.base_url}/home")
    landed = await sign_in(page, portal, "ana")
    assert landed == f"{portal.base_url}/home"
    assert f"{portal.base_url}/auth/{portal.tenant.slug}/login?return_to=%2Fhome" in sent_to
    await expect(page.locator("#recommendations")).to_contain_text("Data analysis gig")


async def test_signing_out_is_a_post_that_ends_the_session(page: Page, portal: Portal, shots: Shots) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, "ana")
    await page.get_by_role("button", name="Sign out").click()
    # The provider asks to confirm its own sign-out (RP-initiated logout), then sends the browser back.
    await page.wait_for_url(f"{portal.issuer}/**")
    await page.locator('button[name="logout"][value="yes"]').click()
    await page.wait_for_url(f"{portal.base_url}/auth/{portal.tenant.slug}/logged-out**")
    assert SESSION_COOKIE not in {c["name"] for c in await page.context.cookies(portal.base_url)}
    # The home page now needs signing in again, at the company's provider.
    await page.goto(f"{portal.base_url}/home")
    await page.wait_for_url(f"{portal.issuer}/**")
    await expect(page.locator('input[name="login"]')).to_be_visible()
