"""The tenant's skill library, categories, proficiency names, and employees' skill profiles."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
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

# Who may write (record, supersede, end) a rating of each source on someone's profile. A rating
# belongs to its source: a new rating supersedes only the current one of the same source, so nobody
# overwrites or ends a rating they could not have written. Self and manager ratings stay with people: a
# person rates themselves (self, project, course), a manager their direct reports (manager); a partner
# app (an LMS, an assessment tool) the sources it owns, on anyone's profile; HR any source.
_SELF_SOURCES = frozenset({SkillSource.SELF, SkillSource.PROJECT, SkillSource.COURSE})
_MANAGER_SOURCES = frozenset({SkillSource.MANAGER})
_PARTNER_SOURCES = frozenset({SkillSource.ASSESSMENT, SkillSource.COURSE, SkillSource.PROJECT})
# A course or an assessment is a claim of evidence: written with the evidence (`evidence_url`), or
# by the one who owns that source (a partner app; a recorded course completion).
_EVIDENCED_SOURCES = frozenset({SkillSource.COURSE, SkillSource.ASSESSMENT})


def _owned_sources(principal: Principal) -> frozenset[SkillSource]:
    return _PARTNER_SOURCES if principal.client_id is not None else frozenset()


def _is_self(principal: Principal, employee: Employee) -> bool:
    return principal.client_id is None and principal.employee_id == employee.id


def _is_manager_of(principal: Principal, employee: Employee) -> bool:
    return (
        principal.client_id is None
        and principal.employee_id is not None
        and principal.has_role(UserRole.MANAGER)
        and employee.manager_id == principal.employee_id
    )


def writable_sources(principal: Principal, employee: Employee) -> frozenset[SkillSource]:
    """The sources whose ratings `principal` may write on `employee`'s profile (empty: none)."""
    if principal.is_hr:
        return frozenset(SkillSource)
    if principal.client_id is not None:
        return _PARTNER_SOURCES
    if _is_self(principal, employee):
        return _SELF_SOURCES
    if _is_manager_of(principal, employee):
        return _MANAGER_SOURCES
    return frozenset()


def default_source(principal: Principal, employee: Employee) -> SkillSource | None:
    """The source of a rating written without one: `self` on one's own profile, `manager` on a
    direct report's; None (the caller must say) otherwise."""
    if _is_self(principal, employee):
        return SkillSource.SELF
    if _is_manager_of(principal, employee):
        return SkillSource.MANAGER
    return None


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

    async def _read_page(
        self, query: Select[EmployeeSkill, str, str], cursor: str | None, limit: int
    ) -> tuple[list[EmployeeSkillRead], str | None]:
        rows, next_cursor = await paginate(self.session, query, EmployeeSkill.id, cursor, limit)
        return self._reads(rows), next_cursor

    async def _read(self, query: Select[EmployeeSkill, str, str]) -> list[EmployeeSkillRead]:
        return self._reads(list(await self.session.execute(query)))

    @staticmethod
    def _reads(rows: Sequence[Any]) -> list[EmployeeSkillRead]:
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
                ended_by=row.ended_by,
            )
            for row, label, level_name in rows
        ]

    async def profile(
        self, employee_id: uuid.UUID, at: datetime | None, cursor: str | None, limit: int
    ) -> tuple[list[EmployeeSkillRead], str | None]:
        """A page of an employee's ratings now, or as they stood at `at`: one per skill and source,
        in the order they were recorded."""
        await get_or_404(self.session, Employee, employee_id, "employee")
        query = self._profile_query().where(EmployeeSkill.employee_id == employee_id)
        if at is None:
            query = query.where(EmployeeSkill.valid_to.is_(None))
        else:
            query = query.where(
                EmployeeSkill.valid_from <= at, or_(EmployeeSkill.valid_to.is_(None), EmployeeSkill.valid_to > at)
            )
        return await self._read_page(query, cursor, limit)

    async def history(
        self, employee_id: uuid.UUID, skill_id: uuid.UUID | None, cursor: str | None, limit: int
    ) -> tuple[list[EmployeeSkillRead], str | None]:
        """A page of every version of an employee's ratings (of one skill, with `skill_id`), in the
        order they were recorded."""
        await get_or_404(self.session, Employee, employee_id, "employee")
        query = self._profile_query().where(EmployeeSkill.employee_id == employee_id)
        if skill_id is not None:
            query = query.where(EmployeeSkill.skill_id == skill_id)
        return await self._read_page(query, cursor, limit)

    async def _writable_employee(
        self, principal: Principal, employee_id: uuid.UUID
    ) -> tuple[Employee, frozenset[SkillSource]]:
        """The employee, locked, and the sources whose ratings the caller may write on their profile."""
        # Locking the employee serialises all changes to one profile: two concurrent changes of the
        # same rating would otherwise both find "no current row" and one would fail on the unique index.
        employee = await get_or_404(self.session, Employee, employee_id, "employee", lock=True)
        if not employee.active:
            raise ConflictError("the employee is inactive; their profile is read-only")
        allowed = writable_sources(principal, employee)
        if not allowed:
            raise PermissionDeniedError("only the employee, their manager, HR or a partner app may change this profile")
        return employee, allowed

    async def set_skill(
        self, principal: Principal, employee_id: uuid.UUID, skill_id: uuid.UUID, data: EmployeeSkillSet
    ) -> EmployeeSkillRead:
        """Record the caller's rating of source `data.source` (by default `self` on one's own profile,
        `manager` on a report's). The same level and evidence only re-confirm it; a change supersedes
        that source's current rating, never another source's."""
        employee, allowed = await self._writable_employee(principal, employee_id)
        source = data.source or default_source(principal, employee)
        if source is None:
            raise InvalidInputError("source", "give the rating's source: it is not your own profile or a report's")
        if source not in allowed:
            raise InvalidInputError("source", f"source must be one of {sorted(s.value for s in allowed)} for you")
        if source in _EVIDENCED_SOURCES and data.evidence_url is None and source not in _owned_sources(principal):
            raise InvalidInputError(
                "evidence_url",
                f"a rating of source {source.value} needs evidence_url (the certificate or result), unless the "
                "partner app that owns the source records it",
            )
        return await self._record(
            principal, employee_id, skill_id, source, data.level, data.evidence_url, data.last_confirmed
        )

    async def record_course_result(
        self,
        principal: Principal,
        employee_id: uuid.UUID,
        skill_id: uuid.UUID,
        *,
        level: int,
        evidence_url: str | None,
        completed_on: date,
    ) -> EmployeeSkillRead:
        """A `course` rating from a recorded course completion: the completion of a catalogue course is
        its evidence. The caller must still be one who may write `course` ratings on this profile."""
        _, allowed = await self._writable_employee(principal, employee_id)
        if SkillSource.COURSE not in allowed:
            raise PermissionDeniedError("you may not record course results on this profile")
        return await self._record(
            principal, employee_id, skill_id, SkillSource.COURSE, level, evidence_url, completed_on
        )

    async def _record(
        self,
        principal: Principal,
        employee_id: uuid.UUID,
        skill_id: uuid.UUID,
        source: SkillSource,
        level: int,
        evidence_url: str | None,
        last_confirmed: date | None,
    ) -> EmployeeSkillRead:
        await get_or_404(self.session, Skill, skill_id, "skill")
        confirmed = last_confirmed or date.today()
        if confirmed > date.today():
            raise InvalidInputError("last_confirmed", "last_confirmed cannot be in the future")
        ratings = await self._current(employee_id, skill_id, source)
        current = ratings[0] if ratings else None
        if current is not None and (current.level, current.evidence_url) == (level, evidence_url):
            current.last_confirmed = max(current.last_confirmed, confirmed)
        else:
            # The database's clock, not this host's: validity ranges from several app hosts must line up.
            now = await self.session.scalar(select(func.statement_timestamp()))
            if current is not None:
                _end(current, now, principal)
                await self.session.flush()
            current = EmployeeSkill(
                employee_id=employee_id,
                skill_id=skill_id,
                level=level,
                source=source,
                evidence_url=evidence_url,
                last_confirmed=confirmed,
                recorded_by=principal.subject,
                valid_from=now,
            )
            self.session.add(current)
            await note_change(self.session, "skills.changed")
        await self.session.flush()
        rows = await self._read(self._profile_query().where(EmployeeSkill.id == current.id))
        return rows[0]

    async def remove_skill(
        self, principal: Principal, employee_id: uuid.UUID, skill_id: uuid.UUID, source: SkillSource | None
    ) -> None:
        """End the current rating of `source`, or every current rating of the skill (the caller must
        then be allowed to end each); the history keeps them, with who ended them."""
        _, allowed = await self._writable_employee(principal, employee_id)
        current = await self._current(employee_id, skill_id, source)
        if not current:
            of = f" of source {source.value}" if source is not None else ""
            raise NotFoundError(f"employee {employee_id} has no current rating{of} of skill {skill_id}")
        if refused := sorted({row.source.value for row in current if row.source not in allowed}):
            raise PermissionDeniedError(
                f"you may not end the rating of source {', '.join(refused)}; end only your own with "
                f"?source= (one of {', '.join(sorted(s.value for s in allowed))})"
            )
        now = await self.session.scalar(select(func.statement_timestamp()))
        for row in current:
            _end(row, now, principal)
        await self.session.flush()
        await note_change(self.session, "skills.changed")

    async def _current(
        self, employee_id: uuid.UUID, skill_id: uuid.UUID, source: SkillSource | None
    ) -> list[EmployeeSkill]:
        query = select(EmployeeSkill).where(
            EmployeeSkill.employee_id == employee_id,
            EmployeeSkill.skill_id == skill_id,
            EmployeeSkill.valid_to.is_(None),
        )
        if source is not None:
            query = query.where(EmployeeSkill.source == source)
        return list((await self.session.scalars(query.order_by(EmployeeSkill.source))).all())


def _end(rating: EmployeeSkill, now: datetime | None, principal: Principal) -> None:
    rating.valid_to = now
    rating.ended_by = principal.actor
