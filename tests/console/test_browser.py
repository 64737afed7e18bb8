"""The console in a real browser (Debian's Chromium, driven by Playwright) against the app served for
real with its worker, consultants signing in through the platform's OpenID provider: sign in, create a
tenant and watch it provision, switch tenant, edit an employee, run and publish a pairing, open the
dashboard, and a consultant kept out of a tenant not assigned to them. Every page is saved as a
screenshot under test-artifacts/console/<test>/."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import ConsoleMessage, Page, expect

from admin.models import PlatformRole
from admin.users import PlatformUserService
from backend.app import AppCollaborators
from backend.auth.secretbox import SecretBox
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.console.browser import confirm_idp_sign_out, shot, sign_in_with_idp
from tests.console.conftest import CONSULTANTS, ConsoleServer, assigned_to, ensure_consultant
from tests.mentoring.seed import add_mentee, add_mentor, seed_org

JOB_TIMEOUT_MS = 90_000


def run_id_of(url: str) -> str:
    """The pairing run's id in the address of its review page (/admin/operations/pairing-runs/{id})."""
    return url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Clients:
    """Ada is a consultant of Alder; Carl of Birch only; Sam a superadmin."""

    alder: TenantRef
    birch: TenantRef


@pytest.fixture(scope="module")
async def clients(collaborators: AppCollaborators, database: Database, make_tenant: TenantFactory) -> Clients:
    alder = make_tenant(f"alder_{secrets.token_hex(3)}", "Alder Logistics")
    birch = make_tenant(f"birch_{secrets.token_hex(3)}", "Birch Retail")
    secretbox = collaborators.secretbox
    assert isinstance(secretbox, SecretBox)
    await ensure_consultant(database, secretbox, "sam", PlatformRole.SUPERADMIN)
    await ensure_consultant(database, secretbox, "ada", PlatformRole.CONSULTANT)
    await ensure_consultant(database, secretbox, "carl", PlatformRole.CONSULTANT)
    async with database.control_session() as session, session.begin():
        users = PlatformUserService(session, secretbox)
        await users.assign(CONSULTANTS["ada"]["email"], alder.id, by="test")
        await users.assign(CONSULTANTS["carl"]["email"], birch.id, by="test")
    return Clients(alder, birch)


@pytest.fixture(autouse=True)
async def no_content_security_policy_violations(page: Page, console_base_url: str) -> AsyncIterator[None]:
    """Every console page works under its Content-Security-Policy: the browser reports no violation on
    our pages (the provider's own pages are its business)."""
    violations: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text and message.location.get("url", "").startswith(console_base_url):
            violations.append(f"{message.location.get('url')}: {message.text}")

    page.on("console", note)
    yield
    assert not violations, "\n".join(violations)


async def _choose(page: Page, tenant: TenantRef) -> None:
    await page.locator("#tenant-select").select_option(tenant.slug)
    await page.wait_for_url("**/admin/dashboard")


async def test_a_superadmin_creates_a_tenant_and_watches_it_provision(
    page: Page, console_server: ConsoleServer, clients: Clients
) -> None:
    base = console_server.base_url
    landed = await sign_in_with_idp(page, base, "sam")
    assert not landed.startswith(f"{base}/admin/login")
    await expect(page.locator("#signed-in-as")).to_contain_text("sam@crosswalk.example")
    await shot(page, "signed-in")
    slug = f"cedar_{secrets.token_hex(3)}"
    await page.goto(f"{base}/admin/tenant/create")
    await page.locator("#slug").fill(slug)
    await page.locator("#name").fill("Cedar Health")
    await shot(page, "new-tenant-form")
    await page.locator('input[type="submit"][value="Save"]').click()
    await page.wait_for_url("**/admin/platform-job/details/**")
    await shot(page, "provisioning-started")
    await expect(page.locator("#job-status")).to_have_text("succeeded", timeout=JOB_TIMEOUT_MS)
    await expect(page.locator("#job-step")).to_have_text("active")
    await shot(page, "provisioned")
    await page.goto(f"{base}/admin/tenant/list?search={slug}")
    row = page.locator("table tbody tr", has_text=slug)
    await expect(row).to_contain_text("active")
    await expect(row).to_contain_text("Cedar Health")
    await shot(page, "tenant-listed")


async def test_a_consultant_switches_tenant_and_edits_an_employee(
    page: Page,
    console_server: ConsoleServer,
    clients: Clients,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
    database: Database,
) -> None:
    hr = auth(clients.alder)
    created = await client.post(
        "/api/v1/employees",
        json={"email": f"eve.{secrets.token_hex(3)}@alder.example", "full_name": "Eve Evans", "title": "Analyst"},
        headers=hr,
    )
    assert created.status_code == 201, created.text
    employee_id = created.json()["id"]
    base = console_server.base_url
    await sign_in_with_idp(page, base, "ada")
    # "Choose…" and exactly Ada's client companies (Alder, and any another test of the run gave her).
    hers = await assigned_to(database, "ada")
    assert clients.alder.slug in hers
    assert clients.birch.slug not in hers
    await expect(page.locator("#tenant-select option")).to_have_count(1 + len(hers))
    await expect(page.locator(f'#tenant-select option[value="{clients.alder.slug}"]')).to_have_count(1)
    await expect(page.locator(f'#tenant-select option[value="{clients.birch.slug}"]')).to_have_count(0)
    await shot(page, "home")
    await _choose(page, clients.alder)
    await expect(page.locator("#dashboard-title")).to_contain_text("Alder Logistics")
    await page.goto(f"{base}/admin/employee/list?search=Eve")
    await shot(page, "employees")
    await page.locator(f'a[href*="/admin/employee/edit/{employee_id}"]').first.click()
    await page.wait_for_url(f"**/admin/employee/edit/{employee_id}**")
    await page.locator("#title").fill("Lead analyst")
    await shot(page, "edit-form")
    await page.locator('input[type="submit"][value="Save"]').click()
    await page.wait_for_url("**/admin/employee/list**")
    await expect(page.locator("table tbody")).to_contain_text("Lead analyst")
    await shot(page, "edited")
    after = await client.get(f"/api/v1/employees/{employee_id}", headers=hr)
    assert after.json()["title"] == "Lead analyst"
    await page.goto(f"{base}/admin/console-audit-event/list?search=employee.update")
    await expect(page.locator("table tbody")).to_contain_text("ada@crosswalk.example")
    await shot(page, "audit-log")


async def test_a_consultant_runs_and_publishes_a_pairing(
    page: Page,
    console_server: ConsoleServer,
    clients: Clients,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
    database: Database,
) -> None:
    tenant = clients.alder
    hr = auth(tenant)
    org = await seed_org(
        database,
        tenant,
        managers=[None, 0, None, 2, 2],
        departments=[0, 0, 1, 1, 1],
        levels={(0, 0): 4, (2, 1): 4, (1, 0): 1, (3, 1): 1, (4, 0): 1},
        skills=2,
        tag=secrets.token_hex(2),
    )
    programme = await client.post(
        "/api/v1/mentoring/programmes",
        json={"name": "Data mentoring", "kind": "evergreen", "status": "open"},
        headers=hr,
    )
    assert programme.status_code == 201, programme.text
    programme_id = programme.json()["id"]
    for mentor, skill in ((0, 0), (2, 1)):
        await add_mentor(
            database,
            tenant,
            programme_id,
            org.people[mentor],
            capacity=1,
            languages=["en"],
            teaches=[org.skills[skill]],
        )
    for mentee, skill in ((3, 0), (1, 1)):
        await add_mentee(
            database, tenant, programme_id, org.people[mentee], languages=["en"], wants=[org.skills[skill]]
        )
    # A third mentee who speaks only Dutch: no mentor shares a language, so the run waitlists her.
    await add_mentee(database, tenant, programme_id, org.people[4], languages=["nl"], wants=[org.skills[0]])
    base = console_server.base_url
    await sign_in_with_idp(page, base, "ada")
    await _choose(page, tenant)
    await page.goto(f"{base}/admin/operations")
    await shot(page, "operations")
    form = page.locator("form", has_text="Data mentoring")
    await form.get_by_role("button", name="Run pairing").click()
    await page.wait_for_url("**/admin/operations/jobs/**")
    await shot(page, "pairing-job")
    await expect(page.locator("#job-status")).to_have_text("succeeded", timeout=JOB_TIMEOUT_MS)
    await shot(page, "pairing-job-done")
    await page.locator("#review-run").click()
    await expect(page.locator("#run-status")).to_have_text("proposed")
    rows = page.locator("#pairings tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text("You both speak en")
    # The waiting list: who has no mentor, and why, in the API's words.
    waiting = await client.get(f"/api/v1/mentoring/runs/{run_id_of(page.url)}/waitlist", headers=hr)
    assert waiting.status_code == 200, waiting.text
    assert len(waiting.json()["items"]) == 1
    await expect(page.locator("#waitlist-title")).to_contain_text("1 mentee without a mentor")
    await expect(page.locator("#waitlist tbody tr")).to_have_count(1)
    await expect(page.locator("#waitlist tbody tr")).to_contain_text(waiting.json()["items"][0]["reason"])
    await shot(page, "proposed-pairings")
    await page.locator("#publish-run").click()
    await expect(page.locator("#run-status")).to_have_text("published")
    await shot(page, "published")
    pairings = await client.get(f"/api/v1/mentoring/pairings?programme_id={programme_id}", headers=hr)
    assert pairings.status_code == 200, pairings.text
    assert {p["state"] for p in pairings.json()["items"]} == {"published"}
    assert len(pairings.json()["items"]) == 2


async def test_the_dashboard_shows_the_tenant_in_charts(
    page: Page, console_server: ConsoleServer, clients: Clients
) -> None:
    base = console_server.base_url
    await sign_in_with_idp(page, base, "ada")
    await _choose(page, clients.alder)
    await expect(page.locator(".chart svg")).to_have_count(5)
    for title in ("Internal mobility and fill rate by month", "Applications by stage", "Mentoring participation"):
        await expect(page.get_by_role("heading", name=title)).to_be_visible()
    await shot(page, "dashboard")
    # Signing out is a POST (the frame's form, with its CSRF token); SQLAdmin's "Logout" link only
    # leads to a page that asks.
    await page.get_by_role("button", name="Sign out").click()
    await confirm_idp_sign_out(page, base)
    await expect(page.locator("#sign-in-oidc")).to_be_visible()
    await shot(page, "signed-out")
    await page.goto(f"{base}/admin/dashboard")
    await page.wait_for_url("**/admin/login")


async def test_a_consultant_cannot_open_a_tenant_not_assigned(
    page: Page, console_server: ConsoleServer, clients: Clients
) -> None:
    base = console_server.base_url
    await sign_in_with_idp(page, base, "carl")
    await expect(page.locator("#tenant-select")).not_to_contain_text("Alder Logistics")
    await shot(page, "home-without-alder")
    # A hand-made switch to Alder (its slug put into the switcher's form) is refused.
    await page.evaluate(
        """slug => { const s = document.querySelector('#tenant-select');
                     const o = new Option(slug, slug); s.add(o); s.value = slug; s.form.submit(); }""",
        clients.alder.slug,
    )
    await page.wait_for_load_state()
    await expect(page.locator("body")).to_contain_text("not assigned to you")
    await shot(page, "switch-refused")
    response = await page.goto(f"{base}/admin/tenant/details/{clients.alder.id}")
    assert response is not None
    assert response.status == 404
    response = await page.goto(f"{base}/admin/employee/list")
    assert response is not None
    assert response.status == 403
    await shot(page, "employees-closed")
