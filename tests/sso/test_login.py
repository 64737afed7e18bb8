"""Single sign-on end to end, against real OpenID providers (one per tenant, two issuers)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text

from backend.auth.principal import UserRole
from backend.matching.service import MatchingService
from tenants.sessions import Database
from tests.conftest import TokenFactory
from tests.sso.conftest import Browser, SsoTenant, counts


def session_cookie(response: httpx.Response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("crosswalk_session="):
            return header
    return None


async def test_login_creates_the_employee_just_in_time_and_opens_a_session(
    browser: Browser, sso_tenants: dict[str, SsoTenant], owner_engine: Engine
) -> None:
    a = sso_tenants["a"]
    person = await browser("a")
    authorize = await person.start(return_to="/api/v1/me")
    query = parse_qs(urlsplit(authorize).query)
    # Authorization code with PKCE (S256), state and nonce, for this tenant's client and callback.
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0]
    assert query["nonce"][0]
    assert query["client_id"] == [a.provider.client_id]
    assert "openid" in query["scope"][0].split()

    before = counts(owner_engine, a.tenant)
    response = await person.callback(await person.sign_in_at_provider(authorize, "alice"))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/api/v1/me"
    cookie = session_cookie(response)
    assert cookie is not None
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= attributes
    assert counts(owner_engine, a.tenant) == (before[0] + 1, before[1] + 1)

    me = await person.app.get("/api/v1/me")
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "alice@alpha.example"
    assert me.json()["full_name"] == "Alice Archer"
    session = (await person.app.get("/auth/session")).json()
    assert session["tenant"] == a.tenant.slug
    # Group "hr-team" maps to hr_admin (group names compare without regard to case).
    assert set(session["roles"]) == {"employee", "hr_admin"}

    # The second login of the same person links the same employee: nobody is created twice.
    again = await (await browser("a")).login("alice")
    assert again.status_code == 303
    assert counts(owner_engine, a.tenant) == (before[0] + 1, before[1] + 1)


async def test_a_sign_up_makes_the_matches_stale(
    browser: Browser, sso_tenants: dict[str, SsoTenant], database: Database
) -> None:
    a = sso_tenants["a"]
    # Everything so far is in the stored matches: no change waits for a recompute.
    async with database.tenant_session(a.tenant) as session, session.begin():
        await MatchingService(session).recompute()
    person = await browser("a")
    assert (await person.login("newcomer")).status_code == 303
    recommendations = await person.app.get("/api/v1/me/recommendations")
    assert recommendations.status_code == 200, recommendations.text
    # Someone new to rank: the next recompute includes them.
    assert recommendations.json()["pending_changes"] is True


async def test_an_existing_employee_is_linked_by_email(
    browser: Browser,
    sso_tenants: dict[str, SsoTenant],
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
    owner_engine: Engine,
) -> None:
    a = sso_tenants["a"]
    created = await client.post(
        "/api/v1/employees",
        json={"email": "known.person@alpha.example", "full_name": "Known Person"},
        headers=auth(a.tenant, UserRole.HR_ADMIN),
    )
    assert created.status_code == 201, created.text
    before = counts(owner_engine, a.tenant)
    person = await browser("a")
    assert (await person.login("known")).status_code == 303
    assert counts(owner_engine, a.tenant) == (before[0], before[1] + 1)
    me = (await person.app.get("/api/v1/me")).json()
    assert me["id"] == created.json()["id"]
    assert set((await person.app.get("/auth/session")).json()["roles"]) == {"employee"}


async def test_two_tenants_sign_in_at_their_own_providers(browser: Browser, sso_tenants: dict[str, SsoTenant]) -> None:
    a_person, b_person = await browser("a"), await browser("b")
    assert (await a_person.login("adam")).status_code == 303
    assert (await b_person.login("bob")).status_code == 303
    a_session = (await a_person.app.get("/auth/session")).json()
    b_session = (await b_person.app.get("/auth/session")).json()
    assert a_session["tenant"] == sso_tenants["a"].tenant.slug
    assert b_session["tenant"] == sso_tenants["b"].tenant.slug
    assert set(b_session["roles"]) == {"employee", "manager"}
    # Each session sees its own company only.
    a_people = {e["email"] for e in (await a_person.app.get("/api/v1/employees")).json()["items"]}
    b_people = {e["email"] for e in (await b_person.app.get("/api/v1/employees")).json()["items"]}
    assert "adam@alpha.example" in a_people
    assert "bob@beta.example" not in a_people
    assert b_people == {"bob@beta.example"}


async def test_the_portal_gets_a_bearer_token_from_its_session(
    browser: Browser, sso_tenants: dict[str, SsoTenant]
) -> None:
    person = await browser("a")
    await person.login("adam")
    issued = await person.app.post("/auth/session/token")
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store"
    token = issued.json()["access_token"]
    cookies = person.app.cookies
    person.app.cookies = httpx.Cookies()
    assert (await person.app.get("/api/v1/me")).status_code == 401
    me = await person.app.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["email"] == "adam@alpha.example"
    # The token is bound to the session: logging out ends both.
    person.app.cookies = cookies
    await person.app.post(f"/auth/{sso_tenants['a'].tenant.slug}/logout")
    ended = await person.app.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert ended.status_code == 401
    assert "session has ended" in ended.json()["detail"]


async def test_logout_ends_the_session_and_signs_out_at_the_provider(
    browser: Browser, sso_tenants: dict[str, SsoTenant]
) -> None:
    a = sso_tenants["a"]
    person = await browser("a")
    await person.login("adam")
    session_id = person.app.cookies["crosswalk_session"]
    assert (await person.app.get("/api/v1/me")).status_code == 200

    response = await person.app.post(f"/auth/{a.tenant.slug}/logout")
    assert response.status_code == 303
    end_session = response.headers["location"]
    assert end_session.startswith(a.provider.issuer + "/session/end?")
    query = parse_qs(urlsplit(end_session).query)
    assert query["id_token_hint"][0].count(".") == 2
    assert query["post_logout_redirect_uri"] == [f"{person.base_url}/auth/{a.tenant.slug}/logged-out"]
    # The provider accepts our logout request (it shows its confirmation form).
    confirm = await person.idp.get(end_session)
    assert confirm.status_code == 200
    assert "logout" in confirm.text.lower()

    # The session is gone on the server: the old cookie no longer works anywhere.
    assert (await person.app.get("/auth/session")).status_code == 401
    replay = await person.app.get("/api/v1/me", cookies={"crosswalk_session": session_id})
    assert replay.status_code == 401


async def test_a_deactivated_employee_cannot_sign_in(
    browser: Browser, sso_tenants: dict[str, SsoTenant], owner_engine: Engine
) -> None:
    a = sso_tenants["a"]
    assert (await (await browser("a")).login("gone")).status_code == 303
    with owner_engine.begin() as connection:
        connection.execute(
            text(f"UPDATE \"{a.tenant.schema_name}\".employees SET active = false WHERE email = 'gone@alpha.example'")
        )
    person = await browser("a")
    refused = await person.login("gone")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "deactivated" in refused.json()["detail"]
    assert session_cookie(refused) is None


async def test_scim_groups_grant_roles_at_sign_in(
    browser: Browser, sso_tenants: dict[str, SsoTenant], client: AsyncTestClient[Litestar], auth: TokenFactory
) -> None:
    a = sso_tenants["a"]
    person = await browser("a")
    await person.login("adam")
    me = (await person.app.get("/api/v1/me")).json()
    assert set((await person.app.get("/auth/session")).json()["roles"]) == {"employee"}

    # The company's IdP pushes a "leads" group with Adam in it; the tenant maps "leads" to manager.
    hr = auth(a.tenant, UserRole.HR_ADMIN)
    token = (await client.post("/api/v1/scim-tokens", json={"name": "IdP"}, headers=hr)).json()["token"]
    group = await client.post(
        "/scim/v2/Groups",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Leads",
            "members": [{"value": me["id"]}],
        },
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    assert group.status_code == 201, group.text
    # Adam's roles changed, so his session ended: his next sign-in works them out afresh.
    assert (await person.app.get("/api/v1/me")).status_code == 401
    again = await browser("a")
    await again.login("adam")
    assert set((await again.app.get("/auth/session")).json()["roles"]) == {"employee", "manager"}


async def test_deprovisioning_over_scim_signs_the_person_out_at_once(
    browser: Browser, sso_tenants: dict[str, SsoTenant], client: AsyncTestClient[Litestar], auth: TokenFactory
) -> None:
    a = sso_tenants["a"]
    person = await browser("a")
    await person.login("leaver")
    portal_token = (await person.app.post("/auth/session/token")).json()["access_token"]
    me = (await person.app.get("/api/v1/me")).json()
    hr = auth(a.tenant, UserRole.HR_ADMIN)
    token = (await client.post("/api/v1/scim-tokens", json={"name": "IdP"}, headers=hr)).json()["token"]
    deleted = await client.delete(f"/scim/v2/Users/{me['id']}", headers={"Authorization": f"Bearer {token}"})
    assert deleted.status_code == 204, deleted.text
    # An HR admin who left keeps nothing: not the session, not the token made from it.
    assert (await person.app.get("/api/v1/me")).status_code == 401
    assert (await person.app.post("/auth/session/token")).status_code == 401
    bearer = {"Authorization": f"Bearer {portal_token}"}
    assert (await person.app.get("/api/v1/identity-provider", headers=bearer)).status_code == 401
    assert (await (await browser("a")).login("leaver")).status_code == 403


async def test_deactivating_through_the_api_signs_the_person_out(
    browser: Browser, sso_tenants: dict[str, SsoTenant], client: AsyncTestClient[Litestar], auth: TokenFactory
) -> None:
    person = await browser("a")
    await person.login("quitter")
    me = (await person.app.get("/api/v1/me")).json()
    hr = auth(sso_tenants["a"].tenant, UserRole.HR_ADMIN)
    changed = await client.patch(f"/api/v1/employees/{me['id']}", json={"active": False}, headers=hr)
    assert changed.status_code == 200, changed.text
    assert (await person.app.get("/api/v1/me")).status_code == 401
