"""A manager's pages: their team's skills and the releases asked of them, over the same services, with
the same principal and scopes, as the API.

- `/team`: my direct reports' levels against what their roles ask, and their stale ratings
  (`SkillProfileService.team`, as `GET /api/v1/me/team/skills`).
- `/releases`: the releases asked of me, with their deadlines and every answer so far, and those already
  settled (`ApplicationService.my_releases`, as `GET /api/v1/me/releases`); what each answer means,
  from the mobility policy (`MobilityPolicyService.get`).
- `POST /releases/{application_id}`: release, delay or block with a reason
  (`ApplicationService.answer_release`, as `POST /api/v1/applications/{id}/release`).

Someone who manages nobody gets a plain sentence on each (the services answer them an empty list).
A manager reads here only what the API's release view shows them: who, which opening, the release and
its history; never the application's stage history or notes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import MAX_LIMIT
from backend.api.problems import domain_status
from backend.auth.principal import Principal, Scope
from backend.errors import DomainError, InvalidInputError, NotFoundError, PermissionDeniedError
from backend.marketplace.applications import ApplicationService, MobilityPolicyService
from backend.marketplace.models import ReleaseStatus
from backend.marketplace.schemas import ReleaseAnswer, ReleaseAnswerAction, ReleaseRequestRead
from backend.org.schemas import TeamMemberSkills
from backend.org.service import OrgService
from backend.org.skill_profiles import SkillProfileService
from backend.portal.forms import FORM, field_errors
from backend.portal.i18n import Language, Languages
from backend.portal.routes import language_of, page, refuse_cross_site, signed_in_header
from backend.settings import Settings

# What the API's bearer middleware leaves to these pages (their guard is the portal's).
TEAM_PATHS = ["^/team$", "^/releases(/.*)?$"]
# The answers a manager gives (HR's override is not theirs).
ANSWERS = (ReleaseAnswerAction.RELEASE, ReleaseAnswerAction.DELAY, ReleaseAnswerAction.BLOCK)
# Releases that take no more answers, shown with their history below the open ones.
SETTLED = (ReleaseStatus.RELEASED, ReleaseStatus.OVERRIDDEN, ReleaseStatus.LAPSED, ReleaseStatus.CANCELLED)
# A delay runs to the end of the day chosen.
END_OF_DAY = dt.time(23, 59, 59, tzinfo=dt.UTC)
# The form's fields, kept as typed after a refusal.
FIELDS = ("action", "release_on", "until", "reason")


def columns(team: list[TeamMemberSkills]) -> list[tuple[uuid.UUID, str]]:
    """The matrix's columns: every skill a team member's role asks for, in the order the roles ask
    them (essential first); a skill someone has that no role of the team asks for is left out."""
    seen: dict[uuid.UUID, str] = {}
    for member in team:
        for cell in member.skills:
            if cell.required_level is not None:
                seen.setdefault(cell.skill_id, cell.label)
    return list(seen.items())


def _date(value: str, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(field, f"{field} must be a date") from None


def answer_of(typed: dict[str, str]) -> ReleaseAnswer:
    """The form's fields as the API's body: a delay's new deadline is the end of the day chosen (UTC),
    the day the page then shows."""
    until = _date(typed["until"], "until")
    action = typed["action"]
    if action not in {a.value for a in ANSWERS}:
        raise InvalidInputError("action", "choose release, delay or block")
    return msgspec.convert(
        {
            "action": action,
            "release_on": typed["release_on"] or None if action == ReleaseAnswerAction.RELEASE else None,
            "until": dt.datetime.combine(until, END_OF_DAY).isoformat()
            if until is not None and action == ReleaseAnswerAction.DELAY
            else None,
            "reason": typed["reason"].strip() or None,
        },
        ReleaseAnswer,
        strict=False,
    )


def refusal_message(language: Language, field: str, action: str, detail: str) -> str:
    """Why an answer was refused, in the person's language, for the field it concerns (the API's
    problem says it in English for a program)."""
    if field == "action":
        return language.gettext("Choose release, delay or block.")
    if field == "reason":
        if "length" in detail:
            return language.gettext("Your reason is too long: at most 5,000 characters.")
        if action == ReleaseAnswerAction.DELAY:
            return language.gettext("A delay needs a reason: say why you need more time.")
        return language.gettext("A block needs a reason: say why the move cannot go ahead.")
    if field == "until":
        return language.gettext("Give the new deadline: a day later than the current one.")
    if field == "release_on":
        return language.gettext("The day they may go cannot be in the past.")
    return language.gettext("This release takes no more answers: it was settled or the offer no longer stands.")


class TeamController(Controller):
    path = "/"
    include_in_schema = False

    @get("/team", opt={"scope": Scope.SKILLS_READ}, name="portal:team")
    async def team(
        self,
        request: HTMXRequest,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        languages: NamedDependency[Languages],
        settings: NamedDependency[Settings],
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        me, unread = await signed_in_header(db, principal)
        stale_before = dt.date.today() - dt.timedelta(days=settings.skill_stale_days)
        service = SkillProfileService(db)
        try:
            members, next_cursor = await service.team(principal, None, stale_before, cursor or None, MAX_LIMIT)
        except InvalidInputError:
            # A cursor of another list (or made up): the first page.
            members, next_cursor = await service.team(principal, None, stale_before, None, MAX_LIMIT)
            cursor = None
        return page(
            request,
            languages,
            settings,
            "team.html",
            me=me,
            unread=unread,
            members=members,
            columns=columns(members),
            stale_before=stale_before,
            next_page=f"/team?cursor={next_cursor}" if next_cursor else None,
            first_page="/team" if cursor else None,
        )

    @get("/releases", opt={"scope": Scope.APPLICATIONS_READ}, name="portal:releases")
    async def releases(
        self,
        request: HTMXRequest,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        languages: NamedDependency[Languages],
        settings: NamedDependency[Settings],
        answered: FromQuery[uuid.UUID | None] = None,
    ) -> Template:
        """`answered`: the release just answered (where the form sends the browser back)."""
        return await _releases_page(request, db, principal, languages, settings, answered=answered)

    @post(
        "/releases/{application_id:uuid}",
        opt={"scope": Scope.APPLICATIONS_WRITE},
        name="portal:release-answer",
        media_type=MediaType.HTML,
    )
    async def answer(
        self,
        request: HTMXRequest,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        languages: NamedDependency[Languages],
        settings: NamedDependency[Settings],
        application_id: FromPath[uuid.UUID],
    ) -> Any:
        refuse_cross_site(request, settings)
        form = await request.form()
        typed = {name: str(form.get(name, "")) for name in FIELDS}
        language = language_of(request, languages)
        try:
            # A savepoint: nothing of a refused answer stays in the request's transaction.
            async with db.begin_nested():
                data = answer_of(typed)
                await ApplicationService(db).answer_release(principal, application_id, data)
        except NotFoundError:
            # An application the person may not see, or none: not found, as in the API.
            missing = {FORM: language.gettext("This release does not exist, or it is not yours to answer.")}
            return await _releases_page(request, db, principal, languages, settings, errors=missing, status=404)
        except (DomainError, msgspec.ValidationError) as exc:
            shown = {
                field: refusal_message(language, field, typed["action"], detail)
                for field, detail in field_errors(exc).items()
            }
            if isinstance(exc, PermissionDeniedError):
                shown = {FORM: language.gettext("Only the manager asked, or HR, answers this release.")}
            return await _releases_page(
                request,
                db,
                principal,
                languages,
                settings,
                refused=application_id,
                errors=shown,
                typed=typed,
                status=domain_status(exc) if isinstance(exc, DomainError) else 422,
            )
        return Redirect(f"/releases?answered={application_id}#release-{application_id}", status_code=303)


async def _asked(
    db: AsyncSession, principal: Principal, statuses: tuple[ReleaseStatus | None, ...]
) -> list[ReleaseRequestRead]:
    """The releases asked of the person, of each status (None: those still waiting for an answer, the
    API's default), their first page each."""
    found: list[ReleaseRequestRead] = []
    service = ApplicationService(db)
    for status in statuses:
        items, _ = await service.my_releases(principal, status=status, cursor=None, limit=MAX_LIMIT)
        found.extend(items)
    return found


async def _releases_page(
    request: HTMXRequest,
    db: AsyncSession,
    principal: Principal,
    languages: Languages,
    settings: Settings,
    *,
    refused: uuid.UUID | None = None,
    answered: uuid.UUID | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    me, unread = await signed_in_header(db, principal)
    waiting = sorted(await _asked(db, principal, (None,)), key=lambda r: r.deadline)
    settled = sorted(await _asked(db, principal, SETTLED), key=lambda r: r.created_at, reverse=True)
    policy = await MobilityPolicyService(db).get()
    org = OrgService(db)
    hiring_managers: dict[uuid.UUID, str] = {}
    for release in [*waiting, *settled]:
        hiring_manager = release.opportunity.hiring_manager_id
        if hiring_manager is not None and hiring_manager not in hiring_managers:
            hiring_managers[hiring_manager] = (await org.get_employee(hiring_manager)).full_name
    response = page(
        request,
        languages,
        settings,
        "releases.html",
        me=me,
        unread=unread,
        waiting=waiting,
        settled=settled,
        policy=policy,
        hiring_managers=hiring_managers,
        now=dt.datetime.now(dt.UTC),
        refused=refused,
        answered=answered,
        errors=errors or {},
        typed=typed or {},
        answers=[a.value for a in ANSWERS],
    )
    response.status_code = status
    return response
