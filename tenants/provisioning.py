"""Creating tenants, their schema and their Postgres role; changing their status.

Each tenant has a schema `t_<slug>` and a role that may use only that schema. Serving traffic runs as
an app login role that owns nothing and holds no privilege of its own on tenant tables (NOINHERIT):
it reaches a tenant's tables only after `SET LOCAL ROLE` to that tenant's role, so a query that names
another tenant's schema is refused by Postgres itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.orm import Session

from tenants.base import CONTROL_SCHEMA, new_id
from tenants.locks import global_lock_key, lock_statement
from tenants.migrator import TENANT_TREE, VERSION_TABLE, script_directory, upgrade_in_schema
from tenants.models import Tenant, TenantStatus
from tenants.registry import tenant_ref
from tenants.sessions import TenantRef
from tenants.slugs import schema_for, validate_slug
from tenants.sql import quote_identifier

# Held while a schema is created or migrated, so that two processes never change the same schema at once.
SCHEMA_CHANGE_LOCK = lock_statement(global_lock_key("schema-changes"))

_READ = "SELECT"
_READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"
# What the serving role may do in the control schema: look tenants up on every request, and keep the
# credentials that authenticate callers (the lookup happens before any tenant is known).
_APP_CONTROL_GRANTS = {
    "tenants": _READ,
    "identity_providers": _READ_WRITE,
    "partner_clients": _READ_WRITE,
    "scim_tokens": _READ_WRITE,
    "dead_letters": _READ_WRITE,
    # The consultants' console, served by the same app: who may sign in and act for which tenant,
    # the records of platform jobs, and an audit log the app may append to but never rewrite.
    "platform_users": "SELECT, INSERT, UPDATE",
    "consultant_assignments": _READ_WRITE,
    "platform_jobs": "SELECT, INSERT, UPDATE",
    "console_audit_events": "SELECT, INSERT",
}
# Control tables every tenant role reads: the global skills catalogue.
_TENANT_CONTROL_GRANTS = {
    "catalog_concepts": _READ,
    # A consultant's change to a tenant's data and its audit record commit in one transaction, which
    # runs as the tenant's role; appending is all it may do there.
    "console_audit_events": "INSERT",
}


@dataclass(frozen=True)
class RoleNames:
    """Role names of one Crosswalk database; see Settings.role_prefix for why they are prefixed."""

    prefix: str

    @property
    def app(self) -> str:
        return f"{self.prefix}app"

    @property
    def tenant_group(self) -> str:
        return f"{self.prefix}tenants"

    def tenant(self, slug: str) -> str:
        return f"{self.prefix}{schema_for(slug)}"


class TenantExistsError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ProvisioningProgress:
    """How far provisioning has got, for whoever watches it (the console, through a platform job)."""

    percent: int
    step: str
    # Known once the tenant's control row exists.
    tenant_id: uuid.UUID | None = None


OnProgress = Callable[[ProvisioningProgress], None]

# Where each phase of provisioning starts, in percent; the tenant migrations share what lies between
# the schema's creation and the end, one step per revision.
_REGISTERING, _CREATING, _MIGRATED, _DONE = 5, 15, 95, 100


class TenantNotFoundError(LookupError):
    pass


def _role_exists(connection: Connection, role: str) -> bool:
    return bool(connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}))


def ensure_platform_roles(engine: Engine, roles: RoleNames, app_password: str | None = None) -> None:
    """Create or update the app login role and the group role of all tenants (idempotent)."""
    with engine.begin() as connection:
        if not _role_exists(connection, roles.tenant_group):
            connection.execute(text(f"CREATE ROLE {quote_identifier(roles.tenant_group)} NOLOGIN"))
        if not _role_exists(connection, roles.app):
            connection.execute(text(f"CREATE ROLE {quote_identifier(roles.app)} LOGIN NOINHERIT"))
        connection.execute(
            text(
                f"ALTER ROLE {quote_identifier(roles.app)} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE "
                "NOBYPASSRLS NOREPLICATION"
            )
        )
        if app_password is not None:
            # Only a SCRAM verifier computed here by libpq crosses the wire, so the password itself
            # never appears in statement logs, pg_stat_activity or pg_stat_statements.
            pgconn = connection.connection.driver_connection.pgconn  # type: ignore[union-attr]
            verifier = pgconn.encrypt_password(app_password.encode(), roles.app.encode(), b"scram-sha-256").decode()
            connection.execute(text(f"ALTER ROLE {quote_identifier(roles.app)} PASSWORD '{verifier}'"))
        schema = quote_identifier(CONTROL_SCHEMA)
        for role in (roles.app, roles.tenant_group):
            connection.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {quote_identifier(role)}"))
        grants = [(t, p, roles.app) for t, p in _APP_CONTROL_GRANTS.items()]
        grants += [(t, p, roles.tenant_group) for t, p in _TENANT_CONTROL_GRANTS.items()]
        for table, privileges, role in grants:
            connection.execute(
                text(f"GRANT {privileges} ON {schema}.{quote_identifier(table)} TO {quote_identifier(role)}")
            )


def create_tenant(
    engine: Engine,
    roles: RoleNames,
    slug: str,
    name: str,
    placement: str = "default",
    *,
    on_progress: OnProgress | None = None,
) -> TenantRef:
    """Provision a tenant; re-running it for a tenant stuck in `provisioning` resumes the work.
    `on_progress` is told each step as it begins (and each tenant revision once applied); an error it
    raises stops the work, which a re-run resumes."""
    validate_slug(slug)
    name = name.strip()
    if not name:
        raise ValueError("tenant name is empty")

    def report(percent: int, step: str, tenant_id: uuid.UUID | None = None) -> None:
        if on_progress is not None:
            on_progress(ProvisioningProgress(percent, step, tenant_id))

    report(_REGISTERING, "registering tenant")
    with engine.begin() as connection:
        existing = connection.execute(select(Tenant.id, Tenant.status).where(Tenant.slug == slug)).first()
        if existing is not None and existing.status != TenantStatus.PROVISIONING:
            raise TenantExistsError(f"tenant {slug!r} already exists ({existing.status.value})")
        tenant_id = existing.id if existing is not None else new_id()
        if existing is None:
            connection.execute(
                insert(Tenant).values(
                    id=tenant_id,
                    slug=slug,
                    name=name,
                    placement=placement,
                    status=TenantStatus.PROVISIONING,
                    schema_name=schema_for(slug),
                    role_name=roles.tenant(slug),
                )
            )
    report(_CREATING, "creating schema and role", tenant_id)

    def migrated(applied: int, total: int, revision: str) -> None:
        report(_CREATING + (_MIGRATED - _CREATING) * applied // total, f"migrating: {revision}", tenant_id)

    with engine.begin() as connection:
        connection.execute(SCHEMA_CHANGE_LOCK)
        _create_schema_and_role(connection, roles, slug)
        upgrade_in_schema(connection, script_directory(TENANT_TREE), schema_for(slug), on_revision=migrated)
        # The tenant role may read and write its own tables, but not rewrite its migration history.
        connection.execute(
            text(
                f"REVOKE ALL ON {quote_identifier(schema_for(slug))}.{VERSION_TABLE} "
                f"FROM {quote_identifier(roles.tenant(slug))}"
            )
        )
        connection.execute(update(Tenant).where(Tenant.slug == slug).values(status=TenantStatus.ACTIVE, name=name))
    report(_DONE, "active", tenant_id)
    return get_tenant(engine, slug)


def _create_schema_and_role(connection: Connection, roles: RoleNames, slug: str) -> None:
    schema = quote_identifier(schema_for(slug))
    role = quote_identifier(roles.tenant(slug))
    if not _role_exists(connection, roles.tenant(slug)):
        connection.execute(text(f"CREATE ROLE {role} NOLOGIN IN ROLE {quote_identifier(roles.tenant_group)}"))
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    connection.execute(text(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC"))
    connection.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
    # Default privileges cover every table later revisions create, since the owner runs them too.
    connection.execute(
        text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}")
    )
    connection.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}"))
    connection.execute(text(f"GRANT {role} TO {quote_identifier(roles.app)}"))


def get_tenant(engine: Engine, slug: str) -> TenantRef:
    with Session(engine) as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        if tenant is None:
            raise TenantNotFoundError(f"no tenant {slug!r}")
        return tenant_ref(tenant)


def list_tenants(engine: Engine, include_archived: bool = True) -> list[TenantRef]:
    query = select(Tenant).order_by(Tenant.slug)
    if not include_archived:
        query = query.where(Tenant.status != TenantStatus.ARCHIVED)
    with Session(engine) as session:
        return [tenant_ref(tenant) for tenant in session.scalars(query)]


def set_status(engine: Engine, roles: RoleNames, slug: str, status: TenantStatus) -> TenantRef:
    """Suspend, archive or reactivate. Nothing is ever dropped: archiving only cuts the app's access."""
    tenant = get_tenant(engine, slug)
    if tenant.status == TenantStatus.PROVISIONING:
        raise ValueError(f"tenant {slug!r} is still provisioning; run `crosswalk tenants create` again")
    with engine.begin() as connection:
        connection.execute(update(Tenant).where(Tenant.slug == slug).values(status=status))
        role, app = quote_identifier(tenant.role_name), quote_identifier(roles.app)
        # An archived tenant's data stays, but the serving role can no longer become its role.
        if status == TenantStatus.ARCHIVED:
            connection.execute(text(f"REVOKE {role} FROM {app}"))
        else:
            connection.execute(text(f"GRANT {role} TO {app}"))
    return get_tenant(engine, slug)


def tenant_schemas(engine: Engine) -> list[str]:
    """Every tenant schema that exists, whatever the tenant's status (archived ones stay migrated)."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT t.schema_name FROM control.tenants t "
                    "JOIN pg_namespace n ON n.nspname = t.schema_name ORDER BY t.schema_name"
                )
            ).scalars()
        )
