"""Migrations across many tenant schemas: no-op runs, a new revision, resumability."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tenants.migrator import TENANT_TREE, schema_versions, script_directory, upgrade_tenant_schemas
from tenants.provisioning import tenant_schemas
from tests.conftest import TenantFactory

EXTRA_REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "t9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("employees", sa.Column("nickname", sa.String(100), nullable=True))
"""

FAILING_REVISION = """
from alembic import op

revision = "t9002"
down_revision = "t9001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Fails only in one schema, the way a data-dependent migration can.
    op.execute("DO $$ BEGIN IF current_schema() = 't_mig_broken' THEN RAISE EXCEPTION 'boom'; END IF; END $$")
"""


@pytest.fixture
def migration_tenants(owner_engine: Engine) -> Iterator[None]:
    yield
    # Their schemas end at revisions only this test knows; other tests migrate the whole database.
    # One schema per transaction: dropping a schema locks each of its objects, and a dozen schemas at
    # once would outgrow the server's lock table (max_locks_per_transaction).
    with owner_engine.begin() as connection:
        schemas = connection.scalars(text("SELECT schema_name FROM control.tenants WHERE slug LIKE 'mig\\_%'")).all()
    for schema in schemas:
        with owner_engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    with owner_engine.begin() as connection:
        connection.execute(text("DELETE FROM control.tenants WHERE slug LIKE 'mig\\_%'"))


@pytest.mark.usefixtures("migration_tenants")
def test_many_schemas_noop_then_new_revision_then_resume(
    owner_engine: Engine, make_tenant: TenantFactory, tmp_path: Path
) -> None:
    for i in range(12):
        make_tenant(f"mig_{i}")
    make_tenant("mig_broken")
    # Only this test's schemas: the others in the test database stay at the real head.
    schemas = [s for s in tenant_schemas(owner_engine) if s.startswith("t_mig_")]
    head = script_directory(TENANT_TREE).get_current_head()

    noop = upgrade_tenant_schemas(owner_engine, schemas, jobs=2)
    assert noop.ok
    assert noop.upgraded == []
    assert noop.already_current == len(schemas)

    extra = tmp_path / "versions"
    extra.mkdir()
    (extra / "t9001_nickname.py").write_text(EXTRA_REVISION.format(head=head))
    progress: list[int] = []
    summary = upgrade_tenant_schemas(
        owner_engine, schemas, jobs=2, extra_version_locations=(extra,), on_progress=lambda d, t, r: progress.append(d)
    )
    assert summary.ok, summary.failed
    assert len(summary.upgraded) == len(schemas)
    assert sorted(progress) == list(range(1, len(schemas) + 1))
    with owner_engine.connect() as connection:
        versions = schema_versions(connection, schemas)
        assert set(versions.values()) == {"t9001"}
        assert (
            connection.scalar(
                text(
                    "SELECT count(*) FROM information_schema.columns "
                    "WHERE table_schema = 't_mig_3' AND column_name = 'nickname'"
                )
            )
            == 1
        )

    (extra / "t9002_fails_once.py").write_text(FAILING_REVISION)
    script_directory.cache_clear()
    broken = upgrade_tenant_schemas(owner_engine, schemas, jobs=2, extra_version_locations=(extra,))
    assert [f.schema for f in broken.failed] == ["t_mig_broken"]
    assert "boom" in (broken.failed[0].error or "")
    assert len(broken.upgraded) == len(schemas) - 1
    with owner_engine.connect() as connection:
        assert schema_versions(connection, ["t_mig_broken"]) == {"t_mig_broken": "t9001"}, "a failed schema rolls back"

    # Fix the data, run again: only the schema that failed is migrated.
    (extra / "t9002_fails_once.py").write_text(FAILING_REVISION.replace("t_mig_broken", "t_nobody"))
    script_directory.cache_clear()
    resumed = upgrade_tenant_schemas(owner_engine, schemas, jobs=2, extra_version_locations=(extra,))
    assert resumed.ok
    assert [r.schema for r in resumed.upgraded] == ["t_mig_broken"]
    assert resumed.already_current == len(schemas) - 1
    script_directory.cache_clear()
