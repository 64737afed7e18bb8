"""The HR workspace's policy and settings, in Chromium through the company's real OpenID provider, as
Hilde (HR): she edits the mobility policy by keyboard and reads it back through the service; changes a
matching weight and puts it back, each a version with her name; reads the sign-in settings without
their secret, gets a bad issuer refused beside its field with what she typed kept (the provider's
settings unchanged), saves a domain with the secret field left empty (the secret kept); registers a
partner app whose secret is shown once (not after coming back to the page, not in the server's log)
and works at the token endpoint, rotates and revokes it; makes a SCIM token, uses it once against
/scim/v2/Users and revokes it; and reads the pages in Dutch. Over HTTP: Ana (an employee) and Hm (a
manager) are refused every page and form (403), another site's form is refused, and a form with a field
it does not have is a 400 that changes nothing.

The company is shared by every portal test: whatever a test changes (the policy, the weights' versions,
the provider's settings, partner apps, SCIM tokens) is put back exactly afterwards. The company signs in
through the provider whose settings the SSO test edits: its row is restored column by column."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import delete, func, select

from backend.app import build_secretbox
from backend.auth.principal import Principal, UserRole, scopes_for
from backend.core.changes import Change
from backend.marketplace.applications import MobilityPolicyService
from backend.marketplace.models import MobilityPolicy
from backend.matching.models import MatchingWeightsVersion
from backend.matching.service import MatchingSettingsService
from backend.partners.models import PartnerClient
from backend.portal.i18n import LANGUAGE_COOKIE
from backend.scim.models import ScimToken
from backend.settings import Settings
from backend.sso.models import IdentityProvider
from tenants.sessions import Database
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
SETTINGS = "/hr/settings"
PAGES = ("", "/policy", "/weights", "/sso", "/partners", "/scim")
_PROVIDER_COLUMNS = (
    "issuer",
    "client_id",
    "client_secret_encrypted",
    "allowed_domains",
    "groups_claim",
    "role_mapping",
    "provider_verifies_emails",
    "enabled",
    "updated_at",
)


def hr(portal: Portal) -> Principal:
    held = frozenset({UserRole.HR_ADMIN})
    return Principal(portal.tenant, "test:hr", None, held, scopes_for(held))


async def signed_in(page: Page, portal: Portal, login: str) -> None:
    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "en", "url": portal.base_url}])
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, login)


async def cookies_of(browser: Browser, portal: Portal, login: str) -> dict[str, str]:
    """The session cookies of `login`, signed in through the provider in a context of their own."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await signed_in(page, portal, login)
        return {c["name"]: c["value"] for c in await context.cookies(portal.base_url)}
    finally:
        await context.close()


async def tab_to(page: Page, selector: str, most: int = 80) -> None:
    """Presses Tab until the element `selector` has the focus (a keyboard-only path)."""
    target = page.locator(selector)
    for _ in range(most):
        await page.keyboard.press("Tab")
        if await target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def policy_row(database: Database, portal: Portal) -> dict[str, Any] | None:
    async with database.tenant_session(portal.tenant) as session:
        row = await session.get(MobilityPolicy, 1)
        if row is None:
            return None
        return {
            "manager_notice": row.manager_notice,
            "release_days": row.release_days,
            "updated_at": row.updated_at,
            "updated_by": row.updated_by,
        }


@pytest.fixture
async def policy_kept(portal: Portal, database: Database) -> AsyncIterator[dict[str, Any] | None]:
    """The mobility policy as it was (its row, or none while the company keeps the defaults), put back
    exactly afterwards."""
    before = await policy_row(database, portal)
    yield before
    await put_policy_back(database, portal, before)


async def put_policy_back(database: Database, portal: Portal, before: dict[str, Any] | None) -> None:
    async with database.tenant_session(portal.tenant) as session, session.begin():
        if before is None:
            await session.execute(delete(MobilityPolicy))
            return
        row = await session.get(MobilityPolicy, 1)
        if row is None:
            row = MobilityPolicy(id=1)
            session.add(row)
        for name, value in before.items():
            setattr(row, name, value)


@pytest.fixture
async def weights_kept(portal: Portal, database: Database) -> AsyncIterator[int]:
    """The newest version of the weights; afterwards the versions added and their facts are removed."""
    async with database.tenant_session(portal.tenant) as session:
        newest = await session.scalar(select(func.max(MatchingWeightsVersion.version))) or 0
        last_fact = await session.scalar(select(func.max(Change.id))) or 0
    yield newest
    async with database.tenant_session(portal.tenant) as session, session.begin():
        await session.execute(delete(MatchingWeightsVersion).where(MatchingWeightsVersion.version > newest))
        await session.execute(delete(Change).where(Change.id > last_fact, Change.fact == "weights.changed"))


async def provider_snapshot(database: Database, portal: Portal) -> dict[str, Any]:
    async with database.control_session() as session:
        row = await session.scalar(select(IdentityProvider).where(IdentityProvider.tenant_id == portal.tenant.id))
        assert row is not None
        return {name: getattr(row, name) for name in _PROVIDER_COLUMNS}


@pytest.fixture
async def provider_kept(portal: Portal, database: Database) -> AsyncIterator[dict[str, Any]]:
    """The provider's settings as they were, restored column by column afterwards (the company signs
    in through them)."""
    before = await provider_snapshot(database, portal)
    yield before
    async with database.control_session() as session, session.begin():
        row = await session.scalar(select(IdentityProvider).where(IdentityProvider.tenant_id == portal.tenant.id))
        assert row is not None
        for name, value in before.items():
            setattr(row, name, value)


@pytest.fixture
async def named(portal: Portal, database: Database) -> AsyncIterator[str]:
    """A unique name for the partner apps and SCIM tokens a test makes; they are deleted afterwards."""
    name = f"Settings test {secrets.token_hex(3)}"
    yield name
    async with database.control_session() as session, session.begin():
        await session.execute(
            delete(PartnerClient).where(PartnerClient.tenant_id == portal.tenant.id, PartnerClient.name == name)
        )
        await session.execute(delete(ScimToken).where(ScimToken.tenant_id == portal.tenant.id, ScimToken.name == name))


async def test_hr_edits_the_mobility_policy_by_keyboard_and_reads_it_back(
    policy_kept: dict[str, Any] | None, page: Page, portal: Portal, database: Database, shots: Shots
) -> None:
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}/hr")
    await page.locator("#hr-areas").get_by_role("link", name="Policy and settings").click()
    await expect(page).to_have_url(f"{portal.base_url}{SETTINGS}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Policy and settings")
    async with database.tenant_session(portal.tenant) as session:
        policy = await MobilityPolicyService(session).get()
    await expect(page.locator("#now-policy")).to_contain_text(f"{policy.release_days} days to answer a release.")
    await expect(page.locator("#now-sso")).to_have_text(f"Signing in through {portal.issuer}.")
    await assert_accessible(page)
    await shots(page, "settings")

    await page.get_by_role("link", name="Mobility policy").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mobility policy")
    await expect(page.locator(f"#notice-{policy.manager_notice.value}")).to_be_checked()
    await expect(page.locator("#release_days")).to_have_value(str(policy.release_days))
    await expect(page.locator("#notice-at_offer-meaning")).to_contain_text(
        "when it reaches the offer stage they are told and asked for a release"
    )
    await assert_accessible(page)
    await shots(page, "policy")

    # Too many days: refused beside the field, as typed, nothing saved.
    await page.locator("#release_days").fill("120")
    await page.get_by_role("button", name="Save the mobility policy").click()
    await expect(page.locator("#release_days-error")).to_have_text("Give a whole number of days, from 1 to 90.")
    await expect(page.locator("#release_days")).to_have_value("120")
    await expect(page.locator("#release_days")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)
    await shots(page, "policy-refused")
    assert await policy_row(database, portal) == policy_kept

    # By keyboard alone: the number of days, then the button.
    days = policy.release_days + 7
    await page.goto(f"{portal.base_url}{SETTINGS}/policy")
    await tab_to(page, "#release_days")
    await page.keyboard.press("Control+A")
    await page.keyboard.type(str(days))
    await tab_to(page, "#policy-form button[type=submit]")
    await page.keyboard.press("Enter")
    await expect(page.locator("#saved")).to_be_visible()
    try:
        async with database.tenant_session(portal.tenant) as session:
            saved = await MobilityPolicyService(session).get()
    finally:
        # Put back at once, before anything else: other tests ask releases under this policy.
        await put_policy_back(database, portal, policy_kept)
    assert (saved.manager_notice, saved.release_days) == (policy.manager_notice, days)
    assert saved.updated_by is not None
    assert saved.updated_by.startswith("sso:")
    # The page as it answered the save.
    await expect(page.locator("#policy-set-by")).to_contain_text("Last changed by Hilde on")
    await expect(page.locator("#release_days")).to_have_value(str(days))


async def test_hr_changes_a_matching_weight_and_puts_it_back(
    weights_kept: int, page: Page, portal: Portal, database: Database, shots: Shots
) -> None:
    async with database.tenant_session(portal.tenant) as session:
        before = (await MatchingSettingsService(session).get()).as_dict()
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}{SETTINGS}/weights")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Matching weights")
    row = page.locator("#factor-location_fit")
    await expect(row.locator(".factor-name")).to_have_text("Location fit")
    await expect(row.get_by_label("Weight of Location fit")).to_have_value(f"{before['location_fit']:g}")
    await expect(page.locator("#recompute")).to_contain_text("A recompute reads every person, opening and weight")
    await assert_accessible(page)
    await shots(page, "weights")

    await row.get_by_label("Weight of Location fit").fill("-1")
    await page.get_by_role("button", name="Save as a new version").click()
    await expect(page.locator("#location_fit-error")).to_contain_text("Give a number from 0 to 100")
    await expect(page.get_by_label("Weight of Location fit")).to_have_value("-1")
    await assert_accessible(page)

    changed = before["location_fit"] + 0.02
    await page.get_by_label("Weight of Location fit").fill(f"{changed:g}")
    await page.get_by_role("button", name="Save as a new version").click()
    await expect(page.locator("#saved")).to_be_visible()
    await expect(page.locator("#weights-version")).to_contain_text(
        f"Version {weights_kept + 1} is in force, set by Hilde"
    )
    async with database.tenant_session(portal.tenant) as session:
        now = (await MatchingSettingsService(session).get()).as_dict()
    assert now == {**before, "location_fit": pytest.approx(changed)}
    await expect(page.locator("#weights-versions tbody tr").first).to_contain_text("Hilde")

    # Put back through the page: a version of its own, the weights as they were.
    await page.get_by_label("Weight of Location fit").fill(f"{before['location_fit']:g}")
    await page.get_by_role("button", name="Save as a new version").click()
    await expect(page.locator("#weights-version")).to_contain_text(f"Version {weights_kept + 2} is in force")
    async with database.tenant_session(portal.tenant) as session:
        assert (await MatchingSettingsService(session).get()).as_dict() == before


async def test_hr_reads_the_sign_in_settings_without_the_secret_and_a_bad_issuer_changes_nothing(
    provider_kept: dict[str, Any], page: Page, portal: Portal, database: Database, settings: Settings, shots: Shots
) -> None:
    secret = build_secretbox(settings).decrypt(provider_kept["client_secret_encrypted"])
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}{SETTINGS}/sso")
    await expect(page.locator("#issuer")).to_have_value(portal.issuer)
    await expect(page.locator("#client_id")).to_have_value(provider_kept["client_id"])
    await expect(page.locator("#hr_admin_groups")).to_have_value("HR-Team")
    await expect(page.locator("#secret-state")).to_have_text("Stored, and never shown.")
    await expect(page.locator("#client_secret")).to_have_value("")
    assert secret not in await page.content()
    assert provider_kept["client_secret_encrypted"] not in await page.content()
    await assert_accessible(page)
    await shots(page, "sso")

    # An issuer that answers no discovery: refused beside it, everything typed kept, nothing changed.
    bad_issuer = "http://127.0.0.1:9/realms/nowhere"
    await page.locator("#issuer").fill(bad_issuer)
    await page.locator("#client_id").fill("another-client")
    await page.locator("#allowed_domains").fill("example.com\nelsewhere.example")
    await page.locator("#client_secret").fill("a-new-secret")
    await page.get_by_role("button", name="Save the sign-in settings").click()
    await expect(page.locator("#issuer-error")).to_contain_text("could not read this provider's OpenID configuration")
    await expect(page.locator("#issuer")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#issuer")).to_have_value(bad_issuer)
    await expect(page.locator("#client_id")).to_have_value("another-client")
    await expect(page.locator("#allowed_domains")).to_have_value("example.com\nelsewhere.example")
    # The secret typed is not sent back.
    await expect(page.locator("#client_secret")).to_have_value("")
    assert "a-new-secret" not in await page.content()
    await assert_accessible(page)
    await shots(page, "sso-refused")
    assert await provider_snapshot(database, portal) == provider_kept

    # Removing needs the word typed: refused beside its field, nothing removed.
    await page.locator("#confirm").fill("remove")
    await page.get_by_role("button", name="Remove the sign-in settings").click()
    await expect(page.locator("#confirm-error")).to_have_text(
        "Type REMOVE to remove the settings; nothing was removed."
    )
    assert await provider_snapshot(database, portal) == provider_kept

    # A domain added with the secret left empty: saved, the secret kept.
    await page.goto(f"{portal.base_url}{SETTINGS}/sso")
    await page.locator("#allowed_domains").fill("example.com\nsettings-test.example")
    await page.get_by_role("button", name="Save the sign-in settings").click()
    await expect(page.locator("#saved")).to_be_visible()
    after = await provider_snapshot(database, portal)
    assert after["allowed_domains"] == ["example.com", "settings-test.example"]
    assert after["client_secret_encrypted"] == provider_kept["client_secret_encrypted"]
    assert {k: v for k, v in after.items() if k not in ("allowed_domains", "updated_at")} == {
        k: v for k, v in provider_kept.items() if k not in ("allowed_domains", "updated_at")
    }


def token_request(client_id: str, secret: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


async def test_hr_registers_a_partner_app_sees_its_secret_once_rotates_and_revokes_it(
    named: str, page: Page, portal: Portal, shots: Shots
) -> None:
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}{SETTINGS}/partners")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Partner apps")
    # Only the scopes a partner app may have are offered.
    offered = await page.locator("#partner-form input[name=scopes]").evaluate_all("boxes => boxes.map(b => b.value)")
    assert "org:read" in offered
    assert "identity:admin" not in offered
    assert "applications:read" not in offered
    await assert_accessible(page)

    # No scope chosen: refused beside the scopes, the name kept.
    await page.get_by_label("Name").fill(named)
    await page.get_by_role("button", name="Register the app").click()
    await expect(page.locator("#scopes-error")).to_have_text("Choose at least one of the scopes listed.")
    await expect(page.get_by_label("Name")).to_have_value(named)

    await page.get_by_label("Read the departments and teams").check()
    await page.get_by_label("Read the people").check()
    async with page.expect_response(lambda r: r.request.method == "POST") as answered:
        await page.get_by_role("button", name="Register the app").click()
    response = await answered.value
    assert response.status == 200
    assert "no-store" in (await response.all_headers())["cache-control"]
    assert response.url == f"{portal.base_url}{SETTINGS}/partners"
    secret = await page.locator("#new-secret").input_value()
    client_id = (await page.locator("#new-client-id").inner_text()).strip()
    assert secret.startswith("cwpsec_")
    await expect(page.locator("#new-secret-hint")).to_contain_text("it will not be shown again")
    await assert_accessible(page)
    await shots(page, "partner-created")

    async with httpx.AsyncClient(base_url=portal.base_url) as partner:
        issued = await partner.post("/oauth/token", data=token_request(client_id, secret))
        assert issued.status_code == 200, issued.text
        assert sorted(issued.json()["scope"].split()) == ["employees:read", "org:read"]

    # Coming back to the page: the app is listed, its secret nowhere.
    await page.goto(f"{portal.base_url}{SETTINGS}/partners")
    card = page.locator("#partners > li", has_text=named)
    await expect(card).to_contain_text(client_id)
    await expect(card).to_contain_text("Registered by Hilde")
    await expect(page.locator("#new-secret")).to_have_count(0)
    assert secret not in await page.content()
    assert secret not in portal.server_log.read_text(errors="replace")

    # A new secret, the old one stopped at once.
    await card.get_by_label("Hours the current secret keeps working").fill("0")
    await card.get_by_role("button", name="Give it a new secret").click()
    rotated = await page.locator("#new-secret").input_value()
    assert rotated.startswith("cwpsec_")
    assert rotated != secret
    async with httpx.AsyncClient(base_url=portal.base_url) as partner:
        assert (await partner.post("/oauth/token", data=token_request(client_id, secret))).status_code == 401
        assert (await partner.post("/oauth/token", data=token_request(client_id, rotated))).status_code == 200

    await page.goto(f"{portal.base_url}{SETTINGS}/partners")
    await page.locator("#partners > li", has_text=named).get_by_role("button", name="Revoke").click()
    await expect(page.locator("#revoked")).to_be_visible()
    await expect(page.locator("#partners > li", has_text=named)).to_contain_text("Revoked on")
    async with httpx.AsyncClient(base_url=portal.base_url) as partner:
        assert (await partner.post("/oauth/token", data=token_request(client_id, rotated))).status_code == 401
    await assert_accessible(page)
    await shots(page, "partner-revoked")


async def test_hr_makes_a_scim_token_uses_it_once_and_revokes_it(
    named: str, page: Page, portal: Portal, shots: Shots
) -> None:
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}{SETTINGS}/scim")
    await expect(page.locator("#scim-url")).to_have_text(f"{portal.base_url}/scim/v2")
    await page.get_by_role("button", name="Make the token").click()
    await expect(page.locator("#name-error")).to_contain_text("Give the token a name")
    await page.get_by_label("Name").fill(named)
    async with page.expect_response(lambda r: r.request.method == "POST") as answered:
        await page.get_by_role("button", name="Make the token").click()
    response = await answered.value
    assert response.status == 200
    assert "no-store" in (await response.all_headers())["cache-control"]
    token = await page.locator("#new-secret").input_value()
    assert token.startswith("scim_")
    await assert_accessible(page)
    await shots(page, "scim-created")

    async with httpx.AsyncClient(base_url=portal.base_url, headers={"Authorization": f"Bearer {token}"}) as idp:
        users = await idp.get("/scim/v2/Users", params={"count": "1"})
        assert users.status_code == 200, users.text

    await page.goto(f"{portal.base_url}{SETTINGS}/scim")
    row = page.locator("#tokens tbody tr", has_text=named)
    await expect(row).to_contain_text(token[:12])
    await expect(row).not_to_contain_text("Never")
    assert token not in await page.content()
    await row.get_by_role("button", name="Revoke").click()
    await expect(page.locator("#revoked")).to_be_visible()
    await expect(page.locator("#tokens tbody tr", has_text=named)).to_contain_text("Revoked on")
    async with httpx.AsyncClient(base_url=portal.base_url, headers={"Authorization": f"Bearer {token}"}) as idp:
        assert (await idp.get("/scim/v2/Users")).status_code == 401
    await assert_accessible(page)
    await shots(page, "scim-revoked")


async def test_the_settings_in_dutch(page: Page, portal: Portal, shots: Shots) -> None:
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}{SETTINGS}")
    await page.get_by_role("button", name="Nederlands").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Beleid en instellingen")
    await expect(page.get_by_role("link", name="Mobiliteitsbeleid")).to_be_visible()
    await assert_accessible(page)
    await page.goto(f"{portal.base_url}{SETTINGS}/policy")
    await expect(page.locator("#release_days-hint")).to_contain_text("Van 1 tot 90.")
    await assert_accessible(page)
    await shots(page, "policy-dutch")


async def test_only_hr_may_use_the_settings_and_writes_come_from_our_pages_with_their_own_fields(
    policy_kept: dict[str, Any] | None, named: str, browser: Browser, portal: Portal, database: Database
) -> None:
    own = {"Origin": portal.base_url}
    forms: list[tuple[str, dict[str, Any]]] = [
        ("/policy", {"manager_notice": "at_application", "release_days": "30"}),
        ("/weights", {"location_fit": "0.5"}),
        ("/weights/recompute", {}),
        ("/sso", {"issuer": portal.issuer}),
        ("/sso/remove", {"confirm": "no"}),
        ("/partners", {"name": named, "scopes": "org:read"}),
        ("/scim", {"name": named}),
    ]
    for login in ("ana", "hm"):
        cookies = await cookies_of(browser, portal, login)
        async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as person:
            for path in PAGES:
                assert (await person.get(f"{SETTINGS}{path}")).status_code == 403, (login, path)
            for path, form in forms:
                refused = await person.post(f"{SETTINGS}{path}", data=form, headers=own)
                assert refused.status_code == 403, (login, path, refused.text)
    hilde = await cookies_of(browser, portal, "hilde")
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=hilde) as client:
        for path, form in forms:
            crossed = await client.post(f"{SETTINGS}{path}", data=form, headers={"Origin": "https://x.example"})
            assert crossed.status_code == 403, (path, crossed.text)
            odd = await client.post(f"{SETTINGS}{path}", data={**form, "notify": "everyone"}, headers=own)
            assert odd.status_code == 400, (path, odd.text)
        twice = await client.post(
            f"{SETTINGS}/policy", data={"manager_notice": ["at_offer", "at_application"]}, headers=own
        )
        assert twice.status_code == 400
    # Nothing of it was kept.
    assert await policy_row(database, portal) == policy_kept
    async with database.control_session() as session:
        assert (
            await session.scalar(select(func.count()).select_from(PartnerClient).where(PartnerClient.name == named))
            == 0
        )
        assert await session.scalar(select(func.count()).select_from(ScimToken).where(ScimToken.name == named)) == 0
        provider = await session.scalar(select(IdentityProvider).where(IdentityProvider.tenant_id == portal.tenant.id))
        assert provider is not None
        assert provider.issuer == portal.issuer
    assert re.fullmatch(r"Settings test [0-9a-f]{6}", named)
