"""Writes authenticated by the portal's session cookie: only from a page of our own origin (its
`Origin`, else its `Referer`) and only with a JSON body, on every unsafe route of the API; another
site's form (text/plain, urlencoded) changes nothing. Bearer calls are unaffected: a browser never
sends a bearer token on its own."""

from __future__ import annotations

import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.portal_sessions import SESSION_COOKIE
from backend.auth.principal import UserRole
from backend.settings import Settings
from tenants.sessions import TenantRef
from tests.api.test_deactivated_credentials import open_portal_session
from tests.api.test_route_table import routes
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem

Client = AsyncTestClient[Litestar]
ELSEWHERE = "https://attacker.example"
# What a cross-site <form enctype="text/plain"> sends: a body that is JSON in all but its type.
FORGED_BODY = '{"open_to_move": "hiring_managers", "x": "="}'


async def _signed_in(
    client: Client, settings: Settings, make_tenant: TenantFactory, auth: TokenFactory
) -> tuple[TenantRef, uuid.UUID, dict[str, str]]:
    """A new tenant's employee, signed in to the portal: (tenant, employee id, the session cookie as the
    header a browser sends)."""
    tenant = make_tenant()
    created = await client.post(
        "/api/v1/employees", json={"email": "cookie@example.com", "full_name": "Cody Cookie"}, headers=auth(tenant)
    )
    assert created.status_code == 201, created.text
    employee_id = uuid.UUID(created.json()["id"])
    cookie = {"Cookie": f"{SESSION_COOKIE}={await open_portal_session(settings, tenant, employee_id)}"}
    return tenant, employee_id, cookie


async def test_a_cross_site_text_plain_write_with_the_cookie_changes_nothing(
    client: Client, settings: Settings, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    _, employee_id, cookie = await _signed_in(client, settings, make_tenant, auth)
    url = f"/api/v1/employees/{employee_id}/aspirations"
    before = await client.get(url, headers=cookie)
    assert before.status_code == 200, before.text

    forged = await client.put(
        url, content=FORGED_BODY, headers={**cookie, "Content-Type": "text/plain", "Origin": ELSEWHERE}
    )
    body = problem(forged, 403)
    assert settings.base_url in body["detail"]
    # The same from our own origin is still no JSON: 415.
    own_origin_text = await client.put(
        url, content=FORGED_BODY, headers={**cookie, "Content-Type": "text/plain", "Origin": settings.base_url}
    )
    problem(own_origin_text, 415)
    own_origin = {"Origin": settings.base_url}
    problem(await client.put(url, data={"open_to_move": "hr_only"}, headers={**cookie, **own_origin}), 415)
    # No Origin and no Referer, or the opaque `null` of a sandboxed page: refused.
    problem(await client.put(url, json={"open_to_move": "hr_only"}, headers=cookie), 403)
    problem(await client.put(url, json={"open_to_move": "hr_only"}, headers={**cookie, "Origin": "null"}), 403)
    # A look-alike of our origin is another origin.
    lookalike = settings.base_url + ".attacker.example"
    problem(await client.put(url, json={"open_to_move": "hr_only"}, headers={**cookie, "Origin": lookalike}), 403)

    assert (await client.get(url, headers=cookie)).json() == before.json()

    # From our own pages, JSON: the write works (by Origin, or by Referer when a browser sent no Origin).
    done = await client.put(url, json={"open_to_move": "hr_only"}, headers={**cookie, "Origin": settings.base_url})
    assert done.status_code == 200, done.text
    assert done.json()["open_to_move"] == "hr_only"
    by_referer = await client.put(
        url, json={"open_to_move": "hidden"}, headers={**cookie, "Referer": f"{settings.base_url}/portal/me"}
    )
    assert by_referer.status_code == 200, by_referer.text
    # Reads need neither: another site cannot read the answer anyway.
    assert (await client.get(url, headers={**cookie, "Origin": ELSEWHERE})).status_code == 200


async def test_every_unsafe_route_refuses_a_cross_site_cookie_write(
    client: Client, app: Litestar, settings: Settings, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    _, _, cookie = await _signed_in(client, settings, make_tenant, auth)
    checked = []
    for method, path, _ in routes(app):
        if method not in ("POST", "PUT", "PATCH", "DELETE") or not path.startswith("/api/v1/"):
            continue
        text_plain = {"Content-Type": "text/plain"}
        forged = await client.request(
            method, path, content=FORGED_BODY, headers={**cookie, **text_plain, "Origin": ELSEWHERE}
        )
        assert forged.status_code == 403, f"{method} {path} answered {forged.status_code} to a cross-site write"
        # Refused for where it came from (not, say, for a scope the employee lacks).
        assert "session cookie" in forged.json()["detail"], f"{method} {path}: {forged.text}"
        not_json = await client.request(
            method, path, content=FORGED_BODY, headers={**cookie, **text_plain, "Origin": settings.base_url}
        )
        assert not_json.status_code == 415, f"{method} {path} answered {not_json.status_code} to a text/plain body"
        checked.append(f"{method} {path}")
    assert len(checked) >= 40


async def test_bearer_calls_are_unaffected(
    client: Client, settings: Settings, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant, employee_id, _ = await _signed_in(client, settings, make_tenant, auth)
    bearer = auth(tenant, UserRole.EMPLOYEE, employee_id=employee_id)
    done = await client.put(
        f"/api/v1/employees/{employee_id}/aspirations",
        json={"open_to_move": "hr_only"},
        headers={**bearer, "Origin": ELSEWHERE},
    )
    assert done.status_code == 200, done.text
