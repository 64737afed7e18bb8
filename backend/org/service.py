"""Org units and employees.

`EmployeeWriter` is the one place employees are created and changed: the API, SCIM provisioning, the
SSO sign-up and hires all write through it, so the rules of an employee's row (the ids it names exist,
the email is in its normal form and unique, the reporting line has no loop, the change is recorded)
are written once. Each caller keeps what is its own: which fields it may write, how it reads them, and
how it shows the domain errors raised here (problem+json for the API, scimType errors for SCIM).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.api.pagination import paginate
from backend.core.changes import note_change
from backend.crud import (
    apply,
    changes,
    descendants,
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


# Where an employee sits in the organisation (and whether they are still in it): a change to any of
# these is the fact "employee.changed" in the change log; names, emails, titles and identifiers are
# details, recorded as no fact.
_PLACEMENT = {"org_unit_id", "role_id", "level", "location", "manager_id", "active"}


# An employee seen as someone's manager (a second name for the table, to compare it with itself).
Manager = aliased(Employee)


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
        limit: int,
        cursor: str | None = None,
        org_unit_id: uuid.UUID | None = None,
        manager_id: uuid.UUID | None = None,
        role_id: uuid.UUID | None = None,
        location: str | None = None,
        active: bool | None = None,
        q: str | None = None,
        email: str | None = None,
        external_id: str | None = None,
        within_unit: uuid.UUID | None = None,
        manages_people: bool | None = None,
    ) -> tuple[Sequence[Employee], str | None]:
        """A page of employees, by id, filtered by what is given (nothing: everyone). `org_unit_id`: the
        people placed in that unit itself; `within_unit`: those in that unit or any unit below it (a
        department with its teams). `manages_people`: true keeps those with at least one active direct
        report (who may be named an opening's hiring manager), false those with none."""
        query = select(Employee)
        if within_unit is not None:
            units = {within_unit} | await descendants(self.session, OrgUnit, "parent_id", within_unit)
            query = query.where(Employee.org_unit_id.in_(units))
        if manages_people is not None:
            report = aliased(Employee)
            leads = exists().where(report.manager_id == Employee.id, report.active.is_(True))
            query = query.where(leads if manages_people else ~leads)
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

    async def managers(self) -> Sequence[Employee]:
        """Everyone whom at least one employee (active or not) reports to, by name: the choices of a
        filter by manager."""
        has_reports = exists().where(Employee.manager_id == Manager.id)
        query = select(Manager).where(has_reports).order_by(Manager.full_name, Manager.id)
        return (await self.session.scalars(query)).all()

    async def get_employee(self, employee_id: uuid.UUID) -> Employee:
        return await get_or_404(self.session, Employee, employee_id, "employee")

    async def create_employee(self, data: EmployeeCreate) -> Employee:
        return await EmployeeWriter(self.session).create({f: getattr(data, f) for f in data.__struct_fields__})

    async def update_employee(self, employee_id: uuid.UUID, patch: EmployeeUpdate) -> Employee:
        values = changes(patch)
        writer = EmployeeWriter(self.session)
        await writer.lock_tree(managers="manager_id" in values)
        return await writer.update(await self.get_employee(employee_id), values)


class EmployeeWriter:
    """Creates and changes employees, for every entry point (see the module's notes). `values` are
    column names and values, already read from the caller's document; the errors raised are the
    domain's (backend/errors.py)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # (email, employee) pairs found free in this transaction: a caller that checks an email early, to
        # report it in its own order, does not have it checked twice. The database has the last word.
        self._free_emails: set[tuple[str, uuid.UUID | None]] = set()

    async def lock_tree(self, *, org_units: bool = False, managers: bool = False) -> None:
        """The hierarchy locks of a write that may move someone, in the one order every writer takes
        them: the org tree, then the manager chain. Taken before the transaction's first query, a
        request queued for them holds no pooled connection."""
        if org_units:
            await lock_hierarchy(self.session, "org_units")
        if managers:
            await lock_hierarchy(self.session, "managers")

    async def ensure_email_free(self, email: str, employee_id: uuid.UUID | None = None) -> None:
        """Refuse (ConflictError) an email another employee has; `employee_id` is the one written."""
        if (email, employee_id) in self._free_emails:
            return
        # Stored in their normal form, so compared as stored: lower() would fold lookalikes together.
        await ensure_unique(
            self.session,
            Employee,
            Employee.email == email,
            employee_id,
            f"an employee with email {email} already exists",
        )
        self._free_emails.add((email, employee_id))

    async def create(self, values: dict[str, Any]) -> Employee:
        values = await self._checked(values)
        await self.ensure_email_free(str(values["email"]))
        employee = Employee(**values)
        self.session.add(employee)
        await self.session.flush()
        await note_change(self.session, "employee.created")
        return employee

    async def update(self, employee: Employee, values: dict[str, Any]) -> Employee:
        """Apply `values` to the employee. A new manager is checked under the manager chain's lock
        (taken here if the caller did not take it before its first query)."""
        values = await self._checked(values)
        if "email" in values:
            await self.ensure_email_free(str(values["email"]), employee.id)
        if values.get("manager_id") is not None:
            await lock_hierarchy(self.session, "managers")
            if await would_cycle(self.session, Employee, "manager_id", employee.id, values["manager_id"]):
                raise InvalidInputError("manager_id", "an employee cannot report to themselves, directly or not")
        apply(employee, values)
        await self.session.flush()
        if values.keys() & _PLACEMENT:
            await note_change(self.session, "employee.changed")
        return employee

    async def _checked(self, values: dict[str, Any]) -> dict[str, Any]:
        """The values with the ids they name checked, and the email in its normal form
        (backend/identifiers.py)."""
        for field, model in (("org_unit_id", OrgUnit), ("manager_id", Employee), ("role_id", Role)):
            if field in values:
                reference = values[field]
                assert reference is None or isinstance(reference, uuid.UUID)
                await require_reference(self.session, model, reference, field)
        if "email" in values:
            try:
                return {**values, "email": normalise_email(str(values["email"]))}
            except IdentifierError as exc:
                raise InvalidInputError("email", str(exc)) from None
        return values
