"""The HR workspace's door, in Chromium through the company's real OpenID provider: Hilde (whom the
provider puts in the group the company maps to HR) finds the workspace in her header and its areas on
its landing page, each with what it is for, in English and in Dutch; Ana (an employee) and Hm (a
manager) see no link, and the page refuses them (403) with the reason, as the API refuses them."""

from __future__ import annotations

from playwright.async_api import Page, expect

from backend.portal.hr import AREAS
from backend.portal.i18n import LANGUAGE_COOKIE
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in


async def test_hr_finds_the_workspace_and_its_areas(page: Page, portal: Portal, shots: Shots) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, "hilde")
    await page.get_by_role("link", name="HR workspace").click()
    await expect(page).to_have_url(f"{portal.base_url}/hr")
    await expect(page.get_by_role("heading", level=1)).to_have_text("HR workspace")
    menu = page.get_by_role("navigation", name="HR workspace")
    await expect(menu.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    areas = page.locator("#hr-areas > li")
    await expect(areas).to_have_count(len(AREAS))
    for area, card in zip(AREAS, await areas.all(), strict=True):
        await expect(card.get_by_role("link", name=area.title, exact=True)).to_have_attribute("href", area.path)
        await expect(card).to_contain_text(area.summary)
        await expect(menu.get_by_role("link", name=area.title, exact=True)).to_have_attribute("href", area.path)
    await assert_accessible(page)
    await shots(page, "hr-workspace")

    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "nl", "url": portal.base_url}])
    await page.reload()
    await expect(page.get_by_role("heading", level=1)).to_have_text("HR-werkplek")
    await expect(page.get_by_role("link", name="Beleid en instellingen").first).to_be_visible()
    await assert_accessible(page)


async def test_only_hr_reaches_the_workspace(page: Page, portal: Portal) -> None:
    for login in ("ana", "hm"):
        await page.context.clear_cookies()
        await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
        await sign_in(page, portal, login)
        await expect(page.get_by_role("link", name="HR workspace")).to_have_count(0)
        # The door, and pages whose scope only HR holds (the scope guard's refusal is the same page).
        for path in ("/hr", "/hr/analytics", "/hr/analytics/audit"):
            response = await page.goto(f"{portal.base_url}{path}")
            assert response is not None
            assert response.status == 403, path
            assert response.headers["content-type"].startswith("text/html"), path
            await expect(page.get_by_role("heading", level=1)).to_have_text("Not yours to see")
            await expect(page.locator("#forbidden-reason")).to_have_text(
                "Only your company's HR admins may use the HR workspace."
            )
            await expect(page.get_by_role("link", name="Back to your home page")).to_have_attribute("href", "/home")
            await assert_accessible(page)
