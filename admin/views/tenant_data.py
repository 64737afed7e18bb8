"""The chosen tenant's data: lists with search, filters and sorting; edits through the API's services."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqladmin.filters import BooleanFilter, StaticValuesFilter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from admin.views.base import TenantView, form_values, snapshot
from backend.audit.service import Viewed, record_views
from backend.framework.models import CareerPath, Role
from backend.marketplace.models import Application, ApplicationStage, Opportunity, OpportunityKind, OpportunityStatus
from backend.mentoring.models import Pairing, PairingState, Programme, ProgrammeStatus
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.org.schemas import EmployeeCreate, EmployeeUpdate, OrgUnitCreate, OrgUnitUpdate
from backend.org.service import OrgService
from backend.skills.models import Skill
from backend.training.models import Course


def _values(enum_type: Any) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("_", " ")) for member in enum_type]


class EmployeeAdmin(TenantView, model=Employee):
    name, name_plural, icon = "Employee", "Employees", "fa-solid fa-user"
    column_list = [
        Employee.full_name,
        Employee.email,
        Employee.title,
        Employee.level,
        Employee.location,
        Employee.start_date,
        Employee.active,
    ]
    column_searchable_list = [Employee.full_name, Employee.email, Employee.title]
    column_sortable_list = [Employee.full_name, Employee.email, Employee.level, Employee.start_date]
    column_default_sort = [(Employee.full_name, False)]
    column_filters = [BooleanFilter(Employee.active)]
    column_details_exclude_list = [Employee.scim_external_id]
    form_columns = [
        Employee.full_name,
        Employee.email,
        Employee.title,
        Employee.level,
        Employee.location,
        Employee.start_date,
        Employee.org_unit_id,
        Employee.manager_id,
        Employee.role_id,
        Employee.external_id,
        Employee.active,
    ]
    _FIELDS = [
        "full_name",
        "email",
        "title",
        "level",
        "location",
        "start_date",
        "org_unit_id",
        "manager_id",
        "role_id",
        "external_id",
        "active",
    ]

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        values = form_values(data, self._FIELDS)
        values.pop("active", None)
        create = msgspec.convert({k: v for k, v in values.items() if v is not None}, EmployeeCreate)

        async def change(session: AsyncSession) -> Employee:
            return await OrgService(session).create_employee(create)

        return await self.write_tenant(request, "employee.create", change, target=_employee)

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        values = form_values(data, self._FIELDS)
        patch = msgspec.convert(values, EmployeeUpdate)
        employee_id = uuid.UUID(pk)
        before: dict[str, Any] = {}

        async def change(session: AsyncSession) -> Employee:
            service = OrgService(session)
            before.update(snapshot(await service.get_employee(employee_id)))
            return await service.update_employee(employee_id, patch)

        return await self.write_tenant(request, "employee.update", change, target=_employee, before=before)


def _employee(employee: Employee) -> str:
    return f"employee {employee.email}"


class OrgUnitAdmin(TenantView, model=OrgUnit):
    name, name_plural, icon = "Org unit", "Org units", "fa-solid fa-sitemap"
    column_list = [OrgUnit.name, OrgUnit.kind, OrgUnit.parent_id, OrgUnit.created_at]
    column_searchable_list = [OrgUnit.name]
    column_sortable_list = [OrgUnit.name, OrgUnit.kind]
    column_default_sort = [(OrgUnit.name, False)]
    column_filters = [StaticValuesFilter(OrgUnit.kind, values=_values(OrgUnitKind))]
    form_columns = [OrgUnit.name, OrgUnit.kind, OrgUnit.parent_id]
    _FIELDS = ["name", "kind", "parent_id"]

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        create = msgspec.convert(
            {k: v for k, v in form_values(data, self._FIELDS).items() if v is not None}, OrgUnitCreate
        )

        async def change(session: AsyncSession) -> OrgUnit:
            return await OrgService(session).create_unit(create)

        return await self.write_tenant(request, "org_unit.create", change, target=lambda u: f"org unit {u.name}")

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        patch = msgspec.convert(form_values(data, self._FIELDS), OrgUnitUpdate)
        unit_id = uuid.UUID(pk)
        before: dict[str, Any] = {}

        async def change(session: AsyncSession) -> OrgUnit:
            service = OrgService(session)
            before.update(snapshot(await service.get_unit(unit_id)))
            return await service.update_unit(unit_id, patch)

        return await self.write_tenant(
            request, "org_unit.update", change, target=lambda u: f"org unit {u.name}", before=before
        )


class SkillAdmin(TenantView, model=Skill):
    name, name_plural, icon = "Skill", "Skills", "fa-solid fa-graduation-cap"
    can_create = can_edit = False
    column_list = [Skill.label, Skill.catalog_uri, Skill.category_id, Skill.created_at]
    column_searchable_list = [Skill.label]
    column_sortable_list = [Skill.label, Skill.created_at]
    column_default_sort = [(Skill.label, False)]


class RoleAdmin(TenantView, model=Role):
    name, name_plural, icon = "Role", "Roles", "fa-solid fa-briefcase"
    can_create = can_edit = False
    column_list = [Role.title, Role.level, Role.job_family_id]
    column_searchable_list = [Role.title]
    column_sortable_list = [Role.title, Role.level]
    column_default_sort = [(Role.title, False)]


class CareerPathAdmin(TenantView, model=CareerPath):
    name, name_plural, icon = "Career path step", "Career paths", "fa-solid fa-route"
    can_create = can_edit = False
    column_list = [CareerPath.from_role_id, CareerPath.to_role_id, CareerPath.kind, CareerPath.typical_months]
    column_sortable_list = [CareerPath.kind, CareerPath.typical_months]


class OpportunityAdmin(TenantView, model=Opportunity):
    name, name_plural, icon = "Opportunity", "Opportunities", "fa-solid fa-door-open"
    can_create = can_edit = False
    column_list = [
        Opportunity.title,
        Opportunity.kind,
        Opportunity.status,
        Opportunity.positions,
        Opportunity.location,
        Opportunity.closes_at,
    ]
    column_searchable_list = [Opportunity.title, Opportunity.location]
    column_sortable_list = [Opportunity.title, Opportunity.status, Opportunity.closes_at]
    column_filters = [
        StaticValuesFilter(Opportunity.status, values=_values(OpportunityStatus)),
        StaticValuesFilter(Opportunity.kind, values=_values(OpportunityKind)),
    ]


class ApplicationAdmin(TenantView, model=Application):
    """Applications are confidential: as in the API, whoever but the applicant sees one is audited,
    one entry per application shown (the tenant's own audit log, which its HR reads)."""

    name, name_plural, icon = "Application", "Applications", "fa-solid fa-file-signature"
    can_create = can_edit = False
    column_list = [Application.opportunity_id, Application.employee_id, Application.kind, Application.stage]
    column_sortable_list = [Application.stage, Application.stage_changed_at]
    column_filters = [StaticValuesFilter(Application.stage, values=_values(ApplicationStage))]

    async def list(self, request: Request) -> Any:
        page = await super().list(request)
        await self._audit_views(request, page.rows)
        return page

    async def get_object_for_details(self, request: Request) -> Any:
        application = await super().get_object_for_details(request)
        if application is not None:
            await self._audit_views(request, [application])
        return application

    async def _audit_views(self, request: Request, applications: Any) -> None:
        principal = self.principal(request)
        async with self.session() as session, session.begin():
            await record_views(
                session,
                principal,
                action="application.viewed",
                object_type="application",
                views=[Viewed(a.employee_id, a.id, {"opportunity_id": str(a.opportunity_id)}) for a in applications],
            )


class ProgrammeAdmin(TenantView, model=Programme):
    name, name_plural, icon = "Mentoring programme", "Mentoring programmes", "fa-solid fa-people-arrows"
    can_create = can_edit = False
    column_list = [Programme.name, Programme.kind, Programme.status, Programme.starts_on, Programme.ends_on]
    column_searchable_list = [Programme.name]
    column_sortable_list = [Programme.name, Programme.status, Programme.starts_on]
    column_filters = [StaticValuesFilter(Programme.status, values=_values(ProgrammeStatus))]


class PairingAdmin(TenantView, model=Pairing):
    name, name_plural, icon = "Pairing", "Pairings", "fa-solid fa-handshake"
    can_create = can_edit = False
    column_list = [
        Pairing.programme_id,
        Pairing.mentor_employee_id,
        Pairing.mentee_employee_id,
        Pairing.state,
        Pairing.score,
    ]
    column_sortable_list = [Pairing.state, Pairing.score]
    column_filters = [StaticValuesFilter(Pairing.state, values=_values(PairingState))]


class CourseAdmin(TenantView, model=Course):
    name, name_plural, icon = "Course", "Courses", "fa-solid fa-book"
    can_create = can_edit = False
    column_list = [Course.title, Course.provider, Course.format, Course.duration_hours, Course.cost, Course.currency]
    column_searchable_list = [Course.title, Course.provider]
    column_sortable_list = [Course.title, Course.duration_hours, Course.cost]


TENANT_VIEWS: list[type[TenantView]] = [
    EmployeeAdmin,
    OrgUnitAdmin,
    SkillAdmin,
    RoleAdmin,
    CareerPathAdmin,
    OpportunityAdmin,
    ApplicationAdmin,
    ProgrammeAdmin,
    PairingAdmin,
    CourseAdmin,
]
