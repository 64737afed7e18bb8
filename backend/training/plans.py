"""Training plans: for each employee and target role, the cheapest set of active courses that closes
the gap, with the reason for each course (the algorithm is `backend.training.recommend`), recomputed
for everyone by a job and for one employee and role on request.

A plan names a target role, which is an aspiration: the employee sees their own plans; anyone else
sees them only if they may see the employee's aspirations (`backend.aspirations.service.may_see`: HR
unless the search is hidden, hiring managers outside the reporting line when the employee chose so),
plus the plans they asked for themselves. Partner apps see none (they may never read aspirations).
Only HR asks for a recompute of every plan.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import FromClause, Select, Uuid, and_, delete, insert, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.aspirations.models import Aspiration, AspirationRole, OpenToMove
from backend.aspirations.service import may_see
from backend.auth.principal import Principal, require_hr
from backend.core.jobs.enqueue import Progress, enqueue_for
from backend.core.jobs.models import Job
from backend.crud import ancestors, chunks, get_or_404, require_reference
from backend.errors import ConflictError, NotFoundError, PermissionDeniedError
from backend.framework.models import Importance, Role, RoleSkill
from backend.org.models import Employee
from backend.skills.models import EmployeeSkill, Skill
from backend.training.models import Course, CourseSkill, PlanOrigin, TrainingPlan, TrainingPlanCourse
from backend.training.recommend import MAX_GAP_SKILLS, Catalog, Plan, cheapest_cover, course_masks, explain, gap_mask
from backend.training.recommend import Role as RoleRequirements
from backend.training.schemas import ClosedGapRead, GapRead, PlanCourseRead, TrainingPlanRead
from tenants.base import new_id
from tenants.locks import lock_tenant

# A role's skills beyond this many (the least important) are left out of plans: the gap is a bit mask.
MAX_ROLE_SKILLS = 62
_INSERT_CHUNK = 5_000
_IMPORTANCE_RANK = {Importance.ESSENTIAL: 0, Importance.IMPORTANT: 1, Importance.NICE_TO_HAVE: 2}
_PLANS_LOCK = "training_plans"


@dataclass(frozen=True)
class _Requirement:
    skill_id: uuid.UUID
    label: str
    level: int
    importance: Importance


@dataclass(frozen=True)
class _CatalogCourse:
    id: uuid.UUID
    cost: Decimal
    hours: Decimal
    currency: str
    levels: dict[uuid.UUID, int]


@dataclass
class _PlanRows:
    plans: list[dict[str, Any]] = field(default_factory=list)
    courses: list[dict[str, Any]] = field(default_factory=list)
    employees: set[uuid.UUID] = field(default_factory=set)
    unclosable: int = 0
    problems: int = 0


def _reason(closes: list[dict[str, Any]]) -> str:
    parts = []
    for c in closes:
        start = "none recorded" if c["from_level"] is None else str(c["from_level"])
        parts.append(f"Takes {c['skill_label']} from {start} to {c['to_level']} (role needs {c['required_level']})")
    return "; ".join(parts)


class _Planner:
    """The pure part of a recompute: arrays from the loaded rows, one exact cover per distinct
    (role, gap), shared by every employee with that role and that gap."""

    def __init__(self, requirements: dict[uuid.UUID, list[_Requirement]], courses: list[_CatalogCourse]) -> None:
        self.skill_index: dict[uuid.UUID, int] = {}
        self.requirements: dict[uuid.UUID, list[_Requirement]] = {}
        self.roles: dict[uuid.UUID, RoleRequirements] = {}
        for role_id, reqs in requirements.items():
            # Bit order is priority order: essential first, then the higher levels; the cap on the
            # gap keeps the most important skills.
            ordered = sorted(reqs, key=lambda r: (_IMPORTANCE_RANK[r.importance], -r.level, r.label, r.skill_id))
            ordered = ordered[:MAX_ROLE_SKILLS]
            self.requirements[role_id] = ordered
            for r in ordered:
                self.skill_index.setdefault(r.skill_id, len(self.skill_index))
            self.roles[role_id] = RoleRequirements(
                skill=np.array([self.skill_index[r.skill_id] for r in ordered], np.int64),
                level=np.array([r.level for r in ordered], np.int64),
            )
        self.courses = courses
        taught = [
            (self.skill_index.get(skill_id, -1), level) for c in courses for skill_id, level in sorted(c.levels.items())
        ]
        self.catalog = Catalog(
            cost=np.array([float(c.cost) for c in courses], np.float64),
            start=np.concatenate([[0], np.cumsum([len(c.levels) for c in courses])]).astype(np.int64),
            skill=np.array([s for s, _ in taught], np.int64),
            level=np.array([lv for _, lv in taught], np.int64),
        )
        self._masks: dict[uuid.UUID, Any] = {}
        self._solved: dict[tuple[uuid.UUID, int], Plan] = {}

    @property
    def problems(self) -> int:
        return len(self._solved)

    def plan(self, role_id: uuid.UUID, levels: dict[uuid.UUID, int]) -> tuple[Plan, int, int, list[_Requirement]]:
        """(the plan, the gap mask, the part of it planned for, the role's requirements in bit order)."""
        reqs = self.requirements.get(role_id, [])
        role = self.roles.get(role_id)
        if role is None:
            return Plan(courses=(), closes={}, unclosable=(), cost=0.0), 0, 0, []
        current = np.array([levels.get(r.skill_id, 0) for r in reqs], np.int64)
        gap = gap_mask(role, current)
        planned, left = 0, gap
        for _ in range(MAX_GAP_SKILLS):
            if not left:
                break
            lowest = left & -left
            planned |= lowest
            left &= ~lowest
        key = (role_id, planned)
        plan = self._solved.get(key)
        if plan is None:
            masks = self._masks.get(role_id)
            if masks is None:
                masks = self._masks[role_id] = course_masks(role, self.catalog)
            closable, chosen, cost = cheapest_cover(planned, masks, self.catalog.cost)
            plan = self._solved[key] = explain(planned, closable, chosen, masks, role, cost)
        return plan, gap, planned, reqs


class TrainingPlanService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Computing ------------------------------------------------------------------------------

    async def recompute_all(
        self, *, progress: Progress | None = None, job_id: uuid.UUID | None = None
    ) -> dict[str, Any]:
        """Every active employee's plans for their aspirations' target roles, and fresh versions of
        the plans asked for explicitly; everything else (plans of people who left, of roles no longer
        aimed at) goes. Idempotent: the plans are replaced in this transaction, so a rerun leaves the
        same single set."""
        await self._lock(exclusive=True, wait=True)
        rows = await self._compute(self._pairs(), job_id=job_id, progress=progress)
        await self.session.execute(delete(TrainingPlan))
        await self._write(rows, progress)
        return {
            "employees": len(rows.employees),
            "plans": len(rows.plans),
            "courses": len(rows.courses),
            "unclosable_gaps": rows.unclosable,
            "distinct_problems": rows.problems,
        }

    async def recompute_employee(
        self,
        employee_id: uuid.UUID,
        role_id: uuid.UUID | None = None,
        *,
        requested_by: str | None = None,
        job_id: uuid.UUID | None = None,
        wait: bool = True,
    ) -> dict[str, Any]:
        """One employee's plans: for `role_id` alone (a chosen opportunity, kept as a requested plan),
        or, without it, for every role their plans cover now (aspirations and requested ones)."""
        if not await self._lock(exclusive=False, wait=wait):
            raise ConflictError("every training plan is being recomputed right now; try again in a few minutes")
        # Serialises the employee's own recomputes (and completions, which lock the same row).
        employee = await get_or_404(self.session, Employee, employee_id, "employee", lock=True)
        if not employee.active:
            raise ConflictError("the employee is inactive")
        if role_id is None:
            pairs = self._pairs(employee_id)
            stale = delete(TrainingPlan).where(TrainingPlan.employee_id == employee_id)
        else:
            await require_reference(self.session, Role, role_id, "role_id")
            pairs = select(
                literal(employee_id, Uuid).label("employee_id"), literal(role_id, Uuid).label("role_id")
            ).subquery("pairs")
            stale = delete(TrainingPlan).where(
                TrainingPlan.employee_id == employee_id, TrainingPlan.target_role_id == role_id
            )
        rows = await self._compute(pairs, job_id=job_id, requested=role_id is not None, requested_by=requested_by)
        await self.session.execute(stale)
        await self._write(rows, None)
        return {"employees": len(rows.employees), "plans": len(rows.plans), "unclosable_gaps": rows.unclosable}

    async def _lock(self, *, exclusive: bool, wait: bool) -> bool:
        return await lock_tenant(self.session, _PLANS_LOCK, shared=not exclusive, wait=wait)

    @staticmethod
    def _pairs(employee_id: uuid.UUID | None = None) -> FromClause:
        """(employee, role) pairs to plan for: active employees' aspired roles, and their requested plans."""
        aspired = (
            select(AspirationRole.employee_id.label("employee_id"), AspirationRole.role_id.label("role_id"))
            .join(Employee, Employee.id == AspirationRole.employee_id)
            .where(Employee.active)
        )
        requested = (
            select(TrainingPlan.employee_id.label("employee_id"), TrainingPlan.target_role_id.label("role_id"))
            .join(Employee, Employee.id == TrainingPlan.employee_id)
            .where(Employee.active, TrainingPlan.origin == PlanOrigin.REQUESTED)
        )
        if employee_id is not None:
            aspired = aspired.where(Employee.id == employee_id)
            requested = requested.where(Employee.id == employee_id)
        return union(aspired, requested).subquery("pairs")

    async def _compute(
        self,
        pairs: FromClause,
        *,
        job_id: uuid.UUID | None,
        progress: Progress | None = None,
        requested: bool = False,
        requested_by: str | None = None,
    ) -> _PlanRows:
        """Loads everything in five queries, whatever the number of employees, and plans in memory."""
        pair_rows = [(e, r) for e, r in await self.session.execute(select(pairs.c.employee_id, pairs.c.role_id))]
        # What a requested plan was: kept as such (with who asked) when it is recomputed.
        kept: dict[tuple[uuid.UUID, uuid.UUID], str | None] = {}
        if not requested:
            for e, r, by in await self.session.execute(
                select(TrainingPlan.employee_id, TrainingPlan.target_role_id, TrainingPlan.requested_by)
                .join(
                    pairs,
                    and_(
                        pairs.c.employee_id == TrainingPlan.employee_id, pairs.c.role_id == TrainingPlan.target_role_id
                    ),
                )
                .where(TrainingPlan.origin == PlanOrigin.REQUESTED)
            ):
                kept[(e, r)] = by
        role_ids = select(pairs.c.role_id).distinct()
        requirements: dict[uuid.UUID, list[_Requirement]] = {}
        for role_id in await self.session.scalars(select(Role.id).where(Role.id.in_(role_ids))):
            requirements[role_id] = []
        for role_id, skill_id, level, importance, label in await self.session.execute(
            select(RoleSkill.role_id, RoleSkill.skill_id, RoleSkill.target_level, RoleSkill.importance, Skill.label)
            .join(Skill, Skill.id == RoleSkill.skill_id)
            .where(RoleSkill.role_id.in_(role_ids))
        ):
            requirements[role_id].append(_Requirement(skill_id, label, level, importance))
        levels: dict[uuid.UUID, dict[uuid.UUID, int]] = {}
        for employee_id, skill_id, level in await self.session.execute(
            select(EmployeeSkill.employee_id, EmployeeSkill.skill_id, EmployeeSkill.level)
            .join(pairs, pairs.c.employee_id == EmployeeSkill.employee_id)
            .join(RoleSkill, and_(RoleSkill.role_id == pairs.c.role_id, RoleSkill.skill_id == EmployeeSkill.skill_id))
            .where(EmployeeSkill.valid_to.is_(None))
            .distinct()
        ):
            # Several sources may rate a skill: the highest current rating is the level.
            held = levels.setdefault(employee_id, {})
            held[skill_id] = max(level, held.get(skill_id, 0))
        catalog: dict[uuid.UUID, _CatalogCourse] = {}
        for course_id, cost, hours, currency, skill_id, level in await self.session.execute(
            select(
                Course.id,
                Course.cost,
                Course.duration_hours,
                Course.currency,
                CourseSkill.skill_id,
                CourseSkill.level_reached,
            )
            .join(CourseSkill, CourseSkill.course_id == Course.id)
            .where(Course.active)
            .order_by(Course.id)
        ):
            course = catalog.setdefault(course_id, _CatalogCourse(course_id, cost, hours, currency, {}))
            course.levels[skill_id] = level
        if progress is not None:
            await progress(10)
        planner = _Planner(requirements, list(catalog.values()))
        rows = _PlanRows()
        for employee_id, role_id in sorted(pair_rows):
            self._plan_rows(planner, rows, employee_id, role_id, levels.get(employee_id, {}))
            origin = PlanOrigin.REQUESTED if requested or (employee_id, role_id) in kept else PlanOrigin.ASPIRATION
            rows.plans[-1] |= {
                "origin": origin,
                "requested_by": requested_by if requested else kept.get((employee_id, role_id)),
                "job_id": job_id,
            }
        rows.problems = planner.problems
        if progress is not None:
            await progress(50)
        return rows

    @staticmethod
    def _plan_rows(
        planner: _Planner, rows: _PlanRows, employee_id: uuid.UUID, role_id: uuid.UUID, levels: dict[uuid.UUID, int]
    ) -> None:
        plan, gap, planned, reqs = planner.plan(role_id, levels)
        plan_id = new_id()
        closed_by: dict[int, uuid.UUID] = {}
        total_cost, total_hours, currency = Decimal(0), Decimal(0), None
        position = 0
        for index, skills in plan.closes.items():
            if not skills:
                continue  # a free course that closes nothing the others do not
            course = planner.courses[index]
            closes = []
            for skill_index in skills:
                req = next(r for r in reqs if planner.skill_index[r.skill_id] == skill_index)
                current = levels.get(req.skill_id)
                closes.append(
                    {
                        "skill_id": str(req.skill_id),
                        "skill_label": req.label,
                        "from_level": current,
                        "to_level": course.levels[req.skill_id],
                        "required_level": req.level,
                    }
                )
                closed_by[skill_index] = course.id
            position += 1
            total_cost += course.cost
            total_hours += course.hours
            currency = course.currency
            rows.courses.append(
                {
                    "plan_id": plan_id,
                    "position": position,
                    "course_id": course.id,
                    "closes": closes,
                    "reason": _reason(closes),
                }
            )
        gaps = []
        for bit, req in enumerate(reqs):
            if not gap >> bit & 1:
                continue
            skill_index = planner.skill_index[req.skill_id]
            status = "closed" if skill_index in closed_by else ("unclosable" if planned >> bit & 1 else "deferred")
            rows.unclosable += status == "unclosable"
            course_id = closed_by.get(skill_index)
            gaps.append(
                {
                    "skill_id": str(req.skill_id),
                    "skill_label": req.label,
                    "importance": req.importance.value,
                    "current_level": levels.get(req.skill_id),
                    "required_level": req.level,
                    "status": status,
                    "closed_by": str(course_id) if course_id else None,
                }
            )
        rows.employees.add(employee_id)
        rows.plans.append(
            {
                "id": plan_id,
                "employee_id": employee_id,
                "target_role_id": role_id,
                "total_cost": total_cost,
                "currency": currency,
                "total_hours": total_hours,
                "gaps": gaps,
            }
        )

    async def _write(self, rows: _PlanRows, progress: Progress | None) -> None:
        batches = max(1, (len(rows.plans) + _INSERT_CHUNK - 1) // _INSERT_CHUNK)
        for done, chunk in enumerate(chunks(rows.plans, _INSERT_CHUNK), 1):
            await self.session.execute(insert(TrainingPlan), chunk)
            if progress is not None:
                await progress(50 + 30 * done // batches)
        for chunk in chunks(rows.courses, _INSERT_CHUNK):
            await self.session.execute(insert(TrainingPlanCourse), chunk)
        if progress is not None:
            await progress(95)

    async def start_recompute(self, principal: Principal) -> Job:
        """Ask for `training.recommend_all` in the caller's transaction (HR only)."""
        require_hr(principal, "recompute every training plan")
        job = await enqueue_for(self.session, principal, "training.recommend_all", {})
        await self.session.refresh(job)
        return job

    # Asking and reading ---------------------------------------------------------------------

    async def request(self, principal: Principal, employee_id: uuid.UUID, role_id: uuid.UUID) -> TrainingPlanRead:
        """Compute at once the plan for one chosen role (an opportunity): the employee or HR."""
        await get_or_404(self.session, Employee, employee_id, "employee")
        if principal.employee_id != employee_id and not principal.is_hr:
            raise PermissionDeniedError("only the employee (or HR) may ask for their training plan")
        await self.recompute_employee(employee_id, role_id, requested_by=principal.subject, wait=False)
        [plan] = await self._reads(
            select(TrainingPlan).where(TrainingPlan.employee_id == employee_id, TrainingPlan.target_role_id == role_id)
        )
        return plan

    async def plans(
        self, principal: Principal, employee_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[list[TrainingPlanRead], str | None]:
        """A page of an employee's training plans, in the order they were made."""
        employee = await get_or_404(self.session, Employee, employee_id, "employee")
        query = select(TrainingPlan).where(TrainingPlan.employee_id == employee_id)
        if principal.employee_id != employee.id:
            aspiration = await self.session.get(Aspiration, employee_id)
            level = aspiration.open_to_move if aspiration else OpenToMove.HIDDEN
            chain = await ancestors(self.session, Employee, "manager_id", employee.id)
            if not may_see(principal, employee, level, chain):
                # Target roles are aspirations: beyond those who may see the aspirations, a caller
                # sees only the plans it asked for itself.
                query = query.where(TrainingPlan.requested_by == principal.subject)
                plans, next_cursor = await paginate(self.session, query, TrainingPlan.id, cursor, limit)
                if not plans and cursor is None:
                    raise NotFoundError(f"employee {employee_id} has no training plans visible to you")
                return await self._read_plans(plans), next_cursor
        plans, next_cursor = await paginate(self.session, query, TrainingPlan.id, cursor, limit)
        return await self._read_plans(plans), next_cursor

    async def _reads(self, query: Select[TrainingPlan]) -> list[TrainingPlanRead]:
        return await self._read_plans((await self.session.scalars(query.order_by(TrainingPlan.id))).all())

    async def _read_plans(self, plans: Sequence[TrainingPlan]) -> list[TrainingPlanRead]:
        if not plans:
            return []
        ids = [p.id for p in plans]
        roles = select(Role.id, Role.title).where(Role.id.in_({p.target_role_id for p in plans}))
        titles: dict[uuid.UUID, str] = {role_id: title for role_id, title in await self.session.execute(roles)}
        courses: dict[uuid.UUID, list[PlanCourseRead]] = {i: [] for i in ids}
        for item, course in await self.session.execute(
            select(TrainingPlanCourse, Course)
            .join(Course, Course.id == TrainingPlanCourse.course_id)
            .where(TrainingPlanCourse.plan_id.in_(ids))
            .order_by(TrainingPlanCourse.plan_id, TrainingPlanCourse.position)
        ):
            courses[item.plan_id].append(
                PlanCourseRead(
                    position=item.position,
                    course_id=course.id,
                    title=course.title,
                    provider=course.provider,
                    format=course.format,
                    cost=float(course.cost),
                    currency=course.currency,
                    duration_hours=float(course.duration_hours),
                    url=course.url,
                    closes=[
                        ClosedGapRead(
                            skill_id=uuid.UUID(c["skill_id"]),
                            skill_label=c["skill_label"],
                            from_level=c["from_level"],
                            to_level=c["to_level"],
                            required_level=c["required_level"],
                        )
                        for c in item.closes
                    ],
                    reason=item.reason,
                )
            )
        return [
            TrainingPlanRead(
                id=p.id,
                employee_id=p.employee_id,
                target_role_id=p.target_role_id,
                target_role_title=titles.get(p.target_role_id, ""),
                origin=p.origin,
                computed_at=p.computed_at,
                job_id=p.job_id,
                total_cost=float(p.total_cost),
                currency=p.currency,
                total_hours=float(p.total_hours),
                courses=courses[p.id],
                gaps=[
                    GapRead(
                        skill_id=uuid.UUID(g["skill_id"]),
                        skill_label=g["skill_label"],
                        importance=Importance(g["importance"]),
                        current_level=g["current_level"],
                        required_level=g["required_level"],
                        status=g["status"],
                        closed_by=uuid.UUID(g["closed_by"]) if g["closed_by"] else None,
                    )
                    for g in p.gaps
                ],
            )
            for p in plans
        ]
