"""Rate limits of /scim/v2: per token (counted by every API process alike) and per address. A request
over a limit is 429 with Retry-After, as a SCIM error, before the token is even looked up. And the
per-tenant concurrency limit of the API (backend/api/concurrency.py) holds for SCIM too."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.settings import Settings
from tests.ratelimits import fresh_namespace, in_loop, limited, limited_app
from tests.scim.conftest import DirectoryFactory, scim_error, scim_ok


async def test_requests_per_token_are_counted_across_app_instances(
    settings: Settings, client: AsyncTestClient[Litestar], directory: DirectoryFactory
) -> None:
    okta, entra = await directory(), await directory()
    namespace = fresh_namespace(settings)
    rates = {"rate_limit_scim_per_token": "3/minute"}
    one, two = limited_app(settings, namespace, **rates), limited_app(settings, namespace, **rates)
    async with in_loop(one) as first, in_loop(two) as second:
        for scim in (first, second, first):
            scim_ok(await scim.get("/scim/v2/Users", headers=okta.headers))
        refused = scim_error(await second.get("/scim/v2/Users", headers=okta.headers), 429)
        assert "SCIM requests with this token" in refused["detail"]
        assert 1 <= int((await first.get("/scim/v2/Users", headers=okta.headers)).headers["retry-after"]) <= 60
        scim_ok(await second.get("/scim/v2/Users", headers=entra.headers))


async def test_requests_per_address_are_limited_whatever_the_token(
    settings: Settings, client: AsyncTestClient[Litestar], directory: DirectoryFactory
) -> None:
    okta = await directory()
    app = limited_app(settings, rate_limit_scim_per_address="3/minute")
    async with in_loop(app, "198.51.100.50") as guesser, in_loop(app, "198.51.100.51") as provider:
        for attempt in range(3):
            guess = {"Authorization": f"Bearer scim_guess{attempt}"}
            scim_error(await guesser.get("/scim/v2/Users", headers=guess), 401)
        refused = await guesser.get("/scim/v2/Users", headers=okta.headers)
        scim_error(refused, 429)
        assert int(refused.headers["retry-after"]) >= 1
        scim_ok(await provider.get("/scim/v2/Users", headers=okta.headers))


async def test_a_tenants_scim_requests_over_its_concurrency_are_refused_and_another_tenants_are_not(
    settings: Settings, client: AsyncTestClient[Litestar], directory: DirectoryFactory
) -> None:
    """A provisioning run is one tenant's flood like any other: at most `API_TENANT_CONCURRENCY` of its
    SCIM requests run at once in a process, so it never holds the pool another tenant waits for."""
    crowded, other = await directory(), await directory()
    app, collaborators = limited(settings, api_tenant_concurrency=1, api_tenant_queue_seconds=0)
    slots = collaborators.tenant_concurrency
    async with in_loop(app) as scim:
        # The crowded tenant's one slot is taken (by a request still running, as far as SCIM can tell).
        await slots.acquire(crowded.tenant.id)
        try:
            refused = await scim.get("/scim/v2/Users", headers=crowded.headers)
            assert "at once" in scim_error(refused, 429)["detail"]
            assert refused.headers["retry-after"] == "1"
            scim_ok(await scim.get("/scim/v2/Users", headers=other.headers))
        finally:
            slots.release(crowded.tenant.id)
        # The slot given back, the crowded tenant is served again.
        scim_ok(await scim.get("/scim/v2/Users", headers=crowded.headers))
