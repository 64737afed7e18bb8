"""The portal's mentoring pages: a person's programmes, their request for a mentor and their offer to
mentor, their pairings with the reasons and the check-ins, through the same services, with the same
principal and scopes, as the API (backend/mentoring/routes.py).

- `/mentoring`: the programmes that are not drafts (`ProgrammeService.list`), each with whether the
  person may enrol now (`ProgrammeService.enrolling`, the rule the API applies) or why not, their
  request and offer in it, and their pairings (`PairingService.list`: their own published ones).
- `/mentoring/programmes/{id}`: one programme; ask for a mentor (`MenteeRequestService.create`, as
  `POST .../mentee-requests`), update or withdraw the request (`update`, `withdraw`); offer to mentor
  (`MentorProfileService.create`, as `POST .../mentor-profiles`) and update the offer (`update`, with
  `active` to pause it).
- `/mentoring/pairings/{id}`: one pairing (`PairingService.get`: another person's is a 404 page, as in
  the API), the other person, its reasons in words, its state with start and end (`start`, `end`),
  its check-ins and a form to add one (`check_ins`, `add_check_in`).

A refusal (the service's `DomainError`, or the schema's validation) is shown beside the field it
names, the page answered 422 with what was typed kept; a success goes back to the page (303).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, assert_never

import msgspec
from babel.lists import format_list
from litestar import Controller, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import MAX_LIMIT
from backend.auth.principal import Principal, Scope
from backend.errors import ConflictError, NotFoundError
from backend.framework.service import FrameworkService
from backend.mentoring.models import LIVE_STATES, Pairing, PairingState, Programme, ProgrammeStatus, RequestStatus
from backend.mentoring.pairing import UNMATCHED_REASONS
from backend.mentoring.pairings import PairingService
from backend.mentoring.profiles import MentorProfileService
from backend.mentoring.programmes import ProgrammeService
from backend.mentoring.reasons import ReasonCode, Statement
from backend.mentoring.requests import MenteeRequestService
from backend.mentoring.schemas import (
    CheckInCreate,
    MenteeRequestCreate,
    MenteeRequestRead,
    MenteeRequestUpdate,
    MentorProfileCreate,
    MentorProfileRead,
    MentorProfileUpdate,
    PairingEnd,
    Rematch,
)
from backend.org.service import OrgService
from backend.portal.forms import FORM, Refused, Words, field_errors
from backend.portal.i18n import DEFAULT_LANGUAGE, Language
from backend.portal.lists import every
from backend.portal.routes import Visit
from backend.skills.service import SkillService

# What the API's bearer middleware leaves to these pages (their guard is the portal's).
MENTORING_PATHS = ["^/mentoring(/.*)?$"]
# The fields of each form, as the services' schemas name them.
REQUEST_FIELDS = ("goals", "languages", "skill_ids", "target_role_id", "utc_offset_minutes", "preferences")
OFFER_FIELDS = ("capacity", "languages", "skill_ids", "topics", "utc_offset_minutes", "availability", "active")
CHECK_IN_FIELDS = ("happened_on", "notes", "rating")
# UTC offsets a person chooses from, in minutes (the schema's range, by half hours and the quarter
# hours in use: Nepal, the Chatham Islands).
UTC_OFFSETS = sorted({*range(-720, 841, 30), 345, 525, 765, 825})
_SPLIT = re.compile(r"[,;\s]+")

T = TypeVar("T")
Typed = dict[str, Any]


def offset_name(minutes: int) -> str:
    """The offset as "UTC+05:30", "UTC-03:00" or "UTC": the same in every language."""
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def words(text: str) -> list[str]:
    """Language codes as typed: "en, nl" or "en nl"."""
    return [part for part in _SPLIT.split(text.strip()) if part]


def topics(text: str) -> list[str]:
    """Topics as typed, one per comma."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _ids(form: FormMultiDict, name: str) -> list[str]:
    return [value for value in form.getall(name, []) if isinstance(value, str) and value]


def request_typed(form: FormMultiDict) -> Typed:
    typed: Typed = {name: str(form.get(name, "")) for name in REQUEST_FIELDS if name != "skill_ids"}
    typed["skill_ids"] = _ids(form, "skill_ids")
    return typed


def offer_typed(form: FormMultiDict) -> Typed:
    typed: Typed = {name: str(form.get(name, "")) for name in OFFER_FIELDS if name != "skill_ids"}
    typed["skill_ids"] = _ids(form, "skill_ids")
    return typed


def request_values(typed: Typed) -> dict[str, Any]:
    """A request's form as the API's body: empty optional fields left out (the schema's defaults)."""
    return {
        "goals": typed["goals"],
        "languages": words(typed["languages"]),
        "skill_ids": typed["skill_ids"],
        "target_role_id": typed["target_role_id"] or None,
        "utc_offset_minutes": typed["utc_offset_minutes"] or 0,
        "preferences": typed["preferences"].strip() or None,
    }


def offer_values(typed: Typed) -> dict[str, Any]:
    return {
        "capacity": typed["capacity"],
        "languages": words(typed["languages"]),
        "skill_ids": typed["skill_ids"],
        "topics": topics(typed["topics"]),
        "utc_offset_minutes": typed["utc_offset_minutes"] or 0,
        "availability": typed["availability"].strip() or None,
        "active": typed["active"] == "yes",
    }


def request_shown(request: MenteeRequestRead | None) -> Typed:
    """What the request form shows: the person's request, else an empty form."""
    if request is None:
        return {
            "goals": "",
            "languages": "",
            "skill_ids": [],
            "target_role_id": "",
            "utc_offset_minutes": "0",
            "preferences": "",
        }
    return {
        "goals": request.goals,
        "languages": ", ".join(request.languages),
        "skill_ids": [str(s) for s in request.skill_ids],
        "target_role_id": str(request.target_role_id or ""),
        "utc_offset_minutes": str(request.utc_offset_minutes),
        "preferences": request.preferences or "",
    }


def offer_shown(offer: MentorProfileRead | None) -> Typed:
    if offer is None:
        return {
            "capacity": "2",
            "languages": "",
            "skill_ids": [],
            "topics": "",
            "utc_offset_minutes": "0",
            "availability": "",
            "active": "yes",
        }
    return {
        "capacity": str(offer.capacity),
        "languages": ", ".join(offer.languages),
        "skill_ids": [str(s) for s in offer.skill_ids],
        "topics": ", ".join(offer.topics),
        "utc_offset_minutes": str(offer.utc_offset_minutes),
        "availability": offer.availability or "",
        "active": "yes" if offer.active else "",
    }


def language_names(language: Language, codes: Sequence[str]) -> str:
    """["en", "nl"] as the page's language names and lists them ("Engels en Nederlands")."""
    names = language.locale.languages
    return format_list([names.get(code.split("-")[0], code) for code in codes], locale=language.code)


def statement_in_words(language: Language, statement: Statement) -> str | None:
    """One of a pairing's statements (backend/mentoring/reasons.py: a code and its values, written for
    the mentee) in the page's language, or None for a code the portal does not know."""
    try:
        code = ReasonCode(str(statement.get("code")))
    except ValueError:
        return None
    if code is ReasonCode.MENTOR_LEVEL:
        values = {"theirs": language.number(statement["theirs"]), "skill": statement["skill"]}
        if not statement["mine"]:
            return language.gettext("Mentor is level %(theirs)s in %(skill)s, you are not yet rated") % values
        values["mine"] = language.number(statement["mine"])
        return language.gettext("Mentor is level %(theirs)s in %(skill)s, you are level %(mine)s") % values
    if code is ReasonCode.TEACHES:
        skills = format_list(statement["skills"], locale=language.code)
        return language.gettext("Mentor wants to teach %(skills)s") % {"skills": skills}
    if code is ReasonCode.HOLDS_TARGET_ROLE:
        return language.gettext("Mentor is a %(role)s, the role you aim for") % {"role": statement["role"]}
    if code is ReasonCode.SAME_TIME_ZONE:
        return language.gettext("You share a time zone")
    if code is ReasonCode.TIME_ZONES_APART:
        hours = statement["hours"]
        # A fraction of an hour ("1.5") takes the plural, as English and Dutch write it.
        count = int(hours) if float(hours).is_integer() else 2
        text = language.ngettext(
            "Your time zones are %(hours)s hour apart", "Your time zones are %(hours)s hours apart", count
        )
        return text % {"hours": language.number(hours)}
    if code is ReasonCode.SHARED_LANGUAGES:
        return language.gettext("You both speak %(languages)s") % {
            "languages": language_names(language, statement["languages"])
        }
    if code is ReasonCode.DIFFERENT_DEPARTMENTS:
        return language.gettext("You work in different departments")
    assert_never(code)


def reasons_in_words(language: Language, reasons: dict[str, Any]) -> list[tuple[str, str | None]]:
    """A pairing's reasons in the page's language, each with the language it is written in when that
    is not the page's (`lang`): its statements, from their codes; the English sentence the run wrote
    for a run written before statements (or a code the portal does not know), marked "en"."""
    sentences: list[str] = reasons.get("sentences", [])
    statements: list[Statement] | None = reasons.get("statements")
    if statements is None:
        return [(sentence, "en") for sentence in sentences]
    shown: list[tuple[str, str | None]] = []
    for index, statement in enumerate(statements):
        text = statement_in_words(language, statement)
        if text is not None:
            shown.append((text, None))
        elif index < len(sentences):
            shown.append((sentences[index], "en"))
    return shown


def waitlist_reason(language: Language, reason: str) -> tuple[str, bool]:
    """Why a request waits (the run's words for its reason code), in the page's language."""
    code = {text: code for code, text in UNMATCHED_REASONS.items()}.get(reason)
    messages = {
        "no_mentors": language.gettext("the programme has no mentors yet"),
        "no_shared_language": language.gettext("no mentor shares a language with you"),
        "only_self": language.gettext("the only mentor who shares a language with you is you"),
        "reporting_line": language.gettext("every mentor who shares a language with you is in your reporting line"),
        "same_department": language.gettext(
            "every remaining mentor is in your department, and the programme pairs across departments"
        ),
        "excluded": language.gettext("every remaining mentor is excluded for you (asked for, or a former mentor)"),
        "at_capacity": language.gettext("every suitable mentor is at capacity"),
        "removed": language.gettext("HR took your proposed pair out of the run while reviewing it"),
    }
    if code is None:
        return reason, language.code == DEFAULT_LANGUAGE
    return messages[code], True


def field_message(language: Language, field: str) -> str:
    """Why a value was refused, in the person's language (the API's problem says it in English for a
    program): what to type instead."""
    messages = {
        "goals": language.gettext("Say in a few words what you want to grow in (at most 5,000 characters)."),
        "languages": language.gettext(
            "Give at least one language code such as en or nl (at most 10), separated by commas."
        ),
        "skill_ids": language.gettext("Choose skills from the list (at most 50)."),
        "target_role_id": language.gettext("Choose a role from the list."),
        "utc_offset_minutes": language.gettext("Choose a time zone from the list."),
        "preferences": language.gettext("Your preferences are too long (at most 5,000 characters)."),
        "capacity": language.gettext("Take between 1 and 10 mentees at once."),
        "topics": language.gettext("Give at most 20 topics of 1 to 100 characters each, separated by commas."),
        "availability": language.gettext("Your availability is too long (at most 5,000 characters)."),
        "happened_on": language.gettext("Give the date of the check-in: today or earlier."),
        "notes": language.gettext("Your notes are too long (at most 5,000 characters)."),
        "rating": language.gettext("Rate between 1 and 5, or leave it out."),
    }
    # A field the portal has no words for: never the API's English.
    return messages.get(field, language.gettext("This value was not accepted: check it and try again."))


def form_message(language: Language, form: str, *, conflict: bool = False) -> str:
    """A refusal of a whole form (a conflict, a permission): what was not done, in the person's
    language (the API's `detail` is English words for a program, and is not shown). Such a refusal
    means the programme or the pairing changed since the page was shown, or it is not the person's
    to change."""
    if form == "withdraw" and conflict:
        # The conflict of a withdrawal of one's own request: it has a live pairing.
        return language.gettext("Your request was not withdrawn: end your pairing first.")
    messages = {
        "request": language.gettext("Your request was not saved."),
        "offer": language.gettext("Your offer was not saved."),
        "check-in": language.gettext("The check-in was not added."),
        "state": language.gettext("The pairing was not changed."),
        "end": language.gettext("The pairing was not ended."),
        "rematch": language.gettext("No new mentor was asked for."),
    }
    what = messages[form] if form in messages else language.gettext("This was not saved.")
    return f"{what} " + language.gettext(
        "It may have changed since this page was shown, or it is not yours to change: reload the page and try again."
    )


def refusals(language: Language, prefix: str, errors: dict[str, str], *, conflict: bool = False) -> dict[str, str]:
    """{field: message} as the page shows them: each field's message under `<prefix>-<field>`."""
    shown = {}
    for field in errors:
        if field == FORM or field == "employee_id":
            shown[f"{prefix}-form"] = form_message(language, prefix, conflict=conflict)
        else:
            shown[f"{prefix}-{field}"] = field_message(language, field)
    return shown


def in_words(language: Language, form: str) -> Words:
    """The translator of a form's refusals (the write flow's `words`): each field's message under
    `<form>-<field>`; a reason to end a pairing, or to ask for a new mentor, is at most 2,000 characters."""

    def words(exc: Refused) -> dict[str, str]:
        shown = refusals(language, form, field_errors(exc), conflict=isinstance(exc, ConflictError))
        if form in ("end", "rematch") and f"{form}-reason" in shown:
            shown[f"{form}-reason"] = language.gettext("Your reason is too long (at most 2,000 characters).")
        return shown

    return words


async def my_request(db: AsyncSession, principal: Principal, programme_id: uuid.UUID) -> MenteeRequestRead | None:
    """The person's own request in a programme (one per person and programme), as the API lists it."""
    service = MenteeRequestService(db)
    mine = await every(lambda c: service.of_programme(principal, programme_id, status=None, cursor=c, limit=MAX_LIMIT))
    return next((r for r in mine if r.employee_id == principal.employee_id), None)


async def my_offer(db: AsyncSession, principal: Principal, programme_id: uuid.UUID) -> MentorProfileRead | None:
    service = MentorProfileService(db)
    offers = await every(lambda c: service.of_programme(principal, programme_id, cursor=c, limit=MAX_LIMIT))
    return next((o for o in offers if o.employee_id == principal.employee_id), None)


async def my_pairings(db: AsyncSession, principal: Principal) -> list[Pairing]:
    """The person's own pairings (HR's list holds everyone's: the page shows the person's)."""
    service = PairingService(db)
    pairings = await every(lambda c: service.list(principal, programme_id=None, state=None, cursor=c, limit=MAX_LIMIT))
    me = principal.employee_id
    return [p for p in pairings if me in (p.mentor_employee_id, p.mentee_employee_id)]


async def why_not_enrolling(
    db: AsyncSession, principal: Principal, programme: Programme, language: Language
) -> str | None:
    """None if the person may enrol in the programme now (the service's rule); else why not, in words."""
    try:
        await ProgrammeService(db).enrolling(principal, programme.id)
    except ConflictError:
        today = dt.datetime.now(dt.UTC).date()
        if programme.status == ProgrammeStatus.CLOSED:
            return language.gettext("This programme is closed.")
        if programme.status != ProgrammeStatus.OPEN:
            return language.gettext("This programme is not open for enrolment yet.")
        if programme.enrolment_opens is not None and today < programme.enrolment_opens:
            return language.gettext("Enrolment opens on %(date)s.") % {"date": language.date(programme.enrolment_opens)}
        if programme.enrolment_closes is not None:
            return language.gettext("Enrolment closed on %(date)s.") % {
                "date": language.date(programme.enrolment_closes)
            }
        return language.gettext("This programme does not take enrolments now.")
    return None


class MentoringController(Controller):
    path = "/"
    include_in_schema = False

    @get("/mentoring", opt={"scope": Scope.MENTORING_READ}, name="portal:mentoring")
    async def mentoring(self, visit: NamedDependency[Visit]) -> Template:
        language = visit.language
        me, unread = await visit.header()
        service = ProgrammeService(visit.db)
        programmes = await every(lambda c: service.list(visit.principal, status=None, cursor=c, limit=MAX_LIMIT))
        rows = []
        for programme in sorted(programmes, key=lambda p: (p.status == ProgrammeStatus.CLOSED, p.name.casefold())):
            if programme.status == ProgrammeStatus.DRAFT:
                continue
            rows.append(
                {
                    "programme": programme,
                    "why_not": await why_not_enrolling(visit.db, visit.principal, programme, language),
                    "request": await my_request(visit.db, visit.principal, programme.id),
                    "offer": await my_offer(visit.db, visit.principal, programme.id),
                }
            )
        pairings = await my_pairings(visit.db, visit.principal)
        return await visit.page(
            "mentoring.html",
            me=me,
            unread=unread,
            rows=rows,
            pairings=await _pairing_rows(visit.db, visit.principal, pairings),
        )

    @get("/mentoring/programmes/{programme_id:uuid}", opt={"scope": Scope.MENTORING_READ}, name="portal:programme")
    async def programme(self, visit: NamedDependency[Visit], programme_id: FromPath[uuid.UUID]) -> Template:
        return await _programme_page(visit, programme_id)

    @post(
        "/mentoring/programmes/{programme_id:uuid}/request",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:mentoring-ask",
        status_code=303,
    )
    async def ask(self, visit: NamedDependency[Visit], programme_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Ask for a mentor: `POST /mentoring/programmes/{id}/mentee-requests`."""
        visit.refuse_cross_site()
        typed = request_typed(await visit.form(*REQUEST_FIELDS, repeated=("skill_ids",)))

        async def write() -> object:
            data = msgspec.convert(request_values(typed), MenteeRequestCreate, strict=False)
            return await MenteeRequestService(visit.db).create(visit.principal, programme_id, data)

        return await self._written(visit, programme_id, write, "request", typed)

    @post(
        "/mentoring/programmes/{programme_id:uuid}/requests/{request_id:uuid}",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:mentoring-request-update",
        status_code=303,
    )
    async def update_request(
        self, visit: NamedDependency[Visit], programme_id: FromPath[uuid.UUID], request_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """Update the request: `PATCH /mentoring/mentee-requests/{id}`."""
        visit.refuse_cross_site()
        typed = request_typed(await visit.form(*REQUEST_FIELDS, repeated=("skill_ids",)))

        async def write() -> object:
            data = msgspec.convert(request_values(typed), MenteeRequestUpdate, strict=False)
            return await MenteeRequestService(visit.db).update(visit.principal, request_id, data)

        return await self._written(visit, programme_id, write, "request", typed)

    @post(
        "/mentoring/programmes/{programme_id:uuid}/requests/{request_id:uuid}/withdraw",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:mentoring-withdraw",
        status_code=303,
    )
    async def withdraw(
        self, visit: NamedDependency[Visit], programme_id: FromPath[uuid.UUID], request_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """Withdraw the request: `POST /mentoring/mentee-requests/{id}/withdraw`."""
        visit.refuse_cross_site()
        await visit.form()  # a form of one button: any field sent is refused

        async def write() -> object:
            return await MenteeRequestService(visit.db).withdraw(visit.principal, request_id)

        return await self._written(visit, programme_id, write, "withdraw", {})

    @post(
        "/mentoring/programmes/{programme_id:uuid}/offer",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:mentoring-offer",
        status_code=303,
    )
    async def offer(self, visit: NamedDependency[Visit], programme_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Offer to mentor: `POST /mentoring/programmes/{id}/mentor-profiles`."""
        visit.refuse_cross_site()
        typed = offer_typed(await visit.form(*OFFER_FIELDS, repeated=("skill_ids",)))

        async def write() -> object:
            data = msgspec.convert(offer_values(typed), MentorProfileCreate, strict=False)
            return await MentorProfileService(visit.db).create(visit.principal, programme_id, data)

        return await self._written(visit, programme_id, write, "offer", typed)

    @post(
        "/mentoring/programmes/{programme_id:uuid}/offers/{profile_id:uuid}",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:mentoring-offer-update",
        status_code=303,
    )
    async def update_offer(
        self, visit: NamedDependency[Visit], programme_id: FromPath[uuid.UUID], profile_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """Update the offer (or pause it: `active`): `PATCH /mentoring/mentor-profiles/{id}`."""
        visit.refuse_cross_site()
        typed = offer_typed(await visit.form(*OFFER_FIELDS, repeated=("skill_ids",)))

        async def write() -> object:
            data = msgspec.convert(offer_values(typed), MentorProfileUpdate, strict=False)
            return await MentorProfileService(visit.db).update(visit.principal, profile_id, data)

        return await self._written(visit, programme_id, write, "offer", typed)

    async def _written(
        self, visit: Visit, programme_id: uuid.UUID, write: Callable[[], Awaitable[object]], form: str, typed: Typed
    ) -> Response[Any]:
        """The write (the one write flow); done, back to the programme (303); refused, the programme again
        (with the API's status) with the reason beside its field and what was typed kept; another
        person's object or none at all, the not-found page (404), as the API answers."""
        try:
            errors = await visit.attempt(write, in_words(visit.language, form), not_found_raises=True)
        except NotFoundError:
            return await _not_found(visit)
        if errors:
            return await _programme_page(
                visit, programme_id, errors=errors, typed={form: typed} if typed else {}, status=errors.status
            )
        return Redirect(f"/mentoring/programmes/{programme_id}#{form}", status_code=303)

    @get("/mentoring/pairings/{pairing_id:uuid}", opt={"scope": Scope.MENTORING_READ}, name="portal:pairing")
    async def pairing(self, visit: NamedDependency[Visit], pairing_id: FromPath[uuid.UUID]) -> Template:
        return await _pairing_page(visit, pairing_id)

    @post(
        "/mentoring/pairings/{pairing_id:uuid}/check-ins",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:check-in",
        status_code=303,
    )
    async def check_in(self, visit: NamedDependency[Visit], pairing_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Record a check-in: `POST /mentoring/pairings/{id}/check-ins`."""
        visit.refuse_cross_site()
        form = await visit.form(*CHECK_IN_FIELDS)
        typed = {name: str(form.get(name, "")) for name in CHECK_IN_FIELDS}

        async def write() -> object:
            values = {
                "happened_on": typed["happened_on"],
                "notes": typed["notes"].strip() or None,
                "rating": typed["rating"] or None,
            }
            data = msgspec.convert(values, CheckInCreate, strict=False)
            return await PairingService(visit.db).add_check_in(visit.principal, pairing_id, data)

        return await self._pairing_written(visit, pairing_id, write, "check-in", typed)

    @post(
        "/mentoring/pairings/{pairing_id:uuid}/start",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:pairing-start",
        status_code=303,
    )
    async def start(self, visit: NamedDependency[Visit], pairing_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Mark the pairing started: `POST /mentoring/pairings/{id}/start`."""
        visit.refuse_cross_site()
        await visit.form()  # a form of one button: any field sent is refused

        async def write() -> object:
            return await PairingService(visit.db).start(visit.principal, pairing_id)

        return await self._pairing_written(visit, pairing_id, write, "state", {})

    @post(
        "/mentoring/pairings/{pairing_id:uuid}/end",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:pairing-end",
        status_code=303,
    )
    async def end(self, visit: NamedDependency[Visit], pairing_id: FromPath[uuid.UUID]) -> Response[Any]:
        """End the pairing, with a reason: `POST /mentoring/pairings/{id}/end`."""
        visit.refuse_cross_site()
        form = await visit.form("reason")
        typed = {"reason": str(form.get("reason", ""))}

        async def write() -> object:
            data = msgspec.convert({"reason": typed["reason"].strip() or None}, PairingEnd)
            return await PairingService(visit.db).end(visit.principal, pairing_id, data)

        return await self._pairing_written(visit, pairing_id, write, "end", typed)

    @post(
        "/mentoring/pairings/{pairing_id:uuid}/rematch",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:pairing-rematch",
        status_code=303,
    )
    async def rematch(self, visit: NamedDependency[Visit], pairing_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Ask for a new mentor (the mentee): `POST /mentoring/pairings/{id}/rematch`. The pairing ends,
        its mentor is excluded and the visit.request joins the next run: back to the programme."""
        visit.refuse_cross_site()
        form = await visit.form("reason")
        typed = {"reason": str(form.get("reason", ""))}
        service = PairingService(visit.db)
        found: list[uuid.UUID] = []

        async def write() -> object:
            data = msgspec.convert({"reason": typed["reason"].strip() or None}, Rematch)
            done = await service.rematch(visit.principal, pairing_id, data)
            found.append(done.pairing.programme_id)
            return done

        return await self._pairing_written(
            visit, pairing_id, write, "rematch", typed, back=lambda: f"/mentoring/programmes/{found[0]}#request"
        )

    async def _pairing_written(
        self,
        visit: Visit,
        pairing_id: uuid.UUID,
        write: Callable[[], Awaitable[object]],
        form: str,
        typed: Typed,
        *,
        back: Callable[[], str] | None = None,
    ) -> Response[Any]:
        """The write (the one write flow); done, back to the pairing (or to `back()`, 303); refused, the
        pairing again (with the API's status) with the reason beside its field and what was typed kept;
        a pairing that is not the person's, the not-found page (404)."""
        try:
            errors = await visit.attempt(write, in_words(visit.language, form), not_found_raises=True)
        except NotFoundError:
            return await _not_found(visit)
        if errors:
            return await _pairing_page(visit, pairing_id, errors=errors, typed={form: typed}, status=errors.status)
        return Redirect(back() if back else f"/mentoring/pairings/{pairing_id}#{form}", status_code=303)


async def _not_found(visit: Visit) -> Template:
    """What the API answers 404 to (a draft programme, another person's pairing): the refusal page, as
    if it did not exist, back to mentoring."""
    return await visit.refused(404, "/mentoring", visit.language.gettext("Back to mentoring"))


async def names_of(db: AsyncSession, people: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    org = OrgService(db)
    return {person: (await org.get_employee(person)).full_name for person in people}


async def _pairing_rows(db: AsyncSession, principal: Principal, pairings: Sequence[Pairing]) -> list[dict[str, Any]]:
    """Each pairing with the other person's name, the programme's name and the person's part in it."""
    others = {
        p.mentee_employee_id if p.mentor_employee_id == principal.employee_id else p.mentor_employee_id
        for p in pairings
    }
    names = await names_of(db, others)
    programmes = ProgrammeService(db)
    rows = []
    for p in sorted(pairings, key=lambda p: (p.state == PairingState.ENDED, p.created_at)):
        mentoring = p.mentor_employee_id == principal.employee_id
        other = p.mentee_employee_id if mentoring else p.mentor_employee_id
        rows.append(
            {
                "pairing": p,
                "other": names[other],
                "i_mentor": mentoring,
                "programme": (await programmes.get(principal, p.programme_id)).name,
            }
        )
    return rows


async def _programme_page(
    visit: Visit,
    programme_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Typed] | None = None,
    status: int = 200,
) -> Template:
    language = visit.language
    try:
        programme = await ProgrammeService(visit.db).get(visit.principal, programme_id)
    except NotFoundError:
        return await _not_found(visit)
    me, unread = await visit.header()
    mine = await my_request(visit.db, visit.principal, programme_id)
    offer = await my_offer(visit.db, visit.principal, programme_id)
    skills = await every(
        lambda c: SkillService(visit.db).list_skills(q=None, category_id=None, cursor=c, limit=MAX_LIMIT)
    )
    roles = await every(
        lambda c: FrameworkService(visit.db).list_roles(
            job_family_id=None, level=None, q=None, cursor=c, limit=MAX_LIMIT
        )
    )
    typed = typed or {}
    live = mine is not None and mine.status != RequestStatus.WITHDRAWN
    pairings = [p for p in await my_pairings(visit.db, visit.principal) if p.programme_id == programme_id]
    return await visit.page(
        "mentoring_programme.html",
        status=status,
        me=me,
        unread=unread,
        programme=programme,
        why_not=await why_not_enrolling(visit.db, visit.principal, programme, language),
        mine=mine if live else None,
        withdrawn=mine is not None and not live,
        offer=offer,
        request_form=typed.get("request") or request_shown(mine if live else None),
        offer_form=typed.get("offer") or offer_shown(offer),
        skills=sorted(skills, key=lambda s: s.label.casefold()),
        skill_names={str(s.id): s.label for s in skills},
        roles=sorted(roles, key=lambda r: (r.title.casefold(), r.level or 0)),
        role_names={str(r.id): r.title for r in roles},
        offsets=[(str(m), offset_name(m)) for m in UTC_OFFSETS],
        pairings=await _pairing_rows(visit.db, visit.principal, pairings),
        waiting=waitlist_reason(language, mine.waitlist_reason) if mine and mine.waitlist_reason else None,
        errors=errors or {},
        # Where the language switch comes back to (not a form's target).
        here=f"/mentoring/programmes/{programme_id}",
    )


async def _pairing_page(
    visit: Visit,
    pairing_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Typed] | None = None,
    status: int = 200,
) -> Template:
    try:
        pairing = await PairingService(visit.db).get(visit.principal, pairing_id)
        check_ins = await every(
            lambda c: PairingService(visit.db).check_ins(visit.principal, pairing_id, cursor=c, limit=MAX_LIMIT)
        )
    except NotFoundError:
        return await _not_found(visit)
    me, unread = await visit.header()
    language = visit.language
    programme = await ProgrammeService(visit.db).get(visit.principal, pairing.programme_id)
    names = await names_of(visit.db, {pairing.mentor_employee_id, pairing.mentee_employee_id})
    member = visit.principal.employee_id in (pairing.mentor_employee_id, pairing.mentee_employee_id)
    typed = typed or {}
    return await visit.page(
        "mentoring_pairing.html",
        status=status,
        me=me,
        unread=unread,
        pairing=pairing,
        sentences=reasons_in_words(language, pairing.reasons),
        programme=programme,
        names=names,
        i_mentor=pairing.mentor_employee_id == visit.principal.employee_id,
        member=member,
        live=pairing.state in LIVE_STATES,
        check_ins=sorted(check_ins, key=lambda c: (c.happened_on, c.created_at), reverse=True),
        check_in_form=typed.get("check-in")
        or {"happened_on": dt.datetime.now(dt.UTC).date().isoformat(), "notes": "", "rating": ""},
        end_form=typed.get("end") or {"reason": ""},
        rematch_form=typed.get("rematch") or {"reason": ""},
        errors=errors or {},
        here=f"/mentoring/pairings/{pairing_id}",
    )
