"""A tenant's SSO settings: set by its HR admins (API) or a consultant (CLI); the secret stays secret."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from pathlib import Path

import httpx2
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from backend.app import build_secretbox
from backend.auth.principal import UserRole
from backend.errors import InvalidInputError
from backend.settings import Settings
from backend.sso.oidc import OidcError, RelyingParty
from backend.sso.outbound import GuardedTransport, ProviderUrlPolicy, RefusedUrlError, why_not_public
from backend.sso.schemas import IdentityProviderWrite
from backend.sso.service import IdentityProviderService
from tests.conftest import TenantFactory, TokenFactory, process_env
from tests.helpers import problem
from tests.sso.conftest import SsoTenant, provider_settings

CROSSWALK = Path(sys.executable).parent / "crosswalk"


async def test_the_secret_is_stored_encrypted_and_never_returned(
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
    sso_tenants: dict[str, SsoTenant],
    owner_engine: Engine,
    settings: Settings,
) -> None:
    a = sso_tenants["a"]
    response = await client.get("/api/v1/identity-provider", headers=auth(a.tenant, UserRole.HR_ADMIN))
    assert response.status_code == 200
    body = response.json()
    assert a.provider.client_secret not in response.text
    assert "client_secret" not in body
    assert body["client_secret_set"] is True
    assert body["issuer"] == a.provider.issuer
    assert body["allowed_domains"] == ["alpha.example"]
    assert body["redirect_uri"] == f"{settings.base_url}/auth/{a.tenant.slug}/callback"
    assert body["role_mapping"] == {"manager": ["leads"], "hr_admin": ["HR-Team"]}
    with owner_engine.connect() as connection:
        stored = connection.execute(
            text("SELECT client_secret_encrypted FROM control.identity_providers WHERE tenant_id = :t"),
            {"t": a.tenant.id},
        ).scalar_one()
    assert a.provider.client_secret not in stored
    assert stored.startswith("gAAAA")  # a Fernet token


async def test_only_hr_admins_see_or_change_the_settings(
    client: AsyncTestClient[Litestar], auth: TokenFactory, sso_tenants: dict[str, SsoTenant]
) -> None:
    a = sso_tenants["a"]
    employee = auth(a.tenant, UserRole.EMPLOYEE)
    problem(await client.get("/api/v1/identity-provider", headers=employee), 403)
    body = provider_settings(a.provider, a.domain)
    problem(await client.put("/api/v1/identity-provider", json=body, headers=employee), 403)


async def test_settings_that_cannot_work_are_refused(
    client: AsyncTestClient[Litestar], auth: TokenFactory, make_tenant: TenantFactory, sso_tenants: dict[str, SsoTenant]
) -> None:
    tenant = make_tenant()
    hr = auth(tenant, UserRole.HR_ADMIN)
    good = provider_settings(sso_tenants["a"].provider, "gamma.example")
    unreachable = {**good, "issuer": "http://127.0.0.1:9/nothing-here"}
    body = problem(await client.put("/api/v1/identity-provider", json=unreachable, headers=hr), 422)
    assert body["errors"][0]["field"] == "issuer"
    # A URL that no HTTP client can even request is refused the same way.
    garbled = {**good, "issuer": "https://\u00a3\u0117"}
    assert (
        problem(await client.put("/api/v1/identity-provider", json=garbled, headers=hr), 422)["errors"][0]["field"]
        == "issuer"
    )
    plain_http = {**good, "issuer": "http://idp.example.com"}
    assert "https" in problem(await client.put("/api/v1/identity-provider", json=plain_http, headers=hr), 422)["detail"]
    no_secret = {k: v for k, v in good.items() if k != "client_secret"}
    body = problem(await client.put("/api/v1/identity-provider", json=no_secret, headers=hr), 422)
    assert body["errors"][0]["field"] == "client_secret"
    problem(await client.put("/api/v1/identity-provider", json={**good, "allowed_domains": []}, headers=hr), 400)
    problem(await client.get("/api/v1/identity-provider", headers=hr), 404)


async def test_another_tenant_cannot_see_the_settings(
    client: AsyncTestClient[Litestar], auth: TokenFactory, sso_tenants: dict[str, SsoTenant]
) -> None:
    b_view = await client.get("/api/v1/identity-provider", headers=auth(sso_tenants["b"].tenant, UserRole.HR_ADMIN))
    assert b_view.json()["issuer"] == sso_tenants["b"].provider.issuer
    assert sso_tenants["a"].provider.client_secret not in b_view.text


def test_a_consultant_configures_sso_from_the_cli(
    settings: Settings, make_tenant: TenantFactory, sso_tenants: dict[str, SsoTenant], tmp_path: Path
) -> None:
    tenant = make_tenant()
    provider = sso_tenants["a"].provider
    env = {**process_env(settings, tmp_path), "SSO_CLIENT_SECRET": "from-the-environment"}
    args = [str(CROSSWALK), "sso", "configure", "--tenant", tenant.slug, "--issuer", provider.issuer]
    args += ["--client-id", "portal", "--allowed-domain", "delta.example", "--hr-group", "hr"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"/auth/{tenant.slug}/callback" in done.stdout
    assert "from-the-environment" not in done.stdout + done.stderr
    shown = subprocess.run(
        [str(CROSSWALK), "sso", "show", "--tenant", tenant.slug], env=env, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    assert provider.issuer in shown.stdout
    assert "from-the-environment" not in shown.stdout
    bad = subprocess.run(
        [*args[:6], "http://127.0.0.1:9", *args[7:]], env=env, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ")
    assert len(bad.stderr.strip().splitlines()) == 1


# Address forms that lead into the server's own networks or nowhere public: NAT64 and 6to4 of private
# IPv4, IPv4-mapped and -compatible, multicast, reserved, link-local, site-local, unique local, CGNAT,
# benchmarking, IETF protocol assignments, Teredo, the unspecified address. Every test below refuses
# them before any connection is attempted.
INTERNAL_ADDRESSES = [
    "224.0.0.1",
    "[ff02::1]",
    "[64:ff9b::a00:1]",
    "[64:ff9b::7f00:1]",
    "[64:ff9b:1::a00:1]",
    "[2002:a00:1::]",
    "[2002:7f00:1::]",
    "[::ffff:10.0.0.1]",
    "[::10.0.0.1]",
    "240.0.0.1",
    "255.255.255.255",
    "0.0.0.0",  # noqa: S104 - an address refused, not one bound
    "[::]",
    "100.64.0.1",
    "198.18.0.1",
    "192.0.0.8",
    "192.88.99.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "[fe80::1]",
    "[fec0::1]",
    "[fd00::1]",
    "[2001::1]",
    "[2001:db8::1]",
]


@pytest.mark.parametrize("host", INTERNAL_ADDRESSES)
async def test_provider_urls_into_internal_networks_are_refused(
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
    make_tenant: TenantFactory,
    sso_tenants: dict[str, SsoTenant],
    host: str,
) -> None:
    # The test app allows plain http on loopback (SSO_ALLOW_LOOPBACK_HTTP) and nothing more: no
    # environment lets a provider URL point at an internal address.
    tenant = make_tenant()
    settings = {**provider_settings(sso_tenants["a"].provider, "gamma.example"), "issuer": f"https://{host}"}
    body = problem(
        await client.put("/api/v1/identity-provider", json=settings, headers=auth(tenant, UserRole.HR_ADMIN)), 422
    )
    assert "not on the public internet" in body["detail"], body
    assert body["errors"][0]["field"] == "issuer"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        *((a.strip("[]"), False) for a in INTERNAL_ADDRESSES),
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        # NAT64 and 6to4 forms of a public IPv4 address are as public as it is.
        ("64:ff9b::808:808", True),
        ("2002:808:808::", True),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert (why_not_public(ipaddress.ip_address(address)) is None) is public


async def test_plain_http_only_on_loopback_and_only_where_the_setting_allows_it(
    sso_tenants: dict[str, SsoTenant],
) -> None:
    issuer = sso_tenants["a"].provider.issuer
    assert issuer.startswith("http://127.0.0.1:")
    assert Settings().sso_allow_loopback_http is False
    strict = RelyingParty(allow_loopback_http=False)
    allowing = RelyingParty(allow_loopback_http=True)
    try:
        with pytest.raises(OidcError, match="must be https"):
            await strict.discover(issuer)
        assert (await allowing.discover(issuer)).issuer == issuer
        # Allowed on loopback only: plain http elsewhere, even to a public address, stays refused.
        for url in ("http://93.184.215.14", "http://idp.example.com", "http://[2606:4700::1111]"):
            with pytest.raises(OidcError, match="must be https"):
                await allowing.discover(url)
    finally:
        await strict.aclose()
        await allowing.aclose()


async def test_the_host_is_resolved_once_and_the_checked_address_is_the_one_connected(
    sso_tenants: dict[str, SsoTenant],
) -> None:
    # A name whose answer changes between two look-ups (DNS rebinding): the first answer is checked and
    # connected to; a client that looked the name up again would get an address it never checked.
    port = httpx2.URL(sso_tenants["a"].provider.issuer).port
    assert port is not None
    answers = [["127.0.0.1"], ["192.168.7.7"]]
    looked_up: list[str] = []

    async def resolver(host: str, _port: int) -> list[str]:
        looked_up.append(host)
        return answers[min(len(looked_up), len(answers)) - 1]

    policy = ProviderUrlPolicy(allow_loopback_http=True, resolver=resolver)
    transport = GuardedTransport(policy, max_bytes=256 * 1024, timeout_seconds=5)
    async with httpx2.AsyncClient(transport=transport) as http:
        response = await http.get(f"http://localhost:{port}/.well-known/openid-configuration")
        assert response.status_code == 200
        assert response.json()["issuer"] == sso_tenants["a"].provider.issuer
        assert looked_up == ["localhost"]
        # The next request looks the name up again, once, and checks that answer before connecting.
        with pytest.raises(RefusedUrlError, match=r"not on the public internet \(192\.168\.7\.7"):
            await http.get(f"http://localhost:{port}/.well-known/openid-configuration")
        assert looked_up == ["localhost", "localhost"]


async def test_production_refuses_providers_inside_its_own_networks(
    settings: Settings, make_tenant: TenantFactory, sso_tenants: dict[str, SsoTenant]
) -> None:
    # The discovery check fetches the issuer URL, and logins fetch what its document names: in prod
    # only https to public hosts, so that an admin cannot point the server at its own networks.
    tenant = make_tenant()
    engine = create_async_engine(settings.owner_url)
    relying_party = RelyingParty(allow_loopback_http=False)
    try:
        async with AsyncSession(engine) as session:
            service = IdentityProviderService(session, tenant.id, build_secretbox(settings))
            local = provider_settings(sso_tenants["a"].provider, "epsilon.example")
            for issuer, words in (
                (local["issuer"], "https"),
                ("https://127.0.0.1:8443", "not on the public internet"),
                ("https://localhost", "not on the public internet"),
                ("https://10.1.2.3", "not on the public internet"),
                ("https://169.254.169.254", "not on the public internet"),
                ("https://[64:ff9b::a9fe:a9fe]", "not on the public internet"),
            ):
                document = msgspec.convert({**local, "issuer": issuer}, IdentityProviderWrite)
                with pytest.raises(InvalidInputError, match=words):
                    await service.configure(document, relying_party)
            assert await service.find() is None
    finally:
        await relying_party.aclose()
        await engine.dispose()
