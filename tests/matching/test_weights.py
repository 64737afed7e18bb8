"""The tenant's matching weights: all-zero weights are refused, every version is kept and audited, and
each recompute records the version it scored with."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from backend.matching.engine import Weights
from tenants.sessions import Database
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.matching.world import World, build_world, recompute

Client = AsyncTestClient[Litestar]
API = "/api/v1"
WEIGHTS = f"{API}/matching/weights"


@pytest.fixture
async def world(make_tenant: TenantFactory, database: Database) -> World:
    return await build_world(database, make_tenant())


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _versions(client: Client, hr: dict[str, str]) -> list[dict[str, Any]]:
    return list((await ok(await client.get(f"{WEIGHTS}/versions", headers=hr)))["items"])


async def _weight_changes(client: Client, hr: dict[str, str]) -> list[dict[str, Any]]:
    page = await ok(await client.get(f"{API}/audit-events", params={"action": "matching_weights.changed"}, headers=hr))
    return list(page["items"])


async def test_weights_that_make_every_score_zero_are_refused(client: Client, auth: TokenFactory, world: World) -> None:
    hr = auth(world.tenant, UserRole.HR_ADMIN)
    defaults = await ok(await client.get(WEIGHTS, headers=hr))
    zero = dict.fromkeys(defaults, 0.0)
    refused = problem(await client.put(WEIGHTS, json=zero, headers=hr), 422)
    assert refused["errors"][0]["field"] == "weights"
    assert all(factor in refused["detail"] for factor in defaults)
    # A weight too small for a float32 score to carry would make every score 0 just the same.
    tiny = problem(await client.put(WEIGHTS, json={**zero, "level_fit": 1e-50}, headers=hr), 422)
    assert tiny["errors"][0]["field"] == "level_fit"
    # Nothing changed: the same weights, no new version, nothing audited.
    assert await ok(await client.get(WEIGHTS, headers=hr)) == defaults
    assert [v["version"] for v in await _versions(client, hr)] == [1]
    assert await _weight_changes(client, hr) == []
    # One factor alone is a ranking.
    assert await ok(await client.put(WEIGHTS, json={**zero, "location_fit": 0.0001}, headers=hr)) == {
        **zero,
        "location_fit": 0.0001,
    }


async def test_every_version_is_kept_audited_and_named_by_the_scores_it_made(
    client: Client, auth: TokenFactory, world: World, database: Database
) -> None:
    hr = auth(world.tenant, UserRole.HR_ADMIN)
    ana = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ana"])
    [first] = await _versions(client, hr)
    # The tenant started with the engine's defaults, written out as version 1.
    assert (first["version"], first["weights"], first["set_by"]) == (1, Weights().as_dict(), "crosswalk:defaults")
    assert first["set_by_employee_id"] is None

    before = await ok(await client.get(WEIGHTS, headers=hr))
    chosen = {**before, "location_fit": 0.0, "aspirations": 0.3}
    await ok(await client.put(WEIGHTS, json=chosen, headers=hr))
    await ok(await client.put(WEIGHTS, json=chosen, headers=hr))  # the same again: no new version
    latest = {**chosen, "level_fit": 0.5}
    await ok(await client.put(WEIGHTS, json=latest, headers=hr))

    versions = await _versions(client, hr)
    assert [(v["version"], v["weights"]) for v in versions] == [(1, before), (2, chosen), (3, latest)]
    assert versions[1]["set_by"].startswith("test:")
    assert versions[1]["set_at"] <= versions[2]["set_at"]
    # HR reads the history; nobody else.
    problem(await client.get(f"{WEIGHTS}/versions", headers=ana), 403)

    changes = await _weight_changes(client, hr)
    assert [c["details"] for c in changes] == [
        {"version": 2, "before": before, "after": chosen},
        {"version": 3, "before": chosen, "after": latest},
    ]
    assert {(c["actor_subject"], c["subject_employee_id"], c["object_type"]) for c in changes} == {
        (versions[1]["set_by"], None, "matching_weights")
    }
    assert len({c["object_id"] for c in changes} - {None}) == 2

    # A recompute says which version it scored with, and its job result carries the version only.
    summary = await recompute(database, world.tenant)
    assert summary["weights_version"] == 3
    assert "weights" not in summary
    mine = await ok(await client.get(f"{API}/me/recommendations", headers=ana))
    assert mine["weights_version"] == 3
    assert mine["items"][0]["match"]["factors"]["location_fit"] == 0
    candidates = await ok(await client.get(f"{API}/opportunities/{world.analyst}/candidates", headers=hr))
    assert candidates["weights_version"] == 3
