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
from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from msgspec import Struct
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import MAX_LIMIT
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
from backend.portal.forms import field_of, read_form
from backend.portal.i18n import Language
from backend.portal.lists import every, first, from_cursor, paging
from backend.portal.routes import Visit

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

    def query(self) -> dict[str, str]:
        """The board's query for these filters (`paging` leaves empty ones out)."""
        return {
            "q": self.q,
            "kind": self.kind,
            "department": self.department,
            "location": self.location,
            "remote": self.remote,
            "hours_min": self.hours_min,
            "hours_max": self.hours_max,
        }


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
    service = SkillProfileService(db)
    for rating in await every(lambda cursor: service.profile(employee_id, None, cursor, MAX_LIMIT)):
        levels[rating.skill_id] = max(rating.level, levels.get(rating.skill_id, 0))
    return levels


async def my_application_to(
    db: AsyncSession, principal: Principal, opportunity_id: uuid.UUID
) -> ApplicationRead | None:
    """The person's application (or interest) to one opening, if any: one per person and opening."""
    service = ApplicationService(db)
    return await first(
        lambda cursor: service.mine(principal, stage=None, cursor=cursor, limit=MAX_LIMIT),
        lambda application: application.opportunity_id == opportunity_id,
    )


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
        visit: NamedDependency[Visit],
        q: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        department: FromQuery[str] = "",
        location: FromQuery[str] = "",
        remote: FromQuery[str] = "",
        hours_min: FromQuery[str] = "",
        hours_max: FromQuery[str] = "",
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        language = visit.language
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
        departments, _ = await OrgService(visit.db).list_units(
            parent_id=None, kind=OrgUnitKind.DEPARTMENT, q=None, cursor=None, limit=MAX_LIMIT
        )
        openings: Sequence[OpportunityRead] = []
        next_cursor: str | None = None
        if not errors:
            try:
                openings, next_cursor = await _visible_openings(
                    visit.db,
                    visit.principal,
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
        return await visit.page(
            "board.html",
            status=422 if errors else 200,
            filters=filters,
            kinds=kinds,
            departments=sorted(departments, key=lambda unit: unit.name),
            unit_names={unit.id: unit.name for unit in departments},
            openings=openings,
            **paging("/board", cursor, next_cursor, **filters.query()),
            errors=errors,
        )

    @get("/board/{opportunity_id:uuid}", opt={"scope": Scope.OPPORTUNITIES_READ}, name="portal:opening")
    async def opening(self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID]) -> Template:
        return await _opening_page(visit, opportunity_id)

    # Answered with a page (a refusal) or a redirect: HTML either way, whatever the handler's return type.
    @post(
        "/board/{opportunity_id:uuid}/apply",
        opt={"scope": Scope.APPLICATIONS_WRITE},
        name="portal:apply",
        media_type=MediaType.HTML,
    )
    async def apply(
        self,
        visit: NamedDependency[Visit],
        opportunity_id: FromPath[uuid.UUID],
    ) -> Any:
        visit.refuse_cross_site()
        data = await read_form(visit.request, ApplyForm)
        language = visit.language
        try:
            wanted = msgspec.convert({"kind": data.kind, "note": data.note.strip() or None}, ApplicationCreate)
        except msgspec.ValidationError as exc:
            error = InvalidInputError(field_of(exc, "kind"), str(exc))
            field, message = refusal(language, error, applied=False)
            return await _opening_page(
                visit,
                opportunity_id,
                form=data,
                errors={field: message},
                status=422,
            )
        try:
            refused = await visit.attempt(
                lambda: ApplicationService(visit.db).apply(visit.principal, opportunity_id, wanted),
                not_found_raises=True,
            )
        except NotFoundError:
            return await _opening_page(visit, opportunity_id)
        if isinstance(refused.error, DomainError):
            applied = await my_application_to(visit.db, visit.principal, opportunity_id) is not None
            field, message = refusal(language, refused.error, applied=applied)
            return await _opening_page(visit, opportunity_id, form=data, errors={field: message}, status=refused.status)
        return Redirect("/applications", status_code=303)

    @get("/applications", opt={"scope": Scope.APPLICATIONS_READ}, name="portal:applications")
    async def applications(self, visit: NamedDependency[Visit], cursor: FromQuery[str | None] = None) -> Template:
        return await _applications_page(visit, cursor or None)

    @post(
        "/applications/{application_id:uuid}/withdraw",
        opt={"scope": Scope.APPLICATIONS_WRITE},
        name="portal:withdraw",
        media_type=MediaType.HTML,
    )
    async def withdraw(self, visit: NamedDependency[Visit], application_id: FromPath[uuid.UUID]) -> Any:
        visit.refuse_cross_site()
        await visit.form()  # a form of one button: any field sent is refused
        try:
            refused = await visit.attempt(
                lambda: ApplicationService(visit.db).withdraw(visit.principal, application_id, Withdrawal()),
                not_found_raises=True,
            )
        except NotFoundError:
            # Another person's application, or none: not found, as in the API.
            return await not_found(visit)
        if refused:
            return await _applications_page(
                visit,
                None,
                errors={application_id: visit.language.gettext("This application can no longer be withdrawn.")},
                status=refused.status,
            )
        return Redirect("/applications", status_code=303)


async def not_found(visit: Visit) -> Template:
    """What the API answers 404 to (an opening the person may not see, another person's application):
    the refusal page, as if it did not exist, back to the board."""
    return await visit.refused(404, "/board", visit.language.gettext("Back to the board"))


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
    visit: Visit,
    opportunity_id: uuid.UUID,
    *,
    form: ApplyForm | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    """An opening as the person may see it (an opening they may not see is not found, as in the API)."""
    try:
        opening = await OpportunityService(visit.db).get(visit.principal, opportunity_id)
    except NotFoundError:
        return await not_found(visit)
    me, unread = await visit.header()
    had, missing = skills_against(opening, await my_levels(visit.db, me.id))
    application = await my_application_to(visit.db, visit.principal, opportunity_id)
    policy = await MobilityPolicyService(visit.db).get()
    department = await OrgService(visit.db).get_unit(opening.org_unit_id) if opening.org_unit_id else None
    return await visit.page(
        "board_opening.html",
        status=status,
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


async def _applications_page(
    visit: Visit, cursor: str | None, *, errors: dict[uuid.UUID, str] | None = None, status: int = 200
) -> Template:
    me, unread = await visit.header()
    service = ApplicationService(visit.db)
    # A cursor of another list (or made up) gives the first page (its link still shown).
    mine, next_cursor, _ = await from_cursor(
        lambda c: service.mine(visit.principal, stage=None, cursor=c, limit=APPLICATIONS_PAGE), cursor
    )
    policy = await MobilityPolicyService(visit.db).get()
    return await visit.page(
        "applications.html",
        status=status,
        me=me,
        unread=unread,
        applications=mine,
        final=FINAL_STAGES,
        policy=policy,
        has_manager=me.manager_id is not None,
        **paging("/applications", cursor, next_cursor),
        errors=errors or {},
        here="/applications",
    )
