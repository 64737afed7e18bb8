"""The tenant migrations build exactly the tables the models describe (no drift between the two)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

import backend.models  # noqa: F401 - registers every model on the metadata
from tenants.base import TenantBase
from tests.conftest import TenantFactory


def test_migrated_tenant_schema_matches_the_models(owner_engine: Engine, make_tenant: TenantFactory) -> None:
    tenant = make_tenant()
    with owner_engine.connect() as connection:
        connection.execute(text(f'SET search_path TO "{tenant.schema_name}"'))
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, TenantBase.metadata) if "alembic_version" not in str(d)]
        connection.execute(text("RESET search_path"))
    assert diff == []
