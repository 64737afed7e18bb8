"""Listing users and groups: SCIM filters on the whitelisted attributes, and startIndex/count paging."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scim.conftest import (
    ENTERPRISE,
    LIST,
    Client,
    Directory,
    DirectoryFactory,
    okta_user,
    provision,
    scim_error,
    scim_ok,
)


async def _names(client: Client, d: Directory, scim_filter: str) -> list[str]:
    body = scim_ok(await client.get("/scim/v2/Users", params={"filter": scim_filter}, headers=d.headers))
    assert body["schemas"] == [LIST]
    assert body["totalResults"] == len(body["Resources"])
    return sorted(user["userName"] for user in body["Resources"])


@pytest.fixture
async def people(client: Client, directory: DirectoryFactory) -> Directory:
    d = await directory()
    ana = okta_user("ana@north.example", given="Ana", family="Lima", externalId="ext-ana", title="Planner")
    ana[ENTERPRISE] = {"employeeNumber": "100", "department": "Logistics"}
    await provision(client, d, ana)
    await provision(client, d, okta_user("bruno@north.example", given="Bruno", family="Costa", externalId="ext-bruno"))
    carla = await provision(client, d, okta_user("carla@south.example", given="Carla", family="Dias", externalId="X-C"))
    await client.patch(
        f"/scim/v2/Users/{carla['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
        headers=d.headers,
    )
    return d


@pytest.mark.parametrize(
    ("scim_filter", "expected"),
    [
        ('userName eq "ANA@north.example"', ["ana@north.example"]),
        ('userName ne "ana@north.example"', ["bruno@north.example", "carla@south.example"]),
        ('userName co "NORTH"', ["ana@north.example", "bruno@north.example"]),
        ('userName sw "br"', ["bruno@north.example"]),
        ('userName ew ".example"', ["ana@north.example", "bruno@north.example", "carla@south.example"]),
        ('userName gt "b"', ["bruno@north.example", "carla@south.example"]),
        ('emails eq "carla@south.example"', ["carla@south.example"]),
        ('emails.value co "south"', ["carla@south.example"]),
        ('emails[type eq "work" and value sw "ana"]', ["ana@north.example"]),
        ('externalId eq "ext-bruno"', ["bruno@north.example"]),
        # externalId is caseExact (RFC 7643 §3.1).
        ('externalId eq "x-c"', []),
        ("active eq true", ["ana@north.example", "bruno@north.example"]),
        ("active eq false", ["carla@south.example"]),
        ("title pr", ["ana@north.example"]),
        ("not (title pr)", ["bruno@north.example", "carla@south.example"]),
        ('title ne "Planner"', ["bruno@north.example", "carla@south.example"]),
        ('name.givenName eq "bruno"', ["bruno@north.example"]),
        ('name.familyName sw "d"', ["carla@south.example"]),
        ('displayName co "ana l"', ["ana@north.example"]),
        ('userName co "north" and active eq true and name.givenName sw "a"', ["ana@north.example"]),
        ('userName sw "ana" or userName sw "carla"', ["ana@north.example", "carla@south.example"]),
        ('(userName sw "ana" or userName sw "carla") and not (active eq false)', ["ana@north.example"]),
        (f'{ENTERPRISE}:employeeNumber eq "100"', ["ana@north.example"]),
        (f'{ENTERPRISE}:department eq "logistics"', ["ana@north.example"]),
        ('meta.created gt "2000-01-01T00:00:00Z"', ["ana@north.example", "bruno@north.example", "carla@south.example"]),
        ('meta.lastModified lt "2000-01-01T00:00:00Z"', []),
        ('userName eq "nobody@example.com"', []),
        ('userName co "%"', []),
        ('userName co "_"', []),
    ],
)
async def test_user_filters(client: Client, people: Directory, scim_filter: str, expected: list[str]) -> None:
    assert await _names(client, people, scim_filter) == expected


async def test_filter_by_id(client: Client, people: Directory) -> None:
    everyone = scim_ok(await client.get("/scim/v2/Users", headers=people.headers))["Resources"]
    first = everyone[0]
    assert await _names(client, people, f'id eq "{first["id"]}"') == [first["userName"]]
    assert await _names(client, people, 'id eq "not-an-id"') == []


@pytest.mark.parametrize(
    "scim_filter",
    [
        "userName eq",
        'userName xx "a"',
        'nickName eq "x"',
        'password eq "secret"',
        "active gt true",
        'noSuchAttribute eq "x"',
        'phoneNumbers[type eq "work"]',
        'userName eq "a" and',
        "((((",
        'userName eq "' + "a" * 2100 + '"',
    ],
)
async def test_invalid_filters(client: Client, people: Directory, scim_filter: str) -> None:
    scim_error(
        await client.get("/scim/v2/Users", params={"filter": scim_filter}, headers=people.headers), 400, "invalidFilter"
    )


async def test_pagination(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    for n in range(7):
        await provision(client, d, okta_user(f"p{n}@example.com"))

    async def page(**params: Any) -> dict[str, Any]:
        return scim_ok(await client.get("/scim/v2/Users", params=params, headers=d.headers))

    whole = await page()
    assert (whole["totalResults"], whole["startIndex"], whole["itemsPerPage"]) == (7, 1, 7)
    ids = [u["id"] for u in whole["Resources"]]
    seen: list[str] = []
    start = 1
    while start <= 7:
        body = await page(startIndex=start, count=3)
        assert body["totalResults"] == 7
        assert body["startIndex"] == start
        assert body["itemsPerPage"] == len(body["Resources"]) <= 3
        seen += [u["id"] for u in body["Resources"]]
        start += 3
    assert seen == ids, "pages are disjoint, in a stable order, and cover everything"
    beyond = await page(startIndex=20, count=3)
    assert (beyond["totalResults"], beyond["itemsPerPage"], beyond["Resources"]) == (7, 0, [])
    only_count = await page(count=0)
    assert only_count["totalResults"] == 7
    assert not only_count.get("Resources")
    # Out-of-range values are read as RFC 7644 says: startIndex below 1 is 1, a negative count is 0.
    assert (await page(startIndex=0, count=2))["startIndex"] == 1
    assert (await page(count=-5))["itemsPerPage"] == 0
    filtered = await page(filter='userName sw "p1"', count=1)
    assert filtered["totalResults"] == 1
    scim_error(await client.get("/scim/v2/Users", params={"count": "many"}, headers=d.headers), 400, "invalidValue")


async def test_page_size_is_capped(client: Client, directory: DirectoryFactory) -> None:
    d = await directory()
    await provision(client, d, okta_user("only@example.com"))
    body = scim_ok(await client.get("/scim/v2/Users", params={"count": 100000}, headers=d.headers))
    assert body["itemsPerPage"] == 1
    config = scim_ok(await client.get("/scim/v2/ServiceProviderConfig", headers=d.headers))
    assert config["filter"] == {"supported": True, "maxResults": 500}
