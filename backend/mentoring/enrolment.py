"""What mentor profiles and mentee requests share: who may be enrolled, the languages they speak and
the skills they list (child rows of the profile or request)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.errors import InvalidInputError, PermissionDeniedError
from backend.mentoring.models import Programme, ProgrammeStatus
from backend.mentoring.programmes import ProgrammeService
from backend.org.models import Employee

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


async def enrol(
    session: AsyncSession, principal: Principal, programme_id: uuid.UUID, employee_id: uuid.UUID | None
) -> uuid.UUID:
    """Who a new profile or request is for (the caller, unless HR names someone else), checked: the
    programme takes enrolments now (see `ProgrammeService.enrolling`) and the person is employed."""
    await ProgrammeService(session).enrolling(principal, programme_id)
    if employee_id is None or employee_id == principal.employee_id:
        if principal.employee_id is None:
            raise InvalidInputError("employee_id", "name the employee: this caller is not one")
        employee_id = principal.employee_id
    elif not principal.is_hr:
        raise PermissionDeniedError("only HR may enrol someone else")
    employee = await session.get(Employee, employee_id)
    if employee is None or not employee.active:
        raise InvalidInputError("employee_id", f"employee {employee_id} does not exist or has left")
    return employee_id


def enrolments_of(principal: Principal, model: Any, employee_id: uuid.UUID, *others_see: Any) -> Select[Any]:
    """One person's profiles or requests (`model`) in every programme, in the order they were made, as the
    caller sees them: HR all; anyone else none in a draft, and only those `others_see` admits."""
    query = select(model).join(Programme, Programme.id == model.programme_id).where(model.employee_id == employee_id)
    if not principal.is_hr:
        query = query.where(Programme.status != ProgrammeStatus.DRAFT, *others_see)
    return query.order_by(model.id)


def languages(codes: Sequence[str]) -> list[str]:
    for code in codes:
        if not _LANGUAGE.fullmatch(code):
            raise InvalidInputError("languages", f"{code!r} is not an ISO 639 language code such as en or pt-BR")
    return sorted(set(codes))


async def set_skills(
    session: AsyncSession, model: Any, key: Any, owner_id: uuid.UUID, skill_ids: Sequence[uuid.UUID]
) -> None:
    await session.execute(delete(model).where(key == owner_id))
    if skill_ids:
        await session.execute(insert(model), [{key.key: owner_id, "skill_id": s} for s in set(skill_ids)])


async def skills_of(
    session: AsyncSession, model: Any, key: Any, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    if ids:
        rows = await session.execute(select(key, model.skill_id).where(key.in_(ids)).order_by(model.skill_id))
        for owner, skill in rows:
            found[owner].append(skill)
    return found
