"""The console in Dutch, in a real browser (Chromium): a consultant chooses Nederlands on the top bar's
switch, and the dashboard and an employee's edit form speak Dutch (the console's strings and SQLAdmin's),
axe-clean; the choice outlives the page, and English comes back on the switch."""

from __future__ import annotations

import secrets

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import Page, expect

from backend.app import AppCollaborators
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.console.browser import assert_accessible, shot, sign_in_with_idp
from tests.console.conftest import ConsoleServer, client_company_of_ada


@pytest.fixture(scope="module")
async def elm(collaborators: AppCollaborators, database: Database, make_tenant: TenantFactory) -> TenantRef:
    return await client_company_of_ada(collaborators, database, make_tenant, f"elm_{secrets.token_hex(3)}", "Elm Bouw")


async def test_a_consultant_chooses_dutch_for_the_dashboard_and_an_edit_form(
    page: Page,
    console_server: ConsoleServer,
    elm: TenantRef,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
) -> None:
    created = await client.post(
        "/api/v1/employees",
        json={"email": f"fenna.{secrets.token_hex(3)}@elm.example", "full_name": "Fenna de Vries", "title": "Planner"},
        headers=auth(elm),
    )
    assert created.status_code == 201, created.text
    employee_id = created.json()["id"]
    base = console_server.base_url
    await sign_in_with_idp(page, base, "ada")
    await page.locator("#tenant-select").select_option(elm.slug)
    await page.wait_for_url("**/admin/dashboard")
    await expect(page.locator("#dashboard-title")).to_contain_text("mobility dashboard")

    await page.locator("#language-switch").get_by_role("button", name="Nederlands").click()
    await page.wait_for_url("**/admin/dashboard")
    await expect(page.locator("#dashboard-title")).to_have_text("Elm Bouw: mobiliteitsdashboard")
    await expect(page.locator("#kpi-open").locator("xpath=..")).to_contain_text("Openstaande kansen")
    await expect(page.get_by_role("button", name="Afmelden")).to_be_visible()
    await expect(page.locator('label[for="tenant-select"]')).to_have_text("Klantbedrijf")
    await expect(page.get_by_role("button", name="Nederlands")).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("html")).to_have_attribute("lang", "nl")
    await assert_accessible(page)
    await shot(page, "dashboard-nl")

    await page.goto(f"{base}/admin/employee/edit/{employee_id}")
    await expect(page.locator('input[type="submit"][value="Opslaan"]')).to_be_visible()
    await expect(page.locator('input[type="submit"][value="Opslaan en verder bewerken"]')).to_be_visible()
    await expect(page.get_by_role("link", name="Annuleren")).to_be_visible()
    await assert_accessible(page)
    await shot(page, "edit-form-nl")
    # SQLAdmin compares the submitted button's label with its translation: the Dutch one saves too.
    await page.locator("#title").fill("Hoofdplanner")
    await page.locator('input[type="submit"][value="Opslaan en verder bewerken"]').click()
    await page.wait_for_url(f"**/admin/employee/edit/{employee_id}**")
    await expect(page.locator("#title")).to_have_value("Hoofdplanner")

    await page.locator("#language-switch").get_by_role("button", name="English").click()
    await page.wait_for_url(f"**/admin/employee/edit/{employee_id}**")
    await expect(page.locator('input[type="submit"][value="Save"]')).to_be_visible()


async def test_the_browsers_language_is_the_default(
    console_server: ConsoleServer, client: AsyncTestClient[Litestar]
) -> None:
    dutch = await client.get("/admin/login", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})
    assert "Aanmelden bij de Crosswalk-console" in dutch.text
    english = await client.get("/admin/login", headers={"Accept-Language": "fr"})
    assert "Sign in to the Crosswalk console" in english.text
    chosen = await client.get(
        "/admin/login", headers={"Accept-Language": "nl", "Cookie": "crosswalk_console_language=en"}
    )
    assert "Sign in to the Crosswalk console" in chosen.text
