"""The HR admins' API for partner apps: registration, secrets shown once, rotation, revocation, isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text

from backend.auth.principal import UserRole
from backend.settings import Settings
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.partners.conftest import Register, bearer, oauth_error, request_token

Client = AsyncTestClient[Litestar]


async def test_registration_validates_scopes_and_names_the_bad_one(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    hr = auth(make_tenant(), UserRole.HR_ADMIN)
    unknown = await client.post(
        "/api/v1/partner-clients", json={"name": "LMS", "scopes": ["employees:read", "salaries:read"]}, headers=hr
    )
    body = problem(unknown, 422)
    assert "'salaries:read'" in body["detail"]
    assert body["errors"][0]["field"] == "scopes"
    admin = await client.post("/api/v1/partner-clients", json={"name": "LMS", "scopes": ["identity:admin"]}, headers=hr)
    assert "'identity:admin' cannot be granted" in problem(admin, 422)["detail"]
    problem(await client.post("/api/v1/partner-clients", json={"name": "LMS", "scopes": []}, headers=hr), 400)
    blank = await client.post("/api/v1/partner-clients", json={"name": "LMS", "scopes": [""]}, headers=hr)
    assert "unknown scope ''" in problem(blank, 422)["detail"]
    problem(await client.post("/api/v1/partner-clients", json={"name": " ", "scopes": ["org:read"]}, headers=hr), 400)
    # The secret would have to be stored to be replayed; it never is.
    keyed = await client.post(
        "/api/v1/partner-clients",
        json={"name": "LMS", "scopes": ["org:read"]},
        headers={**hr, "Idempotency-Key": "create-lms"},
    )
    assert "Idempotency-Key" in problem(keyed, 400)["detail"]
    assert (await client.get("/api/v1/partner-clients", headers=hr)).json()["items"] == []


async def test_the_secret_is_shown_once_and_never_again(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, owner_engine: Engine
) -> None:
    tenant = make_tenant()
    hr = auth(tenant, UserRole.HR_ADMIN)
    created = await client.post(
        "/api/v1/partner-clients",
        json={"name": "Workday sync", "scopes": ["skills:write", "employees:read", "employees:read"]},
        headers=hr,
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    assert set(body) == {"id", "client_id", "client_secret", "name", "scopes", "created_at"}
    assert body["scopes"] == ["employees:read", "skills:write"]
    secret = body["client_secret"]

    rotated = await client.post(f"/api/v1/partner-clients/{body['id']}/rotate", headers=hr)
    assert rotated.headers["cache-control"] == "no-store"
    new_secret = rotated.json()["client_secret"]
    listed = await client.get("/api/v1/partner-clients", headers=hr)
    one = await client.get(f"/api/v1/partner-clients/{body['id']}", headers=hr)
    for response in (listed, one):
        assert response.status_code == 200, response.text
        for shown in (secret, new_secret, "$argon2", "hash"):
            assert shown not in response.text
    read = one.json()
    assert "client_secret" not in read
    assert read["client_id"] == body["client_id"]
    assert read["name"] == "Workday sync"
    assert read["revoked_at"] is None
    assert read["created_by"].startswith("test:")
    assert listed.json()["items"] == [read]
    # Stored as argon2id hashes, never as the secret.
    with owner_engine.connect() as connection:
        stored = connection.execute(
            text("SELECT secret_hash, previous_secret_hash FROM control.partner_clients WHERE id = :id"),
            {"id": uuid.UUID(body["id"])},
        ).one()
    assert all(h.startswith("$argon2id$") for h in stored)
    assert secret not in stored
    assert new_secret not in stored


async def test_rotation_keeps_the_old_secret_for_the_grace_period_only(
    client: Client,
    make_tenant: TenantFactory,
    auth: TokenFactory,
    register: Register,
    owner_engine: Engine,
    settings: Settings,
) -> None:
    partner = await register(make_tenant(), "employees:read")
    hr = auth(partner.tenant, UserRole.HR_ADMIN)
    rotate_url = f"/api/v1/partner-clients/{partner.id}/rotate"

    rotated = await client.post(rotate_url, headers=hr)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["client_id"] == partner.client_id
    assert new["client_secret"] != partner.client_secret
    until = datetime.fromisoformat(new["previous_secret_expires_at"])
    expected = datetime.now(UTC) + timedelta(seconds=settings.partner_secret_grace_seconds)
    assert abs((until - expected).total_seconds()) < 60
    for secret in (partner.client_secret, new["client_secret"]):
        assert (await request_token(client, partner.client_id, secret)).status_code == 200

    # The grace period ends.
    with owner_engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE control.partner_clients SET previous_secret_expires_at = now() - interval '1 second' "
                "WHERE id = :id"
            ),
            {"id": uuid.UUID(partner.id)},
        )
    oauth_error(await request_token(client, partner.client_id, partner.client_secret), 401, "invalid_client")
    assert (await request_token(client, partner.client_id, new["client_secret"])).status_code == 200

    # Rotating again replaces the previous secret: only the two newest can work.
    second = (await client.post(rotate_url, json={"grace_seconds": 3600}, headers=hr)).json()
    third = (await client.post(rotate_url, json={"grace_seconds": 3600}, headers=hr)).json()
    oauth_error(await request_token(client, partner.client_id, new["client_secret"]), 401, "invalid_client")
    for secret in (second["client_secret"], third["client_secret"]):
        assert (await request_token(client, partner.client_id, secret)).status_code == 200

    # No grace: the replaced secret stops at once.
    immediate = await client.post(rotate_url, json={"grace_seconds": 0}, headers=hr)
    assert immediate.json()["previous_secret_expires_at"] is None
    oauth_error(await request_token(client, partner.client_id, third["client_secret"]), 401, "invalid_client")
    assert (await request_token(client, partner.client_id, immediate.json()["client_secret"])).status_code == 200
    problem(await client.post(rotate_url, json={"grace_seconds": -1}, headers=hr), 400)


async def test_revocation_takes_effect_at_once_here_and_in_another_process(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, register: Register, app_base_url: str
) -> None:
    partner = await register(make_tenant(), "employees:read")
    hr = auth(partner.tenant, UserRole.HR_ADMIN)
    headers = await bearer(client, partner)
    async with httpx.AsyncClient(base_url=app_base_url) as other_process:
        # The other process issues tokens too, for the same clients, with the same key.
        from_there = await request_token(other_process, partner.client_id, partner.client_secret)
        assert from_there.status_code == 200, from_there.text
        there = {"Authorization": f"Bearer {from_there.json()['access_token']}"}
        assert (await client.get("/api/v1/employees", headers=headers)).status_code == 200
        assert (await other_process.get("/api/v1/employees", headers=headers)).status_code == 200
        assert (await client.get("/api/v1/employees", headers=there)).status_code == 200

        revoked = await client.post(f"/api/v1/partner-clients/{partner.id}/revoke", headers=hr)
        assert revoked.status_code == 204, revoked.text

        for api, token in ((client, headers), (other_process, headers), (client, there), (other_process, there)):
            assert "revoked" in problem(await api.get("/api/v1/employees", headers=token), 401)["detail"]
        for api in (client, other_process):
            oauth_error(await request_token(api, partner.client_id, partner.client_secret), 401, "invalid_client")

    read = (await client.get(f"/api/v1/partner-clients/{partner.id}", headers=hr)).json()
    assert read["revoked_at"] is not None
    # Revoking again is harmless; a revoked client cannot be given a new secret.
    assert (await client.post(f"/api/v1/partner-clients/{partner.id}/revoke", headers=hr)).status_code == 204
    assert (
        "revoked"
        in problem(await client.post(f"/api/v1/partner-clients/{partner.id}/rotate", headers=hr), 409)["detail"]
    )


async def test_a_partner_of_tenant_a_never_reaches_tenant_b(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, register: Register
) -> None:
    a, b = make_tenant(), make_tenant()
    hr_a, hr_b = auth(a, UserRole.HR_ADMIN), auth(b, UserRole.HR_ADMIN)
    for tenant, hr, email in ((a, hr_a, "a@example.com"), (b, hr_b, "b@example.com")):
        created = await client.post("/api/v1/employees", json={"email": email, "full_name": tenant.slug}, headers=hr)
        assert created.status_code == 201
    b_employee = (await client.get("/api/v1/employees", headers=hr_b)).json()["items"][0]["id"]
    partner_a = await register(a, "employees:read", "employees:write")
    partner_b = await register(b, "employees:read")

    as_a = await bearer(client, partner_a)
    assert [e["email"] for e in (await client.get("/api/v1/employees", headers=as_a)).json()["items"]] == [
        "a@example.com"
    ]
    problem(await client.get(f"/api/v1/employees/{b_employee}", headers=as_a), 404)
    problem(await client.patch(f"/api/v1/employees/{b_employee}", json={"title": "x"}, headers=as_a), 404)

    # A's HR admins see, rotate and revoke only A's partner apps.
    listed = (await client.get("/api/v1/partner-clients", headers=hr_a)).json()["items"]
    assert [c["client_id"] for c in listed] == [partner_a.client_id]
    problem(await client.get(f"/api/v1/partner-clients/{partner_b.id}", headers=hr_a), 404)
    problem(await client.post(f"/api/v1/partner-clients/{partner_b.id}/rotate", headers=hr_a), 404)
    problem(await client.post(f"/api/v1/partner-clients/{partner_b.id}/revoke", headers=hr_a), 404)
    problem(await client.get(f"/api/v1/partner-clients/{uuid.uuid4()}", headers=hr_a), 404)
    # And B's app is untouched: its secret and its tokens still work.
    as_b = await bearer(client, partner_b)
    assert [e["email"] for e in (await client.get("/api/v1/employees", headers=as_b)).json()["items"]] == [
        "b@example.com"
    ]
