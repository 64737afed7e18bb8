"""The marketplace API: opportunity types, opportunities, applications, releases, the mobility policy."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import DEFAULT_LIMIT, Page, page_of
from backend.api.params import Cursor, Limit, Search
from backend.auth.principal import Principal, Scope
from backend.crud import to_schema
from backend.marketplace.applications import ApplicationService, MobilityPolicyService
from backend.marketplace.models import ApplicationStage, OpportunityKind, OpportunityStatus, ReleaseStatus
from backend.marketplace.moves import MoveService
from backend.marketplace.opportunities import OpportunityService, OpportunityTypeService
from backend.marketplace.schemas import (
    ApplicationCreate,
    ApplicationRead,
    MobilityPolicyRead,
    MobilityPolicySet,
    MoveRead,
    OpportunityCreate,
    OpportunityRead,
    OpportunityTypeCreate,
    OpportunityTypeRead,
    OpportunityTypeUpdate,
    OpportunityUpdate,
    ReleaseAnswer,
    ReleaseRequestRead,
    StageChange,
    Withdrawal,
)

Db = NamedDependency[AsyncSession]
Who = NamedDependency[Principal]
_OPPORTUNITIES_READ = {"scope": Scope.OPPORTUNITIES_READ}
_OPPORTUNITIES_WRITE = {"scope": Scope.OPPORTUNITIES_WRITE}
_APPLICATIONS_READ = {"scope": Scope.APPLICATIONS_READ}
_APPLICATIONS_WRITE = {"scope": Scope.APPLICATIONS_WRITE}


class OpportunityTypeController(Controller):
    path = "/opportunity-types"
    tags = ["Marketplace"]

    @get("/", opt=_OPPORTUNITIES_READ, summary="The tenant's own kinds of opportunity (rotation, fellowship, ...)")
    async def list_opportunity_types(
        self, db: Db, active: FromQuery[bool | None] = None, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[OpportunityTypeRead]:
        items, next_cursor = await OpportunityTypeService(db).list(active=active, cursor=cursor, limit=limit)
        return page_of(items, next_cursor, limit, lambda t: to_schema(t, OpportunityTypeRead))

    @post("/", opt=_OPPORTUNITIES_WRITE, summary="Define a kind of opportunity (HR)")
    async def create_opportunity_type(
        self, db: Db, principal: Who, data: JSONBody[OpportunityTypeCreate]
    ) -> OpportunityTypeRead:
        return to_schema(await OpportunityTypeService(db).create(principal, data), OpportunityTypeRead)

    @get("/{type_id:uuid}", opt=_OPPORTUNITIES_READ, summary="Get a kind of opportunity")
    async def get_opportunity_type(self, db: Db, type_id: FromPath[uuid.UUID]) -> OpportunityTypeRead:
        return to_schema(await OpportunityTypeService(db).get(type_id), OpportunityTypeRead)

    @patch("/{type_id:uuid}", opt=_OPPORTUNITIES_WRITE, summary="Rename or describe a kind of opportunity (HR)")
    async def update_opportunity_type(
        self, db: Db, principal: Who, type_id: FromPath[uuid.UUID], data: JSONBody[OpportunityTypeUpdate]
    ) -> OpportunityTypeRead:
        return to_schema(await OpportunityTypeService(db).update(principal, type_id, data), OpportunityTypeRead)

    @post(
        "/{type_id:uuid}/deactivate",
        opt=_OPPORTUNITIES_WRITE,
        status_code=200,
        summary="Retire a kind of opportunity (HR)",
        description="It takes no new openings (nor reopenings); existing openings and moves keep it.",
    )
    async def deactivate_opportunity_type(
        self, db: Db, principal: Who, type_id: FromPath[uuid.UUID]
    ) -> OpportunityTypeRead:
        return to_schema(await OpportunityTypeService(db).set_active(principal, type_id, False), OpportunityTypeRead)

    @post("/{type_id:uuid}/activate", opt=_OPPORTUNITIES_WRITE, status_code=200, summary="Reactivate a kind (HR)")
    async def activate_opportunity_type(
        self, db: Db, principal: Who, type_id: FromPath[uuid.UUID]
    ) -> OpportunityTypeRead:
        return to_schema(await OpportunityTypeService(db).set_active(principal, type_id, True), OpportunityTypeRead)


# A bound of the hours a week an opening asks (gigs and projects: 1 to 80, as `Hours`).
HoursBound = Annotated[int | None, QueryParameter(ge=1, le=80, description="Hours a week, 1 to 80.")]


class OpportunityController(Controller):
    path = "/opportunities"
    tags = ["Marketplace"]

    @get(
        "/",
        opt=_OPPORTUNITIES_READ,
        summary="List the openings visible to the caller",
        description="HR and partner apps see every opening; its hiring manager and creator see it in every "
        "status; anyone else sees the open ones whose visibility rules admit them, and those they applied to. "
        "`org_unit_id` includes the unit's sub-units; `q` searches titles, `location` locations; `remote=true` keeps "
        "those that may be done remotely; `hours_min` and `hours_max` keep those asking that many hours a week "
        "(both included; a role, which has no hours, is then left out).",
    )
    async def list_opportunities(
        self,
        db: Db,
        principal: Who,
        status: FromQuery[OpportunityStatus | None] = None,
        kind: FromQuery[OpportunityKind | None] = None,
        type_id: FromQuery[uuid.UUID | None] = None,
        org_unit_id: FromQuery[uuid.UUID | None] = None,
        hiring_manager_id: FromQuery[uuid.UUID | None] = None,
        accepting: FromQuery[bool | None] = None,
        remote: FromQuery[bool | None] = None,
        location: Search = None,
        q: Search = None,
        hours_min: HoursBound = None,
        hours_max: HoursBound = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[OpportunityRead]:
        items, next_cursor = await OpportunityService(db).list_visible(
            principal,
            status=status,
            kind=kind,
            type_id=type_id,
            org_unit_id=org_unit_id,
            hiring_manager_id=hiring_manager_id,
            accepting=accepting,
            remote=remote,
            location=location,
            q=q,
            cursor=cursor,
            limit=limit,
            hours_min=hours_min,
            hours_max=hours_max,
        )
        return page_of(items, next_cursor, limit)

    @post(
        "/",
        opt=_OPPORTUNITIES_WRITE,
        summary="Post an opening, as a draft (managers, HR, partner apps)",
        description="Without `skills`, an opening of kind role copies its role's required skills.",
    )
    async def create_opportunity(self, db: Db, principal: Who, data: JSONBody[OpportunityCreate]) -> OpportunityRead:
        return await OpportunityService(db).create(principal, data)

    @get("/{opportunity_id:uuid}", opt=_OPPORTUNITIES_READ, summary="Get an opening")
    async def get_opportunity(self, db: Db, principal: Who, opportunity_id: FromPath[uuid.UUID]) -> OpportunityRead:
        return await OpportunityService(db).get(principal, opportunity_id)

    @patch(
        "/{opportunity_id:uuid}",
        opt=_OPPORTUNITIES_WRITE,
        summary="Change an opening (its hiring manager, its creator, HR)",
        description="`skills` and `visibility_unit_ids` replace the lists. Kind, type and role change only in "
        "a draft; a filled opening is final.",
    )
    async def update_opportunity(
        self, db: Db, principal: Who, opportunity_id: FromPath[uuid.UUID], data: JSONBody[OpportunityUpdate]
    ) -> OpportunityRead:
        return await OpportunityService(db).update(principal, opportunity_id, data)

    @post(
        "/{opportunity_id:uuid}/open",
        opt=_OPPORTUNITIES_WRITE,
        status_code=200,
        summary="Publish a draft or reopen a closed opening",
        description="Refused (422) without a description or a hiring manager, or with a deadline in the past; "
        "a filled opening does not reopen (409).",
    )
    async def open_opportunity(self, db: Db, principal: Who, opportunity_id: FromPath[uuid.UUID]) -> OpportunityRead:
        return await OpportunityService(db).open(principal, opportunity_id)

    @post(
        "/{opportunity_id:uuid}/close",
        opt=_OPPORTUNITIES_WRITE,
        status_code=200,
        summary="Stop taking applications (applications in progress go on)",
    )
    async def close_opportunity(self, db: Db, principal: Who, opportunity_id: FromPath[uuid.UUID]) -> OpportunityRead:
        return await OpportunityService(db).close(principal, opportunity_id)

    @post(
        "/{opportunity_id:uuid}/applications",
        opt=_APPLICATIONS_WRITE,
        summary="Apply to an opening, or express interest in it (the employee, for themselves)",
        description="Applying after expressing interest converts the interest (same application). The opening's "
        "hiring manager is told; the applicant's own manager only when the tenant's mobility policy says.",
    )
    async def apply(
        self,
        db: Db,
        principal: Who,
        opportunity_id: FromPath[uuid.UUID],
        data: JSONBody[ApplicationCreate] = ApplicationCreate(),
    ) -> ApplicationRead:
        return await ApplicationService(db).apply(principal, opportunity_id, data)


class ApplicationController(Controller):
    path = "/applications"
    tags = ["Marketplace"]

    @get(
        "/{application_id:uuid}",
        opt=_APPLICATIONS_READ,
        summary="Get an application, its history and its manager release",
        description="Its applicant, HR and the hiring manager see it; the applicant's management chain only "
        "once the mobility policy's moment has come. A view by anyone but the applicant is audit-logged.",
    )
    async def get_application(self, db: Db, principal: Who, application_id: FromPath[uuid.UUID]) -> ApplicationRead:
        return await ApplicationService(db).get(principal, application_id)

    @post(
        "/{application_id:uuid}/stage",
        opt=_APPLICATIONS_WRITE,
        status_code=200,
        summary="Move an application forward or reject it (the hiring manager, HR)",
        description="Forward only (stages may be skipped; `hired` only from `offer`, and only once the manager "
        "release allows); `rejected` needs a reason in `note`, and may tell the applicant one in `reason_shared`. "
        "A move the rules do not allow (backwards, to `applied`) is 409 naming both stages; `withdrawn` is the "
        "applicant's (403).",
    )
    async def move_application(
        self, db: Db, principal: Who, application_id: FromPath[uuid.UUID], data: JSONBody[StageChange]
    ) -> ApplicationRead:
        return await ApplicationService(db).move(principal, application_id, data)

    @post(
        "/{application_id:uuid}/withdraw",
        opt=_APPLICATIONS_WRITE,
        status_code=200,
        summary="Withdraw one's application or interest (the applicant only)",
    )
    async def withdraw_application(
        self, db: Db, principal: Who, application_id: FromPath[uuid.UUID], data: JSONBody[Withdrawal] = Withdrawal()
    ) -> ApplicationRead:
        return await ApplicationService(db).withdraw(principal, application_id, data)

    @post(
        "/{application_id:uuid}/release",
        opt=_APPLICATIONS_WRITE,
        status_code=200,
        summary="Answer the manager release of an application at offer (the manager asked, HR)",
        description="`release`, `delay` (a later deadline and a reason), `block` (a reason); HR may answer for "
        "the manager and may `override`. Every answer is kept in the release's history.",
    )
    async def answer_release(
        self, db: Db, principal: Who, application_id: FromPath[uuid.UUID], data: JSONBody[ReleaseAnswer]
    ) -> ApplicationRead:
        return await ApplicationService(db).answer_release(principal, application_id, data)


class MyApplicationController(Controller):
    path = "/me/applications"
    tags = ["Marketplace"]

    @get("/", opt=_APPLICATIONS_READ, summary="My applications and interests")
    async def list_my_applications(
        self,
        db: Db,
        principal: Who,
        stage: FromQuery[ApplicationStage | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[ApplicationRead]:
        items, next_cursor = await ApplicationService(db).mine(principal, stage=stage, cursor=cursor, limit=limit)
        return page_of(items, next_cursor, limit)


class MyReleaseController(Controller):
    path = "/me/releases"
    tags = ["Marketplace"]

    @get(
        "/",
        opt=_APPLICATIONS_READ,
        summary="The releases asked of me as a manager (by default those still waiting for an answer)",
    )
    async def list_my_releases(
        self,
        db: Db,
        principal: Who,
        status: FromQuery[ReleaseStatus | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[ReleaseRequestRead]:
        items, next_cursor = await ApplicationService(db).my_releases(
            principal, status=status, cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit)


class EmployeeMoveController(Controller):
    path = "/employees/{employee_id:uuid}/moves"
    tags = ["Marketplace"]

    @get(
        "/",
        opt={"scope": Scope.EMPLOYEES_READ},
        summary="An employee's moves through the marketplace, in the order made (the employee, their managers, HR)",
        description="Each hire: from and to role, org unit, title and level, how the manager release went, the "
        "effective date, and for a move into a role when it rewrote the employee's record (`applied_at`; null "
        "until its effective date).",
    )
    async def list_employee_moves(
        self,
        db: Db,
        principal: Who,
        employee_id: FromPath[uuid.UUID],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[MoveRead]:
        items, next_cursor = await MoveService(db).of_employee(principal, employee_id, cursor, limit)
        return page_of(items, next_cursor, limit, lambda m: to_schema(m, MoveRead))


class EmployeeApplicationController(Controller):
    path = "/employees/{employee_id:uuid}/applications"
    tags = ["Marketplace"]

    @get(
        "/",
        opt=_APPLICATIONS_READ,
        summary="An employee's applications and interests (HR, or the employee)",
        description="Each as `GET /applications/{id}` shows it to the caller; every one HR is shown is audit-logged "
        "(`application.viewed`). Anyone else: 403.",
    )
    async def list_employee_applications(
        self,
        db: Db,
        principal: Who,
        employee_id: FromPath[uuid.UUID],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[ApplicationRead]:
        items, next_cursor = await ApplicationService(db).of_employee(
            principal, employee_id, cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit)


class MobilityPolicyController(Controller):
    path = "/mobility-policy"
    tags = ["Marketplace"]

    @get("/", opt=_APPLICATIONS_READ, summary="When an applicant's manager is told, and the release deadline")
    async def get_mobility_policy(self, db: Db) -> MobilityPolicyRead:
        return await MobilityPolicyService(db).get()

    @put("/", opt=_APPLICATIONS_WRITE, summary="Set the tenant's mobility policy (HR)")
    async def set_mobility_policy(
        self, db: Db, principal: Who, data: JSONBody[MobilityPolicySet]
    ) -> MobilityPolicyRead:
        return await MobilityPolicyService(db).set(principal, data)


# Every controller of the domain; backend/app.py mounts them under /api/v1.
MARKETPLACE_CONTROLLERS: list[Any] = [
    OpportunityTypeController,
    OpportunityController,
    ApplicationController,
    MyApplicationController,
    MyReleaseController,
    EmployeeMoveController,
    EmployeeApplicationController,
    MobilityPolicyController,
]
