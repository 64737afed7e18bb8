"""Fixtures of the mentoring tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from backend.settings import Settings
from tenants.sessions import Database


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The serving database for the tests' own calls to services (the app's pool lives on the test
    client's loop). A few connections: the job runner opens side sessions for the job's record."""
    database = Database(settings.serving_url, pool_size=4, max_overflow=0)
    yield database
    await database.dispose()
