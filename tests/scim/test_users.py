"""Users over SCIM the way Okta and Microsoft Entra ID provision them: create, read, update with
PUT and PATCH in both providers' shapes, deactivate, delete, come back; and the bad requests."""

from __future__ import annotations

import uuid

from tests.scim.conftest import (
    ENTERPRISE,
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


async def test_okta_lifecycle_keeps_the_employees_history(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    created_response = await client.post("/scim/v2/Users", json=okta_user("Ana.Lima@example.com"), headers=d.headers)
    user = scim_ok(created_response, 201)
    user_id = user["id"]
    assert created_response.headers["location"] == user["meta"]["location"]
    assert user["meta"]["location"].endswith(f"/scim/v2/Users/{user_id}")
    assert created_response.headers["etag"] == user["meta"]["version"]
    assert user["meta"]["version"].startswith('W/"')
    assert user["meta"]["resourceType"] == "User"
    assert user["userName"] == "Ana.Lima@example.com"
    assert user["name"]["givenName"] == "Ana"
    assert user["displayName"] == "Ana Lima"
    # One address is kept, the work one; `primary` is not kept, so it is not shown either.
    assert user["emails"] == [{"value": "ana.lima@example.com", "type": "work"}]
    assert user["active"] is True
    assert "password" not in user

    # The employee exists for the rest of the product, with a skill on their profile.
    employee = (await client.get(f"/api/v1/employees/{user_id}", headers=d.hr)).json()
    assert employee["full_name"] == "Ana Lima"
    skill = (await client.post("/api/v1/skills", json={"label": "Forecasting"}, headers=d.hr)).json()
    added = await client.put(
        f"/api/v1/employees/{user_id}/skills/{skill['id']}", json={"level": 3, "source": "manager"}, headers=d.hr
    )
    assert added.status_code == 200, added.text

    got = scim_ok(await client.get(f"/scim/v2/Users/{user_id}", headers=d.headers))
    assert got == user

    # Okta's profile push: a PUT of the whole user.
    replaced = scim_ok(
        await client.put(
            f"/scim/v2/Users/{user_id}",
            json={**okta_user("ana.lima@example.com", given="Ana Maria"), "id": user_id, "title": "Planner"},
            headers=d.headers,
        )
    )
    assert replaced["name"]["givenName"] == "Ana Maria"
    assert replaced["displayName"] == "Ana Maria Lima"
    assert replaced["title"] == "Planner"
    assert replaced["userName"] == "ana.lima@example.com"
    assert replaced["meta"]["version"] != user["meta"]["version"]

    # Okta's password sync is accepted; the password is neither kept nor shown.
    synced = scim_ok(
        await client.patch(
            f"/scim/v2/Users/{user_id}",
            json=patch_op({"op": "replace", "value": {"password": "N3w-s3cret!"}}),
            headers=d.headers,
        )
    )
    assert "password" not in synced

    # Okta deactivates with a PATCH without path.
    deactivated = scim_ok(
        await client.patch(
            f"/scim/v2/Users/{user_id}", json=patch_op({"op": "replace", "value": {"active": False}}), headers=d.headers
        )
    )
    assert deactivated["active"] is False
    employee = (await client.get(f"/api/v1/employees/{user_id}", headers=d.hr)).json()
    assert employee["active"] is False
    skills = (await client.get(f"/api/v1/employees/{user_id}/skills", headers=d.hr)).json()["items"]
    assert [(s["skill_id"], s["level"]) for s in skills] == [(skill["id"], 3)]

    # And reactivates.
    reactivated = scim_ok(
        await client.patch(
            f"/scim/v2/Users/{user_id}", json=patch_op({"op": "replace", "value": {"active": True}}), headers=d.headers
        )
    )
    assert reactivated["active"] is True

    # Delete: gone from SCIM, inactive (not deleted) in the product.
    deleted = await client.delete(f"/scim/v2/Users/{user_id}", headers=d.headers)
    assert deleted.status_code == 204
    scim_error(await client.get(f"/scim/v2/Users/{user_id}", headers=d.headers), 404)
    scim_error(await client.delete(f"/scim/v2/Users/{user_id}", headers=d.headers), 404)
    listed = scim_ok(await client.get("/scim/v2/Users", headers=d.headers))
    assert user_id not in [u["id"] for u in listed["Resources"]]
    employee = (await client.get(f"/api/v1/employees/{user_id}", headers=d.hr)).json()
    assert employee["active"] is False
    assert len((await client.get(f"/api/v1/employees/{user_id}/skills", headers=d.hr)).json()["items"]) == 1

    # Provisioned again with the same userName (any case): the same employee comes back.
    back = scim_ok(await client.post("/scim/v2/Users", json=okta_user("ANA.LIMA@example.com"), headers=d.headers), 201)
    assert back["id"] == user_id
    assert back["active"] is True
    assert back["userName"] == "ANA.LIMA@example.com"
    assert len((await client.get(f"/api/v1/employees/{user_id}/skills", headers=d.hr)).json()["items"]) == 1


async def test_entra_shapes(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    boss = await provision(client, d, okta_user("boss@contoso.com", given="Bo", family="Ss"))
    entra_user = {
        "schemas": [USER, ENTERPRISE],
        "externalId": "e1d5c4b0-0000-4000-8000-000000000001",
        "userName": "Test_User_1@contoso.com",
        # Entra's default mapping sends the directory's displayName (required here: it is the full name).
        "displayName": "Test User",
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": "Test_User_1@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"},
        "roles": [],
        ENTERPRISE: {"employeeNumber": "E-001", "department": "Logistics", "manager": boss["id"]},
    }
    user = await provision(client, d, entra_user)
    assert user["displayName"] == "Test User"
    # name.formatted and roles are not kept: accepted in a whole document, and not shown.
    assert user["name"] == {"familyName": "User", "givenName": "Test"}
    assert "roles" not in user
    assert user[ENTERPRISE]["manager"] == {"value": boss["id"], "$ref": boss["meta"]["location"]}
    assert user[ENTERPRISE]["department"] == "Logistics"
    url = f"/scim/v2/Users/{user['id']}"

    # Entra's PATCH: capitalised ops, string booleans, filtered email path, plain-string manager.
    patched = scim_ok(
        await client.patch(
            url,
            json=patch_op(
                {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "test.user@contoso.com"},
                {"op": "Replace", "path": "name.familyName", "value": "Usuario"},
                {"op": "Add", "path": "title", "value": "Dispatcher"},
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Sales"},
            ),
            headers=d.headers,
        )
    )
    assert patched["emails"][0]["value"] == "test.user@contoso.com"
    assert patched["name"]["familyName"] == "Usuario"
    # The full name is displayName, which Entra sends when it changes; a name part alone leaves it.
    assert patched["displayName"] == "Test User"
    assert patched["title"] == "Dispatcher"
    assert patched["active"] is False
    assert patched[ENTERPRISE]["department"] == "Sales"
    assert patched[ENTERPRISE]["manager"]["value"] == boss["id"]
    employee = (await client.get(f"/api/v1/employees/{user['id']}", headers=d.hr)).json()
    assert employee["email"] == "test.user@contoso.com"
    assert employee["active"] is False
    assert employee["external_id"] == "E-001"
    assert employee["manager_id"] == boss["id"]

    other_boss = await provision(client, d, okta_user("other.boss@contoso.com"))
    moved = scim_ok(
        await client.patch(
            url,
            json=patch_op(
                {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": other_boss["id"]},
                {"op": "Replace", "path": "active", "value": "True"},
            ),
            headers=d.headers,
        )
    )
    assert moved[ENTERPRISE]["manager"]["value"] == other_boss["id"]
    assert moved["active"] is True
    removed = scim_ok(
        await client.patch(
            url,
            json=patch_op({"op": "Remove", "path": f"{ENTERPRISE}:manager", "value": [{"value": other_boss["id"]}]}),
            headers=d.headers,
        )
    )
    assert "manager" not in removed[ENTERPRISE]
    assert (await client.get(f"/api/v1/employees/{user['id']}", headers=d.hr)).json()["manager_id"] is None


async def test_enterprise_attributes_map_to_the_org(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    team = (await client.post("/api/v1/org-units", json={"name": "Fleet Ops", "kind": "team"}, headers=d.hr)).json()
    lead = await provision(client, d, okta_user("lead@example.com"))
    body = okta_user("worker@example.com")
    body["schemas"] = [USER, ENTERPRISE]
    body[ENTERPRISE] = {"employeeNumber": "4711", "department": "fleet ops", "manager": {"value": lead["id"]}}
    worker = await provision(client, d, body)
    employee = (await client.get(f"/api/v1/employees/{worker['id']}", headers=d.hr)).json()
    # An existing unit of that name (any case) is used; employeeNumber is the HRIS id.
    assert employee["org_unit_id"] == team["id"]
    assert employee["external_id"] == "4711"
    assert employee["manager_id"] == lead["id"]
    assert worker[ENTERPRISE] == {
        "employeeNumber": "4711",
        "department": "Fleet Ops",
        "manager": {"value": lead["id"], "$ref": lead["meta"]["location"]},
    }

    # A department nobody created yet becomes a top-level department.
    patched = scim_ok(
        await client.patch(
            f"/scim/v2/Users/{worker['id']}",
            json=patch_op({"op": "replace", "value": {f"{ENTERPRISE}:department": "Night Shift"}}),
            headers=d.headers,
        )
    )
    assert patched[ENTERPRISE]["department"] == "Night Shift"
    units = (await client.get("/api/v1/org-units?q=Night Shift", headers=d.hr)).json()["items"]
    assert [(u["name"], u["kind"], u["parent_id"]) for u in units] == [("Night Shift", "department", None)]

    # A PUT without the extension leaves department, manager and employee number alone.
    put = scim_ok(
        await client.put(f"/scim/v2/Users/{worker['id']}", json=okta_user("worker@example.com"), headers=d.headers)
    )
    assert put[ENTERPRISE]["employeeNumber"] == "4711"
    assert put[ENTERPRISE]["manager"]["value"] == lead["id"]

    # The manager must be a user of this directory, and not the user themselves or a report.
    for manager in (str(uuid.uuid4()), "not-an-id", worker["id"]):
        scim_error(
            await client.patch(
                f"/scim/v2/Users/{worker['id']}",
                json=patch_op({"op": "replace", "path": f"{ENTERPRISE}:manager", "value": manager}),
                headers=d.headers,
            ),
            400,
            "invalidValue",
        )
    scim_error(
        await client.patch(
            f"/scim/v2/Users/{lead['id']}",
            json=patch_op({"op": "replace", "path": f"{ENTERPRISE}:manager", "value": worker["id"]}),
            headers=d.headers,
        ),
        400,
        "invalidValue",
    )
    await client.delete(f"/scim/v2/Users/{lead['id']}", headers=d.headers)
    other = okta_user("other@example.com")
    other[ENTERPRISE] = {"manager": {"value": lead["id"]}}
    scim_error(await client.post("/scim/v2/Users", json=other, headers=d.headers), 400, "invalidValue")


async def test_existing_employees_are_found_and_linked(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    existing = (
        await client.post(
            "/api/v1/employees", json={"email": "mara@example.com", "full_name": "Mara Silva"}, headers=d.hr
        )
    ).json()
    # An identity provider looks the person up before creating them...
    found = scim_ok(
        await client.get("/scim/v2/Users", params={"filter": 'userName eq "Mara@Example.com"'}, headers=d.headers)
    )
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == existing["id"]
    assert found["Resources"][0]["userName"] == "mara@example.com"
    # ...and updates the one it found.
    linked = scim_ok(
        await client.patch(
            f"/scim/v2/Users/{existing['id']}",
            json=patch_op({"op": "add", "path": "externalId", "value": "00u-mara"}),
            headers=d.headers,
        )
    )
    assert linked["externalId"] == "00u-mara"
    assert linked["displayName"] == "Mara Silva"
    # Linked, the userName stays what the provider matched on, even when the email changes.
    moved = scim_ok(
        await client.patch(
            f"/scim/v2/Users/{existing['id']}",
            json=patch_op({"op": "replace", "path": 'emails[type eq "work"].value', "value": "mara.silva@example.com"}),
            headers=d.headers,
        )
    )
    assert moved["userName"] == "mara@example.com"
    assert moved["emails"][0]["value"] == "mara.silva@example.com"


async def test_emails_are_required(client: Client, directory: DirectoryFactory) -> None:
    # The schema says emails is required, and it is: also when the userName is an email address.
    d = await directory()
    for user_name in ("no.emails@example.com", "jdoe"):
        body = okta_user(user_name)
        del body["emails"]
        error = scim_error(await client.post("/scim/v2/Users", json=body, headers=d.headers), 400, "invalidValue")
        assert "emails" in error["detail"]
        found = await client.get("/scim/v2/Users", params={"filter": f'userName eq "{user_name}"'}, headers=d.headers)
        assert scim_ok(found)["totalResults"] == 0


async def test_uniqueness_conflicts(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    first = await provision(client, d, okta_user("uno@example.com"))
    second = await provision(client, d, okta_user("dos@example.com"))
    # Same userName, in another case.
    scim_error(
        await client.post("/scim/v2/Users", json=okta_user("UNO@example.com"), headers=d.headers), 409, "uniqueness"
    )
    # Another user's email, or externalId.
    taken_email = okta_user("tres@example.com")
    taken_email["emails"] = [{"value": "uno@example.com", "primary": True}]
    scim_error(await client.post("/scim/v2/Users", json=taken_email, headers=d.headers), 409, "uniqueness")
    taken_external = okta_user("cuatro@example.com", externalId=first["externalId"])
    scim_error(await client.post("/scim/v2/Users", json=taken_external, headers=d.headers), 409, "uniqueness")
    scim_error(
        await client.patch(
            f"/scim/v2/Users/{second['id']}",
            json=patch_op({"op": "replace", "path": "userName", "value": "Uno@Example.com"}),
            headers=d.headers,
        ),
        409,
        "uniqueness",
    )
    # None of that changed anything.
    listed = scim_ok(await client.get("/scim/v2/Users", headers=d.headers))
    assert sorted(u["userName"] for u in listed["Resources"]) == ["dos@example.com", "uno@example.com"]


async def test_bad_requests_are_scim_errors_and_change_nothing(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    user = await provision(client, d, okta_user("steady@example.com"))
    url = f"/scim/v2/Users/{user['id']}"
    for unknown in (url.replace(user["id"], str(uuid.uuid4())), "/scim/v2/Users/not-a-uuid"):
        scim_error(await client.get(unknown, headers=d.headers), 404)
        scim_error(await client.put(unknown, json=okta_user("x@example.com"), headers=d.headers), 404)
        scim_error(
            await client.patch(unknown, json=patch_op({"op": "remove", "path": "title"}), headers=d.headers), 404
        )
        scim_error(await client.delete(unknown, headers=d.headers), 404)

    missing_user_name = {"schemas": [USER], "emails": [{"value": "a@example.com"}]}
    scim_error(await client.post("/scim/v2/Users", json=missing_user_name, headers=d.headers), 400, "invalidValue")
    scim_error(await client.post("/scim/v2/Users", content=b"{not json", headers=d.headers), 400, "invalidSyntax")
    scim_error(await client.post("/scim/v2/Users", json=["a list"], headers=d.headers), 400, "invalidSyntax")
    wrong_type = {**d.headers, "Content-Type": "text/plain"}
    scim_error(await client.post("/scim/v2/Users", content=b"{}", headers=wrong_type), 415)
    too_long = okta_user("long@example.com", title="x" * 201)
    scim_error(await client.post("/scim/v2/Users", json=too_long, headers=d.headers), 400, "invalidValue")
    bad_email = okta_user("bad@example.com")
    bad_email["emails"] = [{"value": "not an email", "primary": True}]
    scim_error(await client.post("/scim/v2/Users", json=bad_email, headers=d.headers), 400, "invalidValue")

    scim_error(
        await client.patch(url, json=patch_op({"op": "remove", "path": "userName"}), headers=d.headers),
        400,
        "mutability",
    )
    scim_error(
        await client.patch(url, json=patch_op({"op": "replace", "path": "id", "value": "x"}), headers=d.headers),
        400,
        "mutability",
    )
    scim_error(
        await client.patch(url, json=patch_op({"op": "frobnicate", "path": "title"}), headers=d.headers),
        400,
        "invalidValue",
    )
    scim_error(await client.patch(url, json=patch_op({"op": "remove"}), headers=d.headers), 400, "noTarget")
    scim_error(
        await client.patch(
            url, json=patch_op({"op": "replace", "path": "active", "value": "maybe"}), headers=d.headers
        ),
        400,
        "invalidValue",
    )
    # A PATCH whose second operation fails applies neither.
    scim_error(
        await client.patch(
            url,
            json=patch_op(
                {"op": "replace", "path": "title", "value": "Changed"},
                {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": str(uuid.uuid4())},
            ),
            headers=d.headers,
        ),
        400,
        "invalidValue",
    )
    after = scim_ok(await client.get(url, headers=d.headers))
    assert after == user


async def test_etags(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    user = await provision(client, d, okta_user("etag@example.com"))
    url = f"/scim/v2/Users/{user['id']}"
    version = user["meta"]["version"]

    got = await client.get(url, headers=d.headers)
    assert got.headers["etag"] == version
    not_modified = await client.get(url, headers={**d.headers, "If-None-Match": version})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert (await client.get(url, headers={**d.headers, "If-None-Match": 'W/"other"'})).status_code == 200

    changed = await client.patch(
        url,
        json=patch_op({"op": "replace", "path": "title", "value": "Lead"}),
        headers={**d.headers, "If-Match": version},
    )
    new_version = scim_ok(changed)["meta"]["version"]
    assert changed.headers["etag"] == new_version != version
    # A client holding the old version is refused, whatever it tries.
    stale = {**d.headers, "If-Match": version}
    scim_error(
        await client.patch(url, json=patch_op({"op": "replace", "path": "title", "value": "X"}), headers=stale), 412
    )
    scim_error(await client.put(url, json=okta_user("etag@example.com"), headers=stale), 412)
    scim_error(await client.delete(url, headers=stale), 412)
    assert scim_ok(await client.get(url, headers=d.headers))["title"] == "Lead"
    assert (await client.get(url, headers={**d.headers, "If-None-Match": version})).status_code == 200
    deleted = await client.delete(url, headers={**d.headers, "If-Match": new_version})
    assert deleted.status_code == 204


async def test_attributes_and_excluded_attributes(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    user = await provision(client, d, okta_user("narrow@example.com"))
    narrow = scim_ok(
        await client.get(f"/scim/v2/Users/{user['id']}", params={"attributes": "userName,emails"}, headers=d.headers)
    )
    assert set(narrow) == {"schemas", "id", "userName", "emails"}
    wide = scim_ok(
        await client.get(
            f"/scim/v2/Users/{user['id']}", params={"excludedAttributes": "emails,name"}, headers=d.headers
        )
    )
    assert "emails" not in wide
    assert "name" not in wide
    assert wide["userName"] == "narrow@example.com"
    listed = scim_ok(
        await client.get(
            "/scim/v2/Users",
            params={"filter": 'userName eq "narrow@example.com"', "attributes": "userName"},
            headers=d.headers,
        )
    )
    assert listed["Resources"] == [{"schemas": [USER], "id": user["id"], "userName": "narrow@example.com"}]


async def test_responses_are_scim_json(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    plain_json = {**d.headers, "Content-Type": "application/json"}
    created = await client.post("/scim/v2/Users", json=okta_user("plain@example.com"), headers=plain_json)
    assert created.status_code == 201
    assert created.headers["content-type"].startswith(SCIM_JSON)


async def test_a_deleted_user_comes_back_under_a_new_user_name(client: Client, directory: DirectoryFactory) -> None:
    # Deleted, then provisioned again with a new userName but the same email (or the same provider id):
    # the hidden employee must come back rather than block the new user as a duplicate nobody can see.
    d = await directory()
    first = await provision(client, d, okta_user("pat@example.com", externalId="00u-pat"))
    assert (await client.delete(f"/scim/v2/Users/{first['id']}", headers=d.headers)).status_code == 204
    renamed = okta_user("pat.smith@example.com", externalId="00u-pat")
    renamed["emails"] = [{"primary": True, "value": "pat@example.com", "type": "work"}]
    again = await provision(client, d, renamed)
    assert again["id"] == first["id"]
    assert again["userName"] == "pat.smith@example.com"
    assert again["active"] is True
    # By the provider's id alone (new userName and new email).
    assert (await client.delete(f"/scim/v2/Users/{first['id']}", headers=d.headers)).status_code == 204
    third = await provision(client, d, okta_user("p.smith@example.com", externalId="00u-pat"))
    assert third["id"] == first["id"]
