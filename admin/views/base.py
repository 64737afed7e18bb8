"""What every console view shares: CSRF tokens in its forms, writes through the domain services with
an audit record in the same transaction, and for tenant data, sessions pinned to the chosen tenant."""

from __future__ import annotations

import builtins
import enum
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar, TypeVar

import msgspec
from markupsafe import Markup, escape
from sqladmin import ModelView, expose
from sqladmin.formatters import bool_formatter
from sqladmin.helpers import get_object_identifier
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from wtforms import Form, HiddenField, SelectField
from wtforms.fields.core import UnboundField
from wtforms.validators import InputRequired, Optional, ValidationError

from admin import audit
from admin.context import consultant_of, current_tenant, tenant_of
from admin.i18n import N_
from admin.users import Consultant
from backend.api.problems import domain_status
from backend.api.spreadsheets import safe_cell
from backend.auth.principal import Principal, UserRole, scopes_for
from backend.auth.secretbox import SecretBox
from backend.core.unit_of_work import UnitOfWork
from backend.errors import DomainError, InvalidInputError, NotFoundError
from tenants.sessions import Database, TenantRef

SchemaT = TypeVar("SchemaT", bound=msgspec.Struct)

# The CSRF token of the request being served, for the hidden field of every form the console renders.
current_csrftoken: ContextVar[str] = ContextVar("console_csrftoken", default="")


class ConsoleError(Exception):
    """A change the console refuses; SQLAdmin shows the message above the form, and nothing changed.
    `status` is what the API answers the same refusal with (400 for input the schema refuses)."""

    def __init__(self, message: str, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        # The form field the refusal names, if it names one (the message is then shown beside it too).
        self.field = field


# msgspec names the field it refuses: "Expected `int` >= 1 - at `$.level`".
_SCHEMA_FIELD = re.compile(r"at `\$\.([A-Za-z_][A-Za-z0-9_]*)")


def refusal(exc: Exception) -> ConsoleError:
    """A service's or a schema's refusal as the console's, with the API's status for it and the field it
    names, if any."""
    field: str | None = None
    if isinstance(exc, InvalidInputError):
        field = exc.field
    elif isinstance(exc, msgspec.ValidationError) and (named := _SCHEMA_FIELD.search(str(exc))):
        field = named.group(1)
    return ConsoleError(problem_text(exc), domain_status(exc) if isinstance(exc, DomainError) else 400, field)


# Where a request of the console keeps the status of the refusal it met (see RefusalStatus), and the
# form field it names (the form template shows the message beside that field).
REFUSAL_STATUS = "crosswalk.console_refusal_status"
REFUSAL_FIELD = "crosswalk.console_refusal_field"


class RefusalStatus:
    """SQLAdmin answers every refused form with 400; the console answers with the status the API gives
    the same refusal (422 a broken rule, 409 a conflict, 404, 403), which `write` left in the scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 400 and REFUSAL_STATUS in scope:
                message = {**message, "status": scope[REFUSAL_STATUS]}
            await send(message)

        await self.app(scope, receive, sending)


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


def chosen_tenant() -> TenantRef:
    """The tenant of the console request being served; refused when there is none."""
    tenant = current_tenant.get()
    if tenant is None:
        raise ConsoleError("no client company is chosen")
    return tenant


class TenantSessions:
    """SQLAdmin asks its views for sessions without the request (for its own lists and details): this
    maker pins each one to the tenant of the console request being served, and refuses when there is
    none. The console's own reads and writes go through the unit of work instead."""

    class_ = AsyncSession

    def __init__(self, database: Database) -> None:
        self.database = database

    def __call__(self, **_: Any) -> AsyncSession:
        return self.database.tenant_session(chosen_tenant())


# What an empty value reads as on every list and detail page.
EMPTY = "-"


def when(value: datetime) -> str:
    """A time as every page shows it: UTC, to the minute ("2026-12-06 14:03 UTC")."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


# A time as JSON carries it (the audit log's changes): shown like any other time.
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")


def readable(value: Any) -> Any:
    """A value as a consultant reads it: no `None`, no microseconds, no Python or JSON notation. A
    dict is a list of "key: value" lines, a list its items joined by commas."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, Markup):
        return value
    if isinstance(value, str) and _ISO_TIME.fullmatch(value):
        parsed = datetime.fromisoformat(value)
        return when(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    if isinstance(value, bool):
        return bool_formatter(value)
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dict):
        if not value:
            return EMPTY
        items = Markup("").join(
            Markup('<li><span class="text-secondary">{}:</span> {}</li>').format(key, readable(item))
            for key, item in value.items()
        )
        return Markup('<ul class="list-unstyled mb-0">{}</ul>').format(items)
    if isinstance(value, list | tuple | set | frozenset):
        return Markup(", ").join(escape(readable(item)) for item in value) if value else EMPTY
    return value


class ConsoleView(ModelView):
    """Nothing is ever deleted from the console (people leave with `active: false`, tenants are
    archived); writes go through `write`, which subclasses give their domain service.

    Every value on its lists and details reads the same way (`readable`): times in UTC to the minute,
    an empty value as "-", dicts as "key: value" lines; a view's own formatters' results too."""

    column_type_formatters: ClassVar[dict[Any, Callable[[Any], Any]]] = dict.fromkeys(
        (type(None), bool, datetime, date, dict, list), readable
    )
    column_type_formatters_detail: ClassVar[dict[Any, Callable[[Any], Any]]] = column_type_formatters
    can_delete = False
    # Every list exports as CSV: its columns as the list shows them (references by name, see
    # TenantView), dates in ISO 8601, through the list's own query (so the same scoping).
    can_export = True
    export_types: ClassVar[list[str]] = ["csv"]
    use_pretty_export = True
    export_max_rows = 10_000
    page_size = 25
    page_size_options: ClassVar[list[int]] = [25, 50, 100]
    # Set by the console builder: the app's database (for SQLAdmin's own reads), key box and unit of work.
    database: ClassVar[Database]
    secretbox: ClassVar[SecretBox]
    unit_of_work: ClassVar[UnitOfWork]

    def __init__(self) -> None:
        # Headings a person reads ("Org unit", "Start date") rather than column names; a view's own
        # labels win.
        model = getattr(self, "model", None)
        if model is not None:
            derived = {
                attr.key: (attr.key.removesuffix("_id") if attr.columns[0].foreign_keys else attr.key)
                .replace("_", " ")
                .capitalize()
                for attr in sa_inspect(model).column_attrs
            }
            type(self).column_labels = {**derived, **self.column_labels}
            # SQLAdmin's select of an enum column matches members by name; ours store their values, and
            # an edit form must show the row's current choice.
            type(self).form_args = {
                **{
                    attr.key: {"coerce": _enum_value}
                    for attr in sa_inspect(model).column_attrs
                    if isinstance(getattr(attr.columns[0].type, "enum_class", None), type)
                },
                **self.form_args,
            }
        super().__init__()

    async def get_list_value(self, obj: Any, prop: str, request: Request | None = None) -> tuple[Any, Any]:
        value, formatted = await super().get_list_value(obj, prop, request)
        return value, formatted if prop in self._relation_names else readable(formatted)

    async def get_detail_value(self, obj: Any, prop: str, request: Request | None = None) -> tuple[Any, Any]:
        value, formatted = await super().get_detail_value(obj, prop, request)
        return value, formatted if prop in self._relation_names else readable(formatted)

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        form = await super().scaffold_form(rules)

        class WithCsrf(form):  # type: ignore[misc,valid-type]
            csrftoken = HiddenField(default=lambda: current_csrftoken.get())

        return WithCsrf

    def consultant(self, request: Request) -> Consultant:
        return consultant_of(request)

    def title_of(self, row: Any) -> str:
        """What a detail page is titled: the row's name (a person's, a role's title...), else its id."""
        named = next((v for n in _NAME_COLUMNS if (v := getattr(row, n, None)) is not None), None)
        return str(named if named is not None else get_object_identifier(row))

    async def custom_export_cell(self, row: Any, name: str, value: Any) -> str | None:
        """A cell of the CSV export: times in UTC and dates in ISO 8601, choices by their value, text
        and references by name safe to open in a spreadsheet (`safe_cell`); other cells as the list
        shows them."""
        if name in references(self.model):
            named = _reference_name(row, name)
            return None if named is None else str(safe_cell(str(named)))
        if isinstance(value, str):
            return str(safe_cell(value))
        if isinstance(value, datetime):
            return (value.astimezone(UTC) if value.tzinfo else value).isoformat(timespec="seconds")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, enum.Enum):
            return str(value.value)
        return None

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """This view's unit of work: on the control schema, or on the chosen tenant for tenant views."""
        return self.unit_of_work.control()

    async def write(
        self,
        request: Request,
        action: str,
        change: Callable[[AsyncSession], Awaitable[Any]],
        *,
        tenant_id: uuid.UUID | Callable[[Any], uuid.UUID | None] | None,
        target: Callable[[Any], str],
        before: dict[str, Any] | None = None,
        changes: Callable[[], dict[str, Any]] | None = None,
    ) -> Any:
        """Run `change` in one transaction with the audit record of it (the unit of work's extra here);
        errors become the form's message and leave nothing behind. Jobs the change asked for (the
        tenant's, or platform jobs) go to the broker once it committed. The record's changes are the
        row's fields that changed, or what `changes` says once `change` ran (a row's skills)."""
        try:
            async with self.transaction() as session:
                obj = await change(session)
                if changes is not None:
                    changed = changes()
                else:
                    changed = audit.diff(before or {}, snapshot(obj)) if hasattr(obj, "__table__") else {}
                await audit.record(
                    session,
                    self.consultant(request),
                    action,
                    tenant_id=tenant_id(obj) if callable(tenant_id) else tenant_id,
                    target=target(obj),
                    changes=changed,
                )
        except (DomainError, msgspec.ValidationError) as exc:
            refused = refusal(exc)
            request.scope[REFUSAL_STATUS] = refused.status
            if refused.field:
                request.scope[REFUSAL_FIELD] = refused.field
            raise refused from exc
        return obj

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        raise ConsoleError("this list cannot be added to here")

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        raise ConsoleError("this list cannot be changed here")


class TenantView(ConsoleView):
    """A list of the chosen tenant's data. Reachable only once a tenant is chosen; every query of it
    runs pinned to that tenant (see TenantSessions)."""

    category = N_("Client company")

    def __init__(self) -> None:
        model = getattr(self, "model", None)
        if model is not None:
            # A reference to another row reads as that row's name (see `_name_references`).
            named: dict[Any, Any] = dict.fromkeys(references(model), _reference_name)
            type(self).column_formatters = {**named, **self.column_formatters}
            type(self).column_formatters_detail = {**named, **self.column_formatters_detail}
        super().__init__()
        # An instance attribute over SQLAdmin's class-wide maker: this view's sessions are the tenant's.
        self.session_maker = TenantSessions(self.database)  # type: ignore[misc,assignment]

    async def list(self, request: Request) -> Any:
        page = await super().list(request)
        await self._name_references(page.rows)
        return page

    async def get_object_for_details(self, request: Request) -> Any:
        row = await super().get_object_for_details(request)
        if row is not None:
            await self._name_references([row])
        return row

    async def get_model_objects(self, request: Request, limit: int | None = 0) -> builtins.list[Any]:
        """The rows of the CSV export, with their references named as in the list."""
        rows = list(await super().get_model_objects(request, limit))
        await self._name_references(rows)
        return rows

    async def _name_references(self, rows: Sequence[Any]) -> None:
        """One query per referenced list for the names of the rows on the page."""
        found: dict[str, dict[Any, str]] = {}
        async with self.transaction() as session:
            for attribute, (model, label) in references(self.model).items():
                ids = {getattr(row, attribute) for row in rows} - {None}
                if ids:
                    result = await session.execute(select(model.id, label).where(model.id.in_(ids)))
                    found[attribute] = {row_id: str(name) for row_id, name in result.all()}
        for row in rows:
            row.console_names = {
                attribute: names[getattr(row, attribute)]
                for attribute, names in found.items()
                if getattr(row, attribute) in names
            }

    def is_accessible(self, request: Request) -> bool:
        return current_tenant.get() is not None and super().is_accessible(request)

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self.unit_of_work.tenant(chosen_tenant())

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
        changes: Callable[[], dict[str, Any]] | None = None,
    ) -> Any:
        return await self.write(
            request, action, change, tenant_id=tenant_of(request).id, target=target, before=before, changes=changes
        )


class ServiceEditedView(TenantView):
    """A list of the tenant's data whose adds and edits go through its domain service with the API's
    write schemas, so the console has no rules of its own: the form's fields that a schema has are
    converted to it (msgspec), the service checks them, and a refusal is the form's message."""

    # SQLAdmin leaves foreign keys out of forms unless told; each view's form_columns keeps ids out.
    form_include_pk = True
    # What a row is called in the audit log's actions ("employee" → employee.create, employee.update).
    noun: ClassVar[str]
    create_schema: ClassVar[type[msgspec.Struct]]
    update_schema: ClassVar[type[msgspec.Struct]]

    def describe(self, row: Any) -> str:
        """The audit log's target: what the row is, and its name ("role Data analyst")."""
        name = next((getattr(row, n) for n in _NAME_COLUMNS if hasattr(row, n)), row.id)
        return f"{self.noun.replace('_', ' ')} {name}"

    async def create_row(self, session: AsyncSession, principal: Principal, data: Any) -> Any:
        raise NotImplementedError

    async def update_row(self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, patch: Any) -> Any:
        raise NotImplementedError

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        """A reference to another row (an org unit, a role, a person) is chosen by name: a select of the
        chosen tenant's rows by name, which SQLAdmin's script turns into search-as-you-type on this view's
        `lookup` (select2); without script it stays the plain select."""
        form = await super().scaffold_form(rules)
        unbound = {name: value for name in dir(form) if isinstance(value := getattr(form, name), UnboundField)}
        choices: dict[str, Any] = {}
        async with self.transaction() as session:
            for name, (model, label) in references(self.model).items():
                if name not in unbound:
                    continue
                options = await named_rows(session, model, label, limit=_MAX_CHOICES)
                nullable = bool(sa_inspect(self.model).columns[name].nullable)
                field: Any = reference_field(
                    self.column_labels.get(name, name), options, self.lookup_url, nullable=nullable
                )
                # Same place in the form as the field it replaces.
                field.creation_counter = unbound[name].creation_counter
                choices[name] = field
        return type(form.__name__, (form,), choices) if choices else form

    @property
    def lookup_url(self) -> str:
        """This view's `lookup` (SQLAdmin sets its own ajax lookup's URL on each view it mounts)."""
        return self.ajax_lookup_url.removesuffix("/ajax/lookup") + "/lookup"

    def lookups(self) -> dict[str, tuple[Any, Any]]:
        """The references this view's forms choose by name: field name → (model, name column)."""
        return references(self.model)

    @expose("/lookup")
    async def lookup(self, request: Request) -> Response:
        """Search-as-you-type for a reference field (`?name=manager_id&term=ad`): the chosen tenant's rows
        whose name (or a person's email) holds the term, by name, as select2 reads them. Pinned to the
        tenant like every query of the view."""
        target = self.lookups().get(request.query_params.get("name", ""))
        if target is None:
            raise HTTPException(404, N_("There is no such field to look up."))
        model, label = target
        term = request.query_params.get("term", "").strip()[:100]
        async with self.transaction() as session:
            rows = await named_rows(session, model, label, term=term, limit=_LOOKUP_RESULTS)
        return JSONResponse({"results": [{"id": value, "text": text} for value, text in rows]})

    async def create_context(self, request: Request) -> dict[str, Any]:
        await self._name_chosen(request, None)
        return await super().create_context(request)

    async def edit_context(self, request: Request) -> dict[str, Any]:
        await self._name_chosen(request, uuid.UUID(request.path_params["pk"]))
        return await super().edit_context(request)

    async def _name_chosen(self, request: Request, row_id: uuid.UUID | None) -> None:
        """The names of the rows the form's references hold (the row's own, and those just posted, found
        by the search beyond the listed names), so a re-shown form keeps them by name."""
        posted = await request.form() if request.method == "POST" else {}
        names: dict[str, str] = {}
        async with self.transaction() as session:
            row = await self._row(session, row_id) if row_id else None
            for name, (model, label) in self.lookups().items():
                ids = {str(v) for v in (posted.get(name), getattr(row, name, None)) if v}
                valid = [uuid.UUID(i) for i in ids if is_uuid(i)]
                if valid:
                    found = await session.execute(select(model.id, *_shown(model, label)).where(model.id.in_(valid)))
                    names.update({str(r[0]): _text(r[1:]) for r in found.all()})
        chosen_names.set(names)

    def _fields(self, schema: type[msgspec.Struct]) -> list[str]:
        named = [c if isinstance(c, str) else c.key for c in self.form_columns]
        return [name for name in named if name in schema.__struct_fields__]

    async def _row(self, session: AsyncSession, row_id: uuid.UUID) -> Any:
        model: Any = self.model
        return await session.get(model, row_id)

    async def existing(self, session: AsyncSession, row_id: uuid.UUID) -> Any:
        """The row, or the refusal (404) saying it is not there."""
        row = await self._row(session, row_id)
        if row is None:
            raise NotFoundError(f"this {self.noun.replace('_', ' ')} no longer exists")
        return row

    async def _stored(self, session: AsyncSession, result: Any) -> Any:
        # Services answer with the row or with its API read schema; the audit diff needs the row.
        return result if hasattr(result, "__table__") else await self._row(session, result.id)

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        values = form_values(data, self._fields(self.create_schema))
        create = as_schema({k: v for k, v in values.items() if v is not None}, self.create_schema, request)
        principal = self.principal(request)

        async def change(session: AsyncSession) -> Any:
            return await self._stored(session, await self.create_row(session, principal, create))

        return await self.write_tenant(request, f"{self.noun}.create", change, target=self.describe)

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        patch = as_schema(form_values(data, self._fields(self.update_schema)), self.update_schema, request)
        principal = self.principal(request)
        row_id = uuid.UUID(pk)
        before: dict[str, Any] = {}

        async def change(session: AsyncSession) -> Any:
            before.update(snapshot(await self.existing(session, row_id)))
            return await self._stored(session, await self.update_row(session, principal, row_id, patch))

        return await self.write_tenant(request, f"{self.noun}.update", change, target=self.describe, before=before)


@cache
def references(model: Any) -> dict[str, tuple[Any, Any]]:
    """Each foreign key of `model` to a list with names: the referenced model and its name column."""
    mapper: Any = sa_inspect(model)
    by_table = {m.local_table: m for m in mapper.registry.mappers}
    found: dict[str, tuple[Any, Any]] = {}
    for attr in mapper.column_attrs:
        for key in attr.columns[0].foreign_keys:
            target = by_table.get(key.column.table)
            if target is None:
                continue
            label = next((target.columns[n] for n in _NAME_COLUMNS if n in target.columns), None)
            if label is not None:
                found[attr.key] = (target.class_, label)
    return found


def _reference_name(row: Any, attribute: str) -> Any:
    return getattr(row, "console_names", {}).get(attribute, getattr(row, attribute))


# Choices in a form's reference lists without script (the search finds any row); a tenant has tens of
# org units and roles, and people beyond this are found by the search.
_MAX_CHOICES = 2000
_LOOKUP_RESULTS = 20
_NAME_COLUMNS = ("full_name", "name", "title", "label")

# The names of the rows a form's references hold now (see ServiceEditedView._name_chosen): a choice not
# among the listed options is still shown by name.
chosen_names: ContextVar[dict[str, str]] = ContextVar("console_chosen_names", default={})  # noqa: B039


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _shown(model: Any, label: Any) -> list[Any]:
    """What names a row in a choice: its name, and a person's email too (two people share a name)."""
    email = sa_inspect(model).columns.get("email")
    return [label] if email is None else [label, email]


def _text(values: Sequence[Any]) -> str:
    return str(values[0]) if len(values) == 1 else f"{values[0]} ({values[1]})"


async def named_rows(
    session: AsyncSession, model: Any, label: Any, *, term: str = "", limit: int
) -> list[tuple[str, str]]:
    """(id, name) of the tenant's rows of `model` by name, those whose name (or email) holds `term`."""
    shown = _shown(model, label)
    query = select(model.id, *shown).order_by(*shown).limit(limit)
    if term:
        query = query.where(or_(*(column.icontains(term, autoescape=True) for column in shown)))
    return [(str(row[0]), _text(row[1:])) for row in (await session.execute(query)).all()]


class ReferenceField(SelectField):
    """A reference to another of the tenant's rows, chosen by name. Renders a select of the rows' names
    (enough without script); SQLAdmin's script makes it search-as-you-type on `data-url` (select2). A row
    the search found beyond the listed names is accepted when it is the chosen tenant's (`chosen_names`
    holds it, read pinned to the tenant) and shown by its name, so a refused save keeps it."""

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        super().process(formdata, data, extra_filters)
        value = "" if self.data is None else str(self.data)
        named = chosen_names.get()
        if value in named and value not in self._listed():
            self.choices = [*list(self.choices or []), (value, named[value])]  # type: ignore[list-item]

    def pre_validate(self, form: Any) -> None:
        if self.data not in (None, "") and str(self.data) not in self._listed():
            raise ValidationError("Not one of this client company's: choose one from the list.")

    def _listed(self) -> set[str]:
        return {str(choice[0]) for choice in list(self.choices or [])}


def reference_field(label: str, options: list[tuple[str, str]], lookup_url: str, *, nullable: bool) -> Any:
    """An unbound ReferenceField: `options` (id, name) listed, the search on `lookup_url`."""
    render_kw = {
        "class": "form-select",
        "data-role": "select2-ajax",
        "data-url": lookup_url,
        "placeholder": "Type a name to search",
    }
    if nullable:
        render_kw["data-allow-blank"] = "1"
    return ReferenceField(
        label,
        choices=([("", "—")] if nullable else []) + options,
        validators=[Optional()] if nullable else [InputRequired()],
        render_kw=render_kw,
    )


def as_schema(values: dict[str, Any], schema: type[SchemaT], request: Request | None = None) -> SchemaT:
    """The form's values as the API's write schema, or the form's message saying which field is wrong
    (noted on the request, for the form to show it beside that field)."""
    try:
        return msgspec.convert(values, schema)
    except msgspec.ValidationError as exc:
        refused = refusal(exc)
        if request is not None and refused.field:
            request.scope[REFUSAL_FIELD] = refused.field
        raise refused from exc


def _enum_value(value: Any) -> str:
    return str(value.value) if isinstance(value, enum.Enum) else str(value)


def form_values(data: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """The form's values for the schema's fields as the API's JSON would carry them: empty text means
    "none", amounts are numbers, times are in UTC."""
    values: dict[str, Any] = {}
    for name in fields:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip() or None
        elif isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, datetime) and value.tzinfo is None:
            # The console's date-time fields are labelled UTC.
            value = value.replace(tzinfo=UTC)
        values[name] = value
    return values
