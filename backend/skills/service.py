"""The tenant's skill library, categories, proficiency names, and employees' skill profiles."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.auth.principal import Principal, UserRole
from backend.crud import apply, changes, ensure_unique, get_or_404, like_pattern, require_reference
from backend.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from backend.matching.refresh import note_change
from backend.org.models import Employee
from backend.skills.catalog import search_catalog
from backend.skills.models import (
    CatalogConcept,
    CatalogKind,
    EmployeeSkill,
    ProficiencyLevel,
    Skill,
    SkillCategory,
    SkillSource,
)
from backend.skills.schemas import (
    EmployeeSkillRead,
    EmployeeSkillSet,
    ProficiencyLevelUpdate,
    SkillCategoryCreate,
    SkillCategoryUpdate,
    SkillCreate,
    SkillUpdate,
)

# What a person may record about themselves, and what a manager records about a report; HR and
# assessment systems record any source.
_SELF_SOURCES = frozenset({SkillSource.SELF, SkillSource.PROJECT, SkillSource.COURSE})
_MANAGER_SOURCES = frozenset({SkillSource.MANAGER})
# A partner app (an LMS, an assessment tool) records what it has evidence of, on anyone's profile.
_PARTNER_SOURCES = frozenset({SkillSource.ASSESSMENT, SkillSource.COURSE, SkillSource.PROJECT})


def clean_labels(labels: list[str]) -> list[str]:
    """Alternative labels trimmed, without blanks or repeats, each a label's length at most."""
    cleaned: list[str] = []
    for raw in labels:
        label = raw.replace("\x00", "").strip()
        if len(label) > 300:
            raise InvalidInputError("alt_labels", "an alternative label is longer than 300 characters")
        if label and label.lower() not in {c.lower() for c in cleaned}:
            cleaned.append(label)
    return cleaned


class SkillService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # The global catalogue -------------------------------------------------------------------

    async def browse_catalog(
        self, *, q: str | None, kind: CatalogKind | None, cursor: str | None, limit: int
    ) -> tuple[Sequence[CatalogConcept], str | None]:
        if q:
            # Ranked by relevance, so one page of the best matches and no cursor.
            return await search_catalog(self.session, q, kind, limit), None
        query = select(CatalogConcept)
        if kind is not None:
            query = query.where(CatalogConcept.kind == kind)
        return await paginate(self.session, query, CatalogConcept.id, cursor, limit)

    async def get_concept(self, concept_id: uuid.UUID) -> CatalogConcept:
        return await get_or_404(self.session, CatalogConcept, concept_id, "catalogue concept")

    # Categories ------------------------------------------------------------------------------

    async def list_categories(self, cursor: str | None, limit: int) -> tuple[Sequence[SkillCategory], str | None]:
        return await paginate(self.session, select(SkillCategory), SkillCategory.id, cursor, limit)

    async def create_category(self, data: SkillCategoryCreate) -> SkillCategory:
        await self._ensure_category_name_free(data.name)
        category = SkillCategory(name=data.name.strip(), description=data.description)
        self.session.add(category)
        await self.session.flush()
        return category

    async def update_category(self, category_id: uuid.UUID, patch: SkillCategoryUpdate) -> SkillCategory:
        category = await get_or_404(self.session, SkillCategory, category_id, "skill category")
        values = changes(patch)
        if "name" in values:
            await self._ensure_category_name_free(values["name"], category.id)
        apply(category, values)
        await self.session.flush()
        return category

    async def _ensure_category_name_free(self, name: str, own_id: uuid.UUID | None = None) -> None:
        await ensure_unique(
            self.session,
            SkillCategory,
            SkillCategory.name == name.strip(),
            own_id,
            f"a skill category named {name!r} already exists",
        )

    # The skill library -----------------------------------------------------------------------

    async def list_skills(
        self, *, q: str | None, category_id: uuid.UUID | None, cursor: str | None, limit: int
    ) -> tuple[Sequence[Skill], str | None]:
        query = select(Skill)
        if category_id is not None:
            query = query.where(Skill.category_id == category_id)
        if q:
            pattern = like_pattern(q)
            query = query.where(
                or_(Skill.label.ilike(pattern), func.array_to_string(Skill.alt_labels, " | ").ilike(pattern))
            )
        return await paginate(self.session, query, Skill.id, cursor, limit)

    async def get_skill(self, skill_id: uuid.UUID) -> Skill:
        return await get_or_404(self.session, Skill, skill_id, "skill")

    async def create_skill(self, data: SkillCreate) -> Skill:
        await require_reference(self.session, SkillCategory, data.category_id, "category_id")
        if data.catalog_uri is not None:
            concept = await self.session.scalar(
                select(CatalogConcept).where(
                    CatalogConcept.uri == data.catalog_uri, CatalogConcept.kind == CatalogKind.SKILL
                )
            )
            if concept is None:
                raise InvalidInputError("catalog_uri", f"no catalogue skill has the URI {data.catalog_uri}")
            if await self.session.scalar(select(Skill.id).where(Skill.catalog_uri == concept.uri)):
                raise ConflictError(f"the skill {concept.uri} is already in the library")
            skill = Skill(
                label=(data.label or concept.label).strip(),
                alt_labels=clean_labels(data.alt_labels) if data.alt_labels is not None else list(concept.alt_labels),
                description=data.description if data.description is not None else concept.description,
                category_id=data.category_id,
                catalog_uri=concept.uri,
            )
        elif data.label is not None:
            skill = Skill(
                label=data.label.strip(),
                alt_labels=clean_labels(data.alt_labels or []),
                description=data.description,
                category_id=data.category_id,
            )
        else:
            raise InvalidInputError("label", "give either catalog_uri (to adopt) or label (to define a skill)")
        await self._ensure_label_free(skill.label)
        self.session.add(skill)
        await self.session.flush()
        return skill

    async def update_skill(self, skill_id: uuid.UUID, patch: SkillUpdate) -> Skill:
        skill = await self.get_skill(skill_id)
        values = changes(patch)
        if "category_id" in values:
            await require_reference(self.session, SkillCategory, values["category_id"], "category_id")
        if "alt_labels" in values:
            values["alt_labels"] = clean_labels(values["alt_labels"])
        if "label" in values:
            values["label"] = values["label"].strip()
            await self._ensure_label_free(values["label"], skill.id)
        apply(skill, values)
        await self.session.flush()
        return skill

    async def _ensure_label_free(self, label: str, own_id: uuid.UUID | None = None) -> None:
        await ensure_unique(
            self.session,
            Skill,
            func.lower(Skill.label) == label.lower(),
            own_id,
            f"a skill labelled {label!r} is already in the library",
        )

    # Proficiency names -----------------------------------------------------------------------

    async def proficiency_levels(self) -> Sequence[ProficiencyLevel]:
        return (await self.session.scalars(select(ProficiencyLevel).order_by(ProficiencyLevel.level))).all()

    async def rename_level(self, level: int, data: ProficiencyLevelUpdate) -> ProficiencyLevel:
        row = await get_or_404(self.session, ProficiencyLevel, level, "proficiency level")
        row.name = data.name.strip()
        row.description = data.description
        await self.session.flush()
        return row

    # Employee profiles -----------------------------------------------------------------------

    def _profile_query(self) -> Select[EmployeeSkill, str, str]:
        return (
            select(EmployeeSkill, Skill.label, ProficiencyLevel.name)
            .join(Skill, Skill.id == EmployeeSkill.skill_id)
            .join(ProficiencyLevel, ProficiencyLevel.level == EmployeeSkill.level)
        )

    async def _read(self, query: Select[EmployeeSkill, str, str]) -> list[EmployeeSkillRead]:
        return [
            EmployeeSkillRead(
                id=row.id,
                employee_id=row.employee_id,
                skill_id=row.skill_id,
                skill_label=label,
                level=row.level,
                level_name=level_name,
                source=row.source,
                evidence_url=row.evidence_url,
                last_confirmed=row.last_confirmed,
                recorded_by=row.recorded_by,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
            )
            for row, label, level_name in await self.session.execute(query)
        ]

    async def profile(self, employee_id: uuid.UUID, at: datetime | None = None) -> list[EmployeeSkillRead]:
        """An employee's skills now, or as they stood at `at`."""
        await get_or_404(self.session, Employee, employee_id, "employee")
        query = self._profile_query().where(EmployeeSkill.employee_id == employee_id)
        if at is None:
            query = query.where(EmployeeSkill.valid_to.is_(None))
        else:
            query = query.where(
                EmployeeSkill.valid_from <= at, or_(EmployeeSkill.valid_to.is_(None), EmployeeSkill.valid_to > at)
            )
        return await self._read(query.order_by(Skill.label))

    async def history(self, employee_id: uuid.UUID, skill_id: uuid.UUID | None) -> list[EmployeeSkillRead]:
        await get_or_404(self.session, Employee, employee_id, "employee")
        query = self._profile_query().where(EmployeeSkill.employee_id == employee_id)
        if skill_id is not None:
            query = query.where(EmployeeSkill.skill_id == skill_id)
        return await self._read(query.order_by(Skill.label, EmployeeSkill.valid_from))

    async def _writable_employee(
        self, principal: Principal, employee_id: uuid.UUID, source: SkillSource | None
    ) -> Employee:
        # Locking the employee serialises all changes to one profile: two concurrent changes of the
        # same skill would otherwise both find "no current row" and one would fail on the unique index.
        employee = await self.session.get(Employee, employee_id, with_for_update=True)
        if employee is None:
            raise NotFoundError(f"employee {employee_id} does not exist")
        if not employee.active:
            raise ConflictError("the employee is inactive; their profile is read-only")
        if principal.is_hr:
            return employee
        if principal.client_id is not None:
            allowed = _PARTNER_SOURCES
        elif principal.employee_id == employee.id:
            allowed = _SELF_SOURCES
        elif (
            principal.has_role(UserRole.MANAGER)
            and employee.manager_id == principal.employee_id
            and principal.employee_id
        ):
            allowed = _MANAGER_SOURCES
        else:
            raise PermissionDeniedError("only the employee, their manager or HR may change this profile")
        if source is not None and source not in allowed:
            raise InvalidInputError("source", f"source must be one of {sorted(s.value for s in allowed)} for you")
        return employee

    async def set_skill(
        self, principal: Principal, employee_id: uuid.UUID, skill_id: uuid.UUID, data: EmployeeSkillSet
    ) -> EmployeeSkillRead:
        """Record a level. An unchanged level only re-confirms it; a change starts a new version."""
        await self._writable_employee(principal, employee_id, data.source)
        await get_or_404(self.session, Skill, skill_id, "skill")
        confirmed = data.last_confirmed or date.today()
        if confirmed > date.today():
            raise InvalidInputError("last_confirmed", "last_confirmed cannot be in the future")
        current = await self._current(employee_id, skill_id)
        if current is not None and (current.level, current.source, current.evidence_url) == (
            data.level,
            data.source,
            data.evidence_url,
        ):
            current.last_confirmed = max(current.last_confirmed, confirmed)
        else:
            # The database's clock, not this host's: validity ranges from several app hosts must line up.
            now = await self.session.scalar(select(func.statement_timestamp()))
            if current is not None:
                current.valid_to = now
                await self.session.flush()
            current = EmployeeSkill(
                employee_id=employee_id,
                skill_id=skill_id,
                level=data.level,
                source=data.source,
                evidence_url=data.evidence_url,
                last_confirmed=confirmed,
                recorded_by=principal.subject,
                valid_from=now,
            )
            self.session.add(current)
            await note_change(self.session, "skills.changed")
        await self.session.flush()
        rows = await self._read(self._profile_query().where(EmployeeSkill.id == current.id))
        return rows[0]

    async def remove_skill(self, principal: Principal, employee_id: uuid.UUID, skill_id: uuid.UUID) -> None:
        """End the current version; the history keeps it."""
        await self._writable_employee(principal, employee_id, None)
        current = await self._current(employee_id, skill_id)
        if current is None:
            raise NotFoundError(f"employee {employee_id} has no current skill {skill_id}")
        current.valid_to = await self.session.scalar(select(func.statement_timestamp()))
        await self.session.flush()
        await note_change(self.session, "skills.changed")

    async def _current(self, employee_id: uuid.UUID, skill_id: uuid.UUID) -> EmployeeSkill | None:
        query = select(EmployeeSkill).where(
            and_(
                EmployeeSkill.employee_id == employee_id,
                EmployeeSkill.skill_id == skill_id,
                EmployeeSkill.valid_to.is_(None),
            )
        )
        return await self.session.scalar(query)
