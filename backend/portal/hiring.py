"""A manager's openings: thin pages over the same services, with the same principal and rules, as the
API's routes for openings, their applicants and their candidates.

- `/openings`: the openings and gigs I am the hiring manager of, by status (`OpportunityService.list_visible`
  with `hiring_manager_id`, as `GET /opportunities?hiring_manager_id=`), and a form to post a new one as
  a draft (`OpportunityService.create`, as `POST /opportunities`): title, kind, department, location,
  remote, hours, weeks, description, and skills with level and importance, each found by searching the
  skill library (htmx asks `/openings/skills` as one types; without script the form's Search button
  sends the whole form and gets it back with the results, all typed kept). Who may post is the
  service's rule (`OpportunityService.require_poster`): anyone else gets a 403 page.
- `/openings/{id}/edit`: edit it (`OpportunityService.update`, as `PATCH /opportunities/{id}`).
- `POST /openings/{id}/open`, `/close`: `OpportunityService.open` / `close`.
- `/openings/{id}`: its applicants ranked with their explanations (`ApplicantRankingService.ranked`, as
  `GET /opportunities/{id}/applications`), moved through their stages (`ApplicationService.move`, as
  `POST /applications/{id}/stage`: the stages `hiring_moves` offers, a rejection with its reason, an
  offer asking the release the mobility policy says), and the candidates whose open-to-move choice
  admits me (`MatchServingService.candidates`, as `GET /opportunities/{id}/candidates`). An opening I
  may not see is a 404 page, one that is not mine a 403 page, as the API answers.

A refusal is the page again with the status the API would answer, the reason beside the field it
concerns and what was typed kept; nothing of it is kept (a savepoint).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import MAX_LIMIT
from backend.api.problems import domain_status
from backend.auth.principal import Principal, Scope
from backend.errors import ConflictError, DomainError, InvalidInputError, NotFoundError, PermissionDeniedError
from backend.framework.models import Importance
from backend.framework.service import FrameworkService
from backend.marketplace.applications import ApplicationService, MobilityPolicyService, hiring_moves
from backend.marketplace.models import ApplicationStage, OpportunityKind, OpportunityStatus
from backend.marketplace.opportunities import OpportunityService
from backend.marketplace.schemas import (
    OpportunityCreate,
    OpportunityRead,
    OpportunityUpdate,
    StageChange,
)
from backend.matching.applicants import ApplicantRankingService
from backend.matching.schemas import TOP_CANDIDATES
from backend.matching.serving import MatchServingService
from backend.org.models import OrgUnitKind
from backend.org.service import OrgService
from backend.portal.forms import FORM, Refusal, field_of
from backend.portal.i18n import Language
from backend.portal.lists import every
from backend.portal.routes import Visit
from backend.portal.skills import sent_rows, skill_search
from backend.skills.service import SkillService

# What the API's bearer middleware leaves to these pages (their guard is the portal's).
HIRING_PATHS = ["^/openings(/.*)?$"]
# The kinds a manager posts here, in the order offered (a tenant's own types are HR's to post).
POSTED_KINDS = (OpportunityKind.GIG, OpportunityKind.PROJECT, OpportunityKind.ROLE)
# The order of the sections of /openings.
STATUS_ORDER = (OpportunityStatus.DRAFT, OpportunityStatus.OPEN, OpportunityStatus.CLOSED, OpportunityStatus.FILLED)
# Applicants a page (the API's maximum page).
APPLICANTS_PAGE = MAX_LIMIT
# The text fields of the posting form, kept as typed.
TEXT_FIELDS = ("title", "kind", "description", "role_id", "org_unit_id", "location", "hours_per_week", "duration_weeks")
# Everything the posting form sends: its fields, the remote box, the skill search and the button pressed
# (`intent`: search or save); and, once per row of skills, the row's skill, level and importance, and
# the skill again when ticked.
POSTING_FIELDS = (*TEXT_FIELDS, "remote", "q", "intent")
POSTING_ROWS = ("skill_row", "skill_id", "level", "importance")
# HR's posting form (`hr_openings.py`) also names the hiring manager, chosen by name: the one chosen
# (`hiring_manager_id`, a radio button) and the search of people who may be one (`manager_q`).
MANAGER_FIELDS = ("hiring_manager_id", "manager_q")
# How many people a search of hiring managers shows (the API's default page).
MANAGER_RESULTS = 20


@dataclass
class ChosenManager:
    """A person named (or to name) the opening's hiring manager, as the form shows them."""

    employee_id: str
    name: str
    title: str | None


@dataclass
class ChosenSkill:
    """A skill the opening asks for, as the form holds it (strings, as typed or chosen)."""

    skill_id: str
    label: str
    level: str
    importance: str


@dataclass
class PostingForm:
    """The posting form as typed: shown back after a refusal or a search, and sent to the service."""

    fields: dict[str, str] = field(default_factory=lambda: dict.fromkeys(TEXT_FIELDS, ""))
    remote: bool = False
    skills: list[ChosenSkill] = field(default_factory=list)
    q: str = ""
    # Whether the form names the hiring manager (HR's does; a manager's posts as the hiring manager),
    # the one chosen and the search of people who may be one.
    names_manager: bool = False
    manager: ChosenManager | None = None
    manager_q: str = ""
    # The hiring manager's id as sent, kept when it names nobody in the directory: the service then
    # refuses it (as the API does) rather than the form reading it as no one.
    manager_sent: str = ""

    @classmethod
    async def of(cls, db: AsyncSession, opening: OpportunityRead, *, names_manager: bool = False) -> PostingForm:
        def text(value: object) -> str:
            return "" if value is None else str(value)

        fields = {name: text(getattr(opening, name)) for name in TEXT_FIELDS}
        skills = [ChosenSkill(str(s.skill_id), s.label, str(s.level), s.importance.value) for s in opening.skills]
        manager = await _manager(db, text(opening.hiring_manager_id)) if names_manager else None
        return cls(fields, opening.remote, skills, names_manager=names_manager, manager=manager)

    def skill_ids(self) -> set[str]:
        return {s.skill_id for s in self.skills}

    def payload(self, *, creating: bool) -> dict[str, Any]:
        """What the API's body would hold: empty fields are absent values; without skills a new opening
        for a role takes its role's (as `POST /opportunities` does)."""

        def value(name: str) -> str | None:
            return self.fields.get(name, "").strip() or None

        skills: list[dict[str, Any]] | None = [
            {"skill_id": s.skill_id, "level": s.level or None, "importance": s.importance or Importance.ESSENTIAL}
            for s in self.skills
        ]
        if creating and not skills and self.fields.get("kind") == OpportunityKind.ROLE:
            skills = None
        chosen = self.manager.employee_id if self.manager else (self.manager_sent or None)
        named = {"hiring_manager_id": chosen} if self.names_manager else {}
        return {
            **named,
            "title": self.fields.get("title", ""),
            "kind": self.fields.get("kind", ""),
            "description": value("description"),
            "role_id": value("role_id"),
            "org_unit_id": value("org_unit_id"),
            "location": value("location"),
            "remote": self.remote,
            "hours_per_week": value("hours_per_week"),
            "duration_weeks": value("duration_weeks"),
            "skills": skills,
        }


async def read_posting_form(db: AsyncSession, form: FormMultiDict, *, names_manager: bool = False) -> PostingForm:
    """The posting form as sent: its fields, and the skills ticked with their level and importance
    (each row of skills sends `skill_row`, `level` and `importance` in the same order, and `skill_id`
    when ticked; labels come from the library: a skill that is not in it is left out); with
    `names_manager`, the hiring manager chosen (a person not in the directory is left out) and the
    search for one."""
    fields = {name: str(form.get(name, "")) for name in TEXT_FIELDS}
    ticked = {value for value in form.getall("skill_id", []) if isinstance(value, str)}
    rows = zip(form.getall("skill_row", []), form.getall("level", []), form.getall("importance", []), strict=False)
    skills: list[ChosenSkill] = []
    for skill_id, level, importance in rows:
        if skill_id not in ticked or skill_id in {s.skill_id for s in skills}:
            continue
        label = await _skill_label(db, str(skill_id))
        if label is not None:
            skills.append(ChosenSkill(str(skill_id), label, str(level), str(importance)))
    return PostingForm(
        fields,
        form.get("remote") == "yes",
        skills,
        str(form.get("q", "")).strip(),
        names_manager=names_manager,
        manager=await _manager(db, str(form.get("hiring_manager_id", ""))) if names_manager else None,
        manager_q=str(form.get("manager_q", "")).strip() if names_manager else "",
        manager_sent=str(form.get("hiring_manager_id", "")).strip() if names_manager else "",
    )


async def _skill_label(db: AsyncSession, value: str) -> str | None:
    try:
        return (await SkillService(db).get_skill(uuid.UUID(value))).label
    except (ValueError, NotFoundError):
        return None


async def _manager(db: AsyncSession, value: str) -> ChosenManager | None:
    try:
        person = await OrgService(db).get_employee(uuid.UUID(value))
    except (ValueError, NotFoundError):
        return None
    return ChosenManager(str(person.id), person.full_name, person.title)


async def manager_search(db: AsyncSession, q: str, chosen: ChosenManager | None) -> list[ChosenManager]:
    """The people who may be named hiring manager (active, with an active direct report: the rule the
    service checks) whose name or email contains `q` (none for an empty `q`), as
    `GET /employees?active=true&manages_people=true&q=` finds them, less the one already chosen."""
    if not q:
        return []
    found, _ = await OrgService(db).list_employees(
        org_unit_id=None,
        manager_id=None,
        role_id=None,
        location=None,
        active=True,
        q=q,
        cursor=None,
        limit=MANAGER_RESULTS,
        manages_people=True,
    )
    taken = chosen.employee_id if chosen else None
    return [ChosenManager(str(p.id), p.full_name, p.title) for p in found if str(p.id) != taken]


def posting_refusal(language: Language, exc: DomainError | msgspec.ValidationError) -> dict[str, str]:
    """A refused posting or edit as {field: message} in the person's language, beside the field the
    API's problem names."""
    if isinstance(exc, ConflictError):
        return {
            FORM: language.gettext("A filled opening no longer changes, and its kind changes only while it is a draft.")
        }
    if isinstance(exc, PermissionDeniedError):
        return {FORM: language.gettext("Only the opening's hiring manager, its creator or HR may change it.")}
    name = (
        exc.field
        if isinstance(exc, InvalidInputError)
        else field_of(exc)
        if isinstance(exc, msgspec.ValidationError)
        else FORM
    )
    message = _field_message(language, name)
    return (
        {name: message} if message else {FORM: language.gettext("The opening was not saved. Check it and try again.")}
    )


def _field_message(language: Language, name: str) -> str | None:
    gettext = language.gettext
    messages = {
        "title": gettext("Give it a title, in at most 200 characters."),
        "kind": gettext("Choose what kind of opportunity it is."),
        "description": gettext("Write the description in at most 5,000 characters."),
        "role_id": gettext("An opening for a role needs the role it is for; a gig or a project names none."),
        "org_unit_id": gettext("Choose a department from the list."),
        "location": gettext("Write the location in at most 200 characters."),
        "hours_per_week": gettext(
            "A gig or a project needs its hours a week, from 1 to 80; an opening for a role has none."
        ),
        "duration_weeks": gettext(
            "A gig or a project needs the weeks it lasts, from 1 to 260; an opening for a role has none."
        ),
        "skills": gettext("Choose a level, from 1 to 5, for each skill asked for."),
        "hiring_manager_id": gettext(
            "Choose the hiring manager by name: someone who manages at least one person and has not applied to it."
        ),
    }
    return messages.get(name)


def status_refusal(language: Language, exc: DomainError) -> str:
    """Why an opening did not open or close, in the person's language."""
    if isinstance(exc, InvalidInputError):
        if exc.field == "description":
            return language.gettext("It needs a description before it opens: edit it to add one.")
        if exc.field == "closes_at":
            return language.gettext("Its deadline has passed: ask HR to move it before it opens again.")
        if exc.field == "hiring_manager_id":
            return language.gettext("It needs a hiring manager before it opens.")
        return language.gettext("It cannot open as it is: edit it first.")
    if isinstance(exc, ConflictError):
        return language.gettext("Its status has changed since: it cannot do that now.")
    if isinstance(exc, PermissionDeniedError):
        return language.gettext("Only the opening's hiring manager, its creator or HR may change it.")
    return language.gettext("That did not work. Please try again.")


def stage_refusal(language: Language, exc: DomainError | msgspec.ValidationError, to: str) -> dict[str, str]:
    """Why an application did not move, beside the field it concerns (`to`, `note`, `reason_shared`)."""
    if isinstance(exc, msgspec.ValidationError):
        name = field_of(exc, "to")
        if name in ("note", "reason_shared"):
            return {name: language.gettext("Write it in at most 5,000 characters.")}
        return {"to": language.gettext("Choose one of the stages offered.")}
    if isinstance(exc, InvalidInputError) and exc.field == "note":
        return {"note": language.gettext("Give the reason for the rejection. Only the hiring side reads it.")}
    if isinstance(exc, InvalidInputError) and exc.field == "reason_shared":
        return {"reason_shared": language.gettext("A reason is told to the applicant only with a rejection.")}
    if isinstance(exc, ConflictError) and to == ApplicationStage.HIRED:
        return {
            "to": language.gettext(
                "The hire waits for the applicant's manager: they blocked the move, or have not answered yet."
            )
        }
    if isinstance(exc, ConflictError):
        return {"to": language.gettext("This application has moved on since: choose one of the stages offered now.")}
    return {"to": language.gettext("Only the opening's hiring manager and HR move its applications.")}


async def _mine(db: AsyncSession, principal: Principal, manager_id: uuid.UUID) -> list[OpportunityRead]:
    """Every opening the person is the hiring manager of, as the API lists them for them."""
    service = OpportunityService(db)
    return await every(
        lambda cursor: service.list_visible(
            principal,
            status=None,
            kind=None,
            type_id=None,
            org_unit_id=None,
            hiring_manager_id=manager_id,
            accepting=None,
            remote=None,
            location=None,
            q=None,
            cursor=cursor,
            limit=MAX_LIMIT,
        )
    )


async def posting_context(db: AsyncSession, form: PostingForm, errors: dict[str, str] | None) -> dict[str, Any]:
    """What the posting form shows: its choices (departments, roles, levels), the skill search's
    results (and, on HR's form, the hiring manager search's) and what was typed."""
    departments, _ = await OrgService(db).list_units(
        parent_id=None, kind=OrgUnitKind.DEPARTMENT, q=None, cursor=None, limit=MAX_LIMIT
    )
    units = {str(unit.id): unit.name for unit in departments}
    unit_id = form.fields.get("org_unit_id", "")
    if unit_id and unit_id not in units:
        # An opening HR placed in a team keeps it.
        with contextlib.suppress(ValueError, NotFoundError):
            units[unit_id] = (await OrgService(db).get_unit(uuid.UUID(unit_id))).name
    roles, _ = await FrameworkService(db).list_roles(
        job_family_id=None, level=None, q=None, cursor=None, limit=MAX_LIMIT
    )
    kinds = [k.value for k in POSTED_KINDS]
    if form.fields.get("kind") and form.fields["kind"] not in kinds:
        kinds.append(form.fields["kind"])
    return {
        "form": form,
        "kinds": kinds,
        "units": sorted(units.items(), key=lambda item: item[1].casefold()),
        "roles": sorted(roles, key=lambda r: (r.title.casefold(), r.level or 0)),
        "levels": await SkillService(db).proficiency_levels(),
        "importances": [i.value for i in Importance],
        "results": await skill_search(db, form.q, form.skill_ids()),
        "managers": await manager_search(db, form.manager_q, form.manager),
        "errors": errors or {},
    }


# A page shown again after a search (no refusal) or a refusal (at its status): (form, refusal) -> the page.
ShowForm = Callable[[PostingForm, Refusal | None], Awaitable[Template]]


async def submit_posting(
    visit: Visit,
    write: Callable[[PostingForm], Awaitable[uuid.UUID]],
    show: ShowForm,
    gone: Callable[[], Awaitable[Template]],
    done: str,
    *,
    names_manager: bool = False,
) -> Any:
    """The posting form sent (a new opening, or an edit): after the same-origin wall, its fields read
    (HR's with the hiring manager's); a search (`intent=search`, the form without script) shows it
    again with the results; else `write` saves it (the service's create or update, in a savepoint)
    and the browser goes to `done` (`{id}`: the opening's), or the form comes back with the refusal
    beside its field (the API's status). An opening gone (404): `gone`."""
    visit.refuse_cross_site()
    fields = (*POSTING_FIELDS, *MANAGER_FIELDS) if names_manager else POSTING_FIELDS
    raw = await visit.form(*fields, repeated=POSTING_ROWS)
    form = await read_posting_form(visit.db, raw, names_manager=names_manager)
    if raw.get("intent") == "search":
        return await show(form, None)
    saved: list[uuid.UUID] = []

    async def save() -> None:
        saved.append(await write(form))

    try:
        errors = await visit.attempt(save, partial(posting_refusal, visit.language), not_found_raises=True)
    except NotFoundError:
        return await gone()
    if errors:
        return await show(form, errors)
    return Redirect(done.format(id=saved[0]), status_code=303)


async def create_opening(visit: Visit, form: PostingForm) -> uuid.UUID:
    """A new draft, as `POST /opportunities` makes it."""
    data = msgspec.convert(form.payload(creating=True), OpportunityCreate, strict=False)
    return (await OpportunityService(visit.db).create(visit.principal, data)).id


async def update_opening(visit: Visit, opportunity_id: uuid.UUID, form: PostingForm) -> uuid.UUID:
    """An opening changed, as `PATCH /opportunities/{id}` changes it."""
    data = msgspec.convert(form.payload(creating=False), OpportunityUpdate, strict=False)
    return (await OpportunityService(visit.db).update(visit.principal, opportunity_id, data)).id


async def change_status(
    visit: Visit, opportunity_id: uuid.UUID, change: Callable[[Principal, uuid.UUID], Awaitable[OpportunityRead]]
) -> tuple[str, int] | None:
    """Open or close an opening (a form of one button: any field is refused), as the API's routes do:
    None once done; else why not in the person's words, with the API's status. One the person may
    not see raises `NotFoundError`."""
    visit.refuse_cross_site()
    await visit.form()
    refused = await visit.attempt(lambda: change(visit.principal, opportunity_id), not_found_raises=True)
    if isinstance(refused.error, DomainError):
        return status_refusal(visit.language, refused.error), refused.status
    return None


async def move_application(visit: Visit, application_id: uuid.UUID) -> tuple[dict[str, str], Refusal]:
    """One application moved on (or rejected with its reason), as `POST /applications/{id}/stage`:
    what was typed and the refusal (empty once done). One the person may not see raises
    `NotFoundError`."""
    visit.refuse_cross_site()
    raw = await visit.form("to", "note", "reason_shared")
    typed = {name: str(raw.get(name, "")) for name in ("to", "note", "reason_shared")}
    language = visit.language

    async def move() -> None:
        body = {"to": typed["to"], "note": typed["note"].strip() or None}
        if typed["reason_shared"].strip():
            body["reason_shared"] = typed["reason_shared"].strip()
        await ApplicationService(visit.db).move(visit.principal, application_id, msgspec.convert(body, StageChange))

    errors = await visit.attempt(move, lambda exc: stage_refusal(language, exc, typed["to"]), not_found_raises=True)
    return typed, errors


async def _refused_page(visit: Visit, status: int, *, about: str) -> Template:
    """The refusal page, as the API answers: a 404 (an opening one may not see, as if it did not exist)
    or a 403 (not one's own opening, or not a manager's page), with why; back to the board."""
    language = visit.language
    reason = None
    if status != 404:
        reason = (
            language.gettext(
                "Posting openings and gigs, and following their applicants, is for managers. If you lead a "
                "team, ask HR to give your sign-in the manager role."
            )
            if about == "openings"
            else language.gettext("Only the opening's hiring manager and HR see its applicants and candidates.")
        )
    return await visit.refused(status, "/board", language.gettext("Back to the board"), reason=reason)


class HiringController(Controller):
    path = "/"
    include_in_schema = False

    # --- my openings and posting --------------------------------------------------------------------

    async def _openings_page(
        self, visit: Visit, *, form: PostingForm | None = None, errors: dict[str, str] | None = None, status: int = 200
    ) -> Template:
        try:
            OpportunityService.require_poster(visit.principal)
        except PermissionDeniedError:
            return await _refused_page(visit, 403, about="openings")
        me, unread = await visit.header()
        openings = await _mine(visit.db, visit.principal, me.id)
        by_status = {s: [o for o in openings if o.status == s] for s in STATUS_ORDER}
        form = form or PostingForm()
        return await visit.page(
            "hiring.html",
            status=status,
            me=me,
            unread=unread,
            by_status=by_status,
            **await posting_context(visit.db, form, errors),
            action="/openings",
        )

    @get("/openings", opt={"scope": Scope.OPPORTUNITIES_READ}, name="portal:openings")
    async def openings(self, visit: NamedDependency[Visit]) -> Template:
        return await self._openings_page(visit)

    @get("/openings/skills", opt={"scope": Scope.TAXONOMY_READ}, name="portal:openings-skills")
    async def skills(
        self,
        visit: NamedDependency[Visit],
        q: FromQuery[str] = "",
        skill_row: FromQuery[list[str] | None] = None,
        skill_id: FromQuery[list[str] | None] = None,
        level: FromQuery[list[str] | None] = None,
        importance: FromQuery[list[str] | None] = None,
    ) -> Template:
        """The skills chosen and those found, for htmx to put in the form as the person types (it sends
        the search and the rows of skills already there, as the form would)."""
        sent = sent_rows(skill_row=skill_row, skill_id=skill_id, level=level, importance=importance)
        form = await read_posting_form(visit.db, sent)
        form.q = q.strip()
        return HTMXTemplate(
            template_name="hiring_skills.html",
            context={
                "i18n": visit.language,
                "form": form,
                "levels": await SkillService(visit.db).proficiency_levels(),
                "importances": [i.value for i in Importance],
                "results": await skill_search(visit.db, form.q, form.skill_ids()),
                "errors": {},
            },
        )

    @post("/openings", opt={"scope": Scope.OPPORTUNITIES_WRITE}, name="portal:openings-post", media_type=MediaType.HTML)
    async def post_opening(self, visit: NamedDependency[Visit]) -> Any:
        async def show(form: PostingForm, errors: Refusal | None) -> Template:
            return await self._openings_page(visit, form=form, errors=errors, status=errors.status if errors else 200)

        return await submit_posting(
            visit,
            partial(create_opening, visit),
            show,
            partial(_refused_page, visit, 404, about="opening"),
            "/openings/{id}",
        )

    # --- one opening --------------------------------------------------------------------------------

    @get("/openings/{opportunity_id:uuid}/edit", opt={"scope": Scope.OPPORTUNITIES_READ}, name="portal:opening-edit")
    async def edit(self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID]) -> Template:
        return await self._edit_page(visit, opportunity_id)

    async def _edit_page(
        self,
        visit: Visit,
        opportunity_id: uuid.UUID,
        *,
        form: PostingForm | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        try:
            opening = await OpportunityService(visit.db).get_managed(visit.principal, opportunity_id)
        except DomainError as exc:
            return await _refused_page(visit, domain_status(exc), about="opening")
        me, unread = await visit.header()
        return await visit.page(
            "hiring_edit.html",
            status=status,
            me=me,
            unread=unread,
            opening=opening,
            **await posting_context(visit.db, form or await PostingForm.of(visit.db, opening), errors),
            action=f"/openings/{opening.id}/edit",
        )

    @post(
        "/openings/{opportunity_id:uuid}/edit",
        opt={"scope": Scope.OPPORTUNITIES_WRITE},
        name="portal:opening-save",
        media_type=MediaType.HTML,
    )
    async def save(self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID]) -> Any:
        async def show(form: PostingForm, errors: Refusal | None) -> Template:
            status = errors.status if errors else 200
            return await self._edit_page(visit, opportunity_id, form=form, errors=errors, status=status)

        return await submit_posting(
            visit,
            partial(update_opening, visit, opportunity_id),
            show,
            partial(_refused_page, visit, 404, about="opening"),
            "/openings/{id}",
        )

    @post(
        "/openings/{opportunity_id:uuid}/open",
        opt={"scope": Scope.OPPORTUNITIES_WRITE},
        name="portal:opening-open",
        media_type=MediaType.HTML,
    )
    async def open_opening(self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID]) -> Any:
        return await self._change_status(visit, opportunity_id, OpportunityService(visit.db).open)

    @post(
        "/openings/{opportunity_id:uuid}/close",
        opt={"scope": Scope.OPPORTUNITIES_WRITE},
        name="portal:opening-close",
        media_type=MediaType.HTML,
    )
    async def close_opening(self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID]) -> Any:
        return await self._change_status(visit, opportunity_id, OpportunityService(visit.db).close)

    async def _change_status(
        self,
        visit: Visit,
        opportunity_id: uuid.UUID,
        change: Callable[[Principal, uuid.UUID], Awaitable[OpportunityRead]],
    ) -> Any:
        try:
            refused = await change_status(visit, opportunity_id, change)
        except NotFoundError:
            return await _refused_page(visit, 404, about="opening")
        if refused:
            return await self._opening_page(visit, opportunity_id, status_error=refused[0], status=refused[1])
        return Redirect(f"/openings/{opportunity_id}", status_code=303)

    @get("/openings/{opportunity_id:uuid}", opt={"scope": Scope.APPLICATIONS_READ}, name="portal:managed-opening")
    async def opening(
        self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID], cursor: FromQuery[str | None] = None
    ) -> Template:
        return await self._opening_page(visit, opportunity_id, cursor=cursor)

    async def _opening_page(
        self,
        visit: Visit,
        opportunity_id: uuid.UUID,
        *,
        cursor: str | None = None,
        status_error: str | None = None,
        moving: uuid.UUID | None = None,
        typed: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        """The opening, its applicants best match first and its candidates, for its hiring manager."""
        try:
            opening = await OpportunityService(visit.db).get(visit.principal, opportunity_id)
            ranking = ApplicantRankingService(visit.db)
            try:
                applicants, next_cursor = await ranking.ranked(
                    visit.principal, opportunity_id, stage=None, cursor=cursor or None, limit=APPLICANTS_PAGE
                )
            except InvalidInputError:
                # A cursor of another ranking (or made up): the first page.
                applicants, next_cursor = await ranking.ranked(
                    visit.principal, opportunity_id, stage=None, cursor=None, limit=APPLICANTS_PAGE
                )
                cursor = None
        except DomainError as exc:
            return await _refused_page(visit, domain_status(exc), about="opening")
        try:
            candidates = await MatchServingService(visit.db).candidates(visit.principal, opportunity_id, TOP_CANDIDATES)
        except PermissionDeniedError:
            # A hiring manager without the manager role reads the applicants (as the API serves them) but
            # not the candidates: the page says so rather than refusing the whole opening.
            candidates = None
        me, unread = await visit.header()
        department = await OrgService(visit.db).get_unit(opening.org_unit_id) if opening.org_unit_id else None
        return await visit.page(
            "hiring_opening.html",
            status=status,
            me=me,
            unread=unread,
            opening=opening,
            department=department,
            applicants=applicants,
            moves={a.id: hiring_moves(a.stage) for a in applicants},
            candidates=candidates,
            policy=await MobilityPolicyService(visit.db).get(),
            next_page=f"/openings/{opening.id}?{urlencode({'cursor': next_cursor})}" if next_cursor else None,
            first_page=f"/openings/{opening.id}" if cursor else None,
            status_error=status_error,
            moving=moving,
            typed=typed or {},
            errors=errors or {},
            here=f"/openings/{opening.id}",
        )

    @post(
        "/openings/{opportunity_id:uuid}/applications/{application_id:uuid}/stage",
        opt={"scope": Scope.APPLICATIONS_WRITE},
        name="portal:application-stage",
        media_type=MediaType.HTML,
    )
    async def move(
        self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID], application_id: FromPath[uuid.UUID]
    ) -> Any:
        """One application moved on (or rejected with its reason), as `POST /applications/{id}/stage`."""
        try:
            typed, errors = await move_application(visit, application_id)
        except NotFoundError:
            return await _refused_page(visit, 404, about="opening")
        if errors:
            return await self._opening_page(
                visit,
                opportunity_id,
                moving=application_id,
                typed=typed,
                errors=errors,
                status=errors.status,
            )
        return Redirect(f"/openings/{opportunity_id}#application-{application_id}", status_code=303)
