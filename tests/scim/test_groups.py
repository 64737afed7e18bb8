"""Groups over SCIM: create, rename, members added and removed in Okta's and Entra's shapes, delete;
and the directory groups SSO reads for an employee."""

from __future__ import annotations

import uuid

from backend.scim.groups import directory_group_names
from backend.settings import Settings
from tenants.sessions import Database
from tests.scim.conftest import (
    GROUP,
    Client,
    DirectoryFactory,
    okta_user,
    patch_op,
    provision,
    scim_error,
    scim_ok,
)


async def test_group_lifecycle(client: Client, settings: Settings, directory: DirectoryFactory) -> None:
    d = await directory()
    ana = await provision(client, d, okta_user("ana@example.com"))
    bruno = await provision(client, d, okta_user("bruno@example.com", given="Bruno", family="Costa"))
    carla = await provision(client, d, okta_user("carla@example.com", given="Carla", family="Dias"))

    response = await client.post(
        "/scim/v2/Groups",
        json={
            "schemas": [GROUP],
            "displayName": "People Leads",
            "externalId": "okta-g1",
            "members": [{"value": ana["id"]}],
        },
        headers=d.headers,
    )
    group = scim_ok(response, 201)
    url = f"/scim/v2/Groups/{group['id']}"
    assert response.headers["location"] == group["meta"]["location"]
    assert group["meta"]["resourceType"] == "Group"
    assert group["displayName"] == "People Leads"
    assert group["externalId"] == "okta-g1"
    # A member is the user's id and location; Crosswalk does not keep a display name for it.
    assert group["members"] == [{"value": ana["id"], "$ref": ana["meta"]["location"], "type": "User"}]

    # Okta adds members with a value list.
    added = scim_ok(
        await client.patch(
            url,
            json=patch_op(
                {
                    "op": "add",
                    "path": "members",
                    "value": [{"value": bruno["id"], "display": "Bruno"}, {"value": ana["id"]}],
                }
            ),
            headers=d.headers,
        )
    )
    assert sorted(m["value"] for m in added["members"]) == sorted([ana["id"], bruno["id"]])
    assert added["meta"]["lastModified"] >= group["meta"]["lastModified"]
    assert added["meta"]["version"] != group["meta"]["version"]

    # Okta removes one by a filtered path; Entra by a value list; Entra's "Add" is capitalised.
    removed = scim_ok(
        await client.patch(
            url, json=patch_op({"op": "remove", "path": f'members[value eq "{ana["id"]}"]'}), headers=d.headers
        )
    )
    assert [m["value"] for m in removed["members"]] == [bruno["id"]]
    entra = scim_ok(
        await client.patch(
            url,
            json=patch_op(
                {"op": "Add", "path": "members", "value": [{"value": carla["id"]}]},
                {"op": "Remove", "path": "members", "value": [{"value": bruno["id"]}]},
            ),
            headers=d.headers,
        )
    )
    assert [m["value"] for m in entra["members"]] == [carla["id"]]

    # Renamed the way Okta does it (a value with the id in it).
    renamed = scim_ok(
        await client.patch(
            url,
            json=patch_op({"op": "replace", "value": {"id": group["id"], "displayName": "Leads"}}),
            headers=d.headers,
        )
    )
    assert renamed["displayName"] == "Leads"

    # What SSO reads to map groups to roles (the app's pool belongs to the test client's loop).
    database = Database(settings.serving_url, pool_size=1, max_overflow=0)
    try:
        async with database.tenant_session(d.tenant) as session:
            assert await directory_group_names(session, uuid.UUID(carla["id"])) == ["Leads"]
            assert await directory_group_names(session, uuid.UUID(ana["id"])) == []
    finally:
        await database.dispose()

    # Entra lists groups without their members.
    listed = scim_ok(
        await client.get(
            "/scim/v2/Groups",
            params={"filter": 'displayName eq "leads"', "excludedAttributes": "members"},
            headers=d.headers,
        )
    )
    assert listed["totalResults"] == 1
    assert "members" not in listed["Resources"][0]
    assert listed["Resources"][0]["meta"]["version"] == renamed["meta"]["version"]
    # Entra checks a membership with a filter.
    member_check = f'id eq "{group["id"]}" and members[value eq "{carla["id"]}"]'
    assert (
        scim_ok(await client.get("/scim/v2/Groups", params={"filter": member_check}, headers=d.headers))["totalResults"]
        == 1
    )
    not_member = f'members.value eq "{ana["id"]}"'
    assert (
        scim_ok(await client.get("/scim/v2/Groups", params={"filter": not_member}, headers=d.headers))["totalResults"]
        == 0
    )

    # PUT replaces the whole group, members included.
    put = scim_ok(
        await client.put(
            url,
            json={
                "schemas": [GROUP],
                "displayName": "Leads",
                "members": [{"value": ana["id"]}, {"value": bruno["id"]}],
            },
            headers=d.headers,
        )
    )
    assert sorted(m["value"] for m in put["members"]) == sorted([ana["id"], bruno["id"]])
    assert "externalId" not in put

    # A deleted user leaves their groups.
    await client.delete(f"/scim/v2/Users/{bruno['id']}", headers=d.headers)
    assert [m["value"] for m in scim_ok(await client.get(url, headers=d.headers))["members"]] == [ana["id"]]

    deleted = await client.delete(url, headers=d.headers)
    assert deleted.status_code == 204
    scim_error(await client.get(url, headers=d.headers), 404)
    assert scim_ok(await client.get("/scim/v2/Groups", headers=d.headers))["totalResults"] == 0
    # The members are users still.
    scim_ok(await client.get(f"/scim/v2/Users/{ana['id']}", headers=d.headers))


async def test_group_errors_change_nothing(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    ana = await provision(client, d, okta_user("ana@example.com"))
    group = scim_ok(
        await client.post(
            "/scim/v2/Groups",
            json={"schemas": [GROUP], "displayName": "Ops", "members": [{"value": ana["id"]}]},
            headers=d.headers,
        ),
        201,
    )
    url = f"/scim/v2/Groups/{group['id']}"
    scim_error(
        await client.post("/scim/v2/Groups", json={"schemas": [GROUP], "displayName": "OPS"}, headers=d.headers),
        409,
        "uniqueness",
    )
    scim_error(await client.post("/scim/v2/Groups", json={"schemas": [GROUP]}, headers=d.headers), 400, "invalidValue")
    for member in (str(uuid.uuid4()), "not-an-id"):
        scim_error(
            await client.patch(
                url, json=patch_op({"op": "add", "path": "members", "value": [{"value": member}]}), headers=d.headers
            ),
            400,
            "invalidValue",
        )
    scim_error(
        await client.patch(
            url, json=patch_op({"op": "replace", "path": "displayName", "value": None}), headers=d.headers
        ),
        400,
        "mutability",
    )
    scim_error(
        await client.patch(
            url, json=patch_op({"op": "replace", "path": "members[value eq", "value": []}), headers=d.headers
        ),
        400,
        "invalidPath",
    )
    scim_error(await client.get(f"/scim/v2/Groups/{uuid.uuid4()}", headers=d.headers), 404)
    scim_error(
        await client.get("/scim/v2/Groups", params={"filter": 'members.display eq "x"'}, headers=d.headers),
        400,
        "invalidFilter",
    )
    stale = {**d.headers, "If-Match": 'W/"stale"'}
    scim_error(await client.delete(url, headers=stale), 412)
    not_modified = await client.get(url, headers={**d.headers, "If-None-Match": group["meta"]["version"]})
    assert not_modified.status_code == 304
    assert scim_ok(await client.get(url, headers=d.headers)) == group
