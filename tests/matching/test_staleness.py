"""What makes the stored matches stale: the framework's changes reach matching through the change log
(`backend.core.changes`), and matching's rule (`backend.matching.staleness`) says which count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from backend.auth.principal import UserRole
from backend.core.changes import Change
from backend.matching.service import enqueue_if_due
from backend.matching.serving import freshness
from tenants.sessions import Database
from tests.conftest import TokenFactory
from tests.matching.world import World

Client = AsyncTestClient[Litestar]
API = "/api/v1"
FrameworkChange = Callable[[Client, World, dict[str, str]], Awaitable[Any]]


async def _pending_changes(client: Client, auth: TokenFactory, world: World) -> bool:
    ana = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ana"])
    response = await client.get(f"{API}/me/recommendations", headers=ana)
    assert response.status_code == 200, response.text
    pending = response.json()["pending_changes"]
    assert isinstance(pending, bool)
    return pending


async def _require_a_skill(client: Client, world: World, hr: dict[str, str]) -> Any:
    return await client.put(
        f"{API}/roles/{world.roles['Analyst']}/skills/{world.skills['Python']}",
        json={"target_level": 3, "importance": "essential"},
        headers=hr,
    )


async def _drop_a_skill(client: Client, world: World, hr: dict[str, str]) -> Any:
    return await client.delete(f"{API}/roles/{world.roles['Analyst']}/skills/{world.skills['Tableau']}", headers=hr)


async def _change_a_role(client: Client, world: World, hr: dict[str, str]) -> Any:
    return await client.patch(f"{API}/roles/{world.roles['Analyst']}", json={"level": 5}, headers=hr)


@pytest.mark.parametrize("change", [_require_a_skill, _drop_a_skill, _change_a_role])
async def test_a_change_to_the_framework_makes_the_matches_stale(
    client: Client, auth: TokenFactory, world: World, database: Database, change: FrameworkChange
) -> None:
    assert await _pending_changes(client, auth, world) is False
    response = await change(client, world, auth(world.tenant))
    assert response.status_code in (200, 204), response.text
    assert await _pending_changes(client, auth, world) is True
    async with database.tenant_session(world.tenant) as session, session.begin():
        assert await enqueue_if_due(session, debounce=0, max_wait=3600) is not None


async def test_a_career_path_is_recorded_but_changes_no_stored_match(
    client: Client, auth: TokenFactory, world: World, database: Database
) -> None:
    # Next roles read the career paths when asked: nothing stored depends on them.
    created = await client.post(
        f"{API}/career-paths",
        json={
            "from_role_id": str(world.roles["Junior Analyst"]),
            "to_role_id": str(world.roles["Senior Analyst"]),
            "kind": "promotion",
        },
        headers=auth(world.tenant),
    )
    assert created.status_code == 201, created.text
    assert await _pending_changes(client, auth, world) is False
    async with database.tenant_session(world.tenant) as session, session.begin():
        assert list((await session.scalars(select(Change.fact))).all()) == ["career_paths.changed"]
        assert await enqueue_if_due(session, debounce=0, max_wait=3600) is None


async def test_freshness_says_when_the_newest_run_computed_with_which_weights_and_whether_changes_wait(
    client: Client, auth: TokenFactory, world: World, database: Database
) -> None:
    """What the HR workspace's weights page shows of the matches (`freshness`), as the API's
    recommendations say it (`computed_at`, `pending_changes`, `weights_version`)."""
    ana = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ana"])
    served = (await client.get(f"{API}/me/recommendations", headers=ana)).json()
    async with database.tenant_session(world.tenant) as session:
        computed_at, pending, version = await freshness(session)
    assert computed_at is not None
    assert computed_at.isoformat().replace("+00:00", "Z")[:19] == served["computed_at"][:19]
    assert (pending, version) == (False, served["weights_version"])
    response = await _change_a_role(client, world, auth(world.tenant))
    assert response.status_code == 200, response.text
    async with database.tenant_session(world.tenant) as session:
        assert (await freshness(session))[1] is True
