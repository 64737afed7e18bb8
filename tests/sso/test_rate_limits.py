"""Rate limits of SSO login starts (GET /auth/<tenant>/login): per address and per company, against
the real OpenID providers of tests/sso/conftest.py. A start over a limit is 429 problem+json with
Retry-After, and never reaches the provider."""

from __future__ import annotations

from litestar import Litestar

from backend.settings import Settings
from tests.ratelimits import in_loop, limited_app, too_many
from tests.sso.conftest import SsoTenant


async def starts(app: Litestar, address: str, tenant: SsoTenant, count: int) -> None:
    async with in_loop(app, address) as browser:
        for _ in range(count):
            response = await browser.get(f"/auth/{tenant.tenant.slug}/login")
            assert response.status_code == 303, response.text
            assert response.headers["location"].startswith(tenant.provider.issuer + "/auth?")


async def test_login_starts_per_address_get_429_and_other_addresses_do_not(
    settings: Settings, sso_tenants: dict[str, SsoTenant]
) -> None:
    app = limited_app(settings, rate_limit_sso_login_per_address="3/minute")
    alpha, beta = sso_tenants["a"], sso_tenants["b"]
    await starts(app, "198.51.100.30", alpha, 3)
    async with in_loop(app, "198.51.100.30") as same:
        for tenant in (alpha, beta):
            body, _ = too_many(await same.get(f"/auth/{tenant.tenant.slug}/login"))
            assert "this address" in body["detail"]
    await starts(app, "198.51.100.31", alpha, 1)


async def test_login_starts_per_company_get_429_and_other_companies_do_not(
    settings: Settings, sso_tenants: dict[str, SsoTenant]
) -> None:
    app = limited_app(settings, rate_limit_sso_login_per_tenant="3/minute")
    alpha, beta = sso_tenants["a"], sso_tenants["b"]
    for address in ("198.51.100.40", "198.51.100.41", "198.51.100.42"):
        await starts(app, address, alpha, 1)
    async with in_loop(app, "198.51.100.43") as browser:
        body, _ = too_many(await browser.get(f"/auth/{alpha.tenant.slug}/login"))
        assert "this company" in body["detail"]
    await starts(app, "198.51.100.43", beta, 1)
