"""The HR workspace's openings: every opening of the company, over the same services, with the same
principal and rules, as the API's routes for openings and their applications. The posting form, the
status buttons, the stage moves and the candidates are the managers' pages' own (`hiring.py`), here with
HR's principal and the hiring manager named by HR.

- `/hr/openings`: every opening (`OpportunityService.list_visible`, as `GET /opportunities`: HR sees
  them all), filtered by status, department and kind, a page at a time; a link to post one.
- `/hr/openings/new`, `/hr/openings/{id}/edit`: the posting form with its skills and the hiring
  manager, chosen by name from the people who may be one (`/hr/openings/managers`, as
  `GET /employees?active=true&manages_people=true&q=`); saved as `POST /opportunities` or
  `PATCH /opportunities/{id}`.
- `POST /hr/openings/{id}/open`, `/close`: `OpportunityService.open` / `close`.
- `/hr/openings/{id}`: the pipeline board, a column per stage (`ApplicationStage`, in order), each
  application a card with the applicant, since when it is in the stage and the moves `hiring_moves`
  offers from it (`ApplicationService.move`, as `POST /applications/{id}/stage`), the manager release
  and HR's override (`ApplicationService.answer_release`, as `POST /applications/{id}/release`); and
  the candidates as HR reads them (`MatchServingService.candidates`, as
  `GET /opportunities/{id}/candidates`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from functools import partial
from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Template

from backend.api.pagination import MAX_LIMIT
from backend.api.problems import domain_status
from backend.auth.principal import Scope
from backend.errors import ConflictError, DomainError, InvalidInputError, NotFoundError
from backend.marketplace.applications import OPEN_RELEASES, ApplicationService, MobilityPolicyService, hiring_moves
from backend.marketplace.models import ApplicationStage, OpportunityKind, OpportunityStatus
from backend.marketplace.opportunities import OpportunityService
from backend.marketplace.schemas import ApplicationRead, OpportunityRead, ReleaseAnswer, ReleaseAnswerAction
from backend.matching.applicants import ApplicantRankingService
from backend.matching.schemas import TOP_CANDIDATES
from backend.matching.serving import MatchServingService
from backend.org.models import OrgUnitKind
from backend.org.service import OrgService
from backend.portal.forms import FORM, Refusal, Refused
from backend.portal.hiring import (
    STATUS_ORDER,
    PostingForm,
    change_status,
    create_opening,
    manager_search,
    move_application,
    posting_context,
    read_posting_form,
    submit_posting,
    update_opening,
)
from backend.portal.hr import AREAS
from backend.portal.lists import every, from_cursor, paging
from backend.portal.routes import Visit

HR_OPENINGS = "/hr/openings"
# Openings a page of the list.
OPENINGS_PAGE = 50


def _choice(value: str, allowed: list[str]) -> str:
    """A filter's value when it is one of the list's, else none (a made-up value filters nothing)."""
    return value if value in allowed else ""


async def _not_found(visit: Visit) -> Template:
    """An opening that does not exist (HR sees every one): the refusal page, back to the openings."""
    language = visit.language
    return await visit.refused(404, HR_OPENINGS, language.gettext("Back to the openings"))


def _override_refusal(visit: Visit, exc: Refused) -> dict[str, str]:
    gettext = visit.language.gettext
    if isinstance(exc, InvalidInputError) and exc.field == "reason":
        return {"reason": gettext("An override needs a reason: say why the move goes ahead.")}
    if isinstance(exc, ConflictError):
        return {"reason": gettext("This release takes no more answers: it was settled or the offer no longer stands.")}
    return {"reason": gettext("Write the reason in at most 5,000 characters.")}


class HROpeningsController(Controller):
    path = HR_OPENINGS
    include_in_schema = False

    # --- every opening ------------------------------------------------------------------------------

    @get("/", opt={"scope": Scope.OPPORTUNITIES_READ}, name="portal:hr-openings")
    async def openings(
        self,
        visit: NamedDependency[Visit],
        status: FromQuery[str] = "",
        org_unit_id: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        org = OrgService(visit.db)
        departments = await every(
            lambda c: org.list_units(parent_id=None, kind=OrgUnitKind.DEPARTMENT, q=None, cursor=c, limit=MAX_LIMIT)
        )
        status = _choice(status, [s.value for s in STATUS_ORDER])
        kind = _choice(kind, [k.value for k in OpportunityKind])
        org_unit_id = _choice(org_unit_id, [str(d.id) for d in departments])
        service = OpportunityService(visit.db)

        async def fetch(at: str | None) -> tuple[list[OpportunityRead], str | None]:
            return await service.list_visible(
                visit.principal,
                status=OpportunityStatus(status) if status else None,
                kind=OpportunityKind(kind) if kind else None,
                type_id=None,
                org_unit_id=uuid.UUID(org_unit_id) if org_unit_id else None,
                hiring_manager_id=None,
                accepting=None,
                remote=None,
                location=None,
                q=None,
                cursor=at,
                limit=OPENINGS_PAGE,
            )

        openings, next_cursor, cursor = await from_cursor(fetch, cursor)
        units = {
            unit.id: unit.name
            for unit in await every(
                lambda c: org.list_units(parent_id=None, kind=None, q=None, cursor=c, limit=MAX_LIMIT)
            )
        }
        managers = {o.hiring_manager_id for o in openings if o.hiring_manager_id is not None}
        names = {person: (await org.get_employee(person)).full_name for person in managers}
        return await visit.page(
            "hr_openings.html",
            areas=AREAS,
            openings=openings,
            units=units,
            names=names,
            departments=sorted(departments, key=lambda d: d.name.casefold()),
            statuses=[s.value for s in STATUS_ORDER],
            kinds=[k.value for k in OpportunityKind],
            chosen={"status": status, "org_unit_id": org_unit_id, "kind": kind},
            **paging(HR_OPENINGS, cursor, next_cursor, status=status, org_unit_id=org_unit_id, kind=kind),
        )

    # --- posting and editing ------------------------------------------------------------------------

    async def _form_page(
        self, visit: Visit, opening_id: uuid.UUID | None, form: PostingForm | None, errors: Refusal | None = None
    ) -> Template:
        """The posting form: a new opening (`opening_id` None) or one to edit (one that does not exist: the
        refusal page), as typed (`form`) or as saved, with a refusal beside its field (at its status)."""
        opening = None
        if opening_id is not None:
            try:
                opening = await OpportunityService(visit.db).get_managed(visit.principal, opening_id)
            except NotFoundError:
                return await _not_found(visit)
        if form is None:
            form = (
                await PostingForm.of(visit.db, opening, names_manager=True)
                if opening
                else PostingForm(names_manager=True)
            )
        return await visit.page(
            "hr_openings_form.html",
            status=errors.status if errors else 200,
            areas=AREAS,
            opening=opening,
            action=f"{HR_OPENINGS}/{opening.id}/edit" if opening else f"{HR_OPENINGS}/new",
            **await posting_context(visit.db, form, errors),
        )

    @get("/new", opt={"scope": Scope.OPPORTUNITIES_READ}, name="portal:hr-openings-new")
    async def new(self, visit: NamedDependency[Visit]) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await self._form_page(visit, None, None)

    @post("/new", opt={"scope": Scope.OPPORTUNITIES_WRITE}, name="portal:hr-openings-post", media_type=MediaType.HTML)
    async def post_opening(self, visit: NamedDependency[Visit]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal

        return await submit_posting(
            visit,
            partial(create_opening, visit),
            partial(self._form_page, visit, None),
            partial(_not_found, visit),
            f"{HR_OPENINGS}/{{id}}",
            names_manager=True,
        )

    @get("/managers", opt={"scope": Scope.EMPLOYEES_READ}, name="portal:hr-openings-managers")
    async def managers(
        self, visit: NamedDependency[Visit], manager_q: FromQuery[str] = "", hiring_manager_id: FromQuery[str] = ""
    ) -> Template:
        """The hiring manager chosen and the people found who may be one, for htmx to put in the form
        as HR types a name (it sends the search and the one chosen, as the form would)."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        sent = {"manager_q": manager_q, "hiring_manager_id": hiring_manager_id}
        form = await read_posting_form(visit.db, FormMultiDict(sent), names_manager=True)
        return HTMXTemplate(
            template_name="hiring_managers.html",
            context={
                "i18n": visit.language,
                "form": form,
                "managers": await manager_search(visit.db, form.manager_q, form.manager),
            },
        )

    @get("/{opportunity_id:uuid}/edit", opt={"scope": Scope.OPPORTUNITIES_READ}, name="portal:hr-opening-edit")
    async def edit(self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID]) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await self._form_page(visit, opportunity_id, None)

    @post(
        "/{opportunity_id:uuid}/edit",
        opt={"scope": Scope.OPPORTUNITIES_WRITE},
        name="portal:hr-opening-save",
        media_type=MediaType.HTML,
    )
    async def save(self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal

        return await submit_posting(
            visit,
            partial(update_opening, visit, opportunity_id),
            partial(self._form_page, visit, opportunity_id),
            partial(_not_found, visit),
            f"{HR_OPENINGS}/{{id}}",
            names_manager=True,
        )

    # --- status -------------------------------------------------------------------------------------

    @post(
        "/{opportunity_id:uuid}/open",
        opt={"scope": Scope.OPPORTUNITIES_WRITE},
        name="portal:hr-opening-open",
        media_type=MediaType.HTML,
    )
    async def open_opening(self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await self._change_status(visit, opportunity_id, "open")

    @post(
        "/{opportunity_id:uuid}/close",
        opt={"scope": Scope.OPPORTUNITIES_WRITE},
        name="portal:hr-opening-close",
        media_type=MediaType.HTML,
    )
    async def close_opening(self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await self._change_status(visit, opportunity_id, "close")

    async def _change_status(self, visit: Visit, opportunity_id: uuid.UUID, to: str) -> Any:
        service = OpportunityService(visit.db)
        try:
            refused = await change_status(visit, opportunity_id, service.open if to == "open" else service.close)
        except NotFoundError:
            return await _not_found(visit)
        if refused:
            return await self._board(visit, opportunity_id, status_error=refused[0], status=refused[1])
        return Redirect(f"{HR_OPENINGS}/{opportunity_id}", status_code=303)

    # --- the pipeline board -------------------------------------------------------------------------

    @get("/{opportunity_id:uuid}", opt={"scope": Scope.APPLICATIONS_READ}, name="portal:hr-opening")
    async def opening(self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID]) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await self._board(visit, opportunity_id)

    async def _board(
        self,
        visit: Visit,
        opportunity_id: uuid.UUID,
        *,
        status_error: str | None = None,
        moving: uuid.UUID | None = None,
        typed: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        """The opening, its applications in a column per stage (best match first in each) and its
        candidates, as HR reads them."""
        ranking = ApplicantRankingService(visit.db)
        try:
            opening = await OpportunityService(visit.db).get(visit.principal, opportunity_id)
            applications = await every(
                lambda c: ranking.ranked(visit.principal, opportunity_id, stage=None, cursor=c, limit=MAX_LIMIT)
            )
        except DomainError as exc:
            if domain_status(exc) == 404:
                return await _not_found(visit)
            raise
        columns: dict[ApplicationStage, list[ApplicationRead]] = defaultdict(list)
        for application in applications:
            columns[application.stage].append(application)
        org = OrgService(visit.db)
        manager = await org.get_employee(opening.hiring_manager_id) if opening.hiring_manager_id else None
        return await visit.page(
            "hr_openings_board.html",
            status=status,
            areas=AREAS,
            opening=opening,
            department=await org.get_unit(opening.org_unit_id) if opening.org_unit_id else None,
            manager=manager,
            columns=[(stage.value, columns[stage]) for stage in ApplicationStage],
            moves={a.id: hiring_moves(a.stage) for a in applications},
            overridable={
                a.id
                for a in applications
                if a.stage == ApplicationStage.OFFER and a.release and a.release.status in OPEN_RELEASES
            },
            candidates=await MatchServingService(visit.db).candidates(visit.principal, opportunity_id, TOP_CANDIDATES),
            policy=await MobilityPolicyService(visit.db).get(),
            status_error=status_error,
            moving=moving,
            typed=typed or {},
            errors=errors or {},
        )

    @post(
        "/{opportunity_id:uuid}/applications/{application_id:uuid}/stage",
        opt={"scope": Scope.APPLICATIONS_WRITE},
        name="portal:hr-application-stage",
        media_type=MediaType.HTML,
    )
    async def move(
        self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID], application_id: FromPath[uuid.UUID]
    ) -> Any:
        """One application moved to another column (or rejected with its reason)."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        try:
            typed, errors = await move_application(visit, application_id)
        except NotFoundError:
            return await _not_found(visit)
        if errors:
            return await self._board(
                visit, opportunity_id, moving=application_id, typed=typed, errors=errors, status=errors.status
            )
        return Redirect(f"{HR_OPENINGS}/{opportunity_id}#application-{application_id}", status_code=303)

    @post(
        "/{opportunity_id:uuid}/applications/{application_id:uuid}/override",
        opt={"scope": Scope.APPLICATIONS_WRITE},
        name="portal:hr-release-override",
        media_type=MediaType.HTML,
    )
    async def override(
        self, visit: NamedDependency[Visit], opportunity_id: FromPath[uuid.UUID], application_id: FromPath[uuid.UUID]
    ) -> Any:
        """HR lets the move go ahead whatever the applicant's manager answered, with a reason (as
        `POST /applications/{id}/release` with `action=override`)."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        raw = await visit.form("reason")
        typed = {"override": str(raw.get("reason", ""))}

        async def write() -> object:
            body = {"action": ReleaseAnswerAction.OVERRIDE.value, "reason": typed["override"].strip() or None}
            answer = msgspec.convert(body, ReleaseAnswer)
            return await ApplicationService(visit.db).answer_release(visit.principal, application_id, answer)

        try:
            errors = await visit.attempt(write, partial(_override_refusal, visit), not_found_raises=True)
        except NotFoundError:
            return await _not_found(visit)
        if errors:
            shown = {"override": errors.get("reason") or errors.get(FORM, "")}
            return await self._board(
                visit, opportunity_id, moving=application_id, typed=typed, errors=shown, status=errors.status
            )
        return Redirect(f"{HR_OPENINGS}/{opportunity_id}#application-{application_id}", status_code=303)
