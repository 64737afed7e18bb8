"""Who a sign-in is, through the real OpenID provider: lookalike emails and group names, the provider's
trust in its own email addresses, and the caps on what a provider may send.

The company here ("gamma") maps the group HR-Desk to hr_admin and People-Leads to manager. Its
provider's accounts claim addresses and groups that only look like Kim's address and those groups:
the Kelvin sign K (U+212A), which Unicode case folding turns into k, the long s (U+017F), which it
turns into s, Cyrillic and fullwidth letters, the dotless i, and an address with two @.
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text

from backend.auth.principal import UserRole
from backend.settings import Settings
from tests.conftest import TenantFactory, TokenFactory, process_env
from tests.helpers import problem
from tests.sso.conftest import Browser, Observed, SsoTenant, provider_settings, start_provider

CROSSWALK = Path(sys.executable).parent / "crosswalk"
DOMAIN = "gamma.example"
KIM = f"kim.desk@{DOMAIN}"
MAPPING = {"hr_admin": ["HR-Desk"], "manager": ["People-Leads"]}


def _crowd(count: int) -> list[str]:
    return [f"a-rather-long-group-name-number-{n:05d}" for n in range(count)]


ACCOUNTS: dict[str, dict[str, Any]] = {
    "kim": {"email": KIM, "name": "Kim Desk", "groups": ["staff"]},
    # Groups: ASCII case differences are still the same group; lookalikes are not.
    "casey": {"email": f"casey@{DOMAIN}", "name": "Casey", "groups": ["hr-DESK"]},
    "kelvin_group": {"email": f"kelvin.group@{DOMAIN}", "name": "K G", "groups": ["HR-Des\u212a"]},
    "long_s_group": {"email": f"long.s.group@{DOMAIN}", "name": "L G", "groups": ["People-Lead\u017f"]},
    "cyrillic_group": {"email": f"cyrillic.group@{DOMAIN}", "name": "C G", "groups": ["HR-D\u0435sk"]},
    "fullwidth_group": {"email": f"fullwidth.group@{DOMAIN}", "name": "F G", "groups": ["\uff28\uff32-Desk"]},
    # Addresses that look like Kim's, or are malformed.
    "kelvin_email": {"email": f"\u212aim.desk@{DOMAIN}", "name": "Not Kim"},
    "cyrillic_domain": {"email": "kim.desk@gamma.exampl\u0435", "name": "Not Kim"},
    "cyrillic_email": {"email": f"kim.d\u0435sk@{DOMAIN}", "name": "Not Kim"},
    "fullwidth_email": {"email": f"\uff4bim.desk@{DOMAIN}", "name": "Not Kim"},
    "dotless_email": {"email": f"k\u0131m.desk@{DOMAIN}", "name": "Not Kim"},
    "long_s_email": {"email": f"kim.de\u017fk@{DOMAIN}", "name": "Not Kim"},
    "two_at": {"email": f"kim.desk@evil.example@{DOMAIN}", "name": "Not Kim"},
    # Providers that do not assert email_verified (Entra ID sends no such claim), or deny it.
    "silent": {"email": f"sam.silent@{DOMAIN}", "name": "Sam Silent", "sends_email_verified": False},
    "silent_kim": {"email": KIM, "name": "Not Kim", "sends_email_verified": False},
    "edov": {"email": f"eddie@{DOMAIN}", "name": "Eddie", "sends_email_verified": False, "xms_edov": True},
    "edov_false": {"email": f"edna@{DOMAIN}", "name": "Edna", "sends_email_verified": False, "xms_edov": False},
    "unverified": {"email": f"uma@{DOMAIN}", "name": "Uma", "email_verified": False},
    "unverified_kim": {"email": KIM, "name": "Not Kim", "email_verified": False},
    # id_tokens too large: over the id_token's cap, and over the cap of any answer of a provider.
    "crowded": {"email": f"crowded@{DOMAIN}", "name": "Crowded", "groups": _crowd(2_500)},
    "very_crowded": {"email": f"very.crowded@{DOMAIN}", "name": "Very Crowded", "groups": _crowd(8_000)},
}


@pytest.fixture(scope="module")
async def gamma(
    idp_installed: None,
    settings: Settings,
    make_tenant: TenantFactory,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[SsoTenant]:
    workdir = tmp_path_factory.mktemp("idp-gamma")
    with ExitStack() as stack:
        tenant = make_tenant(f"sso_g_{secrets.token_hex(3)}")
        provider = start_provider(stack, workdir, settings, tenant, ACCOUNTS)
        gamma = SsoTenant(tenant, provider, DOMAIN)
        response = await client.put("/api/v1/identity-provider", json=settings_of(gamma), headers=hr(auth, gamma))
        assert response.status_code == 200, response.text
        kim = {"email": KIM, "full_name": "Kim Desk"}
        created = await client.post("/api/v1/employees", json=kim, headers=hr(auth, gamma))
        assert created.status_code == 201, created.text
        yield gamma


def settings_of(sso: SsoTenant, **changes: Any) -> dict[str, Any]:
    return {**provider_settings(sso.provider, sso.domain), "role_mapping": MAPPING, **changes}


def hr(auth: TokenFactory, sso: SsoTenant) -> dict[str, str]:
    return auth(sso.tenant, UserRole.HR_ADMIN)


async def roles_after_sign_in(browser: Browser, sso: SsoTenant, login: str) -> list[str]:
    person = await browser(sso)
    response = await person.login(login)
    assert response.status_code == 303, response.text
    session = await person.app.get("/auth/session")
    assert session.status_code == 200, session.text
    return list(session.json()["roles"])


# -- emails


@pytest.mark.parametrize(
    ("login", "status", "words"),
    [
        ("kelvin_email", 403, "U+212A KELVIN SIGN"),
        ("cyrillic_domain", 403, "U+0435 CYRILLIC SMALL LETTER IE"),
        ("cyrillic_email", 403, "U+0435 CYRILLIC SMALL LETTER IE"),
        ("fullwidth_email", 403, "U+FF4B FULLWIDTH LATIN SMALL LETTER K"),
        ("dotless_email", 403, "U+0131 LATIN SMALL LETTER DOTLESS I"),
        ("long_s_email", 403, "U+017F LATIN SMALL LETTER LONG S"),
        ("two_at", 403, "exactly one @"),
        # What a provider may send: an id_token over its cap, and a token response over any answer's.
        ("crowded", 401, "the id_token is too large"),
        ("very_crowded", 401, "token response is too large (over 256 KiB)"),
    ],
)
async def test_a_lookalike_or_malformed_email_or_an_oversized_id_token_never_signs_in(
    gamma: SsoTenant, browser: Browser, owner_engine: Engine, settings: Settings, login: str, status: int, words: str
) -> None:
    observed = Observed(owner_engine, settings, gamma)
    person = await browser(gamma)
    observed.assert_refused(await person.login(login), status, words)


# -- groups


async def test_group_names_compare_exactly_but_for_ascii_case(gamma: SsoTenant, browser: Browser) -> None:
    assert "hr_admin" in await roles_after_sign_in(browser, gamma, "casey")
    for login in ("kelvin_group", "long_s_group", "cyrillic_group", "fullwidth_group"):
        assert await roles_after_sign_in(browser, gamma, login) == ["employee"], login


async def test_a_lookalike_directory_group_grants_nothing(
    gamma: SsoTenant,
    browser: Browser,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
    owner_engine: Engine,
) -> None:
    found = await client.get("/api/v1/employees", params={"q": KIM}, headers=hr(auth, gamma))
    kim_id = found.json()["items"][0]["id"]
    token = await client.post("/api/v1/scim-tokens", json={"name": "Okta"}, headers=hr(auth, gamma))
    scim = {"Authorization": f"Bearer {token.json()['token']}", "Content-Type": "application/scim+json"}
    schema = "urn:ietf:params:scim:schemas:core:2.0:Group"
    # SCIM refuses a group whose name could pass for HR-Desk ...
    for name in ("HR-Des\u212a", "HR-D\u0435sk", "\uff28\uff32-Desk", "HR-Desk\u200b"):
        body = {"schemas": [schema], "displayName": name, "members": [{"value": kim_id}]}
        refused = await client.post("/scim/v2/Groups", json=body, headers=scim)
        assert refused.status_code == 400, (name, refused.text)
        assert refused.json()["scimType"] == "invalidValue"
    # ... and one stored before these rules (written here as the owner) maps to no role.
    with owner_engine.begin() as connection:
        connection.execute(text(f'SET LOCAL search_path TO "{gamma.tenant.schema_name}"'))
        group_id = connection.execute(
            text("INSERT INTO directory_groups (id, display_name) VALUES (gen_random_uuid(), :n) RETURNING id"),
            {"n": "HR-Des\u212a"},
        ).scalar_one()
        connection.execute(
            text("INSERT INTO directory_group_members (group_id, employee_id) VALUES (:g, :e)"),
            {"g": group_id, "e": kim_id},
        )
    assert await roles_after_sign_in(browser, gamma, "kim") == ["employee"]


async def test_role_mappings_with_lookalike_group_names_are_refused(
    gamma: SsoTenant, client: AsyncTestClient[Litestar], auth: TokenFactory
) -> None:
    for role, name in (("hr_admin", "HR-Des\u212a"), ("manager", "People-Lead\u017f"), ("hr_admin", "H\u0420")):
        mapping = {**MAPPING, role: [name]}
        body = problem(
            await client.put(
                "/api/v1/identity-provider", json=settings_of(gamma, role_mapping=mapping), headers=hr(auth, gamma)
            ),
            422,
        )
        assert body["errors"][0]["field"] == f"role_mapping.{role}"
    shown = await client.get("/api/v1/identity-provider", headers=hr(auth, gamma))
    assert shown.json()["role_mapping"] == {"manager": ["People-Leads"], "hr_admin": ["HR-Desk"]}


def test_the_cli_refuses_lookalike_group_names(
    settings: Settings, gamma: SsoTenant, make_tenant: TenantFactory, tmp_path: Path
) -> None:
    tenant = make_tenant()
    env = {**process_env(settings, tmp_path), "SSO_CLIENT_SECRET": "from-the-environment"}
    args = [str(CROSSWALK), "sso", "configure", "--tenant", tenant.slug, "--issuer", gamma.provider.issuer]
    args += ["--client-id", "portal", "--allowed-domain", "delta.example", "--hr-group", "HR-Des\u212a"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stdout
    assert "KELVIN SIGN" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    # The same settings with ordinary names, and the provider declared to issue verified addresses only.
    done = subprocess.run(
        [*args[:-1], "HR-Desk", "--provider-verifies-emails"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    shown = subprocess.run(
        [str(CROSSWALK), "sso", "show", "--tenant", tenant.slug], env=env, capture_output=True, text=True, timeout=60
    )
    assert "trusts emails:   True" in shown.stdout, shown.stdout


# -- the provider's trust in its email addresses


async def test_a_provider_that_does_not_assert_email_verified_is_not_trusted_by_default(
    gamma: SsoTenant,
    browser: Browser,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
    owner_engine: Engine,
    settings: Settings,
) -> None:
    shown = await client.get("/api/v1/identity-provider", headers=hr(auth, gamma))
    assert shown.json()["provider_verifies_emails"] is False
    observed = Observed(owner_engine, settings, gamma)
    for login in ("silent", "silent_kim", "unverified", "unverified_kim"):
        person = await browser(gamma)
        observed.assert_refused(await person.login(login), 403, "not verified")
    person = await browser(gamma)
    observed.assert_refused(await person.login("edov_false"), 403, "sends no email_verified claim")
    # Entra ID's optional claim that its tenant verified the address's domain counts as verified.
    assert "employee" in await roles_after_sign_in(browser, gamma, "edov")
    observed = Observed(owner_engine, settings, gamma)
    declared = settings_of(gamma, provider_verifies_emails=True)
    response = await client.put("/api/v1/identity-provider", json=declared, headers=hr(auth, gamma))
    assert response.status_code == 200, response.text
    try:
        assert response.json()["provider_verifies_emails"] is True
        # Declared: no claim means verified (a new employee just in time) ...
        assert "employee" in await roles_after_sign_in(browser, gamma, "silent")
        # ... but an address the provider says is not verified never links nor creates anyone.
        observed = Observed(owner_engine, settings, gamma)
        for login in ("unverified", "unverified_kim"):
            person = await browser(gamma)
            observed.assert_refused(await person.login(login), 403, "not verified")
    finally:
        await client.put("/api/v1/identity-provider", json=settings_of(gamma), headers=hr(auth, gamma))


# -- what a provider may send


@pytest.fixture(scope="module")
def odd_providers(
    idp_installed: None, settings: Settings, make_tenant: TenantFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, SsoTenant]]:
    """Real providers configured oddly: one signing id_tokens with HS256 only, one whose discovery
    document is larger than any answer we read."""
    workdir = tmp_path_factory.mktemp("idp-odd")
    accounts = {"kim": ACCOUNTS["kim"]}
    with ExitStack() as stack:
        hmac_tenant = make_tenant()
        hmac = start_provider(
            stack,
            workdir,
            settings,
            hmac_tenant,
            accounts,
            id_token_algs=["HS256"],
            client_metadata={"id_token_signed_response_alg": "HS256"},
        )
        big_tenant = make_tenant()
        big = start_provider(stack, workdir, settings, big_tenant, accounts, discovery={"x_padding": "x" * 300_000})
        yield {"hmac": SsoTenant(hmac_tenant, hmac, DOMAIN), "big": SsoTenant(big_tenant, big, DOMAIN)}


async def test_a_provider_that_signs_with_hmac_only_is_refused(
    odd_providers: dict[str, SsoTenant], client: AsyncTestClient[Litestar], auth: TokenFactory
) -> None:
    sso = odd_providers["hmac"]
    body = problem(await client.put("/api/v1/identity-provider", json=settings_of(sso), headers=hr(auth, sso)), 422)
    assert "none of the accepted algorithms" in body["detail"]
    assert "HS256" in body["detail"]


async def test_an_oversized_discovery_document_is_refused(
    odd_providers: dict[str, SsoTenant], client: AsyncTestClient[Litestar], auth: TokenFactory
) -> None:
    sso = odd_providers["big"]
    body = problem(await client.put("/api/v1/identity-provider", json=settings_of(sso), headers=hr(auth, sso)), 422)
    assert "larger than 256 KiB" in body["detail"]


async def test_a_provider_that_drips_its_answer_is_cut_off(
    make_tenant: TenantFactory, client: AsyncTestClient[Litestar], auth: TokenFactory
) -> None:
    # Not an OpenID provider: a peer on loopback that answers one byte at a time, each within any
    # read timeout, for longer than a login may wait. Only a cap on the whole answer stops it.
    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        try:
            for _ in range(60):
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.5)
        except ConnectionError:
            pass
        writer.close()

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tenant = make_tenant()
    body = {
        "issuer": f"http://127.0.0.1:{port}",
        "client_id": "portal",
        "client_secret": "secret",
        "allowed_domains": [DOMAIN],
    }
    try:
        started = time.monotonic()
        response = await client.put("/api/v1/identity-provider", json=body, headers=auth(tenant, UserRole.HR_ADMIN))
        elapsed = time.monotonic() - started
    finally:
        server.close()
    detail = problem(response, 422)["detail"]
    assert "in time" in detail or "did not answer within" in detail, detail
    assert elapsed < 13, elapsed
