"""Recomputes lock per tenant: two tenants' recomputes run at the same time, one tenant's take turns."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from backend.matching.service import RECOMPUTE, MatchingService
from tenants.locks import tenant_lock_key
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory
from tests.matching.world import build_world, recompute

_LOCKS = text(
    "SELECT granted FROM pg_locks WHERE locktype = 'advisory' AND database = "
    "(SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid = :high AND objid = :low AND objsubid = 1"
)


async def _lock_states(database: Database, tenant: TenantRef) -> list[bool]:
    """Whether each holder or waiter of `tenant`'s recompute lock holds it (True) or waits (False)."""
    key = tenant_lock_key(tenant, RECOMPUTE) & 0xFFFFFFFFFFFFFFFF
    async with database.engine.connect() as probe:
        rows = await probe.execute(_LOCKS, {"high": key >> 32, "low": key & 0xFFFFFFFF})
        return sorted(bool(granted) for (granted,) in rows)


async def _until(database: Database, tenant: TenantRef, states: list[bool]) -> None:
    for _ in range(200):
        if await _lock_states(database, tenant) == states:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the recompute lock never reached {states}: {await _lock_states(database, tenant)}")


async def test_two_tenants_recompute_at_once_and_one_tenants_recomputes_take_turns(
    make_tenant: TenantFactory, database: Database
) -> None:
    first = (await build_world(database, make_tenant())).tenant
    second = (await build_world(database, make_tenant())).tenant

    async with database.tenant_session(first) as holding, holding.begin():
        # The first tenant's recompute is done but its transaction is open: it still holds its lock.
        assert (await MatchingService(holding).recompute())["recommendations"] > 0

        # Another tenant's recompute does not wait for it (a wait would end in the lock timeout).
        async with database.tenant_session(second) as other, other.begin():
            await other.execute(text("SET LOCAL lock_timeout = '5s'"))
            assert (await MatchingService(other).recompute())["recommendations"] > 0
            # Both tenants hold their recompute locks at the same moment.
            assert await _lock_states(database, first) == [True]
            assert await _lock_states(database, second) == [True]

        # A second recompute of the first tenant waits for the first one's transaction to end.
        waiting: asyncio.Task[dict[str, Any]] = asyncio.create_task(recompute(database, first))
        await _until(database, first, [False, True])
        assert not waiting.done()

    assert (await asyncio.wait_for(waiting, timeout=60))["recommendations"] > 0
    assert await _lock_states(database, first) == []
