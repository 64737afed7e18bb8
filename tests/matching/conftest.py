"""Fixtures of the matching tests."""

from __future__ import annotations

import pytest

from tenants.sessions import Database
from tests.conftest import TenantFactory
from tests.matching.world import World, build_world, recompute


@pytest.fixture
async def world(make_tenant: TenantFactory, database: Database) -> World:
    """The small company of world.py, its recommendations and candidate lists computed."""
    built = await build_world(database, make_tenant())
    await recompute(database, built.tenant)
    return built
