"""PartnerAuthenticator.authenticate: the same checks as the token endpoint, for callers outside OAuth."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from sqlalchemy import Engine

from backend.auth.revocations import ClientRevocations
from backend.partners.service import (
    PartnerAuthenticationError,
    PartnerAuthenticator,
    PartnerClientService,
    PartnerTenantUnavailableError,
)
from backend.settings import Settings
from tenants.models import TenantStatus
from tenants.provisioning import RoleNames, set_status
from tenants.sessions import Database
from tests.conftest import TenantFactory


async def test_authenticate_accepts_current_and_graced_secrets_and_refuses_the_rest(
    database: Database, settings: Settings, make_tenant: TenantFactory, owner_engine: Engine, roles: RoleNames
) -> None:
    tenant = make_tenant()
    async with database.control_session() as session:
        clients = PartnerClientService(session, tenant.id)
        first = await clients.create(name="HRIS", scopes=["org:read"], created_by="test")
        second = await clients.rotate(first.client.client_id, grace_seconds=60)
        await session.commit()
    client_id = first.client.client_id

    async with database.control_session() as session:
        authenticator = PartnerAuthenticator(session)
        for secret in (first.secret, second.secret):
            found = await authenticator.authenticate(client_id, secret)
            assert (found.client_id, found.tenant.id, found.scopes) == (client_id, tenant.id, ("org:read",))
        for wrong_id, wrong_secret in ((client_id, "cwpsec_nope"), ("pc_unknown", second.secret)):
            with pytest.raises(PartnerAuthenticationError):
                await authenticator.authenticate(wrong_id, wrong_secret)

    set_status(owner_engine, roles, tenant.slug, TenantStatus.SUSPENDED)
    try:
        async with database.control_session() as session:
            with pytest.raises(PartnerTenantUnavailableError):
                await PartnerAuthenticator(session).authenticate(client_id, second.secret)
    finally:
        set_status(owner_engine, roles, tenant.slug, TenantStatus.ACTIVE)

    redis = Redis.from_url(str(settings.redis_url))
    async with database.control_session() as session:
        await PartnerClientService(session, tenant.id).revoke(client_id, ClientRevocations(redis))
        await session.commit()
    await redis.aclose()
    async with database.control_session() as session:
        for secret in (first.secret, second.secret):
            with pytest.raises(PartnerAuthenticationError):
                await PartnerAuthenticator(session).authenticate(client_id, secret)
