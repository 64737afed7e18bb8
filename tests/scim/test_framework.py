"""Role, level, job code and manager provisioned over SCIM (the Crosswalk and enterprise extensions)
land on the employee, so that a hire provisioned by the identity provider gets next roles and
recommendations like anyone HR entered by hand."""

from __future__ import annotations

from typing import Any

from backend.auth.principal import UserRole
from tenants.sessions import Database
from tests.conftest import TenantFactory, TokenFactory
from tests.matching.world import build_world, recompute
from tests.scim.conftest import (
    CROSSWALK,
    ENTERPRISE,
    USER,
    Client,
    DirectoryFactory,
    okta_user,
    patch_op,
    provision,
    scim_error,
    scim_ok,
)


def hire(user_name: str, **framework: Any) -> dict[str, Any]:
    body = okta_user(user_name)
    body["schemas"] = [USER, ENTERPRISE, CROSSWALK]
    body[CROSSWALK] = framework
    return body


async def test_a_hire_provisioned_with_a_role_gets_next_roles_and_recommendations(
    client: Client, directory: DirectoryFactory, make_tenant: TenantFactory, auth: TokenFactory, database: Database
) -> None:
    world = await build_world(database, make_tenant())
    d = await directory(world.tenant)
    body = hire("nina@example.com", role="Junior Analyst", level="4", jobCode="AN-100")
    body[ENTERPRISE] = {"employeeNumber": "H-7", "department": "Data", "manager": {"value": str(world.people["hm"])}}
    user = await provision(client, d, body)
    assert user[CROSSWALK] == {"role": "Junior Analyst", "level": "4", "jobCode": "AN-100"}

    employee = (await client.get(f"/api/v1/employees/{user['id']}", headers=d.hr)).json()
    assert employee["role_id"] == str(world.roles["Junior Analyst"])
    assert employee["level"] == 4
    assert employee["job_code"] == "AN-100"
    assert employee["manager_id"] == str(world.people["hm"])
    assert employee["external_id"] == "H-7"

    nina = auth(world.tenant, UserRole.EMPLOYEE, employee_id=user["id"])
    next_roles = await client.get(f"/api/v1/employees/{user['id']}/next-roles", headers=nina)
    assert next_roles.status_code == 200, next_roles.text
    assert {item["title"]: item["steps"] for item in next_roles.json()["items"]} == {"Analyst": 1, "Senior Analyst": 2}

    # Provisioning asked for a recompute; once it ran, the hire has recommendations of their own.
    await recompute(database, world.tenant)
    recommended = await client.get("/api/v1/me/recommendations", headers=nina)
    assert recommended.status_code == 200, recommended.text
    assert str(world.analyst) in {item["opportunity"]["id"] for item in recommended.json()["items"]}

    # A promotion pushed by the identity provider moves the next roles along.
    promoted = scim_ok(
        await client.patch(
            f"/scim/v2/Users/{user['id']}",
            json=patch_op({"op": "replace", "path": f"{CROSSWALK}:role", "value": "Analyst"}),
            headers=d.headers,
        )
    )
    assert promoted[CROSSWALK]["role"] == "Analyst"
    after = (await client.get(f"/api/v1/employees/{user['id']}/next-roles", headers=nina)).json()
    assert [item["title"] for item in after["items"]] == ["Senior Analyst"]


async def test_the_framework_attributes_are_checked_and_change_nothing_when_refused(
    client: Client, directory: DirectoryFactory, make_tenant: TenantFactory, database: Database
) -> None:
    world = await build_world(database, make_tenant())
    d = await directory(world.tenant)
    # Two job families with a role of the same title: the title names neither.
    family = (await client.post("/api/v1/job-families", json={"name": "Finance"}, headers=d.hr)).json()
    twin = {"job_family_id": family["id"], "title": "Analyst", "level": 4}
    assert (await client.post("/api/v1/roles", json=twin, headers=d.hr)).status_code == 201

    for framework, says in (
        ({"role": "Astronaut"}, "'Astronaut' is not the title of a role"),
        ({"role": "junior analyst"}, "'junior analyst' is not the title of a role"),
        ({"role": "Analyst"}, "several job families ('Analytics', 'Finance')"),
        ({"level": "11"}, "level is"),
        ({"level": "three"}, "level is"),
        ({"level": 3}, "level"),
    ):
        error = scim_error(
            await client.post("/scim/v2/Users", json=hire("x@example.com", **framework), headers=d.headers),
            400,
            "invalidValue",
        )
        assert says in error["detail"], (framework, error)
    listed = scim_ok(
        await client.get("/scim/v2/Users", params={"filter": 'userName eq "x@example.com"'}, headers=d.headers)
    )
    assert listed["totalResults"] == 0

    # The schema offers exactly the titles that name one role.
    schema = scim_ok(await client.get(f"/scim/v2/Schemas/{CROSSWALK}", headers=d.headers))
    role = next(attribute for attribute in schema["attributes"] if attribute["name"] == "role")
    assert role["canonicalValues"] == ["Junior Analyst", "Senior Analyst"]
    assert role["caseExact"] is True

    user = await provision(client, d, hire("ok@example.com", role="Senior Analyst", level="5", jobCode="AN-300"))
    url = f"/scim/v2/Users/{user['id']}"
    refused = scim_error(
        await client.patch(
            url,
            json=patch_op(
                {"op": "replace", "path": f"{CROSSWALK}:jobCode", "value": "AN-999"},
                {"op": "replace", "path": f"{CROSSWALK}:role", "value": "Astronaut"},
            ),
            headers=d.headers,
        ),
        400,
        "invalidValue",
    )
    assert "Astronaut" in refused["detail"]
    assert scim_ok(await client.get(url, headers=d.headers)) == user

    # Removed one by one, then the whole extension: the employee has no role, level or job code.
    no_level = scim_ok(
        await client.patch(url, json=patch_op({"op": "remove", "path": f"{CROSSWALK}:level"}), headers=d.headers)
    )
    assert no_level[CROSSWALK] == {"role": "Senior Analyst", "jobCode": "AN-300"}
    cleared = scim_ok(await client.patch(url, json=patch_op({"op": "remove", "path": CROSSWALK}), headers=d.headers))
    assert CROSSWALK not in cleared
    employee = (await client.get(f"/api/v1/employees/{user['id']}", headers=d.hr)).json()
    assert (employee["role_id"], employee["level"], employee["job_code"]) == (None, None, None)


async def test_a_put_without_the_extension_keeps_the_framework_attributes(
    client: Client, directory: DirectoryFactory, make_tenant: TenantFactory, database: Database
) -> None:
    # Providers send the extension only when its attributes are mapped, as for the enterprise one.
    world = await build_world(database, make_tenant())
    d = await directory(world.tenant)
    user = await provision(client, d, hire("kept@example.com", role="Analyst", level="4", jobCode="AN-200"))
    replaced = scim_ok(
        await client.put(f"/scim/v2/Users/{user['id']}", json=okta_user("kept@example.com"), headers=d.headers)
    )
    assert replaced[CROSSWALK] == {"role": "Analyst", "level": "4", "jobCode": "AN-200"}
    # HR renaming the role is what SCIM shows next.
    renamed = await client.patch(
        f"/api/v1/roles/{world.roles['Analyst']}", json={"title": "Data Analyst"}, headers=d.hr
    )
    assert renamed.status_code == 200, renamed.text
    shown = scim_ok(await client.get(f"/scim/v2/Users/{user['id']}", headers=d.headers))
    assert shown[CROSSWALK]["role"] == "Data Analyst"
    # Filters reach the job code (exactly) and the level.
    for scim_filter, matches in (
        (f'{CROSSWALK}:jobCode eq "AN-200"', True),
        (f'{CROSSWALK}:jobCode eq "an-200"', False),
        (f'{CROSSWALK}:level eq "4"', True),
        (f'{CROSSWALK}:level eq "5"', False),
        (f'{CROSSWALK}:role eq "Data Analyst"', True),
        (f'{CROSSWALK}:role eq "data analyst"', False),
    ):
        found = scim_ok(await client.get("/scim/v2/Users", params={"filter": scim_filter}, headers=d.headers))
        assert (user["id"] in [u["id"] for u in found["Resources"]]) is matches, scim_filter
