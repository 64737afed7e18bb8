"""The control plane in the console: client companies and their provisioning, each company's identity
settings, partner apps and SCIM tokens, platform users and their assignments, jobs, dead letters and
the console's own audit log."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import msgspec
from markupsafe import Markup
from sqladmin import expose
from sqladmin._types import _UNSET
from sqladmin.filters import StaticValuesFilter
from sqladmin.secret import Secret
from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import BooleanField, Form, HiddenField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Optional

from admin.context import consultant_of, current_tenant, tenant_of
from admin.i18n import N_
from admin.models import ConsoleAuditEvent, ConsultantAssignment, PlatformRole, PlatformUser
from admin.users import Consultant, PlatformUserService
from admin.views.base import EMPTY, ConsoleError, ConsoleView, current_csrftoken, readable, snapshot
from backend.auth.revocations import ClientRevocations
from backend.core.jobs import platform as platform_jobs
from backend.core.jobs.models import DeadLetter, JobStatus, PlatformJob
from backend.partners.models import PartnerClient
from backend.partners.service import PartnerClientService, grantable_scopes
from backend.scim.models import ScimToken
from backend.scim.tokens import ScimTokenService
from backend.sso.models import IdentityProvider
from backend.sso.oidc import RelyingParty
from backend.sso.schemas import IdentityProviderWrite
from backend.sso.service import IdentityProviderService
from tenants.models import Tenant, TenantStatus
from tenants.sessions import TenantRef

PLATFORM = "Platform"
SETTINGS = N_("Client company settings")


class CsrfForm(Form):
    csrftoken = HiddenField(default=lambda: current_csrftoken.get())


class SuperadminView(ConsoleView):
    category = PLATFORM

    def is_accessible(self, request: Request) -> bool:
        return self.consultant(request).is_superadmin


class ScopedView(ConsoleView):
    """A control-plane list showing only some rows: `scope` says which, for lists, counts, details and
    edits alike."""

    # The name of the column holding the tenant's id (a string: a mapped attribute on a view class
    # would act as a descriptor on the view).
    tenant_key: ClassVar[str]

    def scope(self, request: Request, stmt: Select[Any]) -> Select[Any]:
        raise NotImplementedError

    def list_query(self, request: Request) -> Select[Any]:
        return self.scope(request, select(self.model))

    def count_query(self, request: Request) -> Select[Any]:
        return self.scope(request, select(func.count()).select_from(self.model))

    def details_query(self, request: Request) -> Select[Any]:
        return self.scope(request, super().details_query(request))

    def form_edit_query(self, request: Request) -> Select[Any]:
        return self.scope(request, super().form_edit_query(request))


class ScopedToConsultant(ScopedView):
    """Rows that belong to tenants: a consultant sees those of the tenants assigned to them (and their
    own, where `own_rows` says which), a superadmin every row."""

    category = PLATFORM

    def own_rows(self, consultant: Consultant) -> ColumnElement[bool] | None:
        return None

    def scope(self, request: Request, stmt: Select[Any]) -> Select[Any]:
        consultant = self.consultant(request)
        if consultant.is_superadmin:
            return stmt
        ids = [t.id for t in consultant.tenants.values()]
        theirs = getattr(self.model, self.tenant_key).in_(ids) if ids else false()
        own = self.own_rows(consultant)
        return stmt.where(theirs if own is None else or_(theirs, own))


class TenantAdmin(ScopedToConsultant, model=Tenant):
    name, name_plural, icon = N_("Client company"), N_("Client companies"), "fa-solid fa-building"
    tenant_key = "id"
    can_edit = False
    column_list = [Tenant.name, Tenant.slug, Tenant.status, Tenant.placement, Tenant.created_at]
    column_searchable_list = [Tenant.name, Tenant.slug]
    column_sortable_list = [Tenant.name, Tenant.slug, Tenant.status, Tenant.created_at]
    column_default_sort = [(Tenant.name, False)]
    column_filters = [StaticValuesFilter(Tenant.status, values=[(s.value, s.value) for s in TenantStatus])]
    form_columns = [Tenant.slug, Tenant.name]
    details_template = "console/tenant_details.html"

    async def check_can_create(self, request: Request) -> bool:
        return self.consultant(request).is_superadmin

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        """Provisioning runs as a platform job; the console follows its record."""
        consultant = self.consultant(request)
        if not consultant.is_superadmin:
            raise ConsoleError("only superadmins create client companies")
        slug, name = str(data.get("slug") or "").strip(), str(data.get("name") or "").strip()

        async def change(session: AsyncSession) -> PlatformJob:
            return await platform_jobs.request_provisioning(session, slug=slug, name=name, requested_by=consultant.id)

        job = await self.write(
            request,
            "tenant.create",
            change,
            tenant_id=None,
            target=lambda job: f"tenant {slug}",
            before=None,
        )
        request.state._sqladmin_after_change_response = RedirectResponse(
            request.url_for("admin:details", identity="platform-job", pk=str(job.id)), status_code=302
        )
        return job

    @expose("/{pk}/status", methods=["POST"])
    async def change_status(self, request: Request) -> Response:
        consultant = self.consultant(request)
        tenant_id = uuid.UUID(request.path_params["pk"])
        status = TenantStatus(str((await request.form()).get("status", "")))
        if not consultant.may_act_for(tenant_id) and not consultant.is_superadmin:
            raise HTTPException(403, N_("This client company is not assigned to you."))
        if status == TenantStatus.ARCHIVED and not consultant.is_superadmin:
            raise HTTPException(403, N_("Only superadmins archive client companies."))

        async def change(session: AsyncSession) -> PlatformJob:
            return await platform_jobs.request_status_change(
                session, tenant_id=tenant_id, status=status, requested_by=consultant.id
            )

        try:
            job = await self.write(
                request, f"tenant.{status.value}", change, tenant_id=tenant_id, target=lambda _: f"tenant {tenant_id}"
            )
        except ConsoleError as exc:
            # The service's own status: 409 a tenant busy or already so, 404 an unknown one.
            raise HTTPException(exc.status, str(exc)) from exc
        return RedirectResponse(
            request.url_for("admin:details", identity="platform-job", pk=str(job.id)), status_code=303
        )


class PlatformJobAdmin(ScopedToConsultant, model=PlatformJob):
    name, name_plural, icon = N_("Platform job"), N_("Platform jobs"), "fa-solid fa-gears"
    category = PLATFORM
    can_create = can_edit = False
    column_list = [
        PlatformJob.kind,
        PlatformJob.status,
        PlatformJob.progress,
        PlatformJob.step,
        PlatformJob.created_at,
        PlatformJob.finished_at,
    ]
    column_sortable_list = [PlatformJob.created_at, PlatformJob.status]
    column_default_sort = [(PlatformJob.created_at, True)]
    column_filters = [StaticValuesFilter(PlatformJob.status, values=[(s.value, s.value) for s in JobStatus])]
    details_template = "console/platform_job.html"
    tenant_key = "tenant_id"

    def own_rows(self, consultant: Consultant) -> ColumnElement[bool]:
        # A provisioning job has no tenant until the tenant exists: its requester follows it.
        return PlatformJob.requested_by == consultant.id


class DeadLetterAdmin(ScopedToConsultant, model=DeadLetter):
    name, name_plural, icon = N_("Dead letter"), N_("Dead letters"), "fa-solid fa-skull-crossbones"
    tenant_key = "tenant_id"
    can_create = can_edit = False
    column_list = [DeadLetter.failed_at, DeadLetter.actor, DeadLetter.tenant_id, DeadLetter.attempts, DeadLetter.error]
    column_searchable_list = [DeadLetter.actor, DeadLetter.error]
    column_sortable_list = [DeadLetter.failed_at, DeadLetter.actor]
    column_default_sort = [(DeadLetter.failed_at, True)]


def _audit_rows(request: Request, stmt: Select[Any]) -> Select[Any]:
    """The audit rows a person may read: their tenants' and their own (a superadmin: all)."""
    consultant = consultant_of(request)
    if consultant.is_superadmin:
        return stmt
    ids = [t.id for t in consultant.tenants.values()]
    return stmt.where(or_(ConsoleAuditEvent.tenant_id.in_(ids), ConsoleAuditEvent.actor_id == consultant.id))


class AuditFilter:
    """A filter of the audit log whose choices come only from the rows the person may read (SQLAdmin's
    own distinct-values filter would list every tenant's actors)."""

    has_operator = False
    template = "sqladmin/filters/lookup_filter.html"
    default_value: Any = _UNSET

    def __init__(self, column: Any, title: str, parameter_name: str, *, by_tenant: bool = False) -> None:
        self.column = column
        self.title = title
        self.parameter_name = parameter_name
        self.by_tenant = by_tenant

    async def lookups(self, request: Request, model: Any, run_query: Any) -> list[tuple[str, str]]:
        if self.by_tenant:
            consultant = consultant_of(request)
            if consultant.is_superadmin:
                found = [(str(i), str(n)) for i, n in await run_query(select(Tenant.id, Tenant.name))]
            else:
                found = [(str(t.id), t.name) for t in consultant.tenants.values()]
            return [("__all", "All"), *sorted(found, key=lambda item: item[1])]
        if self.column is ConsoleAuditEvent.actor_email:
            # People by name and email (the name as the platform user is called now).
            query = (
                select(ConsoleAuditEvent.actor_email, PlatformUser.name)
                .outerjoin(PlatformUser, PlatformUser.id == ConsoleAuditEvent.actor_id)
                .distinct()
                .order_by(ConsoleAuditEvent.actor_email)
            )
            people = await run_query(_audit_rows(request, query))
            return [
                ("__all", "All"),
                *[(str(email), f"{name} ({email})" if name else str(email)) for email, name in people],
            ]
        rows = await run_query(_audit_rows(request, select(self.column).distinct().order_by(self.column)))
        return [("__all", "All"), *[(str(row[0]), str(row[0])) for row in rows]]

    async def get_filtered_query(self, query: Select[Any], value: Any, model: Any) -> Select[Any]:
        if value is _UNSET or value in (None, "", "__all"):
            return query
        if self.by_tenant:
            try:
                return query.where(self.column == uuid.UUID(str(value)))
            except ValueError:
                return query.where(false())
        return query.where(self.column == value)


def audit_changes(row: Any, attribute: str) -> Any:
    """What changed, as "field: old → new" lines; other details of an action as "key: value" lines."""
    changes = getattr(row, attribute) or {}
    if not changes:
        return EMPTY
    lines = []
    for key, value in changes.items():
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            lines.append(
                Markup('<li><span class="text-secondary">{}:</span> {} → {}</li>').format(
                    key.replace("_", " "), readable(value["from"]), readable(value["to"])
                )
            )
        else:
            lines.append(Markup('<li><span class="text-secondary">{}:</span> {}</li>').format(key, readable(value)))
    return Markup('<ul class="list-unstyled mb-0">{}</ul>').format(Markup("").join(lines))


def _audit_actor(row: Any, attribute: str) -> str:
    name = getattr(row, "console_actor", None)
    return f"{name} ({row.actor_email})" if name else str(row.actor_email)


def _audit_tenant(row: Any, attribute: str) -> Any:
    return getattr(row, "console_tenant", None) or readable(row.tenant_id)


class ConsoleAuditAdmin(ScopedToConsultant, model=ConsoleAuditEvent):
    """Read-only: the serving role cannot change a row of it, and neither can the console. People and
    tenants read as their names, changes as "field: old → new"."""

    name, name_plural, icon = N_("Console audit event"), N_("Console audit log"), "fa-solid fa-clipboard-list"
    category = PLATFORM
    can_create = can_edit = False
    column_list = [
        ConsoleAuditEvent.at,
        ConsoleAuditEvent.actor_email,
        ConsoleAuditEvent.tenant_id,
        ConsoleAuditEvent.action,
        ConsoleAuditEvent.target,
        ConsoleAuditEvent.changes,
    ]
    column_details_list = [*column_list]
    column_labels: ClassVar[dict[Any, str]] = {
        ConsoleAuditEvent.at: "When",
        ConsoleAuditEvent.actor_email: "Who",
        ConsoleAuditEvent.tenant_id: "Client company",
        ConsoleAuditEvent.changes: "What changed",
    }
    column_formatters: ClassVar[dict[Any, Any]] = {
        ConsoleAuditEvent.actor_email: _audit_actor,
        ConsoleAuditEvent.tenant_id: _audit_tenant,
        ConsoleAuditEvent.changes: audit_changes,
    }
    column_formatters_detail = column_formatters
    column_searchable_list = [ConsoleAuditEvent.actor_email, ConsoleAuditEvent.action, ConsoleAuditEvent.target]
    column_sortable_list = [ConsoleAuditEvent.at, ConsoleAuditEvent.actor_email, ConsoleAuditEvent.action]
    column_default_sort = [(ConsoleAuditEvent.at, True)]
    column_filters = [
        AuditFilter(ConsoleAuditEvent.tenant_id, "Client company", "tenant", by_tenant=True),
        AuditFilter(ConsoleAuditEvent.actor_email, "Person", "person"),
        AuditFilter(ConsoleAuditEvent.action, "Action", "action"),
    ]
    tenant_key = "tenant_id"

    def own_rows(self, consultant: Consultant) -> ColumnElement[bool]:
        return ConsoleAuditEvent.actor_id == consultant.id

    async def list(self, request: Request) -> Any:
        page = await super().list(request)
        await self._name(page.rows)
        return page

    async def get_object_for_details(self, request: Request) -> Any:
        row = await super().get_object_for_details(request)
        if row is not None:
            await self._name([row])
        return row

    async def _name(self, rows: Any) -> None:
        """The names of the people and tenants of the rows shown: one query each."""
        actors = {row.actor_id for row in rows} - {None}
        tenants = {row.tenant_id for row in rows} - {None}
        async with self.transaction() as session:
            people = (
                dict(
                    (
                        await session.execute(
                            select(PlatformUser.id, PlatformUser.name).where(PlatformUser.id.in_(actors))
                        )
                    )
                    .tuples()
                    .all()
                )
                if actors
                else {}
            )
            names = (
                dict(
                    (await session.execute(select(Tenant.id, Tenant.name).where(Tenant.id.in_(tenants)))).tuples().all()
                )
                if tenants
                else {}
            )
        for row in rows:
            row.console_actor = people.get(row.actor_id)
            row.console_tenant = names.get(row.tenant_id)


class PlatformUserAdmin(SuperadminView, model=PlatformUser):
    name, name_plural, icon = N_("Platform user"), N_("Platform users"), "fa-solid fa-user-tie"
    column_list = [
        PlatformUser.email,
        PlatformUser.name,
        PlatformUser.role,
        PlatformUser.active,
        PlatformUser.last_sign_in_at,
    ]
    column_searchable_list = [PlatformUser.email, PlatformUser.name]
    column_sortable_list = [PlatformUser.email, PlatformUser.role, PlatformUser.last_sign_in_at]
    column_details_exclude_list = [PlatformUser.password_hash, PlatformUser.totp_secret_encrypted]
    form_columns = [PlatformUser.email, PlatformUser.name, PlatformUser.role, PlatformUser.active]

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        async def change(session: AsyncSession) -> PlatformUser:
            created = await PlatformUserService(session, self.secretbox).create(
                str(data.get("email") or ""), str(data.get("name") or ""), PlatformRole(str(data.get("role")))
            )
            return created.user

        return await self.write(request, "platform_user.create", change, tenant_id=None, target=lambda u: u.email)

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        before: dict[str, Any] = {}

        async def change(session: AsyncSession) -> PlatformUser:
            user = await session.get_one(PlatformUser, uuid.UUID(pk), with_for_update=True)
            before.update(snapshot(user))
            user.role = PlatformRole(str(data.get("role")))
            user.active = bool(data.get("active"))
            user.name = str(data.get("name") or user.name).strip()
            await session.flush()
            return user

        return await self.write(
            request, "platform_user.update", change, tenant_id=None, target=lambda u: u.email, before=before
        )


class AssignmentForm(CsrfForm):
    consultant_email = StringField("Consultant's email", validators=[DataRequired()])
    tenant_slug = StringField("Client company (slug)", validators=[DataRequired()])


class AssignmentAdmin(SuperadminView, model=ConsultantAssignment):
    name, name_plural, icon = N_("Consultant assignment"), N_("Consultant assignments"), "fa-solid fa-user-check"
    can_edit = False
    form = AssignmentForm
    column_list = [
        ConsultantAssignment.platform_user_id,
        ConsultantAssignment.tenant_id,
        ConsultantAssignment.created_by,
        ConsultantAssignment.created_at,
    ]
    column_sortable_list = [ConsultantAssignment.created_at]

    details_template = "console/assignment_details.html"

    @expose("/{pk}/withdraw", methods=["POST"])
    async def withdraw(self, request: Request) -> Response:
        """The consultant loses the tenant at their next click (authentication re-reads assignments)."""
        if not self.consultant(request).is_superadmin:
            raise HTTPException(403, N_("Only superadmins withdraw assignments."))
        assignment_id = uuid.UUID(request.path_params["pk"])
        before: dict[str, Any] = {}

        async def change(session: AsyncSession) -> ConsultantAssignment:
            assignment = await session.get(ConsultantAssignment, assignment_id, with_for_update=True)
            if assignment is None:
                raise ConsoleError("there is no such assignment")
            before.update(snapshot(assignment))
            await session.delete(assignment)
            await session.flush()
            return assignment

        try:
            await self.write(
                request,
                "assignment.withdraw",
                change,
                tenant_id=lambda a: a.tenant_id,
                target=lambda a: f"assignment of {a.platform_user_id} to {a.tenant_id}",
                before=before,
            )
        except ConsoleError as exc:
            raise HTTPException(404, str(exc)) from exc
        return RedirectResponse(request.url_for("admin:list", identity=self.identity), status_code=303)

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        slug = str(data.get("tenant_slug") or "").strip()

        async def change(session: AsyncSession) -> ConsultantAssignment:
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
            if tenant is None:
                raise ConsoleError(f"there is no client company {slug!r}")
            return await PlatformUserService(session, self.secretbox).assign(
                str(data.get("consultant_email") or ""), tenant.id, by=self.consultant(request).email
            )

        return await self.write(
            request,
            "assignment.create",
            change,
            tenant_id=lambda a: a.tenant_id,
            target=lambda a: f"{data.get('consultant_email')} → {slug}",
        )


class TenantSettingsView(ScopedView):
    """The chosen tenant's rows of a control-plane table (identity settings, partner apps, tokens)."""

    category = SETTINGS

    def is_accessible(self, request: Request) -> bool:
        return current_tenant.get() is not None

    def scope(self, request: Request, stmt: Select[Any]) -> Select[Any]:
        return stmt.where(getattr(self.model, self.tenant_key) == tenant_of(request).id)


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace("\n", ",").split(",") if part.strip()]


class IdentityProviderForm(CsrfForm):
    issuer = StringField("Issuer URL", validators=[DataRequired()])
    client_id = StringField("Client id", validators=[DataRequired()])
    # Write-only: never filled in from what is stored; left empty, the stored secret is kept.
    client_secret = PasswordField("Client secret (leave empty to keep the stored one)", validators=[Optional()])
    allowed_domains = StringField("Allowed email domains (comma-separated)", validators=[DataRequired()])
    hr_groups = StringField("Groups that make HR admins", validators=[Optional()])
    manager_groups = StringField("Groups that make managers", validators=[Optional()])
    # See the README: off, a sign-in needs `email_verified: true` (or Entra ID's `xms_edov: true`).
    provider_verifies_emails = BooleanField(
        "The provider issues verified email addresses only (sign-ins without email_verified are trusted)",
        default=False,
    )
    enabled = BooleanField("Enabled", default=True)


class IdentityProviderAdmin(TenantSettingsView, model=IdentityProvider):
    name, name_plural, icon = N_("Identity provider"), N_("Identity provider (SSO)"), "fa-solid fa-key"
    # Set by the console builder: the provider's issuer is checked by discovery.
    relying_party: ClassVar[RelyingParty]
    tenant_key = "tenant_id"
    form = IdentityProviderForm
    column_list = [
        IdentityProvider.issuer,
        IdentityProvider.client_id,
        IdentityProvider.allowed_domains,
        IdentityProvider.enabled,
    ]
    column_details_exclude_list = [IdentityProvider.client_secret_encrypted]

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        return {
            "issuer": obj.issuer,
            "client_id": obj.client_id,
            "allowed_domains": ", ".join(obj.allowed_domains),
            "hr_groups": ", ".join(obj.role_mapping.get("hr_admin", [])),
            "manager_groups": ", ".join(obj.role_mapping.get("manager", [])),
            "provider_verifies_emails": obj.provider_verifies_emails,
            "enabled": obj.enabled,
        }

    async def _configure(self, request: Request, data: dict[str, Any], action: str) -> Any:
        settings: dict[str, Any] = {
            "issuer": str(data.get("issuer") or "").strip(),
            "client_id": str(data.get("client_id") or "").strip(),
            "allowed_domains": _names(data.get("allowed_domains")),
            "role_mapping": {"hr_admin": _names(data.get("hr_groups")), "manager": _names(data.get("manager_groups"))},
            "provider_verifies_emails": bool(data.get("provider_verifies_emails")),
            "enabled": bool(data.get("enabled")),
        }
        if data.get("client_secret"):
            settings["client_secret"] = data["client_secret"]
        tenant = tenant_of(request)

        before: dict[str, Any] = {}

        async def change(session: AsyncSession) -> IdentityProvider:
            write = msgspec.convert(settings, IdentityProviderWrite)
            service = IdentityProviderService(session, tenant.id, self.secretbox)
            if (current := await service.find()) is not None:
                before.update(snapshot(current))
            return await service.configure(write, self.relying_party)

        return await self.write(
            request,
            action,
            change,
            tenant_id=tenant.id,
            target=lambda p: f"identity provider {p.issuer}",
            before=before,
        )

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        return await self._configure(request, data, "identity_provider.create")

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        return await self._configure(request, data, "identity_provider.update")


class CredentialView(TenantSettingsView):
    """A credential of the chosen tenant (a partner app's secret, a SCIM token): issued through the
    API's service and shown once, with no-store headers; revoked at once with a POST from its page."""

    can_edit = False
    details_template = "console/revocable_details.html"
    # "partner_client": the audit log's action prefix.
    kind: ClassVar[str]

    def describe(self, row: Any) -> str:
        raise NotImplementedError

    async def issue(self, session: AsyncSession, request: Request, data: dict[str, Any]) -> tuple[Any, str]:
        """The new row and its secret."""
        raise NotImplementedError

    async def revoke_row(self, session: AsyncSession, tenant: TenantRef, row_id: uuid.UUID) -> Any:
        raise NotImplementedError

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        tenant = tenant_of(request)
        secret: list[str] = []

        async def change(session: AsyncSession) -> Any:
            row, issued = await self.issue(session, request, data)
            secret.append(issued)
            return row

        row = await self.write(request, f"{self.kind}.create", change, tenant_id=tenant.id, target=self.describe)
        Secret.reveal_once(request, secret[0], title=f"The secret of {self.describe(row)}")
        return row

    @expose("/{pk}/revoke", methods=["POST"])
    async def revoke(self, request: Request) -> Response:
        row_id = uuid.UUID(request.path_params["pk"])
        tenant = tenant_of(request)
        before: dict[str, Any] = {}

        async def change(session: AsyncSession) -> Any:
            model: Any = self.model
            if (current := await session.get(model, row_id)) is not None:
                before.update(snapshot(current))
            return await self.revoke_row(session, tenant, row_id)

        try:
            await self.write(
                request, f"{self.kind}.revoke", change, tenant_id=tenant.id, target=self.describe, before=before
            )
        except ConsoleError as exc:
            raise HTTPException(404, str(exc)) from exc
        return RedirectResponse(
            request.url_for("admin:details", identity=self.identity, pk=str(row_id)), status_code=303
        )


class PartnerClientForm(CsrfForm):
    name = StringField("Name", validators=[DataRequired()])
    # Exactly what the service grants a partner app (`grantable_scopes`, the one rule).
    scopes = SelectMultipleField("Scopes", choices=[(s, s) for s in grantable_scopes()], validators=[DataRequired()])


class PartnerClientAdmin(CredentialView, model=PartnerClient):
    name, name_plural, icon = N_("Partner app"), N_("Partner apps"), "fa-solid fa-plug"
    # Set by the console builder: a revocation is known to every API process at once.
    revocations: ClassVar[ClientRevocations]
    tenant_key = "tenant_id"
    kind = "partner_client"
    form = PartnerClientForm
    column_list = [
        PartnerClient.name,
        PartnerClient.client_id,
        PartnerClient.scopes,
        PartnerClient.created_at,
        PartnerClient.revoked_at,
    ]
    column_details_exclude_list = [PartnerClient.secret_hash, PartnerClient.previous_secret_hash]

    def describe(self, row: Any) -> str:
        return f"partner app {row.client_id}"

    async def issue(self, session: AsyncSession, request: Request, data: dict[str, Any]) -> tuple[Any, str]:
        created = await PartnerClientService(session, tenant_of(request).id).create(
            name=str(data.get("name") or ""),
            scopes=list(data.get("scopes") or []),
            created_by=self.consultant(request).email,
        )
        return created.client, created.secret

    async def revoke_row(self, session: AsyncSession, tenant: TenantRef, row_id: uuid.UUID) -> Any:
        return await PartnerClientService(session, tenant.id).revoke(row_id, self.revocations)


class ScimTokenForm(CsrfForm):
    name = StringField("Name", validators=[DataRequired()])


class ScimTokenAdmin(CredentialView, model=ScimToken):
    name, name_plural, icon = N_("SCIM token"), N_("SCIM tokens"), "fa-solid fa-id-card"
    tenant_key = "tenant_id"
    kind = "scim_token"
    form = ScimTokenForm
    column_list = [
        ScimToken.name,
        ScimToken.token_prefix,
        ScimToken.created_by,
        ScimToken.last_used_at,
        ScimToken.revoked_at,
    ]
    column_details_exclude_list = [ScimToken.token_hash]

    def describe(self, row: Any) -> str:
        return f"SCIM token {row.name}"

    async def issue(self, session: AsyncSession, request: Request, data: dict[str, Any]) -> tuple[Any, str]:
        issued = await ScimTokenService(session, tenant_of(request).id).create(
            str(data.get("name") or ""), self.consultant(request).email
        )
        return issued.row, issued.token

    async def revoke_row(self, session: AsyncSession, tenant: TenantRef, row_id: uuid.UUID) -> Any:
        return await ScimTokenService(session, tenant.id).revoke(row_id)


PLATFORM_VIEWS: list[type[ConsoleView]] = [
    TenantAdmin,
    PlatformJobAdmin,
    DeadLetterAdmin,
    ConsoleAuditAdmin,
    PlatformUserAdmin,
    AssignmentAdmin,
    IdentityProviderAdmin,
    PartnerClientAdmin,
    ScimTokenAdmin,
]
