"""Identifiers over SCIM: userNames, emails, group and department names that only look like others.

Unicode case folding turns the Kelvin sign K (U+212A) into k and the long s (U+017F) into s, so a
lookalike once found, matched or collided with somebody else's record. Identifiers are compared
exactly but for the case of ASCII letters, and lookalikes are refused when they are written.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.scim.conftest import ENTERPRISE, GROUP, USER, Client, DirectoryFactory, okta_user, scim_error, scim_ok

KAREN = "karen@acme.example"
LOOKALIKE_EMAILS = {
    "kelvin": "\u212aaren@acme.example",
    "cyrillic": "k\u0430ren@acme.example",
    "fullwidth": "\uff4baren@acme.example",
    "dotless": "kar\u0131n@acme.example",
    "long-s": "\u017faren@acme.example",
    "two-at": "karen@evil.example@acme.example",
}


async def _users(client: Client, headers: dict[str, str], filter_text: str) -> list[dict[str, Any]]:
    body = scim_ok(await client.get("/scim/v2/Users", params={"filter": filter_text}, headers=headers))
    return list(body.get("Resources", []))


async def _count_users(client: Client, headers: dict[str, str]) -> int:
    return int(scim_ok(await client.get("/scim/v2/Users", headers=headers))["totalResults"])


async def test_a_lookalike_user_name_finds_nobody(client: Client, directory: DirectoryFactory) -> None:
    scim = await directory()
    scim_ok(await client.post("/scim/v2/Users", json=okta_user(KAREN), headers=scim.headers), 201)
    # Identity providers look a user up by userName before they create one: a lookalike must not find
    # Karen (and then link its person to her record).
    assert [u["userName"] for u in await _users(client, scim.headers, f'userName eq "{KAREN.upper()}"')] == [KAREN]
    for lookalike in LOOKALIKE_EMAILS.values():
        assert await _users(client, scim.headers, f'userName eq "{lookalike}"') == [], lookalike
        by_email = await client.get(
            "/scim/v2/Users", params={"filter": f'emails.value eq "{lookalike}"'}, headers=scim.headers
        )
        if by_email.status_code == 400:  # the SCIM models refuse a malformed address in a filter
            assert by_email.json()["scimType"] == "invalidFilter", lookalike
        else:
            assert scim_ok(by_email)["totalResults"] == 0, lookalike


@pytest.mark.parametrize("name", LOOKALIKE_EMAILS)
async def test_a_lookalike_user_is_refused(client: Client, directory: DirectoryFactory, name: str) -> None:
    scim = await directory()
    scim_ok(await client.post("/scim/v2/Users", json=okta_user(KAREN), headers=scim.headers), 201)
    lookalike = LOOKALIKE_EMAILS[name]
    before = await _count_users(client, scim.headers)
    body = scim_error(
        await client.post("/scim/v2/Users", json=okta_user(lookalike), headers=scim.headers), 400, "invalidValue"
    )
    assert "ASCII" in body["detail"] or "exactly one @" in body["detail"], body
    # As an email of a user with a plain userName too.
    other = {**okta_user("karen.other"), "emails": [{"value": lookalike, "type": "work", "primary": True}]}
    scim_error(await client.post("/scim/v2/Users", json=other, headers=scim.headers), 400, "invalidValue")
    assert await _count_users(client, scim.headers) == before


async def test_user_names_and_emails_compare_by_ascii_case_only(client: Client, directory: DirectoryFactory) -> None:
    scim = await directory()
    scim_ok(await client.post("/scim/v2/Users", json=okta_user(KAREN), headers=scim.headers), 201)
    # The same name in other ASCII case is the same user: a duplicate.
    scim_error(
        await client.post("/scim/v2/Users", json=okta_user(KAREN.upper()), headers=scim.headers), 409, "uniqueness"
    )
    # A userName without @ is fine in ASCII; not with letters from elsewhere.
    plain = {**okta_user("ACME\\kdesk"), "emails": [{"value": "kdesk@acme.example", "primary": True}]}
    created = scim_ok(await client.post("/scim/v2/Users", json=plain, headers=scim.headers), 201)
    assert created["userName"] == "ACME\\kdesk"
    assert created["emails"][0]["value"] == "kdesk@acme.example"
    odd = {**okta_user("\u212adesk"), "emails": [{"value": "kdesk2@acme.example", "primary": True}]}
    scim_error(await client.post("/scim/v2/Users", json=odd, headers=scim.headers), 400, "invalidValue")


async def test_a_lookalike_group_name_is_refused_and_finds_nothing(client: Client, directory: DirectoryFactory) -> None:
    scim = await directory()
    created = scim_ok(
        await client.post("/scim/v2/Groups", json={"schemas": [GROUP], "displayName": "HR-Desk"}, headers=scim.headers),
        201,
    )
    for name in ("HR-Des\u212a", "HR-D\u0435sk", "\uff28\uff32-Desk", "HR-Desk\u200b", "HR\u2060-Desk"):
        found = scim_ok(
            await client.get("/scim/v2/Groups", params={"filter": f'displayName eq "{name}"'}, headers=scim.headers)
        )
        assert found["totalResults"] == 0, name
        body = {"schemas": [GROUP], "displayName": name}
        scim_error(await client.post("/scim/v2/Groups", json=body, headers=scim.headers), 400, "invalidValue")
        rename = {"schemas": [GROUP], "displayName": name}
        scim_error(
            await client.put(f"/scim/v2/Groups/{created['id']}", json=rename, headers=scim.headers), 400, "invalidValue"
        )
    # ASCII case differences are the same name; names in other scripts, or accented, are their own.
    found = scim_ok(
        await client.get("/scim/v2/Groups", params={"filter": 'displayName eq "hr-desk"'}, headers=scim.headers)
    )
    assert [g["id"] for g in found["Resources"]] == [created["id"]]
    for name in ("Отдел кадров", "Équipe RH", "人事部のチーム", "Yönetim Kurulu"):
        scim_ok(
            await client.post("/scim/v2/Groups", json={"schemas": [GROUP], "displayName": name}, headers=scim.headers),
            201,
        )


def _with_department(user_name: str, department: str) -> dict[str, Any]:
    body = okta_user(user_name)
    body["schemas"] = [USER, ENTERPRISE]
    body[ENTERPRISE] = {"department": department}
    return body


async def test_a_lookalike_department_moves_nobody(client: Client, directory: DirectoryFactory) -> None:
    # The department decides what a person may see (openings restricted to an org unit): a name that
    # only looks like Kitchen must not place anyone in it.
    scim = await directory()
    chef = scim_ok(
        await client.post(
            "/scim/v2/Users", json=_with_department("chef@acme.example", "Kitchen"), headers=scim.headers
        ),
        201,
    )
    assert chef[ENTERPRISE]["department"] == "Kitchen"
    before = await _count_users(client, scim.headers)
    lookalike = _with_department("cook@acme.example", "\u212aitchen")
    body = scim_error(await client.post("/scim/v2/Users", json=lookalike, headers=scim.headers), 400, "invalidValue")
    assert "KELVIN SIGN" in body["detail"]
    assert await _count_users(client, scim.headers) == before
    same = _with_department("baker@acme.example", "KITCHEN")
    baker = scim_ok(await client.post("/scim/v2/Users", json=same, headers=scim.headers), 201)
    assert baker[ENTERPRISE]["department"] == "Kitchen"
