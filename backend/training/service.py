"""Training: the tenant's course catalogue (edited by HR, importable from CSV), course completions that
raise skill levels, and training plans: for each employee and target role, the cheapest set of courses
that closes the gap, with the reason for each course (the algorithm is `backend.training.recommend`).

Who may do what:
- everyone with training:read lists and reads the catalogue; only HR edits it, imports it and asks for
  a recompute of every plan;
- a plan names a target role, which is an aspiration: the employee sees their own plans; anyone else
  sees them only if they may see the employee's aspirations (`backend.aspirations.service.may_see`:
  HR unless the search is hidden, hiring managers outside the reporting line when the employee chose
  so), plus the plans they asked for themselves. Partner apps see none (they may never read
  aspirations);
- course completions are recorded by the employee, HR or a partner app (an LMS).
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import (
    FromClause,
    Select,
    Uuid,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.aspirations.models import Aspiration, AspirationRole, OpenToMove
from backend.aspirations.service import may_see
from backend.auth.principal import Principal, require_hr
from backend.core.jobs.enqueue import Progress, enqueue_for
from backend.core.jobs.models import Job
from backend.crud import ancestors, changes, get_or_404, like_pattern, lock_hierarchy, require_reference
from backend.errors import ConflictError, DomainError, InvalidInputError, NotFoundError, PermissionDeniedError
from backend.framework.models import Importance, Role, RoleSkill
from backend.org.models import Employee
from backend.skills.models import EmployeeSkill, Skill, current_levels
from backend.skills.service import SkillService
from backend.training.models import (
    Course,
    CourseCompletion,
    CourseFormat,
    CourseSkill,
    PlanOrigin,
    TrainingPlan,
    TrainingPlanCourse,
)
from backend.training.recommend import (
    MAX_GAP_SKILLS,
    Catalog,
    Plan,
    cheapest_cover,
    course_masks,
    explain,
    gap_mask,
)
from backend.training.recommend import Role as RoleRequirements
from backend.training.schemas import (
    ClosedGapRead,
    CourseCompletionCreate,
    CourseCompletionRead,
    CourseCreate,
    CourseRead,
    CourseSkillRead,
    CourseSkillSet,
    CourseUpdate,
    GapRead,
    ImportReport,
    PlanCourseRead,
    SkillRaise,
    TrainingPlanRead,
)
from tenants.base import new_id
from tenants.locks import lock_tenant

T = TypeVar("T")

# A catalogue import: at most this many data rows (the route also caps the body at MAX_IMPORT_BYTES).
MAX_IMPORT_ROWS = 10_000
MAX_IMPORT_BYTES = 5_000_000
# How many row errors a refused import lists (the count says how many there were in all).
MAX_REPORTED_ERRORS = 200
# A role's skills beyond this many (the least important) are left out of plans: the gap is a bit mask.
MAX_ROLE_SKILLS = 62
_INSERT_CHUNK = 5_000
_IMPORTANCE_RANK = {Importance.ESSENTIAL: 0, Importance.IMPORTANT: 1, Importance.NICE_TO_HAVE: 2}
_PLANS_LOCK = "training_plans"


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


async def _ensure_one_currency(session: AsyncSession) -> None:
    """Plans add up and compare course costs, so every active course is priced in one currency."""
    currencies = (
        await session.scalars(select(Course.currency).where(Course.active).distinct().order_by(Course.currency))
    ).all()
    if len(currencies) > 1:
        raise InvalidInputError(
            "currency",
            "the active catalogue would mix currencies (" + ", ".join(currencies) + "); plans compare and add up "
            "course costs, so every active course must be priced in one currency",
        )


# The catalogue ----------------------------------------------------------------------------------


class CourseService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def search(
        self,
        *,
        q: str | None,
        skill_id: uuid.UUID | None,
        format: CourseFormat | None,
        include_inactive: bool,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[CourseRead], str | None]:
        query = select(Course)
        if not include_inactive:
            query = query.where(Course.active)
        if format is not None:
            query = query.where(Course.format == format)
        if skill_id is not None:
            query = query.where(exists().where(CourseSkill.course_id == Course.id, CourseSkill.skill_id == skill_id))
        if q:
            pattern = like_pattern(q)
            query = query.where(or_(Course.title.ilike(pattern), Course.provider.ilike(pattern)))
        courses, next_cursor = await paginate(self.session, query, Course.id, cursor, limit)
        return await self._reads(courses), next_cursor

    async def get(self, course_id: uuid.UUID) -> CourseRead:
        course = await get_or_404(self.session, Course, course_id, "course")
        return (await self._reads([course]))[0]

    async def create(self, principal: Principal, data: CourseCreate) -> CourseRead:
        require_hr(principal, "edit the course catalogue")
        await self._ensure_key_free(data.provider.strip(), data.external_id)
        await self._check_skills(data.skills)
        course = Course(
            title=data.title.strip(),
            provider=data.provider.strip(),
            external_id=data.external_id.strip() if data.external_id else None,
            description=data.description,
            url=data.url,
            duration_hours=_money(data.duration_hours),
            cost=_money(data.cost),
            currency=data.currency,
            format=data.format,
        )
        self.session.add(course)
        await self.session.flush()
        await self._replace_skills(course.id, data.skills)
        await _ensure_one_currency(self.session)
        return await self.get(course.id)

    async def update(self, principal: Principal, course_id: uuid.UUID, patch: CourseUpdate) -> CourseRead:
        require_hr(principal, "edit the course catalogue")
        course = await self.session.get(Course, course_id, with_for_update=True)
        if course is None:
            raise NotFoundError(f"course {course_id} does not exist")
        values = changes(patch)
        skills = values.pop("skills", None)
        for name in ("title", "provider", "external_id"):
            if isinstance(values.get(name), str):
                values[name] = values[name].strip()
        for name in ("cost", "duration_hours"):
            if name in values:
                values[name] = _money(values[name])
        if "provider" in values or "external_id" in values:
            await self._ensure_key_free(
                values.get("provider", course.provider), values.get("external_id", course.external_id), course.id
            )
        for name, value in values.items():
            setattr(course, name, value)
        if skills is not None:
            await self._check_skills(skills)
            await self._replace_skills(course.id, skills)
        await self.session.flush()
        await _ensure_one_currency(self.session)
        await self.session.refresh(course)
        return await self.get(course.id)

    async def set_active(self, principal: Principal, course_id: uuid.UUID, active: bool) -> CourseRead:
        """Deactivate (new plans leave the course out; plans and completions keep it) or reactivate."""
        require_hr(principal, "edit the course catalogue")
        course = await self.session.get(Course, course_id, with_for_update=True)
        if course is None:
            raise NotFoundError(f"course {course_id} does not exist")
        if course.active != active:
            course.active = active
            await self.session.flush()
            await _ensure_one_currency(self.session)
            await self.session.refresh(course)
        return await self.get(course.id)

    async def _ensure_key_free(self, provider: str, external_id: str | None, own_id: uuid.UUID | None = None) -> None:
        if external_id is None:
            return
        existing = await self.session.scalar(
            select(Course.id).where(Course.provider == provider, Course.external_id == external_id.strip())
        )
        if existing is not None and existing != own_id:
            raise ConflictError(f"provider {provider!r} already has a course with external_id {external_id!r}")

    async def _check_skills(self, skills: Sequence[CourseSkillSet]) -> None:
        ids = [s.skill_id for s in skills]
        if len(set(ids)) != len(ids):
            raise InvalidInputError("skills", "a skill appears twice in skills")
        if ids:
            found = set((await self.session.scalars(select(Skill.id).where(Skill.id.in_(ids)))).all())
            if missing := [str(i) for i in ids if i not in found]:
                raise InvalidInputError("skills", f"skills has unknown skill ids: {', '.join(missing)}")

    async def _replace_skills(self, course_id: uuid.UUID, skills: Sequence[CourseSkillSet]) -> None:
        await self.session.execute(delete(CourseSkill).where(CourseSkill.course_id == course_id))
        if skills:
            await self.session.execute(
                insert(CourseSkill),
                [{"course_id": course_id, "skill_id": s.skill_id, "level_reached": s.level_reached} for s in skills],
            )

    async def _reads(self, courses: Sequence[Course]) -> list[CourseRead]:
        ids = [c.id for c in courses]
        taught: dict[uuid.UUID, list[CourseSkillRead]] = {i: [] for i in ids}
        if ids:
            rows = await self.session.execute(
                select(CourseSkill.course_id, CourseSkill.skill_id, Skill.label, CourseSkill.level_reached)
                .join(Skill, Skill.id == CourseSkill.skill_id)
                .where(CourseSkill.course_id.in_(ids))
                .order_by(Skill.label)
            )
            for course_id, skill_id, label, level in rows:
                taught[course_id].append(CourseSkillRead(skill_id=skill_id, skill_label=label, level_reached=level))
        return [
            CourseRead(
                id=c.id,
                title=c.title,
                provider=c.provider,
                external_id=c.external_id,
                description=c.description,
                url=c.url,
                format=c.format,
                duration_hours=float(c.duration_hours),
                cost=float(c.cost),
                currency=c.currency,
                active=c.active,
                skills=taught[c.id],
                created_at=c.created_at,
                updated_at=c.updated_at,
            )
            for c in courses
        ]

    async def import_csv(self, principal: Principal, csv_text: str) -> ImportReport:
        require_hr(principal, "import the course catalogue")
        return await import_courses(self.session, csv_text)


# CSV import -------------------------------------------------------------------------------------

IMPORT_COLUMNS = (
    "provider",
    "external_id",
    "title",
    "format",
    "duration_hours",
    "cost",
    "currency",
    "skills",
    "url",
    "description",
    "active",
)
_REQUIRED_COLUMNS = ("provider", "external_id", "title", "format", "duration_hours", "cost", "currency")
_URL = re.compile(r"^https?://[^\x00-\x20\x7f]+$")
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}

IMPORT_FORMAT_DOC = (
    "A UTF-8 CSV file (`text/csv`, at most 5 MB and 10,000 rows) with a header row naming its columns, in "
    "any order: `provider`, `external_id`, `title`, `format` (online, classroom, blended, self_paced), "
    "`duration_hours`, `cost` (a decimal with `.`), `currency` (ISO 4217, e.g. EUR) are required; `skills`, "
    "`url`, `description` and `active` (true/false, default true) are optional. `skills` lists what the "
    "course teaches as `skill:level` pairs separated by `;`, e.g. `SQL:3;http://data.europa.eu/esco/skill/"
    "abc:4`, where a skill is the tenant skill's id, its exact label or its ESCO URI (case-insensitive) and "
    "the level (1-5) is the one a learner reaches. A row updates the course with the same provider and "
    "external_id (its skills are replaced by the row's), or creates one; courses not in the file are left "
    "as they are. All or nothing: if any row is invalid, nothing is imported and the answer (422) lists "
    "every bad row by its line number in the file (the header is line 1) with the reason."
)


class CatalogImportRefused(DomainError):
    """A catalogue file with invalid rows: nothing was imported. `problems` are (line, column, reason)."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        shown = problems[:MAX_REPORTED_ERRORS]
        more = f" (the first {len(shown)} are listed)" if len(problems) > len(shown) else ""
        super().__init__(f"the file was refused, nothing was imported: {len(problems)} problem(s){more}")
        self.problems = shown


@dataclass
class _CourseRow:
    line: int
    provider: str
    external_id: str
    title: str
    format: CourseFormat
    duration_hours: Decimal
    cost: Decimal
    currency: str
    url: str | None
    description: str | None
    active: bool
    skill_refs: list[tuple[str, int]]
    skills: dict[uuid.UUID, int] = field(default_factory=dict)


def _decimal(raw: str, low: Decimal, high: Decimal) -> Decimal:
    if not raw:
        raise ValueError("is required")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ValueError(f"{raw!r} is not a number (use digits and a '.')") from exc
    if not value.is_finite() or not low <= value <= high:
        raise ValueError(f"{raw!r} is not between {low} and {high}")
    return value.quantize(Decimal("0.01"))


def _text(raw: str, limit: int, *, required: bool) -> str | None:
    if not raw:
        if required:
            raise ValueError("is required")
        return None
    if len(raw) > limit:
        raise ValueError(f"is longer than {limit} characters")
    return raw


def _parse_skills(raw: str) -> list[tuple[str, int]]:
    refs: list[tuple[str, int]] = []
    for item in (part.strip() for part in raw.split(";")):
        if not item:
            continue
        ref, sep, level = item.rpartition(":")
        if not sep or not ref.strip() or not level.strip().isdigit() or not 1 <= int(level) <= 5:
            raise ValueError(f"{item!r} is not skill:level with a level from 1 to 5")
        refs.append((ref.strip(), int(level)))
    if len(refs) > 50:
        raise ValueError("a course may teach at most 50 skills")
    return refs


def _parse_row(line: int, values: dict[str, str], problems: list[tuple[int, str, str]]) -> _CourseRow | None:
    parsed: dict[str, Any] = {}
    checks: dict[str, Callable[[str], Any]] = {
        "provider": lambda v: _text(v, 200, required=True),
        "external_id": lambda v: _text(v, 200, required=True),
        "title": lambda v: _text(v, 300, required=True),
        "format": lambda v: CourseFormat(v.lower()),
        "duration_hours": lambda v: _decimal(v, Decimal(0), Decimal(10_000)),
        "cost": lambda v: _decimal(v, Decimal(0), Decimal(1_000_000_000)),
        "currency": _currency,
        "url": _url,
        "description": lambda v: _text(v, 5000, required=False),
        "active": _flag,
        "skills": _parse_skills,
    }
    ok = True
    for column, check in checks.items():
        try:
            parsed[column] = check(values.get(column, ""))
        except ValueError as exc:
            reason = str(exc)
            if column == "format":
                reason = f"must be one of {', '.join(f.value for f in CourseFormat)}"
            problems.append((line, column, reason))
            ok = False
    if not ok:
        return None
    return _CourseRow(
        line=line,
        provider=parsed["provider"],
        external_id=parsed["external_id"],
        title=parsed["title"],
        format=parsed["format"],
        duration_hours=parsed["duration_hours"],
        cost=parsed["cost"],
        currency=parsed["currency"],
        url=parsed["url"],
        description=parsed["description"],
        active=parsed["active"],
        skill_refs=parsed["skills"],
    )


def _currency(raw: str) -> str:
    if not raw:
        raise ValueError("is required")
    code = raw.upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(f"{raw!r} is not a three-letter ISO 4217 code")
    return code


def _url(raw: str) -> str | None:
    if not raw:
        return None
    if len(raw) > 2000 or not _URL.match(raw):
        raise ValueError("is not an http(s) URL of at most 2000 characters")
    return raw


def _flag(raw: str) -> bool:
    if not raw or raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not true or false")


def parse_catalog_csv(csv_text: str) -> tuple[list[_CourseRow], list[tuple[int, str, str]]]:
    """The rows of a catalogue file and the problems found in it, skills not yet resolved."""
    problems: list[tuple[int, str, str]] = []
    if "\x00" in csv_text:
        return [], [(1, "file", "the file contains NUL characters; is it really a UTF-8 CSV file?")]
    reader = csv.reader(io.StringIO(csv_text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [(reader.line_num, "file", f"not a valid CSV file: {exc}")]
    if header is None:
        return [], [(1, "file", "the file is empty; it needs a header row and at least one course")]
    names = [h.strip().lower() for h in header]
    unknown = [n for n in names if n not in IMPORT_COLUMNS]
    missing = [c for c in _REQUIRED_COLUMNS if c not in names]
    twice = sorted({n for n in names if names.count(n) > 1})
    for column in unknown:
        problems.append((1, column or "(blank)", f"unknown column; the columns are {', '.join(IMPORT_COLUMNS)}"))
    for column in missing:
        problems.append((1, column, "required column is missing"))
    for column in twice:
        problems.append((1, column, "column appears twice"))
    if problems:
        return [], problems
    rows: list[_CourseRow] = []
    seen: dict[tuple[str, str], int] = {}
    count = 0
    while True:
        try:
            record = next(reader, None)
        except csv.Error as exc:
            problems.append((reader.line_num, "file", f"not a valid CSV line: {exc}"))
            break
        if record is None:
            break
        line = reader.line_num
        if not any(value.strip() for value in record):
            continue  # blank lines are allowed, and skipped
        count += 1
        if count > MAX_IMPORT_ROWS:
            problems.append((line, "file", f"the file has more than {MAX_IMPORT_ROWS} rows; split it"))
            break
        if len(record) != len(names):
            problems.append((line, "row", f"has {len(record)} fields, the header {len(names)}"))
            continue
        row = _parse_row(line, {n: v.strip() for n, v in zip(names, record, strict=True)}, problems)
        if row is None:
            continue
        key = (row.provider, row.external_id)
        if key in seen:
            problems.append((line, "external_id", f"the same provider and external_id as line {seen[key]}"))
            continue
        seen[key] = line
        rows.append(row)
    if not rows and not problems:
        problems.append((1, "file", "the file has no course rows"))
    return rows, problems


async def _resolve_skills(session: AsyncSession, rows: list[_CourseRow], problems: list[tuple[int, str, str]]) -> None:
    """Match every `skill:level` reference to the tenant's skills: by id, ESCO URI or exact label."""
    refs = {ref for row in rows for ref, _ in row.skill_refs}
    ids: set[uuid.UUID] = set()
    for ref in refs:
        with contextlib.suppress(ValueError):
            ids.add(uuid.UUID(ref))
    lowered = {ref.lower() for ref in refs}
    by_id: dict[uuid.UUID, uuid.UUID] = {}
    by_name: dict[str, uuid.UUID] = {}
    if ids:
        by_id = {i: i for i in (await session.scalars(select(Skill.id).where(Skill.id.in_(ids)))).all()}
    if lowered:
        found = await session.execute(
            select(Skill.id, func.lower(Skill.label), func.lower(Skill.catalog_uri)).where(
                or_(func.lower(Skill.label).in_(lowered), func.lower(Skill.catalog_uri).in_(lowered))
            )
        )
        for skill_id, label, uri in found:
            by_name[label] = skill_id
            if uri is not None:
                by_name[uri] = skill_id
    for row in rows:
        for ref, level in row.skill_refs:
            match: uuid.UUID | None = None
            with contextlib.suppress(ValueError):
                match = by_id.get(uuid.UUID(ref))
            match = match or by_name.get(ref.lower())
            if match is None:
                problems.append((row.line, "skills", f"no skill of the library has the id, label or URI {ref!r}"))
            elif match in row.skills:
                problems.append((row.line, "skills", f"{ref!r} names a skill already listed for this course"))
            else:
                row.skills[match] = level


async def import_courses(session: AsyncSession, csv_text: str) -> ImportReport:
    """Upsert a catalogue CSV (the format is `IMPORT_FORMAT_DOC`) into the session's tenant, all or
    nothing: raises `CatalogImportRefused` (listing every bad line) before writing anything, or
    `InvalidInputError` if the result would mix currencies (the caller then rolls back)."""
    rows, problems = parse_catalog_csv(csv_text)
    if problems:
        raise CatalogImportRefused(problems)
    # One import at a time per tenant: two at once would race on the same (provider, external_id).
    # Taken before the first query, so an import queued behind another holds no pooled connection.
    await lock_hierarchy(session, "course_catalogue")
    await _resolve_skills(session, rows, problems)
    if problems:
        raise CatalogImportRefused(problems)
    providers = {row.provider for row in rows}
    existing = {
        (c.provider, c.external_id): c
        for c in (await session.scalars(select(Course).where(Course.provider.in_(providers)))).all()
    }
    existing_skills: dict[uuid.UUID, dict[uuid.UUID, int]] = {}
    for course_id, skill_id, level in await session.execute(
        select(CourseSkill.course_id, CourseSkill.skill_id, CourseSkill.level_reached)
        .join(Course, Course.id == CourseSkill.course_id)
        .where(Course.provider.in_(providers))
    ):
        existing_skills.setdefault(course_id, {})[skill_id] = level
    created = updated = unchanged = 0
    replaced: list[uuid.UUID] = []
    new_skills: list[dict[str, Any]] = []
    for row in rows:
        values = {
            "title": row.title,
            "format": row.format,
            "duration_hours": row.duration_hours,
            "cost": row.cost,
            "currency": row.currency,
            "url": row.url,
            "description": row.description,
            "active": row.active,
        }
        course = existing.get((row.provider, row.external_id))
        if course is None:
            course = Course(id=new_id(), provider=row.provider, external_id=row.external_id, **values)
            session.add(course)
            created += 1
        elif (
            all(getattr(course, k) == v for k, v in values.items()) and existing_skills.get(course.id, {}) == row.skills
        ):
            unchanged += 1
            continue
        else:
            for name, value in values.items():
                setattr(course, name, value)
            replaced.append(course.id)
            updated += 1
        new_skills += [{"course_id": course.id, "skill_id": s, "level_reached": lv} for s, lv in row.skills.items()]
    await session.flush()
    for ids in _chunks(replaced, _INSERT_CHUNK):
        await session.execute(delete(CourseSkill).where(CourseSkill.course_id.in_(ids)))
    for chunk in _chunks(new_skills, _INSERT_CHUNK):
        await session.execute(insert(CourseSkill), chunk)
    await _ensure_one_currency(session)
    return ImportReport(rows=len(rows), created=created, updated=updated, unchanged=unchanged)


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Training plans ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Requirement:
    skill_id: uuid.UUID
    label: str
    level: int
    importance: Importance


@dataclass(frozen=True)
class _CatalogCourse:
    id: uuid.UUID
    cost: Decimal
    hours: Decimal
    currency: str
    levels: dict[uuid.UUID, int]


@dataclass
class _PlanRows:
    plans: list[dict[str, Any]] = field(default_factory=list)
    courses: list[dict[str, Any]] = field(default_factory=list)
    employees: set[uuid.UUID] = field(default_factory=set)
    unclosable: int = 0
    problems: int = 0


def _reason(closes: list[dict[str, Any]]) -> str:
    parts = []
    for c in closes:
        start = "none recorded" if c["from_level"] is None else str(c["from_level"])
        parts.append(f"Takes {c['skill_label']} from {start} to {c['to_level']} (role needs {c['required_level']})")
    return "; ".join(parts)


class _Planner:
    """The pure part of a recompute: arrays from the loaded rows, one exact cover per distinct
    (role, gap), shared by every employee with that role and that gap."""

    def __init__(self, requirements: dict[uuid.UUID, list[_Requirement]], courses: list[_CatalogCourse]) -> None:
        self.skill_index: dict[uuid.UUID, int] = {}
        self.requirements: dict[uuid.UUID, list[_Requirement]] = {}
        self.roles: dict[uuid.UUID, RoleRequirements] = {}
        for role_id, reqs in requirements.items():
            # Bit order is priority order: essential first, then the higher levels; the cap on the
            # gap keeps the most important skills.
            ordered = sorted(reqs, key=lambda r: (_IMPORTANCE_RANK[r.importance], -r.level, r.label, r.skill_id))
            ordered = ordered[:MAX_ROLE_SKILLS]
            self.requirements[role_id] = ordered
            for r in ordered:
                self.skill_index.setdefault(r.skill_id, len(self.skill_index))
            self.roles[role_id] = RoleRequirements(
                skill=np.array([self.skill_index[r.skill_id] for r in ordered], np.int64),
                level=np.array([r.level for r in ordered], np.int64),
            )
        self.courses = courses
        taught = [
            (self.skill_index.get(skill_id, -1), level) for c in courses for skill_id, level in sorted(c.levels.items())
        ]
        self.catalog = Catalog(
            cost=np.array([float(c.cost) for c in courses], np.float64),
            start=np.concatenate([[0], np.cumsum([len(c.levels) for c in courses])]).astype(np.int64),
            skill=np.array([s for s, _ in taught], np.int64),
            level=np.array([lv for _, lv in taught], np.int64),
        )
        self._masks: dict[uuid.UUID, Any] = {}
        self._solved: dict[tuple[uuid.UUID, int], Plan] = {}

    @property
    def problems(self) -> int:
        return len(self._solved)

    def plan(self, role_id: uuid.UUID, levels: dict[uuid.UUID, int]) -> tuple[Plan, int, int, list[_Requirement]]:
        """(the plan, the gap mask, the part of it planned for, the role's requirements in bit order)."""
        reqs = self.requirements.get(role_id, [])
        role = self.roles.get(role_id)
        if role is None:
            return Plan(courses=(), closes={}, unclosable=(), cost=0.0), 0, 0, []
        current = np.array([levels.get(r.skill_id, 0) for r in reqs], np.int64)
        gap = gap_mask(role, current)
        planned, left = 0, gap
        for _ in range(MAX_GAP_SKILLS):
            if not left:
                break
            lowest = left & -left
            planned |= lowest
            left &= ~lowest
        key = (role_id, planned)
        plan = self._solved.get(key)
        if plan is None:
            masks = self._masks.get(role_id)
            if masks is None:
                masks = self._masks[role_id] = course_masks(role, self.catalog)
            closable, chosen, cost = cheapest_cover(planned, masks, self.catalog.cost)
            plan = self._solved[key] = explain(planned, closable, chosen, masks, role, cost)
        return plan, gap, planned, reqs


class TrainingPlanService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Computing ------------------------------------------------------------------------------

    async def recompute_all(
        self, *, progress: Progress | None = None, job_id: uuid.UUID | None = None
    ) -> dict[str, Any]:
        """Every active employee's plans for their aspirations' target roles, and fresh versions of
        the plans asked for explicitly; everything else (plans of people who left, of roles no longer
        aimed at) goes. Idempotent: the plans are replaced in this transaction, so a rerun leaves the
        same single set."""
        await self._lock(exclusive=True, wait=True)
        rows = await self._compute(self._pairs(), job_id=job_id, progress=progress)
        await self.session.execute(delete(TrainingPlan))
        await self._write(rows, progress)
        return {
            "employees": len(rows.employees),
            "plans": len(rows.plans),
            "courses": len(rows.courses),
            "unclosable_gaps": rows.unclosable,
            "distinct_problems": rows.problems,
        }

    async def recompute_employee(
        self,
        employee_id: uuid.UUID,
        role_id: uuid.UUID | None = None,
        *,
        requested_by: str | None = None,
        job_id: uuid.UUID | None = None,
        wait: bool = True,
    ) -> dict[str, Any]:
        """One employee's plans: for `role_id` alone (a chosen opportunity, kept as a requested plan),
        or, without it, for every role their plans cover now (aspirations and requested ones)."""
        if not await self._lock(exclusive=False, wait=wait):
            raise ConflictError("every training plan is being recomputed right now; try again in a few minutes")
        # Serialises the employee's own recomputes (and completions, which lock the same row).
        employee = await self.session.get(Employee, employee_id, with_for_update=True)
        if employee is None:
            raise NotFoundError(f"employee {employee_id} does not exist")
        if not employee.active:
            raise ConflictError("the employee is inactive")
        if role_id is None:
            pairs = self._pairs(employee_id)
            stale = delete(TrainingPlan).where(TrainingPlan.employee_id == employee_id)
        else:
            await require_reference(self.session, Role, role_id, "role_id")
            pairs = select(
                literal(employee_id, Uuid).label("employee_id"), literal(role_id, Uuid).label("role_id")
            ).subquery("pairs")
            stale = delete(TrainingPlan).where(
                TrainingPlan.employee_id == employee_id, TrainingPlan.target_role_id == role_id
            )
        rows = await self._compute(pairs, job_id=job_id, requested=role_id is not None, requested_by=requested_by)
        await self.session.execute(stale)
        await self._write(rows, None)
        return {"employees": len(rows.employees), "plans": len(rows.plans), "unclosable_gaps": rows.unclosable}

    async def _lock(self, *, exclusive: bool, wait: bool) -> bool:
        return await lock_tenant(self.session, _PLANS_LOCK, shared=not exclusive, wait=wait)

    @staticmethod
    def _pairs(employee_id: uuid.UUID | None = None) -> FromClause:
        """(employee, role) pairs to plan for: active employees' aspired roles, and their requested plans."""
        aspired = (
            select(AspirationRole.employee_id.label("employee_id"), AspirationRole.role_id.label("role_id"))
            .join(Employee, Employee.id == AspirationRole.employee_id)
            .where(Employee.active)
        )
        requested = (
            select(TrainingPlan.employee_id.label("employee_id"), TrainingPlan.target_role_id.label("role_id"))
            .join(Employee, Employee.id == TrainingPlan.employee_id)
            .where(Employee.active, TrainingPlan.origin == PlanOrigin.REQUESTED)
        )
        if employee_id is not None:
            aspired = aspired.where(Employee.id == employee_id)
            requested = requested.where(Employee.id == employee_id)
        return union(aspired, requested).subquery("pairs")

    async def _compute(
        self,
        pairs: FromClause,
        *,
        job_id: uuid.UUID | None,
        progress: Progress | None = None,
        requested: bool = False,
        requested_by: str | None = None,
    ) -> _PlanRows:
        """Loads everything in five queries, whatever the number of employees, and plans in memory."""
        pair_rows = [(e, r) for e, r in await self.session.execute(select(pairs.c.employee_id, pairs.c.role_id))]
        # What a requested plan was: kept as such (with who asked) when it is recomputed.
        kept: dict[tuple[uuid.UUID, uuid.UUID], str | None] = {}
        if not requested:
            for e, r, by in await self.session.execute(
                select(TrainingPlan.employee_id, TrainingPlan.target_role_id, TrainingPlan.requested_by)
                .join(
                    pairs,
                    and_(
                        pairs.c.employee_id == TrainingPlan.employee_id, pairs.c.role_id == TrainingPlan.target_role_id
                    ),
                )
                .where(TrainingPlan.origin == PlanOrigin.REQUESTED)
            ):
                kept[(e, r)] = by
        role_ids = select(pairs.c.role_id).distinct()
        requirements: dict[uuid.UUID, list[_Requirement]] = {}
        for role_id in await self.session.scalars(select(Role.id).where(Role.id.in_(role_ids))):
            requirements[role_id] = []
        for role_id, skill_id, level, importance, label in await self.session.execute(
            select(RoleSkill.role_id, RoleSkill.skill_id, RoleSkill.target_level, RoleSkill.importance, Skill.label)
            .join(Skill, Skill.id == RoleSkill.skill_id)
            .where(RoleSkill.role_id.in_(role_ids))
        ):
            requirements[role_id].append(_Requirement(skill_id, label, level, importance))
        levels: dict[uuid.UUID, dict[uuid.UUID, int]] = {}
        for employee_id, skill_id, level in await self.session.execute(
            select(EmployeeSkill.employee_id, EmployeeSkill.skill_id, EmployeeSkill.level)
            .join(pairs, pairs.c.employee_id == EmployeeSkill.employee_id)
            .join(RoleSkill, and_(RoleSkill.role_id == pairs.c.role_id, RoleSkill.skill_id == EmployeeSkill.skill_id))
            .where(EmployeeSkill.valid_to.is_(None))
            .distinct()
        ):
            # Several sources may rate a skill: the highest current rating is the level.
            held = levels.setdefault(employee_id, {})
            held[skill_id] = max(level, held.get(skill_id, 0))
        catalog: dict[uuid.UUID, _CatalogCourse] = {}
        for course_id, cost, hours, currency, skill_id, level in await self.session.execute(
            select(
                Course.id,
                Course.cost,
                Course.duration_hours,
                Course.currency,
                CourseSkill.skill_id,
                CourseSkill.level_reached,
            )
            .join(CourseSkill, CourseSkill.course_id == Course.id)
            .where(Course.active)
            .order_by(Course.id)
        ):
            course = catalog.setdefault(course_id, _CatalogCourse(course_id, cost, hours, currency, {}))
            course.levels[skill_id] = level
        if progress is not None:
            await progress(10)
        planner = _Planner(requirements, list(catalog.values()))
        rows = _PlanRows()
        for employee_id, role_id in sorted(pair_rows):
            self._plan_rows(planner, rows, employee_id, role_id, levels.get(employee_id, {}))
            origin = PlanOrigin.REQUESTED if requested or (employee_id, role_id) in kept else PlanOrigin.ASPIRATION
            rows.plans[-1] |= {
                "origin": origin,
                "requested_by": requested_by if requested else kept.get((employee_id, role_id)),
                "job_id": job_id,
            }
        rows.problems = planner.problems
        if progress is not None:
            await progress(50)
        return rows

    @staticmethod
    def _plan_rows(
        planner: _Planner, rows: _PlanRows, employee_id: uuid.UUID, role_id: uuid.UUID, levels: dict[uuid.UUID, int]
    ) -> None:
        plan, gap, planned, reqs = planner.plan(role_id, levels)
        plan_id = new_id()
        closed_by: dict[int, uuid.UUID] = {}
        total_cost, total_hours, currency = Decimal(0), Decimal(0), None
        position = 0
        for index, skills in plan.closes.items():
            if not skills:
                continue  # a free course that closes nothing the others do not
            course = planner.courses[index]
            closes = []
            for skill_index in skills:
                req = next(r for r in reqs if planner.skill_index[r.skill_id] == skill_index)
                current = levels.get(req.skill_id)
                closes.append(
                    {
                        "skill_id": str(req.skill_id),
                        "skill_label": req.label,
                        "from_level": current,
                        "to_level": course.levels[req.skill_id],
                        "required_level": req.level,
                    }
                )
                closed_by[skill_index] = course.id
            position += 1
            total_cost += course.cost
            total_hours += course.hours
            currency = course.currency
            rows.courses.append(
                {
                    "plan_id": plan_id,
                    "position": position,
                    "course_id": course.id,
                    "closes": closes,
                    "reason": _reason(closes),
                }
            )
        gaps = []
        for bit, req in enumerate(reqs):
            if not gap >> bit & 1:
                continue
            skill_index = planner.skill_index[req.skill_id]
            status = "closed" if skill_index in closed_by else ("unclosable" if planned >> bit & 1 else "deferred")
            rows.unclosable += status == "unclosable"
            course_id = closed_by.get(skill_index)
            gaps.append(
                {
                    "skill_id": str(req.skill_id),
                    "skill_label": req.label,
                    "importance": req.importance.value,
                    "current_level": levels.get(req.skill_id),
                    "required_level": req.level,
                    "status": status,
                    "closed_by": str(course_id) if course_id else None,
                }
            )
        rows.employees.add(employee_id)
        rows.plans.append(
            {
                "id": plan_id,
                "employee_id": employee_id,
                "target_role_id": role_id,
                "total_cost": total_cost,
                "currency": currency,
                "total_hours": total_hours,
                "gaps": gaps,
            }
        )

    async def _write(self, rows: _PlanRows, progress: Progress | None) -> None:
        batches = max(1, (len(rows.plans) + _INSERT_CHUNK - 1) // _INSERT_CHUNK)
        for done, chunk in enumerate(_chunks(rows.plans, _INSERT_CHUNK), 1):
            await self.session.execute(insert(TrainingPlan), chunk)
            if progress is not None:
                await progress(50 + 30 * done // batches)
        for chunk in _chunks(rows.courses, _INSERT_CHUNK):
            await self.session.execute(insert(TrainingPlanCourse), chunk)
        if progress is not None:
            await progress(95)

    async def start_recompute(self, principal: Principal) -> Job:
        """Ask for `training.recommend_all` in the caller's transaction (HR only)."""
        require_hr(principal, "recompute every training plan")
        job = await enqueue_for(self.session, principal, "training.recommend_all", {})
        await self.session.refresh(job)
        return job

    # Asking and reading ---------------------------------------------------------------------

    async def request(self, principal: Principal, employee_id: uuid.UUID, role_id: uuid.UUID) -> TrainingPlanRead:
        """Compute at once the plan for one chosen role (an opportunity): the employee or HR."""
        await get_or_404(self.session, Employee, employee_id, "employee")
        if principal.employee_id != employee_id and not principal.is_hr:
            raise PermissionDeniedError("only the employee (or HR) may ask for their training plan")
        await self.recompute_employee(employee_id, role_id, requested_by=principal.subject, wait=False)
        [plan] = await self._reads(
            select(TrainingPlan).where(TrainingPlan.employee_id == employee_id, TrainingPlan.target_role_id == role_id)
        )
        return plan

    async def plans(
        self, principal: Principal, employee_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[list[TrainingPlanRead], str | None]:
        """A page of an employee's training plans, in the order they were made."""
        employee = await get_or_404(self.session, Employee, employee_id, "employee")
        query = select(TrainingPlan).where(TrainingPlan.employee_id == employee_id)
        if principal.employee_id != employee.id:
            aspiration = await self.session.get(Aspiration, employee_id)
            level = aspiration.open_to_move if aspiration else OpenToMove.HIDDEN
            chain = await ancestors(self.session, Employee, "manager_id", employee.id)
            if not may_see(principal, employee, level, chain):
                # Target roles are aspirations: beyond those who may see the aspirations, a caller
                # sees only the plans it asked for itself.
                query = query.where(TrainingPlan.requested_by == principal.subject)
                plans, next_cursor = await paginate(self.session, query, TrainingPlan.id, cursor, limit)
                if not plans and cursor is None:
                    raise NotFoundError(f"employee {employee_id} has no training plans visible to you")
                return await self._read_plans(plans), next_cursor
        plans, next_cursor = await paginate(self.session, query, TrainingPlan.id, cursor, limit)
        return await self._read_plans(plans), next_cursor

    async def _reads(self, query: Select[TrainingPlan]) -> list[TrainingPlanRead]:
        return await self._read_plans((await self.session.scalars(query.order_by(TrainingPlan.id))).all())

    async def _read_plans(self, plans: Sequence[TrainingPlan]) -> list[TrainingPlanRead]:
        if not plans:
            return []
        ids = [p.id for p in plans]
        roles = select(Role.id, Role.title).where(Role.id.in_({p.target_role_id for p in plans}))
        titles: dict[uuid.UUID, str] = {role_id: title for role_id, title in await self.session.execute(roles)}
        courses: dict[uuid.UUID, list[PlanCourseRead]] = {i: [] for i in ids}
        for item, course in await self.session.execute(
            select(TrainingPlanCourse, Course)
            .join(Course, Course.id == TrainingPlanCourse.course_id)
            .where(TrainingPlanCourse.plan_id.in_(ids))
            .order_by(TrainingPlanCourse.plan_id, TrainingPlanCourse.position)
        ):
            courses[item.plan_id].append(
                PlanCourseRead(
                    position=item.position,
                    course_id=course.id,
                    title=course.title,
                    provider=course.provider,
                    format=course.format,
                    cost=float(course.cost),
                    currency=course.currency,
                    duration_hours=float(course.duration_hours),
                    url=course.url,
                    closes=[
                        ClosedGapRead(
                            skill_id=uuid.UUID(c["skill_id"]),
                            skill_label=c["skill_label"],
                            from_level=c["from_level"],
                            to_level=c["to_level"],
                            required_level=c["required_level"],
                        )
                        for c in item.closes
                    ],
                    reason=item.reason,
                )
            )
        return [
            TrainingPlanRead(
                id=p.id,
                employee_id=p.employee_id,
                target_role_id=p.target_role_id,
                target_role_title=titles.get(p.target_role_id, ""),
                origin=p.origin,
                computed_at=p.computed_at,
                job_id=p.job_id,
                total_cost=float(p.total_cost),
                currency=p.currency,
                total_hours=float(p.total_hours),
                courses=courses[p.id],
                gaps=[
                    GapRead(
                        skill_id=uuid.UUID(g["skill_id"]),
                        skill_label=g["skill_label"],
                        importance=Importance(g["importance"]),
                        current_level=g["current_level"],
                        required_level=g["required_level"],
                        status=g["status"],
                        closed_by=uuid.UUID(g["closed_by"]) if g["closed_by"] else None,
                    )
                    for g in p.gaps
                ],
            )
            for p in plans
        ]


# Course completions -----------------------------------------------------------------------------


class CompletionService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _may_record(principal: Principal, employee_id: uuid.UUID) -> bool:
        return principal.employee_id == employee_id or principal.is_hr or principal.client_id is not None

    async def record(
        self, principal: Principal, employee_id: uuid.UUID, data: CourseCompletionCreate
    ) -> tuple[CourseCompletionRead, bool]:
        """(the completion, whether it is new). Raises each skill the course teaches to the level it
        reaches, as a new version with source `course`, when that is above the current level; never
        lowers one. The same completion again changes nothing and returns the first record."""
        # Locking the employee serialises two deliveries of the same completion (an LMS retrying).
        employee = await self.session.get(Employee, employee_id, with_for_update=True)
        if employee is None:
            raise NotFoundError(f"employee {employee_id} does not exist")
        if not self._may_record(principal, employee_id):
            raise PermissionDeniedError("only the employee, HR or a partner app may record a course completion")
        if data.completed_on > date.today():
            raise InvalidInputError("completed_on", "completed_on cannot be in the future")
        await require_reference(self.session, Course, data.course_id, "course_id")
        existing = await self.session.scalar(
            select(CourseCompletion).where(
                CourseCompletion.employee_id == employee_id,
                CourseCompletion.course_id == data.course_id,
                CourseCompletion.completed_on == data.completed_on,
            )
        )
        if existing is not None:
            return _completion_read(existing), False
        if not employee.active:
            raise ConflictError("the employee is inactive; their profile is read-only")
        levels = current_levels(EmployeeSkill.employee_id == employee_id)
        taught = (
            await self.session.execute(
                select(CourseSkill.skill_id, CourseSkill.level_reached, levels.c.level)
                .outerjoin(levels, levels.c.skill_id == CourseSkill.skill_id)
                .where(CourseSkill.course_id == data.course_id)
                .order_by(CourseSkill.skill_id)
            )
        ).all()
        raised = []
        skills = SkillService(self.session)
        for skill_id, reached, current in taught:
            if current is not None and current >= reached:
                continue
            # A `course` rating beside the others (self, manager, ...), which keep theirs.
            await skills.record_course_result(
                principal,
                employee_id,
                skill_id,
                level=reached,
                evidence_url=data.evidence_url,
                completed_on=data.completed_on,
            )
            raised.append({"skill_id": str(skill_id), "from_level": current, "to_level": reached})
        completion = CourseCompletion(
            employee_id=employee_id,
            course_id=data.course_id,
            completed_on=data.completed_on,
            evidence_url=data.evidence_url,
            recorded_by=principal.subject,
            skills_raised=raised,
        )
        self.session.add(completion)
        await self.session.flush()
        await self.session.refresh(completion)
        return _completion_read(completion), True

    async def history(
        self, principal: Principal, employee_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[list[CourseCompletionRead], str | None]:
        """A page of an employee's course completions, in the order they were recorded."""
        await get_or_404(self.session, Employee, employee_id, "employee")
        if not self._may_record(principal, employee_id):
            raise PermissionDeniedError("only the employee, HR or a partner app may see their course completions")
        query = select(CourseCompletion).where(CourseCompletion.employee_id == employee_id)
        rows, next_cursor = await paginate(self.session, query, CourseCompletion.id, cursor, limit)
        return [_completion_read(c) for c in rows], next_cursor


def _completion_read(c: CourseCompletion) -> CourseCompletionRead:
    return CourseCompletionRead(
        id=c.id,
        employee_id=c.employee_id,
        course_id=c.course_id,
        completed_on=c.completed_on,
        evidence_url=c.evidence_url,
        recorded_by=c.recorded_by,
        skills_raised=[
            SkillRaise(skill_id=uuid.UUID(r["skill_id"]), from_level=r["from_level"], to_level=r["to_level"])
            for r in c.skills_raised
        ],
        created_at=c.created_at,
    )
