"""The portal's end-to-end harness: the app served for real (`crosswalk serve`), a company whose
sign-in is a real OpenID provider on loopback (infra/idp, panva's oidc-provider, as in the SSO and
console tests), its people and openings matched (tests/matching/world.py), and Chromium driven by
Playwright, with axe-core checking every page.

Fixtures:
  portal         the served app, the company (`portal.tenant`, `portal.world`) and its provider
  browser        headless Chromium (the console tests' fixture); `page`: a fresh context and page per
                 test (1440 px wide)
  shots          screenshots of a page at 390 px and 1440 px under the test's tmp dir, artifacts/
Helpers: `sign_in(page, portal, login)`, `assert_accessible(page)`.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import Browser, ConsoleMessage, Page

from backend.auth.principal import UserRole
from backend.settings import Settings
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory, free_port, serve_app
from tests.console.browser import pass_provider
from tests.console.conftest import browser  # noqa: F401 - the session's Chromium, as the console tests use it
from tests.matching.world import World, build_world, recompute
from tests.sso.conftest import idp_installed, provider_settings, start_provider  # noqa: F401 - a fixture

# The company's people as its provider knows them (the login is the subject; any password). Ben's
# provider says he reads Dutch; Hm is the openings' hiring manager, to whom nothing is recommended, and
# signs in as a manager (Ana's manager: the provider puts him in `leads`, the group the company maps to
# the manager role); Hilde is HR.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "ana": {"email": "ana@example.com", "name": "Ana", "given_name": "Ana"},
    "ben": {"email": "ben@example.com", "name": "Ben", "given_name": "Ben", "locale": "nl-NL"},
    "hm": {"email": "hm@example.com", "name": "Hm", "groups": ["leads"]},
    # HR's admin: the provider puts her in `HR-Team`, the group the company maps to the HR role; her
    # first sign-in makes her an employee of the company (no role, no manager).
    "hilde": {"email": "hilde@example.com", "name": "Hilde", "given_name": "Hilde", "groups": ["HR-Team"]},
}
WIDTHS = {"phone": 390, "desktop": 1440}


@dataclass(frozen=True)
class Portal:
    base_url: str
    tenant: TenantRef
    world: World
    issuer: str
    server_log: Path


@pytest.fixture(scope="session")
async def portal(
    idp_installed: None,  # noqa: F811 - the fixture imported above
    settings: Settings,
    make_tenant: TenantFactory,
    database: Database,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Portal]:
    workdir = tmp_path_factory.mktemp("portal")
    tenant = make_tenant(f"portal_{secrets.token_hex(3)}", "Portal Haven")
    world = await build_world(database, tenant)
    await recompute(database, tenant)
    port = free_port()
    # The served app's address, which the provider's client registration names (its redirect URIs).
    served_settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    with ExitStack() as stack:
        provider = start_provider(stack, workdir, served_settings, tenant, ACCOUNTS)
        configured = await client.put(
            "/api/v1/identity-provider",
            json=provider_settings(provider, "example.com"),
            headers=auth(tenant, UserRole.HR_ADMIN),
        )
        assert configured.status_code == 200, configured.text
        served = stack.enter_context(
            serve_app(settings, workdir, port=port, extra_env={"PUBLIC_URL": served_settings.base_url})
        )
        yield Portal(served.base_url, tenant, world, provider.issuer, served.log)


@pytest.fixture
async def page(
    browser: Browser,  # noqa: F811 - the fixture imported above
    portal: Portal,
) -> AsyncIterator[Page]:
    """A page in a fresh context (own cookies). Every portal page must work under its
    Content-Security-Policy: a violation the browser reports on our pages fails the test."""
    # Reduced motion (Tabler then has no transitions): axe reads each control in its settled colours,
    # never half-way through a hover's fade (a button that came to lie under the pointer).
    context = await browser.new_context(
        viewport={"width": WIDTHS["desktop"], "height": 900}, locale="en-GB", reduced_motion="reduce"
    )
    context.set_default_timeout(15_000)
    context.set_default_navigation_timeout(30_000)
    opened = await context.new_page()
    violations: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text and message.location.get("url", "").startswith(portal.base_url):
            violations.append(f"{message.location.get('url')}: {message.text}")

    opened.on("console", note)
    yield opened
    await context.close()
    assert not violations, "\n".join(violations)


Shots = Callable[[Page, str], Awaitable[list[Path]]]


@pytest.fixture
def shots(tmp_path: Path) -> Shots:
    """`await shots(page, "name")`: full-page screenshots at 390 px and 1440 px wide, saved as
    <tmp_path>/artifacts/<nn>-<name>-<width>.png; the page is left at 1440 px."""
    folder = tmp_path / "artifacts"
    folder.mkdir()
    taken = 0

    async def take(page: Page, name: str) -> list[Path]:
        nonlocal taken
        taken += 1
        paths = []
        for label, width in WIDTHS.items():
            await page.set_viewport_size({"width": width, "height": 900})
            path = folder / f"{taken:02d}-{name}-{label}.png"
            await page.screenshot(path=path, full_page=True)
            assert path.stat().st_size > 0
            paths.append(path)
            if width == WIDTHS["phone"]:
                # Usable on a phone: nothing wider than the screen.
                scroll_width = await page.evaluate("document.documentElement.scrollWidth")
                assert scroll_width <= width, f"{name} is {scroll_width} px wide at {width} px"
        return paths

    return take


async def assert_accessible(page: Page) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    results = await Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}: {[(n['target'], n.get('failureSummary')) for n in v['nodes']]}"
        for v in serious
    )


async def sign_in(page: Page, portal: Portal, login: str) -> str:
    """Through the company's provider as `login`, from wherever the page was sent to it; returns the
    URL once the browser is back on the portal (not the callback, which always redirects)."""

    def back(url: str) -> bool:
        return url.startswith(portal.base_url) and "/callback" not in url

    return await pass_provider(page, login, back=back)
