"""Who gets in: tokens, tenants' status, scopes and roles."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine

from backend.app import UnsafeServingRoleError, create_app
from backend.auth.principal import Scope, UserRole
from backend.auth.tokens import TokenClaims, TokenSigner
from backend.settings import Settings
from tenants.models import TenantStatus
from tenants.provisioning import RoleNames, set_status
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem

Client = AsyncTestClient[Litestar]


async def test_health_and_docs_need_no_token(client: Client) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ok", "postgres": "ok", "redis": "ok"}
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.1")
    docs = await client.get("/schema")
    assert docs.status_code == 200
    assert "<title>Crosswalk API</title>" in docs.text


async def test_missing_or_malformed_token_is_401(client: Client) -> None:
    body = problem(await client.get("/api/v1/employees"), 401)
    assert "bearer token is required" in body["detail"]
    problem(await client.get("/api/v1/employees", headers={"Authorization": "Basic abc"}), 401)
    problem(await client.get("/api/v1/employees", headers={"Authorization": "Bearer not-a-jwt"}), 401)


async def test_tampered_and_expired_tokens_are_401(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, signer: TokenSigner
) -> None:
    tenant = make_tenant()
    token = auth(tenant)["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    problem(await client.get("/api/v1/employees", headers={"Authorization": f"Bearer {tampered}"}), 401)
    claims = TokenClaims("x", tenant.slug, tenant.id, ("hr_admin",), ("employees:read",), None)
    # Expired an hour ago, well past the 30 s leeway for clock skew.
    stale = signer.mint(claims, ttl_seconds=-3600)
    body = problem(await client.get("/api/v1/employees", headers={"Authorization": f"Bearer {stale}"}), 401)
    assert "exp" in body["detail"] or "expired" in body["detail"]


async def test_unknown_tenant_is_404_and_suspended_is_403(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, owner_engine: Engine, roles: RoleNames
) -> None:
    tenant = make_tenant()
    headers = auth(tenant)
    assert (await client.get("/api/v1/employees", headers=headers)).status_code == 200
    set_status(owner_engine, roles, tenant.slug, TenantStatus.SUSPENDED)
    body = problem(await client.get("/api/v1/employees", headers=headers), 403)
    assert "suspended" in body["detail"]
    set_status(owner_engine, roles, tenant.slug, TenantStatus.ARCHIVED)
    problem(await client.get("/api/v1/employees", headers=headers), 403)
    ghost = replace(tenant, slug="ghost_co", id=uuid.uuid4())
    body = problem(await client.get("/api/v1/employees", headers=auth(ghost)), 404)
    assert "ghost_co" in body["detail"]


async def test_a_token_for_a_recreated_slug_is_refused(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    impostor = replace(tenant, id=uuid.uuid4())
    problem(await client.get("/api/v1/employees", headers=auth(impostor)), 401)


async def test_scopes_and_roles_are_enforced(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    tenant = make_tenant()
    employee = auth(tenant, UserRole.EMPLOYEE)
    assert (await client.get("/api/v1/employees", headers=employee)).status_code == 200
    body = problem(
        await client.post("/api/v1/org-units", json={"name": "Ops", "kind": "department"}, headers=employee), 403
    )
    assert "org:write" in body["detail"]
    read_only = auth(tenant, UserRole.HR_ADMIN, scopes=(Scope.ORG_READ.value,))
    problem(await client.get("/api/v1/employees", headers=read_only), 403)
    assert (await client.get("/api/v1/org-units", headers=read_only)).status_code == 200


async def test_tenant_cannot_be_chosen_by_header_or_query(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    a, b = make_tenant(), make_tenant()
    created = await client.post("/api/v1/org-units", json={"name": "B only", "kind": "team"}, headers=auth(b))
    assert created.status_code == 201
    tricks = {**auth(a), "X-Tenant": b.slug, "X-Tenant-Id": str(b.id)}
    listed = await client.get("/api/v1/org-units", headers=tricks)
    assert listed.status_code == 200
    assert listed.json()["items"] == []
    # No route takes a `tenant` parameter: asking for one is refused, never quietly ignored.
    refused = problem(await client.get(f"/api/v1/org-units?tenant={b.slug}", headers=tricks), 400)
    assert [e["field"] for e in refused["errors"]] == ["tenant"]


async def test_the_app_refuses_to_serve_as_a_privileged_role(settings: Settings) -> None:
    owner_as_server = settings.model_copy(
        update={"app_database_url": settings.owner_url.render_as_string(hide_password=False)}
    )
    # The test client runs the lifespan in a task group, which wraps the start-up error in a group.
    with pytest.raises(BaseExceptionGroup) as failure:
        async with AsyncTestClient(create_app(owner_as_server)):
            pass
    assert failure.group_contains(UnsafeServingRoleError, match="NOSUPERUSER NOINHERIT")


async def test_archiving_a_cached_tenant_answers_403_at_once(
    settings: Settings, make_tenant: TenantFactory, auth: TokenFactory, owner_engine: Engine, roles: RoleNames
) -> None:
    tenant, neighbour = make_tenant(), make_tenant()
    headers = auth(tenant)
    caching = settings.model_copy(update={"tenant_cache_seconds": 600, "db_pool_size": 1, "db_max_overflow": 0})
    async with AsyncTestClient(create_app(caching)) as cached_client:
        assert (await cached_client.get("/api/v1/employees", headers=headers)).status_code == 200
        set_status(owner_engine, roles, tenant.slug, TenantStatus.ARCHIVED)
        # The process still believes the tenant is active; Postgres refuses the role all the same.
        problem(await cached_client.get("/api/v1/employees", headers=headers), 403)
        # The one pooled connection that was refused is clean for the next tenant's request.
        assert (await cached_client.get("/api/v1/employees", headers=auth(neighbour))).status_code == 200
