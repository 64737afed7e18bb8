"""The opportunity board and the person's applications: thin pages over the same marketplace services,
with the same principal and scopes, as `GET /api/v1/opportunities`, `POST .../applications`,
`POST /api/v1/applications/{id}/withdraw` and `GET /api/v1/me/applications`.

- `/board`: every opening the person may see (`OpportunityService.list_visible`), searched by title and
  filtered by kind, department, location, remote work and hours a week (the API's filters), a page at
  a time (the API's cursor); a GET form.
- `/board/{id}`: one opening, its skills against the person's, and, before applying, who will know
  and when (the company's mobility policy); apply or express interest with a note, or withdraw.
- `/applications`: the person's applications (`ApplicationService.mine`): stage, history, and what
  the mobility policy has told their manager so far.

Writes are POST forms from our own pages (the same-origin wall of the language switch and sign-out).
A write the domain refuses is shown again, with the reason beside the field it concerns and what was
typed kept, with the status the API would answer; nothing of a refused write is kept (a savepoint).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType, RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from msgspec import Struct
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import MAX_LIMIT
from backend.api.problems import domain_status
from backend.auth.principal import Principal, Scope
from backend.errors import ConflictError, DomainError, InvalidInputError, NotFoundError, PermissionDeniedError
from backend.framework.models import Importance
from backend.framework.schemas import SkillMatch
from backend.marketplace.applications import ApplicationService, MobilityPolicyService
from backend.marketplace.models import FINAL_STAGES, ApplicationKind, OpportunityKind
from backend.marketplace.opportunities import OpportunityService
from backend.marketplace.schemas import ApplicationCreate, ApplicationRead, OpportunityRead, Withdrawal
from backend.org.models import OrgUnitKind
from backend.org.service import OrgService
from backend.org.skill_profiles import SkillProfileService
from backend.portal.forms import field_of
from backend.portal.i18n import Language, Languages
from backend.portal.routes import language_of, page, refuse_cross_site, signed_in_header
from backend.settings import Settings

# Openings per page of the board, and applications per page of the person's list.
BOARD_PAGE = 20
APPLICATIONS_PAGE = 20
# The API's limit on a title search (`backend.api.params.Search`).
SEARCH_MAX = 200
# The API's bounds of the hours filter (`backend.marketplace.routes.HoursBound`).
HOURS_MIN, HOURS_MAX = 1, 80


class ApplyForm(Struct):
    kind: str = ApplicationKind.APPLICATION.value
    note: str = ""


@dataclass(frozen=True)
class BoardFilters:
    """What the board's form asked for, as typed (shown back in the form) and as the service takes it."""

    q: str
    kind: str
    department: str
    location: str
    # "yes": only openings that may be done remotely.
    remote: str
    # Hours a week, at least and at most (as typed; whole numbers from 1 to 80).
    hours_min: str = ""
    hours_max: str = ""

    def query(self, **more: str) -> str:
        """The board's query string for these filters (and `more`, such as a cursor), empty ones left out."""
        wanted = {
            "q": self.q,
            "kind": self.kind,
            "department": self.department,
            "location": self.location,
            "remote": self.remote,
            "hours_min": self.hours_min,
            "hours_max": self.hours_max,
            **more,
        }
        return urlencode({name: value for name, value in wanted.items() if value})


def hours_bound(typed: str) -> int | None:
    """A bound of the hours filter as the API takes it (a whole number from 1 to 80), None when empty;
    ValueError when it is not one."""
    if not typed:
        return None
    if not typed.isascii() or not typed.isdigit() or not HOURS_MIN <= int(typed) <= HOURS_MAX:
        raise ValueError(typed)
    return int(typed)


def skills_against(opening: OpportunityRead, levels: dict[uuid.UUID, int]) -> tuple[list[SkillMatch], list[SkillMatch]]:
    """The opening's skills the person has at the level asked, and those they miss (with the level
    they have, 0 when none), required ones first: as home explains a match."""
    had: list[SkillMatch] = []
    missing: list[SkillMatch] = []
    for skill in opening.skills:
        have = levels.get(skill.skill_id, 0)
        match = SkillMatch(skill.skill_id, skill.label, have, skill.level, skill.importance)
        (had if have >= skill.level else missing).append(match)
    order = {Importance.ESSENTIAL: 0, Importance.IMPORTANT: 1, Importance.NICE_TO_HAVE: 2}
    had.sort(key=lambda m: (order[m.importance], m.label))
    missing.sort(key=lambda m: (order[m.importance], m.label))
    return had, missing


async def my_levels(db: AsyncSession, employee_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """The person's level in each skill now: the highest of its current ratings (as matching counts)."""
    levels: dict[uuid.UUID, int] = {}
    cursor: str | None = None
    while True:
        ratings, cursor = await SkillProfileService(db).profile(employee_id, None, cursor, MAX_LIMIT)
        for rating in ratings:
            levels[rating.skill_id] = max(rating.level, levels.get(rating.skill_id, 0))
        if cursor is None:
            return levels


async def my_application_to(
    db: AsyncSession, principal: Principal, opportunity_id: uuid.UUID
) -> ApplicationRead | None:
    """The person's application (or interest) to one opening, if any: one per person and opening."""
    service = ApplicationService(db)
    cursor: str | None = None
    while True:
        mine, cursor = await service.mine(principal, stage=None, cursor=cursor, limit=MAX_LIMIT)
        for application in mine:
            if application.opportunity_id == opportunity_id:
                return application
        if cursor is None:
            return None


def refusal(language: Language, exc: DomainError, *, applied: bool) -> tuple[str, str]:
    """The field a refused application concerns and why, in the person's language (the API's problem
    says it in English for a program)."""
    if isinstance(exc, InvalidInputError) and exc.field == "note":
        return "note", language.gettext("Your note is too long or has characters that cannot be sent.")
    if isinstance(exc, ConflictError):
        if applied:
            return "kind", language.gettext("You have already responded to this opening. See My applications.")
        return "kind", language.gettext("This opening does not take applications now.")
    if isinstance(exc, PermissionDeniedError):
        return "kind", language.gettext("You cannot apply to this opening.")
    return "kind", language.gettext("Your response could not be sent. Please try again.")


class BoardController(Controller):
    path = "/"
    include_in_schema = False

    @get("/board", opt={"scope": Scope.OPPORTUNITIES_READ}, name="portal:board")
    async def board(
        self,
        request: HTMXRequest,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        languages: NamedDependency[Languages],
        settings: NamedDependency[Settings],
        q: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        department: FromQuery[str] = "",
        location: FromQuery[str] = "",
        remote: FromQuery[str] = "",
        hours_min: FromQuery[str] = "",
        hours_max: FromQuery[str] = "",
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        language = language_of(request, languages)
        filters = BoardFilters(
            q.strip(),
            kind,
            department,
            location.strip(),
            "yes" if remote == "yes" else "",
            hours_min.strip(),
            hours_max.strip(),
        )
        errors: dict[str, str] = {}
        hours: dict[str, int | None] = {}
        for field, typed in (("hours_min", filters.hours_min), ("hours_max", filters.hours_max)):
            try:
                hours[field] = hours_bound(typed)
            except ValueError:
                errors[field] = language.gettext("Enter a whole number of hours from %(min)s to %(max)s.") % {
                    "min": language.number(HOURS_MIN),
                    "max": language.number(HOURS_MAX),
                }
        for field, typed in (("q", filters.q), ("location", filters.location)):
            if len(typed) > SEARCH_MAX:
                errors[field] = language.ngettext(
                    "Search with at most %(num)s character.", "Search with at most %(num)s characters.", SEARCH_MAX
                ) % {"num": language.number(SEARCH_MAX)}
        kinds = [k.value for k in OpportunityKind]
        if kind and kind not in kinds:
            errors["kind"] = language.gettext("Choose a kind from the list.")
        department_id: uuid.UUID | None = None
        if department:
            try:
                department_id = uuid.UUID(department)
            except ValueError:
                errors["department"] = language.gettext("Choose a department from the list.")
        departments, _ = await OrgService(db).list_units(
            parent_id=None, kind=OrgUnitKind.DEPARTMENT, q=None, cursor=None, limit=MAX_LIMIT
        )
        openings: Sequence[OpportunityRead] = []
        next_cursor: str | None = None
        if not errors:
            try:
                openings, next_cursor = await _visible_openings(
                    db,
                    principal,
                    filters,
                    department_id,
                    cursor if cursor else None,
                    hours_min=hours.get("hours_min"),
                    hours_max=hours.get("hours_max"),
                )
            except InvalidInputError as exc:
                if exc.field == "hours_max":
                    errors["hours_max"] = language.gettext("Enter no fewer hours than in the at-least field.")
                else:
                    # A cursor of another search (or made up): start again from the first page.
                    errors["cursor" if exc.field == "cursor" else "q"] = language.gettext(
                        "This page of results is no longer available. Start again from the first page."
                    )
        me, unread = await signed_in_header(db, principal)
        response = page(
            request,
            languages,
            settings,
            "board.html",
            me=me,
            unread=unread,
            filters=filters,
            kinds=kinds,
            departments=sorted(departments, key=lambda unit: unit.name),
            unit_names={unit.id: unit.name for unit in departments},
            openings=openings,
            next_page=f"/board?{filters.query(cursor=next_cursor)}" if next_cursor else None,
            first_page=f"/board?{filters.query()}" if cursor else None,
            errors=errors,
        )
        if errors:
            response.status_code = 422
        return response

    @get("/board/{opportunity_id:uuid}", opt={"scope": Scope.OPPORTUNITIES_READ}, name="portal:opening")
    async def opening(
        self,
        request: HTMXRequest,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        languages: NamedDependency[Languages],
        settings: NamedDependency[Settings],
        opportunity_id: FromPath[uuid.UUID],
    ) -> Template:
        return await _opening_page(request, db, principal, languages, settings, opportunity_id)

    # Answered with a page (a refusal) or a redirect: HTML either way, whatever the handler's return type.
    @post(
        "/board/{opportunity_id:uuid}/apply",
        opt={"scope": Scope.APPLICATIONS_WRITE},
        name="portal:apply",
        media_type=MediaType.HTML,
    )
    async def apply(
        self,
        request: HTMXRequest,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        languages: NamedDependency[Languages],
        settings: NamedDependency[Settings],
        opportunity_id: FromPath[uuid.UUID],
        data: Annotated[ApplyForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        refuse_cross_site(request, settings)
        language = language_of(request, languages)
        try:
            wanted = msgspec.convert({"kind": data.kind, "note": data.note.strip() or None}, ApplicationCreate)
        except msgspec.ValidationError as exc:
            error = InvalidInputError(field_of(exc, "kind"), str(exc))
            field, message = refusal(language, error, applied=False)
            return await _opening_page(
                request,
                db,
                principal,
                languages,
                settings,
                opportunity_id,
                form=data,
                errors={field: message},
                status=422,
            )
        try:
            # A savepoint: nothing of a refused application stays in the request's transaction.
            async with db.begin_nested():
                await ApplicationService(db).apply(principal, opportunity_id, wanted)
        except NotFoundError:
            return await _opening_page(request, db, principal, languages, settings, opportunity_id)
        except DomainError as exc:
            applied = await my_application_to(db, principal, opportunity_id) is not None
            field, message = refusal(language, exc, applied=applied)
            return await _opening_page(
                request,
                db,
                principal,
                languages,
                settings,
                opportunity_id,
                form=data,
                errors={field: message},
                status=domain_status(exc),
            )
        return Redirect("/applications", status_code=303)

    @get("/applications", opt={"scope": Scope.APPLICATIONS_READ}, name="portal:applications")
    async def applications(
        self,
        request: HTMXRequest,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        languages: NamedDependency[Languages],
        settings: NamedDependency[Settings],
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        return await _applications_page(request, db, principal, languages, settings, cursor or None)

    @post(
        "/applications/{application_id:uuid}/withdraw",
        opt={"scope": Scope.APPLICATIONS_WRITE},
        name="portal:withdraw",
        media_type=MediaType.HTML,
    )
    async def withdraw(
        self,
        request: HTMXRequest,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        languages: NamedDependency[Languages],
        settings: NamedDependency[Settings],
        application_id: FromPath[uuid.UUID],
    ) -> Any:
        refuse_cross_site(request, settings)
        language = language_of(request, languages)
        try:
            async with db.begin_nested():
                await ApplicationService(db).withdraw(principal, application_id, Withdrawal())
        except NotFoundError:
            # Another person's application, or none: not found, as in the API.
            return await _not_found(request, db, principal, languages, settings)
        except DomainError as exc:
            return await _applications_page(
                request,
                db,
                principal,
                languages,
                settings,
                None,
                errors={application_id: language.gettext("This application can no longer be withdrawn.")},
                status=domain_status(exc),
            )
        return Redirect("/applications", status_code=303)


async def _not_found(
    request: HTMXRequest, db: AsyncSession, principal: Principal, languages: Languages, settings: Settings
) -> Template:
    """What the API answers 404 to (an opening the person may not see, another person's application):
    a page that says it is not found, as if it did not exist."""
    me, unread = await signed_in_header(db, principal)
    response = page(request, languages, settings, "board_missing.html", me=me, unread=unread)
    response.status_code = 404
    return response


async def _visible_openings(
    db: AsyncSession,
    principal: Principal,
    filters: BoardFilters,
    department_id: uuid.UUID | None,
    cursor: str | None,
    *,
    hours_min: int | None,
    hours_max: int | None,
) -> tuple[list[OpportunityRead], str | None]:
    return await OpportunityService(db).list_visible(
        principal,
        status=None,
        kind=OpportunityKind(filters.kind) if filters.kind else None,
        type_id=None,
        org_unit_id=department_id,
        hiring_manager_id=None,
        accepting=None,
        remote=True if filters.remote else None,
        location=filters.location or None,
        q=filters.q or None,
        cursor=cursor,
        limit=BOARD_PAGE,
        hours_min=hours_min,
        hours_max=hours_max,
    )


async def _opening_page(
    request: HTMXRequest,
    db: AsyncSession,
    principal: Principal,
    languages: Languages,
    settings: Settings,
    opportunity_id: uuid.UUID,
    *,
    form: ApplyForm | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    """An opening as the person may see it (an opening they may not see is not found, as in the API)."""
    try:
        opening = await OpportunityService(db).get(principal, opportunity_id)
    except NotFoundError:
        return await _not_found(request, db, principal, languages, settings)
    me, unread = await signed_in_header(db, principal)
    had, missing = skills_against(opening, await my_levels(db, me.id))
    application = await my_application_to(db, principal, opportunity_id)
    policy = await MobilityPolicyService(db).get()
    department = await OrgService(db).get_unit(opening.org_unit_id) if opening.org_unit_id else None
    response = page(
        request,
        languages,
        settings,
        "board_opening.html",
        me=me,
        unread=unread,
        opening=opening,
        department=department,
        had=had,
        missing=missing,
        application=application,
        withdrawable=application is not None and application.stage not in FINAL_STAGES,
        policy=policy,
        has_manager=me.manager_id is not None,
        is_hiring_manager=opening.hiring_manager_id == me.id,
        form=form or ApplyForm(),
        # Where the language switch comes back to (not the form's target).
        here=f"/board/{opportunity_id}",
        errors=errors or {},
    )
    response.status_code = status
    return response


async def _applications_page(
    request: HTMXRequest,
    db: AsyncSession,
    principal: Principal,
    languages: Languages,
    settings: Settings,
    cursor: str | None,
    *,
    errors: dict[uuid.UUID, str] | None = None,
    status: int = 200,
) -> Template:
    me, unread = await signed_in_header(db, principal)
    try:
        mine, next_cursor = await ApplicationService(db).mine(
            principal, stage=None, cursor=cursor, limit=APPLICATIONS_PAGE
        )
    except InvalidInputError:
        mine, next_cursor = await ApplicationService(db).mine(
            principal, stage=None, cursor=None, limit=APPLICATIONS_PAGE
        )
    policy = await MobilityPolicyService(db).get()
    response = page(
        request,
        languages,
        settings,
        "applications.html",
        me=me,
        unread=unread,
        applications=mine,
        final=FINAL_STAGES,
        policy=policy,
        has_manager=me.manager_id is not None,
        next_page=f"/applications?{urlencode({'cursor': next_cursor})}" if next_cursor else None,
        first_page="/applications" if cursor else None,
        errors=errors or {},
        here="/applications",
    )
    response.status_code = status
    return response
