"""A partner app (an ATS) manages the tenant's openings, and never reaches applications or the audit
log: who applied where is the applicants' confidential signal."""

from __future__ import annotations

from tests.helpers import problem
from tests.marketplace.market import API, Client, Market, ok


async def test_an_ats_manages_openings_but_not_applications(m: Market, client: Client) -> None:
    clients = f"{API}/partner-clients"
    for scope in ("applications:read", "applications:write", "audit:read"):
        refused = problem(await client.post(clients, json={"name": "ATS", "scopes": [scope]}, headers=m.hr), 422)
        assert scope in refused["detail"]
    registered = await ok(
        await client.post(
            clients, json={"name": "ATS", "scopes": ["opportunities:read", "opportunities:write"]}, headers=m.hr
        ),
        201,
    )
    token = await ok(
        await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(registered["client_id"], registered["client_secret"]),
        )
    )
    ats = {"Authorization": f"Bearer {token['access_token']}"}

    created = await ok(
        await client.post(
            f"{API}/opportunities",
            json={
                "title": "Data engineer",
                "kind": "role",
                "role_id": m.role["id"],
                "description": "Synced from the ATS",
                "hiring_manager_id": m.people["hm"],
            },
            headers=ats,
        ),
        201,
    )
    # The partner app is the actor on record; no employee created it.
    assert (created["created_by"], created["created_by_employee_id"], created["hiring_manager_id"]) == (
        f"partner:{registered['client_id']}",
        None,
        m.people["hm"],
    )
    url = f"{API}/opportunities/{created['id']}"
    await ok(await client.patch(url, json={"location": "Porto"}, headers=ats))
    await ok(await client.post(f"{url}/open", headers=ats))
    # The ATS sees every opening, the hiring manager's own drafts included.
    draft = await m.opening(publish=False, title="Not yet")
    listed = await ok(await client.get(f"{API}/opportunities", headers=ats))
    assert {o["id"] for o in listed["items"]} == {created["id"], draft["id"]}

    application = await m.apply(created["id"])
    for method, path, body in (
        ("GET", f"{url}/applications", None),
        ("POST", f"{url}/applications", {}),
        ("GET", f"{API}/applications/{application['id']}", None),
        ("POST", f"{API}/applications/{application['id']}/stage", {"to": "screening"}),
        ("GET", f"{API}/me/applications", None),
        ("GET", f"{API}/mobility-policy", None),
        ("GET", f"{API}/audit-events", None),
    ):
        refused = problem(await client.request(method, path, json=body, headers=ats), 403)
        assert "lacks the scope" in refused["detail"], path
    await ok(await client.post(f"{url}/close", headers=ats))
