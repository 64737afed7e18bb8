"""The chosen tenant's data: lists with search, filters and sorting; edits through the API's services."""

from __future__ import annotations

import builtins
import uuid
from typing import Any, ClassVar

from sqladmin import expose
from sqladmin.filters import BooleanFilter, StaticValuesFilter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin.i18n import N_
from admin.views.base import ConsoleError, ServiceEditedView, TenantView, as_schema, snapshot
from admin.views.skills import SkillLine, SkillListView, SkillsEditedView, employee_profile, skill_line
from backend.audit.service import Viewed, record_views
from backend.auth.principal import Principal
from backend.errors import NotFoundError
from backend.framework.models import CareerPath, Importance, Role
from backend.framework.schemas import CareerPathCreate, CareerPathUpdate, RoleCreate, RoleSkillSet, RoleUpdate
from backend.framework.service import FrameworkService
from backend.marketplace.applications import ApplicationService
from backend.marketplace.models import Application, ApplicationStage, Opportunity, OpportunityKind, OpportunityStatus
from backend.marketplace.opportunities import OpportunityService
from backend.marketplace.schemas import OpportunityCreate, OpportunitySkillSet, OpportunityUpdate, StageChange
from backend.mentoring.models import Pairing, PairingState, Programme, ProgrammeStatus
from backend.mentoring.programmes import ProgrammeService
from backend.mentoring.schemas import ProgrammeCreate, ProgrammeUpdate
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.org.schemas import EmployeeCreate, EmployeeUpdate, OrgUnitCreate, OrgUnitUpdate
from backend.org.service import OrgService
from backend.skills.models import Skill
from backend.skills.schemas import SkillCreate, SkillUpdate
from backend.skills.service import SkillService
from backend.training.courses import CourseService
from backend.training.models import Course
from backend.training.schemas import CourseCreate, CourseSkillSet, CourseUpdate


def _values(enum_type: Any) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("_", " ")) for member in enum_type]


class EmployeeAdmin(ServiceEditedView, model=Employee):
    """An employee's page shows their skills, their aspirations as HR may see them (the open-to-move
    rules; the view audited as the API audits it) and their applications (each audited as viewed)."""

    name, name_plural, icon = N_("Employee"), N_("Employees"), "fa-solid fa-user"
    noun, create_schema, update_schema = "employee", EmployeeCreate, EmployeeUpdate
    details_template = "console/employee_details.html"
    column_list = [
        Employee.full_name,
        Employee.email,
        Employee.title,
        Employee.org_unit_id,
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

    def describe(self, row: Employee) -> str:
        return f"employee {row.email}"

    async def details_context(self, request: Request) -> dict[str, Any]:
        """Their profile, read (and its views audited) once per page shown, once the row was found."""
        context = await super().details_context(request)
        async with self.transaction() as session:
            employee_id = uuid.UUID(request.path_params["pk"])
            context["profile"] = await employee_profile(session, self.principal(request), employee_id)
        return context

    async def create_row(self, session: AsyncSession, principal: Principal, data: EmployeeCreate) -> Employee:
        return await OrgService(session).create_employee(data)

    async def update_row(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, patch: EmployeeUpdate
    ) -> Employee:
        return await OrgService(session).update_employee(row_id, patch)


class OrgUnitAdmin(ServiceEditedView, model=OrgUnit):
    name, name_plural, icon = N_("Org unit"), N_("Org units"), "fa-solid fa-sitemap"
    noun, create_schema, update_schema = "org_unit", OrgUnitCreate, OrgUnitUpdate
    column_list = [OrgUnit.name, OrgUnit.kind, OrgUnit.parent_id, OrgUnit.created_at]
    column_searchable_list = [OrgUnit.name]
    column_sortable_list = [OrgUnit.name, OrgUnit.kind]
    column_default_sort = [(OrgUnit.name, False)]
    column_filters = [StaticValuesFilter(OrgUnit.kind, values=_values(OrgUnitKind))]
    form_columns = [OrgUnit.name, OrgUnit.kind, OrgUnit.parent_id]

    async def create_row(self, session: AsyncSession, principal: Principal, data: OrgUnitCreate) -> OrgUnit:
        return await OrgService(session).create_unit(data)

    async def update_row(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, patch: OrgUnitUpdate
    ) -> OrgUnit:
        return await OrgService(session).update_unit(row_id, patch)


class SkillAdmin(ServiceEditedView, model=Skill):
    """The tenant's own skills are added here; adopting catalogue (ESCO) skills stays with the API's
    catalogue search."""

    name, name_plural, icon = N_("Skill"), N_("Skills"), "fa-solid fa-graduation-cap"
    noun, create_schema, update_schema = "skill", SkillCreate, SkillUpdate
    column_list = [Skill.label, Skill.catalog_uri, Skill.category_id, Skill.created_at]
    column_searchable_list = [Skill.label]
    column_sortable_list = [Skill.label, Skill.created_at]
    column_default_sort = [(Skill.label, False)]
    form_columns = [Skill.label, Skill.description, Skill.category_id]

    async def create_row(self, session: AsyncSession, principal: Principal, data: SkillCreate) -> Skill:
        return await SkillService(session).create_skill(data)

    async def update_row(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, patch: SkillUpdate
    ) -> Skill:
        return await SkillService(session).update_skill(row_id, patch)


class RoleAdmin(SkillsEditedView, model=Role):
    """Roles and their attributes; the skills a role requires are added, levelled and removed on its page."""

    name, name_plural, icon = N_("Role"), N_("Roles"), "fa-solid fa-briefcase"
    noun, create_schema, update_schema = "role", RoleCreate, RoleUpdate
    column_list = [Role.title, Role.level, Role.job_family_id]
    column_searchable_list = [Role.title]
    column_sortable_list = [Role.title, Role.level]
    column_default_sort = [(Role.title, False)]
    form_columns = [Role.title, Role.level, Role.job_family_id, Role.description]

    async def create_row(self, session: AsyncSession, principal: Principal, data: RoleCreate) -> Role:
        return await FrameworkService(session).create_role(data)

    async def update_row(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, patch: RoleUpdate
    ) -> Role:
        return await FrameworkService(session).update_role(row_id, patch)

    async def read_skills(self, session: AsyncSession, principal: Principal, row_id: uuid.UUID) -> list[SkillLine]:
        found, _ = await FrameworkService(session).role_skills(row_id, None, 200)
        return sorted(
            (SkillLine(s.skill_id, s.skill_label, s.target_level, s.importance) for s in found), key=_by_label
        )

    async def set_skill(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, line: dict[str, Any]
    ) -> None:
        data = skill_line(line, RoleSkillSet, "target_level")
        await FrameworkService(session).set_role_skill(row_id, uuid.UUID(line["skill_id"]), data)

    async def drop_skill(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, skill_id: uuid.UUID
    ) -> None:
        await FrameworkService(session).remove_role_skill(row_id, skill_id)


class CareerPathAdmin(ServiceEditedView, model=CareerPath):
    name, name_plural, icon = N_("Career path step"), N_("Career paths"), "fa-solid fa-route"
    noun, create_schema, update_schema = "career_path", CareerPathCreate, CareerPathUpdate
    column_list = [CareerPath.from_role_id, CareerPath.to_role_id, CareerPath.kind, CareerPath.typical_months]
    column_sortable_list = [CareerPath.kind, CareerPath.typical_months]
    form_columns = [CareerPath.from_role_id, CareerPath.to_role_id, CareerPath.kind, CareerPath.typical_months]
    # A step's two roles are what it is; to change them, add another step.
    form_edit_rules = ["kind", "typical_months"]

    def describe(self, row: CareerPath) -> str:
        return f"career path {row.from_role_id} → {row.to_role_id}"

    async def create_row(self, session: AsyncSession, principal: Principal, data: CareerPathCreate) -> CareerPath:
        return await FrameworkService(session).create_path(data)

    async def update_row(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, patch: CareerPathUpdate
    ) -> CareerPath:
        return await FrameworkService(session).update_path(row_id, patch)


class OpportunityAdmin(SkillListView, model=Opportunity):
    """Openings are added as drafts and opened or closed from their page, by the service's rules (an
    opening needs a description and a hiring manager to open; a filled one is final); their skills are
    added, levelled and removed there too (the service's update with the new list). Their visibility is
    set through the API."""

    name, name_plural, icon = N_("Opportunity"), N_("Opportunities"), "fa-solid fa-door-open"
    noun, create_schema, update_schema = "opportunity", OpportunityCreate, OpportunityUpdate
    skill_schema, level_field = OpportunitySkillSet, "level"
    details_template = "console/opportunity_details.html"
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
    column_labels: ClassVar[dict[Any, str]] = {
        "opens_at": "Opens at (UTC)",
        "closes_at": "Closes at (UTC)",
    }
    form_columns = [
        Opportunity.title,
        Opportunity.kind,
        Opportunity.description,
        Opportunity.role_id,
        Opportunity.type_id,
        Opportunity.org_unit_id,
        Opportunity.hiring_manager_id,
        Opportunity.location,
        Opportunity.remote,
        Opportunity.hours_per_week,
        Opportunity.duration_weeks,
        Opportunity.positions,
        Opportunity.level,
        Opportunity.min_level,
        Opportunity.max_level,
        Opportunity.opens_at,
        Opportunity.closes_at,
    ]

    async def create_row(self, session: AsyncSession, principal: Principal, data: OpportunityCreate) -> Any:
        return await OpportunityService(session).create(principal, data)

    async def update_row(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, patch: OpportunityUpdate
    ) -> Any:
        return await OpportunityService(session).update(principal, row_id, patch)

    async def read_skills(self, session: AsyncSession, principal: Principal, row_id: uuid.UUID) -> list[SkillLine]:
        read = await OpportunityService(session).get(principal, row_id)
        return sorted((SkillLine(s.skill_id, s.label, s.level, s.importance) for s in read.skills), key=_by_label)

    def as_set(self, line: SkillLine) -> OpportunitySkillSet:
        return OpportunitySkillSet(line.skill_id, line.level, line.importance or Importance.ESSENTIAL)

    async def replace_skills(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, skills: list[Any]
    ) -> None:
        await OpportunityService(session).update(principal, row_id, OpportunityUpdate(skills=skills))

    @expose("/{pk}/status", methods=["POST"])
    async def change_status(self, request: Request) -> Response:
        """Open or close an opening from its page (POST forms with the CSRF token)."""
        opportunity_id = uuid.UUID(request.path_params["pk"])
        verb = _STATUS_VERBS.get(str((await request.form()).get("status", "")))
        if verb is None:
            raise HTTPException(400, N_("An opening is opened or closed here, nothing else."))
        principal = self.principal(request)
        before: dict[str, Any] = {}

        async def change(session: AsyncSession) -> Any:
            current = await session.get(Opportunity, opportunity_id)
            if current is None:
                raise NotFoundError("There is no such opportunity in this client company.")
            before.update(snapshot(current))
            service = OpportunityService(session)
            await (service.open if verb == "open" else service.close)(principal, opportunity_id)
            return current

        try:
            await self.write_tenant(request, f"opportunity.{verb}", change, target=self.describe, before=before)
        except ConsoleError as exc:
            # The API's status for the same refusal (422 a missing description, 409 a filled opening).
            raise HTTPException(exc.status, str(exc)) from exc
        return RedirectResponse(
            request.url_for("admin:details", identity=self.identity, pk=str(opportunity_id)), status_code=303
        )


_STATUS_VERBS = {OpportunityStatus.OPEN.value: "open", OpportunityStatus.CLOSED.value: "close"}


class ApplicationAdmin(TenantView, model=Application):
    """Applications are confidential: as in the API, whoever but the applicant sees one is audited,
    one entry per application shown (the tenant's own audit log, which its HR reads). A consultant
    moves one through its stages from its page, with HR's rights, by the API's service: the same
    rules, the same refusals with the same status (a move backwards is 409 naming both stages)."""

    name, name_plural, icon = N_("Application"), N_("Applications"), "fa-solid fa-file-signature"
    can_create = can_edit = False
    details_template = "console/application_details.html"
    column_list = [Application.opportunity_id, Application.employee_id, Application.kind, Application.stage]
    column_sortable_list = [Application.stage, Application.stage_changed_at]
    column_filters = [StaticValuesFilter(Application.stage, values=_values(ApplicationStage))]

    async def list(self, request: Request) -> Any:
        page = await super().list(request)
        await self._audit_views(request, page.rows)
        return page

    async def details_context(self, request: Request) -> dict[str, Any]:
        """Its page is audited once per page shown (SQLAdmin reads the row twice for it: to check it may
        be shown, then to show it), once the row was found."""
        context = await super().details_context(request)
        async with self.transaction() as session:
            application = await session.get(Application, uuid.UUID(request.path_params["pk"]))
        if application is not None:
            await self._audit_views(request, [application])
        return context

    async def get_model_objects(self, request: Request, limit: int | None = 0) -> builtins.list[Any]:
        """An export shows every application in it: each is audited as viewed, as in the list."""
        applications = await super().get_model_objects(request, limit)
        await self._audit_views(request, applications)
        return applications

    @expose("/{pk}/stage", methods=["POST"])
    async def move_stage(self, request: Request) -> Response:
        """Move an application (POST form with the CSRF token), as `POST /applications/{id}/stage`."""
        try:
            application_id = uuid.UUID(request.path_params["pk"])
        except ValueError:
            raise HTTPException(404, N_("There is no such application in this client company.")) from None
        form = await request.form()
        principal = self.principal(request)
        before: dict[str, Any] = {}

        async def change(session: AsyncSession) -> Any:
            data = as_schema(
                {name: value for name in StageChange.__struct_fields__ if (value := str(form.get(name, "")).strip())},
                StageChange,
            )
            current = await session.get(Application, application_id)
            if current is None:
                raise NotFoundError("There is no such application in this client company.")
            before.update(snapshot(current))
            await ApplicationService(session).move(principal, application_id, data)
            return current

        try:
            await self.write_tenant(
                request, "application.stage", change, target=lambda a: f"application {a.id}", before=before
            )
        except ConsoleError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        return RedirectResponse(
            request.url_for("admin:details", identity=self.identity, pk=str(application_id)), status_code=303
        )

    async def _audit_views(self, request: Request, applications: Any) -> None:
        principal = self.principal(request)
        async with self.transaction() as session:
            await record_views(
                session,
                principal,
                action="application.viewed",
                object_type="application",
                views=[Viewed(a.employee_id, a.id, {"opportunity_id": str(a.opportunity_id)}) for a in applications],
            )


class ProgrammeAdmin(ServiceEditedView, model=Programme):
    name, name_plural, icon = N_("Mentoring programme"), N_("Mentoring programmes"), "fa-solid fa-people-arrows"
    noun, create_schema, update_schema = "programme", ProgrammeCreate, ProgrammeUpdate
    column_list = [Programme.name, Programme.kind, Programme.status, Programme.starts_on, Programme.ends_on]
    column_searchable_list = [Programme.name]
    column_sortable_list = [Programme.name, Programme.status, Programme.starts_on]
    column_filters = [StaticValuesFilter(Programme.status, values=_values(ProgrammeStatus))]
    form_columns = [
        Programme.name,
        Programme.kind,
        Programme.status,
        Programme.description,
        Programme.goals,
        Programme.starts_on,
        Programme.ends_on,
        Programme.enrolment_opens,
        Programme.enrolment_closes,
        Programme.objective,
        Programme.require_different_department,
        Programme.per_mentee,
    ]

    async def create_row(self, session: AsyncSession, principal: Principal, data: ProgrammeCreate) -> Programme:
        return await ProgrammeService(session).create(principal, data)

    async def update_row(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, patch: ProgrammeUpdate
    ) -> Programme:
        return await ProgrammeService(session).update(principal, row_id, patch)


class PairingAdmin(TenantView, model=Pairing):
    name, name_plural, icon = N_("Pairing"), N_("Pairings"), "fa-solid fa-handshake"
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


class CourseAdmin(SkillListView, model=Course):
    """The catalogue's courses; the skills a course teaches (and the level a learner reaches) are added
    and removed on its page (the service's update with the new list), or come with a CSV import."""

    name, name_plural, icon = N_("Course"), N_("Courses"), "fa-solid fa-book"
    noun, create_schema, update_schema = "course", CourseCreate, CourseUpdate
    skills_heading, level_label, with_importance = "Skills taught", "Level reached", False
    skill_schema, level_field = CourseSkillSet, "level_reached"
    column_list = [Course.title, Course.provider, Course.format, Course.duration_hours, Course.cost, Course.currency]
    column_searchable_list = [Course.title, Course.provider]
    column_sortable_list = [Course.title, Course.duration_hours, Course.cost]
    form_columns = [
        Course.title,
        Course.provider,
        Course.format,
        Course.duration_hours,
        Course.cost,
        Course.currency,
        Course.external_id,
        Course.url,
        Course.description,
    ]

    async def create_row(self, session: AsyncSession, principal: Principal, data: CourseCreate) -> Any:
        return await CourseService(session).create(principal, data)

    async def update_row(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, patch: CourseUpdate
    ) -> Any:
        return await CourseService(session).update(principal, row_id, patch)

    async def read_skills(self, session: AsyncSession, principal: Principal, row_id: uuid.UUID) -> list[SkillLine]:
        read = await CourseService(session).get(row_id)
        return sorted((SkillLine(s.skill_id, s.skill_label, s.level_reached) for s in read.skills), key=_by_label)

    def as_set(self, line: SkillLine) -> CourseSkillSet:
        return CourseSkillSet(line.skill_id, line.level)

    async def replace_skills(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, skills: list[Any]
    ) -> None:
        await CourseService(session).update(principal, row_id, CourseUpdate(skills=skills))


def _by_label(line: SkillLine) -> str:
    return line.label.casefold()


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
