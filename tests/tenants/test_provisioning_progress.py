"""Provisioning reports its steps (and each tenant revision) to whoever watches it, and stops cleanly
when the watcher says so; without a watcher it behaves as the CLI always has."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from tenants.migrator import TENANT_TREE, script_directory, upgrade_in_schema
from tenants.models import TenantStatus
from tenants.provisioning import ProvisioningProgress, RoleNames, create_tenant, get_tenant
from tests.conftest import TenantFactory


def _tenant_revisions() -> list[str]:
    return [script.revision for script in reversed(list(script_directory(TENANT_TREE).walk_revisions()))]


def test_provisioning_reports_each_step_and_each_revision(owner_engine: Engine, roles: RoleNames) -> None:
    seen: list[ProvisioningProgress] = []
    tenant = create_tenant(owner_engine, roles, "progress_co", "Progress Co", on_progress=seen.append)

    assert seen[0] == ProvisioningProgress(5, "registering tenant", None)
    assert seen[1] == ProvisioningProgress(15, "creating schema and role", tenant.id)
    assert seen[-1] == ProvisioningProgress(100, "active", tenant.id)
    migrating = seen[2:-1]
    assert [p.step.split()[1] for p in migrating] == _tenant_revisions()
    assert all(p.step.startswith("migrating: t") and p.tenant_id == tenant.id for p in migrating)
    # Each revision moves the bar, within the migrations' share of it.
    percents = [p.percent for p in migrating]
    assert percents == sorted(set(percents))
    assert percents[0] > 15
    assert percents[-1] == 95
    # The revision's title says what it brings, for the console.
    assert "mentorship" in migrating[3].step


def test_a_watcher_that_raises_stops_provisioning_and_a_rerun_resumes(owner_engine: Engine, roles: RoleNames) -> None:
    class Stop(Exception):
        pass

    def stop_in_the_middle(progress: ProvisioningProgress) -> None:
        if progress.step.startswith("migrating: t0004"):
            raise Stop

    with pytest.raises(Stop):
        create_tenant(owner_engine, roles, "stopped_co", "Stopped Co", on_progress=stop_in_the_middle)
    # The schema, role and revisions are one transaction: rolled back together, the tenant registered.
    assert get_tenant(owner_engine, "stopped_co").status == TenantStatus.PROVISIONING
    with owner_engine.connect() as connection:
        assert connection.scalar(text("SELECT 1 FROM pg_namespace WHERE nspname = 't_stopped_co'")) is None

    tenant = create_tenant(owner_engine, roles, "stopped_co", "Stopped Co")
    assert tenant.status == TenantStatus.ACTIVE
    with owner_engine.connect() as connection:
        version = connection.scalar(text("SELECT version_num FROM t_stopped_co.alembic_version"))
    assert version == script_directory(TENANT_TREE).get_current_head()


def test_a_schema_at_head_reports_no_revision(owner_engine: Engine, make_tenant: TenantFactory) -> None:
    tenant = make_tenant()
    calls: list[tuple[int, int, str]] = []
    with owner_engine.begin() as connection:
        before, after = upgrade_in_schema(
            connection,
            script_directory(TENANT_TREE),
            tenant.schema_name,
            on_revision=lambda *call: calls.append(call),
        )
    assert before == after == script_directory(TENANT_TREE).get_current_head()
    assert calls == []
