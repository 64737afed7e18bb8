"""Who may use /scim/v2, and what they see: tokens (missing, garbage, revoked, another tenant's), the
token management API for HR admins, tenant isolation, and the discovery endpoints."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, text

from backend.auth.principal import UserRole
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.scim.conftest import (
    CROSSWALK,
    ENTERPRISE,
    GROUP,
    LIST,
    SCIM_JSON,
    USER,
    Client,
    DirectoryFactory,
    okta_user,
    patch_op,
    provision,
    scim_error,
    scim_ok,
)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Basic c2NpbTpzY2lt",
        "Bearer scim_not-a-real-token",
        "Bearer garbage",
        "Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln",
    ],
)
async def test_bad_credentials_get_401_scim_errors(
    client: Client, directory: DirectoryFactory, authorization: str | None
) -> None:
    await directory()
    headers = {"Authorization": authorization} if authorization else {}
    for method, path in (("GET", "/scim/v2/Users"), ("POST", "/scim/v2/Users"), ("GET", "/scim/v2/Schemas")):
        response = await client.request(method, path, json=okta_user("x@example.com"), headers=headers)
        scim_error(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_an_api_token_is_not_a_scim_token(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    hr = auth(make_tenant(), UserRole.HR_ADMIN)
    body = scim_error(await client.get("/scim/v2/Users", headers=hr), 401)
    assert "SCIM token" in body["detail"]


async def test_token_management(
    client: Client, directory: DirectoryFactory, make_tenant: TenantFactory, auth: TokenFactory, owner_engine: Engine
) -> None:
    d = await directory()
    created = await client.post("/api/v1/scim-tokens", json={"name": "Entra ID"}, headers=d.hr)
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    token = created.json()
    assert token["token"].startswith("scim_")
    assert token["token"].startswith(token["prefix"])
    assert token["token"] != token["prefix"]
    assert token["scim_base_url"].endswith("/scim/v2")
    assert set(token) == {"id", "name", "prefix", "created_at", "token", "scim_base_url"}
    headers = {"Authorization": f"Bearer {token['token']}"}
    scim_ok(await client.get("/scim/v2/Users", headers=headers))

    # Listed without the token or its hash; used tokens show when.
    listed = (await client.get("/api/v1/scim-tokens", headers=d.hr)).json()
    assert [t["name"] for t in listed["items"]] == ["Okta", "Entra ID"]
    for item in listed["items"]:
        assert set(item) == {"id", "name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"}
        assert item["created_by"].startswith("test:")
    assert listed["items"][1]["last_used_at"] is not None
    assert token["token"] not in str(listed)
    with owner_engine.connect() as connection:
        stored = connection.execute(
            text("SELECT token_hash, token_prefix FROM control.scim_tokens WHERE id = :id"), {"id": token["id"]}
        ).one()
    assert token["token"] not in stored
    assert len(stored.token_hash) == 64

    # Another tenant's HR admin can neither see nor revoke it.
    other_hr = auth(make_tenant(), UserRole.HR_ADMIN)
    assert (await client.get("/api/v1/scim-tokens", headers=other_hr)).json()["items"] == []
    problem(await client.delete(f"/api/v1/scim-tokens/{token['id']}", headers=other_hr), 404)
    scim_ok(await client.get("/scim/v2/Users", headers=headers))

    # Revoked: refused at once, the other token keeps working; revoking again changes nothing.
    assert (await client.delete(f"/api/v1/scim-tokens/{token['id']}", headers=d.hr)).status_code == 204
    scim_error(await client.get("/scim/v2/Users", headers=headers), 401)
    scim_ok(await client.get("/scim/v2/Users", headers=d.headers))
    assert (await client.delete(f"/api/v1/scim-tokens/{token['id']}", headers=d.hr)).status_code == 204
    revoked = (await client.get("/api/v1/scim-tokens", headers=d.hr)).json()["items"][1]
    assert revoked["revoked_at"] is not None
    problem(await client.delete(f"/api/v1/scim-tokens/{uuid.uuid4()}", headers=d.hr), 404)


async def test_token_management_needs_identity_admin(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    for role in (UserRole.EMPLOYEE, UserRole.MANAGER):
        caller = auth(tenant, role)
        problem(await client.post("/api/v1/scim-tokens", json={"name": "Mine"}, headers=caller), 403)
        problem(await client.get("/api/v1/scim-tokens", headers=caller), 403)
        problem(await client.delete(f"/api/v1/scim-tokens/{uuid.uuid4()}", headers=caller), 403)
    problem(await client.get("/api/v1/scim-tokens"), 401)
    hr = auth(tenant, UserRole.HR_ADMIN)
    problem(await client.post("/api/v1/scim-tokens", json={"name": ""}, headers=hr), 400)
    problem(await client.post("/api/v1/scim-tokens", json={"name": "x", "token": "mine"}, headers=hr), 400)
    # The token is shown once and never stored, so a replayable (idempotent) create cannot exist.
    keyed = await client.post("/api/v1/scim-tokens", json={"name": "x"}, headers={**hr, "Idempotency-Key": "k1"})
    assert "Idempotency-Key" in problem(keyed, 400)["detail"]
    assert (await client.get("/api/v1/scim-tokens", headers=hr)).json()["items"] == []


async def test_a_suspended_tenants_token_is_refused(
    client: Client, directory: DirectoryFactory, owner_engine: Engine
) -> None:
    d = await directory()
    scim_ok(await client.get("/scim/v2/Users", headers=d.headers))
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE control.tenants SET status = 'suspended' WHERE id = :id"), {"id": d.tenant.id})
    try:
        scim_error(await client.get("/scim/v2/Users", headers=d.headers), 403)
    finally:
        with owner_engine.begin() as connection:
            connection.execute(text("UPDATE control.tenants SET status = 'active' WHERE id = :id"), {"id": d.tenant.id})


async def test_tenants_are_isolated(client: Client, directory: DirectoryFactory) -> None:
    a = await directory()
    b = await directory()
    # The same userName in two tenants is two people.
    in_a = await provision(client, a, okta_user("same@example.com", title="A"))
    in_b = await provision(client, b, okta_user("same@example.com", title="B"))
    assert in_a["id"] != in_b["id"]
    group_b = scim_ok(
        await client.post(
            "/scim/v2/Groups",
            json={"schemas": [GROUP], "displayName": "B team", "members": [{"value": in_b["id"]}]},
            headers=b.headers,
        ),
        201,
    )

    # A's token sees only A's people and groups.
    listed = scim_ok(await client.get("/scim/v2/Users", headers=a.headers))
    assert [u["id"] for u in listed["Resources"]] == [in_a["id"]]
    assert scim_ok(await client.get("/scim/v2/Groups", headers=a.headers))["totalResults"] == 0

    # Everything A's token tries on B's objects is a 404 that changes nothing.
    user_b = f"/scim/v2/Users/{in_b['id']}"
    group_url = f"/scim/v2/Groups/{group_b['id']}"
    scim_error(await client.get(user_b, headers=a.headers), 404)
    scim_error(await client.put(user_b, json=okta_user("same@example.com", title="hacked"), headers=a.headers), 404)
    scim_error(
        await client.patch(
            user_b, json=patch_op({"op": "replace", "path": "active", "value": False}), headers=a.headers
        ),
        404,
    )
    scim_error(await client.delete(user_b, headers=a.headers), 404)
    scim_error(await client.get(group_url, headers=a.headers), 404)
    scim_error(await client.delete(group_url, headers=a.headers), 404)
    # Nor can A make B's user its manager or group member.
    scim_error(
        await client.patch(
            f"/scim/v2/Users/{in_a['id']}",
            json=patch_op({"op": "replace", "path": f"{ENTERPRISE}:manager", "value": in_b["id"]}),
            headers=a.headers,
        ),
        400,
        "invalidValue",
    )
    scim_error(
        await client.post(
            "/scim/v2/Groups",
            json={"schemas": [GROUP], "displayName": "Sneaky", "members": [{"value": in_b["id"]}]},
            headers=a.headers,
        ),
        400,
        "invalidValue",
    )

    after = scim_ok(await client.get(user_b, headers=b.headers))
    assert after == in_b
    assert [m["value"] for m in scim_ok(await client.get(group_url, headers=b.headers))["members"]] == [in_b["id"]]


async def test_discovery_endpoints(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    config = scim_ok(await client.get("/scim/v2/ServiceProviderConfig", headers=d.headers))
    assert config["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert config["patch"] == {"supported": True}
    assert config["bulk"]["supported"] is False
    assert config["etag"] == {"supported": True}
    assert config["sort"] == {"supported": False}
    assert config["changePassword"] == {"supported": False}
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert config["meta"]["location"].endswith("/scim/v2/ServiceProviderConfig")

    types = scim_ok(await client.get("/scim/v2/ResourceTypes", headers=d.headers))
    assert types["schemas"] == [LIST]
    assert types["totalResults"] == 2
    by_name = {t["name"]: t for t in types["Resources"]}
    assert by_name["User"]["endpoint"] == "/Users"
    assert by_name["User"]["schema"] == USER
    assert by_name["User"]["schemaExtensions"] == [
        {"schema": ENTERPRISE, "required": False},
        {"schema": CROSSWALK, "required": False},
    ]
    assert by_name["Group"]["endpoint"] == "/Groups"
    assert scim_ok(await client.get("/scim/v2/ResourceTypes/User", headers=d.headers))["name"] == "User"
    scim_error(await client.get("/scim/v2/ResourceTypes/Pet", headers=d.headers), 404)

    found = scim_ok(await client.get("/scim/v2/Schemas", headers=d.headers))
    assert {s["id"] for s in found["Resources"]} == {
        USER,
        ENTERPRISE,
        CROSSWALK,
        GROUP,
        *(
            f"urn:ietf:params:scim:schemas:core:2.0:{name}"
            for name in ("ServiceProviderConfig", "ResourceType", "Schema")
        ),
    }
    user_schema = scim_ok(await client.get(f"/scim/v2/Schemas/{USER}", headers=d.headers))
    assert "userName" in {a["name"] for a in user_schema["attributes"]}
    assert user_schema["meta"]["resourceType"] == "Schema"
    scim_error(await client.get("/scim/v2/Schemas/urn:nope", headers=d.headers), 404)


async def test_openapi_documents_scim(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "scim_bearer" in schema["components"]["securitySchemes"]
    operation = schema["paths"]["/scim/v2/Users/{user_id}"]["patch"]
    assert operation["security"] == [{"scim_bearer": []}]
    assert set(operation["responses"]) >= {"200", "400", "401", "404", "409", "412"}
    assert SCIM_JSON in operation["responses"]["401"]["content"]
    assert "/api/v1/scim-tokens" in schema["paths"]
