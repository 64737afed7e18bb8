"""What a SCIM client checks beyond the happy path: the schemas say exactly what is stored, every path
under /scim/v2 answers SCIM errors, PATCH refuses paths it cannot apply, and /.search works."""

from __future__ import annotations

from typing import Any

from tests.scim.conftest import (
    CROSSWALK,
    ENTERPRISE,
    GROUP,
    LIST,
    USER,
    Client,
    DirectoryFactory,
    okta_user,
    patch_op,
    provision,
    scim_error,
    scim_ok,
)

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def _attributes(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {attribute["name"]: attribute for attribute in schema["attributes"]}


def _shape(attribute: dict[str, Any]) -> tuple[Any, ...]:
    return (
        attribute["type"],
        attribute["multiValued"],
        attribute["required"],
        attribute["mutability"],
        attribute["uniqueness"],
        attribute["caseExact"],
    )


async def test_the_schemas_say_exactly_what_is_stored(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    user = _attributes(scim_ok(await client.get(f"/scim/v2/Schemas/{USER}", headers=d.headers)))
    assert {name: _shape(attribute) for name, attribute in user.items()} == {
        "userName": ("string", False, True, "readWrite", "server", False),
        "name": ("complex", False, False, "readWrite", "none", False),
        "displayName": ("string", False, True, "readWrite", "none", False),
        "title": ("string", False, False, "readWrite", "none", False),
        "active": ("boolean", False, True, "readWrite", "none", False),
        "emails": ("complex", True, True, "readWrite", "none", False),
    }
    assert [sub["name"] for sub in user["name"]["subAttributes"]] == ["givenName", "familyName"]
    emails = {sub["name"]: sub for sub in user["emails"]["subAttributes"]}
    assert set(emails) == {"value", "type"}
    assert _shape(emails["value"]) == ("string", False, True, "readWrite", "server", False)
    assert emails["type"]["canonicalValues"] == ["work"]

    enterprise = _attributes(scim_ok(await client.get(f"/scim/v2/Schemas/{ENTERPRISE}", headers=d.headers)))
    # costCenter, organization and division are not kept, so not published.
    assert {name: _shape(attribute) for name, attribute in enterprise.items() if name != "manager"} == {
        "employeeNumber": ("string", False, False, "readWrite", "server", True),
        "department": ("string", False, False, "readWrite", "none", False),
    }
    manager = {sub["name"]: sub for sub in enterprise["manager"]["subAttributes"]}
    assert set(manager) == {"value", "$ref"}
    assert manager["$ref"]["referenceTypes"] == ["User"]

    crosswalk = _attributes(scim_ok(await client.get(f"/scim/v2/Schemas/{CROSSWALK}", headers=d.headers)))
    # A company without a role framework has no role to give: role is offered once roles exist.
    assert {name: _shape(attribute) for name, attribute in crosswalk.items()} == {
        "level": ("string", False, False, "readWrite", "none", False),
        "jobCode": ("string", False, False, "readWrite", "none", True),
    }
    assert crosswalk["level"]["canonicalValues"] == [str(level) for level in range(1, 11)]

    group = _attributes(scim_ok(await client.get(f"/scim/v2/Schemas/{GROUP}", headers=d.headers)))
    assert _shape(group["displayName"]) == ("string", False, True, "readWrite", "server", False)
    members = {sub["name"]: sub for sub in group["members"]["subAttributes"]}
    assert set(members) == {"value", "$ref", "type"}
    assert members["type"]["canonicalValues"] == ["User"]


def _undeclared(document: dict[str, Any], schemas: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """The attributes of a resource that its published schemas do not declare."""
    common = {"schemas", "id", "externalId", "meta"}
    found = []
    for key, value in document.items():
        if key in schemas:
            found += [f"{key}:{name}" for name in _undeclared(value, {"": schemas[key]}) if name]
            continue
        declared = schemas[""].get(key)
        if declared is None:
            if key not in common:
                found.append(key)
            continue
        subs = {sub["name"] for sub in declared.get("subAttributes") or []}
        for entry in value if isinstance(value, list) else [value]:
            if isinstance(entry, dict):
                found += [f"{key}.{sub}" for sub in entry if sub not in subs]
    return found


async def test_what_is_not_kept_is_neither_returned_nor_advertised(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    boss = await provision(client, d, okta_user("boss@example.com"))
    body = okta_user("full@example.com", nickName="Fully", userType="Employee", timezone="Europe/Berlin")
    body["schemas"] = [USER, ENTERPRISE, CROSSWALK]
    body["name"]["formatted"] = "Ms. Full Example"
    body["phoneNumbers"] = [{"value": "+49 30 1234", "type": "work"}]
    body[ENTERPRISE] = {"employeeNumber": "9", "costCenter": "CC-1", "division": "North", "manager": boss["id"]}
    body[CROSSWALK] = {"level": "3", "jobCode": "J-1"}
    created = await provision(client, d, body)
    group = scim_ok(
        await client.post(
            "/scim/v2/Groups",
            json={"schemas": [GROUP], "displayName": "All", "members": [{"value": created["id"], "display": "x"}]},
            headers=d.headers,
        ),
        201,
    )
    schemas = {
        "": _attributes(scim_ok(await client.get(f"/scim/v2/Schemas/{USER}", headers=d.headers))),
        ENTERPRISE: _attributes(scim_ok(await client.get(f"/scim/v2/Schemas/{ENTERPRISE}", headers=d.headers))),
        CROSSWALK: _attributes(scim_ok(await client.get(f"/scim/v2/Schemas/{CROSSWALK}", headers=d.headers))),
    }
    group_schema = {"": _attributes(scim_ok(await client.get(f"/scim/v2/Schemas/{GROUP}", headers=d.headers)))}
    for shown in (created, scim_ok(await client.get(f"/scim/v2/Users/{created['id']}", headers=d.headers))):
        assert _undeclared(shown, schemas) == []
        assert shown[ENTERPRISE] == {
            "employeeNumber": "9",
            "manager": {"value": boss["id"], "$ref": boss["meta"]["location"]},
        }
        assert shown[CROSSWALK] == {"level": "3", "jobCode": "J-1"}
    listed = scim_ok(await client.get("/scim/v2/Groups", headers=d.headers))
    for shown in (group, *listed["Resources"]):
        assert _undeclared(shown, group_schema) == []


async def test_every_path_under_scim_answers_scim_errors(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    for method, path, status in (
        ("GET", "/scim/v2/Pets", 404),
        ("GET", "/scim/v2", 404),
        ("POST", "/scim/v2/", 404),
        ("GET", "/scim/v2/Users/a/b", 404),
        ("PUT", "/scim/v2/Groups", 405),
        ("DELETE", "/scim/v2/Users", 405),
        ("POST", "/scim/v2/ServiceProviderConfig", 405),
        ("PATCH", "/scim/v2/Schemas", 405),
        ("DELETE", "/scim/v2/ResourceTypes/User", 405),
        ("GET", "/scim/v2/.search", 405),
        ("GET", "/scim/v2/Users/.search", 405),
        ("GET", "/scim/v2/Me", 501),
        ("POST", "/scim/v2/Bulk", 501),
    ):
        response = await client.request(method, path, headers=d.headers, json={"schemas": [SEARCH]})
        scim_error(response, status)
    # Without a token too: the caller learns nothing more than that the path does not exist.
    scim_error(await client.get("/scim/v2/Pets"), 404)
    scim_error(await client.get("/scim/v2/Users"), 401)
    # Outside SCIM, the API's own problem+json is untouched.
    outside = await client.get("/api/v1/pets", headers=d.hr)
    assert outside.status_code == 404
    assert outside.headers["content-type"].startswith("application/problem+json")


async def test_patch_refuses_paths_it_cannot_apply(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    user = await provision(client, d, okta_user("paths@example.com"))
    url = f"/scim/v2/Users/{user['id']}"
    for path in (
        "nickName",
        "name.formatted",
        "phoneNumbers",
        'phoneNumbers[type eq "work"].value',
        'emails[type eq "work"].display',
        "password",
        "groups",
        f"{ENTERPRISE}:costCenter",
        f"{CROSSWALK}:grade",
        "urn:ietf:params:scim:schemas:extension:other:2.0:User:badge",
    ):
        for op in ("add", "replace", "remove"):
            operation = {"op": op, "path": path} | ({} if op == "remove" else {"value": "x"})
            error = scim_error(await client.patch(url, json=patch_op(operation), headers=d.headers), 400, "invalidPath")
            assert path in error["detail"], error
    for path in ("id", "meta.lastModified", "meta.version"):
        scim_error(
            await client.patch(url, json=patch_op({"op": "replace", "path": path, "value": "x"}), headers=d.headers),
            400,
            "mutability",
        )
    # Required attributes cannot be removed.
    for path in ("userName", "displayName", "emails", "active"):
        scim_error(
            await client.patch(url, json=patch_op({"op": "remove", "path": path}), headers=d.headers), 400, "mutability"
        )
    assert scim_ok(await client.get(url, headers=d.headers)) == user

    group = scim_ok(
        await client.post("/scim/v2/Groups", json={"schemas": [GROUP], "displayName": "Paths"}, headers=d.headers),
        201,
    )
    group_url = f"/scim/v2/Groups/{group['id']}"
    for path in ("owner", "members.display", f"{ENTERPRISE}:department"):
        scim_error(
            await client.patch(group_url, json=patch_op({"op": "add", "path": path, "value": "x"}), headers=d.headers),
            400,
            "invalidPath",
        )
    scim_error(
        await client.patch(group_url, json=patch_op({"op": "replace", "path": "id", "value": "x"}), headers=d.headers),
        400,
        "mutability",
    )
    assert scim_ok(await client.get(group_url, headers=d.headers)) == group


async def test_search_with_post(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    ana = await provision(client, d, okta_user("ana@example.com", given="Ana", family="Ops"))
    bo = await provision(client, d, okta_user("bo@example.com", given="Bo", family="Sales"))
    ops = scim_ok(
        await client.post(
            "/scim/v2/Groups",
            json={"schemas": [GROUP], "displayName": "Ops", "members": [{"value": ana["id"]}]},
            headers=d.headers,
        ),
        201,
    )

    def search(**fields: Any) -> dict[str, Any]:
        return {"schemas": [SEARCH], **fields}

    users = scim_ok(
        await client.post(
            "/scim/v2/Users/.search",
            json=search(filter='name.familyName eq "sales"', attributes=["userName"]),
            headers=d.headers,
        )
    )
    assert users["schemas"] == [LIST]
    assert users["Resources"] == [{"schemas": [USER], "id": bo["id"], "userName": "bo@example.com"}]
    groups = scim_ok(
        await client.post(
            "/scim/v2/Groups/.search",
            json=search(filter=f'members.value eq "{ana["id"]}"', excludedAttributes=["members"]),
            headers=d.headers,
        )
    )
    assert [(g["id"], "members" in g) for g in groups["Resources"]] == [(ops["id"], False)]

    # At the root: users, then groups, paged as one list.
    everything = scim_ok(await client.post("/scim/v2/.search", json=search(count=2), headers=d.headers))
    assert everything["totalResults"] == 3
    assert [r["id"] for r in everything["Resources"]] == [ana["id"], bo["id"]]
    rest = scim_ok(await client.post("/scim/v2/.search", json=search(startIndex=3), headers=d.headers))
    assert [(r["id"], r["schemas"]) for r in rest["Resources"]] == [(ops["id"], [GROUP])]
    # A filter on an attribute of one type only is false for the other.
    named = scim_ok(
        await client.post("/scim/v2/.search", json=search(filter='displayName sw "Ana"'), headers=d.headers)
    )
    assert [r["id"] for r in named["Resources"]] == [ana["id"]]
    by_user_name = scim_ok(
        await client.post("/scim/v2/.search", json=search(filter="userName pr", attributes=["id"]), headers=d.headers)
    )
    assert by_user_name["totalResults"] == 2

    scim_error(
        await client.post("/scim/v2/.search", json=search(filter='shoeSize eq "9"'), headers=d.headers),
        400,
        "invalidFilter",
    )
    scim_error(
        await client.post("/scim/v2/Users/.search", json=search(filter="userName eq"), headers=d.headers),
        400,
        "invalidFilter",
    )
    scim_error(
        await client.post("/scim/v2/Users/.search", json=["not", "a", "request"], headers=d.headers),
        400,
        "invalidSyntax",
    )
    wrong_type = {**d.headers, "Content-Type": "text/plain"}
    scim_error(await client.post("/scim/v2/.search", content=b"{}", headers=wrong_type), 415)


async def test_attributes_parameters_name_kept_attributes(client: Client, directory: DirectoryFactory) -> None:
    # As with PATCH paths: asking for an attribute that is not kept is an error, never an empty answer.
    d = await directory()
    user = await provision(client, d, okta_user("asked@example.com"))
    for url, params in (
        (f"/scim/v2/Users/{user['id']}", {"attributes": "nickName"}),
        ("/scim/v2/Users", {"attributes": "userName,phoneNumbers"}),
        ("/scim/v2/Users", {"excludedAttributes": "name.formatted"}),
        ("/scim/v2/Groups", {"excludedAttributes": f"{ENTERPRISE}:department"}),
    ):
        error = scim_error(await client.get(url, params=params, headers=d.headers), 400, "invalidValue")
        assert "is not an attribute" in error["detail"], error
    scim_error(
        await client.post(
            "/scim/v2/.search", json={"schemas": [SEARCH], "attributes": ["shoeSize"]}, headers=d.headers
        ),
        400,
        "invalidValue",
    )
    # Each of these names an attribute of at least one resource type.
    for attributes in (["userName"], ["members"], [f"{CROSSWALK}:level", "displayName"]):
        found = await client.post(
            "/scim/v2/.search", json={"schemas": [SEARCH], "attributes": attributes}, headers=d.headers
        )
        assert scim_ok(found)["totalResults"] == 1
    narrow = scim_ok(
        await client.get(
            f"/scim/v2/Users/{user['id']}", params={"attributes": f"{ENTERPRISE}:manager"}, headers=d.headers
        )
    )
    assert set(narrow) == {"schemas", "id"}
