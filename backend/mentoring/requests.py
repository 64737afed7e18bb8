"""Mentee requests: an employee asks for a mentor in a programme (their own request; HR may do it for
anyone). What someone wants to grow is theirs and HR's business only: anyone else gets 404."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.auth.principal import Principal
from backend.crud import apply, changes, require_all
from backend.errors import ConflictError, NotFoundError
from backend.framework.models import Role
from backend.mentoring.enrolment import enrol, enrolments_of, languages, set_skills, skills_of
from backend.mentoring.models import (
    LIVE_STATES,
    MenteeRequest,
    MenteeRequestSkill,
    Pairing,
    PairingRun,
    RequestStatus,
    RunStatus,
    WaitlistEntry,
)
from backend.mentoring.programmes import ProgrammeService
from backend.mentoring.schemas import MenteeRequestCreate, MenteeRequestRead, MenteeRequestUpdate
from backend.org.models import Employee
from backend.skills.models import Skill


class MenteeRequestService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_programme(
        self,
        principal: Principal,
        programme_id: uuid.UUID,
        *,
        status: RequestStatus | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[MenteeRequestRead], str | None]:
        await ProgrammeService(self.session).get(principal, programme_id)
        query = select(MenteeRequest).where(MenteeRequest.programme_id == programme_id)
        if not principal.is_hr:
            query = query.where(MenteeRequest.employee_id == principal.employee_id)
        if status is not None:
            query = query.where(MenteeRequest.status == status)
        rows, next_cursor = await paginate(self.session, query, MenteeRequest.id, cursor, limit)
        return await self.reads(rows), next_cursor

    async def of_employee(self, principal: Principal, employee_id: uuid.UUID) -> list[MenteeRequestRead]:
        """One person's requests for a mentor, in every programme, as `of_programme` shows them: HR's
        anyone's; anyone else only their own (in programmes that are not drafts)."""
        query = enrolments_of(principal, MenteeRequest, employee_id, MenteeRequest.employee_id == principal.employee_id)
        return await self.reads((await self.session.scalars(query)).all())

    async def get(self, principal: Principal, request_id: uuid.UUID) -> MenteeRequestRead:
        return (await self.reads([await self._own(principal, request_id)]))[0]

    async def _own(self, principal: Principal, request_id: uuid.UUID, *, lock: bool = False) -> MenteeRequest:
        request = await self.session.get(MenteeRequest, request_id, with_for_update=lock)
        # What someone wants to grow is theirs and HR's business only.
        if request is None or not (principal.is_hr or request.employee_id == principal.employee_id):
            raise NotFoundError(f"mentee request {request_id} does not exist")
        return request

    async def create(
        self, principal: Principal, programme_id: uuid.UUID, data: MenteeRequestCreate
    ) -> MenteeRequestRead:
        employee_id = await enrol(self.session, principal, programme_id, data.employee_id)
        await self._check_references(data.skill_ids, data.target_role_id, data.excluded_mentor_ids)
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
        request.languages = languages(data.languages)
        request.target_role_id = data.target_role_id
        request.utc_offset_minutes = data.utc_offset_minutes
        request.preferences = data.preferences
        request.excluded_mentor_ids = sorted(set(data.excluded_mentor_ids))
        request.status = RequestStatus.OPEN
        self.session.add(request)
        await self.session.flush()
        await set_skills(self.session, MenteeRequestSkill, MenteeRequestSkill.request_id, request.id, data.skill_ids)
        await self.session.refresh(request)
        return (await self.reads([request]))[0]

    async def _check_references(
        self, skill_ids: Sequence[uuid.UUID], role_id: uuid.UUID | None, excluded: Sequence[uuid.UUID]
    ) -> None:
        await require_all(self.session, Skill, skill_ids, "skill_ids")
        await require_all(self.session, Role, [role_id] if role_id else [], "target_role_id")
        await require_all(self.session, Employee, excluded, "excluded_mentor_ids")

    async def update(
        self, principal: Principal, request_id: uuid.UUID, patch: MenteeRequestUpdate
    ) -> MenteeRequestRead:
        request = await self._own(principal, request_id, lock=True)
        values = changes(patch)
        skill_ids = values.pop("skill_ids", None)
        await self._check_references(
            skill_ids or [], values.get("target_role_id"), values.get("excluded_mentor_ids", [])
        )
        if "languages" in values:
            values["languages"] = languages(values["languages"])
        if "excluded_mentor_ids" in values:
            values["excluded_mentor_ids"] = sorted(set(values["excluded_mentor_ids"]))
        if "goals" in values:
            values["goals"] = str(values["goals"]).strip()
        if skill_ids is not None:
            await set_skills(self.session, MenteeRequestSkill, MenteeRequestSkill.request_id, request.id, skill_ids)
        apply(request, values)
        await self.session.flush()
        await self.session.refresh(request)
        return (await self.reads([request]))[0]

    async def withdraw(self, principal: Principal, request_id: uuid.UUID) -> MenteeRequestRead:
        request = await self._own(principal, request_id, lock=True)
        if await live_pairing_of(self.session, request.id) is not None:
            raise ConflictError("the request has a live pairing: end it first")
        request.status = RequestStatus.WITHDRAWN
        await self.session.flush()
        await self.session.refresh(request)
        return (await self.reads([request]))[0]

    async def reads(self, requests: Sequence[MenteeRequest]) -> list[MenteeRequestRead]:
        ids = [r.id for r in requests]
        skills = await skills_of(self.session, MenteeRequestSkill, MenteeRequestSkill.request_id, ids)
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


async def live_pairing_of(session: AsyncSession, request_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        select(Pairing.id).where(Pairing.mentee_request_id == request_id, Pairing.state.in_(LIVE_STATES))
    )
