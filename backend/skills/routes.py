from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, KwargDefinition, PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import DEFAULT_LIMIT, Page, page_of
from backend.api.params import Cursor, Limit, Moment, Search, parse_moment
from backend.auth.principal import Principal, Scope
from backend.crud import to_schema
from backend.skills.models import CatalogKind, SkillSource
from backend.skills.schemas import (
    CatalogConceptRead,
    EmployeeSkillRead,
    EmployeeSkillSet,
    ProficiencyLevelRead,
    ProficiencyLevelUpdate,
    SkillCategoryCreate,
    SkillCategoryRead,
    SkillCategoryUpdate,
    SkillCreate,
    SkillRead,
    SkillUpdate,
)
from backend.skills.service import SkillService

ProficiencyPath = Annotated[int, PathParameter(ge=1, le=5)]


class CatalogController(Controller):
    path = "/catalog/concepts"
    tags = ["Skills catalogue"]

    @get(
        "/",
        opt={"scope": Scope.TAXONOMY_READ},
        summary="Search or browse the global ESCO catalogue",
        description="With `q`: the best matches on label and alternative labels, most relevant first "
        "(one page, no cursor). Without: every concept in a stable order, cursor-paginated.",
    )
    async def list_concepts(
        self,
        db: NamedDependency[AsyncSession],
        q: Search = None,
        kind: FromQuery[CatalogKind | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[CatalogConceptRead]:
        items, next_cursor = await SkillService(db).browse_catalog(q=q, kind=kind, cursor=cursor, limit=limit)
        return page_of(items, next_cursor, limit, lambda c: to_schema(c, CatalogConceptRead))

    @get("/{concept_id:uuid}", opt={"scope": Scope.TAXONOMY_READ}, summary="Get a catalogue concept")
    async def get_concept(
        self, db: NamedDependency[AsyncSession], concept_id: FromPath[uuid.UUID]
    ) -> CatalogConceptRead:
        return to_schema(await SkillService(db).get_concept(concept_id), CatalogConceptRead)


class SkillCategoryController(Controller):
    path = "/skill-categories"
    tags = ["Skills"]

    @get("/", opt={"scope": Scope.TAXONOMY_READ}, summary="List skill categories")
    async def list_categories(
        self, db: NamedDependency[AsyncSession], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[SkillCategoryRead]:
        items, next_cursor = await SkillService(db).list_categories(cursor, limit)
        return page_of(items, next_cursor, limit, lambda c: to_schema(c, SkillCategoryRead))

    @post("/", opt={"scope": Scope.TAXONOMY_WRITE}, summary="Create a skill category")
    async def create_category(
        self, db: NamedDependency[AsyncSession], data: JSONBody[SkillCategoryCreate]
    ) -> SkillCategoryRead:
        return to_schema(await SkillService(db).create_category(data), SkillCategoryRead)

    @patch("/{category_id:uuid}", opt={"scope": Scope.TAXONOMY_WRITE}, summary="Update a skill category")
    async def update_category(
        self, db: NamedDependency[AsyncSession], category_id: FromPath[uuid.UUID], data: JSONBody[SkillCategoryUpdate]
    ) -> SkillCategoryRead:
        return to_schema(await SkillService(db).update_category(category_id, data), SkillCategoryRead)


class SkillController(Controller):
    path = "/skills"
    tags = ["Skills"]

    @get("/", opt={"scope": Scope.TAXONOMY_READ}, summary="List or search the tenant's skill library")
    async def list_skills(
        self,
        db: NamedDependency[AsyncSession],
        q: Search = None,
        category_id: FromQuery[uuid.UUID | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[SkillRead]:
        items, next_cursor = await SkillService(db).list_skills(
            q=q, category_id=category_id, cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit, lambda s: to_schema(s, SkillRead))

    @post(
        "/",
        opt={"scope": Scope.TAXONOMY_WRITE},
        summary="Add a skill to the library",
        description="Adopt a catalogue skill with `catalog_uri`, or define the tenant's own with `label`.",
    )
    async def create_skill(
        self, db: NamedDependency[AsyncSession], data: JSONBody[SkillCreate] = SkillCreate()
    ) -> SkillRead:
        return to_schema(await SkillService(db).create_skill(data), SkillRead)

    @get("/{skill_id:uuid}", opt={"scope": Scope.TAXONOMY_READ}, summary="Get a skill")
    async def get_skill(self, db: NamedDependency[AsyncSession], skill_id: FromPath[uuid.UUID]) -> SkillRead:
        return to_schema(await SkillService(db).get_skill(skill_id), SkillRead)

    @patch("/{skill_id:uuid}", opt={"scope": Scope.TAXONOMY_WRITE}, summary="Update a skill")
    async def update_skill(
        self, db: NamedDependency[AsyncSession], skill_id: FromPath[uuid.UUID], data: JSONBody[SkillUpdate]
    ) -> SkillRead:
        return to_schema(await SkillService(db).update_skill(skill_id, data), SkillRead)


# The scale is levels 1 to 5, no more (a check constraint): a list bounded by construction, declared
# as such (`maxItems`), not a page.
ProficiencyScale = Annotated[list[ProficiencyLevelRead], KwargDefinition(max_items=5)]


class ProficiencyController(Controller):
    path = "/proficiency-levels"
    tags = ["Skills"]

    @get("/", opt={"scope": Scope.TAXONOMY_READ}, summary="The proficiency scale, 1 to 5")
    async def list_levels(self, db: NamedDependency[AsyncSession]) -> ProficiencyScale:
        return [to_schema(row, ProficiencyLevelRead) for row in await SkillService(db).proficiency_levels()]

    @put("/{level:int}", opt={"scope": Scope.TAXONOMY_WRITE}, summary="Rename a proficiency level")
    async def rename_level(
        self, db: NamedDependency[AsyncSession], level: ProficiencyPath, data: JSONBody[ProficiencyLevelUpdate]
    ) -> ProficiencyLevelRead:
        return to_schema(await SkillService(db).rename_level(level, data), ProficiencyLevelRead)


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
        items, next_cursor = await SkillService(db).profile(employee_id, parse_moment(at, "at"), cursor, limit)
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
        items, next_cursor = await SkillService(db).history(employee_id, skill_id, cursor, limit)
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
        return await SkillService(db).set_skill(principal, employee_id, skill_id, data)

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
        await SkillService(db).remove_skill(principal, employee_id, skill_id, source)
