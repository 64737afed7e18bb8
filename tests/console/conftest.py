"""The console's end-to-end harness: the app served for real with a Dramatiq worker, the platform's own
OpenID provider (panva's oidc-provider on loopback), and Chromium driven by Playwright, with
screenshots of every test kept under test-artifacts/console/.

Fixtures:
  console_server     the app (`crosswalk serve`) and a worker for the run's database, with the console's
                     sign-in set to `platform_idp` (session-scoped)
  platform_idp       the platform's OpenID provider with a client for the console and CONSULTANTS
  browser            headless Chromium (session-scoped); `page`: a fresh context and page per test
Helpers (tests/console/browser.py): `await shot(page, "name")`, `await sign_in_with_idp(page, base_url, login)`,
`await confirm_idp_sign_out(page, base_url)` (the provider's sign-out question after the console's logout).

The console's server and worker live for the rest of the run, harmlessly: they use a broker namespace
of their own (the run's is consumed by tests/worker's in-process worker, whose test actors this worker
does not know, and which must not take the console's jobs either). No scheduler runs beside them:
every scheduler of a database competes for one lock, which tests/worker's scheduler tests need to win,
and the console's jobs go to the broker straight from the request.
"""

from __future__ import annotations

import secrets
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy import select

from admin.models import ConsultantAssignment, PlatformRole, PlatformUser
from admin.users import PlatformUserService
from backend.app import AppCollaborators
from backend.auth.secretbox import SecretBox
from backend.demo.idp import DemoIdpUnavailableError, ensure_installed, local_provider
from backend.settings import Settings
from tenants.models import Tenant
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, free_port, log_tail, process_env, serve_app
from tests.console.browser import (
    ChromiumMissingError,
    ShotFolder,
    artifact_folder,
    attach_shots,
    launch_chromium,
    shot,
)
from tests.worker.processes import WORKER, Process, running

# The platform's consultants, as its OpenID provider knows them (login -> claims; the login is the
# subject). Any password signs them in.
CONSULTANTS: dict[str, dict[str, Any]] = {
    "ada": {"email": "ada@crosswalk.example", "name": "Ada Consultant"},
    "sam": {"email": "sam@crosswalk.example", "name": "Sam Superadmin"},
    "carl": {"email": "carl@crosswalk.example", "name": "Carl Consultant"},
}
CONSOLE_CLIENT_ID = "crosswalk-console"


async def ensure_consultant(database: Database, secretbox: SecretBox, login: str, role: PlatformRole) -> None:
    """The platform user of `login` (CONSULTANTS), made unless an earlier test made them: the logins are
    the provider's, so every console test that signs in as Ada shares her (tests run in any order)."""
    async with database.control_session() as session, session.begin():
        email = CONSULTANTS[login]["email"]
        if await session.scalar(select(PlatformUser).where(PlatformUser.email == email)) is None:
            await PlatformUserService(session, secretbox).create(email, CONSULTANTS[login]["name"], role)


async def client_company_of_ada(
    collaborators: AppCollaborators, database: Database, make_tenant: TenantFactory, slug: str, name: str
) -> TenantRef:
    """A new client company assigned to Ada (the console's other browser tests may have made Ada already)."""
    tenant = make_tenant(slug, name)
    secretbox = collaborators.secretbox
    assert isinstance(secretbox, SecretBox)
    await ensure_consultant(database, secretbox, "ada", PlatformRole.CONSULTANT)
    async with database.control_session() as session, session.begin():
        await PlatformUserService(session, secretbox).assign(CONSULTANTS["ada"]["email"], tenant.id, by="test")
    return tenant


async def assigned_to(database: Database, login: str) -> set[str]:
    """The slugs of the client companies assigned to `login` now (what their tenant switcher lists)."""
    async with database.control_session() as session:
        rows = await session.scalars(
            select(Tenant.slug)
            .join(ConsultantAssignment, ConsultantAssignment.tenant_id == Tenant.id)
            .join(PlatformUser, PlatformUser.id == ConsultantAssignment.platform_user_id)
            .where(PlatformUser.email == CONSULTANTS[login]["email"])
        )
        return set(rows.all())


@dataclass(frozen=True)
class PlatformIdp:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str
    accounts: dict[str, dict[str, Any]]
    key_file: Path


@dataclass(frozen=True)
class ConsoleServer:
    base_url: str
    idp: PlatformIdp
    broker_namespace: str
    # The environment of its processes: a `crosswalk` command run with it works on the same servers.
    env: dict[str, str] = field(repr=False)
    server_log: Path
    worker_log: Path

    @property
    def logs(self) -> dict[str, Path]:
        return {"server": self.server_log, "worker": self.worker_log}

    def log_tails(self, lines: int = 30) -> str:
        return "\n".join(f"--- {name} ({path})\n{log_tail(path, lines)}" for name, path in self.logs.items())


# --- the servers ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def console_base_url() -> str:
    """Where the console will be served: chosen first, since the provider's client registration (its
    redirect URIs) must name it before the app, which discovers the provider, starts."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def platform_idp(console_base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformIdp]:
    """infra/idp/provider.mjs (Node.js) with a client for the console and the CONSULTANTS accounts."""
    workdir = tmp_path_factory.mktemp("platform-idp")
    client_secret = secrets.token_urlsafe(24)
    redirect_uri = f"{console_base_url}/admin/auth/callback"
    post_logout_redirect_uri = f"{console_base_url}/admin/login"
    console_port = urlsplit(console_base_url).port
    port = free_port()
    while port == console_port:  # the console's port is chosen but not bound yet
        port = free_port()
    config = {
        "port": port,
        "clients": [
            {
                "client_id": CONSOLE_CLIENT_ID,
                "client_secret": client_secret,
                "redirect_uris": [redirect_uri],
                "post_logout_redirect_uris": [post_logout_redirect_uri],
            }
        ],
        "accounts": CONSULTANTS,
        "key_file": str(workdir / "platform-idp-key.json"),
    }
    with ExitStack() as stack:
        unavailable = None
        try:
            ensure_installed()
            issuer = stack.enter_context(local_provider(config, workdir / "platform-idp.json"))
        except DemoIdpUnavailableError as exc:
            unavailable = str(exc)
        if unavailable is not None:
            pytest.fail(f"the console tests run the platform's OpenID provider: {unavailable}", pytrace=False)
        yield PlatformIdp(
            issuer=issuer,
            client_id=CONSOLE_CLIENT_ID,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            post_logout_redirect_uri=post_logout_redirect_uri,
            accounts=CONSULTANTS,
            key_file=workdir / "platform-idp-key.json",
        )


@pytest.fixture(scope="session")
def console_server(
    settings: Settings, platform_idp: PlatformIdp, console_base_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleServer]:
    """The app served by `crosswalk serve` at `console_base_url`, its sign-in set to `platform_idp`, with
    a real worker (`crosswalk worker`) on the same database and broker namespace, so
    that jobs asked for in the console run."""
    workdir = tmp_path_factory.mktemp("console")
    namespace = f"{settings.broker_namespace}.console"
    extra = {
        "PUBLIC_URL": console_base_url,
        "CONSOLE_OIDC_ISSUER": platform_idp.issuer,
        "CONSOLE_OIDC_CLIENT_ID": platform_idp.client_id,
        "CONSOLE_OIDC_CLIENT_SECRET": platform_idp.client_secret,
        "BROKER_NAMESPACE": namespace,
        "TENANT_CACHE_SECONDS": "0",
        # Requests and jobs in the logs: what a failing test's report shows.
        "LOG_LEVEL": "INFO",
    }
    env = {**process_env(settings, workdir), **extra}
    port = urlsplit(console_base_url).port
    assert port is not None
    with ExitStack() as stack:
        # The worker boots while the server starts, and stops after it.
        worker = stack.enter_context(running(WORKER, env, workdir / "worker.log"))
        stack.callback(_stop_dramatiq, worker)
        served = stack.enter_context(serve_app(settings, workdir, port=port, extra_env=extra))
        if worker.popen.poll() is not None:
            pytest.fail(f"the console's worker exited; the tail of {worker.log}:\n{log_tail(worker.log)}")
        yield ConsoleServer(
            base_url=served.base_url,
            idp=platform_idp,
            broker_namespace=namespace,
            env=env,
            server_log=served.log,
            worker_log=worker.log,
        )


def _stop_dramatiq(process: Process, timeout: float = 15.0) -> None:
    """SIGTERM to Dramatiq's main process alone, which stops its worker processes gracefully (about 3 s).
    `running` signals the whole process group, so each worker process gets SIGTERM twice, and
    Dramatiq's second-signal path ("Killing worker process...") hangs until the SIGKILL 20 s later."""
    if process.popen.poll() is None:
        process.popen.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):  # `running` then kills the group
            process.popen.wait(timeout=timeout)


# --- the browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium; without one the browser tests fail (never skip) and say how to get it."""
    async with async_playwright() as playwright:
        try:
            launched = await launch_chromium(playwright)
        except ChromiumMissingError as exc:
            missing = str(exc)
        else:
            yield launched
            await launched.close()
            return
    pytest.fail(missing, pytrace=False)  # outside the except: one line, not the exception twice


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_SHOTS = pytest.StashKey[ShotFolder]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keeps each phase's report on the test (the `page` fixture looks for a failure), and adds to a
    failed test's report where its screenshots are and the tail of the console server's logs (which
    are also copied next to the screenshots)."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    if report.failed and report.when in ("setup", "call"):
        folder = artifact_folder(item.name)
        if _SHOTS in item.stash:
            report.sections.append(("console artifacts", f"screenshots, a last one of the failure: {folder}"))
        server = getattr(item, "funcargs", {}).get("console_server")
        if isinstance(server, ConsoleServer):
            folder.mkdir(parents=True, exist_ok=True)
            for path in server.logs.values():
                if path.exists():
                    shutil.copy(path, folder / path.name)
            report.sections.append(("console server logs", server.log_tails()))
    return report


def _failed(item: pytest.Item) -> bool:
    return any(report.failed for report in item.stash.get(_REPORTS, {}).values())


@pytest.fixture
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A page in a fresh browser context (own cookies and storage) for one test; its screenshots (and
    one more if the test fails, with the browser's console) go to test-artifacts/console/<test>/."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.set_default_navigation_timeout(30_000)
    opened = await context.new_page()
    request.node.stash[_SHOTS] = attach_shots(opened, request.node.name)
    events: list[str] = []
    opened.on("console", lambda message: events.append(f"console.{message.type}: {message.text}"))
    opened.on("pageerror", lambda error: events.append(f"pageerror: {error}"))
    opened.on("requestfailed", lambda r: events.append(f"requestfailed: {r.method} {r.url} ({r.failure})"))
    try:
        yield opened
    finally:
        if _failed(request.node):
            try:
                await shot(opened, "failure")
            except Exception as exc:  # a crashed page: the report still says what failed
                events.append(f"no failure screenshot: {exc}")
            folder = artifact_folder(request.node.name)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "browser.log").write_text("\n".join([f"last URL: {opened.url}", *events]) + "\n")
        await context.close()
