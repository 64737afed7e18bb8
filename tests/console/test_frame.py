"""The console's frame and readability, in Chromium as a consultant: errors and refusals stay inside the
frame (sidebar, tenant switcher, who is signed in) with a way back; the partner-app form offers exactly
the scopes a partner may have; details show times to the minute, "-" for an empty value and dicts as
"key: value" lines; the audit log names people and tenants and says "field: old → new". Every page is
checked by axe and saved at 820 and 1440 px."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import ConsoleMessage, Page, expect

from admin.models import PlatformRole
from admin.views.base import TenantView
from backend.app import AppCollaborators
from backend.auth.secretbox import SecretBox
from backend.partners.service import grantable_scopes
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.console.browser import shots_at_widths, sign_in_with_idp
from tests.console.conftest import ConsoleServer, client_company_of_ada
from tests.console.test_access import _chosen, _make_staff

# What must never show on a page a consultant reads.
RAW = re.compile(r"\bNone\b|\{'|\d{2}:\d{2}:\d{2}\.\d+")


@pytest.fixture(scope="module")
async def alder(collaborators: AppCollaborators, database: Database, make_tenant: TenantFactory) -> TenantRef:
    """A client company of Ada's."""
    return await client_company_of_ada(
        collaborators, database, make_tenant, f"alder_{secrets.token_hex(3)}", f"Alder Frames {secrets.token_hex(2)}"
    )


@pytest.fixture(autouse=True)
async def no_content_security_policy_violations(page: Page, console_base_url: str) -> AsyncIterator[None]:
    violations: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text and message.location.get("url", "").startswith(console_base_url):
            violations.append(f"{message.location.get('url')}: {message.text}")

    page.on("console", note)
    yield
    assert not violations, "\n".join(violations)


async def _signed_in_to(page: Page, base: str, tenant: TenantRef) -> None:
    await sign_in_with_idp(page, base, "ada")
    await page.locator("#tenant-select").select_option(tenant.slug)
    await page.wait_for_url("**/admin/dashboard")


async def _in_the_frame(page: Page, tenant: TenantRef) -> None:
    await expect(page.locator("#signed-in-as")).to_contain_text("ada@crosswalk.example")
    await expect(page.locator("#tenant-select")).to_have_value(tenant.slug)
    await expect(page.locator("#navbar-menu")).to_contain_text("Console audit log")


async def test_errors_and_refusals_stay_in_the_frame_with_a_way_back(
    page: Page,
    console_server: ConsoleServer,
    alder: TenantRef,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
) -> None:
    hr = auth(alder)
    draft = await client.post(
        "/api/v1/opportunities",
        json={"title": "Frame gig", "kind": "gig", "hours_per_week": 4, "duration_weeks": 8, "positions": 1},
        headers=hr,
    )
    assert draft.status_code == 201, draft.text
    opportunity_id = draft.json()["id"]
    base = console_server.base_url
    await _signed_in_to(page, base, alder)

    # A 404: an employee that is not there.
    missing = await page.goto(f"{base}/admin/employee/details/{uuid.uuid4()}")
    assert missing is not None
    assert missing.status == 404
    await _in_the_frame(page, alder)
    await expect(page.locator("h1.page-title")).to_have_text("Not found")
    await expect(page.locator("#console-error-back")).to_have_count(0)  # came from nowhere: home only
    await expect(page.get_by_role("link", name="Console home")).to_be_visible()
    await shots_at_widths(page, "not-found")

    # A refused save: opening a draft without a description is the service's 422, shown in the frame
    # with the way back to the opening's page, which still says draft.
    details = f"{base}/admin/opportunity/details/{opportunity_id}"
    await page.goto(details)
    async with page.expect_response(f"**/admin/opportunity/{opportunity_id}/status") as answer:
        await page.get_by_role("button", name="Open for applications").click()
    assert (await answer.value).status == 422
    await _in_the_frame(page, alder)
    await expect(page.locator("#console-error-message")).to_contain_text("description")
    await expect(page.locator("#console-error")).to_contain_text("Nothing was changed.")
    await shots_at_widths(page, "refused-open")
    await page.locator("#console-error-back").click()
    await page.wait_for_url(details)
    await expect(page.locator("body")).to_contain_text("draft")
    after = await client.get(f"/api/v1/opportunities/{opportunity_id}", headers=hr)
    assert after.json()["status"] == "draft"

    # The partner-app form offers exactly the scopes the service grants a partner app.
    await page.goto(f"{base}/admin/partner-client/create")
    offered = await page.locator("#scopes option").evaluate_all("options => options.map(o => o.value)")
    assert offered == grantable_scopes()
    assert "identity:admin" not in offered
    await shots_at_widths(page, "partner-form")


async def test_details_and_the_audit_log_read_plainly(
    page: Page,
    console_server: ConsoleServer,
    alder: TenantRef,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
) -> None:
    hr = auth(alder)
    programme = await client.post(
        "/api/v1/mentoring/programmes",
        json={
            "name": "Frame circle",
            "kind": "cohort",
            "starts_on": "2027-01-04",
            "ends_on": "2027-06-30",
            "weights": {"skill_lead": 0.5, "wants_to_teach": 0.5},
        },
        headers=hr,
    )
    assert programme.status_code == 201, programme.text
    employee = await client.post(
        "/api/v1/employees",
        json={"email": f"fay.{secrets.token_hex(3)}@alder.example", "full_name": "Fay Frame", "title": "Analyst"},
        headers=hr,
    )
    assert employee.status_code == 201, employee.text
    base = console_server.base_url
    await _signed_in_to(page, base, alder)

    # A detail page: a date, times to the minute in UTC, "-" for what is empty, the weights as lines.
    await page.goto(f"{base}/admin/programme/details/{programme.json()['id']}")
    table = page.locator("table")
    await expect(table.locator("tr", has_text="Starts on")).to_contain_text("2027-01-04")
    await expect(table.locator("tr", has_text="Description")).to_contain_text("-")
    await expect(table.locator("tr", has_text="Created at")).to_contain_text(
        re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
    )
    weights = table.locator("tr", has_text="Weights")
    await expect(weights).to_contain_text("skill_lead: 0.5")
    await expect(weights).to_contain_text("wants_to_teach: 0.5")
    text = await page.locator("main, .page-wrapper").first.inner_text()
    assert not RAW.search(text), RAW.search(text)
    await shots_at_widths(page, "programme-details")

    # An edit, then the audit log: the person's name, the tenant's name, "field: old → new".
    employee_id, email = employee.json()["id"], employee.json()["email"]
    await page.goto(f"{base}/admin/employee/edit/{employee_id}")
    await page.locator("#title").fill("Lead analyst")
    await page.locator('input[type="submit"][value="Save"]').click()
    await page.wait_for_url("**/admin/employee/list**")
    await page.goto(f"{base}/admin/console-audit-event/list?action=employee.update")
    row = page.locator("table tbody tr", has_text=email)
    await expect(row).to_contain_text("Ada Consultant (ada@crosswalk.example)")
    await expect(row).to_contain_text(alder.name)
    await expect(row).to_contain_text("title: Analyst → Lead analyst")
    await expect(row).to_contain_text(re.compile(r"updated at: \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC → "))
    text = await page.locator("table").inner_text()
    assert str(alder.id) not in text
    assert not RAW.search(text), RAW.search(text)
    await shots_at_widths(page, "audit-log")
    # Filtered by tenant and person: the choices are names; the rows stay Ada's in Alder.
    await page.goto(
        f"{base}/admin/console-audit-event/list?tenant={alder.id}&person=ada@crosswalk.example&action=employee.update"
    )
    await expect(page.locator("table tbody tr", has_text=email)).to_have_count(1)
    await expect(page.locator("body")).to_contain_text(alder.name)
    # The chosen filters read as names: the person and the client company.
    chosen = page.locator("span.fw-bold")
    await expect(chosen.filter(has_text="Ada Consultant (ada@crosswalk.example)")).to_have_count(1)
    await expect(chosen.filter(has_text=alder.name)).to_have_count(1)


async def test_an_unexpected_error_is_shown_in_the_frame_and_logged(
    client: AsyncTestClient[Litestar],
    collaborators: AppCollaborators,
    database: Database,
    alder: TenantRef,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secretbox = collaborators.secretbox
    assert isinstance(secretbox, SecretBox)
    staff = await _make_staff(database, secretbox, PlatformRole.CONSULTANT, [alder])
    tab = await _chosen(client, staff, alder)

    async def broken(self: object, request: object) -> None:
        raise RuntimeError("a bug in a view")

    monkeypatch.setattr(TenantView, "get_object_for_details", broken)
    page = await tab.get(f"/admin/programme/details/{uuid.uuid4()}")
    assert page.status_code == 500
    assert "Something went wrong" in page.text
    assert "the error is logged" in page.text
    assert staff.email in page.text  # who is signed in: the frame
    assert 'id="tenant-select"' in page.text
    assert "Console home" in page.text
    assert "a bug in a view" not in page.text  # the details stay in the log
