"""Every credential of a deactivated person stops working at their next request, whichever way they
were deactivated (the API, SCIM's PATCH, PUT and DELETE, a script writing the database) and whatever
the credential (a bearer token as `crosswalk tokens create` mints it, a portal session, the bearer
token bound to that session). A reactivation lets the person sign in afresh but revives nothing old.
The console's deactivation is in tests/console/test_access.py, the CLI's token across two processes in
tests/cli/test_token_revocation.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import Engine, text

from backend.auth.portal_sessions import SESSION_COOKIE, PortalSession, PortalSessions
from backend.auth.principal import UserRole, scopes_for
from backend.settings import Settings
from tenants.sessions import TenantRef
from tests.conftest import TenantFactory, TokenFactory

Client = AsyncTestClient[Litestar]
SCIM_JSON = "application/scim+json"


async def open_portal_session(settings: Settings, tenant: TenantRef, employee_id: uuid.UUID) -> str:
    """A portal session as an SSO login stores it in Redis, without the identity provider (tests/sso
    covers the login itself); returns the cookie's value. Written through a Redis client of the test's
    own: the app's clients belong to the test client's event loop."""
    roles = frozenset({UserRole.EMPLOYEE})
    session = PortalSession(
        subject=f"sso:{employee_id}",
        tenant_slug=tenant.slug,
        tenant_id=tenant.id,
        employee_id=employee_id,
        roles=tuple(sorted(roles)),
        scopes=tuple(sorted(scopes_for(roles))),
        issuer="https://idp.example",
        id_token="header.payload.signature",
    )
    redis = Redis.from_url(str(settings.redis_url))
    try:
        return await PortalSessions(redis, settings.session_ttl_seconds).create(session)
    finally:
        await redis.aclose()


@dataclass
class Person:
    """An employee of `tenant` with one credential of each kind."""

    tenant: TenantRef
    id: str
    bearer: dict[str, str]
    # The session cookie, as the header a browser sends.
    cookie: dict[str, str]
    session_bound: dict[str, str]


async def credentials_for(
    client: Client, app: Litestar, settings: Settings, tenant: TenantRef, auth: TokenFactory, employee_id: uuid.UUID
) -> Person:
    """Fresh credentials of each kind for an employee."""
    cookie = {"Cookie": f"{SESSION_COOKIE}={await open_portal_session(settings, tenant, employee_id)}"}
    issued = await client.post("/auth/session/token", headers={**cookie, "Origin": settings.base_url})
    assert issued.status_code == 200, issued.text
    return Person(
        tenant=tenant,
        id=str(employee_id),
        bearer=auth(tenant, UserRole.EMPLOYEE, employee_id=employee_id),
        cookie=cookie,
        session_bound={"Authorization": f"Bearer {issued.json()['access_token']}"},
    )


async def person_with_credentials(
    client: Client, app: Litestar, settings: Settings, tenant: TenantRef, auth: TokenFactory
) -> Person:
    """A new employee of `tenant`, with credentials."""
    email = f"leaver.{uuid.uuid4().hex[:8]}@example.com"
    created = await client.post(
        "/api/v1/employees", json={"email": email, "full_name": "Lee Leaver"}, headers=auth(tenant, UserRole.HR_ADMIN)
    )
    assert created.status_code == 201, created.text
    return await credentials_for(client, app, settings, tenant, auth, uuid.UUID(created.json()["id"]))


async def statuses(client: Client, person: Person) -> dict[str, int]:
    """What GET /api/v1/me answers to each of the person's credentials."""
    return {
        "bearer": (await client.get("/api/v1/me", headers=person.bearer)).status_code,
        "cookie": (await client.get("/api/v1/me", headers=person.cookie)).status_code,
        "session_bound": (await client.get("/api/v1/me", headers=person.session_bound)).status_code,
    }


ALL_WORK = {"bearer": 200, "cookie": 200, "session_bound": 200}
NONE_WORKS = {"bearer": 401, "cookie": 401, "session_bound": 401}
Deactivate = Callable[[Client, Person, dict[str, str], Engine], Awaitable[None]]


async def _scim_headers(client: Client, hr: dict[str, str]) -> dict[str, str]:
    token = await client.post("/api/v1/scim-tokens", json={"name": "IdP"}, headers=hr)
    assert token.status_code == 201, token.text
    return {"Authorization": f"Bearer {token.json()['token']}", "Content-Type": SCIM_JSON}


async def through_the_api(client: Client, person: Person, hr: dict[str, str], owner_engine: Engine) -> None:
    changed = await client.patch(f"/api/v1/employees/{person.id}", json={"active": False}, headers=hr)
    assert changed.status_code == 200, changed.text


async def through_scim_patch(client: Client, person: Person, hr: dict[str, str], owner_engine: Engine) -> None:
    scim = await _scim_headers(client, hr)
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    changed = await client.patch(f"/scim/v2/Users/{person.id}", json=body, headers=scim)
    assert changed.status_code == 200, changed.text


async def through_scim_put(client: Client, person: Person, hr: dict[str, str], owner_engine: Engine) -> None:
    scim = await _scim_headers(client, hr)
    user: dict[str, Any] = (await client.get(f"/scim/v2/Users/{person.id}", headers=scim)).json()
    replaced = {key: user[key] for key in ("schemas", "userName", "name", "displayName", "emails") if key in user}
    changed = await client.put(f"/scim/v2/Users/{person.id}", json={**replaced, "active": False}, headers=scim)
    assert changed.status_code == 200, changed.text
    assert changed.json()["active"] is False


async def through_scim_delete(client: Client, person: Person, hr: dict[str, str], owner_engine: Engine) -> None:
    scim = await _scim_headers(client, hr)
    deleted = await client.delete(f"/scim/v2/Users/{person.id}", headers=scim)
    assert deleted.status_code == 204, deleted.text


async def through_a_script(client: Client, person: Person, hr: dict[str, str], owner_engine: Engine) -> None:
    # Straight into the database, as an operator's script would: nothing of the app's code runs, so
    # no session is ended in Redis either.
    with owner_engine.begin() as connection:
        connection.execute(
            text(f'UPDATE "{person.tenant.schema_name}".employees SET active = false WHERE id = :id'), {"id": person.id}
        )


@pytest.mark.parametrize(
    "deactivate",
    [through_the_api, through_scim_patch, through_scim_put, through_scim_delete, through_a_script],
    ids=lambda f: f.__name__,
)
async def test_every_credential_ends_with_the_deactivation(
    client: Client,
    app: Litestar,
    settings: Settings,
    make_tenant: TenantFactory,
    auth: TokenFactory,
    owner_engine: Engine,
    deactivate: Deactivate,
) -> None:
    tenant = make_tenant()
    person = await person_with_credentials(client, app, settings, tenant, auth)
    assert await statuses(client, person) == ALL_WORK

    await deactivate(client, person, auth(tenant, UserRole.HR_ADMIN), owner_engine)

    assert await statuses(client, person) == NONE_WORKS
    # Writes too, not only reads.
    refused = await client.put(
        f"/api/v1/employees/{person.id}/aspirations", json={"open_to_move": "hidden"}, headers=person.bearer
    )
    assert refused.status_code == 401, refused.text
    assert "deactivated" in refused.json()["detail"]


async def test_a_reactivation_revives_no_old_credential(
    client: Client, app: Litestar, settings: Settings, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant, UserRole.HR_ADMIN)
    person = await person_with_credentials(client, app, settings, tenant, auth)
    assert (await client.patch(f"/api/v1/employees/{person.id}", json={"active": False}, headers=hr)).status_code == 200
    back = await client.patch(f"/api/v1/employees/{person.id}", json={"active": True}, headers=hr)
    assert back.status_code == 200, back.text

    assert await statuses(client, person) == NONE_WORKS
    body = (await client.get("/api/v1/me", headers=person.bearer)).json()
    assert "before the employee was deactivated" in body["detail"]
    # What is issued after the reactivation works. Tokens carry whole seconds, and one issued in the
    # second of the deactivation counts as issued before it: the new ones come a second later.
    await asyncio.sleep(1.1)
    again = await credentials_for(client, app, settings, tenant, auth, uuid.UUID(person.id))
    assert await statuses(client, again) == ALL_WORK


async def test_a_token_naming_no_employee_of_the_tenant_is_refused(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    stranger = auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.uuid4())
    refused = await client.get("/api/v1/me", headers=stranger)
    assert refused.status_code == 401
    assert "no employee" in refused.json()["detail"]
