"""Every way a login must fail: each gets a clear error, and creates no session and no employee.

The token-level attacks (wrong nonce or audience, expiry, a tampered signature, `alg: none`, another
issuer's token) alter the real provider's token response on its way to us: the code exchange runs
against the provider as usual, then the id_token in its answer is replaced, as an attacker between
the two would. Re-signed tokens use the provider's own private key, so only the altered claim is
wrong.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey
from sqlalchemy import Engine

from backend.app import AppCollaborators
from backend.settings import Settings
from backend.sso.oidc import RelyingParty
from tests.sso.conftest import Browser, BrowserlessLogin, Observed, OpenIdProvider, SsoTenant


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def signed_by(provider: OpenIdProvider, claims: dict[str, Any]) -> str:
    jwk = provider.private_jwk()
    key = RSAKey.import_key(jwk)
    return jwt.encode({"alg": "RS256", "kid": jwk["kid"]}, claims, key)


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
def relying_party(collaborators: AppCollaborators) -> RelyingParty:
    rp = collaborators.relying_party
    assert isinstance(rp, RelyingParty)
    return rp


@pytest.fixture
def tamper(relying_party: RelyingParty, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Replace the id_token of the provider's (real) token response with `change(id_token)`."""
    real = relying_party.exchange_code

    def install(change: Callable[[str], str]) -> None:
        async def exchange(*args: Any, **kwargs: Any) -> str:
            return change(await real(*args, **kwargs))

        monkeypatch.setattr(relying_party, "exchange_code", exchange)

    return install


@pytest.fixture
def observed(owner_engine: Engine, settings: Settings, sso_tenants: dict[str, SsoTenant]) -> Observed:
    return Observed(owner_engine, settings, sso_tenants["a"])


async def signed_in_params(person: BrowserlessLogin, login: str = "adam") -> dict[str, str]:
    return await person.sign_in_at_provider(await person.start(), login)


async def test_missing_state(browser: Browser, observed: Observed) -> None:
    person = await browser("a")
    params = await signed_in_params(person)
    del params["state"]
    observed.assert_refused(await person.callback(params), 400, "no state")


async def test_wrong_state(browser: Browser, observed: Observed) -> None:
    person = await browser("a")
    params = await signed_in_params(person)
    observed.assert_refused(await person.callback({**params, "state": "made-up"}), 400, "unknown or expired")


async def test_a_callback_from_another_browser_is_refused(browser: Browser, observed: Observed) -> None:
    # Login CSRF: the attacker's own code and state, sent to a victim's browser.
    attacker, victim = await browser("a"), await browser("a")
    params = await signed_in_params(attacker)
    observed.assert_refused(await victim.callback(params), 400, "another browser")


async def test_a_replayed_code_is_refused(
    browser: Browser, owner_engine: Engine, settings: Settings, sso_tenants: dict[str, SsoTenant]
) -> None:
    person = await browser("a")
    params = await signed_in_params(person)
    assert (await person.callback(params)).status_code == 303
    observed = Observed(owner_engine, settings, sso_tenants["a"])
    # The same response again: its state was used up by the first callback.
    observed.assert_refused(await person.callback(params), 400, "unknown or expired")
    # The used code under a fresh state: the provider itself refuses to redeem it twice.
    fresh = await person.start()
    fresh_state = dict(httpx.URL(fresh).params)["state"]
    replay = {**params, "state": fresh_state}
    observed.assert_refused(await person.callback(replay), 401, "rejected the authorization code")


async def test_mix_up_another_providers_response_at_our_callback(browser: Browser, observed: Observed) -> None:
    # A login at tenant B's provider, whose response is delivered to tenant A's callback.
    person_b = await browser("b")
    params_b = await signed_in_params(person_b, "bob")
    person_a = await browser("a")
    person_a.app.cookies = person_b.app.cookies
    observed.assert_refused(await person_a.callback(params_b), 400, "another login")


async def test_mix_up_iss_parameter_of_another_issuer(
    browser: Browser, observed: Observed, sso_tenants: dict[str, SsoTenant]
) -> None:
    person = await browser("a")
    params = await signed_in_params(person)
    params["iss"] = sso_tenants["b"].provider.issuer
    observed.assert_refused(await person.callback(params), 400, "another identity provider")


async def test_mix_up_id_token_of_another_issuer(
    browser: Browser, observed: Observed, sso_tenants: dict[str, SsoTenant], tamper: Callable[..., None]
) -> None:
    other = sso_tenants["b"].provider
    tamper(lambda token: signed_by(other, {**claims_of(token), "iss": other.issuer}))
    person = await browser("a")
    observed.assert_refused(await person.callback(await signed_in_params(person)), 401, "signature")


def _wrong_nonce(provider: OpenIdProvider) -> Callable[[str], str]:
    return lambda token: signed_by(provider, {**claims_of(token), "nonce": "not-the-one-we-sent"})


def _wrong_audience(provider: OpenIdProvider) -> Callable[[str], str]:
    return lambda token: signed_by(provider, {**claims_of(token), "aud": "some-other-client"})


def _expired(provider: OpenIdProvider) -> Callable[[str], str]:
    now = int(time.time())
    return lambda token: signed_by(provider, {**claims_of(token), "iat": now - 900, "exp": now - 300})


def _wrong_issuer_claim(provider: OpenIdProvider) -> Callable[[str], str]:
    return lambda token: signed_by(provider, {**claims_of(token), "iss": "https://evil.example"})


def _tampered_signature(provider: OpenIdProvider) -> Callable[[str], str]:
    def change(token: str) -> str:
        header, payload, signature = token.split(".")
        flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
        return f"{header}.{payload}.{flipped}"

    return change


def _tampered_claims(provider: OpenIdProvider) -> Callable[[str], str]:
    def change(token: str) -> str:
        header, _, signature = token.split(".")
        return f"{header}.{b64({**claims_of(token), 'email': 'ceo@alpha.example'})}.{signature}"

    return change


def _alg_none(provider: OpenIdProvider) -> Callable[[str], str]:
    return lambda token: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_of(token))}."


def _hs256_with_the_client_secret(provider: OpenIdProvider) -> Callable[[str], str]:
    # The HMAC family is keyed with the client secret, which the relying party knows too.
    key = OctKey.import_key(provider.client_secret.encode())
    return lambda token: jwt.encode({"alg": "HS256"}, claims_of(token), key, algorithms=["HS256"])


def _another_authorized_party(provider: OpenIdProvider) -> Callable[[str], str]:
    # OIDC Core 3.1.3.7: azp, when present, must be our client, even with a single audience.
    return lambda token: signed_by(provider, {**claims_of(token), "azp": "some-other-client"})


def _an_extra_audience(provider: OpenIdProvider) -> Callable[[str], str]:
    # Also for another party, which we do not trust, even with azp naming us.
    def change(token: str) -> str:
        claims = claims_of(token)
        return signed_by(provider, {**claims, "aud": [claims["aud"], "some-other-client"], "azp": claims["aud"]})

    return change


def _several_audiences_without_azp(provider: OpenIdProvider) -> Callable[[str], str]:
    def change(token: str) -> str:
        claims = {**claims_of(token)}
        claims.pop("azp", None)
        return signed_by(provider, {**claims, "aud": [claims["aud"], "some-other-client"]})

    return change


def _oversized(provider: OpenIdProvider) -> Callable[[str], str]:
    return lambda token: signed_by(provider, {**claims_of(token), "padding": "x" * 70_000})


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_wrong_nonce, "not issued for this login"),
        (_wrong_audience, "not issued for this login"),
        (_wrong_issuer_claim, "not issued for this login"),
        (_expired, "expired"),
        (_tampered_signature, "signature"),
        (_tampered_claims, "signature"),
        (_alg_none, "signed with 'none', which is not accepted"),
        (_hs256_with_the_client_secret, "signed with 'HS256', which is not accepted"),
        (_another_authorized_party, "azp names another client"),
        (_an_extra_audience, "some-other-client, an audience that is not trusted"),
        (_several_audiences_without_azp, "an audience that is not trusted"),
        (_oversized, "the id_token is too large"),
    ],
    ids=[
        "wrong-nonce",
        "wrong-audience",
        "wrong-iss",
        "expired",
        "tampered-signature",
        "tampered-claims",
        "alg-none",
        "hs256",
        "foreign-azp",
        "extra-audience",
        "several-audiences-no-azp",
        "oversized",
    ],
)
async def test_a_bad_id_token_is_refused(
    browser: Browser,
    observed: Observed,
    sso_tenants: dict[str, SsoTenant],
    tamper: Callable[..., None],
    change: Callable[[OpenIdProvider], Callable[[str], str]],
    words: str,
) -> None:
    tamper(change(sso_tenants["a"].provider))
    person = await browser("a")
    observed.assert_refused(await person.callback(await signed_in_params(person)), 401, words)


async def test_an_email_outside_the_allowed_domains_is_refused(browser: Browser, observed: Observed) -> None:
    person = await browser("a")
    observed.assert_refused(await person.login("mallory"), 403, "evil.example is not allowed")


async def test_another_account_claiming_an_employees_email_is_refused(
    browser: Browser, owner_engine: Engine, settings: Settings, sso_tenants: dict[str, SsoTenant]
) -> None:
    assert (await (await browser("a")).login("alice")).status_code == 303
    observed = Observed(owner_engine, settings, sso_tenants["a"])
    for account in ("eve", "eve_null"):
        observed.assert_refused(await (await browser("a")).login(account), 403, "not verified")
    # Verified, but Alice already signs in with her own account at this provider.
    observed.assert_refused(await (await browser("a")).login("eve_verified"), 403, "another account")


async def test_an_error_from_the_provider_is_shown(browser: Browser, observed: Observed) -> None:
    person = await browser("a")
    authorize = await person.start()
    state = dict(httpx.URL(authorize).params)["state"]
    response = await person.callback({"error": "access_denied", "error_description": "user said no", "state": state})
    observed.assert_refused(response, 403, "access_denied")


async def test_a_browser_gets_an_error_page(browser: Browser, observed: Observed) -> None:
    person = await browser("a")
    response = await person.app.get(
        f"/auth/{observed.sso.tenant.slug}/callback", params={"code": "x"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Sign-in failed" in response.text
    assert "no state" in response.text


async def test_an_unknown_tenant_or_one_without_sso(browser: Browser, make_tenant: Any) -> None:
    person = await browser("a")
    unknown = await person.app.get("/auth/no_such_company/login")
    assert unknown.status_code == 404
    bare = make_tenant()
    no_sso = await person.app.get(f"/auth/{bare.slug}/login")
    assert no_sso.status_code == 404
    assert "not set up" in no_sso.json()["detail"]


async def test_an_open_redirect_after_login_is_refused(browser: Browser, observed: Observed) -> None:
    person = await browser("a")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "//[evil", "0.5"):
        response = await person.app.get(f"/auth/{observed.sso.tenant.slug}/login", params={"return_to": target})
        assert response.status_code == 400, target
        assert "return_to" in response.json()["detail"]


async def test_keys_are_refetched_when_the_provider_rotates(
    browser: Browser, relying_party: RelyingParty, sso_tenants: dict[str, SsoTenant]
) -> None:
    # Pretend our cache holds keys from before a rotation: the id_token's kid is not among them.
    jwks_uri = sso_tenants["a"].provider.issuer + "/jwks"
    stale = KeySet([RSAKey.generate_key(2048, parameters={"kid": "retired-key"}, private=False)])
    # Fetched half a minute ago: within the cache's lifetime, past the minimum interval between fetches.
    relying_party.cache_keys(jwks_uri, stale, age_seconds=30)
    person = await browser("a")
    assert (await person.login("adam")).status_code == 303
    assert (await person.app.get("/api/v1/me")).status_code == 200
