from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import DEFAULT_LIMIT, Page, page_of
from backend.api.params import Cursor, Limit, Search
from backend.auth.principal import Scope
from backend.crud import to_schema
from backend.framework.models import TransitionKind
from backend.framework.schemas import (
    CareerPathCreate,
    CareerPathRead,
    CareerPathUpdate,
    JobFamilyCreate,
    JobFamilyRead,
    JobFamilyUpdate,
    RoleCreate,
    RoleRead,
    RoleSkillRead,
    RoleSkillSet,
    RoleUpdate,
)
from backend.framework.service import FrameworkService

RoleLevelFilter = Annotated[int | None, QueryParameter(ge=1, le=10)]


class JobFamilyController(Controller):
    path = "/job-families"
    tags = ["Role framework"]

    @get("/", opt={"scope": Scope.ROLES_READ}, summary="List job families")
    async def list_families(
        self, db: NamedDependency[AsyncSession], q: Search = None, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[JobFamilyRead]:
        items, next_cursor = await FrameworkService(db).list_families(q, cursor, limit)
        return page_of(items, next_cursor, limit, lambda f: to_schema(f, JobFamilyRead))

    @post("/", opt={"scope": Scope.ROLES_WRITE}, summary="Create a job family")
    async def create_family(self, db: NamedDependency[AsyncSession], data: JSONBody[JobFamilyCreate]) -> JobFamilyRead:
        return to_schema(await FrameworkService(db).create_family(data), JobFamilyRead)

    @get("/{family_id:uuid}", opt={"scope": Scope.ROLES_READ}, summary="Get a job family")
    async def get_family(self, db: NamedDependency[AsyncSession], family_id: FromPath[uuid.UUID]) -> JobFamilyRead:
        return to_schema(await FrameworkService(db).get_family(family_id), JobFamilyRead)

    @patch("/{family_id:uuid}", opt={"scope": Scope.ROLES_WRITE}, summary="Update a job family")
    async def update_family(
        self, db: NamedDependency[AsyncSession], family_id: FromPath[uuid.UUID], data: JSONBody[JobFamilyUpdate]
    ) -> JobFamilyRead:
        return to_schema(await FrameworkService(db).update_family(family_id, data), JobFamilyRead)


class RoleController(Controller):
    path = "/roles"
    tags = ["Role framework"]

    @get("/", opt={"scope": Scope.ROLES_READ}, summary="List roles")
    async def list_roles(
        self,
        db: NamedDependency[AsyncSession],
        job_family_id: FromQuery[uuid.UUID | None] = None,
        level: RoleLevelFilter = None,
        q: Search = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[RoleRead]:
        items, next_cursor = await FrameworkService(db).list_roles(
            job_family_id=job_family_id, level=level, q=q, cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit, lambda r: to_schema(r, RoleRead))

    @post("/", opt={"scope": Scope.ROLES_WRITE}, summary="Create a role")
    async def create_role(self, db: NamedDependency[AsyncSession], data: JSONBody[RoleCreate]) -> RoleRead:
        return to_schema(await FrameworkService(db).create_role(data), RoleRead)

    @get("/{role_id:uuid}", opt={"scope": Scope.ROLES_READ}, summary="Get a role")
    async def get_role(self, db: NamedDependency[AsyncSession], role_id: FromPath[uuid.UUID]) -> RoleRead:
        return to_schema(await FrameworkService(db).get_role(role_id), RoleRead)

    @patch("/{role_id:uuid}", opt={"scope": Scope.ROLES_WRITE}, summary="Update a role")
    async def update_role(
        self, db: NamedDependency[AsyncSession], role_id: FromPath[uuid.UUID], data: JSONBody[RoleUpdate]
    ) -> RoleRead:
        return to_schema(await FrameworkService(db).update_role(role_id, data), RoleRead)

    @get("/{role_id:uuid}/skills", opt={"scope": Scope.ROLES_READ}, summary="The skills a role requires")
    async def list_role_skills(
        self,
        db: NamedDependency[AsyncSession],
        role_id: FromPath[uuid.UUID],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[RoleSkillRead]:
        items, next_cursor = await FrameworkService(db).role_skills(role_id, cursor, limit)
        return page_of(items, next_cursor, limit)

    @put(
        "/{role_id:uuid}/skills/{skill_id:uuid}",
        opt={"scope": Scope.ROLES_WRITE},
        summary="Require a skill for a role (or change the requirement)",
    )
    async def set_role_skill(
        self,
        db: NamedDependency[AsyncSession],
        role_id: FromPath[uuid.UUID],
        skill_id: FromPath[uuid.UUID],
        data: JSONBody[RoleSkillSet],
    ) -> RoleSkillRead:
        return await FrameworkService(db).set_role_skill(role_id, skill_id, data)

    @delete("/{role_id:uuid}/skills/{skill_id:uuid}", opt={"scope": Scope.ROLES_WRITE}, summary="Drop a requirement")
    async def remove_role_skill(
        self, db: NamedDependency[AsyncSession], role_id: FromPath[uuid.UUID], skill_id: FromPath[uuid.UUID]
    ) -> None:
        await FrameworkService(db).remove_role_skill(role_id, skill_id)


class CareerPathController(Controller):
    path = "/career-paths"
    tags = ["Role framework"]

    @get("/", opt={"scope": Scope.ROLES_READ}, summary="List career path steps (role-to-role moves)")
    async def list_paths(
        self,
        db: NamedDependency[AsyncSession],
        from_role_id: FromQuery[uuid.UUID | None] = None,
        to_role_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[TransitionKind | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[CareerPathRead]:
        items, next_cursor = await FrameworkService(db).list_paths(
            from_role_id=from_role_id, to_role_id=to_role_id, kind=kind, cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit, lambda p: to_schema(p, CareerPathRead))

    @post("/", opt={"scope": Scope.ROLES_WRITE}, summary="Create a career path step")
    async def create_path(self, db: NamedDependency[AsyncSession], data: JSONBody[CareerPathCreate]) -> CareerPathRead:
        return to_schema(await FrameworkService(db).create_path(data), CareerPathRead)

    @get("/{path_id:uuid}", opt={"scope": Scope.ROLES_READ}, summary="Get a career path step")
    async def get_path(self, db: NamedDependency[AsyncSession], path_id: FromPath[uuid.UUID]) -> CareerPathRead:
        return to_schema(await FrameworkService(db).get_path(path_id), CareerPathRead)

    @patch("/{path_id:uuid}", opt={"scope": Scope.ROLES_WRITE}, summary="Update a career path step")
    async def update_path(
        self, db: NamedDependency[AsyncSession], path_id: FromPath[uuid.UUID], data: JSONBody[CareerPathUpdate]
    ) -> CareerPathRead:
        return to_schema(await FrameworkService(db).update_path(path_id, data), CareerPathRead)

    @delete("/{path_id:uuid}", opt={"scope": Scope.ROLES_WRITE}, summary="Delete a career path step")
    async def delete_path(self, db: NamedDependency[AsyncSession], path_id: FromPath[uuid.UUID]) -> None:
        await FrameworkService(db).delete_path(path_id)
