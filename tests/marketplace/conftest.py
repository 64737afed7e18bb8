"""Fixtures of the marketplace tests."""

from __future__ import annotations

import pytest

from tests.conftest import TenantFactory, TokenFactory
from tests.marketplace.market import Client, Market, build_market


@pytest.fixture
async def m(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> Market:
    """A fresh company (tenant) with its org tree, people, skills and a role."""
    return await build_market(client, make_tenant(), auth)
