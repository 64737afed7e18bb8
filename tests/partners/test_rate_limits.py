"""Rate limits of POST /oauth/token, and argon2 kept off the event loop and away from unknown clients.

Limits: every request per address, tokens issued per client, failed authentications per client (an
address where the client authenticated lately keeps being heard). Refusals are 429 problem+json
with Retry-After, before any secret is checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.app import build_collaborators, create_app
from backend.auth.hashing import UNPROVEN_HASHING_LIMITER
from backend.auth.ratelimits import RateLimiter, redis_client
from backend.settings import Settings
from tenants.sessions import TenantRef
from tests.conftest import ServedApp, TenantFactory, free_port
from tests.partners.conftest import Register, oauth_error, request_token
from tests.ratelimits import (
    fresh_namespace,
    from_address,
    holding_every_hashing_slot,
    in_loop,
    limited_app,
    limited_settings,
    served_with_limits,
    too_many,
)

BOGUS_ID = "pc_" + "0" * 24


@pytest.fixture(scope="module")
def served(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    with served_with_limits(
        settings,
        tmp_path_factory.mktemp("token-limits"),
        rate_limit_token_per_address="5/minute",
        rate_limit_token_per_client="100/minute",
        rate_limit_token_failures_per_client="3/minute",
        trusted_proxies="127.0.0.9",
    ) as server:
        yield server


@pytest.fixture
def tenant(make_tenant: TenantFactory) -> TenantRef:
    return make_tenant()


async def test_token_requests_per_address_get_429_and_other_addresses_do_not(served: ServedApp) -> None:
    async with from_address(served.base_url, "127.0.1.1") as first, from_address(served.base_url, "127.0.1.2") as other:
        for _ in range(5):
            oauth_error(await request_token(first, BOGUS_ID, "cwpsec_x"), 401, "invalid_client")
        body, retry_after = too_many(await request_token(first, BOGUS_ID, "cwpsec_x"))
        assert "this address" in body["detail"]
        assert 1 <= retry_after <= 60
        # A forwarded address from a peer that is not a trusted proxy changes nothing.
        spoofed = await first.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers={"X-Forwarded-For": "198.51.100.1"}
        )
        too_many(spoofed)
        oauth_error(await request_token(other, BOGUS_ID, "cwpsec_x"), 401, "invalid_client")


async def test_a_trusted_proxy_is_heard_for_the_address_it_forwards(served: ServedApp) -> None:
    async with from_address(served.base_url, "127.0.0.9") as proxy:
        for _ in range(5):
            forwarded = {"X-Forwarded-For": "198.51.100.20"}
            response = await proxy.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=forwarded)
            oauth_error(response, 401, "invalid_client")
        too_many(
            await proxy.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, headers={"X-Forwarded-For": "198.51.100.20"}
            )
        )
        # The proxy's other clients are other addresses.
        other = await proxy.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers={"X-Forwarded-For": "198.51.100.21"}
        )
        oauth_error(other, 401, "invalid_client")


async def test_failed_authentications_per_client_are_limited_except_where_it_signed_in_before(
    served: ServedApp, client: AsyncTestClient[Litestar], tenant: TenantRef, register: Register
) -> None:
    partner = await register(tenant, "employees:read")
    bystander = await register(tenant, "employees:read", name="Bystander")
    async with (
        from_address(served.base_url, "127.0.2.1") as home,
        from_address(served.base_url, "127.0.2.2") as attacker,
        from_address(served.base_url, "127.0.2.3") as elsewhere,
    ):
        assert (await request_token(home, partner.client_id, partner.client_secret)).status_code == 200
        for _ in range(3):
            oauth_error(await request_token(attacker, partner.client_id, "cwpsec_guess"), 401, "invalid_client")
        # Over the limit: refused before the secret is checked, even the right one from a new address...
        body, _ = too_many(await request_token(elsewhere, partner.client_id, partner.client_secret))
        assert "failed authentications of this client" in body["detail"]
        too_many(await request_token(attacker, partner.client_id, "cwpsec_guess"))
        # ... but the address the client authenticated from is still heard, and other clients are not affected.
        assert (await request_token(home, partner.client_id, partner.client_secret)).status_code == 200
        assert (await request_token(elsewhere, bystander.client_id, bystander.client_secret)).status_code == 200


async def test_tokens_per_client_are_counted_across_app_instances(
    settings: Settings, client: AsyncTestClient[Litestar], tenant: TenantRef, register: Register
) -> None:
    partner = await register(tenant, "employees:read")
    other = await register(tenant, "employees:read", name="Other")
    namespace = fresh_namespace(settings)
    rates = {"rate_limit_token_per_client": "3/minute"}
    one, two = limited_app(settings, namespace, **rates), limited_app(settings, namespace, **rates)
    async with AsyncTestClient(one) as first, AsyncTestClient(two) as second:
        for app_client in (first, second, first):
            assert (await request_token(app_client, partner.client_id, partner.client_secret)).status_code == 200
        body, _ = too_many(await request_token(second, partner.client_id, partner.client_secret))
        assert "tokens issued to this client" in body["detail"]
        assert (await request_token(second, other.client_id, other.client_secret)).status_code == 200


async def test_without_redis_the_token_endpoint_still_answers(
    settings: Settings, client: AsyncTestClient[Litestar], tenant: TenantRef, register: Register
) -> None:
    """Rate limits fail open: a Redis that cannot be reached costs neither a token nor a 500."""
    partner = await register(tenant, "employees:read")
    own = limited_settings(settings, rate_limit_token_per_address="1/minute", rate_limit_token_per_client="1/minute")
    services = build_collaborators(own)
    await services.rate_limiter.aclose()
    services.rate_limiter = RateLimiter.from_settings(redis_client(f"redis://127.0.0.1:{free_port()}/0"), settings)
    app = create_app(own, services)
    async with AsyncTestClient(app) as unlimited:
        for _ in range(3):
            response = await request_token(unlimited, partner.client_id, partner.client_secret)
            assert response.status_code == 200, response.text
            oauth_error(await request_token(unlimited, BOGUS_ID, "cwpsec_x"), 401, "invalid_client")


async def test_an_unknown_client_costs_no_argon2(settings: Settings) -> None:
    """With every hashing slot taken (a flood of real verifications), a made-up client id is still
    answered: it never waits for argon2."""
    async with in_loop(limited_app(settings)) as app_client, holding_every_hashing_slot():
        response = await asyncio.wait_for(request_token(app_client, BOGUS_ID, "cwpsec_x"), timeout=20)
    oauth_error(response, 401, "invalid_client")


async def test_a_secret_check_waits_for_a_hashing_slot_off_the_event_loop(
    settings: Settings, tenant: TenantRef, register: Register
) -> None:
    """A known client's secret is checked on a worker thread, within the bounded hashing slots: while
    they are all taken, its request waits and the rest of the app keeps answering."""
    partner = await register(tenant, "employees:read")
    async with in_loop(limited_app(settings)) as app_client:
        async with holding_every_hashing_slot():
            pending = asyncio.create_task(request_token(app_client, partner.client_id, partner.client_secret))
            for _ in range(3):
                assert (await app_client.get("/health")).status_code == 200
                await asyncio.sleep(0.2)
            assert not pending.done()
        assert (await asyncio.wait_for(pending, timeout=20)).status_code == 200


async def test_a_flood_of_wrong_secrets_never_queues_ahead_of_a_client_at_its_own_address(
    settings: Settings, tenant: TenantRef, register: Register
) -> None:
    """Secrets presented from an address the client has not authenticated from wait for slots of
    their own: with all of those taken, the client still gets its token from its own servers."""
    partner = await register(tenant, "employees:read")
    app = limited_app(settings)
    async with in_loop(app, "198.51.100.61") as home, in_loop(app, "198.51.100.62") as stranger:
        assert (await request_token(home, partner.client_id, partner.client_secret)).status_code == 200
        async with holding_every_hashing_slot(UNPROVEN_HASHING_LIMITER):
            elsewhere = asyncio.create_task(request_token(stranger, partner.client_id, partner.client_secret))
            response = await asyncio.wait_for(request_token(home, partner.client_id, partner.client_secret), 20)
            assert response.status_code == 200, response.text
            assert not elsewhere.done()
        assert (await asyncio.wait_for(elsewhere, timeout=20)).status_code == 200
