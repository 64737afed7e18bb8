"""What every console view shares: CSRF tokens in its forms, writes through the domain services with
an audit record in the same transaction, and for tenant data, sessions pinned to the chosen tenant."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, ClassVar

import msgspec
from sqladmin import ModelView
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from wtforms import Form, HiddenField

from admin import audit
from admin.context import consultant_of, current_tenant, tenant_of
from admin.users import Consultant
from backend.auth.principal import Principal, UserRole, scopes_for
from backend.auth.secretbox import SecretBox
from backend.errors import DomainError
from backend.jobs import outbox
from backend.state import Services
from tenants.sessions import Database, TenantRef

# The CSRF token of the request being served, for the hidden field of every form the console renders.
current_csrftoken: ContextVar[str] = ContextVar("console_csrftoken", default="")


class ConsoleError(Exception):
    """A change the console refuses; SQLAdmin shows the message above the form, and nothing changed."""


def problem_text(exc: Exception) -> str:
    if isinstance(exc, msgspec.ValidationError):
        return f"Invalid input: {exc}"
    if isinstance(exc, DomainError):
        return exc.detail
    return str(exc)


def console_principal(consultant: Consultant, tenant: TenantRef) -> Principal:
    """A consultant acts for a tenant with its HR administrators' rights, no more, through the same
    services and visibility rules as the API."""
    roles = frozenset({UserRole.HR_ADMIN})
    return Principal(
        tenant=tenant,
        subject=f"console:{consultant.email}",
        employee_id=None,
        roles=roles,
        scopes=scopes_for(roles),
    )


def snapshot(obj: Any) -> dict[str, Any]:
    return {attr.key: getattr(obj, attr.key) for attr in sa_inspect(obj).mapper.column_attrs}


class TenantSessions:
    """SQLAdmin asks its views for sessions without the request: this maker pins each one to the tenant
    of the console request being served, and refuses when there is none."""

    class_ = AsyncSession

    def __init__(self, database: Database) -> None:
        self.database = database

    def __call__(self, **_: Any) -> AsyncSession:
        tenant = current_tenant.get()
        if tenant is None:
            raise ConsoleError("no client company is chosen")
        return self.database.tenant_session(tenant)


class ConsoleView(ModelView):
    """Nothing is ever deleted from the console (people leave with `active: false`, tenants are
    archived); writes go through `write`, which subclasses give their domain service."""

    can_delete = False
    can_export = False
    page_size = 25
    page_size_options: ClassVar[list[int]] = [25, 50, 100]
    # Set by the console builder: the app's database, Redis, keys and job sender.
    services: ClassVar[Services]

    @property
    def database(self) -> Database:
        return self.services.database

    @property
    def secretbox(self) -> SecretBox:
        return self.services.secretbox

    def __init__(self) -> None:
        # Headings a person reads ("Org unit", "Start date") rather than column names; a view's own
        # labels win.
        model = getattr(self, "model", None)
        if model is not None:
            derived = {
                attr.key: attr.key.removesuffix("_id").replace("_", " ").capitalize()
                for attr in sa_inspect(model).column_attrs
            }
            type(self).column_labels = {**derived, **self.column_labels}
        super().__init__()

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        form = await super().scaffold_form(rules)

        class WithCsrf(form):  # type: ignore[misc,valid-type]
            csrftoken = HiddenField(default=lambda: current_csrftoken.get())

        return WithCsrf

    def consultant(self, request: Request) -> Consultant:
        return consultant_of(request)

    def session(self) -> AsyncSession:
        """A session for this view's writes (control schema, or the chosen tenant for tenant views)."""
        return self.database.control_session()

    async def write(
        self,
        request: Request,
        action: str,
        change: Callable[[AsyncSession], Awaitable[Any]],
        *,
        tenant_id: uuid.UUID | None,
        target: Callable[[Any], str],
        before: dict[str, Any] | None = None,
    ) -> Any:
        """Run `change` in one transaction with the audit record of it; errors become the form's
        message and leave nothing behind."""
        session = self.session()
        try:
            async with session, session.begin():
                obj = await change(session)
                changes = audit.diff(before or {}, snapshot(obj)) if hasattr(obj, "__table__") else {}
                await audit.record(
                    session,
                    self.consultant(request),
                    action,
                    tenant_id=tenant_id,
                    target=target(obj),
                    changes=changes,
                )
        except (DomainError, msgspec.ValidationError) as exc:
            raise ConsoleError(problem_text(exc)) from exc
        # Jobs the change asked for (the tenant's, or platform jobs) go to the broker once it committed.
        await outbox.send_committed(self.database, current_tenant.get(), self.services.job_sender, session)
        return obj

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        raise ConsoleError("this list cannot be added to here")

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        raise ConsoleError("this list cannot be changed here")


class TenantView(ConsoleView):
    """A list of the chosen tenant's data. Reachable only once a tenant is chosen; every query of it
    runs pinned to that tenant (see TenantSessions)."""

    category = "Client company"

    def __init__(self) -> None:
        super().__init__()
        # An instance attribute over SQLAdmin's class-wide maker: this view's sessions are the tenant's.
        self.session_maker = TenantSessions(self.database)  # type: ignore[misc,assignment]

    def is_accessible(self, request: Request) -> bool:
        return current_tenant.get() is not None and super().is_accessible(request)

    def session(self) -> AsyncSession:
        return TenantSessions(self.database)()

    def principal(self, request: Request) -> Principal:
        return console_principal(self.consultant(request), tenant_of(request))

    async def write_tenant(
        self,
        request: Request,
        action: str,
        change: Callable[[AsyncSession], Awaitable[Any]],
        *,
        target: Callable[[Any], str],
        before: dict[str, Any] | None = None,
    ) -> Any:
        return await self.write(request, action, change, tenant_id=tenant_of(request).id, target=target, before=before)


def form_values(data: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """The form's values for the schema's fields; empty text means "none"."""
    values: dict[str, Any] = {}
    for name in fields:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip() or None
        values[name] = value
    return values
