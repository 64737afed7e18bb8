"""The HR workspace's learning area: the course catalogue, over the services the API's course routes
call (`backend/training/routes.py`), with the same principal and rules.

- `/hr/learning`: the catalogue (`CourseService.search`, as `GET /courses`): searched by title or
  provider, one provider, active, inactive or all; a page of 50 at a time with the API's cursor; each
  course with its skills (the level it takes one to), hours and cost in its currency.
- `/hr/learning/new`, `/hr/learning/{id}`: a course made or changed with its skills, each found by
  searching the skill library as one types (`skill_search`, as the posting form does)
  (`CourseService.create`, `update`, as `POST /courses`, `PATCH /courses/{id}`); deactivated and
  reactivated (`CourseService.set_active`, as `POST /courses/{id}/deactivate`, `/activate`).
- `/hr/learning/import`: a CSV file uploaded (`CourseService.import_csv`, as `POST /courses/import`,
  with the same size limit): all or nothing, the report a page (created, updated, unchanged; or every
  problem with its line, column and reason); `/hr/learning/import/sample.csv` is a file to start from.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Template

from backend.auth.principal import Scope
from backend.errors import ConflictError, DomainError, InvalidInputError, NotFoundError, PermissionDeniedError
from backend.portal.forms import FORM, field_of
from backend.portal.hr import AREAS
from backend.portal.i18n import N_, Language
from backend.portal.lists import from_cursor, paging
from backend.portal.routes import Visit
from backend.portal.skills import sent_rows, skill_search
from backend.skills.service import SkillService
from backend.training.courses import (
    IMPORT_COLUMNS,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    MAX_REPORTED_ERRORS,
    CatalogImportRefused,
    CourseService,
)
from backend.training.models import CourseFormat
from backend.training.schemas import CourseCreate, CourseRead, CourseUpdate, ImportReport

LEARNING = "/hr/learning"
# Courses a page of the catalogue.
COURSES_PAGE = 50
# The catalogue's status filter: the active courses (as everyone reads them), the inactive ones, all.
STATUSES = {"active": N_("Active"), "inactive": N_("Inactive"), "all": N_("All")}
FORMAT_NAMES = {
    CourseFormat.ONLINE: N_("Online"),
    CourseFormat.CLASSROOM: N_("Classroom"),
    CourseFormat.BLENDED: N_("Blended"),
    CourseFormat.SELF_PACED: N_("Self-paced"),
}
# The course form's fields, kept as typed; with its skill search and the button pressed (`intent`:
# search or save); once per row of skills, the row's skill and level, and the skill again when ticked.
TEXT_FIELDS = (
    "title",
    "provider",
    "external_id",
    "format",
    "duration_hours",
    "cost",
    "currency",
    "url",
    "description",
)
COURSE_FIELDS = (*TEXT_FIELDS, "q", "intent")
COURSE_ROWS = ("skill_row", "skill_id", "level")
# The upload's field, and how large a request may be: the file (at most the API's limit) and the
# multipart envelope around it. A larger file is refused beside the field.
FILE = "file"
UPLOAD_MAX_BODY = MAX_IMPORT_BYTES + 64 * 1024
# What a browser says a .csv file is.
CSV_TYPES = {"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "application/octet-stream"}
SAMPLE_CSV = (
    ",".join(IMPORT_COLUMNS) + "\r\n"
    "Acme Academy,SQL-101,SQL for analysts,online,12,250.00,EUR,SQL:3,https://academy.example/sql-101,"
    "Queries and joins for everyday reporting.,true\r\n"
    "Acme Academy,NEG-2,Negotiation in practice,classroom,16,480.00,EUR,Negotiation:3;SQL:2,,,true\r\n"
)


@dataclass
class TaughtSkill:
    """A skill the course teaches, as the form holds it (strings, as typed or chosen)."""

    skill_id: str
    label: str
    level: str


@dataclass
class CourseForm:
    """The course form as typed: shown back after a refusal or a search, and sent to the service."""

    fields: dict[str, str] = field(default_factory=lambda: {**dict.fromkeys(TEXT_FIELDS, ""), "format": "online"})
    skills: list[TaughtSkill] = field(default_factory=list)
    q: str = ""

    @classmethod
    def of(cls, course: CourseRead) -> CourseForm:
        fields = {name: "" if getattr(course, name) is None else str(getattr(course, name)) for name in TEXT_FIELDS}
        fields["duration_hours"] = _plain(course.duration_hours)
        fields["cost"] = f"{course.cost:.2f}"
        skills = [TaughtSkill(str(s.skill_id), s.skill_label, str(s.level_reached)) for s in course.skills]
        return cls(fields, skills)

    def skill_ids(self) -> set[str]:
        return {s.skill_id for s in self.skills}

    def payload(self) -> dict[str, Any]:
        """What the API's body would hold: empty optional fields are absent values."""

        def value(name: str) -> str | None:
            return self.fields.get(name, "").strip() or None

        return {
            "title": self.fields["title"],
            "provider": self.fields["provider"],
            "external_id": value("external_id"),
            "format": self.fields["format"],
            "duration_hours": value("duration_hours"),
            "cost": value("cost"),
            # As typed: the API takes a currency's code exactly (three capitals), never folded.
            "currency": self.fields["currency"],
            "url": value("url"),
            "description": value("description"),
            "skills": [{"skill_id": s.skill_id, "level_reached": s.level or None} for s in self.skills],
        }


def _plain(number: float) -> str:
    """A number as a form's field holds it: "12" rather than "12.0", "1.5" as it is."""
    return f"{number:g}" if number == int(number) else f"{number}"


async def read_course_form(visit: Visit, form: FormMultiDict) -> CourseForm:
    """The course form as sent: its fields, and the skills ticked with their level (each row of skills
    sends `skill_row` and `level` in the same order, and `skill_id` when ticked; labels come from the
    library: a skill that is not in it is left out)."""
    fields = {name: str(form.get(name, "")) for name in TEXT_FIELDS}
    ticked = {value for value in form.getall("skill_id", []) if isinstance(value, str)}
    skills: list[TaughtSkill] = []
    for skill_id, level in zip(form.getall("skill_row", []), form.getall("level", []), strict=False):
        if skill_id not in ticked or skill_id in {s.skill_id for s in skills}:
            continue
        try:
            label = (await SkillService(visit.db).get_skill(uuid.UUID(str(skill_id)))).label
        except (ValueError, NotFoundError):
            continue
        skills.append(TaughtSkill(str(skill_id), label, str(level)))
    return CourseForm(fields, skills, str(form.get("q", "")).strip())


def course_refusal(language: Language, exc: DomainError | msgspec.ValidationError) -> dict[str, str]:
    """A refused course as {field: message} in the person's language, beside the field the API's
    problem names."""
    gettext = language.gettext
    if isinstance(exc, ConflictError):
        return {"external_id": gettext("This provider already has a course with that external id.")}
    if isinstance(exc, PermissionDeniedError):
        return {FORM: gettext("Only your company's HR admins may edit the course catalogue.")}
    if isinstance(exc, InvalidInputError) and exc.field == "currency":
        return {
            "currency": gettext(
                "Every active course is priced in one currency, since training plans add up and compare "
                "costs: use the catalogue's currency."
            )
        }
    name = (
        exc.field
        if isinstance(exc, InvalidInputError)
        else field_of(exc)
        if isinstance(exc, msgspec.ValidationError)
        else FORM
    )
    messages = {
        "title": gettext("Give it a title, in at most 200 characters."),
        "provider": gettext("Name its provider, in at most 200 characters."),
        "external_id": gettext("Write the provider's id of the course in at most 200 characters, or leave it empty."),
        "format": gettext("Choose how the course is given."),
        "duration_hours": gettext("Write its hours as a number from 0 to 10,000."),
        "cost": gettext("Write its cost per learner as a number from 0 to 1,000,000,000."),
        "currency": gettext("Write the currency as its three-letter code, such as EUR."),
        "url": gettext("Write a web address starting with http:// or https://, or leave it empty."),
        "description": gettext("Write the description in at most 5,000 characters."),
        "skills": gettext("Choose a level, from 1 to 5, for each skill the course teaches."),
    }
    if name in messages:
        return {name: messages[name]}
    return {FORM: gettext("The course was not saved. Check it and try again.")}


# --- an import's problems in the page's language -----------------------------------------------------

# Each reason `parse_catalog_csv` and `_resolve_skills` give, and the words the page writes for it
# (`%(value)s`: what the reason quotes). A reason no pattern knows is shown as the service wrote it.
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (r"^is required$", N_("Required: it is empty.")),
        (r"^is longer than (?P<value>\d+) characters$", N_("Longer than %(value)s characters.")),
        (
            r"^'(?P<value>.*)' is not a number \(use digits and a '\.'\)$",
            N_("“%(value)s” is not a number: write digits and a point."),
        ),
        (r"^'(?P<value>.*)' is not between .+$", N_("“%(value)s” is outside the range this column allows.")),
        (r"^must be one of .+$", N_("Must be one of online, classroom, blended, self_paced.")),
        (
            r"^'(?P<value>.*)' is not a three-letter ISO 4217 code$",
            N_("“%(value)s” is not a three-letter currency code, such as EUR."),
        ),
        (
            r"^is not an http\(s\) URL of at most 2000 characters$",
            N_("Not a web address starting with http:// or https:// (at most 2,000 characters)."),
        ),
        (r"^'(?P<value>.*)' is not true or false$", N_("“%(value)s” is not true or false.")),
        (
            r"^'(?P<value>.*)' is not skill:level with a level from 1 to 5$",
            N_("“%(value)s” is not skill:level with a level from 1 to 5."),
        ),
        (r"^a course may teach at most 50 skills$", N_("A course teaches at most 50 skills.")),
        (
            r"^no skill of the library has the id, label or URI '(?P<value>.*)'$",
            N_("No skill of your library has the id, name or URI “%(value)s”."),
        ),
        (
            r"^'(?P<value>.*)' names a skill already listed for this course$",
            N_("“%(value)s” names a skill already listed for this course."),
        ),
        (
            r"^the same provider and external_id as line (?P<value>\d+)$",
            N_("The same provider and external_id as line %(value)s."),
        ),
        (r"^has (?P<value>\d+) fields, the header \d+$", N_("This line does not have as many fields as the header.")),
        (r"^unknown column; .+$", N_("Not a column of the catalogue file.")),
        (r"^required column is missing$", N_("This required column is missing from the header.")),
        (r"^column appears twice$", N_("This column appears twice in the header.")),
        (r"^the file is empty; .+$", N_("The file is empty: it needs a header line and at least one course.")),
        (r"^the file has no course rows$", N_("The file has a header but no course.")),
        (r"^the file has more than \d+ rows; split it$", N_("The file has more than 10,000 courses: split it.")),
        (
            r"^the file contains NUL characters; .+$",
            N_("The file holds characters no text file has: is it a CSV file?"),
        ),
        (r"^not a valid CSV (file|line): .+$", N_("Not valid CSV here (an unclosed quote?).")),
    )
)


@dataclass(frozen=True)
class Problem:
    """One problem of a refused file: its line, its column and the reason, in the page's words when
    the page knows the reason (`lang` is None), else as the service wrote it (`lang="en"`)."""

    line: int
    column: str
    reason: str
    lang: str | None


def problem_in_words(language: Language, line: int, column: str, reason: str) -> Problem:
    for pattern, words in _REASONS:
        if found := pattern.match(reason):
            values = found.groupdict()
            text = language.gettext(words) % values if values else language.gettext(words)
            return Problem(line, column, text, None)
    return Problem(line, column, reason, "en")


async def _courses_page(
    visit: Visit, q: str, provider: str, status: str, cursor: str | None
) -> tuple[list[CourseRead], str | None, str | None, list[str]]:
    service = CourseService(visit.db)
    courses, next_cursor, cursor = await from_cursor(
        lambda at: service.search(
            q=q or None,
            skill_id=None,
            format=None,
            include_inactive=status == "all",
            only_inactive=status == "inactive",
            provider=provider or None,
            cursor=at,
            limit=COURSES_PAGE,
        ),
        cursor,
    )
    return list(courses), next_cursor, cursor, await service.providers(include_inactive=True)


class LearningController(Controller):
    path = LEARNING
    include_in_schema = False

    # --- the catalogue ------------------------------------------------------------------------------

    @get("/", opt={"scope": Scope.TRAINING_READ}, name="portal:hr-learning")
    async def catalogue(
        self,
        visit: NamedDependency[Visit],
        q: FromQuery[str] = "",
        provider: FromQuery[str] = "",
        status: FromQuery[str] = "active",
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        status = status if status in STATUSES else "active"
        q = q.strip()
        courses, next_cursor, cursor, providers = await _courses_page(visit, q, provider, status, cursor)
        return await visit.page(
            "hr_learning.html",
            areas=AREAS,
            courses=courses,
            q=q,
            provider=provider,
            providers=providers,
            shown=status,
            statuses=STATUSES,
            formats=FORMAT_NAMES,
            **paging(LEARNING, cursor, next_cursor, q=q, provider=provider, status=status),
        )

    # --- a course -----------------------------------------------------------------------------------

    async def _course_page(
        self,
        visit: Visit,
        course: CourseRead | None,
        *,
        form: CourseForm | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
        saved: bool = False,
    ) -> Template:
        form = form or (CourseForm.of(course) if course is not None else CourseForm())
        return await visit.page(
            "hr_learning_course.html",
            status=status,
            areas=AREAS,
            course=course,
            saved=saved,
            action=f"{LEARNING}/{course.id}" if course is not None else f"{LEARNING}/new",
            **await _form_context(visit, form, errors),
        )

    async def _course(self, visit: Visit, course_id: uuid.UUID) -> CourseRead | None:
        try:
            return await CourseService(visit.db).get(course_id)
        except NotFoundError:
            return None

    async def _not_found(self, visit: Visit) -> Template:
        return await visit.refused(404, LEARNING, visit.language.gettext("Back to the course catalogue"))

    @get("/new", opt={"scope": Scope.TRAINING_READ}, name="portal:hr-learning-new")
    async def new(self, visit: NamedDependency[Visit]) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await self._course_page(visit, None)

    @post("/new", opt={"scope": Scope.TRAINING_WRITE}, name="portal:hr-learning-create", media_type=MediaType.HTML)
    async def create(self, visit: NamedDependency[Visit]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        raw = await visit.form(*COURSE_FIELDS, repeated=COURSE_ROWS)
        form = await read_course_form(visit, raw)
        if raw.get("intent") == "search":
            # Without script, the search sends the whole form: it comes back with the results, as typed.
            return await self._course_page(visit, None, form=form)
        made: list[CourseRead] = []

        async def create() -> None:
            data = msgspec.convert(form.payload(), CourseCreate, strict=False)
            made.append(await CourseService(visit.db).create(visit.principal, data))

        if errors := await visit.attempt(create, partial(course_refusal, visit.language)):
            return await self._course_page(visit, None, form=form, errors=errors, status=errors.status)
        return Redirect(f"{LEARNING}/{made[0].id}", status_code=303)

    @get("/skills", opt={"scope": Scope.TAXONOMY_READ}, name="portal:hr-learning-skills")
    async def skills(
        self,
        visit: NamedDependency[Visit],
        q: FromQuery[str] = "",
        skill_row: FromQuery[list[str] | None] = None,
        skill_id: FromQuery[list[str] | None] = None,
        level: FromQuery[list[str] | None] = None,
    ) -> Template:
        """The skills chosen and those found, for htmx to put in the form as the person types (it sends
        the search and the rows of skills already there, as the form would)."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        form = await read_course_form(visit, sent_rows(skill_row=skill_row, skill_id=skill_id, level=level))
        form.q = q.strip()
        return HTMXTemplate(
            template_name="hr_learning_skills.html",
            context={"i18n": visit.language, **await _form_context(visit, form, None)},
        )

    @get("/{course_id:uuid}", opt={"scope": Scope.TRAINING_READ}, name="portal:hr-learning-course")
    async def course(
        self, visit: NamedDependency[Visit], course_id: FromPath[uuid.UUID], saved: FromQuery[bool] = False
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        course = await self._course(visit, course_id)
        if course is None:
            return await self._not_found(visit)
        return await self._course_page(visit, course, saved=saved)

    @post(
        "/{course_id:uuid}",
        opt={"scope": Scope.TRAINING_WRITE},
        name="portal:hr-learning-save",
        media_type=MediaType.HTML,
    )
    async def save(self, visit: NamedDependency[Visit], course_id: FromPath[uuid.UUID]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        raw = await visit.form(*COURSE_FIELDS, repeated=COURSE_ROWS)
        form = await read_course_form(visit, raw)
        course = await self._course(visit, course_id)
        if course is None:
            return await self._not_found(visit)
        if raw.get("intent") == "search":
            return await self._course_page(visit, course, form=form)

        async def update() -> None:
            data = msgspec.convert(form.payload(), CourseUpdate, strict=False)
            await CourseService(visit.db).update(visit.principal, course_id, data)

        if errors := await visit.attempt(update, partial(course_refusal, visit.language)):
            return await self._course_page(visit, course, form=form, errors=errors, status=errors.status)
        return Redirect(f"{LEARNING}/{course_id}?saved=true", status_code=303)

    @post(
        "/{course_id:uuid}/deactivate",
        opt={"scope": Scope.TRAINING_WRITE},
        name="portal:hr-learning-deactivate",
        media_type=MediaType.HTML,
    )
    async def deactivate(self, visit: NamedDependency[Visit], course_id: FromPath[uuid.UUID]) -> Any:
        return await self._set_active(visit, course_id, False)

    @post(
        "/{course_id:uuid}/activate",
        opt={"scope": Scope.TRAINING_WRITE},
        name="portal:hr-learning-activate",
        media_type=MediaType.HTML,
    )
    async def activate(self, visit: NamedDependency[Visit], course_id: FromPath[uuid.UUID]) -> Any:
        return await self._set_active(visit, course_id, True)

    async def _set_active(self, visit: Visit, course_id: uuid.UUID, active: bool) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        await visit.form()  # a form of one button: any field sent is refused
        try:
            refused = await visit.attempt(
                lambda: CourseService(visit.db).set_active(visit.principal, course_id, active),
                partial(course_refusal, visit.language),
                not_found_raises=True,
            )
        except NotFoundError:
            return await self._not_found(visit)
        if refused:
            course = await self._course(visit, course_id)
            errors = {"active": refused.get("currency") or next(iter(refused.values()))}
            return await self._course_page(visit, course, errors=errors, status=refused.status)
        return Redirect(f"{LEARNING}/{course_id}", status_code=303)

    # --- the import ---------------------------------------------------------------------------------

    async def _import_page(
        self,
        visit: Visit,
        *,
        report: ImportReport | None = None,
        problems: list[Problem] | None = None,
        total: int = 0,
        error: str | None = None,
        filename: str = "",
        status: int = 200,
    ) -> Template:
        return await visit.page(
            "hr_learning_import.html",
            status=status,
            areas=AREAS,
            max_rows=MAX_IMPORT_ROWS,
            max_megabytes=MAX_IMPORT_BYTES // 1_000_000,
            max_reported=MAX_REPORTED_ERRORS,
            report=report,
            problems=problems,
            total=total,
            error=error,
            filename=filename,
        )

    @get("/import", opt={"scope": Scope.TRAINING_READ}, name="portal:hr-learning-import")
    async def import_form(self, visit: NamedDependency[Visit]) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await self._import_page(visit)

    @get("/import/sample.csv", opt={"scope": Scope.TRAINING_READ}, name="portal:hr-learning-sample")
    async def sample(self, visit: NamedDependency[Visit]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return Response(
            SAMPLE_CSV,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="courses-sample.csv"'},
        )

    @post(
        "/import",
        opt={"scope": Scope.TRAINING_WRITE},
        name="portal:hr-learning-import-post",
        media_type=MediaType.HTML,
        request_max_body_size=UPLOAD_MAX_BODY,
    )
    async def import_file(self, visit: NamedDependency[Visit]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        gettext = visit.language.gettext
        try:
            raw = await visit.form(FILE)
        except HTTPException as exc:
            if exc.status_code != 413:
                raise
            too_big = gettext("The file is larger than %(size)s MB: split it.") % {
                "size": MAX_IMPORT_BYTES // 1_000_000
            }
            return await self._import_page(visit, error=too_big, status=413)
        upload = raw.get(FILE)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await self._import_page(visit, error=gettext("Choose a CSV file to import."), status=422)
        name = upload.filename
        content = await upload.read()
        error = None
        if not name.lower().endswith(".csv") and upload.content_type.split(";")[0].strip() not in CSV_TYPES:
            error = gettext("This is not a CSV file: choose a .csv file, such as the sample.")
        elif len(content) > MAX_IMPORT_BYTES:
            error = gettext("The file is larger than %(size)s MB: split it.") % {"size": MAX_IMPORT_BYTES // 1_000_000}
        elif not content.strip():
            error = gettext("The file is empty: it needs a header line and at least one course.")
        if error:
            return await self._import_page(
                visit, error=error, filename=name, status=413 if len(content) > MAX_IMPORT_BYTES else 422
            )
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            error = gettext("The file is not UTF-8 text: save it as “CSV UTF-8” and choose it again.")
            return await self._import_page(visit, error=error, filename=name, status=422)
        reports: list[ImportReport] = []

        async def run() -> None:
            reports.append(await CourseService(visit.db).import_csv(visit.principal, text))

        refused = await visit.attempt(run, partial(course_refusal, visit.language))
        if isinstance(refused.error, CatalogImportRefused):
            total = refused.error.total
            problems = [problem_in_words(visit.language, *p) for p in refused.error.problems]
            return await self._import_page(visit, problems=problems, total=total, filename=name, status=422)
        if refused:
            message = refused.get("currency") or next(iter(refused.values()))
            return await self._import_page(visit, error=message, filename=name, status=refused.status)
        return await self._import_page(visit, report=reports[0], filename=name)


async def _form_context(visit: Visit, form: CourseForm, errors: dict[str, str] | None) -> dict[str, Any]:
    """What the course form shows: its choices (formats, levels), the skill search's results and what
    was typed."""
    return {
        "form": form,
        "formats": FORMAT_NAMES,
        "levels": await SkillService(visit.db).proficiency_levels(),
        "results": await skill_search(visit.db, form.q, form.skill_ids()),
        "errors": errors or {},
    }
