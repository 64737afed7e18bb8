"""Real OpenID providers for the SSO tests: panva's oidc-provider (OpenID Certified) on loopback, one
per tenant, each with its own issuer and signing key, and a browser-less driver of its login pages."""

from __future__ import annotations

import json
import re
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis import Redis
from sqlalchemy import Engine, text

from backend.auth.principal import UserRole
from backend.demo.idp import DemoIdpUnavailableError, client_config, ensure_installed, local_provider
from backend.settings import Settings
from backend.sso.service import callback_url
from tenants.sessions import TenantRef
from tests.conftest import TenantFactory, TokenFactory


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class OpenIdProvider:
    issuer: str
    client_id: str
    client_secret: str
    key_file: Path

    def private_jwk(self) -> dict[str, Any]:
        key: dict[str, Any] = json.loads(self.key_file.read_text())
        return key


@pytest.fixture(scope="session")
def idp_installed() -> None:
    """`npm ci` in infra/idp once, as a newcomer's first test run does; Node.js is required."""
    try:
        ensure_installed()
    except DemoIdpUnavailableError as exc:
        pytest.fail(f"the SSO tests run the real OpenID provider: {exc}")


def start_provider(
    stack: ExitStack,
    workdir: Path,
    settings: Settings,
    tenant: TenantRef,
    accounts: dict[str, dict[str, Any]],
    *,
    client_metadata: dict[str, Any] | None = None,
    **options: Any,
) -> OpenIdProvider:
    """infra/idp/provider.mjs for `tenant`; `options` are more of its settings (see that file), and
    `client_metadata` more of the tenant's client registration there."""
    client_id, client_secret = f"crosswalk-{tenant.slug}", secrets.token_urlsafe(24)
    key_file = workdir / f"{tenant.slug}-key.json"
    config = {
        "port": _free_port(),
        "clients": [{**client_config(client_id, client_secret, settings.base_url, tenant), **(client_metadata or {})}],
        "accounts": accounts,
        "key_file": str(key_file),
        **options,
    }
    issuer = stack.enter_context(local_provider(config, workdir / f"{tenant.slug}-idp.json"))
    return OpenIdProvider(issuer, client_id, client_secret, key_file)


@dataclass
class SsoTenant:
    tenant: TenantRef
    provider: OpenIdProvider
    domain: str


ACCOUNTS_A = {
    "alice": {"email": "alice@alpha.example", "name": "Alice Archer", "groups": ["hr-team"]},
    "adam": {"email": "Adam@Alpha.example", "name": "Adam Ames", "groups": ["staff"]},
    "mallory": {"email": "mallory@evil.example", "name": "Mallory", "groups": ["hr-team"]},
    "known": {"email": "known.person@alpha.example", "name": "Known Person"},
    "gone": {"email": "gone@alpha.example", "name": "Gone Person"},
    "leaver": {"email": "leaver@alpha.example", "name": "Lee Leaver", "groups": ["hr-team"]},
    "quitter": {"email": "quitter@alpha.example", "name": "Quinn Quitter"},
    "newcomer": {"email": "newcomer@alpha.example", "name": "Nia Newcomer"},
    # Accounts that claim Alice's address: unverified, or a second account of the same provider.
    "eve": {"email": "alice@alpha.example", "email_verified": False, "name": "Eve"},
    "eve_null": {"email": "alice@alpha.example", "email_verified": None, "name": "Eve"},
    "eve_verified": {"email": "alice@alpha.example", "name": "Eve"},
}
ACCOUNTS_B = {"bob": {"email": "bob@beta.example", "name": "Bob Baker", "groups": ["leads"]}}


def provider_settings(provider: OpenIdProvider, domain: str) -> dict[str, Any]:
    return {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "allowed_domains": [domain],
        "role_mapping": {"hr_admin": ["HR-Team"], "manager": ["leads"]},
    }


@pytest.fixture(scope="session")
async def sso_tenants(
    idp_installed: None,
    settings: Settings,
    make_tenant: TenantFactory,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[dict[str, SsoTenant]]:
    workdir = tmp_path_factory.mktemp("idp")
    tenants: dict[str, SsoTenant] = {}
    with ExitStack() as stack:
        for name, accounts, domain in (("a", ACCOUNTS_A, "alpha.example"), ("b", ACCOUNTS_B, "beta.example")):
            tenant = make_tenant(f"sso_{name}_{secrets.token_hex(3)}")
            provider = start_provider(stack, workdir, settings, tenant, accounts)
            headers = auth(tenant, UserRole.HR_ADMIN)
            response = await client.put(
                "/api/v1/identity-provider", json=provider_settings(provider, domain), headers=headers
            )
            assert response.status_code == 200, response.text
            tenants[name] = SsoTenant(tenant, provider, domain)
        yield tenants


class AppTab:
    """Our app as one browser sees it: the session's test client (the app runs in its event loop),
    with this browser's own cookie jar swapped in for each request. Like a browser on one of our pages,
    it sends our origin (`origin`) with every POST, PUT, PATCH and DELETE unless told otherwise."""

    def __init__(self, client: AsyncTestClient[Litestar], origin: str) -> None:
        self._client = client
        self.cookies = httpx.Cookies()
        self.origin = origin

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            kwargs["headers"] = {"Origin": self.origin, **(kwargs.get("headers") or {})}
        saved = httpx.Cookies(self._client.cookies)
        self._client.cookies = self.cookies
        try:
            return await self._client.request(method, url, follow_redirects=False, **kwargs)
        finally:
            self.cookies = httpx.Cookies(self._client.cookies)
            self._client.cookies = saved

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)


class BrowserlessLogin:
    """Plays the browser between our app (its own cookie jar) and the provider (plain HTTP, with the
    provider's cookies), following redirects by hand so that each hop can be inspected or altered."""

    def __init__(self, client: AsyncTestClient[Litestar], sso: SsoTenant, base_url: str) -> None:
        self.app = AppTab(client, base_url)
        self.sso = sso
        self.base_url = base_url
        self.idp = httpx.AsyncClient(follow_redirects=False, timeout=10)

    async def aclose(self) -> None:
        await self.idp.aclose()

    def _callback_prefix(self) -> str:
        return callback_url(self.base_url, self.sso.tenant.slug) + "?"

    async def start(self, return_to: str | None = None) -> str:
        params = {"return_to": return_to} if return_to else None
        response = await self.app.get(f"/auth/{self.sso.tenant.slug}/login", params=params)
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        assert location.startswith(self.sso.provider.issuer + "/auth?")
        return location

    async def sign_in_at_provider(self, authorize_url: str, login: str) -> dict[str, str]:
        """The query of the provider's redirect back to our callback: code, state and iss."""
        url = authorize_url
        for _ in range(12):
            if url.startswith(self._callback_prefix()):
                return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
            response = await self.idp.get(url)
            if response.status_code in (302, 303):
                url = urljoin(url, response.headers["location"])
                continue
            assert response.status_code == 200, response.text
            action = re.search(r'action="([^"]+)"', response.text)
            assert action is not None, response.text
            form_action = urljoin(url, action.group(1))
            if 'name="login"' in response.text:
                data = {"prompt": "login", "login": login, "password": "any"}
            else:
                data = {"prompt": "consent"}
            posted = await self.idp.post(form_action, data=data)
            assert posted.status_code in (302, 303), posted.text
            url = urljoin(form_action, posted.headers["location"])
        raise AssertionError("the provider's login did not come back to the callback")

    async def callback(self, params: dict[str, str], slug: str | None = None) -> httpx.Response:
        return await self.app.get(f"/auth/{slug or self.sso.tenant.slug}/callback", params=params)

    async def login(self, login: str) -> httpx.Response:
        return await self.callback(await self.sign_in_at_provider(await self.start(), login))


Browser = Callable[..., Awaitable[BrowserlessLogin]]


@pytest.fixture
async def browser(
    client: AsyncTestClient[Litestar], settings: Settings, sso_tenants: dict[str, SsoTenant]
) -> AsyncIterator[Browser]:
    """Opens fresh browsers (own cookie jars) for tenant "a" or "b", or another SsoTenant; closed after the test."""
    drivers: list[BrowserlessLogin] = []

    async def open_browser(name: str | SsoTenant = "a") -> BrowserlessLogin:
        sso = name if isinstance(name, SsoTenant) else sso_tenants[name]
        driver = BrowserlessLogin(client, sso, settings.base_url)
        drivers.append(driver)
        return driver

    yield open_browser
    for driver in drivers:
        await driver.aclose()


def counts(owner_engine: Engine, tenant: TenantRef) -> tuple[int, int]:
    """(employees, identity links) in the tenant's schema."""
    with owner_engine.connect() as connection:
        employees = connection.execute(text(f'SELECT count(*) FROM "{tenant.schema_name}".employees')).scalar_one()
        links = connection.execute(
            text(f'SELECT count(*) FROM "{tenant.schema_name}".employee_identities')
        ).scalar_one()
    return int(employees), int(links)


def live_sessions(settings: Settings, tenant: TenantRef) -> int:
    """Portal sessions of the tenant in Redis (read with a client of the test's own)."""
    redis = Redis.from_url(str(settings.redis_url))
    try:
        return sum(
            1
            for key in redis.scan_iter(match="crosswalk:portal-session:*", count=500)
            if (raw := redis.get(key)) is not None and json.loads(raw)["tenant_slug"] == tenant.slug
        )
    finally:
        redis.close()


class Observed:
    """What a failed login must leave unchanged: employees, identity links and sessions."""

    def __init__(self, owner_engine: Engine, settings: Settings, sso: SsoTenant) -> None:
        self.owner_engine, self.settings, self.sso = owner_engine, settings, sso
        self.before = self.snapshot()

    def snapshot(self) -> tuple[int, int, int]:
        employees, links = counts(self.owner_engine, self.sso.tenant)
        return employees, links, live_sessions(self.settings, self.sso.tenant)

    def assert_refused(self, response: httpx.Response, status: int, words: str) -> None:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert words in response.json()["detail"]
        assert not any(h.startswith("crosswalk_session=") for h in response.headers.get_list("set-cookie"))
        assert self.snapshot() == self.before
