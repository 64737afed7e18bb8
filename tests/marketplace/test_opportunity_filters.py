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
