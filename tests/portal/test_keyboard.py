"""Everything works by keyboard, with the focus visible: on every page of the portal, as the people who
use it (Ana, an employee; Hm, a manager who runs openings; Hilde, HR), Tab alone reaches every control a person
can see (a link, a button, a field, a disclosure; one radio of each group, as browsers do), in the
order of the page, and each control shows a focus ring (an outline or a shadow) while it has the
focus. A control Tab skips, or one focused without a ring, fails with its name."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

from tests.portal.conftest import Portal, assert_accessible, sign_in

# A tablet held upright.
TABLET = 820

# The visible controls of the page, numbered in document order (radios by group: Tab enters a group once).
_NUMBER_CONTROLS = """
() => {
  const selector = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]),'
    + ' textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  const seen = new Set();
  let n = 0;
  const controls = [];
  for (const el of document.querySelectorAll(selector)) {
    // checkVisibility: not rendered, or inside a closed <details> (whose content Tab skips).
    if (el.closest('[inert]') || !el.checkVisibility()) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const key = el.type === 'radio' ? 'radio:' + el.form?.id + ':' + el.name : 'n' + n;
    if (seen.has(key)) { el.dataset.kbGroup = key; continue; }
    seen.add(key);
    el.dataset.kb = String(n);
    el.dataset.kbGroup = key;
    const name = el.getAttribute('aria-label') || el.textContent || el.name || el.id || el.tagName;
    controls.push({n, key, name: name.trim().slice(0, 60)});
    n += 1;
  }
  return controls;
}
"""
# What has the focus now: its group, and whether a focus ring shows.
_FOCUSED = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  return {group: el.dataset.kbGroup || null, tag: el.tagName, ring: outline || shadow,
          name: (el.getAttribute('aria-label') || el.textContent || el.name || el.id || '').trim().slice(0, 60)};
}
"""


async def assert_keyboard_reaches_everything(page: Page, path: str) -> None:
    controls: list[dict[str, Any]] = await page.evaluate(_NUMBER_CONTROLS)
    assert controls, f"{path}: no control at all"
    # Chromium stops on each part of a date or month field (day, month, year): a Tab for each.
    parts = await page.evaluate(
        "() => [...document.querySelectorAll('input[type=date], input[type=month], input[type=datetime-local]')]"
        ".filter(el => el.getClientRects().length).length * 3"
    )
    # From the top of the page: the first Tab lands on the skip link.
    await page.locator("body").focus()
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    reached: list[str] = []
    without_ring: list[str] = []
    for _ in range(len(controls) + parts + 10):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(_FOCUSED)
        if focused is None:
            break
        if not focused["ring"]:
            without_ring.append(f"{focused['tag']} {focused['name']!r}")
        if focused["group"] is not None and focused["group"] not in reached:
            reached.append(focused["group"])
        if len(reached) == len(controls):
            break
    missed = [c["name"] for c in controls if c["key"] not in reached]
    assert not missed, f"{path}: Tab never reaches {missed}"
    assert not without_ring, f"{path}: focused without a visible ring: {without_ring}"
    order = [c["key"] for c in controls]
    assert reached == order, f"{path}: Tab does not follow the page's order"


async def test_an_employee_reaches_every_control_of_their_pages_by_keyboard(page: Page, portal: Portal) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, "ana")
    for path in (
        "/home",
        "/board",
        f"/board/{portal.world.analyst}",
        "/applications",
        "/profile",
        "/profile/history",
        "/aspirations",
        "/career",
        "/mentoring",
        "/notifications",
    ):
        await page.goto(f"{portal.base_url}{path}")
        await assert_keyboard_reaches_everything(page, path)


async def test_a_manager_reaches_every_control_of_their_pages_by_keyboard(page: Page, portal: Portal) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, "hm")
    for path in ("/team", "/releases", "/openings", f"/openings/{portal.world.analyst}"):
        await page.goto(f"{portal.base_url}{path}")
        await assert_keyboard_reaches_everything(page, path)


# Every page of the HR workspace a person reaches from its menu, and a detail page of each kind the
# company always has (a person, a role, an opening).
def hr_pages(portal: Portal) -> tuple[str, ...]:
    return (
        "/hr",
        "/hr/people",
        f"/hr/people/{portal.world.people['ana']}",
        "/hr/framework",
        f"/hr/framework/roles/{next(iter(portal.world.roles.values()))}",
        "/hr/framework/paths",
        "/hr/openings",
        "/hr/openings/new",
        f"/hr/openings/{portal.world.analyst}",
        f"/hr/openings/{portal.world.analyst}/edit",
        "/hr/mentoring",
        "/hr/learning",
        "/hr/learning/new",
        "/hr/learning/import",
        "/hr/settings",
        "/hr/settings/policy",
        "/hr/settings/weights",
        "/hr/settings/sso",
        "/hr/settings/partners",
        "/hr/settings/scim",
        "/hr/analytics",
        "/hr/analytics/audit",
    )


async def test_hr_reaches_every_control_of_the_workspace_by_keyboard(page: Page, portal: Portal) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, "hilde")
    for path in hr_pages(portal):
        response = await page.goto(f"{portal.base_url}{path}")
        assert response is not None
        assert response.status == 200, path
        await assert_keyboard_reaches_everything(page, path)


async def test_the_workspace_holds_its_shape_on_a_tablet(page: Page, portal: Portal) -> None:
    """At 820 px (a tablet held upright) every page of the workspace fits the screen (wide tables and
    the pipeline board scroll inside themselves) and axe finds nothing serious."""
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, "hilde")
    await page.set_viewport_size({"width": TABLET, "height": 1000})
    for path in hr_pages(portal):
        response = await page.goto(f"{portal.base_url}{path}")
        assert response is not None
        assert response.status == 200, path
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= TABLET, f"{path} is {width} px wide at {TABLET} px"
        await assert_accessible(page)
