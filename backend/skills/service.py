"""The tenant's skill library, its categories and proficiency names (employees' ratings of these
skills are written by backend/org/skill_profiles.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.crud import apply, changes, ensure_unique, get_or_404, like_pattern, require_reference
from backend.errors import ConflictError, InvalidInputError
from backend.skills.catalog import search_catalog
from backend.skills.models import (
    CatalogConcept,
    CatalogKind,
    ProficiencyLevel,
    Skill,
    SkillCategory,
)
from backend.skills.schemas import (
    ProficiencyLevelUpdate,
    SkillCategoryCreate,
    SkillCategoryUpdate,
    SkillCreate,
    SkillUpdate,
)


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
