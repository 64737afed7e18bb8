"""The portal's pages over HTTP, without a browser: who gets a page, a redirect or the API's 401; the
sign-in's default landing; the language switch's same-origin wall; htmx told to load sign-in whole."""

from __future__ import annotations

import secrets

import httpx

from backend.auth.portal_sessions import SESSION_COOKIE
from backend.portal.visitors import COMPANY_COOKIE
from tests.conftest import TenantFactory
from tests.portal.conftest import Portal

HTML = {"Accept": "text/html,application/xhtml+xml"}


async def test_a_script_without_credentials_gets_the_apis_401(portal: Portal) -> None:
    async with httpx.AsyncClient(base_url=portal.base_url) as http:
        for method, path in (("GET", "/"), ("GET", "/home"), ("GET", "/company"), ("POST", "/language")):
            response = await http.request(method, path)
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_browser_not_signed_in_is_sent_to_sign_in_and_back(portal: Portal) -> None:
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML) as http:
        # No company known yet: the company form, which will come back to the page.
        response = await http.get("/home")
        assert response.status_code == 303
        assert response.headers["location"] == "/?return_to=%2Fhome"
        form = await http.get("/", params={"return_to": "/home"})
        assert form.status_code == 200
        assert form.headers["content-type"].startswith("text/html")
        assert 'name="return_to" value="/home"' in form.text
        # Naming the company goes to its SSO and remembers it; an ended session then goes straight there.
        chosen = await http.get("/company", params={"company": portal.tenant.slug, "return_to": "/home"})
        assert chosen.status_code == 303
        assert chosen.headers["location"] == f"/auth/{portal.tenant.slug}/login?return_to=%2Fhome"
        http.cookies.set(SESSION_COOKIE, "ended")
        again = await http.get("/home")
        assert again.headers["location"] == f"/auth/{portal.tenant.slug}/login?return_to=%2Fhome"
        # htmx follows redirects of its own requests: it is told to load the sign-in as a page.
        partial = await http.get("/home", headers={"HX-Request": "true"})
        assert partial.status_code == 200
        assert partial.headers["hx-redirect"] == f"/auth/{portal.tenant.slug}/login?return_to=%2Fhome"


async def test_a_company_is_named_exactly_and_a_lookalike_is_refused(
    portal: Portal, make_tenant: TenantFactory
) -> None:
    tenant = make_tenant(f"kw_{secrets.token_hex(4)}")
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML) as http:
        # The case of ASCII letters does not matter.
        upper = await http.get("/company", params={"company": tenant.slug.upper()})
        assert upper.status_code == 303
        assert upper.headers["location"] == f"/auth/{tenant.slug}/login?return_to=%2Fhome"
        # The Kelvin sign, which Unicode lower-cases to `k`, is not the company's name.
        lookalike = tenant.slug.replace("k", "\u212a")
        refused = await http.get("/company", params={"company": lookalike})
        assert refused.status_code == 422
        assert "No company signs in here under that name" in refused.text
        assert COMPANY_COOKIE not in refused.headers.get("set-cookie", "")


async def test_return_to_stays_on_this_site(portal: Portal) -> None:
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML) as http:
        http.cookies.set(COMPANY_COOKIE, portal.tenant.slug)
        for elsewhere in ("https://evil.example/", "//evil.example/home", "/\\evil.example"):
            chosen = await http.get("/company", params={"company": portal.tenant.slug, "return_to": elsewhere})
            assert chosen.headers["location"] == f"/auth/{portal.tenant.slug}/login?return_to=%2Fhome"


async def test_the_language_switch_takes_posts_from_our_pages_only(portal: Portal) -> None:
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML) as http:
        form = {"language": "nl", "next": "/"}
        refused = await http.post("/language", data=form, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403
        assert "crosswalk_language" not in refused.headers.get("set-cookie", "")
        chosen = await http.post("/language", data=form, headers={"Origin": portal.base_url})
        assert chosen.status_code == 303
        assert chosen.headers["location"] == "/"
        page = await http.get("/")
        assert '<html lang="nl">' in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        # Another site's form is refused before its fields are read, whatever they are; from our pages,
        # a field the form does not have, or none at all, is a bad request and changes nothing.
        for odd in ({"language": "en", "theme": "dark"}, {}):
            forged = await http.post("/language", data=odd, headers={"Origin": "https://evil.example"})
            assert forged.status_code == 403
            bad = await http.post("/language", data=odd, headers={"Origin": portal.base_url})
            assert bad.status_code == 400
            assert "crosswalk_language" not in bad.headers.get("set-cookie", "")


async def test_the_design_systems_files_are_served_by_the_app(portal: Portal) -> None:
    async with httpx.AsyncClient(base_url=portal.base_url) as http:
        for path in ("/static/css/tabler.min.css", "/static/portal.css"):
            response = await http.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("text/css")
