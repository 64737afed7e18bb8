"""Org units and employees."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.crud import (
    apply,
    changes,
    ensure_unique,
    get_or_404,
    like_pattern,
    lock_hierarchy,
    require_reference,
    would_cycle,
)
from backend.errors import InvalidInputError
from backend.framework.models import Role
from backend.identifiers import IdentifierError, normalise_email
from backend.core.changes import note_change
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.org.schemas import EmployeeCreate, EmployeeUpdate, OrgUnitCreate, OrgUnitUpdate


def email_for_lookup(email: str) -> str:
    """A looked-up email in the normal form emails are stored in (backend/identifiers.py), so it is
    compared as stored: a non-ASCII lookalike (the Kelvin sign, a Cyrillic a) or a malformed address is
    refused, never folded into someone else's address. The query parameter's pattern refuses most (400);
    what a pattern cannot see (two dots in a row) is refused here, as an employee's email is (422)."""
    try:
        return normalise_email(email)
    except IdentifierError as exc:
        raise InvalidInputError("email", str(exc)) from None


# What matching reads of an employee: a change to any of these makes their matches stale.
_MATCHED_FIELDS = {"org_unit_id", "role_id", "level", "location", "manager_id", "active"}


def reports_of(manager_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    """Everyone below `manager_id` in the reporting line (their reports, their reports' reports, ...),
    as a subquery of ids: the people whose management chain holds `manager_id`."""
    below = select(Employee.id).where(Employee.manager_id == manager_id).cte("below", recursive=True)
    # UNION (not UNION ALL) also ends on a loop, should one ever exist.
    below = below.union(select(Employee.id).where(Employee.manager_id == below.c.id))
    return select(below.c.id)


async def manages_people(session: AsyncSession, employee_id: uuid.UUID) -> bool:
    """Whether the employee has at least one active direct report, as the directory says."""
    return bool(
        await session.scalar(select(exists().where(Employee.manager_id == employee_id, Employee.active.is_(True))))
    )


class OrgService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_units(
        self, *, parent_id: uuid.UUID | None, kind: OrgUnitKind | None, q: str | None, cursor: str | None, limit: int
    ) -> tuple[Sequence[OrgUnit], str | None]:
        query = select(OrgUnit)
        if parent_id is not None:
            query = query.where(OrgUnit.parent_id == parent_id)
        if kind is not None:
            query = query.where(OrgUnit.kind == kind)
        if q:
            query = query.where(OrgUnit.name.ilike(like_pattern(q)))
        return await paginate(self.session, query, OrgUnit.id, cursor, limit)

    async def get_unit(self, unit_id: uuid.UUID) -> OrgUnit:
        return await get_or_404(self.session, OrgUnit, unit_id, "org unit")

    async def create_unit(self, data: OrgUnitCreate) -> OrgUnit:
        await require_reference(self.session, OrgUnit, data.parent_id, "parent_id")
        unit = OrgUnit(name=data.name.strip(), kind=data.kind, parent_id=data.parent_id)
        self.session.add(unit)
        await self.session.flush()
        return unit

    async def update_unit(self, unit_id: uuid.UUID, patch: OrgUnitUpdate) -> OrgUnit:
        values = changes(patch)
        if "parent_id" in values:
            # Before the first query: a request queued for the lock then holds no pooled connection.
            await lock_hierarchy(self.session, "org_units")
        unit = await self.get_unit(unit_id)
        if "parent_id" in values:
            await require_reference(self.session, OrgUnit, values["parent_id"], "parent_id")
            if await would_cycle(self.session, OrgUnit, "parent_id", unit.id, values["parent_id"]):
                raise InvalidInputError("parent_id", "an org unit cannot sit below itself")
        apply(unit, values)
        await self.session.flush()
        return unit

    async def list_employees(
        self,
        *,
        org_unit_id: uuid.UUID | None,
        manager_id: uuid.UUID | None,
        role_id: uuid.UUID | None,
        location: str | None,
        active: bool | None,
        q: str | None,
        cursor: str | None,
        limit: int,
        email: str | None = None,
        external_id: str | None = None,
    ) -> tuple[Sequence[Employee], str | None]:
        query = select(Employee)
        if email is not None:
            query = query.where(Employee.email == email_for_lookup(email))
        if external_id is not None:
            query = query.where(Employee.external_id == external_id)
        for column, value in (
            (Employee.org_unit_id, org_unit_id),
            (Employee.manager_id, manager_id),
            (Employee.role_id, role_id),
            (Employee.active, active),
        ):
            if value is not None:
                query = query.where(column == value)
        if location:
            query = query.where(func.lower(Employee.location) == location.lower())
        if q:
            pattern = like_pattern(q)
            query = query.where(or_(Employee.full_name.ilike(pattern), Employee.email.ilike(pattern)))
        return await paginate(self.session, query, Employee.id, cursor, limit)

    async def get_employee(self, employee_id: uuid.UUID) -> Employee:
        return await get_or_404(self.session, Employee, employee_id, "employee")

    async def _prepare_employee_values(self, values: dict[str, object]) -> None:
        """Check the ids the values name, and store emails in their normal form (backend/identifiers.py)."""
        for field, model in (("org_unit_id", OrgUnit), ("manager_id", Employee), ("role_id", Role)):
            if field in values:
                reference = values[field]
                assert reference is None or isinstance(reference, uuid.UUID)
                await require_reference(self.session, model, reference, field)
        if "email" in values:
            try:
                values["email"] = normalise_email(str(values["email"]))
            except IdentifierError as exc:
                raise InvalidInputError("email", str(exc)) from None

    async def _ensure_email_free(self, email: str, employee_id: uuid.UUID | None = None) -> None:
        # Stored in their normal form, so compared as stored: lower() would fold lookalikes together.
        await ensure_unique(
            self.session,
            Employee,
            Employee.email == email,
            employee_id,
            f"an employee with email {email} already exists",
        )

    async def create_employee(self, data: EmployeeCreate) -> Employee:
        values = {f: getattr(data, f) for f in data.__struct_fields__}
        await self._prepare_employee_values(values)
        await self._ensure_email_free(str(values["email"]))
        employee = Employee(**values)
        self.session.add(employee)
        await self.session.flush()
        await note_change(self.session, "employee.created")
        return employee

    async def update_employee(self, employee_id: uuid.UUID, patch: EmployeeUpdate) -> Employee:
        values = changes(patch)
        if "manager_id" in values:
            # Before the first query: a request queued for the lock then holds no pooled connection.
            await lock_hierarchy(self.session, "managers")
        employee = await self.get_employee(employee_id)
        await self._prepare_employee_values(values)
        if "email" in values:
            await self._ensure_email_free(str(values["email"]), employee.id)
        if "manager_id" in values and await would_cycle(
            self.session,
            Employee,
            "manager_id",
            employee.id,
            values["manager_id"],
        ):
            raise InvalidInputError("manager_id", "an employee cannot report to themselves, directly or not")
        apply(employee, values)
        await self.session.flush()
        if values.keys() & _MATCHED_FIELDS:
            await note_change(self.session, "employee.changed")
        return employee
