"""Tenant pinning: what Postgres itself enforces for a session pinned to one tenant."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import ProgrammingError

from backend.org.models import OrgUnit, OrgUnitKind
from backend.settings import Settings
from tenants.sessions import Database, TenantNotPinnedError
from tests.conftest import TenantFactory


@pytest.fixture
async def database(settings: Settings) -> Database:
    db = Database(settings.serving_url, pool_size=1, max_overflow=0, max_tenants_per_connection=3)
    yield db  # type: ignore[misc]
    await db.dispose()


async def test_a_session_sees_only_its_tenant(database: Database, make_tenant: TenantFactory) -> None:
    a, b = make_tenant(), make_tenant()
    async with database.tenant_session(a) as session:
        session.add(OrgUnit(name="Only in A", kind=OrgUnitKind.DEPARTMENT))
        await session.commit()
    async with database.tenant_session(b) as session:
        assert await session.scalar(select(func.count()).select_from(OrgUnit)) == 0
    async with database.tenant_session(a) as session:
        assert await session.scalar(select(func.count()).select_from(OrgUnit)) == 1


async def test_naming_another_tenants_schema_is_refused_by_postgres(
    database: Database, make_tenant: TenantFactory
) -> None:
    a, b = make_tenant(), make_tenant()
    async with database.tenant_session(a) as session:
        with pytest.raises(ProgrammingError, match="permission denied"):
            await session.execute(text(f"SELECT * FROM {b.schema_name}.employees"))
    async with database.tenant_session(a) as session:
        with pytest.raises(ProgrammingError, match="permission denied"):
            await session.execute(
                text(f"INSERT INTO {b.schema_name}.org_units (id, name, kind) VALUES (:i, 'x', 'team')"),
                {"i": uuid.uuid4()},
            )
    async with database.tenant_session(a) as session:
        with pytest.raises(ProgrammingError, match="permission denied"):
            await session.execute(text("SELECT * FROM control.tenants"))


async def test_settings_are_transaction_scoped_and_do_not_leak(database: Database, make_tenant: TenantFactory) -> None:
    a = make_tenant()
    async with database.tenant_session(a) as session:
        role, path = (await session.execute(text("SELECT current_user, current_setting('search_path')"))).one()
        assert role == a.role_name
        assert path == a.schema_name
    # pool_size=1: the control session gets the very same connection back, with nothing left set.
    async with database.control_session() as session:
        role, path = (await session.execute(text("SELECT current_user, current_setting('search_path')"))).one()
        assert role != a.role_name
        assert a.schema_name not in path


async def test_a_tenant_session_without_a_tenant_is_refused(database: Database) -> None:
    session = database._tenant_sessions()
    with pytest.raises(TenantNotPinnedError):
        await session.execute(text("SELECT 1"))
    await session.close()


async def test_the_same_sql_text_serves_every_tenant(database: Database, make_tenant: TenantFactory) -> None:
    tenants = [make_tenant() for _ in range(2)]
    sent: dict[str, list[str]] = {}

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent.setdefault(current, []).append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        for tenant in tenants:
            current = tenant.slug
            async with database.tenant_session(tenant) as session:
                session.add(OrgUnit(name="Ops", kind=OrgUnitKind.DEPARTMENT))
                await session.flush()
                await session.scalar(select(func.count()).select_from(OrgUnit).where(OrgUnit.name == "Ops"))
                await session.commit()
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
    first, second = (sent[t.slug] for t in tenants)
    assert first == second
    assert not any(t.schema_name in statement for t in tenants for statement in first)


async def test_connections_are_recycled_after_serving_many_tenants(
    database: Database, make_tenant: TenantFactory
) -> None:
    tenants = [make_tenant() for _ in range(4)]
    pids: list[int] = []
    for tenant in tenants:
        async with database.tenant_session(tenant) as session:
            pids.append(int(await session.scalar(text("SELECT pg_backend_pid()")) or 0))
    # max_tenants_per_connection=3 and one pooled connection: the backend that served the third
    # tenant is replaced before the fourth.
    assert pids[0] == pids[1] == pids[2]
    assert pids[3] != pids[2]
