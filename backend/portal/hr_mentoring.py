"""The HR workspace's mentoring area: programmes, their enrolment and pairing runs, and the review of a
run by hand, over the same services, with the same principal and rules, as the API
(backend/mentoring/routes.py).

- `/hr/mentoring`: every programme (drafts too) with its status and enrolment counts
  (`ProgrammeService.list`, `MentorProfileService.of_programme`, `MenteeRequestService.of_programme`),
  and a form to create one (`ProgrammeService.create`, as `POST /mentoring/programmes`).
- `/hr/mentoring/programmes/{id}`: edit it (`update`, as `PATCH /mentoring/programmes/{id}`), open or
  close its enrolment (`update` of its status), its mentors and mentees by name, its pairing runs
  (`PairingRunService.of_programme`) and "Run a pairing" (`PairingRunService.start`: a job computes it).
- `/hr/mentoring/runs/{id}`: the run's state (its job's progress while it is computed: the page may be
  reloaded, and htmx reloads it), then its proposed pairs with their scores and reasons in the page's
  language, the waitlist in order with each reason (`pairings`, `waitlist`); swap the mentors of two
  pairs or remove one, each previewed first with its effect on the total score (`swap`, `remove` with
  `dry_run`, as `POST /mentoring/runs/{id}/swap|remove`); publish or discard it (`publish`, `discard`).

Only HR reaches these pages (`visit.refuse_unless_hr()`); the services refuse anyone else as well.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backend.api.pagination import MAX_LIMIT
from backend.auth.principal import Scope
from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.jobs.service import JobService
from backend.mentoring.models import (
    PairingObjective,
    PairingRun,
    ProgrammeKind,
    ProgrammeStatus,
    RequestStatus,
    RunStatus,
)
from backend.mentoring.profiles import MentorProfileService
from backend.mentoring.programmes import ProgrammeService
from backend.mentoring.requests import MenteeRequestService
from backend.mentoring.runs import PairingRunService, RunEdit
from backend.mentoring.schemas import ProgrammeCreate, ProgrammeUpdate, RunCreate
from backend.portal.forms import FORM, Refused, Words, field_errors
from backend.portal.hr import AREAS
from backend.portal.i18n import Language
from backend.portal.lists import every
from backend.portal.mentoring import names_of, reasons_in_words, waitlist_reason
from backend.portal.routes import Visit

HR_MENTORING = "/hr/mentoring"
# The programme form's fields, as `ProgrammeCreate` names them.
PROGRAMME_FIELDS = (
    "name",
    "kind",
    "description",
    "goals",
    "starts_on",
    "ends_on",
    "enrolment_opens",
    "enrolment_closes",
    "objective",
    "require_different_department",
)
SWAP_FIELDS = ("first_pairing_id", "second_pairing_id")
Typed = dict[str, str]


def programme_typed(form: Any) -> Typed:
    return {name: str(form.get(name, "")) for name in PROGRAMME_FIELDS}


def programme_shown(programme: Any | None) -> Typed:
    """A programme as its form shows it (a new one: an ongoing programme that favours the total score)."""
    if programme is None:
        return {name: "" for name in PROGRAMME_FIELDS} | {"kind": "evergreen", "objective": "total_score"}
    shown = {
        name: "" if getattr(programme, name) is None else str(getattr(programme, name)) for name in PROGRAMME_FIELDS
    }
    shown["require_different_department"] = "yes" if programme.require_different_department else ""
    return shown


def programme_values(typed: Typed) -> dict[str, Any]:
    """The form as the API's body: an empty field is none; the checkbox is ticked or not."""
    values: dict[str, Any] = {name: typed[name].strip() or None for name in PROGRAMME_FIELDS}
    values["name"] = typed["name"]
    values["require_different_department"] = bool(typed["require_different_department"])
    return values


def field_message(language: Language, field: str) -> str:
    """Why a programme's value was refused, in the person's language: what to type instead."""
    messages = {
        "name": language.gettext("Give the programme a name of at most 200 characters."),
        "kind": language.gettext("Choose a cohort or an ongoing programme."),
        "description": language.gettext("The description is too long (at most 5,000 characters)."),
        "goals": language.gettext("The goals are too long (at most 5,000 characters)."),
        "starts_on": language.gettext("A cohort needs a start and an end date."),
        "ends_on": language.gettext("The end date cannot be before the start date."),
        "enrolment_opens": language.gettext("Give the day enrolment opens as a date."),
        "enrolment_closes": language.gettext("Enrolment cannot close before it opens."),
        "objective": language.gettext("Choose what the pairing favours."),
    }
    return messages.get(field, language.gettext("This value was not accepted: check it and try again."))


def programme_words(language: Language) -> Words:
    def words(exc: Refused) -> dict[str, str]:
        shown = {}
        for field in field_errors(exc):
            if field == FORM:
                shown[FORM] = language.gettext(
                    "The programme was not saved: it may have changed since this page was shown. Reload the page."
                )
            else:
                shown[field] = field_message(language, field)
        return shown

    return words


def review_words(language: Language) -> Words:
    """A refused swap, removal, publication or discard, in the person's language."""

    def words(exc: Refused) -> dict[str, str]:
        if isinstance(exc, ConflictError):
            if "only a proposed run" in exc.detail or "published run" in exc.detail:
                return {FORM: language.gettext("This run is no longer waiting for review: nothing was changed.")}
            return {
                FORM: language.gettext(
                    "The pool changed since this run was computed (someone withdrew, was matched or left): "
                    "run a new pairing."
                )
            }
        errors = field_errors(exc)
        if "hard constraint" in str(exc):
            return {
                "second_pairing_id": language.gettext(
                    "These two cannot swap: a new pair would break a rule of the pairing (no shared language, "
                    "a reporting line, the same department or an excluded mentor)."
                )
            }
        if "same mentor" in str(exc):
            return {"second_pairing_id": language.gettext("Both pairs have the same mentor: a swap changes nothing.")}
        field = next(iter(errors))
        if field == "second_pairing_id" and "different" in str(exc):
            return {field: language.gettext("Choose two different pairs.")}
        return {field: language.gettext("Choose a proposed pair of this run.")}

    return words


def score_text(language: Language, score: float) -> str:
    """A score (or a total of scores) as the review shows it, to two decimals."""
    return language.number(round(score, 2))


class HRMentoringController(Controller):
    include_in_schema = False

    @get(HR_MENTORING, opt={"scope": Scope.MENTORING_READ}, name="portal:hr-mentoring")
    async def programmes(self, visit: NamedDependency[Visit]) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await _programmes_page(visit)

    @post(
        f"{HR_MENTORING}/programmes",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:hr-mentoring-create",
        status_code=303,
    )
    async def create(self, visit: NamedDependency[Visit]) -> Response[Any]:
        """Create a programme (a draft): `POST /mentoring/programmes`."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        typed = programme_typed(await visit.form(*PROGRAMME_FIELDS))
        made: list[uuid.UUID] = []

        async def write() -> object:
            data = msgspec.convert(programme_values(typed), ProgrammeCreate, strict=False)
            made.append((await ProgrammeService(visit.db).create(visit.principal, data)).id)
            return made

        errors = await visit.attempt(write, programme_words(visit.language))
        if errors:
            return await _programmes_page(visit, errors=errors, typed=typed, status=errors.status)
        return Redirect(f"{HR_MENTORING}/programmes/{made[0]}?done=created", status_code=303)

    @get(
        f"{HR_MENTORING}/programmes/{{programme_id:uuid}}",
        opt={"scope": Scope.MENTORING_READ},
        name="portal:hr-programme",
    )
    async def programme(
        self, visit: NamedDependency[Visit], programme_id: FromPath[uuid.UUID], done: FromQuery[str | None] = None
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await _programme_page(visit, programme_id, done=done)

    @post(
        f"{HR_MENTORING}/programmes/{{programme_id:uuid}}",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:hr-programme-edit",
        status_code=303,
    )
    async def edit(self, visit: NamedDependency[Visit], programme_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Edit the programme: `PATCH /mentoring/programmes/{id}`."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        typed = programme_typed(await visit.form(*PROGRAMME_FIELDS))

        async def write() -> object:
            data = msgspec.convert(programme_values(typed), ProgrammeUpdate, strict=False)
            return await ProgrammeService(visit.db).update(visit.principal, programme_id, data)

        return await self._programme_written(
            visit, programme_id, write, programme_words(visit.language), typed, "saved"
        )

    @post(
        f"{HR_MENTORING}/programmes/{{programme_id:uuid}}/status",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:hr-programme-status",
        status_code=303,
    )
    async def status(self, visit: NamedDependency[Visit], programme_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Open or close enrolment, or take the programme back to a draft: `PATCH` of its status."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        chosen = str((await visit.form("status")).get("status", ""))

        async def write() -> object:
            data = msgspec.convert({"status": chosen}, ProgrammeUpdate)
            return await ProgrammeService(visit.db).update(visit.principal, programme_id, data)

        return await self._programme_written(visit, programme_id, write, programme_words(visit.language), None, chosen)

    @post(
        f"{HR_MENTORING}/programmes/{{programme_id:uuid}}/runs",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:hr-programme-run",
        status_code=303,
    )
    async def run(self, visit: NamedDependency[Visit], programme_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Run a pairing: `POST /mentoring/programmes/{id}/runs` (a job computes it); on to the run."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        objective = str((await visit.form("objective")).get("objective", ""))
        started: list[PairingRun] = []
        language = visit.language

        def words(exc: Refused) -> dict[str, str]:
            if isinstance(exc, ConflictError):
                return {"run-form": language.gettext("A closed programme takes no more pairing runs.")}
            return {"run-objective": language.gettext("Choose what the pairing favours.")}

        async def write() -> object:
            data = msgspec.convert({"objective": objective or None}, RunCreate)
            started.append(await PairingRunService(visit.db).start(visit.principal, programme_id, data))
            return started

        try:
            errors = await visit.attempt(write, words, not_found_raises=True)
        except NotFoundError:
            return await _not_found(visit)
        if errors:
            return await _programme_page(visit, programme_id, errors=errors, status=errors.status)
        return Redirect(f"{HR_MENTORING}/runs/{started[0].id}", status_code=303)

    async def _programme_written(
        self,
        visit: Visit,
        programme_id: uuid.UUID,
        write: Callable[[], Awaitable[object]],
        words: Words,
        typed: Typed | None,
        done: str,
    ) -> Response[Any]:
        try:
            errors = await visit.attempt(write, words, not_found_raises=True)
        except NotFoundError:
            return await _not_found(visit)
        if errors:
            return await _programme_page(visit, programme_id, errors=errors, typed=typed, status=errors.status)
        return Redirect(f"{HR_MENTORING}/programmes/{programme_id}?done={done}", status_code=303)

    @get(f"{HR_MENTORING}/runs/{{run_id:uuid}}", opt={"scope": Scope.MENTORING_READ}, name="portal:hr-run")
    async def review(
        self,
        visit: NamedDependency[Visit],
        run_id: FromPath[uuid.UUID],
        first_pairing_id: FromQuery[uuid.UUID | None] = None,
        second_pairing_id: FromQuery[uuid.UUID | None] = None,
        remove: FromQuery[uuid.UUID | None] = None,
        done: FromQuery[str | None] = None,
        before: FromQuery[float | None] = None,
    ) -> Template:
        """The run; with two pairs chosen, the effect of swapping their mentors (nothing written yet);
        with `remove`, the effect of removing that pair; `done` and `before`: the change just made."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        service = PairingRunService(visit.db)
        preview: RunEdit | None = None
        errors: dict[str, str] = {}
        status = 200
        edits: list[RunEdit] = []

        async def look() -> object:
            if first_pairing_id is not None and second_pairing_id is not None:
                edits.append(
                    await service.swap(visit.principal, run_id, first_pairing_id, second_pairing_id, dry_run=True)
                )
            elif remove is not None:
                edits.append(await service.remove(visit.principal, run_id, remove, dry_run=True))
            return edits

        if first_pairing_id is not None or second_pairing_id is not None or remove is not None:
            if (first_pairing_id is None) != (second_pairing_id is None):
                missing = "second_pairing_id" if second_pairing_id is None else "first_pairing_id"
                errors = {missing: visit.language.gettext("Choose two pairs to swap.")}
                status = 422
            else:
                try:
                    refused = await visit.attempt(look, review_words(visit.language), not_found_raises=True)
                except NotFoundError:
                    return await _not_found(visit)
                errors, status = dict(refused), refused.status if refused else 200
                preview = edits[0] if edits else None
        typed = {
            "first_pairing_id": str(first_pairing_id or ""),
            "second_pairing_id": str(second_pairing_id or ""),
        }
        return await _run_page(
            visit, run_id, preview=preview, errors=errors, typed=typed, done=done, before=before, status=status
        )

    @post(
        f"{HR_MENTORING}/runs/{{run_id:uuid}}/swap",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:hr-run-swap",
        status_code=303,
    )
    async def swap(self, visit: NamedDependency[Visit], run_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Swap the mentors of two pairs: `POST /mentoring/runs/{id}/swap`."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        form = await visit.form(*SWAP_FIELDS)
        typed = {name: str(form.get(name, "")) for name in SWAP_FIELDS}
        edits: list[RunEdit] = []

        async def write() -> object:
            first, second = (_pairing_id(typed[name], name) for name in SWAP_FIELDS)
            edits.append(await PairingRunService(visit.db).swap(visit.principal, run_id, first, second))
            return edits

        return await self._reviewed(visit, run_id, write, edits, typed, "swap")

    @post(
        f"{HR_MENTORING}/runs/{{run_id:uuid}}/remove",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:hr-run-remove",
        status_code=303,
    )
    async def remove(self, visit: NamedDependency[Visit], run_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Remove a pair (its mentee joins the waitlist): `POST /mentoring/runs/{id}/remove`."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        typed = {"pairing_id": str((await visit.form("pairing_id")).get("pairing_id", ""))}
        edits: list[RunEdit] = []

        async def write() -> object:
            pairing_id = _pairing_id(typed["pairing_id"], "pairing_id")
            edits.append(await PairingRunService(visit.db).remove(visit.principal, run_id, pairing_id))
            return edits

        return await self._reviewed(visit, run_id, write, edits, typed, "remove")

    @post(
        f"{HR_MENTORING}/runs/{{run_id:uuid}}/publish",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:hr-run-publish",
        status_code=303,
    )
    async def publish(self, visit: NamedDependency[Visit], run_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Publish the run: `POST /mentoring/runs/{id}/publish`; its members are told."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        await visit.form()  # a form of one button: any field sent is refused

        async def write() -> object:
            return await PairingRunService(visit.db).publish(visit.principal, run_id)

        return await self._reviewed(visit, run_id, write, [], {}, "publish")

    @post(
        f"{HR_MENTORING}/runs/{{run_id:uuid}}/discard",
        opt={"scope": Scope.MENTORING_WRITE},
        name="portal:hr-run-discard",
        status_code=303,
    )
    async def discard(self, visit: NamedDependency[Visit], run_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Discard the run: `POST /mentoring/runs/{id}/discard`."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        await visit.form()  # a form of one button: any field sent is refused

        async def write() -> object:
            return await PairingRunService(visit.db).discard(visit.principal, run_id)

        return await self._reviewed(visit, run_id, write, [], {}, "discard")

    async def _reviewed(
        self,
        visit: Visit,
        run_id: uuid.UUID,
        write: Callable[[], Awaitable[object]],
        edits: list[RunEdit],
        typed: Typed,
        done: str,
    ) -> Response[Any]:
        """The write (the one write flow); done, back to the run with what changed (303); refused, the run
        again with the reason beside the field (the API's status), what was chosen kept."""
        try:
            errors = await visit.attempt(write, review_words(visit.language), not_found_raises=True)
        except NotFoundError:
            return await _not_found(visit)
        if errors:
            return await _run_page(visit, run_id, errors=dict(errors), typed=typed, status=errors.status)
        before = f"&before={edits[0].total_before}" if edits else ""
        return Redirect(f"{HR_MENTORING}/runs/{run_id}?done={done}{before}#review", status_code=303)


def _pairing_id(value: str, field: str) -> uuid.UUID:
    """A chosen pair's id as the form sends it (a pair of the run's list), else the API's refusal."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInputError(field, f"{field} must be a pairing of this run") from None


async def _not_found(visit: Visit) -> Template:
    """What the API answers 404 to: the refusal page, as if it did not exist, back to the area."""
    return await visit.refused(404, HR_MENTORING, visit.language.gettext("Back to mentoring programmes"))


async def _enrolment(visit: Visit, programme_id: uuid.UUID) -> tuple[list[Any], list[Any]]:
    """The programme's mentor profiles and mentee requests, every page of each (HR sees all)."""
    profiles, requests = MentorProfileService(visit.db), MenteeRequestService(visit.db)
    mentors = await every(lambda c: profiles.of_programme(visit.principal, programme_id, cursor=c, limit=MAX_LIMIT))
    mentees = await every(
        lambda c: requests.of_programme(visit.principal, programme_id, status=None, cursor=c, limit=MAX_LIMIT)
    )
    return list(mentors), list(mentees)


async def _programmes_page(
    visit: Visit, *, errors: dict[str, str] | None = None, typed: Typed | None = None, status: int = 200
) -> Template:
    service = ProgrammeService(visit.db)
    programmes = await every(lambda c: service.list(visit.principal, status=None, cursor=c, limit=MAX_LIMIT))
    rows = []
    order = {ProgrammeStatus.OPEN: 0, ProgrammeStatus.DRAFT: 1, ProgrammeStatus.CLOSED: 2}
    for programme in sorted(programmes, key=lambda p: (order[p.status], p.name.casefold())):
        mentors, mentees = await _enrolment(visit, programme.id)
        rows.append(
            {
                "programme": programme,
                "mentors": sum(1 for m in mentors if m.active),
                "mentees": sum(1 for m in mentees if m.status != RequestStatus.WITHDRAWN),
                "waiting": sum(1 for m in mentees if m.status in (RequestStatus.OPEN, RequestStatus.WAITLISTED)),
                "matched": sum(1 for m in mentees if m.status == RequestStatus.MATCHED),
            }
        )
    return await visit.page(
        "hr_mentoring.html",
        status=status,
        areas=AREAS,
        rows=rows,
        form=typed or programme_shown(None),
        errors=errors or {},
        kinds=[k.value for k in ProgrammeKind],
        objectives=[o.value for o in PairingObjective],
    )


async def _programme_page(
    visit: Visit,
    programme_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: Typed | None = None,
    done: str | None = None,
    status: int = 200,
) -> Template:
    try:
        programme = await ProgrammeService(visit.db).get(visit.principal, programme_id)
    except NotFoundError:
        return await _not_found(visit)
    mentors, mentees = await _enrolment(visit, programme_id)
    runs_service = PairingRunService(visit.db)
    runs = await every(lambda c: runs_service.of_programme(visit.principal, programme_id, cursor=c, limit=MAX_LIMIT))
    names = await names_of(visit.db, {m.employee_id for m in mentors} | {m.employee_id for m in mentees})
    return await visit.page(
        "hr_mentoring_programme.html",
        status=status,
        areas=AREAS,
        programme=programme,
        mentors=sorted(mentors, key=lambda m: names[m.employee_id].casefold()),
        mentees=sorted(mentees, key=lambda m: names[m.employee_id].casefold()),
        names=names,
        runs=sorted(runs, key=lambda r: r.created_at, reverse=True),
        form=typed or programme_shown(programme),
        errors=errors or {},
        done=done,
        kinds=[k.value for k in ProgrammeKind],
        objectives=[o.value for o in PairingObjective],
        here=f"{HR_MENTORING}/programmes/{programme_id}",
    )


async def _run_page(
    visit: Visit,
    run_id: uuid.UUID,
    *,
    preview: RunEdit | None = None,
    errors: dict[str, str] | None = None,
    typed: Typed | None = None,
    done: str | None = None,
    before: float | None = None,
    status: int = 200,
) -> Template:
    language = visit.language
    service = PairingRunService(visit.db)
    try:
        run = await service.get(visit.principal, run_id)
    except NotFoundError:
        return await _not_found(visit)
    programme = await ProgrammeService(visit.db).get(visit.principal, run.programme_id)
    job = await JobService(visit.db).get(visit.principal, run.job_id) if run.job_id is not None else None
    pairs = await every(lambda c: service.pairings(visit.principal, run_id, cursor=c, limit=MAX_LIMIT))
    waiting = await every(lambda c: service.waitlist(visit.principal, run_id, cursor=c, limit=MAX_LIMIT))
    _, mentees = await _enrolment(visit, run.programme_id)
    mentee_of = {m.id: m.employee_id for m in mentees}
    people = {p.mentor_employee_id for p in pairs} | {p.mentee_employee_id for p in pairs}
    people |= {mentee_of[w.mentee_request_id] for w in waiting}
    if preview is not None:
        people |= {p.mentor_employee_id for p in preview.pairings}
        if preview.waitlisted is not None:
            people.add(mentee_of[preview.waitlisted.mentee_request_id])
    names = await names_of(visit.db, people)
    rows = [
        {"pairing": p, "sentences": reasons_in_words(language, p.reasons)}
        for p in sorted(pairs, key=lambda p: names[p.mentee_employee_id].casefold())
    ]
    waitlist = [
        {"entry": w, "name": names[mentee_of[w.mentee_request_id]], "reason": waitlist_reason(language, w.reason)[0]}
        for w in sorted(waiting, key=lambda w: w.position)
    ]
    removed = None
    if preview is not None and preview.waitlisted is not None:
        removed = next(p for p in pairs if p.mentee_request_id == preview.waitlisted.mentee_request_id)
    return await visit.page(
        "hr_mentoring_run.html",
        status=status,
        areas=AREAS,
        run=run,
        programme=programme,
        job=job,
        computing=run.status == RunStatus.QUEUED,
        rows=rows,
        waitlist=waitlist,
        names=names,
        preview=preview,
        preview_rows=[{"pairing": p, "sentences": reasons_in_words(language, p.reasons)} for p in preview.pairings]
        if preview is not None
        else [],
        removed=removed,
        errors=errors or {},
        typed=typed or {},
        done=done,
        before=before,
        score=lambda value: score_text(language, value),
        here=f"{HR_MENTORING}/runs/{run_id}",
    )
