"""References chosen by name, in Chromium as a consultant: a manager found by typing part of a name and
saved; a refused save keeping every field as typed (the chosen references too) with the message beside
the field; a role given two skills and one removed, read back through the service; an employee's page
with their skills, their aspirations by the open-to-move rules (a hidden person's withheld) and the view
audited, and their applications. Every page is checked by axe and saved at 820 and 1440 px."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import Page, expect

from admin.models import PlatformRole
from admin.users import PlatformUserService
from backend.app import AppCollaborators
from backend.auth.secretbox import SecretBox
from backend.framework.service import FrameworkService
from tenants.sessions import Database
from tests.conftest import TenantFactory, TokenFactory
from tests.console.browser import shots_at_widths
from tests.console.conftest import CONSULTANTS, ConsoleServer, ensure_consultant

# The frame tests' checks, here too: no Content-Security-Policy violation on any page (autouse), and
# Ada signed in with the client company chosen.
from tests.console.test_frame import RAW, _signed_in_to, no_content_security_policy_violations  # noqa: F401
from tests.marketplace.market import API, Market, build_market, ok

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
async def market(
    collaborators: AppCollaborators,
    database: Database,
    make_tenant: TenantFactory,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
) -> Market:
    """A client company of Ada's with people, skills, a role and openings (tests/marketplace/market.py)."""
    tenant = make_tenant(f"refs_{secrets.token_hex(3)}", f"Reference Works {secrets.token_hex(2)}")
    secretbox = collaborators.secretbox
    assert isinstance(secretbox, SecretBox)
    await ensure_consultant(database, secretbox, "ada", PlatformRole.CONSULTANT)
    async with database.control_session() as session, session.begin():
        await PlatformUserService(session, secretbox).assign(CONSULTANTS["ada"]["email"], tenant.id, by="test")
    return await build_market(client, tenant, auth)


async def _choose(page: Page, field: str, typed: str, name: str) -> None:
    """Open the search-as-you-type of `field`, type part of a name, pick the result `name`."""
    await page.locator(f"#{field} + .select2 .select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    await search.fill(typed)
    await page.locator(".select2-results__option", has_text=name).click()
    await expect(page.locator(f"#{field}")).not_to_have_value("")


async def test_a_manager_is_chosen_by_typing_and_a_refused_save_keeps_the_fields(
    page: Page,
    console_server: ConsoleServer,
    market: Market,
    client: AsyncTestClient[Litestar],
) -> None:
    m, hr = market, market.hr
    tag = secrets.token_hex(2)
    newcomer = await ok(
        await client.post(
            f"{API}/employees",
            json={"email": f"nina.{tag}@refs.example", "full_name": f"Nina Newcomer {tag}"},
            headers=hr,
        ),
        201,
    )
    base = console_server.base_url
    await _signed_in_to(page, base, m.tenant)

    await page.goto(f"{base}/admin/employee/edit/{newcomer['id']}")
    await expect(page.locator('label[for="manager_id"]')).to_have_text("Manager")
    await _choose(page, "manager_id", "ead", "Lead")
    await expect(page.locator("#manager_id")).to_have_value(m.people["lead"])
    await shots_at_widths(page, "manager-chosen")
    await page.locator('input[type="submit"][value="Save"]').click()
    await page.wait_for_url("**/admin/employee/list**")
    saved = await ok(await client.get(f"{API}/employees/{newcomer['id']}", headers=hr))
    assert saved["manager_id"] == m.people["lead"]

    # A refused save: the lead reporting to Ana, who reports to the lead (a loop), with a new title
    # and a unit chosen: refused with the service's reason beside the manager, every field kept.
    await page.goto(f"{base}/admin/employee/edit/{m.people['lead']}")
    await page.locator("#title").fill("Principal analyst")
    await _choose(page, "org_unit_id", "Sal", "Sales")
    await _choose(page, "manager_id", "an", "Ana")
    async with page.expect_response(f"**/admin/employee/edit/{m.people['lead']}") as answer:
        await page.locator('input[type="submit"][value="Save"]').click()
    assert (await answer.value).status == 422
    await expect(page.locator(".alert-danger")).to_contain_text("cannot report to themselves")
    await expect(page.locator(".invalid-feedback")).to_contain_text("cannot report to themselves")
    await expect(page.locator("#title")).to_have_value("Principal analyst")
    await expect(page.locator("#manager_id")).to_have_value(m.people["ana"])
    await expect(page.locator("#org_unit_id")).to_have_value(m.units["Sales"])
    await expect(page.locator("#manager_id + .select2")).to_contain_text("Ana")
    await shots_at_widths(page, "refused-save-kept")
    lead = await ok(await client.get(f"{API}/employees/{m.people['lead']}", headers=hr))
    assert (lead["manager_id"], lead["org_unit_id"]) == (m.people["director"], m.units["Analytics"])


async def test_a_role_is_given_two_skills_and_one_removed(
    page: Page,
    console_server: ConsoleServer,
    market: Market,
    client: AsyncTestClient[Litestar],
    database: Database,
) -> None:
    m, hr = market, market.hr
    tag = secrets.token_hex(2)
    family = await ok(await client.post(f"{API}/job-families", json={"name": f"Ops {tag}"}, headers=hr), 201)
    role = await ok(
        await client.post(
            f"{API}/roles", json={"job_family_id": family["id"], "title": f"Ops analyst {tag}", "level": 2}, headers=hr
        ),
        201,
    )
    base = console_server.base_url
    await _signed_in_to(page, base, m.tenant)

    # From the edit page to the role's skills.
    await page.goto(f"{base}/admin/role/edit/{role['id']}")
    await page.locator("#edit-skills a").click()
    await page.wait_for_url(f"**/admin/role/details/{role['id']}#skills")
    for typed, name, level, importance in (("sq", "SQL", "4", "essential"), ("pyth", "PYTHON", "2", "nice_to_have")):
        await _choose(page, "skill_id", typed, name)
        await page.locator("#skill-level").select_option(level)
        await page.locator("#skill-importance").select_option(importance)
        await page.get_by_role("button", name="Add skill").click()
        await page.wait_for_url(f"**/admin/role/details/{role['id']}#skills")
    table = page.locator("#skills-table")
    await expect(table.locator("tbody tr")).to_have_count(2)
    await shots_at_widths(page, "role-two-skills")
    await page.get_by_role("button", name="Remove PYTHON").click()
    await page.wait_for_url(f"**/admin/role/details/{role['id']}#skills")
    await expect(table.locator("tbody tr")).to_have_count(1)
    await expect(table.locator("tbody tr")).to_contain_text("SQL")
    await shots_at_widths(page, "role-one-skill")

    # Read back through the service, as the API reads it.
    async with database.tenant_session(m.tenant) as session:
        required, _ = await FrameworkService(session).role_skills(role["id"], None, 50)
    assert [(r.skill_label, r.target_level, r.importance.value) for r in required] == [("SQL", 4, "essential")]


async def test_an_employee_page_shows_skills_aspirations_by_the_rules_and_applications(
    page: Page,
    console_server: ConsoleServer,
    market: Market,
    client: AsyncTestClient[Litestar],
) -> None:
    m, hr = market, market.hr
    ana, tom = m.people["ana"], m.people["tom"]
    await ok(
        await client.put(
            f"{API}/employees/{ana}/skills/{m.skills['sql']}", json={"level": 4, "source": "manager"}, headers=hr
        )
    )
    await ok(
        await client.put(
            f"{API}/employees/{ana}/aspirations",
            json={"open_to_move": "hr_only", "target_role_ids": [m.role["id"]], "skill_ids": [m.skills["python"]]},
            headers=m.as_("ana"),
        )
    )
    await ok(
        await client.put(
            f"{API}/employees/{tom}/aspirations",
            json={"open_to_move": "hidden", "target_role_ids": [m.role["id"]]},
            headers=m.as_("tom"),
        )
    )
    opening = await m.opening(title=f"Forecast sprint {secrets.token_hex(2)}")
    await m.apply(opening["id"], "ana")
    base = console_server.base_url
    await _signed_in_to(page, base, m.tenant)

    await page.goto(f"{base}/admin/employee/details/{ana}")
    skills = page.locator("#employee-skills")
    await expect(skills.locator("tbody tr", has_text="SQL")).to_contain_text("manager")
    await expect(skills.locator("tbody tr", has_text="SQL")).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
    aspirations = page.locator("#employee-aspirations")
    await expect(aspirations).to_contain_text("yes, HR may see it")
    await expect(aspirations).to_contain_text("Senior Analyst")
    await expect(aspirations).to_contain_text("PYTHON")
    applications = page.locator("#employee-applications")
    await expect(applications.locator("tbody tr", has_text=opening["title"])).to_contain_text("applied")
    await expect(applications.locator("tbody tr", has_text=opening["title"])).to_contain_text(
        re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
    )
    await expect(page.locator("#details-title")).to_have_text("Ana")
    text = await page.locator(".page-wrapper").first.inner_text()
    assert not RAW.search(text), RAW.search(text)
    profile = await page.locator("#employee-skills, #employee-aspirations, #employee-applications").all_inner_texts()
    assert not UUID.search(" ".join(profile)), "the profile names what it refers to, never by id"
    await shots_at_widths(page, "employee-open")

    # The view was audited as the API audits it (HR's view of Ana's aspirations), and the application
    # shown as viewed.
    viewed = await _audit(client, hr, action="aspirations.viewed", subject_employee_id=ana)
    assert {(e["actor_subject"], e["details"]["open_to_move"]) for e in viewed} == {
        ("console:ada@crosswalk.example", "hr_only")
    }
    shown = await _audit(client, hr, action="application.viewed", subject_employee_id=ana)
    assert any(e["actor_subject"] == "console:ada@crosswalk.example" for e in shown)

    # Tom keeps his hidden: a sentence, none of the data, and nothing audited as seen.
    await page.goto(f"{base}/admin/employee/details/{tom}")
    withheld = page.locator("#employee-aspirations")
    await expect(withheld.locator("#aspirations-withheld")).to_contain_text("keeps their aspirations hidden")
    await expect(withheld).not_to_contain_text("Senior Analyst")
    await shots_at_widths(page, "employee-hidden")
    assert await _audit(client, hr, action="aspirations.viewed", subject_employee_id=tom) == []


async def _audit(client: AsyncTestClient[Litestar], hr: dict[str, str], **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    page = await ok(await client.get(f"{API}/audit-events?limit=200&{query}", headers=hr))
    return list(page["items"])


async def test_the_frame_and_the_figures_hold_their_shape_on_a_tablet(
    page: Page, console_server: ConsoleServer, market: Market
) -> None:
    base = console_server.base_url
    await _signed_in_to(page, base, market.tenant)
    for url, name in (
        (f"{base}/admin/dashboard", "dashboard"),
        (f"{base}/admin/portfolio", "portfolio"),
        (f"{base}/admin/employee/list", "employees"),
        (f"{base}/admin/employee/edit/{market.people['ana']}", "employee-form"),
    ):
        await page.goto(url)
        await page.set_viewport_size({"width": 820, "height": 900})
        # No sideways scroll of the page: wide tables scroll inside their own region.
        overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at 820 px"
        # The sidebar stays beside the page, not over it, and the top bar's parts do not overlap.
        sidebar, content = await _boxes(page, ["aside.navbar-vertical", ".page-wrapper"])
        assert content["x"] >= sidebar["x"] + sidebar["width"] - 1, name
        _apart(await _boxes(page, ["#tenant-switcher", "#signed-in-as", "#sign-out"]), f"{name}: the top bar")
        if name == "dashboard":
            figures = await _boxes(
                page, [f".card-sm >> nth={n}" for n in range(await page.locator(".card-sm").count())]
            )
            _apart(figures, "the dashboard's figures")
            # Each figure keeps a card's shape: its label on a line, not a letter a line.
            assert all(box["width"] >= 150 for box in figures), figures
        await shots_at_widths(page, name)


async def _boxes(page: Page, selectors: list[str]) -> list[dict[str, float]]:
    found = [await page.locator(selector).first.bounding_box() for selector in selectors]
    missing = [s for s, box in zip(selectors, found, strict=True) if box is None]
    assert not missing, f"not shown: {missing}"
    return [dict(box) for box in found if box is not None]


def _apart(boxes: list[dict[str, float]], what: str) -> None:
    for i, first in enumerate(boxes):
        for second in boxes[i + 1 :]:
            assert not _overlap(first, second), f"{what}: two parts overlap ({first}, {second})"


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"] - 1
        and b["x"] < a["x"] + a["width"] - 1
        and a["y"] < b["y"] + b["height"] - 1
        and b["y"] < a["y"] + a["height"] - 1
    )
