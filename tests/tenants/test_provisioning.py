"""Provisioning, status changes and the Postgres roles behind them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import ProgrammingError

from backend.settings import Settings, as_psycopg_url
from tenants.migrator import TENANT_TREE, script_directory
from tenants.models import TenantStatus
from tenants.provisioning import (
    RoleNames,
    TenantExistsError,
    create_tenant,
    get_tenant,
    list_tenants,
    set_status,
)
from tenants.slugs import InvalidSlugError
from tests.conftest import TenantFactory


def _tenant_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT count(*) FROM control.tenants")) or 0)


def _schemas(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")))


def test_create_makes_schema_role_and_tables(
    owner_engine: Engine, roles: RoleNames, make_tenant: TenantFactory
) -> None:
    tenant = make_tenant("acme_prov", "Acme Provisioning")
    assert tenant.status == TenantStatus.ACTIVE
    assert tenant.schema_name == "t_acme_prov"
    assert tenant.role_name == roles.tenant("acme_prov")
    with owner_engine.connect() as connection:
        tables = set(connection.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 't_acme_prov'")))
        version = connection.scalar(text("SELECT version_num FROM t_acme_prov.alembic_version"))
        levels = connection.scalar(text("SELECT count(*) FROM t_acme_prov.proficiency_levels"))
    assert {"employees", "org_units", "skills", "employee_skills", "roles", "career_paths"} <= tables
    assert version == script_directory(TENANT_TREE).get_current_head()
    assert levels == 5
    assert [t.slug for t in list_tenants(owner_engine) if t.slug == "acme_prov"] == ["acme_prov"]


@pytest.mark.parametrize("slug", ["Bad", "x;drop schema control", "select", "a" * 31])
def test_bad_slug_changes_nothing(owner_engine: Engine, roles: RoleNames, slug: str) -> None:
    tenants_before, schemas_before = _tenant_count(owner_engine), _schemas(owner_engine)
    with pytest.raises(InvalidSlugError):
        create_tenant(owner_engine, roles, slug, "Bad Co")
    assert _tenant_count(owner_engine) == tenants_before
    assert _schemas(owner_engine) == schemas_before


def test_duplicate_slug_is_refused(owner_engine: Engine, roles: RoleNames, make_tenant: TenantFactory) -> None:
    make_tenant("dupe_co")
    with pytest.raises(TenantExistsError, match="already exists"):
        create_tenant(owner_engine, roles, "dupe_co", "Again")


def test_interrupted_provisioning_resumes(owner_engine: Engine, roles: RoleNames) -> None:
    # A crash after the control row was written leaves the tenant in `provisioning`; running the
    # same command again finishes the job instead of failing on the existing row.
    with owner_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO control.tenants (id, slug, name, status, placement, schema_name, role_name, "
                "created_at, updated_at) VALUES (gen_random_uuid(), 'half_done', 'Half', 'provisioning', "
                "'default', 't_half_done', :role, now(), now())"
            ),
            {"role": roles.tenant("half_done")},
        )
    tenant = create_tenant(owner_engine, roles, "half_done", "Half Done")
    assert tenant.status == TenantStatus.ACTIVE
    assert "t_half_done" in _schemas(owner_engine)


def test_suspend_archive_and_reactivate_keep_data(
    owner_engine: Engine, roles: RoleNames, make_tenant: TenantFactory
) -> None:
    make_tenant("lifecycle")
    with owner_engine.begin() as connection:
        connection.execute(
            text("INSERT INTO t_lifecycle.skill_categories (id, name) VALUES (gen_random_uuid(), 'Kept')")
        )
    assert set_status(owner_engine, roles, "lifecycle", TenantStatus.SUSPENDED).status == TenantStatus.SUSPENDED
    assert set_status(owner_engine, roles, "lifecycle", TenantStatus.ARCHIVED).status == TenantStatus.ARCHIVED
    assert "t_lifecycle" in _schemas(owner_engine)
    with owner_engine.connect() as connection:
        member = connection.scalar(
            text("SELECT pg_has_role(:app, :tenant, 'MEMBER')"), {"app": roles.app, "tenant": roles.tenant("lifecycle")}
        )
        kept = connection.scalar(text("SELECT count(*) FROM t_lifecycle.skill_categories"))
    assert member is False, "the serving role must lose access to an archived tenant"
    assert kept == 1
    assert set_status(owner_engine, roles, "lifecycle", TenantStatus.ACTIVE).status == TenantStatus.ACTIVE
    assert get_tenant(owner_engine, "lifecycle").status == TenantStatus.ACTIVE


def test_serving_role_owns_nothing_and_reaches_tenants_only_through_set_role(
    settings: Settings, roles: RoleNames, make_tenant: TenantFactory
) -> None:
    make_tenant("own_a")
    app_engine = create_engine(as_psycopg_url(settings.serving_url))
    try:
        with app_engine.connect() as connection:
            owned = connection.scalar(
                text("SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = :r"),
                {"r": roles.app},
            )
            assert owned == 0
            with pytest.raises(ProgrammingError, match="permission denied"):
                connection.execute(text("SELECT * FROM t_own_a.employees"))
    finally:
        app_engine.dispose()
