"""The `crosswalk` command: run the service, migrate, manage tenants, mint tokens, import skills.

Errors are one line on stderr and exit code 1; nothing is changed by a command that fails.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine, create_engine, text

from backend.settings import Settings, as_psycopg_url, get_settings
from tenants.locks import Hold, lock_global_sync
from tenants.models import TenantStatus
from tenants.provisioning import RoleNames

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from backend.core.unit_of_work import UnitOfWork

app = typer.Typer(
    help="Crosswalk: internal career mobility backend.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
tenants_app = typer.Typer(help="Create and manage client tenants.", no_args_is_help=True)
tokens_app = typer.Typer(help="Mint access tokens.", no_args_is_help=True)
skills_app = typer.Typer(help="The global skills catalogue.", no_args_is_help=True)
sso_app = typer.Typer(help="A tenant's single sign-on (OpenID Connect) settings.", no_args_is_help=True)
app.add_typer(tenants_app, name="tenants")
app.add_typer(tokens_app, name="tokens")
app.add_typer(skills_app, name="skills")
app.add_typer(sso_app, name="sso")
scim_app = typer.Typer(help="SCIM provisioning from a tenant's identity provider.", no_args_is_help=True)
scim_tokens_app = typer.Typer(help="The bearer tokens identity providers provision with.", no_args_is_help=True)
scim_app.add_typer(scim_tokens_app, name="tokens")
app.add_typer(scim_app, name="scim")
courses_app = typer.Typer(help="A tenant's course catalogue.", no_args_is_help=True)
app.add_typer(courses_app, name="courses")
jobs_app = typer.Typer(help="Background jobs: the dead-letter list across tenants.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

out = Console()
err = Console(stderr=True)
T = TypeVar("T")
S = TypeVar("S")


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def guarded(action: Callable[[], T]) -> T:
    from tenants.provisioning import TenantExistsError, TenantNotFoundError
    from tenants.slugs import InvalidSlugError

    try:
        return action()
    except (CliError, InvalidSlugError, TenantExistsError, TenantNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from None


@contextmanager
def database_settings() -> Iterator[Settings]:
    """Settings whose DATABASE_URL/REDIS_URL point somewhere: the given servers or the embedded ones."""
    settings = get_settings()
    if settings.database_url:
        yield settings
        return
    from backend.embedded import start_embedded_services

    services = start_embedded_services(settings.data_dir.resolve())
    try:
        os.environ["DATABASE_URL"] = services.database_url
        os.environ["REDIS_URL"] = services.redis_url
        get_settings.cache_clear()
        yield get_settings()
    finally:
        services.stop()


def owner_engine(settings: Settings) -> Engine:
    return create_engine(as_psycopg_url(settings.owner_url), pool_size=2, max_overflow=0, hide_parameters=True)


def role_names(settings: Settings) -> RoleNames:
    return RoleNames(settings.role_prefix)


def migrate_everything(settings: Settings, jobs: int, quiet: bool = False) -> bool:
    from tenants.migrator import upgrade_control, upgrade_tenant_schemas
    from tenants.provisioning import ensure_platform_roles, tenant_schemas

    engine = owner_engine(settings)
    lock = engine.connect()
    try:
        # One migration at a time per database (session-level: the run spans many transactions).
        lock_global_sync(lock, "migrate", hold=Hold.SESSION)
        before, after = upgrade_control(engine)
        password = settings.app_database_password.get_secret_value() if settings.app_database_password else None
        ensure_platform_roles(engine, role_names(settings), password)
        if not quiet:
            out.print(f"control schema: {before or 'empty'} -> {after}")
        schemas = tenant_schemas(engine)
        with Progress(
            TextColumn("tenant schemas"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=out,
            disable=quiet,
            transient=True,
        ) as progress:
            task = progress.add_task("migrate", total=None)

            def on_progress(done: int, total: int, _: Any) -> None:
                progress.update(task, completed=done, total=total)

            summary = upgrade_tenant_schemas(engine, schemas, jobs=jobs, on_progress=on_progress)
    finally:
        lock.close()
        engine.dispose()
    if not quiet or summary.failed:
        out.print(
            f"tenant schemas: {summary.total} in all, {summary.already_current} already at {summary.head}, "
            f"{len(summary.upgraded)} upgraded, {len(summary.failed)} failed ({summary.seconds:.2f}s)"
        )
    for failure in summary.failed:
        err.print(f"[red]failed:[/red] {failure.schema}: {failure.error}", highlight=False, soft_wrap=True)
    return summary.ok


@app.command()
def migrate(
    jobs: Annotated[int | None, typer.Option(min=1, max=64, help="Schemas migrated in parallel.")] = None,
) -> None:
    """Migrate the control schema and every tenant schema to the newest revision (resumable)."""
    with database_settings() as settings:
        ok = migrate_everything(settings, jobs or settings.migrate_jobs)
    if not ok:
        raise typer.Exit(1)


@tenants_app.command("create")
def tenants_create(
    slug: Annotated[str, typer.Argument(help="Lowercase letters, digits and _; becomes schema t_<slug>.")],
    name: Annotated[str, typer.Option("--name", help="The company's display name.")],
    placement: Annotated[str, typer.Option(help="The database cluster that holds the tenant.")] = "default",
) -> None:
    """Provision a tenant: its schema, its Postgres role, its tables."""
    from tenants.provisioning import create_tenant
    from tenants.slugs import validate_slug

    guarded(lambda: validate_slug(slug))
    with database_settings() as settings:
        engine = owner_engine(settings)
        try:
            if placement != "default":
                raise fail(f"unknown placement {placement!r}; this deployment has only 'default'")
            tenant = guarded(lambda: create_tenant(engine, role_names(settings), slug, name, placement))
        finally:
            engine.dispose()
    out.print(f"tenant {tenant.slug} ({tenant.name}) is {tenant.status.value}: schema {tenant.schema_name}")


@tenants_app.command("list")
def tenants_list() -> None:
    """List tenants with their status and placement."""
    from tenants.provisioning import list_tenants

    with database_settings() as settings:
        engine = owner_engine(settings)
        try:
            tenants = list_tenants(engine)
        finally:
            engine.dispose()
    table = Table("slug", "name", "status", "placement", "schema")
    for tenant in tenants:
        table.add_row(tenant.slug, tenant.name, tenant.status.value, tenant.placement, tenant.schema_name)
    out.print(table)


def _change_status(slug: str, status: TenantStatus) -> None:
    from tenants.provisioning import set_status

    with database_settings() as settings:
        engine = owner_engine(settings)
        try:
            tenant = guarded(lambda: set_status(engine, role_names(settings), slug, status))
        finally:
            engine.dispose()
    out.print(f"tenant {tenant.slug} is {tenant.status.value}")


@tenants_app.command("suspend")
def tenants_suspend(slug: str) -> None:
    """Suspend a tenant: its users and partners get 403; data stays."""
    _change_status(slug, TenantStatus.SUSPENDED)


@tenants_app.command("archive")
def tenants_archive(slug: str) -> None:
    """Archive a tenant: nothing is dropped, but the API can no longer reach its schema."""
    _change_status(slug, TenantStatus.ARCHIVED)


@tenants_app.command("activate")
def tenants_activate(slug: str) -> None:
    """Reactivate a suspended or archived tenant."""
    _change_status(slug, TenantStatus.ACTIVE)


@tokens_app.command("create")
def tokens_create(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")],
    role: Annotated[list[str], typer.Option("--role", help="employee, manager or hr_admin; repeatable.")],
    employee: Annotated[
        str | None, typer.Option("--employee", help="The employee (id or email) the token acts as.")
    ] = None,
    ttl: Annotated[int | None, typer.Option(min=60, max=86400, help="Lifetime in seconds.")] = None,
) -> None:
    """Mint a short-lived bearer token for a tenant (until SSO and partner logins arrive)."""
    from backend.app import build_signer
    from backend.auth.principal import UserRole
    from backend.auth.tokens import user_claims
    from tenants.provisioning import get_tenant

    try:
        roles = frozenset(UserRole(r) for r in role)
    except ValueError:
        raise fail(f"unknown role in {role}; use employee, manager or hr_admin") from None
    with database_settings() as settings:
        engine = owner_engine(settings)
        try:
            ref = guarded(lambda: get_tenant(engine, tenant))
            employee_id = guarded(lambda: _find_employee(engine, ref.schema_name, employee)) if employee else None
        finally:
            engine.dispose()
        if ref.status != TenantStatus.ACTIVE:
            raise fail(f"tenant {tenant!r} is {ref.status.value}")
        signer = build_signer(settings)
    # A stable subject: Idempotency-Keys are remembered per subject, so a retry with a fresh token counts.
    subject = f"employee:{employee_id}" if employee_id else f"cli:{'+'.join(sorted(roles))}"
    print(signer.mint(user_claims(ref, roles, subject=subject, employee_id=employee_id), ttl))


def _find_employee(engine: Engine, schema: str, employee: str) -> uuid.UUID:

    from backend.identifiers import IdentifierError, normalise_email

    with engine.begin() as connection:
        connection.execute(text("SELECT set_config('search_path', :s, true)"), {"s": schema})
        try:
            by_id = uuid.UUID(employee)
            found = connection.execute(text("SELECT id, active FROM employees WHERE id = :v"), {"v": by_id}).first()
        except ValueError:
            # Emails are stored in their normal form: compared as stored, never through lower(), which
            # would let a lookalike (the Kelvin sign K for k) name somebody else.
            try:
                email = normalise_email(employee)
            except IdentifierError as exc:
                raise CliError(str(exc)) from None
            found = connection.execute(text("SELECT id, active FROM employees WHERE email = :v"), {"v": email}).first()
    if found is None:
        raise CliError(f"no employee {employee!r} in this tenant")
    employee_id, active = found
    if not active:
        # The API would refuse the token anyway; a token that cannot work is not minted.
        raise CliError(f"the employee {employee!r} is deactivated; their credentials no longer work")
    assert isinstance(employee_id, uuid.UUID)
    return employee_id


@skills_app.command("import")
def skills_import(
    path: Annotated[
        Path | None, typer.Argument(help="An ESCO CSV (.csv or .csv.gz); default: the bundled catalogue.")
    ] = None,
    kind: Annotated[str, typer.Option(help="skill or occupation")] = "skill",
) -> None:
    """Import ESCO skills or occupations into the global catalogue (upserts by concept URI)."""
    from backend.skills.catalog import import_catalog
    from backend.skills.esco import BUNDLED_OCCUPATIONS, BUNDLED_SKILLS, EscoFormatError
    from backend.skills.models import CatalogKind

    try:
        catalog_kind = CatalogKind(kind)
    except ValueError:
        raise fail("--kind must be skill or occupation") from None
    source = path or (BUNDLED_SKILLS if catalog_kind == CatalogKind.SKILL else BUNDLED_OCCUPATIONS)
    if not source.is_file():
        raise fail(f"{source}: no such file")
    with database_settings() as settings:
        engine = owner_engine(settings)
        try:
            count = import_catalog(engine, source, catalog_kind)
        except EscoFormatError as exc:
            raise fail(str(exc)) from None
        finally:
            engine.dispose()
    out.print(f"imported {count} {catalog_kind.value} concepts from {source.name}")


@asynccontextmanager
async def cli_unit_of_work(settings: Settings, url: URL) -> AsyncIterator[UnitOfWork]:
    """A command's unit of work (the CLI's composition root): one connection to `url` and the
    deployment's job sender, whose broker is built only if the command asks for a job."""
    from backend.core.unit_of_work import UnitOfWork
    from tenants.sessions import Database
    from worker.broker import SenderOnFirstSend

    database, sender = Database(url, pool_size=1, max_overflow=0), SenderOnFirstSend(settings)
    try:
        yield UnitOfWork(database, sender)
    finally:
        sender.close()
        await database.dispose()


async def _with_control_session(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(session)` in one unit of work on the control schema, as the owner."""
    async with cli_unit_of_work(settings, settings.owner_url) as unit_of_work, unit_of_work.control() as session:
        return await work(session)


def _with_service(settings: Settings, service: Callable[[Any], S], work: Callable[[S], Awaitable[T]]) -> T:
    """Run `work` with the service the API uses, built on a control-schema session, in one transaction;
    the service's refusal is the CLI's one-line error."""
    import asyncio

    from backend.errors import DomainError

    async def run(session: Any) -> T:
        return await work(service(session))

    try:
        return asyncio.run(_with_control_session(settings, run))
    except DomainError as exc:
        raise fail(exc.detail) from None


def _active_tenant(settings: Settings, slug: str) -> Any:
    from tenants.provisioning import get_tenant

    engine = owner_engine(settings)
    try:
        tenant = guarded(lambda: get_tenant(engine, slug))
    finally:
        engine.dispose()
    return tenant


def configure_sso(settings: Settings, tenant: Any, settings_document: dict[str, Any]) -> None:
    """Validate and store a tenant's SSO settings (the same checks as the API's PUT)."""
    import asyncio

    import msgspec

    from backend.app import build_secretbox
    from backend.errors import DomainError
    from backend.sso.oidc import RelyingParty
    from backend.sso.schemas import IdentityProviderWrite
    from backend.sso.service import IdentityProviderService

    try:
        data = msgspec.convert(settings_document, IdentityProviderWrite)
    except msgspec.ValidationError as exc:
        raise fail(str(exc)) from None
    box = build_secretbox(settings)

    async def configure(session: Any) -> None:
        relying_party = RelyingParty(allow_loopback_http=settings.sso_allow_loopback_http)
        try:
            await IdentityProviderService(session, tenant.id, box).configure(data, relying_party)
        finally:
            await relying_party.aclose()

    try:
        asyncio.run(_with_control_session(settings, configure))
    except DomainError as exc:
        raise fail(exc.detail) from None


@sso_app.command("configure")
def sso_configure(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")],
    issuer: Annotated[str, typer.Option(help="The provider's issuer URL (discovery must work).")],
    client_id: Annotated[str, typer.Option(help="The client id registered at the provider.")],
    client_secret: Annotated[
        str,
        typer.Option(
            envvar="SSO_CLIENT_SECRET",
            prompt=True,
            hide_input=True,
            help="The client secret; read from SSO_CLIENT_SECRET or asked for, never an argument.",
            show_envvar=True,
            parser=str,
        ),
    ],
    allowed_domain: Annotated[list[str], typer.Option("--allowed-domain", help="Email domain; repeatable.")],
    hr_group: Annotated[list[str] | None, typer.Option("--hr-group", help="Group granting hr_admin.")] = None,
    manager_group: Annotated[list[str] | None, typer.Option("--manager-group", help="Group granting manager.")] = None,
    groups_claim: Annotated[str, typer.Option(help="The id_token claim with the groups.")] = "groups",
    provider_verifies_emails: Annotated[
        bool,
        typer.Option(
            "--provider-verifies-emails",
            help="The provider issues verified addresses only: trust sign-ins without email_verified (README).",
        ),
    ] = False,
) -> None:
    """Set (or replace) a tenant's OpenID Connect provider; prints the redirect URI to register."""
    from backend.sso.service import callback_url, logged_out_url

    with database_settings() as settings:
        ref = _active_tenant(settings, tenant)
        configure_sso(
            settings,
            ref,
            {
                "issuer": issuer,
                "client_id": client_id,
                "client_secret": client_secret,
                "allowed_domains": allowed_domain,
                "groups_claim": groups_claim,
                "role_mapping": {"hr_admin": hr_group or [], "manager": manager_group or []},
                "provider_verifies_emails": provider_verifies_emails,
            },
        )
    out.print(f"SSO configured for {tenant}; register at the provider:")
    out.print(f"  redirect URI:             {callback_url(settings.base_url, ref.slug)}")
    out.print(f"  post-logout redirect URI: {logged_out_url(settings.base_url, ref.slug)}")


@sso_app.command("show")
def sso_show(tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")]) -> None:
    """A tenant's SSO settings (never the client secret)."""
    import asyncio

    from backend.app import build_secretbox
    from backend.sso.service import IdentityProviderService, callback_url

    with database_settings() as settings:
        ref = _active_tenant(settings, tenant)

        async def find(session: Any) -> Any:
            return await IdentityProviderService(session, ref.id, build_secretbox(settings)).find()

        provider = asyncio.run(_with_control_session(settings, find))
    if provider is None:
        raise fail(f"tenant {tenant!r} has no identity provider configured")
    out.print(f"issuer:          {provider.issuer}")
    out.print(f"client id:       {provider.client_id}")
    out.print(f"allowed domains: {', '.join(provider.allowed_domains)}")
    out.print(f"role mapping:    {provider.role_mapping} (groups claim {provider.groups_claim!r})")
    out.print(f"trusts emails:   {provider.provider_verifies_emails} (the provider issues verified addresses only)")
    out.print(f"enabled:         {provider.enabled}")
    out.print(f"redirect URI:    {callback_url(settings.base_url, ref.slug)}")


def _scim_tokens(settings: Settings, tenant: Any, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(tokens)` with the tenant's ScimTokenService, the one the API uses."""
    from backend.scim.tokens import ScimTokenService

    return _with_service(settings, lambda session: ScimTokenService(session, tenant.id), work)


@scim_tokens_app.command("create")
def scim_tokens_create(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")],
    name: Annotated[str, typer.Option("--name", help="Which identity provider holds it, e.g. 'Okta'.")],
) -> None:
    """Create a SCIM token; it is printed once (last line) and never stored or shown again."""
    with database_settings() as settings:
        ref = _active_tenant(settings, tenant)
        if ref.status != TenantStatus.ACTIVE:
            raise fail(f"tenant {tenant!r} is {ref.status.value}")
        issued = _scim_tokens(settings, ref, lambda tokens: tokens.create(name, "cli"))
    out.print(
        f"SCIM token {issued.row.name!r} (id {issued.row.id}) for {ref.slug}; "
        f"SCIM base URL {settings.base_url}/scim/v2. Copy the token now, it is not shown again:",
        highlight=False,
        soft_wrap=True,
    )
    print(issued.token)


@scim_tokens_app.command("list")
def scim_tokens_list(tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")]) -> None:
    """List a tenant's SCIM tokens (never the tokens themselves)."""

    async def every(tokens: Any) -> list[Any]:
        rows, cursor = await tokens.list(None, 200)
        found = list(rows)
        while cursor:
            rows, cursor = await tokens.list(cursor, 200)
            found.extend(rows)
        return found

    with database_settings() as settings:
        ref = _active_tenant(settings, tenant)
        found = _scim_tokens(settings, ref, every)
    if not found:
        out.print(f"tenant {ref.slug} has no SCIM tokens")
    # One line per token, never wrapped: the id is what `revoke` takes.
    for token in found:
        if token.revoked_at is not None:
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}"
        elif token.last_used_at is not None:
            state = f"last used {token.last_used_at:%Y-%m-%d %H:%M}"
        else:
            state = "never used"
        out.print(
            f"{token.id}  {token.token_prefix}...  {token.name!r}  created {token.created_at:%Y-%m-%d %H:%M}  {state}",
            soft_wrap=True,
            highlight=False,
        )


@scim_tokens_app.command("revoke")
def scim_tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (see `crosswalk scim tokens list`).")],
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")],
) -> None:
    """Revoke a SCIM token: the identity provider's next request with it is refused."""
    try:
        key = uuid.UUID(token_id)
    except ValueError:
        raise fail(f"{token_id!r} is not a token id (see `crosswalk scim tokens list`)") from None
    with database_settings() as settings:
        ref = _active_tenant(settings, tenant)
        revoked = _scim_tokens(settings, ref, lambda tokens: tokens.revoke(key))
    out.print(f"SCIM token {revoked.id} ({revoked.name!r}) of {ref.slug} is revoked", highlight=False)


partners_app = typer.Typer(help="A tenant's partner apps (OAuth2 client credentials).", no_args_is_help=True)
app.add_typer(partners_app, name="partners")


def _partner_clients(settings: Settings, tenant: Any, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(service)` with the tenant's PartnerClientService, the one the API uses."""
    from backend.partners.service import PartnerClientService

    return _with_service(settings, lambda session: PartnerClientService(session, tenant.id), work)


def _show_secret_once(client_id: str, secret: str) -> None:
    # Plain print, one value a line: nothing wraps or colours what has to be copied whole.
    print(f"client_id:     {client_id}")
    print(f"client_secret: {secret}")


@partners_app.command("create")
def partners_create(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")],
    name: Annotated[str, typer.Option("--name", help="The partner app, e.g. 'Acme LMS'.")],
    scope: Annotated[list[str], typer.Option("--scope", help="A scope to grant, e.g. employees:read; repeatable.")],
) -> None:
    """Register a partner app; its client id and secret are printed once."""
    import msgspec

    from backend.partners.schemas import PartnerClientCreate

    try:
        data = msgspec.convert({"name": name, "scopes": scope}, PartnerClientCreate)
    except msgspec.ValidationError as exc:
        raise fail(str(exc)) from None
    with database_settings() as settings:
        ref = _active_tenant(settings, tenant)
        if ref.status != TenantStatus.ACTIVE:
            raise fail(f"tenant {tenant!r} is {ref.status.value}")
        made = _partner_clients(
            settings, ref, lambda clients: clients.create(name=data.name, scopes=data.scopes, created_by="cli")
        )
    out.print(
        f"partner app {made.client.name!r} of {ref.slug} with scopes {' '.join(made.client.scopes)}; "
        f"token endpoint {settings.base_url}/oauth/token. Copy the secret now, it is not shown again:",
        highlight=False,
        soft_wrap=True,
    )
    _show_secret_once(made.client.client_id, made.secret)


@partners_app.command("list")
def partners_list(tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")]) -> None:
    """List a tenant's partner apps (never their secrets)."""
    with database_settings() as settings:
        ref = _active_tenant(settings, tenant)
        found = _partner_clients(settings, ref, lambda clients: clients.all_clients())
    from rich.table import Column

    # The id is what gets copied into the next command: never wrapped.
    table = Table(Column("client id", no_wrap=True), "name", "scopes", "status")
    for client in found:
        if client.revoked_at:
            status = f"revoked {client.revoked_at:%Y-%m-%d %H:%M %Z}"
        elif client.previous_secret_expires_at:
            status = f"active; old secret until {client.previous_secret_expires_at:%Y-%m-%d %H:%M %Z}"
        else:
            status = "active"
        table.add_row(client.client_id, client.name, "\n".join(client.scopes), status)
    out.print(table)


@partners_app.command("rotate")
def partners_rotate(
    client_id: Annotated[str, typer.Argument(help="The partner app's client id (pc_...).")],
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")],
    grace_seconds: Annotated[
        int | None,
        typer.Option(
            min=0, max=30 * 86400, help="How long the old secret keeps working; default PARTNER_SECRET_GRACE_SECONDS."
        ),
    ] = None,
) -> None:
    """Give a partner app a new secret, printed once; the old one keeps working for the grace period."""
    with database_settings() as settings:
        ref = _active_tenant(settings, tenant)
        grace = settings.partner_secret_grace_seconds if grace_seconds is None else grace_seconds
        made = _partner_clients(settings, ref, lambda clients: clients.rotate(client_id, grace_seconds=grace))
    until = made.client.previous_secret_expires_at
    old = f"the old secret works until {until:%Y-%m-%d %H:%M:%S %Z}" if until else "the old secret no longer works"
    out.print(f"new secret for {client_id} of {ref.slug}; {old}. Copy it now:", highlight=False, soft_wrap=True)
    _show_secret_once(made.client.client_id, made.secret)


@partners_app.command("revoke")
def partners_revoke(
    client_id: Annotated[str, typer.Argument(help="The partner app's client id (pc_...).")],
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")],
) -> None:
    """Revoke a partner app: no new tokens, and the ones it holds stop working now, in every API process."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    from backend.auth.revocations import ClientRevocations

    with database_settings() as settings:
        ref = _active_tenant(settings, tenant)
        if settings.redis_url is None:
            raise fail("REDIS_URL is not set; revoking must reach the API's Redis")
        redis_url = settings.redis_url

        async def revoke(clients: Any) -> Any:
            redis = Redis.from_url(redis_url)
            try:
                return await clients.revoke(client_id, ClientRevocations(redis))
            except RedisError as exc:
                # Before the commit: the client stays as it was, and the command can be run again.
                raise fail(f"Redis: {exc}; nothing was revoked") from None
            finally:
                await redis.aclose()

        revoked = _partner_clients(settings, ref, revoke)
    out.print(
        f"partner app {revoked.client_id} ({revoked.name!r}) of {ref.slug} is revoked; its tokens no longer work",
        highlight=False,
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API on servers that are already migrated (production)."""
    import uvicorn

    settings = get_settings()
    if not settings.database_url:
        raise fail("DATABASE_URL is not set; use `crosswalk run` for the embedded local setup")
    if settings.token_signing_key is None:
        # Replicas must share one key; a key generated per working directory would not be shared.
        raise fail("TOKEN_SIGNING_KEY is not set; every replica must sign and verify with the same key")
    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        # The app reads X-Forwarded-For itself, from TRUSTED_PROXIES only (uvicorn's default would
        # trust 127.0.0.1, and with it anything on the host that relays a request).
        proxy_headers=False,
        # Bounds on the size and time of a request head (backend/server.py).
        http="backend.server:BoundedHttpToolsProtocol",
    )


PYTHON_CLI = [sys.executable, "-c", "from backend.cli import main; main()"]
# How long `crosswalk run` gives its children to stop before it kills them: a local run stops in seconds
# (a job cut short runs again on the next start; its record makes that safe).
RUN_CHILD_STOP_SECONDS = 10.0


def worker_argv(threads: int) -> list[str]:
    return [*PYTHON_CLI, "worker", "--processes", "1", "--threads", str(threads)]


def scheduler_argv() -> list[str]:
    return [*PYTHON_CLI, "scheduler"]


@app.command()
def worker(
    processes: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    threads: Annotated[int, typer.Option(min=1, max=64, help="Threads per process.")] = 4,
) -> None:
    """Run background jobs from the broker: REDIS_URL, or BROKER_URL=amqp://... for RabbitMQ. SIGTERM or
    Ctrl-C: no new job is started, and the process exits once the jobs in hand are done (at most
    WORKER_STOP_SECONDS)."""
    with database_settings() as settings:
        if processes == 1:
            from worker.serve import serve_worker

            raise typer.Exit(serve_worker(settings, threads=threads))
        _supervise_workers(settings, processes, threads)


def _supervise_workers(settings: Settings, processes: int, threads: int) -> None:
    """Several worker processes, each a `crosswalk worker --processes 1` restarted if it crashes; a
    stop signal is passed on to each once."""
    import signal
    import threading

    from backend.supervisor import Supervisor
    from worker.serve import STOP_SIGNALS, exit_bound_seconds

    stop = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: stop.set())
    with Supervisor(
        backoff_max_seconds=settings.process_backoff_max_seconds,
        # Each child waits for its jobs in hand itself; this is only the bound past which it is killed.
        stop_seconds=exit_bound_seconds(settings) + 1,
        announce=lambda line: out.print(line, highlight=False),
    ) as supervisor:
        for number in range(processes):
            supervisor.start(f"worker {number + 1}", worker_argv(threads))
        stop.wait()


@app.command()
def scheduler() -> None:
    """Run the scheduler: the outbox relay and the nightly jobs. Start one or more; one leads at a time."""
    import asyncio
    import signal

    from worker.broker import DramatiqSender, build_broker
    from worker.resources import WorkerResources
    from worker.scheduler import run_scheduler

    with database_settings() as settings:
        from backend.logs import configure_logging

        configure_logging(settings.log_level, json=settings.environment == "prod")

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            resources = WorkerResources(settings)
            resources.sender = DramatiqSender.of(build_broker(settings), settings)
            try:
                await run_scheduler(
                    resources.unit_of_work,
                    resources.registry,
                    stop,
                    relay_seconds=settings.outbox_relay_seconds,
                    matching_debounce_seconds=settings.matching_debounce_seconds,
                    matching_max_wait_seconds=settings.matching_max_wait_seconds,
                    backoff_max_seconds=settings.process_backoff_max_seconds,
                )
            finally:
                resources.sender.close()
                await resources.close()

        asyncio.run(main())


@jobs_app.command("dead-letters")
def jobs_dead_letters(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant's (slug).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
) -> None:
    """Messages the worker gave up on, newest first: when, which tenant and job, and why."""
    from backend.core.jobs.models import DeadLetter
    from tenants.models import Tenant

    async def newest(session: Any) -> list[Any]:
        from sqlalchemy import select

        query = (
            select(DeadLetter, Tenant.slug)
            .outerjoin(Tenant, Tenant.id == DeadLetter.tenant_id)
            .order_by(DeadLetter.failed_at.desc())
            .limit(limit)
        )
        if tenant is not None:
            query = query.where(Tenant.slug == tenant)
        return list((await session.execute(query)).all())

    import asyncio

    with database_settings() as settings:
        if tenant is not None:
            # A slug that names no tenant is a mistake to say, not an empty list.
            _active_tenant(settings, tenant)
        rows = asyncio.run(_with_control_session(settings, newest))
    table = Table("failed at", "tenant", "job", "actor", "attempts", "error")
    for letter, slug in rows:
        table.add_row(
            letter.failed_at.isoformat(timespec="seconds"),
            slug or "-",
            letter.message_id,
            letter.actor,
            str(letter.attempts),
            letter.error,
        )
    out.print(table)


@courses_app.command("import")
def courses_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The catalogue CSV.")],
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")],
) -> None:
    """Upsert a course catalogue CSV (columns in docs/training.md) into a tenant, all or nothing."""
    import asyncio

    from backend.errors import InvalidInputError
    from backend.training.courses import CatalogImportRefused, import_courses

    try:
        csv_text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise fail(f"{file} is not UTF-8 text") from None

    with database_settings() as settings:
        ref = _active_tenant(settings, tenant)

        async def load() -> Any:
            async with (
                cli_unit_of_work(settings, settings.serving_url) as unit_of_work,
                unit_of_work.tenant(ref) as session,
            ):
                return await import_courses(session, csv_text)

        try:
            report = asyncio.run(load())
        except CatalogImportRefused as exc:
            for line, column, reason in exc.problems:
                err.print(f"line {line}: {column}: {reason}", highlight=False, soft_wrap=True)
            raise fail(str(exc)) from None
        except InvalidInputError as exc:
            raise fail(exc.detail) from None
    out.print(
        f"{report.rows} rows: {report.created} created, {report.updated} updated, {report.unchanged} unchanged",
        highlight=False,
    )


@app.command()
def run(
    demo: Annotated[bool, typer.Option(help="Seed the demo company on first run.")] = True,
) -> None:
    """One command for a local run: embedded Postgres and Redis (unless DATABASE_URL is set),
    migrations, the skills catalogue, the demo company, the job worker and scheduler, and the API on
    http://localhost:8000."""
    import signal

    import uvicorn

    from backend.supervisor import Supervisor

    with database_settings() as settings:
        if not migrate_everything(settings, settings.migrate_jobs):
            raise typer.Exit(1)
        from backend.demo.bootstrap import ensure_catalog_and_demo

        engine = owner_engine(settings)
        try:
            seeding = partial(cli_unit_of_work, settings, settings.serving_url)
            for line in ensure_catalog_and_demo(engine, settings, seeding, demo=demo):
                # soft_wrap: a token must stay on one line to be copied (or grepped) whole.
                out.print(line, soft_wrap=True, highlight=False)
            accounts = _demo_sso_accounts(engine, demo)
        finally:
            engine.dispose()
        with ExitStack() as stack:
            if accounts is not None:
                _start_demo_sso(stack, settings, *accounts)
            # The children inherit DATABASE_URL/REDIS_URL of the servers just started (or given); a
            # child that exits on its own is started again.
            children = stack.enter_context(
                Supervisor(
                    backoff_max_seconds=settings.process_backoff_max_seconds,
                    stop_seconds=RUN_CHILD_STOP_SECONDS,
                    announce=lambda line: out.print(line, highlight=False),
                )
            )
            children.start("worker", worker_argv(threads=4))
            children.start("scheduler", scheduler_argv())
            out.print(f"API docs: http://{settings.host}:{settings.port}/schema   (Ctrl-C stops everything)")
            config = uvicorn.Config(
                "backend.app:create_app",
                factory=True,
                host=settings.host,
                port=settings.port,
                log_level=settings.log_level.lower(),
                proxy_headers=False,  # see `serve`
                http="backend.server:BoundedHttpToolsProtocol",  # see `serve`
            )
            # uvicorn turns Ctrl-C and SIGTERM into a graceful shutdown, and then raises the signal
            # again with the handler it found: SIGINT's raises KeyboardInterrupt, and SIGTERM's (set
            # here) does the same, where the default one would end the process on the spot, before
            # the `with` blocks stop the children, the demo identity provider and the embedded servers.
            signal.signal(signal.SIGTERM, _interrupt)
            with suppress(KeyboardInterrupt):
                uvicorn.Server(config).run()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _demo_sso_accounts(engine: Engine, demo: bool) -> tuple[Any, dict[str, Any]] | None:
    from backend.demo.bootstrap import DEMO_SLUG
    from backend.demo.idp import demo_accounts
    from tenants.provisioning import TenantNotFoundError, get_tenant

    if not demo:
        return None
    try:
        tenant = get_tenant(engine, DEMO_SLUG)
    except TenantNotFoundError:
        return None
    if tenant.status != TenantStatus.ACTIVE:
        return None
    return tenant, demo_accounts(engine, tenant)


def _start_demo_sso(stack: ExitStack, settings: Settings, tenant: Any, accounts: dict[str, Any]) -> None:
    """The demo company signs in through a local OpenID provider (infra/idp), configured afresh each run."""
    from backend.demo.idp import (
        DEMO_CONSULTANT,
        HR_GROUP,
        LEADS_GROUP,
        DemoIdpUnavailableError,
        demo_identity_provider,
    )
    from backend.sso.service import login_url

    try:
        idp = stack.enter_context(
            demo_identity_provider(settings.data_dir, settings.base_url, settings.demo_idp_port, tenant, accounts)
        )
    except DemoIdpUnavailableError as exc:
        out.print(f"demo SSO: off ({exc}); the demo token above still works", highlight=False, soft_wrap=True)
        return
    domains = sorted({login.rsplit("@", 1)[1] for login in accounts})
    # The local provider is plain http on loopback: allowed for this run only, by the setting made for it
    # (read by the app when it starts).
    os.environ["SSO_ALLOW_LOOPBACK_HTTP"] = "true"
    configure_sso(
        settings.model_copy(update={"sso_allow_loopback_http": True}),
        tenant,
        {
            "issuer": idp.issuer,
            "client_id": idp.client_id,
            "client_secret": idp.client_secret,
            "allowed_domains": domains,
            "role_mapping": {"hr_admin": [HR_GROUP], "manager": [LEADS_GROUP]},
        },
    )
    # The consultants' console signs in through the same local provider (read when the app starts).
    os.environ["CONSOLE_OIDC_ISSUER"] = idp.issuer
    os.environ["CONSOLE_OIDC_CLIENT_ID"] = idp.console_client_id
    os.environ["CONSOLE_OIDC_CLIENT_SECRET"] = idp.console_client_secret
    get_settings.cache_clear()
    _ensure_demo_consultant(settings)
    out.print(
        f"console: {settings.base_url}/admin, sign in with the identity provider as {DEMO_CONSULTANT} (any password)",
        highlight=False,
        soft_wrap=True,
    )
    out.print(
        f"demo SSO: sign in at {login_url(settings.base_url, tenant.slug)} (any password) as",
        highlight=False,
        soft_wrap=True,
    )
    for login, what in ((idp.hr_login, "HR admin"), (idp.lead_login, "manager"), (idp.employee_login, "employee")):
        if login:
            out.print(f"  {login}  ({what})", highlight=False, soft_wrap=True)


consultants_app = typer.Typer(help="Platform users of the consultants' console (/admin).", no_args_is_help=True)
app.add_typer(consultants_app, name="consultants")


def _platform_users(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(users)` with the PlatformUserService the console uses, in one transaction."""
    from admin.users import PlatformUserService
    from backend.app import build_secretbox

    secretbox = build_secretbox(settings)
    return _with_service(settings, lambda session: PlatformUserService(session, secretbox), work)


@consultants_app.command("create")
def consultants_create(
    email: Annotated[str, typer.Argument(help="Their email, as the platform's identity provider sends it.")],
    name: Annotated[str, typer.Option("--name", help="Their name.")],
    superadmin: Annotated[bool, typer.Option("--superadmin", help="May act for every tenant.")] = False,
    with_password: Annotated[
        bool, typer.Option("--with-password", help="Also a password (prompted) and TOTP sign-in, for dev runs.")
    ] = False,
) -> None:
    """Add a consultant (or superadmin); with --with-password, prints the TOTP seed's otpauth:// URI once."""
    from admin.models import PlatformRole

    role = PlatformRole.SUPERADMIN if superadmin else PlatformRole.CONSULTANT
    password = typer.prompt("password", hide_input=True, confirmation_prompt=True) if with_password else None
    with database_settings() as settings:
        created = _platform_users(settings, lambda users: users.create(email, name, role, password))
    out.print(f"{created.user.role.value} {created.user.email} added.", highlight=False)
    if created.totp_uri:
        out.print("Add this to an authenticator app now, it is not shown again:", highlight=False)
        print(created.totp_uri)


@consultants_app.command("assign")
def consultants_assign(
    email: Annotated[str, typer.Argument(help="The consultant's email.")],
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug.")],
) -> None:
    """Let a consultant see and change one tenant in the console."""
    with database_settings() as settings:
        ref = _active_tenant(settings, tenant)
        _platform_users(settings, lambda users: users.assign(email, ref.id, by="cli"))
    out.print(f"{email} may now act for {ref.slug}.", highlight=False)


@consultants_app.command("deactivate")
def consultants_deactivate(email: Annotated[str, typer.Argument(help="The consultant's email.")]) -> None:
    """End a platform user's access at once (their sessions stop at the next request)."""
    with database_settings() as settings:
        _platform_users(settings, lambda users: users.deactivate(email))
    out.print(f"{email} may no longer sign in.", highlight=False)


def _ensure_demo_consultant(settings: Settings) -> None:
    """The local run's superadmin of the console, added once."""
    from admin.models import PlatformRole
    from backend.demo.idp import DEMO_CONSULTANT
    from backend.errors import ConflictError

    async def add(users: Any) -> None:
        with suppress(ConflictError):
            await users.create(DEMO_CONSULTANT, "Demo Consultant", PlatformRole.SUPERADMIN)

    _platform_users(settings, add)


def main() -> None:
    import msgspec
    from sqlalchemy.exc import SQLAlchemyError

    from backend.errors import DomainError

    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except (DomainError, msgspec.ValidationError) as exc:
        # A refusal of what was typed, wherever a command meets it: one line, as every other.
        err.print(f"[red]error:[/red] {str(exc).strip().splitlines()[0]}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        # One line, without the SQL or parameters (they may hold data); the cause is what helps.
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        hint = " (has `crosswalk migrate` run?)" if "does not exist" in cause else ""
        err.print(f"[red]error:[/red] database: {cause}{hint}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except RuntimeError as exc:
        err.print(f"[red]error:[/red] {str(exc).strip().splitlines()[0]}", highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
