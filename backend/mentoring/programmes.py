"""Mentorship programmes: HR creates and edits them and sees them all; anyone else sees those that
are not drafts (a draft is HR's work in progress). Enrolment (mentor profiles, mentee requests) is
open within a programme's enrolment window."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.auth.principal import Principal, require_hr
from backend.crud import apply, changes
from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.mentoring.models import Programme, ProgrammeKind, ProgrammeStatus
from backend.mentoring.pairing import DEFAULT_WEIGHTS
from backend.mentoring.schemas import ProgrammeCreate, ProgrammeRead, ProgrammeUpdate


def today() -> date:
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


class ProgrammeService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(
        self, principal: Principal, *, status: ProgrammeStatus | None, cursor: str | None, limit: int
    ) -> tuple[Sequence[Programme], str | None]:
        query = select(Programme)
        if not principal.is_hr:
            query = query.where(Programme.status != ProgrammeStatus.DRAFT)
        if status is not None:
            query = query.where(Programme.status == status)
        return await paginate(self.session, query, Programme.id, cursor, limit)

    async def get(self, principal: Principal, programme_id: uuid.UUID, *, lock: bool = False) -> Programme:
        programme = await self.session.get(Programme, programme_id, with_for_update=lock)
        # A draft is HR's work in progress: to anyone else it does not exist yet.
        if programme is None or (programme.status == ProgrammeStatus.DRAFT and not principal.is_hr):
            raise NotFoundError(f"programme {programme_id} does not exist")
        return programme

    async def create(self, principal: Principal, data: ProgrammeCreate) -> Programme:
        require_hr(principal, "create programmes")
        values = {f: getattr(data, f) for f in data.__struct_fields__}
        values["name"] = data.name.strip()
        values["weights"] = msgspec.to_builtins(data.weights) if data.weights is not None else None
        _check_programme(values)
        programme = Programme(**values, created_by=principal.actor)
        self.session.add(programme)
        await self.session.flush()
        return programme

    async def update(self, principal: Principal, programme_id: uuid.UUID, patch: ProgrammeUpdate) -> Programme:
        require_hr(principal, "edit programmes")
        programme = await self.get(principal, programme_id, lock=True)
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

    async def enrolling(self, principal: Principal, programme_id: uuid.UUID) -> Programme:
        """The programme, if the caller may enrol in it now: open and within its enrolment window.
        HR may enrol people in any programme that is not closed."""
        programme = await self.get(principal, programme_id)
        if programme.status == ProgrammeStatus.CLOSED:
            raise ConflictError("the programme is closed")
        if principal.is_hr:
            return programme
        if programme.status != ProgrammeStatus.OPEN:
            raise ConflictError("the programme is not open for enrolment")
        now = today()
        if programme.enrolment_opens is not None and now < programme.enrolment_opens:
            raise ConflictError(f"enrolment opens on {programme.enrolment_opens.isoformat()}")
        if programme.enrolment_closes is not None and now > programme.enrolment_closes:
            raise ConflictError(f"enrolment closed on {programme.enrolment_closes.isoformat()}")
        return programme


def _check_programme(values: dict[str, Any]) -> None:
    if values["kind"] == ProgrammeKind.COHORT and (values["starts_on"] is None or values["ends_on"] is None):
        raise InvalidInputError("starts_on", "a cohort programme has a start and an end date")
    for first, last in (("starts_on", "ends_on"), ("enrolment_opens", "enrolment_closes")):
        if values[first] is not None and values[last] is not None and values[last] < values[first]:
            raise InvalidInputError(last, f"{last} is before {first}")
