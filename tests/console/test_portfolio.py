"""The portfolio page in Chromium, as a consultant with two client companies assigned and one not:
the figures, a flag appearing when its cause is set, sorting, the CSV's rows, the unassigned company
absent; axe-core; screenshots at 820 and 1440 px."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Locator, Page
from sqlalchemy import Engine

from admin.models import PlatformRole
from admin.users import PlatformUserService
from backend.app import AppCollaborators
from backend.auth.secretbox import SecretBox
from backend.core.changes import note_change
from backend.core.jobs.models import JobStatus, PlatformJob
from backend.scim.models import ScimToken
from tenants.models import TenantStatus
from tenants.provisioning import RoleNames, set_status
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory
from tests.console.browser import shot, sign_in_with_idp
from tests.console.conftest import CONSULTANTS, ConsoleServer, ensure_consultant
from tests.mentoring.seed import seed_org


async def assert_accessible(page: Page) -> None:
    """axe-core on the portfolio's card: no serious or critical violation. (SQLAdmin's own frame, the
    sidebar's menu, has violations of its own, on every console page: see docs/console.md.)"""
    results = await Axe().run(page, context="#portfolio-card")
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}: {[n['target'] for n in v['nodes']]}" for v in serious
    )


def _row(page: Page, tenant: TenantRef) -> Locator:
    return page.locator(f'#portfolio tbody tr[data-slug="{tenant.slug}"]')


async def _figure(page: Page, tenant: TenantRef, figure: str) -> str:
    return (
        await page.locator(f'#portfolio tbody tr[data-slug="{tenant.slug}"] [data-figure="{figure}"]').inner_text()
    ).strip()


@dataclass(frozen=True)
class Portfolio:
    """Ada runs Oak (three people) and Pine (two), and ran Ash (archived); Elm is not hers."""

    oak: TenantRef
    pine: TenantRef
    elm: TenantRef
    ash: TenantRef
    tag: str


@pytest.fixture(scope="module")
async def portfolio(
    collaborators: AppCollaborators,
    database: Database,
    make_tenant: TenantFactory,
    owner_engine: Engine,
    roles: RoleNames,
) -> Portfolio:
    tag = secrets.token_hex(3)
    oak = make_tenant(f"oak_{tag}", f"Oak Foods {tag}")
    pine = make_tenant(f"pine_{tag}", f"Pine Media {tag}")
    elm = make_tenant(f"elm_{tag}", f"Elm Secret {tag}")
    ash = make_tenant(f"ash_{tag}", f"Ash Archive {tag}")
    secretbox = collaborators.secretbox
    assert isinstance(secretbox, SecretBox)
    await ensure_consultant(database, secretbox, "ada", PlatformRole.CONSULTANT)
    async with database.control_session() as session, session.begin():
        users = PlatformUserService(session, secretbox)
        await users.assign(CONSULTANTS["ada"]["email"], oak.id, by="test")
        await users.assign(CONSULTANTS["ada"]["email"], pine.id, by="test")
        await users.assign(CONSULTANTS["ada"]["email"], ash.id, by="test")
    await seed_org(database, oak, managers=[None, 0, 0], departments=[0, 0, 0], levels={}, skills=0, tag=f"o{tag}")
    await seed_org(database, pine, managers=[None, 0], departments=[0, 0], levels={}, skills=0, tag=f"p{tag}")
    await seed_org(database, elm, managers=[None], departments=[0], levels={}, skills=0, tag=f"e{tag}")
    set_status(owner_engine, roles, ash.slug, TenantStatus.ARCHIVED)
    return Portfolio(oak, pine, elm, ash, tag)


async def test_a_consultant_reads_their_portfolio(
    page: Page, console_server: ConsoleServer, portfolio: Portfolio, database: Database
) -> None:
    oak, pine, elm = portfolio.oak, portfolio.pine, portfolio.elm
    base = console_server.base_url
    await page.set_viewport_size({"width": 1440, "height": 900})
    landed = await sign_in_with_idp(page, base, "ada")
    # A consultant lands on the portfolio.
    assert landed.startswith(f"{base}/admin/portfolio")
    table = page.locator("#portfolio")
    assert await _row(page, oak).count() == 1
    assert await _row(page, pine).count() == 1
    # An archived company is listed with its status, without figures (its data is out of reach).
    assert await _figure(page, portfolio.ash, "people") == ""
    assert "archived" in await _row(page, portfolio.ash).inner_text()
    # The company not assigned to Ada is not there.
    assert elm.slug not in await table.inner_text()
    assert await _figure(page, oak, "people") == "3"
    assert await _figure(page, pine, "people") == "2"
    assert await _figure(page, oak, "open_openings") == "0"
    assert await _figure(page, oak, "mobility_rate") == "0.0%"
    assert await _figure(page, oak, "fill_rate") == ""  # no opening settled in the period
    assert await _figure(page, oak, "mentoring_rate") == "0.0%"
    assert await _figure(page, oak, "last_activity") != ""
    # Neither has an identity provider; nothing else needs attention yet.
    for tenant in (oak, pine):
        assert await _figure(page, tenant, "flags") == "SSO not configured"
    await assert_accessible(page)
    await shot(page, "portfolio-1440")

    # Causes set: Oak's recommendations go stale; Pine gets a SCIM token nobody used and a failed job.
    async with database.tenant_session(oak) as session, session.begin():
        await note_change(session, "employee.changed")
    async with database.control_session() as session, session.begin():
        session.add(
            ScimToken(
                tenant_id=pine.id,
                name="Okta",
                token_hash=secrets.token_hex(32),
                token_prefix="cw_scim_",
                created_by="test",
            )
        )
        session.add(
            PlatformJob(kind="tenants.status", tenant_id=pine.id, arguments={}, status=JobStatus.FAILED, error="test")
        )
    await page.reload()
    oak_flags = await _figure(page, oak, "flags")
    assert "Recommendations stale" in oak_flags
    assert "SCIM token never used" not in oak_flags
    pine_flags = await _figure(page, pine, "flags")
    assert "SCIM token never used" in pine_flags
    assert "Platform job failed" in pine_flags
    assert "Recommendations stale" not in pine_flags

    # Sorting by people: smallest first (Pine, 2, before Oak, 3), then largest first.
    await page.get_by_role("link", name="People").click()
    await page.wait_for_url("**sort=people&order=asc")
    assert await page.locator('#portfolio th[aria-sort="ascending"]').inner_text() == "People ▲"
    slugs = await page.locator("#portfolio tbody tr").evaluate_all("rows => rows.map(r => r.dataset.slug)")
    assert slugs.index(pine.slug) < slugs.index(oak.slug)
    await page.get_by_role("link", name="People").click()
    await page.wait_for_url("**sort=people&order=desc")
    assert await page.locator('#portfolio th[aria-sort="descending"]').count() == 1
    slugs = await page.locator("#portfolio tbody tr").evaluate_all("rows => rows.map(r => r.dataset.slug)")
    assert slugs.index(oak.slug) < slugs.index(pine.slug)

    # The CSV: the same rows and figures, in the same order.
    response = await page.request.get(f"{base}/admin/portfolio.csv?sort=people&order=desc")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    by_slug = {r["Slug"]: r for r in rows}
    assert elm.slug not in by_slug
    assert by_slug[oak.slug]["People"] == "3"
    assert by_slug[pine.slug]["People"] == "2"
    assert by_slug[oak.slug]["Client company"] == oak.name
    assert "Recommendations stale" in by_slug[oak.slug]["Needs attention"]
    assert "Platform job failed" in by_slug[pine.slug]["Needs attention"]
    order = [r["Slug"] for r in rows]
    assert order.index(oak.slug) < order.index(pine.slug)

    # At tablet width the page still works: the table scrolls in its card, nothing overflows the page.
    await page.set_viewport_size({"width": 820, "height": 1000})
    await page.reload()
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    await assert_accessible(page)
    await shot(page, "portfolio-820")


async def test_lists_export_as_csv_with_the_lists_scoping(
    page: Page, console_server: ConsoleServer, portfolio: Portfolio
) -> None:
    oak, pine, elm, tag = portfolio.oak, portfolio.pine, portfolio.elm, portfolio.tag
    base = console_server.base_url
    await sign_in_with_idp(page, base, "ada")
    await page.locator("#tenant-select").select_option(oak.slug)
    await page.wait_for_url("**/admin/dashboard")
    await page.goto(f"{base}/admin/employee/list")
    await shot(page, "employees-list-with-export")

    # A tenant list: Oak's people, by name, their org unit by name, ISO dates; nobody of Pine or Elm.
    response = await page.request.get(f"{base}/admin/employee/export/csv")
    assert response.status == 200
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert sorted(r["Full name"] for r in rows) == ["Person 0", "Person 1", "Person 2"]
    assert sorted(r["Email"] for r in rows) == [f"p{i}.o{tag}@example.com" for i in range(3)]
    assert {r["Org unit"] for r in rows} == {f"Team 0 o{tag}"}
    text = await response.text()
    assert f"p{tag}@" not in text
    assert f"e{tag}@" not in text

    # A control list: the client companies, Oak and Pine only.
    response = await page.request.get(f"{base}/admin/tenant/export/csv")
    assert response.status == 200
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    slugs = {r["Slug"] for r in rows}
    assert {oak.slug, pine.slug} <= slugs
    assert elm.slug not in slugs
    created = next(r["Created at"] for r in rows if r["Slug"] == oak.slug)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", created)
