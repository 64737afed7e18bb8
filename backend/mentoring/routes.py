from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import DEFAULT_LIMIT, Page, page_of
from backend.api.params import Cursor, Limit
from backend.auth.principal import Principal, Scope
from backend.crud import to_schema
from backend.mentoring.models import PairingState, ProgrammeStatus, RequestStatus
from backend.mentoring.pairings import PairingService
from backend.mentoring.profiles import MentorProfileService
from backend.mentoring.programmes import ProgrammeService, programme_read
from backend.mentoring.requests import MenteeRequestService
from backend.mentoring.runs import PairingRunService, RunEdit
from backend.mentoring.schemas import (
    CheckInCreate,
    CheckInRead,
    MenteeRequestCreate,
    MenteeRequestRead,
    MenteeRequestUpdate,
    MentorProfileCreate,
    MentorProfileRead,
    MentorProfileUpdate,
    PairingEnd,
    PairingRead,
    ProgrammeCreate,
    ProgrammeRead,
    ProgrammeUpdate,
    Rematch,
    RematchRead,
    RunCreate,
    RunEditRead,
    RunRead,
    RunRemove,
    RunSwap,
    WaitlistRead,
)

Db = NamedDependency[AsyncSession]
Who = NamedDependency[Principal]


class ProgrammeController(Controller):
    path = "/mentoring/programmes"
    tags = ["Mentoring"]

    @get("/", opt={"scope": Scope.MENTORING_READ}, summary="List mentoring programmes (drafts: HR only)")
    async def list_programmes(
        self,
        db: Db,
        principal: Who,
        status: FromQuery[ProgrammeStatus | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[ProgrammeRead]:
        items, next_cursor = await ProgrammeService(db).list(principal, status=status, cursor=cursor, limit=limit)
        return page_of(items, next_cursor, limit, programme_read)

    @post("/", opt={"scope": Scope.MENTORING_WRITE}, summary="Create a mentoring programme (HR)")
    async def create_programme(self, db: Db, principal: Who, data: JSONBody[ProgrammeCreate]) -> ProgrammeRead:
        return programme_read(await ProgrammeService(db).create(principal, data))

    @get("/{programme_id:uuid}", opt={"scope": Scope.MENTORING_READ}, summary="Get a mentoring programme")
    async def get_programme(self, db: Db, principal: Who, programme_id: FromPath[uuid.UUID]) -> ProgrammeRead:
        return programme_read(await ProgrammeService(db).get(principal, programme_id))

    @patch("/{programme_id:uuid}", opt={"scope": Scope.MENTORING_WRITE}, summary="Update a mentoring programme (HR)")
    async def update_programme(
        self, db: Db, principal: Who, programme_id: FromPath[uuid.UUID], data: JSONBody[ProgrammeUpdate]
    ) -> ProgrammeRead:
        return programme_read(await ProgrammeService(db).update(principal, programme_id, data))

    @get(
        "/{programme_id:uuid}/mentor-profiles",
        opt={"scope": Scope.MENTORING_READ},
        summary="List the programme's mentors (inactive ones: HR and their owner only)",
    )
    async def list_mentor_profiles(
        self,
        db: Db,
        principal: Who,
        programme_id: FromPath[uuid.UUID],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[MentorProfileRead]:
        items, next_cursor = await MentorProfileService(db).of_programme(
            principal, programme_id, cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit)

    @post(
        "/{programme_id:uuid}/mentor-profiles",
        opt={"scope": Scope.MENTORING_WRITE},
        summary="Offer to mentor in a programme (one's own profile; HR for anyone)",
    )
    async def create_mentor_profile(
        self, db: Db, principal: Who, programme_id: FromPath[uuid.UUID], data: JSONBody[MentorProfileCreate]
    ) -> MentorProfileRead:
        return await MentorProfileService(db).create(principal, programme_id, data)

    @get(
        "/{programme_id:uuid}/mentee-requests",
        opt={"scope": Scope.MENTORING_READ},
        summary="List mentee requests (HR: all; anyone else: their own)",
    )
    async def list_mentee_requests(
        self,
        db: Db,
        principal: Who,
        programme_id: FromPath[uuid.UUID],
        status: FromQuery[RequestStatus | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[MenteeRequestRead]:
        items, next_cursor = await MenteeRequestService(db).of_programme(
            principal, programme_id, status=status, cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit)

    @post(
        "/{programme_id:uuid}/mentee-requests",
        opt={"scope": Scope.MENTORING_WRITE},
        summary="Ask for a mentor in a programme (one's own request; HR for anyone)",
        description="A withdrawn request of the same person is filed again in place.",
    )
    async def create_mentee_request(
        self, db: Db, principal: Who, programme_id: FromPath[uuid.UUID], data: JSONBody[MenteeRequestCreate]
    ) -> MenteeRequestRead:
        return await MenteeRequestService(db).create(principal, programme_id, data)

    @get("/{programme_id:uuid}/runs", opt={"scope": Scope.MENTORING_READ}, summary="List pairing runs (HR)")
    async def list_runs(
        self,
        db: Db,
        principal: Who,
        programme_id: FromPath[uuid.UUID],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[RunRead]:
        items, next_cursor = await PairingRunService(db).of_programme(
            principal, programme_id, cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit, lambda r: to_schema(r, RunRead))

    @post(
        "/{programme_id:uuid}/runs",
        opt={"scope": Scope.MENTORING_WRITE},
        status_code=202,
        summary="Start a pairing run over the programme's whole pool (HR)",
        description="Answers 202 with the run and its `job_id`: follow the job at /api/v1/jobs/{job_id}. "
        "The run's pairs stay proposed until published; an earlier run not yet published is discarded.",
    )
    async def start_run(
        self, db: Db, principal: Who, programme_id: FromPath[uuid.UUID], data: JSONBody[RunCreate] = RunCreate()
    ) -> RunRead:
        return to_schema(await PairingRunService(db).start(principal, programme_id, data), RunRead)


class MentorProfileController(Controller):
    path = "/mentoring/mentor-profiles"
    tags = ["Mentoring"]

    @get("/{profile_id:uuid}", opt={"scope": Scope.MENTORING_READ}, summary="Get a mentor profile")
    async def get_mentor_profile(self, db: Db, principal: Who, profile_id: FromPath[uuid.UUID]) -> MentorProfileRead:
        return await MentorProfileService(db).get(principal, profile_id)

    @patch(
        "/{profile_id:uuid}", opt={"scope": Scope.MENTORING_WRITE}, summary="Update a mentor profile (its owner, HR)"
    )
    async def update_mentor_profile(
        self, db: Db, principal: Who, profile_id: FromPath[uuid.UUID], data: JSONBody[MentorProfileUpdate]
    ) -> MentorProfileRead:
        return await MentorProfileService(db).update(principal, profile_id, data)


class MenteeRequestController(Controller):
    path = "/mentoring/mentee-requests"
    tags = ["Mentoring"]

    @get(
        "/{request_id:uuid}",
        opt={"scope": Scope.MENTORING_READ},
        summary="Get a mentee request, with its waitlist place (its owner, HR)",
    )
    async def get_mentee_request(self, db: Db, principal: Who, request_id: FromPath[uuid.UUID]) -> MenteeRequestRead:
        return await MenteeRequestService(db).get(principal, request_id)

    @patch(
        "/{request_id:uuid}", opt={"scope": Scope.MENTORING_WRITE}, summary="Update a mentee request (its owner, HR)"
    )
    async def update_mentee_request(
        self, db: Db, principal: Who, request_id: FromPath[uuid.UUID], data: JSONBody[MenteeRequestUpdate]
    ) -> MenteeRequestRead:
        return await MenteeRequestService(db).update(principal, request_id, data)

    @post(
        "/{request_id:uuid}/withdraw",
        opt={"scope": Scope.MENTORING_WRITE},
        status_code=200,
        summary="Withdraw a mentee request (its owner, HR)",
    )
    async def withdraw_mentee_request(
        self, db: Db, principal: Who, request_id: FromPath[uuid.UUID]
    ) -> MenteeRequestRead:
        return await MenteeRequestService(db).withdraw(principal, request_id)


class RunController(Controller):
    path = "/mentoring/runs"
    tags = ["Mentoring"]

    @get("/{run_id:uuid}", opt={"scope": Scope.MENTORING_READ}, summary="Get a pairing run (HR)")
    async def get_run(self, db: Db, principal: Who, run_id: FromPath[uuid.UUID]) -> RunRead:
        return to_schema(await PairingRunService(db).get(principal, run_id), RunRead)

    @get(
        "/{run_id:uuid}/pairings",
        opt={"scope": Scope.MENTORING_READ},
        summary="The pairs of a run, with their reasons (HR)",
    )
    async def list_run_pairings(
        self, db: Db, principal: Who, run_id: FromPath[uuid.UUID], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[PairingRead]:
        items, next_cursor = await PairingRunService(db).pairings(principal, run_id, cursor=cursor, limit=limit)
        return page_of(items, next_cursor, limit, lambda p: to_schema(p, PairingRead))

    @get(
        "/{run_id:uuid}/waitlist",
        opt={"scope": Scope.MENTORING_READ},
        summary="The mentees a run left unmatched, in waitlist order, with the reason (HR)",
    )
    async def list_run_waitlist(
        self, db: Db, principal: Who, run_id: FromPath[uuid.UUID], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[WaitlistRead]:
        items, next_cursor = await PairingRunService(db).waitlist(principal, run_id, cursor=cursor, limit=limit)
        return page_of(items, next_cursor, limit, lambda w: to_schema(w, WaitlistRead))

    @post(
        "/{run_id:uuid}/publish",
        opt={"scope": Scope.MENTORING_WRITE},
        status_code=200,
        summary="Publish a proposed run (HR)",
        description="Its pairs become published and visible to their members; its mentees are matched or "
        "waitlisted. 409 when the pool changed since the run was computed.",
    )
    async def publish_run(self, db: Db, principal: Who, run_id: FromPath[uuid.UUID]) -> RunRead:
        return to_schema(await PairingRunService(db).publish(principal, run_id), RunRead)

    @post(
        "/{run_id:uuid}/swap",
        opt={"scope": Scope.MENTORING_WRITE},
        status_code=200,
        summary="Swap the mentors of two proposed pairs of a proposed run (HR)",
        description="Both new pairs are scored as the run scored its pairs, with new reasons; the run's total "
        "moves by the difference. 422 when a hard constraint forbids a new pair, 409 once the run is not "
        "proposed. With `dry_run` the effect is answered and nothing is written.",
    )
    async def swap_run_pairs(
        self, db: Db, principal: Who, run_id: FromPath[uuid.UUID], data: JSONBody[RunSwap]
    ) -> RunEditRead:
        edit = await PairingRunService(db).swap(
            principal, run_id, data.first_pairing_id, data.second_pairing_id, dry_run=data.dry_run
        )
        return _edit_read(edit)

    @post(
        "/{run_id:uuid}/remove",
        opt={"scope": Scope.MENTORING_WRITE},
        status_code=200,
        summary="Remove a proposed pair from a proposed run (HR)",
        description="Its mentee joins the end of the run's waitlist (reason code `removed`); the run's total "
        "loses the pair's score. 409 once the run is not proposed. With `dry_run` nothing is written.",
    )
    async def remove_run_pair(
        self, db: Db, principal: Who, run_id: FromPath[uuid.UUID], data: JSONBody[RunRemove]
    ) -> RunEditRead:
        edit = await PairingRunService(db).remove(principal, run_id, data.pairing_id, dry_run=data.dry_run)
        return _edit_read(edit)

    @post(
        "/{run_id:uuid}/discard",
        opt={"scope": Scope.MENTORING_WRITE},
        status_code=200,
        summary="Discard a run that is not published (HR)",
    )
    async def discard_run(self, db: Db, principal: Who, run_id: FromPath[uuid.UUID]) -> RunRead:
        return to_schema(await PairingRunService(db).discard(principal, run_id), RunRead)


def _edit_read(edit: RunEdit) -> RunEditRead:
    return RunEditRead(
        run=to_schema(edit.run, RunRead),
        total_before=edit.total_before,
        total_after=edit.total_after,
        pairings=[to_schema(p, PairingRead) for p in edit.pairings],
        waitlisted=to_schema(edit.waitlisted, WaitlistRead) if edit.waitlisted is not None else None,
        dry_run=edit.dry_run,
    )


class PairingController(Controller):
    path = "/mentoring/pairings"
    tags = ["Mentoring"]

    @get(
        "/",
        opt={"scope": Scope.MENTORING_READ},
        summary="List pairings (HR: all; anyone else: their own published ones)",
    )
    async def list_pairings(
        self,
        db: Db,
        principal: Who,
        programme_id: FromQuery[uuid.UUID | None] = None,
        pairing_state: Annotated[PairingState | None, QueryParameter(name="state")] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[PairingRead]:
        items, next_cursor = await PairingService(db).list(
            principal, programme_id=programme_id, state=pairing_state, cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit, lambda p: to_schema(p, PairingRead))

    @get("/{pairing_id:uuid}", opt={"scope": Scope.MENTORING_READ}, summary="Get a pairing and its reasons")
    async def get_pairing(self, db: Db, principal: Who, pairing_id: FromPath[uuid.UUID]) -> PairingRead:
        return to_schema(await PairingService(db).get(principal, pairing_id), PairingRead)

    @post(
        "/{pairing_id:uuid}/start",
        opt={"scope": Scope.MENTORING_WRITE},
        status_code=200,
        summary="Mark a published pairing active (its members, HR)",
    )
    async def start_pairing(self, db: Db, principal: Who, pairing_id: FromPath[uuid.UUID]) -> PairingRead:
        return to_schema(await PairingService(db).start(principal, pairing_id), PairingRead)

    @post(
        "/{pairing_id:uuid}/end",
        opt={"scope": Scope.MENTORING_WRITE},
        status_code=200,
        summary="End a pairing, with a reason (its members, HR)",
    )
    async def end_pairing(
        self, db: Db, principal: Who, pairing_id: FromPath[uuid.UUID], data: JSONBody[PairingEnd] = PairingEnd()
    ) -> PairingRead:
        return to_schema(await PairingService(db).end(principal, pairing_id, data), PairingRead)

    @post(
        "/{pairing_id:uuid}/rematch",
        opt={"scope": Scope.MENTORING_WRITE},
        status_code=200,
        summary="Ask for a new mentor (the mentee, HR)",
        description="Ends the pairing if it is not ended, excludes its mentor from the mentee's request and "
        "puts the request back in the pool for the next run. With `run_now` (HR) a run starts at once.",
    )
    async def rematch(
        self, db: Db, principal: Who, pairing_id: FromPath[uuid.UUID], data: JSONBody[Rematch] = Rematch()
    ) -> RematchRead:
        return await PairingService(db).rematch(principal, pairing_id, data)

    @get(
        "/{pairing_id:uuid}/check-ins",
        opt={"scope": Scope.MENTORING_READ},
        summary="The check-ins of a pairing (its members, HR)",
    )
    async def list_check_ins(
        self,
        db: Db,
        principal: Who,
        pairing_id: FromPath[uuid.UUID],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[CheckInRead]:
        items, next_cursor = await PairingService(db).check_ins(principal, pairing_id, cursor=cursor, limit=limit)
        return page_of(items, next_cursor, limit, lambda c: to_schema(c, CheckInRead))

    @post(
        "/{pairing_id:uuid}/check-ins",
        opt={"scope": Scope.MENTORING_WRITE},
        summary="Record a check-in with notes and a rating (the pair's members)",
        description="The first check-in of a published pairing makes it active.",
    )
    async def add_check_in(
        self, db: Db, principal: Who, pairing_id: FromPath[uuid.UUID], data: JSONBody[CheckInCreate]
    ) -> CheckInRead:
        return to_schema(await PairingService(db).add_check_in(principal, pairing_id, data), CheckInRead)


# Every controller of the domain; backend/app.py mounts them under /api/v1.
MENTORING_CONTROLLERS: list[Any] = [
    ProgrammeController,
    MentorProfileController,
    MenteeRequestController,
    RunController,
    PairingController,
]
