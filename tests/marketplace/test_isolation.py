"""With a token of tenant A, nothing of tenant B's marketplace can be read, listed, changed or named."""

from __future__ import annotations

from typing import Any

from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.marketplace.market import API, Client, build_market, ok


async def test_tenant_a_cannot_touch_tenant_bs_marketplace(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    b = await build_market(client, make_tenant(), auth)
    a = await build_market(client, make_tenant(), auth)
    kind = await ok(await client.post(f"{API}/opportunity-types", json={"name": "Rotation"}, headers=b.hr), 201)
    opening = await b.opening()
    application = await b.apply(opening["id"])
    await ok(await b.move(application["id"], "offer"))
    o, t, ap = opening["id"], kind["id"], application["id"]
    reads = [
        f"{API}/opportunities/{o}",
        f"{API}/opportunities/{o}/applications",
        f"{API}/opportunity-types/{t}",
        f"{API}/applications/{ap}",
    ]
    writes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("PATCH", f"{API}/opportunities/{o}", {"title": "hijacked"}),
        ("POST", f"{API}/opportunities/{o}/close", None),
        ("POST", f"{API}/opportunities/{o}/open", None),
        ("POST", f"{API}/opportunities/{o}/applications", {}),
        ("PATCH", f"{API}/opportunity-types/{t}", {"name": "hijacked"}),
        ("POST", f"{API}/applications/{ap}/stage", {"to": "rejected", "note": "x"}),
        ("POST", f"{API}/applications/{ap}/withdraw", {}),
        ("POST", f"{API}/applications/{ap}/release", {"action": "override", "reason": "x"}),
    ]

    async def snapshot() -> list[Any]:
        return [await ok(await client.get(url, headers=b.hr)) for url in reads]

    before = await snapshot()
    # Every kind of caller of A: HR, a manager, an employee.
    for headers in (a.hr, a.as_("hm"), a.as_("ana")):
        for url in reads:
            problem(await client.get(url, headers=headers), 404)
        for method, url, body in writes:
            problem(await client.request(method, url, json=body, headers=headers), 404)
    for url, headers in (
        ("/opportunities", a.hr),
        ("/opportunity-types", a.hr),
        ("/audit-events", a.hr),
        ("/me/applications", a.as_("ana")),
        ("/me/releases", a.as_("lead")),
    ):
        listed = await ok(await client.get(f"{API}{url}", headers=headers))
        assert listed["items"] == [], url
    # B's objects named in A's bodies are unknown objects, not links across tenants.
    for body, field in (
        ({"kind": "role", "role_id": b.role["id"]}, "role_id"),
        ({"kind": "custom", "type_id": t}, "type_id"),
        ({"kind": "gig", "hours_per_week": 2, "duration_weeks": 2, "org_unit_id": b.units["Sales"]}, "org_unit_id"),
        (
            {"kind": "gig", "hours_per_week": 2, "duration_weeks": 2, "hiring_manager_id": b.people["hm"]},
            "hiring_manager_id",
        ),
        (
            {"kind": "gig", "hours_per_week": 2, "duration_weeks": 2, "visibility_unit_ids": [b.units["Sales"]]},
            "visibility_unit_ids",
        ),
        (
            {
                "kind": "gig",
                "hours_per_week": 2,
                "duration_weeks": 2,
                "skills": [{"skill_id": b.skills["sql"], "level": 2}],
            },
            "skills",
        ),
    ):
        refused = problem(await client.post(f"{API}/opportunities", json={"title": "X", **body}, headers=a.hr), 422)
        assert refused["errors"][0]["field"] == field
    # A's policy is A's own.
    await a.set_policy("at_application", 30)
    assert (await ok(await client.get(f"{API}/mobility-policy", headers=b.hr)))["manager_notice"] == "at_offer"
    assert await snapshot() == before
