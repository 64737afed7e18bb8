"""Job families, roles and the skills they require, and the career paths between roles.

Changes to roles, their skills and the career paths are recorded as facts in the tenant's change log
(`backend.core.changes`): matching, among others, reads what the framework says."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.core.changes import note_change
from backend.crud import apply, changes, ensure_unique, get_or_404, like_pattern, require_reference
from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.framework.models import CareerPath, JobFamily, Role, RoleSkill, TransitionKind
from backend.framework.schemas import (
    CareerPathCreate,
    CareerPathUpdate,
    JobFamilyCreate,
    JobFamilyUpdate,
    RoleCreate,
    RoleSkillRead,
    RoleSkillSet,
    RoleUpdate,
)
from backend.skills.models import Skill


class FrameworkService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_families(
        self, q: str | None, cursor: str | None, limit: int
    ) -> tuple[Sequence[JobFamily], str | None]:
        query = select(JobFamily)
        if q:
            query = query.where(JobFamily.name.ilike(like_pattern(q)))
        return await paginate(self.session, query, JobFamily.id, cursor, limit)

    async def get_family(self, family_id: uuid.UUID) -> JobFamily:
        return await get_or_404(self.session, JobFamily, family_id, "job family")

    async def create_family(self, data: JobFamilyCreate) -> JobFamily:
        await self._ensure_family_name_free(data.name)
        family = JobFamily(name=data.name.strip(), description=data.description)
        self.session.add(family)
        await self.session.flush()
        return family

    async def update_family(self, family_id: uuid.UUID, patch: JobFamilyUpdate) -> JobFamily:
        family = await self.get_family(family_id)
        values = changes(patch)
        if "name" in values:
            await self._ensure_family_name_free(values["name"], family.id)
        apply(family, values)
        await self.session.flush()
        return family

    async def _ensure_family_name_free(self, name: str, own_id: uuid.UUID | None = None) -> None:
        await ensure_unique(
            self.session,
            JobFamily,
            JobFamily.name == name.strip(),
            own_id,
            f"a job family named {name!r} already exists",
        )

    async def list_roles(
        self, *, job_family_id: uuid.UUID | None, level: int | None, q: str | None, cursor: str | None, limit: int
    ) -> tuple[Sequence[Role], str | None]:
        query = select(Role)
        if job_family_id is not None:
            query = query.where(Role.job_family_id == job_family_id)
        if level is not None:
            query = query.where(Role.level == level)
        if q:
            query = query.where(Role.title.ilike(like_pattern(q)))
        return await paginate(self.session, query, Role.id, cursor, limit)

    async def get_role(self, role_id: uuid.UUID) -> Role:
        return await get_or_404(self.session, Role, role_id, "role")

    async def create_role(self, data: RoleCreate) -> Role:
        await require_reference(self.session, JobFamily, data.job_family_id, "job_family_id")
        await self._ensure_title_free(data.job_family_id, data.title)
        role = Role(
            job_family_id=data.job_family_id, title=data.title.strip(), level=data.level, description=data.description
        )
        self.session.add(role)
        await self.session.flush()
        await note_change(self.session, "role.created")
        return role

    async def update_role(self, role_id: uuid.UUID, patch: RoleUpdate) -> Role:
        role = await self.get_role(role_id)
        values = changes(patch)
        if "job_family_id" in values:
            await require_reference(self.session, JobFamily, values["job_family_id"], "job_family_id")
        if "title" in values or "job_family_id" in values:
            await self._ensure_title_free(
                values.get("job_family_id", role.job_family_id), values.get("title", role.title), role.id
            )
        apply(role, values)
        await self.session.flush()
        await note_change(self.session, "role.changed")
        return role

    async def _ensure_title_free(self, family_id: uuid.UUID, title: str, own_id: uuid.UUID | None = None) -> None:
        await ensure_unique(
            self.session,
            Role,
            (Role.job_family_id == family_id) & (Role.title == title.strip()),
            own_id,
            f"the job family already has a role titled {title!r}",
        )

    async def role_skills(
        self, role_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[list[RoleSkillRead], str | None]:
        """A page of the skills a role requires (a role has one requirement per skill)."""
        await self.get_role(role_id)
        query = select(RoleSkill, Skill.label).join(Skill, Skill.id == RoleSkill.skill_id)
        rows, next_cursor = await paginate(
            self.session, query.where(RoleSkill.role_id == role_id), RoleSkill.skill_id, cursor, limit
        )
        return [
            RoleSkillRead(
                role_id=r.role_id,
                skill_id=r.skill_id,
                skill_label=label,
                target_level=r.target_level,
                importance=r.importance,
            )
            for r, label in rows
        ], next_cursor

    async def set_role_skill(self, role_id: uuid.UUID, skill_id: uuid.UUID, data: RoleSkillSet) -> RoleSkillRead:
        await self.get_role(role_id)
        skill = await get_or_404(self.session, Skill, skill_id, "skill")
        requirement = await self.session.get(RoleSkill, (role_id, skill_id))
        if requirement is None:
            requirement = RoleSkill(role_id=role_id, skill_id=skill_id)
            self.session.add(requirement)
        requirement.target_level = data.target_level
        requirement.importance = data.importance
        await self.session.flush()
        await note_change(self.session, "role_skills.changed")
        return RoleSkillRead(
            role_id=role_id,
            skill_id=skill_id,
            skill_label=skill.label,
            target_level=requirement.target_level,
            importance=requirement.importance,
        )

    async def remove_role_skill(self, role_id: uuid.UUID, skill_id: uuid.UUID) -> None:
        await self.get_role(role_id)
        result = await self.session.execute(
            delete(RoleSkill).where(RoleSkill.role_id == role_id, RoleSkill.skill_id == skill_id)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFoundError(f"role {role_id} does not require skill {skill_id}")
        await note_change(self.session, "role_skills.changed")

    async def list_paths(
        self,
        *,
        from_role_id: uuid.UUID | None,
        to_role_id: uuid.UUID | None,
        kind: TransitionKind | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[Sequence[CareerPath], str | None]:
        query = select(CareerPath)
        for column, value in (
            (CareerPath.from_role_id, from_role_id),
            (CareerPath.to_role_id, to_role_id),
            (CareerPath.kind, kind),
        ):
            if value is not None:
                query = query.where(column == value)
        return await paginate(self.session, query, CareerPath.id, cursor, limit)

    async def get_path(self, path_id: uuid.UUID) -> CareerPath:
        return await get_or_404(self.session, CareerPath, path_id, "career path")

    async def create_path(self, data: CareerPathCreate) -> CareerPath:
        await require_reference(self.session, Role, data.from_role_id, "from_role_id")
        await require_reference(self.session, Role, data.to_role_id, "to_role_id")
        if data.from_role_id == data.to_role_id:
            raise InvalidInputError("to_role_id", "a career path leads to a different role")
        existing = await self.session.scalar(
            select(CareerPath.id).where(
                CareerPath.from_role_id == data.from_role_id, CareerPath.to_role_id == data.to_role_id
            )
        )
        if existing is not None:
            raise ConflictError("a career path between these roles already exists")
        path = CareerPath(
            from_role_id=data.from_role_id,
            to_role_id=data.to_role_id,
            kind=data.kind,
            typical_months=data.typical_months,
        )
        self.session.add(path)
        await self.session.flush()
        await note_change(self.session, "career_paths.changed")
        return path

    async def update_path(self, path_id: uuid.UUID, patch: CareerPathUpdate) -> CareerPath:
        path = await self.get_path(path_id)
        apply(path, changes(patch))
        await self.session.flush()
        await note_change(self.session, "career_paths.changed")
        return path

    async def delete_path(self, path_id: uuid.UUID) -> None:
        path = await self.get_path(path_id)
        await self.session.delete(path)
        await self.session.flush()
        await note_change(self.session, "career_paths.changed")
