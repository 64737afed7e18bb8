"""Course completions: recorded by the employee, HR or a partner app (an LMS); each raises the skills
the course teaches to the level it reaches, never lowering one."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.auth.principal import Principal
from backend.crud import get_or_404, require_reference
from backend.errors import ConflictError, InvalidInputError, PermissionDeniedError
from backend.org.models import Employee
from backend.org.skill_profiles import SkillProfileService
from backend.skills.models import EmployeeSkill, current_levels
from backend.training.models import Course, CourseCompletion, CourseSkill
from backend.training.schemas import CourseCompletionCreate, CourseCompletionRead, SkillRaise


class CompletionService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _may_record(principal: Principal, employee_id: uuid.UUID) -> bool:
        return principal.employee_id == employee_id or principal.is_hr or principal.client_id is not None

    async def record(
        self, principal: Principal, employee_id: uuid.UUID, data: CourseCompletionCreate
    ) -> tuple[CourseCompletionRead, bool]:
        """(the completion, whether it is new). Raises each skill the course teaches to the level it
        reaches, as a new version with source `course`, when that is above the current level; never
        lowers one. The same completion again changes nothing and returns the first record."""
        # Locking the employee serialises two deliveries of the same completion (an LMS retrying).
        employee = await get_or_404(self.session, Employee, employee_id, "employee", lock=True)
        if not self._may_record(principal, employee_id):
            raise PermissionDeniedError("only the employee, HR or a partner app may record a course completion")
        if data.completed_on > date.today():
            raise InvalidInputError("completed_on", "completed_on cannot be in the future")
        await require_reference(self.session, Course, data.course_id, "course_id")
        existing = await self.session.scalar(
            select(CourseCompletion).where(
                CourseCompletion.employee_id == employee_id,
                CourseCompletion.course_id == data.course_id,
                CourseCompletion.completed_on == data.completed_on,
            )
        )
        if existing is not None:
            return _completion_read(existing), False
        if not employee.active:
            raise ConflictError("the employee is inactive; their profile is read-only")
        levels = current_levels(EmployeeSkill.employee_id == employee_id)
        taught = (
            await self.session.execute(
                select(CourseSkill.skill_id, CourseSkill.level_reached, levels.c.level)
                .outerjoin(levels, levels.c.skill_id == CourseSkill.skill_id)
                .where(CourseSkill.course_id == data.course_id)
                .order_by(CourseSkill.skill_id)
            )
        ).all()
        raised = []
        skills = SkillProfileService(self.session)
        for skill_id, reached, current in taught:
            if current is not None and current >= reached:
                continue
            # A `course` rating beside the others (self, manager, ...), which keep theirs.
            await skills.record_course_result(
                principal,
                employee_id,
                skill_id,
                level=reached,
                evidence_url=data.evidence_url,
                completed_on=data.completed_on,
            )
            raised.append({"skill_id": str(skill_id), "from_level": current, "to_level": reached})
        completion = CourseCompletion(
            employee_id=employee_id,
            course_id=data.course_id,
            completed_on=data.completed_on,
            evidence_url=data.evidence_url,
            recorded_by=principal.subject,
            skills_raised=raised,
        )
        self.session.add(completion)
        await self.session.flush()
        await self.session.refresh(completion)
        return _completion_read(completion), True

    async def history(
        self, principal: Principal, employee_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[list[CourseCompletionRead], str | None]:
        """A page of an employee's course completions, in the order they were recorded."""
        await get_or_404(self.session, Employee, employee_id, "employee")
        if not self._may_record(principal, employee_id):
            raise PermissionDeniedError("only the employee, HR or a partner app may see their course completions")
        query = select(CourseCompletion).where(CourseCompletion.employee_id == employee_id)
        rows, next_cursor = await paginate(self.session, query, CourseCompletion.id, cursor, limit)
        return [_completion_read(c) for c in rows], next_cursor


def _completion_read(c: CourseCompletion) -> CourseCompletionRead:
    return CourseCompletionRead(
        id=c.id,
        employee_id=c.employee_id,
        course_id=c.course_id,
        completed_on=c.completed_on,
        evidence_url=c.evidence_url,
        recorded_by=c.recorded_by,
        skills_raised=[
            SkillRaise(skill_id=uuid.UUID(r["skill_id"]), from_level=r["from_level"], to_level=r["to_level"])
            for r in c.skills_raised
        ],
        created_at=c.created_at,
    )
