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
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import MAX_LIMIT
from backend.auth.principal import Principal, Scope
from backend.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from backend.marketplace.applications import ApplicationService, MobilityPolicyService
from backend.marketplace.models import ReleaseStatus
from backend.marketplace.schemas import ReleaseAnswer, ReleaseAnswerAction, ReleaseRequestRead
from backend.org.schemas import TeamMemberSkills
from backend.org.service import OrgService
from backend.org.skill_profiles import SkillProfileService
from backend.portal.forms import FORM, Refused, field_errors
from backend.portal.i18n import Language
from backend.portal.lists import from_cursor, paging
from backend.portal.routes import Visit

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
    async def team(self, visit: NamedDependency[Visit], cursor: FromQuery[str | None] = None) -> Template:
        me, unread = await visit.header()
        stale_before = dt.date.today() - dt.timedelta(days=visit.settings.skill_stale_days)
        service = SkillProfileService(visit.db)
        # A cursor of another list (or made up): the first page.
        members, next_cursor, cursor = await from_cursor(
            lambda c: service.team(visit.principal, None, stale_before, c, MAX_LIMIT), cursor
        )
        return await visit.page(
            "team.html",
            me=me,
            unread=unread,
            members=members,
            columns=columns(list(members)),
            stale_before=stale_before,
            **paging("/team", cursor, next_cursor),
        )

    @get("/releases", opt={"scope": Scope.APPLICATIONS_READ}, name="portal:releases")
    async def releases(self, visit: NamedDependency[Visit], answered: FromQuery[uuid.UUID | None] = None) -> Template:
        """`answered`: the release just answered (where the form sends the browser back)."""
        return await _releases_page(visit, answered=answered)

    @post(
        "/releases/{application_id:uuid}",
        opt={"scope": Scope.APPLICATIONS_WRITE},
        name="portal:release-answer",
        media_type=MediaType.HTML,
    )
    async def answer(self, visit: NamedDependency[Visit], application_id: FromPath[uuid.UUID]) -> Any:
        visit.refuse_cross_site()
        form = await visit.form(*FIELDS)
        typed = {name: str(form.get(name, "")) for name in FIELDS}
        language = visit.language

        def words(exc: Refused) -> dict[str, str]:
            if isinstance(exc, PermissionDeniedError):
                return {FORM: language.gettext("Only the manager asked, or HR, answers this release.")}
            return {
                field: refusal_message(language, field, typed["action"], detail)
                for field, detail in field_errors(exc).items()
            }

        async def write() -> object:
            return await ApplicationService(visit.db).answer_release(visit.principal, application_id, answer_of(typed))

        try:
            refused = await visit.attempt(write, words, not_found_raises=True)
        except NotFoundError:
            # An application the person may not see, or none: not found, as in the API.
            missing = {FORM: language.gettext("This release does not exist, or it is not yours to answer.")}
            return await _releases_page(visit, errors=missing, status=404)
        if refused:
            return await _releases_page(
                visit, refused=application_id, errors=refused, typed=typed, status=refused.status
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
    visit: Visit,
    *,
    refused: uuid.UUID | None = None,
    answered: uuid.UUID | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    me, unread = await visit.header()
    waiting = sorted(await _asked(visit.db, visit.principal, (None,)), key=lambda r: r.deadline)
    settled = sorted(await _asked(visit.db, visit.principal, SETTLED), key=lambda r: r.created_at, reverse=True)
    policy = await MobilityPolicyService(visit.db).get()
    org = OrgService(visit.db)
    hiring_managers: dict[uuid.UUID, str] = {}
    for release in [*waiting, *settled]:
        hiring_manager = release.opportunity.hiring_manager_id
        if hiring_manager is not None and hiring_manager not in hiring_managers:
            hiring_managers[hiring_manager] = (await org.get_employee(hiring_manager)).full_name
    return await visit.page(
        "releases.html",
        status=status,
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
