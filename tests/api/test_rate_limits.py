"""Rate limits of /api/v1: per token (its subject) and per company, counted in Redis so that every
API process shares them. Over a limit: 429 problem+json with Retry-After, documented in OpenAPI."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from backend.settings import Settings
from tests.conftest import TenantFactory, TokenFactory
from tests.ratelimits import fresh_namespace, in_loop, limited_app, too_many


async def test_requests_per_token_are_counted_across_app_instances(
    settings: Settings, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    busy, quiet = auth(tenant, UserRole.HR_ADMIN), auth(tenant, UserRole.HR_ADMIN)
    namespace = fresh_namespace(settings)
    rates = {"rate_limit_api_per_token": "3/minute"}
    one, two = limited_app(settings, namespace, **rates), limited_app(settings, namespace, **rates)
    async with in_loop(one) as first, in_loop(two) as second:
        for api in (first, second, first):
            assert (await api.get("/api/v1/employees", headers=busy)).status_code == 200
        body, retry_after = too_many(await second.get("/api/v1/employees", headers=busy))
        assert "API requests of this caller" in body["detail"]
        assert retry_after <= 60
        # Refused before the handler: a write over the limit changes nothing.
        hire = {"email": "over@example.com", "full_name": "Over Limit"}
        too_many(await first.post("/api/v1/employees", json=hire, headers=busy))
        listed = await second.get("/api/v1/employees", headers=quiet)
        assert listed.status_code == 200
        assert listed.json()["items"] == []


async def test_requests_per_company_are_limited_and_other_companies_are_not(
    settings: Settings, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    crowded, other = make_tenant(), make_tenant()
    app = limited_app(settings, rate_limit_api_per_tenant="4/minute")
    async with in_loop(app) as api:
        for _ in range(4):
            caller = auth(crowded, UserRole.EMPLOYEE)
            assert (await api.get("/api/v1/skills", headers=caller)).status_code == 200
        body, _ = too_many(await api.get("/api/v1/skills", headers=auth(crowded, UserRole.HR_ADMIN)))
        assert "API requests of this company" in body["detail"]
        assert (await api.get("/api/v1/skills", headers=auth(other, UserRole.EMPLOYEE))).status_code == 200


async def test_the_429_is_documented_on_limited_routes(client: AsyncTestClient[Litestar]) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "429" in paths["/api/v1/employees"]["get"]["responses"]
    assert "429" in paths["/oauth/token"]["post"]["responses"]
    assert "429" in paths["/auth/{tenant_slug}/login"]["get"]["responses"]
    assert "429" not in paths["/health"]["get"]["responses"]
