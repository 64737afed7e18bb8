"""Real-browser helpers for the console's end-to-end tests: Chromium driven by Playwright, screenshots
as test artifacts, and sign-in through the platform's OpenID provider.

Playwright comes from PyPI (its wheel carries its own driver); the browser does not. We launch the
machine's Chromium by path ($CHROMIUM, or `chromium` on PATH: Debian's package), else the one that
`playwright install chromium` downloaded; `python3 infra/dev.py test` provides one of them. We use
Playwright's async API on pytest-asyncio's session event loop (every fixture and test of the suite runs
on that one loop, see pyproject's pytest options), so a session-wide browser
and per-test pages share the loop the tests await on; no thread is needed.
"""

from __future__ import annotations

import os
import re
import shutil
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, Playwright
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

REPO = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = REPO / "test-artifacts" / "console"

# Headless, and nothing that phones home: on a closed network Chromium's background connections
# (updates, sync, QUIC probes, Google lookups) are refused, many at a time, and slow every start.
# Playwright adds a new empty --user-data-dir of its own to every launch (it refuses one in `args`).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Only loopback resolves: a page's third-party asset (oidc-provider's pages import a Google font)
    # fails at once instead of waiting on the network, the same on every machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]

INSTALL_HINT = "run `python3 infra/dev.py test`, which installs one, or `sudo apt-get install chromium`"


class ChromiumMissingError(Exception):
    pass


def chromium_executable(playwright: Playwright) -> str:
    """$CHROMIUM if set (another Chromium or Chrome), else `chromium` on PATH, else Playwright's own."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        if not Path(configured).is_file():
            raise ChromiumMissingError(f"CHROMIUM={configured} is not a file")
        return configured
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path(playwright.chromium.executable_path).is_file():
        found = playwright.chromium.executable_path
    if found is None:
        raise ChromiumMissingError(f"the browser tests need Chromium, and none is installed: {INSTALL_HINT}")
    return found


async def launch_chromium(playwright: Playwright) -> Browser:
    return await playwright.chromium.launch(
        executable_path=chromium_executable(playwright), headless=True, args=CHROMIUM_FLAGS, timeout=60_000
    )


# --- screenshots -----------------------------------------------------------------------------------


@dataclass
class ShotFolder:
    """Where one test's screenshots go, numbered in the order they are taken."""

    folder: Path
    taken: int = 0

    def next_path(self, name: str) -> Path:
        self.taken += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / f"{self.taken:02d}-{_safe(name)}.png"


_FOLDERS: weakref.WeakKeyDictionary[Page, ShotFolder] = weakref.WeakKeyDictionary()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "page"


def artifact_folder(test_name: str) -> Path:
    return ARTIFACTS / _safe(test_name)


def attach_shots(page: Page, test_name: str) -> ShotFolder:
    """Screenshots of `page` go to test-artifacts/console/<test_name>/ (emptied first: one run's)."""
    folder = artifact_folder(test_name)
    if folder.exists():
        shutil.rmtree(folder)
    shots = ShotFolder(folder)
    _FOLDERS[page] = shots
    return shots


async def shot(page: Page, name: str) -> Path:
    """A full-page screenshot as test-artifacts/console/<test>/<nn>-<name>.png; returns its path."""
    shots = _FOLDERS.get(page)
    if shots is None:
        raise RuntimeError("shot() takes the `page` fixture's page (or one passed to attach_shots)")
    path = shots.next_path(name)
    await page.screenshot(path=path, full_page=True)
    return path


# --- the platform's OpenID provider (oidc-provider's development interaction pages) ---------------

# oidc-provider's development login form takes any password for a configured account.
ANY_PASSWORD = "any-password"
SIGN_IN_WITH = re.compile(r"Sign in with", re.IGNORECASE)
_LOGIN_FORM = 'form:has(input[name="login"])'
_CONSENT_FORM = 'form:has(input[name="prompt"][value="consent"])'


async def pass_provider(
    page: Page,
    login: str,
    *,
    back: Callable[[str], bool],
    password: str = ANY_PASSWORD,
    max_steps: int = 6,
) -> str:
    """From wherever the provider's authorization request led `page`, sign in as `login` (the dev
    login form accepts any password) and give consent if asked, until `back(url)` holds for the page's
    URL (the relying party's redirect URI or what it redirects to). Returns that URL."""
    for _ in range(max_steps):
        if back(page.url):
            return page.url
        before = page.url
        if await page.locator(_LOGIN_FORM).count():
            await page.locator(f'{_LOGIN_FORM} input[name="login"]').fill(login)
            await page.locator(f'{_LOGIN_FORM} input[name="password"]').fill(password)
            submit = page.locator(f'{_LOGIN_FORM} [type="submit"]')
            step = "login"
        elif await page.locator(_CONSENT_FORM).count():
            submit = page.locator(f'{_CONSENT_FORM} [type="submit"]')
            step = "consent"
        else:
            raise AssertionError(
                f"neither the provider's login or consent page, nor back: {page.url}: {await _text(page)}"
            )
        await submit.click()
        try:
            await page.wait_for_url(_moved_from(before), wait_until="load")
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"the provider's {step} page did not move on from {before}: {await _text(page)}"
            ) from None
    raise AssertionError(f"still not back after {max_steps} steps at the provider: {page.url}")


async def _text(page: Page, limit: int = 500) -> str:
    """What the page says, on one line, for failure messages."""
    try:
        text = await page.locator("body").inner_text(timeout=2_000)
    except Exception as exc:  # a page in the middle of navigating, or an error page without a body
        return f"(no text: {type(exc).__name__})"
    return " ".join(text.split())[:limit]


def _moved_from(before: str) -> Callable[[str], bool]:
    return lambda url: url != before


def _under(url: str, prefix: str) -> bool:
    return url == prefix or url.startswith((prefix + "/", prefix + "?"))


async def sign_in_with_idp(page: Page, base_url: str, login: str, *, password: str = ANY_PASSWORD) -> str:
    """Sign in to the console as `login` through the platform's OpenID provider, as a consultant does:
    /admin/login, the "Sign in with ..." button or link, the provider's login form (any password),
    consent if asked; returns the URL once the browser is back under {base_url}/admin. Where it
    landed (the console, or the sign-in page saying why not) is for the test to assert."""
    base_url = base_url.rstrip("/")
    login_url = f"{base_url}/admin/login"
    await page.goto(login_url)
    before = page.url
    button = page.get_by_role("button", name=SIGN_IN_WITH).or_(page.get_by_role("link", name=SIGN_IN_WITH)).first
    try:
        await button.click()
        # Off to the provider (or straight back, if it still has a session and the consent).
        await page.wait_for_url(_moved_from(before), wait_until="load")
    except PlaywrightTimeoutError:
        raise AssertionError(f"no way to the provider from {before}: {await _text(page)}") from None

    # A successful callback redirects (the browser never stays on it); a refused one shows the sign-in
    # page again, with the reason, at the callback's URL: both count as back.
    return await pass_provider(page, login, back=lambda url: _under(url, f"{base_url}/admin"), password=password)


async def confirm_idp_sign_out(page: Page, base_url: str) -> str:
    """On the provider's "Do you want to sign-out" page (where the console's logout sends the browser,
    RP-initiated logout), answer yes; returns the URL once the provider has sent the browser back
    under {base_url}/admin (its post-logout redirect URI, the console's sign-in page)."""
    base_url = base_url.rstrip("/")
    before = page.url
    yes = page.locator('button[name="logout"][value="yes"]')
    try:
        await yes.click()
        await page.wait_for_url(lambda url: url != before and _under(url, f"{base_url}/admin"), wait_until="load")
    except PlaywrightTimeoutError:
        raise AssertionError(
            f"the provider did not sign out and send the browser back: {page.url}: {await _text(page)}"
        ) from None
    return page.url


async def assert_accessible(page: Page) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    results = await Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}: {[n['target'] for n in v['nodes']]}" for v in serious
    )


async def shots_at_widths(page: Page, name: str) -> None:
    """The page at 820 px (a tablet) and at 1440 px wide, each checked by axe and saved as a shot."""
    for width in (820, 1440):
        await page.set_viewport_size({"width": width, "height": 900})
        await assert_accessible(page)
        await shot(page, f"{name}-{width}")
