"""The harness itself, end to end, without relying on the console's own pages: Chromium reaches the app
served for real, and signs in at the platform's OpenID provider, which sends it back to the console's
redirect URI with an authorization code; a job asked for through the served app runs on its worker."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from playwright.async_api import Page

from tests.conftest import TenantFactory, TokenFactory
from tests.console.browser import artifact_folder, pass_provider, shot
from tests.console.conftest import ConsoleServer


async def test_chromium_sees_the_app_and_signs_in_at_the_platform_provider(
    page: Page, console_server: ConsoleServer
) -> None:
    base = console_server.base_url

    response = await page.goto(f"{base}/health")
    assert response is not None
    assert response.status == 200
    assert json.loads(await page.locator("body").inner_text()) == {"status": "ok"}
    await shot(page, "health")

    response = await page.goto(f"{base}/schema")
    assert response is not None
    assert response.status == 200
    assert await page.title() == "Crosswalk API"
    await shot(page, "schema")

    # The console's authorization request, made by hand (the console makes its own): code flow with PKCE.
    # Only the URL it comes back to is asserted: that request's state is not one the console issued.
    idp = console_server.idp
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "client_id": idp.client_id,
        "response_type": "code",
        "scope": "openid email profile",
        "redirect_uri": idp.redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "x",
        "nonce": "y",
    }
    await page.goto(f"{idp.issuer}/auth?{urlencode(query)}")
    assert await page.locator('input[name="login"]').is_visible()
    await shot(page, "provider-login")

    landed = await pass_provider(page, "ada", back=lambda url: url.startswith(idp.redirect_uri + "?"))
    await shot(page, "back-at-redirect-uri")
    sent = {key: values[0] for key, values in parse_qs(urlsplit(landed).query).items()}
    assert sent["code"]
    assert sent["state"] == "x"
    assert sent["iss"] == idp.issuer
    assert "error" not in sent

    folder = artifact_folder("test_chromium_sees_the_app_and_signs_in_at_the_platform_provider")
    assert [path.name for path in sorted(folder.glob("*.png"))] == [
        "01-health.png",
        "02-schema.png",
        "03-provider-login.png",
        "04-back-at-redirect-uri.png",
    ]


async def test_a_job_asked_for_through_the_served_app_runs_on_its_worker(
    console_server: ConsoleServer, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    async with httpx.AsyncClient(base_url=console_server.base_url, headers=auth(tenant), timeout=10) as http:
        response = await http.post("/api/v1/training-plans/recompute")
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        for _ in range(300):
            job = (await http.get(f"/api/v1/jobs/{job_id}")).json()
            if job["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.1)
    assert job["status"] == "succeeded", f"{job}\n{console_server.log_tails()}"
