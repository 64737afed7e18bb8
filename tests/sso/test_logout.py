"""Signing out of the portal is a POST from a page of our own site: a GET (a link, an image on another
site) ends no session, nor does a POST another site's page sends; the bearer token of a session is not
handed to another site either."""

from __future__ import annotations

from tests.sso.conftest import Browser, SsoTenant

ELSEWHERE = "https://attacker.example"


async def test_a_get_signs_nobody_out(browser: Browser, sso_tenants: dict[str, SsoTenant]) -> None:
    a = sso_tenants["a"]
    person = await browser("a")
    await person.login("adam")
    page = await person.app.get(f"/auth/{a.tenant.slug}/logout", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # A page that asks, with a form that posts: nothing ended yet.
    assert f'<form method="post" action="/auth/{a.tenant.slug}/logout">' in page.text
    assert (await person.app.get("/auth/session")).status_code == 200
    assert (await person.app.get("/api/v1/me")).status_code == 200


async def test_a_logout_posted_by_another_site_ends_nothing(
    browser: Browser, sso_tenants: dict[str, SsoTenant]
) -> None:
    a = sso_tenants["a"]
    person = await browser("a")
    await person.login("adam")
    logout = f"/auth/{a.tenant.slug}/logout"

    forged = await person.app.post(logout, headers={"Origin": ELSEWHERE})
    assert forged.status_code == 403
    assert forged.headers["content-type"].startswith("application/problem+json")
    assert person.base_url in forged.json()["detail"]
    # A browser that asks for HTML gets a page saying so.
    page = await person.app.post(logout, headers={"Origin": ELSEWHERE, "Accept": "text/html"})
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    # The opaque origin of a sandboxed page or a redirect chain is not one of our pages either.
    assert (await person.app.post(logout, headers={"Origin": "null"})).status_code == 403
    assert (await person.app.get("/api/v1/me")).status_code == 200

    # From our own page: signed out.
    done = await person.app.post(logout)
    assert done.status_code == 303
    assert (await person.app.get("/api/v1/me")).status_code == 401


async def test_the_sessions_token_is_not_handed_to_another_site(
    browser: Browser, sso_tenants: dict[str, SsoTenant]
) -> None:
    person = await browser("a")
    await person.login("adam")
    forged = await person.app.post("/auth/session/token", headers={"Origin": ELSEWHERE})
    assert forged.status_code == 403
    assert "access_token" not in forged.text
    issued = await person.app.post("/auth/session/token")
    assert issued.status_code == 200, issued.text
