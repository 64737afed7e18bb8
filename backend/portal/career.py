"""My career in the portal: thin pages over the same matching and training services, with the same
principal and scopes, as `GET /api/v1/employees/{id}/next-roles`, `GET`/`POST .../training-plans` and
`GET`/`POST .../course-completions`.

- `/career`: my next roles on the company's career paths, drawn as a path (my role first, then the
  roles one and two steps away), each with its fit, the skills missing with levels and the typical
  time (`MatchServingService.next_roles`, which also brings the roles I aim at).
- `/career/plan?role=`: the training plan for a chosen target role (`TrainingPlanService.plans`):
  courses, their cost and time, the gap each closes and what no course covers; which courses I have
  done (`CompletionService.history`).
- `POST /career/plan`: make (or make again) the plan for a role, computed at once
  (`TrainingPlanService.request`).
- `POST /career/plan/completions`: a course of the plan marked done (`CompletionService.record`: it
  raises the skills the course teaches, which My profile then shows).

A refusal is shown beside its field, the page answered 422 with what was chosen; a success goes back to
the plan (303).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import MAX_LIMIT
from backend.auth.middleware import principal_employee
from backend.auth.principal import Principal, Scope
from backend.errors import ConflictError, DomainError, InvalidInputError, NotFoundError
from backend.framework.service import FrameworkService
from backend.matching.schemas import NextRole
from backend.matching.serving import MatchServingService
from backend.portal.forms import FORM, Refused, field_of
from backend.portal.i18n import Language
from backend.portal.lists import every, first
from backend.portal.routes import Visit
from backend.training.completions import CompletionService
from backend.training.plans import TrainingPlanService
from backend.training.schemas import CourseCompletionCreate, TrainingPlanRead

# What the API's bearer middleware leaves to these pages (their guard is the portal's).
CAREER_PATHS = ["^/career(/.*)?$"]
# The role field of the plan's chooser, and a course's completion date field (one per course row).
ROLE = "role"
COMPLETED_ON = "completed_on"


@dataclass
class PathStep:
    """One step of the path drawn: the roles that many career-path steps away (1 or 2)."""

    steps: int
    roles: list[NextRole] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """A role one may choose for a plan: a next role, or a role one aims at."""

    id: uuid.UUID
    title: str
    level: int | None
    aspired: bool


async def _next_roles(db: AsyncSession, principal: Principal, employee_id: uuid.UUID) -> Sequence[NextRole]:
    return (await MatchServingService(db).next_roles(principal, employee_id)).items


def _targets(items: Sequence[NextRole]) -> list[Target]:
    """The roles to choose a plan for: the path's next roles and the roles the person aims at (the next
    roles' service brings both), nearest first."""
    return [
        Target(item.role_id, item.title, item.level, item.aspired)
        for item in sorted(items, key=lambda i: (i.steps or 3, i.title.casefold()))
    ]


async def _plan_for(
    db: AsyncSession, principal: Principal, employee_id: uuid.UUID, role_id: uuid.UUID
) -> TrainingPlanRead | None:
    """My plan for one role, if one was made (one plan per role)."""
    service = TrainingPlanService(db)
    return await first(
        lambda cursor: service.plans(principal, employee_id, cursor, MAX_LIMIT),
        lambda plan: plan.target_role_id == role_id,
    )


async def _done(db: AsyncSession, principal: Principal, employee_id: uuid.UUID) -> dict[uuid.UUID, dt.date]:
    """The courses I have completed, each with the last date I completed it."""
    done: dict[uuid.UUID, dt.date] = {}
    service = CompletionService(db)
    for completion in await every(lambda cursor: service.history(principal, employee_id, cursor, MAX_LIMIT)):
        done[completion.course_id] = max(completion.completed_on, done.get(completion.course_id, dt.date.min))
    return done


def _role_id(typed: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(typed)
    except ValueError:
        return None


def _choose_a_role(language: Language) -> str:
    return language.gettext("Choose a role from the list.")


def _busy(language: Language) -> str:
    return language.gettext(
        "Every training plan of the company is being made again right now, so yours cannot be made this "
        "minute. Try again in a few minutes."
    )


def _completion_refusal(
    language: Language, course_id: uuid.UUID, exc: DomainError | msgspec.ValidationError
) -> dict[str, str]:
    """A refused completion, in the person's language (the API's problem says it in English for a
    program), beside that course's date field."""
    field = FORM
    if isinstance(exc, InvalidInputError):
        field = exc.field
    elif isinstance(exc, msgspec.ValidationError):
        field = field_of(exc)
    if isinstance(exc, InvalidInputError) and field == COMPLETED_ON:
        # The service's one rule on the date: not after today.
        message = language.gettext("The date you finished cannot be in the future.")
    elif field == COMPLETED_ON:
        message = language.gettext("Enter the date you finished the course.")
    elif field == "course_id":
        message = language.gettext("This course is no longer in the catalogue.")
    else:
        message = language.gettext("This course could not be marked done. Please try again.")
    return {f"{COMPLETED_ON}-{course_id}": message}


class CareerController(Controller):
    path = "/"
    include_in_schema = False

    @get("/career", opt={"scope": Scope.MATCHING_READ}, name="portal:career")
    async def career(self, visit: NamedDependency[Visit]) -> Template:
        me, unread = await visit.header()
        items = await _next_roles(visit.db, visit.principal, me.id)
        current = await FrameworkService(visit.db).get_role(me.role_id) if me.role_id else None
        path: list[PathStep] = []
        for count in (1, 2):
            on_step = sorted((i for i in items if i.steps == count), key=lambda i: (-i.match.score, i.title))
            if on_step:
                path.append(PathStep(count, on_step))
        titles = {item.role_id: item.title for item in items}
        return await visit.page(
            "career.html",
            me=me,
            unread=unread,
            current=current,
            path=path,
            # Roles the person aims at that no career path of theirs reaches.
            off_path=sorted((i for i in items if i.steps == 0), key=lambda i: (-i.match.score, i.title)),
            titles=titles,
            targets=_targets(items),
        )

    async def _plan_page(
        self,
        visit: Visit,
        typed_role: str,
        *,
        errors: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
    ) -> Template:
        language = visit.language
        errors = dict(errors or {})
        me, unread = await visit.header()
        targets = _targets(await _next_roles(visit.db, visit.principal, me.id))
        role_id = _role_id(typed_role)
        role = next((t for t in targets if t.id == role_id), None)
        if role is None and role_id is not None:
            try:
                found = await FrameworkService(visit.db).get_role(role_id)
                role = Target(found.id, found.title, found.level, False)
            except NotFoundError:
                role_id = None
        if typed_role and role_id is None:
            errors.setdefault(ROLE, _choose_a_role(language))
        plan = await _plan_for(visit.db, visit.principal, me.id, role_id) if role_id else None
        return await visit.page(
            "career_plan.html",
            status=422 if errors else 200,
            me=me,
            unread=unread,
            targets=targets,
            role=role,
            typed_role=typed_role,
            plan=plan,
            done=await _done(visit.db, visit.principal, me.id) if plan else {},
            today=dt.date.today(),
            errors=errors,
            typed=typed or {},
        )

    @get("/career/plan", opt={"scope": Scope.TRAINING_READ}, name="portal:career-plan")
    async def plan(self, visit: NamedDependency[Visit], role: FromQuery[str] = "") -> Template:
        return await self._plan_page(visit, role.strip())

    @post("/career/plan", opt={"scope": Scope.TRAINING_WRITE}, name="portal:career-plan-make", status_code=303)
    async def make_plan(self, visit: NamedDependency[Visit]) -> Response[Any]:
        """The plan for the chosen role, computed now (as `POST /employees/{id}/training-plans`)."""
        visit.refuse_cross_site()
        form = await visit.form(ROLE)
        typed_role = str(form.get(ROLE, "")).strip()
        role_id = _role_id(typed_role)
        language = visit.language

        def words(exc: Refused) -> dict[str, str]:
            # Every plan is being made again (the recompute job holds them): this one will be too.
            return {ROLE: _busy(language) if isinstance(exc, ConflictError) else _choose_a_role(language)}

        if role_id is None:
            errors: dict[str, str] = {ROLE: _choose_a_role(language)}
        else:
            me = principal_employee(visit.principal)
            errors = await visit.attempt(
                lambda: TrainingPlanService(visit.db).request(visit.principal, me, role_id), words
            )
        if errors:
            return await self._plan_page(visit, typed_role, errors=errors)
        return Redirect(f"/career/plan?role={role_id}", status_code=303)

    @post(
        "/career/plan/completions",
        opt={"scope": Scope.TRAINING_WRITE},
        name="portal:career-course-done",
        status_code=303,
    )
    async def course_done(self, visit: NamedDependency[Visit]) -> Response[Any]:
        """A course of the plan marked done on a date (as `POST /employees/{id}/course-completions`)."""
        visit.refuse_cross_site()
        form = await visit.form(ROLE, "course_id", COMPLETED_ON)
        typed = {name: str(form.get(name, "")).strip() for name in (ROLE, "course_id", COMPLETED_ON)}
        language = visit.language
        course_id = _role_id(typed["course_id"])
        if course_id is None:
            errors = {ROLE: language.gettext("This course is no longer in the catalogue.")}
            return await self._plan_page(visit, typed[ROLE], errors=errors, typed=typed)

        async def record() -> object:
            data = msgspec.convert(
                {"course_id": typed["course_id"], COMPLETED_ON: typed[COMPLETED_ON]},
                CourseCompletionCreate,
                strict=False,
            )
            return await CompletionService(visit.db).record(visit.principal, principal_employee(visit.principal), data)

        if errors := await visit.attempt(record, lambda exc: _completion_refusal(language, course_id, exc)):
            return await self._plan_page(visit, typed[ROLE], errors=errors, typed=typed)
        back = _role_id(typed[ROLE])
        return Redirect(f"/career/plan?role={back}#course-{course_id}" if back else "/career/plan", status_code=303)
