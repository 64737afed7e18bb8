"""Training: the course catalogue, its CSV import, training plans and course completions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import DEFAULT_LIMIT, Page, page_of
from backend.api.params import Cursor, Limit, Search
from backend.api.problems import FieldError, Problem, problem_response, problem_spec
from backend.auth.principal import Principal, Scope
from backend.crud import to_schema
from backend.errors import InvalidInputError
from backend.jobs.schemas import JobRead
from backend.training.completions import CompletionService
from backend.training.courses import IMPORT_FORMAT_DOC, MAX_IMPORT_BYTES, CatalogImportRefused, CourseService
from backend.training.models import CourseFormat
from backend.training.plans import TrainingPlanService
from backend.training.schemas import (
    CourseCompletionCreate,
    CourseCompletionRead,
    CourseCreate,
    CourseRead,
    CourseUpdate,
    ImportReport,
    TrainingPlanRead,
    TrainingPlanRequest,
)

_READ = {"scope": Scope.TRAINING_READ}
_WRITE = {"scope": Scope.TRAINING_WRITE}


@dataclass
class _CsvImportOperation(Operation):
    """The import's body is a CSV file that the handler reads itself; declared here for OpenAPI."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description=IMPORT_FORMAT_DOC,
            content={"text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))},
        )


def _refused(request: Request[Any, Any, Any], exc: CatalogImportRefused) -> Response[Problem]:
    errors = [FieldError(field=f"line {line}: {column}", message=reason) for line, column, reason in exc.problems]
    return problem_response(422, exc.detail, errors=errors)


class CourseController(Controller):
    path = "/courses"
    tags = ["Training"]

    @get(
        "/",
        opt=_READ,
        summary="List or search the course catalogue",
        description="Active courses, in creation order; `q` searches title and provider, `skill_id` keeps the "
        "courses teaching that skill, `provider` those of one provider (its exact name). HR may add inactive "
        "ones with `include_inactive=true`, or list the inactive ones alone with `inactive_only=true`.",
    )
    async def list_courses(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        q: Search = None,
        skill_id: FromQuery[uuid.UUID | None] = None,
        format: FromQuery[CourseFormat | None] = None,
        include_inactive: FromQuery[bool] = False,
        inactive_only: FromQuery[bool] = False,
        provider: FromQuery[str | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[CourseRead]:
        items, next_cursor = await CourseService(db).search(
            q=q,
            skill_id=skill_id,
            format=format,
            include_inactive=include_inactive and principal.is_hr,
            cursor=cursor,
            limit=limit,
            provider=provider,
            only_inactive=inactive_only and principal.is_hr,
        )
        return page_of(items, next_cursor, limit)

    @post(
        "/",
        opt=_WRITE,
        summary="Add a course to the catalogue (HR)",
        description="Every active course is priced in one currency: plans compare and add up costs.",
    )
    async def create_course(
        self, db: NamedDependency[AsyncSession], principal: NamedDependency[Principal], data: JSONBody[CourseCreate]
    ) -> CourseRead:
        return await CourseService(db).create(principal, data)

    @post(
        "/import",
        opt=_WRITE,
        status_code=200,
        summary="Import the course catalogue from CSV (HR)",
        description=IMPORT_FORMAT_DOC,
        operation_class=_CsvImportOperation,
        request_max_body_size=MAX_IMPORT_BYTES,
        exception_handlers={CatalogImportRefused: _refused},
        responses={413: problem_spec(413, "The file is larger than 5 MB.")},
    )
    async def import_courses(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> ImportReport:
        body = await request.body()
        try:
            csv_text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError("body", "the file is not UTF-8 text") from exc
        return await CourseService(db).import_csv(principal, csv_text)

    @get("/{course_id:uuid}", opt=_READ, summary="Get a course")
    async def get_course(self, db: NamedDependency[AsyncSession], course_id: FromPath[uuid.UUID]) -> CourseRead:
        return await CourseService(db).get(course_id)

    @patch(
        "/{course_id:uuid}",
        opt=_WRITE,
        summary="Change a course (HR)",
        description="Only the fields sent change; `skills`, when sent, replaces what the course teaches.",
    )
    async def update_course(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        course_id: FromPath[uuid.UUID],
        data: JSONBody[CourseUpdate],
    ) -> CourseRead:
        return await CourseService(db).update(principal, course_id, data)

    @post(
        "/{course_id:uuid}/deactivate",
        opt=_WRITE,
        status_code=200,
        summary="Deactivate a course (HR)",
        description="New plans leave it out; existing plans and completions keep it. Courses are never deleted.",
    )
    async def deactivate_course(
        self, db: NamedDependency[AsyncSession], principal: NamedDependency[Principal], course_id: FromPath[uuid.UUID]
    ) -> CourseRead:
        return await CourseService(db).set_active(principal, course_id, False)

    @post("/{course_id:uuid}/activate", opt=_WRITE, status_code=200, summary="Reactivate a course (HR)")
    async def activate_course(
        self, db: NamedDependency[AsyncSession], principal: NamedDependency[Principal], course_id: FromPath[uuid.UUID]
    ) -> CourseRead:
        return await CourseService(db).set_active(principal, course_id, True)


class EmployeeTrainingController(Controller):
    path = "/employees/{employee_id:uuid}"
    tags = ["Training"]

    @get(
        "/training-plans",
        opt=_READ,
        summary="An employee's training plans",
        description="One plan per target role: the cheapest set of active courses that closes the employee's "
        "gap to the role, each course with the gaps it closes and why, and every gap with its status "
        "(closed, unclosable: no course teaches it to the level, deferred: past the 16 most important). "
        "A plan names a target role, which is an aspiration: the employee sees all of theirs, others only "
        "if they may see the employee's aspirations (plus the plans they asked for themselves).",
    )
    async def list_training_plans(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        employee_id: FromPath[uuid.UUID],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[TrainingPlanRead]:
        items, next_cursor = await TrainingPlanService(db).plans(principal, employee_id, cursor, limit)
        return page_of(items, next_cursor, limit)

    @post(
        "/training-plans",
        opt=_WRITE,
        summary="Compute now the plan for a chosen role (the employee or HR)",
        description="For an opportunity not among the employee's aspirations, or to refresh one: computed at "
        "once and returned; it replaces the employee's plan for that role and is refreshed by every nightly "
        "recompute. 409 while every plan is being recomputed.",
    )
    async def request_training_plan(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        employee_id: FromPath[uuid.UUID],
        data: JSONBody[TrainingPlanRequest],
    ) -> TrainingPlanRead:
        return await TrainingPlanService(db).request(principal, employee_id, data.role_id)

    @get(
        "/course-completions",
        opt=_READ,
        summary="An employee's course completions (the employee, HR, partner apps)",
    )
    async def list_course_completions(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        employee_id: FromPath[uuid.UUID],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[CourseCompletionRead]:
        items, next_cursor = await CompletionService(db).history(principal, employee_id, cursor, limit)
        return page_of(items, next_cursor, limit)

    @post(
        "/course-completions",
        opt=_WRITE,
        summary="Record that an employee completed a course (the employee, HR, or an LMS)",
        description="Raises each skill the course teaches to the level it reaches, as a new version with "
        "source `course`, when that is above the current level (never lowers one). The same completion "
        "(employee, course, date) again answers 200 with the first record and changes nothing.",
        responses={200: ResponseSpec(data_container=CourseCompletionRead, description="Already recorded.")},
    )
    async def record_course_completion(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        employee_id: FromPath[uuid.UUID],
        data: JSONBody[CourseCompletionCreate],
    ) -> Response[CourseCompletionRead]:
        completion, created = await CompletionService(db).record(principal, employee_id, data)
        return Response(completion, status_code=201 if created else 200)


class TrainingPlanController(Controller):
    path = "/training-plans"
    tags = ["Training"]

    @post(
        "/recompute",
        opt=_WRITE,
        status_code=202,
        summary="Recompute every employee's training plans (HR)",
        description="Starts the `training.recommend_all` job (also run nightly): every active employee's plans "
        "for their aspirations' target roles, and the plans asked for explicitly. Poll `/api/v1/jobs/{id}`. "
        "While a recompute is waiting to start, asking again returns that job (same id) instead of a second one.",
    )
    async def recompute_training_plans(
        self, db: NamedDependency[AsyncSession], principal: NamedDependency[Principal]
    ) -> JobRead:
        return to_schema(await TrainingPlanService(db).start_recompute(principal), JobRead)


# Every controller of the domain; backend/app.py mounts them under /api/v1.
TRAINING_CONTROLLERS: list[Any] = [CourseController, EmployeeTrainingController, TrainingPlanController]
