"""Moves: what a hire changes, and the history of an employee's moves.

Every hire records a move (from and to role, org unit, title and level; how the release went; the
effective date). A move into a role (an opening of kind `role`, a full-time job) rewrites the
employee's role, title, level (and org unit, when the opening names one) on its effective date,
through the org service and its EmployeeWriter, the one writer of employees, which also records the
change in the change log (read by matching): at the hire when the date is today, else by the nightly
`marketplace.apply_moves` job once the date has come. Gigs, projects and the tenant's own kinds sit
beside the person's job and change nothing on it. The reporting line stays as the directory says: the
HRIS (or SCIM) moves the manager.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from msgspec import UNSET
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.auth.principal import Principal
from backend.crud import ancestors, get_or_404
from backend.errors import NotFoundError
from backend.framework.models import Role
from backend.marketplace.models import Application, Move, Opportunity, OpportunityKind, ReleaseOutcome
from backend.org.models import Employee
from backend.org.schemas import EmployeeUpdate
from backend.org.service import OrgService

APPLY_MOVES = "marketplace.apply_moves"


class MoveService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self,
        application: Application,
        opportunity: Opportunity,
        employee: Employee,
        outcome: ReleaseOutcome,
        effective_on: date,
    ) -> Move:
        """The move of a hire; a move into a role that takes effect today rewrites the employee now."""
        into_role = opportunity.kind == OpportunityKind.ROLE
        to_level = opportunity.level
        if into_role and to_level is None and opportunity.role_id is not None:
            role = await self.session.get(Role, opportunity.role_id)
            to_level = role.level if role is not None else None
        move = Move(
            employee_id=employee.id,
            opportunity_id=opportunity.id,
            application_id=application.id,
            kind=opportunity.kind,
            type_id=opportunity.type_id,
            from_role_id=employee.role_id,
            to_role_id=opportunity.role_id,
            from_org_unit_id=employee.org_unit_id,
            to_org_unit_id=opportunity.org_unit_id,
            from_title=employee.title,
            to_title=opportunity.title if into_role else None,
            from_level=employee.level,
            to_level=to_level if into_role else None,
            release=outcome,
            effective_on=effective_on,
            updates_employee=into_role,
        )
        self.session.add(move)
        await self.session.flush()
        if into_role and effective_on <= _today():
            await self._apply(move)
        return move

    async def apply_due(self, today: date | None = None) -> int:
        """Rewrite the employees whose moves into a role take effect by `today` (idempotent: a move is
        applied once, and a concurrent run skips the rows another holds)."""
        due = (
            await self.session.scalars(
                select(Move)
                .where(
                    Move.updates_employee.is_(True),
                    Move.applied_at.is_(None),
                    Move.effective_on <= (today or _today()),
                )
                .order_by(Move.effective_on, Move.moved_at, Move.id)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for move in due:
            await self._apply(move)
        return len(due)

    async def _apply(self, move: Move) -> None:
        # What the opening does not say (a level, a unit) stays as it is.
        patch = EmployeeUpdate(
            role_id=move.to_role_id,
            title=UNSET if move.to_title is None else move.to_title,
            level=UNSET if move.to_level is None else move.to_level,
            org_unit_id=UNSET if move.to_org_unit_id is None else move.to_org_unit_id,
        )
        await OrgService(self.session).update_employee(move.employee_id, patch)
        move.applied_at = datetime.now(UTC)
        await self.session.flush()

    async def of_employee(
        self, principal: Principal, employee_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[Sequence[Move], str | None]:
        """A page of an employee's moves, in the order they were made: for the employee, their
        management chain and HR."""
        employee = await get_or_404(self.session, Employee, employee_id, "employee")
        chain = await ancestors(self.session, Employee, "manager_id", employee.id)
        me = principal.employee_id
        if not (principal.is_hr or (me is not None and (me == employee.id or me in chain))):
            raise NotFoundError(f"employee {employee_id} does not exist")
        return await paginate(self.session, select(Move).where(Move.employee_id == employee.id), Move.id, cursor, limit)


def _today() -> date:
    return datetime.now(UTC).date()
