"""Mentorship programmes: enrolment (mentor profiles, mentee requests), pairing runs, and pairs.

Who may do what (the scopes open the door to every employee; these rules narrow it):
- HR creates and edits programmes, starts, publishes and discards pairing runs, and sees everything.
- An employee sees the programmes that are not drafts, creates and edits their own mentor profile
  and mentee request (HR may do it for anyone), and sees only their own requests.
- A pairing is seen by HR and, once published, by its two members; anyone else gets 404. Its
  members start it, end it and record check-ins; the mentee (or HR) asks for a re-match.

A pairing run is computed by a job (`PairingRunService.run`), over the whole pool of the programme
at once, and stays `proposed` until HR publishes it.

People are told (notifications) when something is decided about them: publishing a run tells both
members of each pair who the other is and why they were paired, and each mentee it waitlisted their
place and why; a pairing that ends (a re-match ends one too) tells its members, but not the one who
ended it. Each notice is sent once, however often the request is retried.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import numpy as np
from sqlalchemy import delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.fields import NON_BLANK
from backend.api.pagination import paginate
from backend.auth.principal import Principal, require_hr
from backend.core.jobs.enqueue import Progress, enqueue_for
from backend.crud import apply, changes
from backend.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from backend.framework.models import Role, RoleSkill
from backend.mentoring.models import (
    CheckIn,
    MenteeRequest,
    MenteeRequestSkill,
    MentorProfile,
    MentorProfileSkill,
    Pairing,
    PairingRun,
    PairingState,
    Programme,
    ProgrammeKind,
    ProgrammeStatus,
    RequestStatus,
    RunStatus,
    WaitlistEntry,
)
from backend.mentoring.pairing import (
    DEFAULT_WEIGHTS,
    FACTORS,
    UNMATCHED_REASONS,
    Objective,
    Pool,
    pair_factors,
    solve_pool,
    unmatched_reason,
)
from backend.mentoring.schemas import (
    CheckInCreate,
    MenteeRequestCreate,
    MenteeRequestRead,
    MenteeRequestUpdate,
    MentorProfileCreate,
    MentorProfileRead,
    MentorProfileUpdate,
    PairingEnd,
    ProgrammeCreate,
    ProgrammeRead,
    ProgrammeUpdate,
    Rematch,
    RunCreate,
)
from backend.notifications.service import (
    MENTORING_PAIRED,
    MENTORING_PAIRING_ENDED,
    MENTORING_WAITLISTED,
    Notice,
    NotificationService,
)
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.skills.models import EmployeeSkill, Skill

PAIRING_RUN_JOB = "mentoring.pairing_run"
LIVE_STATES = (PairingState.PUBLISHED, PairingState.ACTIVE)
IN_POOL = (RequestStatus.OPEN, RequestStatus.WAITLISTED)


def _today() -> date:
    return datetime.now(UTC).date()


def programme_read(programme: Programme) -> ProgrammeRead:
    weights = {**DEFAULT_WEIGHTS, **(programme.weights or {})}
    return msgspec.convert(
        {
            **{f: getattr(programme, f) for f in ProgrammeRead.__struct_fields__ if f != "weights"},
            "weights": weights,
        },
        ProgrammeRead,
        from_attributes=True,
    )


class MentoringService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- programmes -----------------------------------------------------------------------------

    async def list_programmes(
        self, principal: Principal, *, status: ProgrammeStatus | None, cursor: str | None, limit: int
    ) -> tuple[Sequence[Programme], str | None]:
        query = select(Programme)
        if not principal.is_hr:
            query = query.where(Programme.status != ProgrammeStatus.DRAFT)
        if status is not None:
            query = query.where(Programme.status == status)
        return await paginate(self.session, query, Programme.id, cursor, limit)

    async def get_programme(self, principal: Principal, programme_id: uuid.UUID, *, lock: bool = False) -> Programme:
        programme = await self.session.get(Programme, programme_id, with_for_update=lock)
        # A draft is HR's work in progress: to anyone else it does not exist yet.
        if programme is None or (programme.status == ProgrammeStatus.DRAFT and not principal.is_hr):
            raise NotFoundError(f"programme {programme_id} does not exist")
        return programme

    async def create_programme(self, principal: Principal, data: ProgrammeCreate) -> Programme:
        require_hr(principal, "create programmes")
        values = {f: getattr(data, f) for f in data.__struct_fields__}
        values["name"] = data.name.strip()
        values["weights"] = msgspec.to_builtins(data.weights) if data.weights is not None else None
        _check_programme(values)
        programme = Programme(**values, created_by=principal.actor)
        self.session.add(programme)
        await self.session.flush()
        return programme

    async def update_programme(
        self, principal: Principal, programme_id: uuid.UUID, patch: ProgrammeUpdate
    ) -> Programme:
        require_hr(principal, "edit programmes")
        programme = await self.get_programme(principal, programme_id, lock=True)
        values = changes(patch)
        if "name" in values:
            values["name"] = str(values["name"]).strip()
        if "weights" in values and values["weights"] is not None:
            values["weights"] = msgspec.to_builtins(values["weights"])
        merged = {f: getattr(programme, f) for f in ProgrammeCreate.__struct_fields__} | values
        _check_programme(merged)
        apply(programme, values)
        await self.session.flush()
        return programme

    async def _enrolling(self, principal: Principal, programme_id: uuid.UUID) -> Programme:
        """The programme, if the caller may enrol in it now: open and within its enrolment window.
        HR may enrol people in any programme that is not closed."""
        programme = await self.get_programme(principal, programme_id)
        if programme.status == ProgrammeStatus.CLOSED:
            raise ConflictError("the programme is closed")
        if principal.is_hr:
            return programme
        if programme.status != ProgrammeStatus.OPEN:
            raise ConflictError("the programme is not open for enrolment")
        today = _today()
        if programme.enrolment_opens is not None and today < programme.enrolment_opens:
            raise ConflictError(f"enrolment opens on {programme.enrolment_opens.isoformat()}")
        if programme.enrolment_closes is not None and today > programme.enrolment_closes:
            raise ConflictError(f"enrolment closed on {programme.enrolment_closes.isoformat()}")
        return programme

    def _enrolled_employee(self, principal: Principal, employee_id: uuid.UUID | None) -> uuid.UUID:
        if employee_id is None or employee_id == principal.employee_id:
            if principal.employee_id is None:
                raise InvalidInputError("employee_id", "name the employee: this caller is not one")
            return principal.employee_id
        if not principal.is_hr:
            raise PermissionDeniedError("only HR may enrol someone else")
        return employee_id

    async def _require_employee(self, employee_id: uuid.UUID) -> None:
        employee = await self.session.get(Employee, employee_id)
        if employee is None or not employee.active:
            raise InvalidInputError("employee_id", f"employee {employee_id} does not exist or has left")

    async def _require_all(self, model: Any, ids: Sequence[uuid.UUID], field: str) -> None:
        wanted = set(ids)
        if not wanted:
            return
        found = set((await self.session.scalars(select(model.id).where(model.id.in_(wanted)))).all())
        if missing := wanted - found:
            raise InvalidInputError(field, f"{field} has unknown ids: {', '.join(sorted(map(str, missing)))}")

    # --- mentor profiles --------------------------------------------------------------------------

    async def list_mentor_profiles(
        self, principal: Principal, programme_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[list[MentorProfileRead], str | None]:
        await self.get_programme(principal, programme_id)
        query = select(MentorProfile).where(MentorProfile.programme_id == programme_id)
        if not principal.is_hr:
            # Mentors offer themselves to the programme: their active profiles are for everyone to see.
            query = query.where(or_(MentorProfile.active, MentorProfile.employee_id == principal.employee_id))
        rows, next_cursor = await paginate(self.session, query, MentorProfile.id, cursor, limit)
        return await self._profile_reads(rows), next_cursor

    async def get_mentor_profile(self, principal: Principal, profile_id: uuid.UUID) -> MentorProfileRead:
        profile = await self._visible_profile(principal, profile_id)
        return (await self._profile_reads([profile]))[0]

    async def _visible_profile(
        self, principal: Principal, profile_id: uuid.UUID, *, lock: bool = False
    ) -> MentorProfile:
        profile = await self.session.get(MentorProfile, profile_id, with_for_update=lock)
        if profile is not None:
            try:
                await self.get_programme(principal, profile.programme_id)
            except NotFoundError:
                profile = None
        if profile is None or not (principal.is_hr or profile.active or profile.employee_id == principal.employee_id):
            raise NotFoundError(f"mentor profile {profile_id} does not exist")
        return profile

    async def create_mentor_profile(
        self, principal: Principal, programme_id: uuid.UUID, data: MentorProfileCreate
    ) -> MentorProfileRead:
        await self._enrolling(principal, programme_id)
        employee_id = self._enrolled_employee(principal, data.employee_id)
        await self._require_employee(employee_id)
        await self._require_all(Skill, data.skill_ids, "skill_ids")
        taken = await self.session.scalar(
            select(MentorProfile.id).where(
                MentorProfile.programme_id == programme_id, MentorProfile.employee_id == employee_id
            )
        )
        if taken is not None:
            raise ConflictError(f"employee {employee_id} already has a mentor profile in this programme: {taken}")
        profile = MentorProfile(
            programme_id=programme_id,
            employee_id=employee_id,
            capacity=data.capacity,
            topics=_topics(data.topics),
            languages=_languages(data.languages),
            utc_offset_minutes=data.utc_offset_minutes,
            availability=data.availability,
            active=data.active,
        )
        self.session.add(profile)
        await self.session.flush()
        await self._set_children(MentorProfileSkill, MentorProfileSkill.profile_id, profile.id, data.skill_ids)
        return (await self._profile_reads([profile]))[0]

    async def update_mentor_profile(
        self, principal: Principal, profile_id: uuid.UUID, patch: MentorProfileUpdate
    ) -> MentorProfileRead:
        profile = await self._visible_profile(principal, profile_id, lock=True)
        if profile.employee_id != principal.employee_id and not principal.is_hr:
            raise PermissionDeniedError("only the mentor (or HR) may edit a mentor profile")
        values = changes(patch)
        skill_ids = values.pop("skill_ids", None)
        if "languages" in values:
            values["languages"] = _languages(values["languages"])
        if "topics" in values:
            values["topics"] = _topics(values["topics"])
        if skill_ids is not None:
            await self._require_all(Skill, skill_ids, "skill_ids")
            await self._set_children(MentorProfileSkill, MentorProfileSkill.profile_id, profile.id, skill_ids)
        apply(profile, values)
        await self.session.flush()
        await self.session.refresh(profile)
        return (await self._profile_reads([profile]))[0]

    async def _set_children(self, model: Any, key: Any, owner_id: uuid.UUID, skill_ids: Sequence[uuid.UUID]) -> None:
        await self.session.execute(delete(model).where(key == owner_id))
        if skill_ids:
            await self.session.execute(insert(model), [{key.key: owner_id, "skill_id": s} for s in set(skill_ids)])

    async def _skills_of(self, model: Any, key: Any, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        found: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
        if ids:
            rows = await self.session.execute(select(key, model.skill_id).where(key.in_(ids)).order_by(model.skill_id))
            for owner, skill in rows:
                found[owner].append(skill)
        return found

    async def _profile_reads(self, profiles: Sequence[MentorProfile]) -> list[MentorProfileRead]:
        skills = await self._skills_of(MentorProfileSkill, MentorProfileSkill.profile_id, [p.id for p in profiles])
        return [
            MentorProfileRead(
                id=p.id,
                programme_id=p.programme_id,
                employee_id=p.employee_id,
                capacity=p.capacity,
                skill_ids=skills[p.id],
                topics=list(p.topics),
                languages=list(p.languages),
                utc_offset_minutes=p.utc_offset_minutes,
                availability=p.availability,
                active=p.active,
                created_at=p.created_at,
                updated_at=p.updated_at,
            )
            for p in profiles
        ]

    # --- mentee requests --------------------------------------------------------------------------

    async def list_mentee_requests(
        self,
        principal: Principal,
        programme_id: uuid.UUID,
        *,
        status: RequestStatus | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[MenteeRequestRead], str | None]:
        await self.get_programme(principal, programme_id)
        query = select(MenteeRequest).where(MenteeRequest.programme_id == programme_id)
        if not principal.is_hr:
            query = query.where(MenteeRequest.employee_id == principal.employee_id)
        if status is not None:
            query = query.where(MenteeRequest.status == status)
        rows, next_cursor = await paginate(self.session, query, MenteeRequest.id, cursor, limit)
        return await self._request_reads(rows), next_cursor

    async def get_mentee_request(self, principal: Principal, request_id: uuid.UUID) -> MenteeRequestRead:
        return (await self._request_reads([await self._own_request(principal, request_id)]))[0]

    async def _own_request(self, principal: Principal, request_id: uuid.UUID, *, lock: bool = False) -> MenteeRequest:
        request = await self.session.get(MenteeRequest, request_id, with_for_update=lock)
        # What someone wants to grow is theirs and HR's business only.
        if request is None or not (principal.is_hr or request.employee_id == principal.employee_id):
            raise NotFoundError(f"mentee request {request_id} does not exist")
        return request

    async def create_mentee_request(
        self, principal: Principal, programme_id: uuid.UUID, data: MenteeRequestCreate
    ) -> MenteeRequestRead:
        await self._enrolling(principal, programme_id)
        employee_id = self._enrolled_employee(principal, data.employee_id)
        await self._require_employee(employee_id)
        await self._check_request_references(data.skill_ids, data.target_role_id, data.excluded_mentor_ids)
        existing = await self.session.scalar(
            select(MenteeRequest)
            .where(MenteeRequest.programme_id == programme_id, MenteeRequest.employee_id == employee_id)
            .with_for_update()
        )
        if existing is not None and existing.status != RequestStatus.WITHDRAWN:
            raise ConflictError(f"employee {employee_id} already has a mentee request in this programme: {existing.id}")
        request = existing or MenteeRequest(programme_id=programme_id, employee_id=employee_id)
        # A withdrawn request is filed again in place: one request per person and programme.
        request.goals = data.goals.strip()
        request.languages = _languages(data.languages)
        request.target_role_id = data.target_role_id
        request.utc_offset_minutes = data.utc_offset_minutes
        request.preferences = data.preferences
        request.excluded_mentor_ids = sorted(set(data.excluded_mentor_ids))
        request.status = RequestStatus.OPEN
        self.session.add(request)
        await self.session.flush()
        await self._set_children(MenteeRequestSkill, MenteeRequestSkill.request_id, request.id, data.skill_ids)
        await self.session.refresh(request)
        return (await self._request_reads([request]))[0]

    async def _check_request_references(
        self, skill_ids: Sequence[uuid.UUID], role_id: uuid.UUID | None, excluded: Sequence[uuid.UUID]
    ) -> None:
        await self._require_all(Skill, skill_ids, "skill_ids")
        await self._require_all(Role, [role_id] if role_id else [], "target_role_id")
        await self._require_all(Employee, excluded, "excluded_mentor_ids")

    async def update_mentee_request(
        self, principal: Principal, request_id: uuid.UUID, patch: MenteeRequestUpdate
    ) -> MenteeRequestRead:
        request = await self._own_request(principal, request_id, lock=True)
        values = changes(patch)
        skill_ids = values.pop("skill_ids", None)
        await self._check_request_references(
            skill_ids or [], values.get("target_role_id"), values.get("excluded_mentor_ids", [])
        )
        if "languages" in values:
            values["languages"] = _languages(values["languages"])
        if "excluded_mentor_ids" in values:
            values["excluded_mentor_ids"] = sorted(set(values["excluded_mentor_ids"]))
        if "goals" in values:
            values["goals"] = str(values["goals"]).strip()
        if skill_ids is not None:
            await self._set_children(MenteeRequestSkill, MenteeRequestSkill.request_id, request.id, skill_ids)
        apply(request, values)
        await self.session.flush()
        await self.session.refresh(request)
        return (await self._request_reads([request]))[0]

    async def withdraw_mentee_request(self, principal: Principal, request_id: uuid.UUID) -> MenteeRequestRead:
        request = await self._own_request(principal, request_id, lock=True)
        if await self._live_pairing_of(request.id) is not None:
            raise ConflictError("the request has a live pairing: end it first")
        request.status = RequestStatus.WITHDRAWN
        await self.session.flush()
        await self.session.refresh(request)
        return (await self._request_reads([request]))[0]

    async def _live_pairing_of(self, request_id: uuid.UUID) -> uuid.UUID | None:
        return await self.session.scalar(
            select(Pairing.id).where(Pairing.mentee_request_id == request_id, Pairing.state.in_(LIVE_STATES))
        )

    async def _request_reads(self, requests: Sequence[MenteeRequest]) -> list[MenteeRequestRead]:
        ids = [r.id for r in requests]
        skills = await self._skills_of(MenteeRequestSkill, MenteeRequestSkill.request_id, ids)
        places: dict[uuid.UUID, tuple[int, str]] = {}
        waiting = [r.id for r in requests if r.status == RequestStatus.WAITLISTED]
        if waiting:
            # The place given by the last published run (UUIDv7 ids grow with time).
            rows = await self.session.execute(
                select(WaitlistEntry.mentee_request_id, WaitlistEntry.position, WaitlistEntry.reason)
                .join(PairingRun, PairingRun.id == WaitlistEntry.run_id)
                .where(WaitlistEntry.mentee_request_id.in_(waiting), PairingRun.status == RunStatus.PUBLISHED)
                .order_by(WaitlistEntry.mentee_request_id, PairingRun.id.desc())
                .ext(distinct_on(WaitlistEntry.mentee_request_id))
            )
            places = {request_id: (position, reason) for request_id, position, reason in rows}
        return [
            MenteeRequestRead(
                id=r.id,
                programme_id=r.programme_id,
                employee_id=r.employee_id,
                status=r.status,
                goals=r.goals,
                skill_ids=skills[r.id],
                target_role_id=r.target_role_id,
                languages=list(r.languages),
                utc_offset_minutes=r.utc_offset_minutes,
                preferences=r.preferences,
                excluded_mentor_ids=list(r.excluded_mentor_ids),
                waitlist_position=places[r.id][0] if r.id in places else None,
                waitlist_reason=places[r.id][1] if r.id in places else None,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
            for r in requests
        ]

    # --- pairing runs -----------------------------------------------------------------------------

    async def start_run(self, principal: Principal, programme_id: uuid.UUID, data: RunCreate) -> PairingRun:
        """Ask for a pairing run of the programme's whole pool. Earlier runs not yet published are
        discarded: at most one run of a programme is waiting for review."""
        require_hr(principal, "start pairing runs")
        programme = await self.get_programme(principal, programme_id, lock=True)
        if programme.status == ProgrammeStatus.CLOSED:
            raise ConflictError("the programme is closed")
        await self.session.execute(
            update(PairingRun)
            .where(
                PairingRun.programme_id == programme_id,
                PairingRun.status.in_([RunStatus.QUEUED, RunStatus.PROPOSED]),
            )
            .values(status=RunStatus.DISCARDED)
        )
        run = PairingRun(
            programme_id=programme_id,
            objective=data.objective or programme.objective,
            status=RunStatus.QUEUED,
            created_by=principal.actor,
        )
        self.session.add(run)
        await self.session.flush()
        job = await enqueue_for(self.session, principal, PAIRING_RUN_JOB, {"run_id": str(run.id)})
        run.job_id = job.id
        await self.session.flush()
        return run

    async def list_runs(
        self, principal: Principal, programme_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[Sequence[PairingRun], str | None]:
        require_hr(principal, "see pairing runs")
        await self.get_programme(principal, programme_id)
        query = select(PairingRun).where(PairingRun.programme_id == programme_id)
        return await paginate(self.session, query, PairingRun.id, cursor, limit)

    async def get_run(self, principal: Principal, run_id: uuid.UUID, *, lock: bool = False) -> PairingRun:
        # A run holds the whole programme's pairs: HR's only. To others it does not exist.
        run = await self.session.get(PairingRun, run_id, with_for_update=lock) if principal.is_hr else None
        if run is None:
            raise NotFoundError(f"pairing run {run_id} does not exist")
        return run

    async def run_pairings(
        self, principal: Principal, run_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[Sequence[Pairing], str | None]:
        await self.get_run(principal, run_id)
        return await paginate(self.session, select(Pairing).where(Pairing.run_id == run_id), Pairing.id, cursor, limit)

    async def run_waitlist(
        self, principal: Principal, run_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[Sequence[WaitlistEntry], str | None]:
        """In waitlist order: a run writes its entries in order of position, and ids grow with time."""
        await self.get_run(principal, run_id)
        query = select(WaitlistEntry).where(WaitlistEntry.run_id == run_id)
        return await paginate(self.session, query, WaitlistEntry.id, cursor, limit)

    async def publish_run(self, principal: Principal, run_id: uuid.UUID) -> PairingRun:
        """Publish a proposed run: its pairs become visible to their members, its mentees matched or
        waitlisted. Refused (409) when the pool changed under the run since it was computed."""
        require_hr(principal, "publish pairing runs")
        run = await self.get_run(principal, run_id)
        # The programme's lock first, as `start_run` takes it: publishing and starting runs queue up.
        await self.session.get(Programme, run.programme_id, with_for_update=True)
        await self.session.refresh(run, with_for_update=True)
        if run.status != RunStatus.PROPOSED:
            raise ConflictError(f"only a proposed run can be published; this one is {run.status.value}")
        pairs = (await self.session.scalars(select(Pairing).where(Pairing.run_id == run.id))).all()
        await self._check_still_valid(run, pairs)
        now = datetime.now(UTC)
        await self.session.execute(
            update(Pairing)
            .where(Pairing.run_id == run.id, Pairing.state == PairingState.PROPOSED)
            .values(state=PairingState.PUBLISHED, published_at=now)
        )
        if pairs:
            await self.session.execute(
                update(MenteeRequest)
                .where(MenteeRequest.id.in_([p.mentee_request_id for p in pairs]))
                .values(status=RequestStatus.MATCHED)
            )
        await self.session.execute(
            update(MenteeRequest)
            .where(
                MenteeRequest.id.in_(select(WaitlistEntry.mentee_request_id).where(WaitlistEntry.run_id == run.id)),
                MenteeRequest.status.in_(IN_POOL),
            )
            .values(status=RequestStatus.WAITLISTED)
        )
        run.status = RunStatus.PUBLISHED
        run.published_at = now
        run.published_by = principal.actor
        await self.session.flush()
        await self._tell_published(run, pairs)
        await self.session.refresh(run)
        return run

    async def _tell_published(self, run: PairingRun, pairs: Sequence[Pairing]) -> None:
        """Tell both members of every pair of a just-published run, and every mentee it waitlisted."""
        waiting = (
            await self.session.execute(
                select(WaitlistEntry, MenteeRequest.employee_id)
                .join(MenteeRequest, MenteeRequest.id == WaitlistEntry.mentee_request_id)
                .where(WaitlistEntry.run_id == run.id, MenteeRequest.status == RequestStatus.WAITLISTED)
            )
        ).all()
        programme = await self.session.get_one(Programme, run.programme_id)
        names = await self._names([p.mentor_employee_id for p in pairs] + [p.mentee_employee_id for p in pairs])
        notices = [notice for pair in pairs for notice in _paired_notices(pair, names, programme.name)]
        notices += [_waitlisted_notice(entry, employee_id, programme.name) for entry, employee_id in waiting]
        await NotificationService(self.session).send_once(notices)

    async def _names(self, employee_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not employee_ids:
            return {}
        rows = await self.session.execute(
            select(Employee.id, Employee.full_name).where(Employee.id.in_(set(employee_ids)))
        )
        return {employee_id: name for employee_id, name in rows}

    async def _tell_ended(self, principal: Principal, pairing: Pairing) -> None:
        """Tell the members of a pairing that just ended, but not the member who ended it."""
        programme = await self.session.get_one(Programme, pairing.programme_id)
        names = await self._names([pairing.mentor_employee_id, pairing.mentee_employee_id])
        notices = [
            _ended_notice(pairing, member, names, programme.name)
            for member in (pairing.mentor_employee_id, pairing.mentee_employee_id)
            if member != principal.employee_id
        ]
        await NotificationService(self.session).send_once(notices)

    async def _check_still_valid(self, run: PairingRun, pairs: Sequence[Pairing]) -> None:
        if not pairs:
            return
        stale = "the pool changed since this run was computed; start a new run"
        request_ids = [p.mentee_request_id for p in pairs]
        statuses = {
            request_id: status
            for request_id, status in await self.session.execute(
                select(MenteeRequest.id, MenteeRequest.status).where(MenteeRequest.id.in_(request_ids))
            )
        }
        if any(statuses.get(r) not in IN_POOL for r in request_ids):
            raise ConflictError(f"{stale} (a mentee request was withdrawn or matched)")
        taken = await self.session.scalar(
            select(func.count())
            .select_from(Pairing)
            .where(Pairing.mentee_request_id.in_(request_ids), Pairing.state.in_(LIVE_STATES))
        )
        if taken:
            raise ConflictError(f"{stale} (a mentee is already paired)")
        new_load: dict[uuid.UUID, int] = {}
        for pair in pairs:
            new_load[pair.mentor_profile_id] = new_load.get(pair.mentor_profile_id, 0) + 1
        profiles = (
            await self.session.execute(
                select(MentorProfile.id, MentorProfile.capacity, MentorProfile.active).where(
                    MentorProfile.id.in_(list(new_load))
                )
            )
        ).all()
        used = await _used_capacity(self.session, run.programme_id)
        for profile_id, capacity, active in profiles:
            if not active or used.get(profile_id, 0) + new_load[profile_id] > capacity:
                raise ConflictError(f"{stale} (a mentor left or has no capacity left)")

    async def discard_run(self, principal: Principal, run_id: uuid.UUID) -> PairingRun:
        run = await self.get_run(principal, run_id, lock=True)
        if run.status == RunStatus.PUBLISHED:
            raise ConflictError("a published run cannot be discarded; end its pairings instead")
        run.status = RunStatus.DISCARDED
        await self.session.flush()
        await self.session.refresh(run)
        return run

    # --- pairings ---------------------------------------------------------------------------------

    async def list_pairings(
        self,
        principal: Principal,
        *,
        programme_id: uuid.UUID | None,
        state: PairingState | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[Sequence[Pairing], str | None]:
        query = select(Pairing)
        if not principal.is_hr:
            me = principal.employee_id
            query = query.where(
                or_(Pairing.mentor_employee_id == me, Pairing.mentee_employee_id == me),
                Pairing.state != PairingState.PROPOSED,
            )
        if programme_id is not None:
            query = query.where(Pairing.programme_id == programme_id)
        if state is not None:
            query = query.where(Pairing.state == state)
        return await paginate(self.session, query, Pairing.id, cursor, limit)

    async def get_pairing(self, principal: Principal, pairing_id: uuid.UUID, *, lock: bool = False) -> Pairing:
        pairing = await self.session.get(Pairing, pairing_id, with_for_update=lock)
        if pairing is None or not (
            principal.is_hr or (_is_member(principal, pairing) and pairing.state != PairingState.PROPOSED)
        ):
            raise NotFoundError(f"pairing {pairing_id} does not exist")
        return pairing

    async def start_pairing(self, principal: Principal, pairing_id: uuid.UUID) -> Pairing:
        pairing = await self._member_pairing(principal, pairing_id)
        if pairing.state == PairingState.PUBLISHED:
            pairing.state = PairingState.ACTIVE
            pairing.started_at = datetime.now(UTC)
        elif pairing.state != PairingState.ACTIVE:
            raise ConflictError(f"a {pairing.state.value} pairing cannot be started")
        await self.session.flush()
        await self.session.refresh(pairing)
        return pairing

    async def end_pairing(self, principal: Principal, pairing_id: uuid.UUID, data: PairingEnd) -> Pairing:
        pairing = await self._member_pairing(principal, pairing_id)
        if self._end(pairing, data.reason):
            await self.session.flush()
            await self._tell_ended(principal, pairing)
        await self.session.flush()
        await self.session.refresh(pairing)
        return pairing

    @staticmethod
    def _end(pairing: Pairing, reason: str | None) -> bool:
        """End a live pairing; False if it had ended already."""
        if pairing.state == PairingState.ENDED:
            return False
        if pairing.state not in LIVE_STATES:
            raise ConflictError(f"a {pairing.state.value} pairing cannot be ended")
        pairing.state = PairingState.ENDED
        pairing.ended_at = datetime.now(UTC)
        pairing.end_reason = reason
        return True

    async def _member_pairing(self, principal: Principal, pairing_id: uuid.UUID) -> Pairing:
        pairing = await self.get_pairing(principal, pairing_id, lock=True)
        if not (principal.is_hr or _is_member(principal, pairing)):
            raise PermissionDeniedError("only the pair (or HR) may change a pairing")
        if pairing.state == PairingState.PROPOSED:
            raise ConflictError("the pairing is only proposed: its run is not published")
        return pairing

    async def rematch(
        self, principal: Principal, pairing_id: uuid.UUID, data: Rematch
    ) -> tuple[Pairing, MenteeRequestRead, PairingRun | None]:
        """End the pair (if it is not ended yet), exclude the mentor from the mentee's request and put
        the request back in the pool: it joins the next run, or one started now (`run_now`, HR)."""
        pairing = await self._member_pairing(principal, pairing_id)
        if not (principal.is_hr or pairing.mentee_employee_id == principal.employee_id):
            raise PermissionDeniedError("only the mentee (or HR) may ask for a new mentor")
        if data.run_now:
            require_hr(principal, "start pairing runs")
        ended = self._end(pairing, data.reason or "re-matching")
        request = await self.session.get_one(MenteeRequest, pairing.mentee_request_id, with_for_update=True)
        await self.session.flush()
        if ended:
            await self._tell_ended(principal, pairing)
        if await self._live_pairing_of(request.id) is not None:
            raise ConflictError("the mentee already has another live pairing")
        request.excluded_mentor_ids = sorted({*request.excluded_mentor_ids, pairing.mentor_employee_id})
        request.status = RequestStatus.OPEN
        await self.session.flush()
        await self.session.refresh(pairing)
        await self.session.refresh(request)
        run = await self.start_run(principal, pairing.programme_id, RunCreate()) if data.run_now else None
        return pairing, (await self._request_reads([request]))[0], run

    # --- check-ins --------------------------------------------------------------------------------

    async def add_check_in(self, principal: Principal, pairing_id: uuid.UUID, data: CheckInCreate) -> CheckIn:
        pairing = await self.get_pairing(principal, pairing_id, lock=True)
        if not _is_member(principal, pairing) or principal.employee_id is None:
            raise PermissionDeniedError("only the mentor and the mentee record check-ins")
        if pairing.state not in LIVE_STATES:
            raise ConflictError(f"a {pairing.state.value} pairing takes no check-ins")
        if data.happened_on > _today() + timedelta(days=1):
            raise InvalidInputError("happened_on", "a check-in cannot happen in the future")
        if pairing.state == PairingState.PUBLISHED:
            # The first check-in shows the pair has started.
            pairing.state = PairingState.ACTIVE
            pairing.started_at = datetime.now(UTC)
        check_in = CheckIn(
            pairing_id=pairing.id,
            author_employee_id=principal.employee_id,
            happened_on=data.happened_on,
            notes=data.notes,
            rating=data.rating,
        )
        self.session.add(check_in)
        await self.session.flush()
        return check_in

    async def list_check_ins(
        self, principal: Principal, pairing_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[Sequence[CheckIn], str | None]:
        await self.get_pairing(principal, pairing_id)
        query = select(CheckIn).where(CheckIn.pairing_id == pairing_id)
        return await paginate(self.session, query, CheckIn.id, cursor, limit)


def _paired_notices(pair: Pairing, names: dict[uuid.UUID, str], programme: str) -> list[Notice]:
    """What the mentor and the mentee of a published pair are told: who, and why (the pair's reasons
    are written for the mentee; the mentor reads them as such)."""
    mentor, mentee = names.get(pair.mentor_employee_id, "your mentor"), names.get(pair.mentee_employee_id, "")
    why = "; ".join(pair.reasons.get("sentences", []))
    data = {
        "programme_id": str(pair.programme_id),
        "pairing_id": str(pair.id),
        "mentor_employee_id": str(pair.mentor_employee_id),
        "mentee_employee_id": str(pair.mentee_employee_id),
        "reasons": pair.reasons,
    }

    def notice(recipient: uuid.UUID, role: str, title: str, body: str) -> Notice:
        return Notice(
            employee_id=recipient,
            kind=MENTORING_PAIRED,
            title=title,
            body=body,
            data={**data, "role": role},
            dedupe_key=f"{MENTORING_PAIRED}:{pair.id}:{recipient}",
        )

    return [
        notice(
            pair.mentee_employee_id,
            "mentee",
            f"{mentor} is your mentor in {programme}",
            f"{mentor} will mentor you in {programme}. Why you were paired: {why}.",
        ),
        notice(
            pair.mentor_employee_id,
            "mentor",
            f"You are {mentee}'s mentor in {programme}",
            f"You will mentor {mentee} in {programme}. Why you were paired, as {mentee} reads it: {why}.",
        ),
    ]


def _waitlisted_notice(entry: WaitlistEntry, employee_id: uuid.UUID, programme: str) -> Notice:
    return Notice(
        employee_id=employee_id,
        kind=MENTORING_WAITLISTED,
        title=f"No mentor yet in {programme}",
        body=f"You are number {entry.position} on the waitlist of {programme}. Why: {entry.reason}.",
        data={
            "run_id": str(entry.run_id),
            "mentee_request_id": str(entry.mentee_request_id),
            "position": entry.position,
            "reason_code": entry.reason_code,
            "reason": entry.reason,
        },
        dedupe_key=f"{MENTORING_WAITLISTED}:{entry.run_id}:{entry.mentee_request_id}",
    )


def _ended_notice(pairing: Pairing, member: uuid.UUID, names: dict[uuid.UUID, str], programme: str) -> Notice:
    other = pairing.mentee_employee_id if member == pairing.mentor_employee_id else pairing.mentor_employee_id
    who = names.get(other, "your pair")
    reason = f" Reason: {pairing.end_reason}." if pairing.end_reason else ""
    return Notice(
        employee_id=member,
        kind=MENTORING_PAIRING_ENDED,
        title=f"Your mentoring with {who} has ended",
        body=f"Your pairing with {who} in {programme} has ended.{reason}",
        data={
            "programme_id": str(pairing.programme_id),
            "pairing_id": str(pairing.id),
            "other_employee_id": str(other),
            "reason": pairing.end_reason,
        },
        dedupe_key=f"{MENTORING_PAIRING_ENDED}:{pairing.id}:{member}",
    )


async def _used_capacity(session: AsyncSession, programme_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """How many live pairs each mentor profile of the programme has (published or active)."""
    rows = await session.execute(
        select(Pairing.mentor_profile_id, func.count())
        .where(Pairing.programme_id == programme_id, Pairing.state.in_(LIVE_STATES))
        .group_by(Pairing.mentor_profile_id)
    )
    return {profile_id: count for profile_id, count in rows}


def _is_member(principal: Principal, pairing: Pairing) -> bool:
    me = principal.employee_id
    return me is not None and me in (pairing.mentor_employee_id, pairing.mentee_employee_id)


_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_TOPIC = re.compile(NON_BLANK)


def _languages(codes: Sequence[str]) -> list[str]:
    for code in codes:
        if not _LANGUAGE.fullmatch(code):
            raise InvalidInputError("languages", f"{code!r} is not an ISO 639 language code such as en or pt-BR")
    return sorted(set(codes))


def _topics(topics: Sequence[str]) -> list[str]:
    for topic in topics:
        if not (1 <= len(topic) <= 100 and _TOPIC.fullmatch(topic)):
            raise InvalidInputError("topics", "a topic is 1 to 100 characters, not all blank")
    return [t.strip() for t in topics]


def _check_programme(values: dict[str, Any]) -> None:
    if values["kind"] == ProgrammeKind.COHORT and (values["starts_on"] is None or values["ends_on"] is None):
        raise InvalidInputError("starts_on", "a cohort programme has a start and an end date")
    for first, last in (("starts_on", "ends_on"), ("enrolment_opens", "enrolment_closes")):
        if values[first] is not None and values[last] is not None and values[last] < values[first]:
            raise InvalidInputError(last, f"{last} is before {first}")


# --- the pairing run (the job's body) ---------------------------------------------------------------


@dataclass
class _Mentee:
    request: MenteeRequest
    employee: Employee
    wants: list[uuid.UUID]


@dataclass
class _Mentor:
    profile: MentorProfile
    employee: Employee
    remaining: int


@dataclass
class _PoolData:
    pool: Pool
    mentees: list[_Mentee]
    mentors: list[_Mentor]
    skills: list[uuid.UUID]
    levels: dict[tuple[uuid.UUID, uuid.UUID], int]
    teaches: set[tuple[uuid.UUID, uuid.UUID]]
    skill_labels: dict[uuid.UUID, str]
    role_titles: dict[uuid.UUID, str]


# Language bits: one per language, up to this many; rarer languages share the last bit and the pairs
# that share only that bit without a common language are excluded one by one.
_LANGUAGE_BITS = 62


class PairingRunService:
    """Computes a pairing run. Idempotent: a run computed again (a retried job) replaces its own
    proposed pairs and waitlist, so exactly one set remains; a run already published or discarded is
    left as it is."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def run(self, run_id: uuid.UUID, *, progress: Progress | None = None) -> dict[str, Any]:
        async def report(percent: int) -> None:
            if progress is not None:
                await progress(percent)

        # The programme's lock, then the run's, as starting and publishing runs take them. In the
        # other order, a run computed again while HR publishes it deadlocks: the job holds the run
        # while its new pairs wait on the programme (their foreign key), which HR holds.
        programme_id = await self.session.scalar(select(PairingRun.programme_id).where(PairingRun.id == run_id))
        if programme_id is None:
            raise NotFoundError(f"pairing run {run_id} does not exist")
        programme = await self.session.get_one(Programme, programme_id, with_for_update=True)
        run = await self.session.scalar(select(PairingRun).where(PairingRun.id == run_id).with_for_update())
        if run is None:
            raise NotFoundError(f"pairing run {run_id} does not exist")
        if run.status in (RunStatus.PUBLISHED, RunStatus.DISCARDED):
            return _summary(run)
        await self.session.execute(
            delete(Pairing).where(Pairing.run_id == run.id, Pairing.state == PairingState.PROPOSED)
        )
        await self.session.execute(delete(WaitlistEntry).where(WaitlistEntry.run_id == run.id))
        await report(10)
        data = await self._load(programme)
        await report(40)
        weights = {**DEFAULT_WEIGHTS, **(programme.weights or {})}
        pool = data.pool
        pair_values: list[dict[str, Any]] = []
        total = 0.0
        mentor_of = np.full(pool.mentees, -1, np.int64)
        if pool.mentees and pool.mentors:
            # Optimal over every allowed pair; per_mentee only sizes the solver's first graph.
            solution = solve_pool(
                pool, Objective(run.objective.value), per_mentee=programme.per_mentee, weights=weights
            )
            mentor_of = solution.assignment.mentor_of
            rows = solution.assignment.pair_rows
            mentee_indices, mentor_indices = solution.candidates.mentee[rows], solution.candidates.mentor[rows]
            scores = solution.candidates.score[rows]
            factor_values = pair_factors(pool, mentee_indices, mentor_indices)
            for k, (mentee_index, mentor_index) in enumerate(zip(mentee_indices, mentor_indices, strict=True)):
                factors = {name: float(factor_values[name][k]) for name in FACTORS}
                score = float(scores[k])
                total += score
                mentee, mentor = data.mentees[int(mentee_index)], data.mentors[int(mentor_index)]
                pair_values.append(
                    {
                        "run_id": run.id,
                        "programme_id": programme.id,
                        "mentor_profile_id": mentor.profile.id,
                        "mentee_request_id": mentee.request.id,
                        "mentor_employee_id": mentor.employee.id,
                        "mentee_employee_id": mentee.employee.id,
                        "state": PairingState.PROPOSED,
                        "score": round(score, 6),
                        "reasons": _reasons(data, mentee, mentor, factors, weights, programme),
                    }
                )
        await report(70)
        if pair_values:
            await self.session.execute(insert(Pairing), pair_values)
        unmatched = [i for i in range(pool.mentees) if mentor_of[i] < 0]
        waitlist = []
        for position, index in enumerate(unmatched, start=1):
            code = unmatched_reason(pool, index)
            waitlist.append(
                {
                    "run_id": run.id,
                    "mentee_request_id": data.mentees[index].request.id,
                    "position": position,
                    "reason_code": code,
                    "reason": UNMATCHED_REASONS[code],
                }
            )
        if waitlist:
            await self.session.execute(insert(WaitlistEntry), waitlist)
        run.status = RunStatus.PROPOSED
        run.matched = len(pair_values)
        run.unmatched = len(unmatched)
        run.total_score = round(total, 6)
        run.computed_at = datetime.now(UTC)
        await self.session.flush()
        await report(90)
        return _summary(run)

    async def _load(self, programme: Programme) -> _PoolData:
        session = self.session
        pid = programme.id
        mentor_rows = (
            await session.execute(
                select(MentorProfile, Employee)
                .join(Employee, Employee.id == MentorProfile.employee_id)
                .where(MentorProfile.programme_id == pid, MentorProfile.active, Employee.active)
                .order_by(MentorProfile.id)
            )
        ).all()
        used = await _used_capacity(session, pid)
        mentors = [_Mentor(p, e, max(0, p.capacity - used.get(p.id, 0))) for p, e in mentor_rows]
        live = exists().where(Pairing.mentee_request_id == MenteeRequest.id, Pairing.state.in_(LIVE_STATES))
        mentee_rows = (
            await session.execute(
                select(MenteeRequest, Employee)
                .join(Employee, Employee.id == MenteeRequest.employee_id)
                .where(MenteeRequest.programme_id == pid, MenteeRequest.status.in_(IN_POOL), Employee.active, ~live)
                .order_by(MenteeRequest.id)
            )
        ).all()
        # What each mentee wants to grow: the skills they named, else the skills of their target role.
        wants: dict[uuid.UUID, list[uuid.UUID]] = {r.id: [] for r, _ in mentee_rows}
        for request_id, skill_id in await session.execute(
            select(MenteeRequestSkill.request_id, MenteeRequestSkill.skill_id)
            .join(MenteeRequest, MenteeRequest.id == MenteeRequestSkill.request_id)
            .where(MenteeRequest.programme_id == pid)
            .order_by(MenteeRequestSkill.request_id, MenteeRequestSkill.skill_id)
        ):
            if request_id in wants:
                wants[request_id].append(skill_id)
        target_roles = sorted({r.target_role_id for r, _ in mentee_rows if r.target_role_id is not None})
        role_skills: dict[uuid.UUID, list[uuid.UUID]] = {role: [] for role in target_roles}
        if target_roles:
            for role_id, skill_id in await session.execute(
                select(RoleSkill.role_id, RoleSkill.skill_id)
                .where(RoleSkill.role_id.in_(target_roles))
                .order_by(RoleSkill.role_id, RoleSkill.skill_id)
            ):
                role_skills[role_id].append(skill_id)
        mentees = []
        for request, employee in mentee_rows:
            wanted = wants[request.id]
            if not wanted and request.target_role_id is not None:
                wanted = role_skills[request.target_role_id]
            mentees.append(_Mentee(request, employee, wanted))
        teaches: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for profile_id, skill_id in await session.execute(
            select(MentorProfileSkill.profile_id, MentorProfileSkill.skill_id)
            .join(MentorProfile, MentorProfile.id == MentorProfileSkill.profile_id)
            .where(MentorProfile.programme_id == pid)
        ):
            teaches.add((profile_id, skill_id))
        skills = sorted({s for m in mentees for s in m.wants} | {s for _, s in teaches})
        people = (
            select(MentorProfile.employee_id)
            .where(MentorProfile.programme_id == pid)
            .union(select(MenteeRequest.employee_id).where(MenteeRequest.programme_id == pid))
        )
        levels: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
        if skills:
            for employee_id, skill_id, level in await session.execute(
                select(EmployeeSkill.employee_id, EmployeeSkill.skill_id, EmployeeSkill.level).where(
                    EmployeeSkill.valid_to.is_(None),
                    EmployeeSkill.employee_id.in_(people),
                    EmployeeSkill.skill_id.in_(skills),
                )
            ):
                # Several sources may rate a skill: the highest current rating is the level.
                levels[(employee_id, skill_id)] = max(level, levels.get((employee_id, skill_id), 0))
        labels = (
            {s: label for s, label in await session.execute(select(Skill.id, Skill.label).where(Skill.id.in_(skills)))}
            if skills
            else {}
        )
        titles = (
            {r: t for r, t in await session.execute(select(Role.id, Role.title).where(Role.id.in_(target_roles)))}
            if target_roles
            else {}
        )
        lines = await self._reporting_lines(people)
        departments = await self._departments()
        pool = _build_pool(programme, mentees, mentors, skills, target_roles, levels, teaches, lines, departments)
        return _PoolData(pool, mentees, mentors, skills, levels, teaches, labels, titles)

    async def _reporting_lines(self, people: Any) -> dict[uuid.UUID, list[uuid.UUID]]:
        """Everyone above each person of the pool, in one recursive query."""
        employees = Employee.__table__
        chain = (
            select(employees.c.id.label("person"), employees.c.manager_id.label("boss"))
            .where(employees.c.id.in_(people), employees.c.manager_id.is_not(None))
            .cte("chain", recursive=True)
        )
        # UNION (not UNION ALL) also ends on a cycle in the manager chain, should one ever exist.
        chain = chain.union(
            select(chain.c.person, employees.c.manager_id)
            .join(employees, employees.c.id == chain.c.boss)
            .where(employees.c.manager_id.is_not(None))
        )
        lines: dict[uuid.UUID, list[uuid.UUID]] = {}
        for person, boss in await self.session.execute(select(chain.c.person, chain.c.boss)):
            lines.setdefault(person, []).append(boss)
        return lines

    async def _departments(self) -> dict[uuid.UUID, uuid.UUID]:
        """Each org unit's department: the nearest unit of kind department at or above it, else the
        top of its tree."""
        units = {
            u: (parent, kind)
            for u, parent, kind in await self.session.execute(select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.kind))
        }
        found: dict[uuid.UUID, uuid.UUID] = {}
        for unit in units:
            path, node = [], unit
            while node not in found:
                path.append(node)
                parent, kind = units[node]
                if kind == OrgUnitKind.DEPARTMENT or parent is None or parent in path:
                    found[node] = node
                    break
                node = parent
            for visited in path:
                found[visited] = found[node]
        return found


def _summary(run: PairingRun) -> dict[str, Any]:
    return {
        "run_id": str(run.id),
        "status": run.status.value,
        "matched": run.matched or 0,
        "unmatched": run.unmatched or 0,
        "total_score": run.total_score or 0.0,
    }


def _language_bits(
    mentees: Sequence[_Mentee], mentors: Sequence[_Mentor]
) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    counts: dict[str, int] = {}
    for languages in [m.request.languages for m in mentees] + [m.profile.languages for m in mentors]:
        for code in languages:
            counts[code] = counts.get(code, 0) + 1
    ranked = sorted(counts, key=lambda c: (-counts[c], c))
    bit = {code: 1 << min(i, _LANGUAGE_BITS) for i, code in enumerate(ranked)}
    shared_bit = 1 << _LANGUAGE_BITS

    def bits(languages: Sequence[str]) -> int:
        value = 0
        for code in languages:
            value |= bit[code]
        return value

    mentee_bits = [bits(m.request.languages) for m in mentees]
    mentor_bits = [bits(m.profile.languages) for m in mentors]
    excluded: list[tuple[int, int]] = []
    if len(ranked) > _LANGUAGE_BITS:
        # Pairs that meet only on the shared bit of the rare languages: check them one by one.
        for i, mentee in enumerate(mentees):
            if not mentee_bits[i] & shared_bit:
                continue
            for j, mentor in enumerate(mentors):
                if mentee_bits[i] & mentor_bits[j] == shared_bit and not set(mentee.request.languages) & set(
                    mentor.profile.languages
                ):
                    excluded.append((i, j))
    return mentee_bits, mentor_bits, excluded


def _build_pool(
    programme: Programme,
    mentees: Sequence[_Mentee],
    mentors: Sequence[_Mentor],
    skills: Sequence[uuid.UUID],
    target_roles: Sequence[uuid.UUID],
    levels: dict[tuple[uuid.UUID, uuid.UUID], int],
    teaches: set[tuple[uuid.UUID, uuid.UUID]],
    lines: dict[uuid.UUID, list[uuid.UUID]],
    departments: dict[uuid.UUID, uuid.UUID],
) -> Pool:
    person: dict[uuid.UUID, int] = {}

    def index_of(employee_id: uuid.UUID) -> int:
        return person.setdefault(employee_id, len(person))

    department: dict[uuid.UUID, int] = {}

    def department_of(employee: Employee) -> int:
        unit = departments.get(employee.org_unit_id) if employee.org_unit_id is not None else None
        if unit is None:
            # Without an org unit a person is in no known department: their own.
            return -1 - index_of(employee.id)
        return department.setdefault(unit, len(department))

    skill_index = {s: i for i, s in enumerate(skills)}
    role_index = {r: i for i, r in enumerate(target_roles)}
    want_start, want_skill, want_level = [0], [], []
    line_start, line_employee = [0], []
    for mentee in mentees:
        for skill in mentee.wants:
            want_skill.append(skill_index[skill])
            want_level.append(levels.get((mentee.employee.id, skill), 0))
        want_start.append(len(want_skill))
        line_employee += [index_of(boss) for boss in lines.get(mentee.employee.id, [])]
        line_start.append(len(line_employee))
    mentor_line_start, mentor_line_employee = [0], []
    mentor_level = np.zeros((len(mentors), len(skills)), np.int8)
    mentor_teaches = np.zeros((len(mentors), len(skills)), np.bool_)
    mentor_held_role = np.zeros((len(mentors), len(target_roles)), np.bool_)
    mentor_rows: dict[uuid.UUID, list[int]] = {}
    profile_row = {mentor.profile.id: j for j, mentor in enumerate(mentors)}
    for j, mentor in enumerate(mentors):
        mentor_rows.setdefault(mentor.employee.id, []).append(j)
    for (employee_id, skill), level in levels.items():
        for j in mentor_rows.get(employee_id, []):
            mentor_level[j, skill_index[skill]] = level
    for profile_id, skill in teaches:
        if profile_id in profile_row:
            mentor_teaches[profile_row[profile_id], skill_index[skill]] = True
    for j, mentor in enumerate(mentors):
        if mentor.employee.role_id in role_index:
            mentor_held_role[j, role_index[mentor.employee.role_id]] = True
        mentor_line_employee += [index_of(boss) for boss in lines.get(mentor.employee.id, [])]
        mentor_line_start.append(len(mentor_line_employee))
    mentee_bits, mentor_bits, excluded = _language_bits(mentees, mentors)
    for i, mentee in enumerate(mentees):
        for employee_id in mentee.request.excluded_mentor_ids:
            excluded += [(i, j) for j in mentor_rows.get(employee_id, [])]
    return Pool(
        mentee_employee=np.array([index_of(m.employee.id) for m in mentees], np.int64),
        mentee_language=np.array(mentee_bits, np.int64),
        mentee_department=np.array([department_of(m.employee) for m in mentees], np.int64),
        mentee_time_zone=np.array([m.request.utc_offset_minutes / 60 for m in mentees], np.float64),
        mentee_target_role=np.array(
            [role_index[m.request.target_role_id] if m.request.target_role_id else -1 for m in mentees], np.int64
        ),
        want_start=np.array(want_start, np.int64),
        want_skill=np.array(want_skill, np.int64),
        want_level=np.array(want_level, np.int64),
        line_start=np.array(line_start, np.int64),
        line_employee=np.array(line_employee, np.int64),
        mentor_employee=np.array([index_of(m.employee.id) for m in mentors], np.int64),
        mentor_language=np.array(mentor_bits, np.int64),
        mentor_department=np.array([department_of(m.employee) for m in mentors], np.int64),
        mentor_time_zone=np.array([m.profile.utc_offset_minutes / 60 for m in mentors], np.float64),
        mentor_capacity=np.array([m.remaining for m in mentors], np.int64),
        mentor_level=mentor_level,
        mentor_teaches=mentor_teaches,
        mentor_held_role=mentor_held_role,
        mentor_line_start=np.array(mentor_line_start, np.int64),
        mentor_line_employee=np.array(mentor_line_employee, np.int64),
        excluded=excluded,
        different_department=programme.require_different_department,
    )


def _level_text(level: int) -> str:
    return f"level {level}" if level else "not yet rated"


def _reasons(
    data: _PoolData,
    mentee: _Mentee,
    mentor: _Mentor,
    factors: dict[str, float],
    weights: dict[str, float],
    programme: Programme,
) -> dict[str, Any]:
    """The pair's named factors (value, weight, points) and the same in plain sentences."""
    sentences: list[str] = []
    labels = data.skill_labels
    wanted = sorted(mentee.wants, key=lambda s: labels.get(s, ""))
    for skill in wanted:
        theirs = data.levels.get((mentor.employee.id, skill), 0)
        mine = data.levels.get((mentee.employee.id, skill), 0)
        if theirs > mine:
            sentences.append(f"Mentor is level {theirs} in {labels[skill]}, you are {_level_text(mine)}")
    taught = [labels[s] for s in wanted if (mentor.profile.id, s) in data.teaches]
    if taught:
        sentences.append(f"Mentor wants to teach {', '.join(taught)}")
    target = mentee.request.target_role_id
    if target is not None and mentor.employee.role_id == target:
        sentences.append(f"Mentor is a {data.role_titles[target]}, the role you aim for")
    hours = abs(mentee.request.utc_offset_minutes - mentor.profile.utc_offset_minutes) / 60
    hours = min(hours, 24 - hours)
    sentences.append(
        "You share a time zone"
        if hours == 0
        else f"Your time zones are {hours:g} hour{'s' if hours != 1 else ''} apart"
    )
    common = sorted(set(mentee.request.languages) & set(mentor.profile.languages))
    sentences.append(f"You both speak {', '.join(common)}")
    if programme.require_different_department:
        sentences.append("You work in different departments")
    return {
        "factors": {
            name: {
                "value": round(factors[name], 6),
                "weight": weights[name],
                "points": round(weights[name] * factors[name], 6),
            }
            for name in FACTORS
        },
        "sentences": sentences,
    }
