"""Aspirations: target roles, skills to grow, and how openly the employee is looking.

Who may see them follows `open_to_move`: the employee always; HR unless hidden; managers only when
the employee chose `hiring_managers`, and never anyone in their management chain (a confidential
search stays confidential). Anyone else gets 404, so the existence of a search is not revealed either.
Every view by someone other than the employee, and every change by anyone, is written to the audit log.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.aspirations.models import Aspiration, AspirationRole, AspirationSkill, OpenToMove
from backend.aspirations.schemas import AspirationRead, AspirationSet
from backend.audit.service import record_change, record_view
from backend.auth.principal import Principal, UserRole
from backend.core.changes import note_change
from backend.crud import ancestors, get_or_404
from backend.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from backend.framework.models import Role
from backend.org.models import Employee
from backend.skills.models import Skill


def may_see(principal: Principal, employee: Employee, level: OpenToMove, management_chain: set[uuid.UUID]) -> bool:
    if principal.employee_id == employee.id:
        return True
    if principal.is_hr:
        return level != OpenToMove.HIDDEN
    if principal.has_role(UserRole.MANAGER) and principal.employee_id not in management_chain:
        return level == OpenToMove.HIRING_MANAGERS
    return False


class AspirationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, principal: Principal, employee_id: uuid.UUID) -> AspirationRead:
        employee = await get_or_404(self.session, Employee, employee_id, "employee")
        aspiration = await self.session.get(Aspiration, employee_id)
        level = aspiration.open_to_move if aspiration else OpenToMove.HIDDEN
        # Anyone above the employee (manager, skip-level, ...) is kept out of a confidential search.
        chain = await ancestors(self.session, Employee, "manager_id", employee.id)
        if not may_see(principal, employee, level, chain):
            raise NotFoundError(f"employee {employee_id} has no aspirations visible to you")
        # Where someone wants to go next is a confidential signal: every view by another is logged.
        await record_view(
            self.session,
            principal,
            subject_employee_id=employee.id,
            action="aspirations.viewed",
            object_type="aspirations",
            object_id=employee.id,
            details={"open_to_move": level.value},
        )
        return await self._read(employee_id, aspiration)

    async def replace(self, principal: Principal, employee_id: uuid.UUID, data: AspirationSet) -> AspirationRead:
        employee = await get_or_404(self.session, Employee, employee_id, "employee")
        if principal.employee_id != employee.id and not principal.is_hr:
            raise PermissionDeniedError("only the employee (or HR) may set their aspirations")
        role_ids, skill_ids = set(data.target_role_ids), set(data.skill_ids)
        await self._require_all(Role, role_ids, "target_role_ids")
        await self._require_all(Skill, skill_ids, "skill_ids")
        aspiration = await self.session.get(Aspiration, employee_id, with_for_update=True)
        before = await self._read(employee_id, aspiration)
        if aspiration is None:
            aspiration = Aspiration(employee_id=employee_id)
            self.session.add(aspiration)
        aspiration.open_to_move = data.open_to_move
        await self.session.flush()
        await self.session.execute(delete(AspirationRole).where(AspirationRole.employee_id == employee_id))
        await self.session.execute(delete(AspirationSkill).where(AspirationSkill.employee_id == employee_id))
        if role_ids:
            await self.session.execute(
                insert(AspirationRole), [{"employee_id": employee_id, "role_id": r} for r in role_ids]
            )
        if skill_ids:
            await self.session.execute(
                insert(AspirationSkill), [{"employee_id": employee_id, "skill_id": s} for s in skill_ids]
            )
        await self.session.flush()
        await note_change(self.session, "aspirations.changed")
        await self.session.refresh(aspiration)
        after = await self._read(employee_id, aspiration)
        await self._audit_change(principal, before, after)
        return after

    async def _audit_change(self, principal: Principal, before: AspirationRead, after: AspirationRead) -> None:
        """Every change, by the employee or by HR, is in the audit log: which parts changed, and the
        open-to-move level before and after. Not the roles and skills themselves: HR reads the log,
        and HR may not see a hidden search."""
        changed = [
            part
            for part, old, new in (
                ("open_to_move", before.open_to_move, after.open_to_move),
                ("target_role_ids", set(before.target_role_ids), set(after.target_role_ids)),
                ("skill_ids", set(before.skill_ids), set(after.skill_ids)),
            )
            if old != new
        ]
        if not changed:
            return
        await record_change(
            self.session,
            principal,
            subject_employee_id=after.employee_id,
            action="aspirations.changed",
            object_type="aspirations",
            object_id=after.employee_id,
            details={
                "changed": changed,
                "open_to_move": {"before": before.open_to_move.value, "after": after.open_to_move.value},
            },
        )

    async def _require_all(self, model: type[Role] | type[Skill], ids: set[uuid.UUID], field: str) -> None:
        if not ids:
            return
        found = set((await self.session.scalars(select(model.id).where(model.id.in_(ids)))).all())
        if missing := ids - found:
            raise InvalidInputError(field, f"{field} has unknown ids: {', '.join(sorted(map(str, missing)))}")

    async def _read(self, employee_id: uuid.UUID, aspiration: Aspiration | None) -> AspirationRead:
        roles = await self.session.scalars(
            select(AspirationRole.role_id)
            .where(AspirationRole.employee_id == employee_id)
            .order_by(AspirationRole.role_id)
        )
        skills = await self.session.scalars(
            select(AspirationSkill.skill_id)
            .where(AspirationSkill.employee_id == employee_id)
            .order_by(AspirationSkill.skill_id)
        )
        return AspirationRead(
            employee_id=employee_id,
            open_to_move=aspiration.open_to_move if aspiration else OpenToMove.HIDDEN,
            target_role_ids=list(roles.all()),
            skill_ids=list(skills.all()),
            updated_at=aspiration.updated_at if aspiration else None,
        )
