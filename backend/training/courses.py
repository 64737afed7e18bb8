"""Training: the tenant's course catalogue, edited by HR and importable from CSV (all or nothing).

Everyone with training:read lists and reads the catalogue; only HR edits it and imports it. Every
active course is priced in one currency, because plans add up and compare course costs.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, exists, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.auth.principal import Principal, require_hr
from backend.crud import changes, chunks, get_or_404, like_pattern, lock_hierarchy
from backend.errors import ConflictError, DomainError, InvalidInputError
from backend.skills.models import Skill
from backend.training.models import Course, CourseFormat, CourseSkill
from backend.training.schemas import (
    CourseCreate,
    CourseRead,
    CourseSkillRead,
    CourseSkillSet,
    CourseUpdate,
    ImportReport,
)
from tenants.base import new_id

# A catalogue import: at most this many data rows (the route also caps the body at MAX_IMPORT_BYTES).
MAX_IMPORT_ROWS = 10_000
MAX_IMPORT_BYTES = 5_000_000
# How many row errors a refused import lists (the count says how many there were in all).
MAX_REPORTED_ERRORS = 200
_INSERT_CHUNK = 5_000


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
        provider: str | None = None,
        only_inactive: bool = False,
    ) -> tuple[list[CourseRead], str | None]:
        """The catalogue in creation order: active courses (`include_inactive`: all of them;
        `only_inactive`: the deactivated ones alone), of one `provider` (exactly) if given."""
        query = select(Course)
        if only_inactive:
            query = query.where(~Course.active)
        elif not include_inactive:
            query = query.where(Course.active)
        if provider:
            query = query.where(Course.provider == provider.strip())
        if format is not None:
            query = query.where(Course.format == format)
        if skill_id is not None:
            query = query.where(exists().where(CourseSkill.course_id == Course.id, CourseSkill.skill_id == skill_id))
        if q:
            pattern = like_pattern(q)
            query = query.where(or_(Course.title.ilike(pattern), Course.provider.ilike(pattern)))
        courses, next_cursor = await paginate(self.session, query, Course.id, cursor, limit)
        return await self._reads(courses), next_cursor

    async def providers(self, *, include_inactive: bool) -> list[str]:
        """The providers of the catalogue's courses (of the active ones unless `include_inactive`), by name."""
        query = select(Course.provider).distinct().order_by(Course.provider)
        if not include_inactive:
            query = query.where(Course.active)
        return list((await self.session.scalars(query)).all())

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
        course = await get_or_404(self.session, Course, course_id, "course", lock=True)
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
        course = await get_or_404(self.session, Course, course_id, "course", lock=True)
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
        # How many there were in all.
        self.total = len(problems)


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
    for ids in chunks(replaced, _INSERT_CHUNK):
        await session.execute(delete(CourseSkill).where(CourseSkill.course_id.in_(ids)))
    for chunk in chunks(new_skills, _INSERT_CHUNK):
        await session.execute(insert(CourseSkill), chunk)
    await _ensure_one_currency(session)
    return ImportReport(rows=len(rows), created=created, updated=updated, unchanged=unchanged)
