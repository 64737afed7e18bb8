"""`GET /opportunities` filtered by remote work and location (the portal's board uses the same filters)."""

from __future__ import annotations

from tests.marketplace.market import API, Client, Market, ok


async def test_openings_are_filtered_by_remote_work_and_location(m: Market, client: Client) -> None:
    remote = await m.opening(title="Remote sprint", location="Rotterdam", remote=True)
    on_site = await m.opening(title="On-site sprint", location="Berlin")

    async def listed(query: str) -> list[str]:
        page = await ok(await client.get(f"{API}/opportunities?{query}", headers=m.as_("ana")))
        return [o["id"] for o in page["items"]]

    assert await listed("remote=true") == [remote["id"]]
    assert await listed("remote=false") == [on_site["id"]]
    # A part of the location, in any case.
    assert await listed("location=ROTTER") == [remote["id"]]
    assert await listed("location=berl&remote=true") == []


async def test_openings_are_filtered_by_hours_a_week(m: Market, client: Client) -> None:
    light = await m.opening(title="Light sprint", hours_per_week=8)
    mid = await m.opening(title="Middle sprint", hours_per_week=16)
    heavy = await m.opening(title="Heavy sprint", hours_per_week=32)

    async def listed(query: str) -> set[str]:
        page = await ok(await client.get(f"{API}/opportunities?{query}&q=sprint", headers=m.as_("ana")))
        return {o["id"] for o in page["items"]}

    # Both ends included.
    assert await listed("hours_min=16") == {mid["id"], heavy["id"]}
    assert await listed("hours_max=16") == {light["id"], mid["id"]}
    assert await listed("hours_min=9&hours_max=31") == {mid["id"]}
    assert await listed("hours_min=33") == set()
    assert await listed("hours_min=8&hours_max=8&remote=false") == {light["id"]}


async def test_a_role_without_hours_is_left_out_by_an_hours_filter(m: Market, client: Client) -> None:
    role = await m.opening(
        title="Analyst role",
        kind="role",
        role_id=m.role["id"],
        hours_per_week=None,
        duration_weeks=None,
    )
    gig = await m.opening(title="Analyst gig", hours_per_week=20)

    async def listed(query: str) -> set[str]:
        page = await ok(await client.get(f"{API}/opportunities?q=analyst{query}", headers=m.as_("ana")))
        return {o["id"] for o in page["items"]}

    assert await listed("") == {role["id"], gig["id"]}
    assert await listed("&hours_min=1") == {gig["id"]}
    assert await listed("&hours_max=80") == {gig["id"]}


async def test_bad_hours_are_refused_as_the_other_filters(m: Market, client: Client) -> None:
    for query in ("hours_min=0", "hours_max=81", "hours_min=abc", "hours_max=", "hours_min=1.5", "hours_min=-3"):
        response = await client.get(f"{API}/opportunities?{query}", headers=m.as_("ana"))
        assert response.status_code == 400, (query, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    crossed = await client.get(f"{API}/opportunities?hours_min=20&hours_max=10", headers=m.as_("ana"))
    assert crossed.status_code == 422, crossed.text
    assert crossed.json()["errors"] == [{"field": "hours_max", "message": "hours_max is below hours_min"}]
    # An unknown parameter is refused, as everywhere.
    assert (await client.get(f"{API}/opportunities?hours=20", headers=m.as_("ana"))).status_code == 400


async def test_the_hours_filter_is_in_the_openapi_document(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    parameters = {p["name"]: p for p in document["paths"][f"{API}/opportunities"]["get"]["parameters"]}
    for name in ("hours_min", "hours_max"):
        assert parameters[name]["in"] == "query"
        assert parameters[name]["required"] is False
        schema = parameters[name]["schema"]
        assert {"type": "integer"} in schema["oneOf"], schema
        assert (schema["minimum"], schema["maximum"]) == (1, 80), schema
