"""A revoked partner's tokens stay refused when Redis loses its revocation entry (a flush, a failover to
a replica that never had it): the client's record in the database has the last word."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from backend.settings import Settings
from tests.conftest import TenantFactory, TokenFactory
from tests.partners.conftest import Register, bearer

Client = AsyncTestClient[Litestar]


async def test_a_revocation_survives_the_loss_of_its_redis_entry(
    client: Client, settings: Settings, make_tenant: TenantFactory, auth: TokenFactory, register: Register
) -> None:
    tenant = make_tenant()
    credentials = await register(tenant, "employees:read")
    headers = await bearer(client, credentials)
    assert (await client.get("/api/v1/employees", headers=headers)).status_code == 200
    revoked = await client.post(f"/api/v1/partner-clients/{credentials.id}/revoke", headers=auth(tenant))
    assert revoked.status_code == 204, revoked.text
    assert (await client.get("/api/v1/employees", headers=headers)).status_code == 401

    # Only this client's entry goes (other test runs share the Redis): as after a flush.
    redis = Redis.from_url(str(settings.redis_url))
    try:
        assert await redis.delete(f"crosswalk:revoked-client:{credentials.client_id}") == 1
    finally:
        await redis.aclose()
    refused = await client.get("/api/v1/employees", headers=headers)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
