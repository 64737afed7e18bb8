from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.fields import EMAIL_PATTERN
from backend.api.pagination import DEFAULT_LIMIT, Page, page_of
from backend.api.params import Cursor, Limit, Moment, Search, parse_moment
from backend.auth.middleware import principal_employee
from backend.auth.portal_sessions import PortalSessions
from backend.auth.principal import Principal, Scope
from backend.crud import to_schema
from backend.org.models import OrgUnitKind
from backend.org.schemas import (
    EmployeeCreate,
    EmployeeRead,
    EmployeeUpdate,
    OrgUnitCreate,
    OrgUnitRead,
    OrgUnitUpdate,
    TeamMemberSkills,
)
from backend.org.service import OrgService
from backend.org.skill_profiles import SkillProfileService
from backend.settings import Settings
from backend.skills.models import SkillSource
from backend.skills.schemas import EmployeeSkillRead, EmployeeSkillSet


class OrgUnitController(Controller):
    path = "/org-units"
    tags = ["Org"]

    @get("/", opt={"scope": Scope.ORG_READ}, summary="List org units")
    async def list_org_units(
        self,
        db: NamedDependency[AsyncSession],
        parent_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[OrgUnitKind | None] = None,
        q: Search = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[OrgUnitRead]:
        items, next_cursor = await OrgService(db).list_units(
            parent_id=parent_id, kind=kind, q=q, cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit, lambda u: to_schema(u, OrgUnitRead))

    @post("/", opt={"scope": Scope.ORG_WRITE}, summary="Create an org unit")
    async def create_org_unit(self, db: NamedDependency[AsyncSession], data: JSONBody[OrgUnitCreate]) -> OrgUnitRead:
        return to_schema(await OrgService(db).create_unit(data), OrgUnitRead)

    @get("/{unit_id:uuid}", opt={"scope": Scope.ORG_READ}, summary="Get an org unit")
    async def get_org_unit(self, db: NamedDependency[AsyncSession], unit_id: FromPath[uuid.UUID]) -> OrgUnitRead:
        return to_schema(await OrgService(db).get_unit(unit_id), OrgUnitRead)

    @patch("/{unit_id:uuid}", opt={"scope": Scope.ORG_WRITE}, summary="Update an org unit")
    async def update_org_unit(
        self, db: NamedDependency[AsyncSession], unit_id: FromPath[uuid.UUID], data: JSONBody[OrgUnitUpdate]
    ) -> OrgUnitRead:
        return to_schema(await OrgService(db).update_unit(unit_id, data), OrgUnitRead)


LookupEmail = Annotated[
    str | None,
    QueryParameter(
        min_length=3,
        max_length=320,
        # The form an employee's email takes (ASCII, one @, a dotted domain): a non-ASCII lookalike of
        # an address is refused, never folded.
        pattern=EMAIL_PATTERN,
        description="The employee with exactly this email (compared regardless of ASCII case).",
    ),
]
LookupExternalId = Annotated[
    str | None,
    QueryParameter(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00]+$",
        description="The employee with exactly this id in the company's system of record.",
    ),
]


WithinUnit = Annotated[
    uuid.UUID | None,
    QueryParameter(
        description="The employees of this org unit and of every unit below it (a department with its teams); "
        "`org_unit_id` keeps to the unit itself.",
    ),
]


class EmployeeController(Controller):
    path = "/employees"
    tags = ["Employees"]

    @get(
        "/",
        opt={"scope": Scope.EMPLOYEES_READ},
        summary="List employees",
        description="`email` or `external_id` looks one person up: a list of at most one, empty if nobody has it. "
        "`manages_people=true` keeps those with an active direct report (who may be an opening's hiring manager).",
    )
    async def list_employees(
        self,
        db: NamedDependency[AsyncSession],
        org_unit_id: FromQuery[uuid.UUID | None] = None,
        within_org_unit_id: WithinUnit = None,
        manager_id: FromQuery[uuid.UUID | None] = None,
        role_id: FromQuery[uuid.UUID | None] = None,
        location: Search = None,
        active: FromQuery[bool | None] = None,
        q: Search = None,
        email: LookupEmail = None,
        external_id: LookupExternalId = None,
        manages_people: FromQuery[bool | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[EmployeeRead]:
        items, next_cursor = await OrgService(db).list_employees(
            email=email,
            external_id=external_id,
            manages_people=manages_people,
            org_unit_id=org_unit_id,
            within_unit=within_org_unit_id,
            manager_id=manager_id,
            role_id=role_id,
            location=location,
            active=active,
            q=q,
            cursor=cursor,
            limit=limit,
        )
        return page_of(items, next_cursor, limit, lambda e: to_schema(e, EmployeeRead))

    @post("/", opt={"scope": Scope.EMPLOYEES_WRITE}, summary="Create an employee")
    async def create_employee(self, db: NamedDependency[AsyncSession], data: JSONBody[EmployeeCreate]) -> EmployeeRead:
        return to_schema(await OrgService(db).create_employee(data), EmployeeRead)

    @get("/{employee_id:uuid}", opt={"scope": Scope.EMPLOYEES_READ}, summary="Get an employee")
    async def get_employee(self, db: NamedDependency[AsyncSession], employee_id: FromPath[uuid.UUID]) -> EmployeeRead:
        return to_schema(await OrgService(db).get_employee(employee_id), EmployeeRead)

    @patch(
        "/{employee_id:uuid}",
        opt={"scope": Scope.EMPLOYEES_WRITE},
        summary="Update an employee",
        description="Set `active` to false when someone leaves: employees are never deleted, history stays.",
    )
    async def update_employee(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        portal_sessions: NamedDependency[PortalSessions],
        employee_id: FromPath[uuid.UUID],
        data: JSONBody[EmployeeUpdate],
    ) -> EmployeeRead:
        employee = await OrgService(db).update_employee(employee_id, data)
        if not employee.active:
            # Someone who left is signed out everywhere at once.
            await portal_sessions.end_for_employees(principal.tenant.id, [employee.id])
        return to_schema(employee, EmployeeRead)


class MeController(Controller):
    path = "/me"
    tags = ["Employees"]

    @get("/", opt={"scope": Scope.EMPLOYEES_READ}, summary="The signed-in employee")
    async def get_me(self, db: NamedDependency[AsyncSession], principal: NamedDependency[Principal]) -> EmployeeRead:
        return to_schema(await OrgService(db).get_employee(principal_employee(principal)), EmployeeRead)

    @get(
        "/team/skills",
        opt={"scope": Scope.SKILLS_READ},
        summary="My team's skills against their roles: a page of my direct reports",
        description="Each active direct report of the signed-in employee (indirect reports are their own "
        "managers' teams), with their level in every skill their role asks for (`met`, `below` by `gap`, "
        "`missing`), the other skills they have (`not_required`), and their ratings last confirmed more than "
        "`SKILL_STALE_DAYS` ago (`stale`). A level is the highest of the person's current ratings. Someone "
        "who manages nobody gets an empty page.",
    )
    async def get_my_team_skills(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[TeamMemberSkills]:
        stale_before = date.today() - timedelta(days=settings.skill_stale_days)
        items, next_cursor = await SkillProfileService(db).team(principal, None, stale_before, cursor, limit)
        return page_of(items, next_cursor, limit)


class EmployeeSkillController(Controller):
    path = "/employees/{employee_id:uuid}/skills"
    tags = ["Skill profiles"]

    @get(
        "/",
        opt={"scope": Scope.SKILLS_READ},
        summary="An employee's current skills, or those at a past moment (`at`)",
    )
    async def list_employee_skills(
        self,
        db: NamedDependency[AsyncSession],
        employee_id: FromPath[uuid.UUID],
        at: Moment = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[EmployeeSkillRead]:
        items, next_cursor = await SkillProfileService(db).profile(employee_id, parse_moment(at, "at"), cursor, limit)
        return page_of(items, next_cursor, limit)

    @get("/history", opt={"scope": Scope.SKILLS_READ}, summary="Every version of an employee's skills")
    async def skill_history(
        self,
        db: NamedDependency[AsyncSession],
        employee_id: FromPath[uuid.UUID],
        skill_id: FromQuery[uuid.UUID | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[EmployeeSkillRead]:
        items, next_cursor = await SkillProfileService(db).history(employee_id, skill_id, cursor, limit)
        return page_of(items, next_cursor, limit)

    @put(
        "/{skill_id:uuid}",
        opt={"scope": Scope.SKILLS_WRITE},
        summary="Record or re-confirm one source's rating of an employee's skill",
        description="Each source (self, manager, assessment, ...) keeps its own rating. The same level and "
        "evidence only moves `last_confirmed`; a change closes that source's current rating (recording who "
        "ended it) and opens a new one, never touching another source's. Employees rate themselves (self, "
        "project, course; `source` defaults to self), managers their direct reports (manager, the default), "
        "partner apps anyone (assessment, course, project), HR any source. `course` and `assessment` need "
        "`evidence_url` unless a partner app writes them.",
    )
    async def set_employee_skill(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        employee_id: FromPath[uuid.UUID],
        skill_id: FromPath[uuid.UUID],
        data: JSONBody[EmployeeSkillSet],
    ) -> EmployeeSkillRead:
        return await SkillProfileService(db).set_skill(principal, employee_id, skill_id, data)

    @delete(
        "/{skill_id:uuid}",
        opt={"scope": Scope.SKILLS_WRITE},
        summary="End an employee's rating of a skill (kept in history, with who ended it)",
        description="With `source`, ends that source's current rating; without, every current rating of the "
        "skill, which needs the right to end each. Nobody ends a rating of a source they may not write (403).",
    )
    async def remove_employee_skill(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        employee_id: FromPath[uuid.UUID],
        skill_id: FromPath[uuid.UUID],
        source: FromQuery[SkillSource | None] = None,
    ) -> None:
        await SkillProfileService(db).remove_skill(principal, employee_id, skill_id, source)
