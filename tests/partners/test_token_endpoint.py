"""POST /oauth/token (client credentials), the published keys and metadata, and what the token opens."""

from __future__ import annotations

import base64
import time
import uuid

from argon2 import PasswordHasher
from joserfc import jwt
from joserfc.jwk import KeySet
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text

from backend.auth.principal import PARTNER_SCOPES, UserRole
from backend.auth.ratelimits import RateLimiter, redis_client
from backend.auth.tokens import TokenSigner
from backend.core.unit_of_work import UnitOfWork
from backend.partners.oauth import TokenEndpoint
from backend.settings import Settings
from tenants.models import TenantStatus
from tenants.provisioning import RoleNames, set_status
from tenants.sessions import Database
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.partners.conftest import Register, bearer, oauth_error, request_token
from tests.worker.test_outbox import RecordingSender

Client = AsyncTestClient[Litestar]


async def test_a_partner_gets_a_token_by_basic_and_by_post_and_reads_its_tenant(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, register: Register, settings: Settings
) -> None:
    tenant = make_tenant()
    hire = {"email": "ada@example.com", "full_name": "Ada Lovelace"}
    assert (await client.post("/api/v1/employees", json=hire, headers=auth(tenant))).status_code == 201
    partner = await register(tenant, "employees:read", "skills:read")
    assert partner.client_id.startswith("pc_")
    assert partner.client_secret.startswith("cwpsec_")

    for method in ("basic", "post"):
        response = await request_token(client, partner.client_id, partner.client_secret, method=method)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-type"].startswith("application/json")
        token = response.json()
        assert set(token) == {"access_token", "token_type", "expires_in", "scope"}
        assert token["token_type"] == "Bearer"
        assert token["expires_in"] == settings.partner_token_ttl_seconds
        assert token["scope"] == "employees:read skills:read"
        employees = await client.get("/api/v1/employees", headers={"Authorization": f"Bearer {token['access_token']}"})
        assert employees.status_code == 200, employees.text
        assert [e["email"] for e in employees.json()["items"]] == ["ada@example.com"]


async def test_a_partner_may_ask_for_fewer_scopes_but_not_more(
    client: Client, make_tenant: TenantFactory, register: Register
) -> None:
    partner = await register(make_tenant(), "employees:read", "org:read")
    narrow = await request_token(client, partner.client_id, partner.client_secret, scope="employees:read")
    assert narrow.status_code == 200, narrow.text
    assert narrow.json()["scope"] == "employees:read"
    headers = {"Authorization": f"Bearer {narrow.json()['access_token']}"}
    assert (await client.get("/api/v1/employees", headers=headers)).status_code == 200
    assert "org:read" in problem(await client.get("/api/v1/org-units", headers=headers), 403)["detail"]

    for scope in ("employees:read employees:write", "identity:admin", "nonsense:scope"):
        response = await request_token(client, partner.client_id, partner.client_secret, scope=scope)
        body = oauth_error(response, 400, "invalid_scope")
        assert scope.split()[-1] in body["error_description"]
    malformed = await request_token(client, partner.client_id, partner.client_secret, scope='employees:read "x"')
    oauth_error(malformed, 400, "invalid_scope")


async def test_wrong_secret_and_unknown_client_look_the_same_and_get_nothing(
    client: Client, make_tenant: TenantFactory, register: Register
) -> None:
    partner = await register(make_tenant(), "employees:read")
    wrong = await request_token(client, partner.client_id, partner.client_secret + "x")
    unknown = await request_token(client, "pc_" + "0" * 24, partner.client_secret)
    for response in (wrong, unknown):
        oauth_error(response, 401, "invalid_client")
        assert response.headers["www-authenticate"].startswith("Basic ")
    # Nothing tells an existing client id from an unknown one.
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"]
    posted = await request_token(client, partner.client_id, "cwpsec_guess", method="post")
    oauth_error(posted, 401, "invalid_client")
    no_credentials = await client.post("/oauth/token", data={"grant_type": "client_credentials"})
    oauth_error(no_credentials, 401, "invalid_client")
    garbage = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()},
    )
    oauth_error(garbage, 401, "invalid_client")


async def test_malformed_token_requests_get_rfc_6749_errors(
    client: Client, make_tenant: TenantFactory, register: Register
) -> None:
    partner = await register(make_tenant(), "employees:read")
    basic = (partner.client_id, partner.client_secret)
    oauth_error(await client.post("/oauth/token", data={}, auth=basic), 400, "invalid_request")
    oauth_error(
        await client.post("/oauth/token", data={"grant_type": "password"}, auth=basic), 400, "unsupported_grant_type"
    )
    as_json = await client.post("/oauth/token", json={"grant_type": "client_credentials"}, auth=basic)
    assert "x-www-form-urlencoded" in oauth_error(as_json, 400, "invalid_request")["error_description"]
    both = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_secret": partner.client_secret},
        auth=basic,
    )
    oauth_error(both, 400, "invalid_request")
    repeated = await client.post(
        "/oauth/token",
        content="grant_type=client_credentials&scope=employees:read&scope=org:read",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=basic,
    )
    assert "scope" in oauth_error(repeated, 400, "invalid_request")["error_description"]
    # Parameters it does not know, repeated or not, the server ignores (RFC 6749 section 3.1).
    extras = await client.post(
        "/oauth/token",
        content="grant_type=client_credentials&audience=x&audience=y&=z",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=basic,
    )
    assert extras.status_code == 200, extras.text
    assert (await client.get("/oauth/token")).status_code == 405


async def test_a_token_with_one_scope_is_refused_elsewhere_with_problem_json(
    client: Client, make_tenant: TenantFactory, register: Register
) -> None:
    partner = await register(make_tenant(), "employees:read")
    headers = await bearer(client, partner)
    write = await client.post("/api/v1/employees", json={"email": "x@example.com", "full_name": "X"}, headers=headers)
    assert "employees:write" in problem(write, 403)["detail"]
    other = await client.get("/api/v1/skills", headers=headers)
    assert "taxonomy:read" in problem(other, 403)["detail"]
    # A partner never manages credentials, whatever it was granted.
    admin = await client.get("/api/v1/partner-clients", headers=headers)
    assert "identity:admin" in problem(admin, 403)["detail"]


async def test_the_token_verifies_against_the_published_keys(
    client: Client, make_tenant: TenantFactory, register: Register, settings: Settings
) -> None:
    tenant = make_tenant()
    partner = await register(tenant, "employees:read", "skills:write")
    before = int(time.time())
    access_token = (await request_token(client, partner.client_id, partner.client_secret)).json()["access_token"]

    keys_response = await client.get("/.well-known/jwks.json")
    assert keys_response.status_code == 200
    assert "public" in keys_response.headers["cache-control"]
    published = keys_response.json()
    for key in published["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(key), "a private parameter is published"
    decoded = jwt.decode(access_token, KeySet.import_key_set(published), algorithms=["ES256"])
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.header["kid"] in {k["kid"] for k in published["keys"]}
    claims = decoded.claims
    assert claims["client_id"] == partner.client_id
    assert claims["sub"] == f"partner:{partner.client_id}"
    assert claims["tenant"] == tenant.slug
    assert claims["tid"] == str(tenant.id)
    assert claims["iss"] == settings.token_issuer
    assert claims["aud"] == "crosswalk-api"
    assert claims["scope"] == "employees:read skills:write"
    assert claims["exp"] - claims["iat"] == settings.partner_token_ttl_seconds
    assert before <= claims["iat"] <= int(time.time())

    metadata_response = await client.get("/.well-known/oauth-authorization-server")
    assert metadata_response.status_code == 200
    metadata = metadata_response.json()
    # The metadata's issuer is the tokens' iss, as RFC 9068 validators require.
    assert metadata["issuer"] == claims["iss"]
    assert metadata["token_endpoint"] == f"{settings.base_url}/oauth/token"
    assert metadata["jwks_uri"] == f"{settings.base_url}/.well-known/jwks.json"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    assert set(metadata["scopes_supported"]) == {s.value for s in PARTNER_SCOPES}
    assert "identity:admin" not in metadata["scopes_supported"]


async def test_a_suspended_tenants_partner_gets_no_token(
    client: Client, make_tenant: TenantFactory, register: Register, owner_engine: Engine, roles: RoleNames
) -> None:
    tenant = make_tenant()
    partner = await register(tenant, "employees:read")
    headers = await bearer(client, partner)
    set_status(owner_engine, roles, tenant.slug, TenantStatus.SUSPENDED)
    try:
        response = await request_token(client, partner.client_id, partner.client_secret)
        assert "suspended" in oauth_error(response, 400, "unauthorized_client")["error_description"]
        problem(await client.get("/api/v1/employees", headers=headers), 403)
    finally:
        set_status(owner_engine, roles, tenant.slug, TenantStatus.ACTIVE)
    assert (await request_token(client, partner.client_id, partner.client_secret)).status_code == 200


async def test_a_secret_hashed_with_older_parameters_is_rehashed_on_use(
    client: Client, make_tenant: TenantFactory, register: Register, owner_engine: Engine
) -> None:
    partner = await register(make_tenant(), "employees:read")
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(partner.client_secret)
    with owner_engine.begin() as connection:
        connection.execute(
            text("UPDATE control.partner_clients SET secret_hash = :h WHERE id = :id"),
            {"h": weaker, "id": uuid.UUID(partner.id)},
        )
    assert (await request_token(client, partner.client_id, partner.client_secret)).status_code == 200
    with owner_engine.connect() as connection:
        stored = connection.scalar(
            text("SELECT secret_hash FROM control.partner_clients WHERE id = :id"), {"id": uuid.UUID(partner.id)}
        )
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert (await request_token(client, partner.client_id, partner.client_secret)).status_code == 200


async def test_people_who_are_not_hr_admins_cannot_manage_partner_apps(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    for role in (UserRole.EMPLOYEE, UserRole.MANAGER):
        headers = auth(tenant, role)
        assert "identity:admin" in problem(await client.get("/api/v1/partner-clients", headers=headers), 403)["detail"]
        created = await client.post(
            "/api/v1/partner-clients", json={"name": "Sneaky", "scopes": ["employees:read"]}, headers=headers
        )
        problem(created, 403)


async def test_the_token_endpoint_refuses_plain_http_off_loopback(
    database: Database, signer: TokenSigner, make_tenant: TenantFactory, register: Register, settings: Settings
) -> None:
    """Behind PUBLIC_URL=http://<a real host>, secrets would cross the network in clear: no tokens."""
    partner = await register(make_tenant(), "employees:read")
    assert settings.redis_url is not None
    limiter = RateLimiter.from_settings(redis_client(settings.redis_url), settings)
    unit_of_work = UnitOfWork(database, RecordingSender())
    endpoint = TokenEndpoint(unit_of_work, signer, 900, "http://crosswalk.example.com/oauth/token", limiter)
    basic = "Basic " + base64.b64encode(f"{partner.client_id}:{partner.client_secret}".encode()).decode()
    try:
        answer = await endpoint.handle(
            b"grant_type=client_credentials", "application/x-www-form-urlencoded", basic, "192.0.2.1"
        )
    finally:
        await limiter.aclose()
    assert answer.status == 400
    assert answer.body["error"] == "insecure_transport"
    assert "access_token" not in answer.body
