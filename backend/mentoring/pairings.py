"""Pairings and their check-ins. A pairing is seen by HR and, once published, by its two members;
anyone else gets 404. Its members start it, end it and record check-ins; the mentee (or HR) asks for
a re-match."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.auth.principal import Principal, require_hr
from backend.crud import to_schema
from backend.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from backend.mentoring.models import (
    LIVE_STATES,
    CheckIn,
    MenteeRequest,
    Pairing,
    PairingState,
    RequestStatus,
)
from backend.mentoring.notices import tell_ended
from backend.mentoring.programmes import today
from backend.mentoring.requests import MenteeRequestService, live_pairing_of
from backend.mentoring.runs import PairingRunService
from backend.mentoring.schemas import CheckInCreate, PairingEnd, PairingRead, Rematch, RematchRead, RunCreate, RunRead


class PairingService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(
        self,
        principal: Principal,
        *,
        programme_id: uuid.UUID | None,
        state: PairingState | None,
        cursor: str | None,
        limit: int,
        employee_id: uuid.UUID | None = None,
    ) -> tuple[Sequence[Pairing], str | None]:
        """A page of pairings: HR's all of them, anyone else's their own published ones; `employee_id`:
        only the pairings in which that person is the mentor or the mentee."""
        query = select(Pairing)
        if employee_id is not None:
            query = query.where(
                or_(Pairing.mentor_employee_id == employee_id, Pairing.mentee_employee_id == employee_id)
            )
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

    async def get(self, principal: Principal, pairing_id: uuid.UUID, *, lock: bool = False) -> Pairing:
        pairing = await self.session.get(Pairing, pairing_id, with_for_update=lock)
        if pairing is None or not (
            principal.is_hr or (_is_member(principal, pairing) and pairing.state != PairingState.PROPOSED)
        ):
            raise NotFoundError(f"pairing {pairing_id} does not exist")
        return pairing

    async def start(self, principal: Principal, pairing_id: uuid.UUID) -> Pairing:
        pairing = await self._member(principal, pairing_id)
        if pairing.state == PairingState.PUBLISHED:
            pairing.state = PairingState.ACTIVE
            pairing.started_at = datetime.now(UTC)
        elif pairing.state != PairingState.ACTIVE:
            raise ConflictError(f"a {pairing.state.value} pairing cannot be started")
        await self.session.flush()
        await self.session.refresh(pairing)
        return pairing

    async def end(self, principal: Principal, pairing_id: uuid.UUID, data: PairingEnd) -> Pairing:
        pairing = await self._member(principal, pairing_id)
        if self._end(pairing, data.reason):
            await self.session.flush()
            await tell_ended(self.session, principal, pairing)
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

    async def _member(self, principal: Principal, pairing_id: uuid.UUID) -> Pairing:
        pairing = await self.get(principal, pairing_id, lock=True)
        if not (principal.is_hr or _is_member(principal, pairing)):
            raise PermissionDeniedError("only the pair (or HR) may change a pairing")
        if pairing.state == PairingState.PROPOSED:
            raise ConflictError("the pairing is only proposed: its run is not published")
        return pairing

    async def rematch(self, principal: Principal, pairing_id: uuid.UUID, data: Rematch) -> RematchRead:
        """End the pair (if it is not ended yet), exclude the mentor from the mentee's request and put
        the request back in the pool: it joins the next run, or one started now (`run_now`, HR). The
        answer spans three aggregates (the pairing, the request, the run): a read model."""
        pairing = await self._member(principal, pairing_id)
        if not (principal.is_hr or pairing.mentee_employee_id == principal.employee_id):
            raise PermissionDeniedError("only the mentee (or HR) may ask for a new mentor")
        if data.run_now:
            require_hr(principal, "start pairing runs")
        ended = self._end(pairing, data.reason or "re-matching")
        request = await self.session.get_one(MenteeRequest, pairing.mentee_request_id, with_for_update=True)
        await self.session.flush()
        if ended:
            await tell_ended(self.session, principal, pairing)
        if await live_pairing_of(self.session, request.id) is not None:
            raise ConflictError("the mentee already has another live pairing")
        request.excluded_mentor_ids = sorted({*request.excluded_mentor_ids, pairing.mentor_employee_id})
        request.status = RequestStatus.OPEN
        await self.session.flush()
        await self.session.refresh(pairing)
        await self.session.refresh(request)
        run = (
            await PairingRunService(self.session).start(principal, pairing.programme_id, RunCreate())
            if data.run_now
            else None
        )
        [request_read] = await MenteeRequestService(self.session).reads([request])
        return RematchRead(
            pairing=to_schema(pairing, PairingRead),
            request=request_read,
            run=to_schema(run, RunRead) if run is not None else None,
        )

    # --- check-ins --------------------------------------------------------------------------------

    async def add_check_in(self, principal: Principal, pairing_id: uuid.UUID, data: CheckInCreate) -> CheckIn:
        pairing = await self.get(principal, pairing_id, lock=True)
        if not _is_member(principal, pairing) or principal.employee_id is None:
            raise PermissionDeniedError("only the mentor and the mentee record check-ins")
        if pairing.state not in LIVE_STATES:
            raise ConflictError(f"a {pairing.state.value} pairing takes no check-ins")
        if data.happened_on > today() + timedelta(days=1):
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

    async def check_ins(
        self, principal: Principal, pairing_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[Sequence[CheckIn], str | None]:
        await self.get(principal, pairing_id)
        query = select(CheckIn).where(CheckIn.pairing_id == pairing_id)
        return await paginate(self.session, query, CheckIn.id, cursor, limit)


def _is_member(principal: Principal, pairing: Pairing) -> bool:
    me = principal.employee_id
    return me is not None and me in (pairing.mentor_employee_id, pairing.mentee_employee_id)
