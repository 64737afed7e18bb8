"""Employees' skill profiles: each source's rating of each skill, with its history.

The ratings' table is the skill library's (backend/skills/models.py, read by matching, training,
mentoring and analytics); this is its one writer. It lives with the people it rates: who may write a
rating depends on who the employee is to the caller (themselves, a direct report).

A manager's team matrix (`SkillProfileService.team`) is read here too: each direct report's levels
against their role's required skills, and their stale ratings.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.auth.principal import Principal, UserRole
from backend.core.changes import note_change
from backend.crud import get_or_404
from backend.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from backend.framework.models import Importance, Role, RoleSkill
from backend.org.models import Employee
from backend.org.schemas import StaleSkillRead, TeamMemberSkills, TeamSkillCell, TeamSkillStatus
from backend.skills.models import EmployeeSkill, ProficiencyLevel, Skill, SkillSource
from backend.skills.schemas import EmployeeSkillRead, EmployeeSkillSet

# Who may write (record, supersede, end) a rating of each source on someone's profile. A rating
# belongs to its source: a new rating supersedes only the current one of the same source, so nobody
# overwrites or ends a rating they could not have written. Self and manager ratings stay with people: a
# person rates themselves (self, project, course), a manager their direct reports (manager); a partner
# app (an LMS, an assessment tool) the sources it owns, on anyone's profile; HR any source.
_SELF_SOURCES = frozenset({SkillSource.SELF, SkillSource.PROJECT, SkillSource.COURSE})
_MANAGER_SOURCES = frozenset({SkillSource.MANAGER})
_PARTNER_SOURCES = frozenset({SkillSource.ASSESSMENT, SkillSource.COURSE, SkillSource.PROJECT})
# A course or an assessment is a claim of evidence: written with the evidence (`evidence_url`), or
# by the one who owns that source (a partner app; a recorded course completion).
_EVIDENCED_SOURCES = frozenset({SkillSource.COURSE, SkillSource.ASSESSMENT})


def _owned_sources(principal: Principal) -> frozenset[SkillSource]:
    return _PARTNER_SOURCES if principal.client_id is not None else frozenset()


def _is_self(principal: Principal, employee: Employee) -> bool:
    return principal.client_id is None and principal.employee_id == employee.id


def _is_manager_of(principal: Principal, employee: Employee) -> bool:
    return (
        principal.client_id is None
        and principal.employee_id is not None
        and principal.has_role(UserRole.MANAGER)
        and employee.manager_id == principal.employee_id
    )


def writable_sources(principal: Principal, employee: Employee) -> frozenset[SkillSource]:
    """The sources whose ratings `principal` may write on `employee`'s profile (empty: none)."""
    if _is_self(principal, employee):
        # One's own profile holds one's own claims whatever one's role: an HR admin does not write (or
        # re-date, or end) their manager's, peers' or an assessment's rating of themselves.
        return _SELF_SOURCES
    if principal.is_hr:
        return frozenset(SkillSource)
    if principal.client_id is not None:
        return _PARTNER_SOURCES
    if _is_manager_of(principal, employee):
        return _MANAGER_SOURCES
    return frozenset()


def default_source(principal: Principal, employee: Employee) -> SkillSource | None:
    """The source of a rating written without one: `self` on one's own profile, `manager` on a
    direct report's; None (the caller must say) otherwise."""
    if _is_self(principal, employee):
        return SkillSource.SELF
    if _is_manager_of(principal, employee):
        return SkillSource.MANAGER
    return None


_IMPORTANCE_ORDER = {Importance.ESSENTIAL: 0, Importance.IMPORTANT: 1, Importance.NICE_TO_HAVE: 2}


def team_of(principal: Principal, manager_id: uuid.UUID | None) -> uuid.UUID:
    """Whose team the caller may read: their own direct reports (a person of the tenant); HR any
    manager's. Each report's ratings are what `GET /employees/{id}/skills` serves to the same caller
    (it asks the `skills:read` scope of everyone and no more); the team itself, who reports to whom, is
    the caller's own unless they are HR."""
    own = principal.employee_id if principal.client_id is None else None
    if manager_id is None or manager_id == own:
        if own is None:
            raise PermissionDeniedError("a team is a signed-in employee's direct reports; HR names the manager")
        return own
    if not principal.is_hr:
        raise PermissionDeniedError("only HR reads the skills of another manager's team")
    return manager_id


class SkillProfileService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _profile_query(self) -> Select[EmployeeSkill, str, str]:
        return (
            select(EmployeeSkill, Skill.label, ProficiencyLevel.name)
            .join(Skill, Skill.id == EmployeeSkill.skill_id)
            .join(ProficiencyLevel, ProficiencyLevel.level == EmployeeSkill.level)
        )

    async def _read_page(
        self, query: Select[EmployeeSkill, str, str], cursor: str | None, limit: int
    ) -> tuple[list[EmployeeSkillRead], str | None]:
        rows, next_cursor = await paginate(self.session, query, EmployeeSkill.id, cursor, limit)
        return self._reads(rows), next_cursor

    async def _read(self, query: Select[EmployeeSkill, str, str]) -> list[EmployeeSkillRead]:
        return self._reads(list(await self.session.execute(query)))

    @staticmethod
    def _reads(rows: Sequence[Any]) -> list[EmployeeSkillRead]:
        return [
            EmployeeSkillRead(
                id=row.id,
                employee_id=row.employee_id,
                skill_id=row.skill_id,
                skill_label=label,
                level=row.level,
                level_name=level_name,
                source=row.source,
                evidence_url=row.evidence_url,
                last_confirmed=row.last_confirmed,
                recorded_by=row.recorded_by,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
                ended_by=row.ended_by,
            )
            for row, label, level_name in rows
        ]

    async def profile(
        self, employee_id: uuid.UUID, at: datetime | None, cursor: str | None, limit: int
    ) -> tuple[list[EmployeeSkillRead], str | None]:
        """A page of an employee's ratings now, or as they stood at `at`: one per skill and source,
        in the order they were recorded."""
        await get_or_404(self.session, Employee, employee_id, "employee")
        query = self._profile_query().where(EmployeeSkill.employee_id == employee_id)
        if at is None:
            query = query.where(EmployeeSkill.valid_to.is_(None))
        else:
            query = query.where(
                EmployeeSkill.valid_from <= at, or_(EmployeeSkill.valid_to.is_(None), EmployeeSkill.valid_to > at)
            )
        return await self._read_page(query, cursor, limit)

    async def history(
        self, employee_id: uuid.UUID, skill_id: uuid.UUID | None, cursor: str | None, limit: int
    ) -> tuple[list[EmployeeSkillRead], str | None]:
        """A page of every version of an employee's ratings (of one skill, with `skill_id`), in the
        order they were recorded."""
        await get_or_404(self.session, Employee, employee_id, "employee")
        query = self._profile_query().where(EmployeeSkill.employee_id == employee_id)
        if skill_id is not None:
            query = query.where(EmployeeSkill.skill_id == skill_id)
        return await self._read_page(query, cursor, limit)

    async def team(
        self,
        principal: Principal,
        manager_id: uuid.UUID | None,
        stale_before: date,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[TeamMemberSkills], str | None]:
        """A page of a manager's active direct reports (the caller's own unless HR names another
        manager, `team_of`), each with their level in every skill their role asks for (met, below by
        how much, missing), the other skills they have, and their ratings last confirmed before
        `stale_before`. A person's level in a skill is the highest of their current ratings, as
        matching counts it. Indirect reports are their own managers' teams."""
        boss = await get_or_404(self.session, Employee, team_of(principal, manager_id), "employee")
        query = (
            select(Employee, Role.title)
            .outerjoin(Role, Role.id == Employee.role_id)
            .where(Employee.manager_id == boss.id, Employee.active.is_(True))
        )
        rows, next_cursor = await paginate(self.session, query, Employee.id, cursor, limit)
        people: list[tuple[Employee, str | None]] = [(row[0], row[1]) for row in rows]
        role_ids = {person.role_id for person, _ in people if person.role_id is not None}
        asked: dict[uuid.UUID, list[tuple[uuid.UUID, str, int, Importance]]] = {role: [] for role in role_ids}
        if role_ids:
            for role_id, skill_id, label, target, importance in await self.session.execute(
                select(RoleSkill.role_id, RoleSkill.skill_id, Skill.label, RoleSkill.target_level, RoleSkill.importance)
                .join(Skill, Skill.id == RoleSkill.skill_id)
                .where(RoleSkill.role_id.in_(role_ids))
            ):
                asked[role_id].append((skill_id, label, target, importance))
        ratings: dict[uuid.UUID, list[EmployeeSkillRead]] = {person.id: [] for person, _ in people}
        if people:
            for rating in await self._read(
                self._profile_query()
                .where(EmployeeSkill.employee_id.in_(list(ratings)), EmployeeSkill.valid_to.is_(None))
                .order_by(EmployeeSkill.id)
            ):
                ratings[rating.employee_id].append(rating)
        return [
            _team_member(
                person,
                role_title,
                asked.get(person.role_id, []) if person.role_id else [],
                ratings[person.id],
                stale_before,
            )
            for person, role_title in people
        ], next_cursor

    async def _writable_employee(
        self, principal: Principal, employee_id: uuid.UUID
    ) -> tuple[Employee, frozenset[SkillSource]]:
        """The employee, locked, and the sources whose ratings the caller may write on their profile."""
        # Locking the employee serialises all changes to one profile: two concurrent changes of the
        # same rating would otherwise both find "no current row" and one would fail on the unique index.
        employee = await get_or_404(self.session, Employee, employee_id, "employee", lock=True)
        if not employee.active:
            raise ConflictError("the employee is inactive; their profile is read-only")
        allowed = writable_sources(principal, employee)
        if not allowed:
            raise PermissionDeniedError("only the employee, their manager, HR or a partner app may change this profile")
        return employee, allowed

    async def set_skill(
        self, principal: Principal, employee_id: uuid.UUID, skill_id: uuid.UUID, data: EmployeeSkillSet
    ) -> EmployeeSkillRead:
        """Record the caller's rating of source `data.source` (by default `self` on one's own profile,
        `manager` on a report's). The same level and evidence only re-confirm it; a change supersedes
        that source's current rating, never another source's."""
        employee, allowed = await self._writable_employee(principal, employee_id)
        source = data.source or default_source(principal, employee)
        if source is None:
            raise InvalidInputError("source", "give the rating's source: it is not your own profile or a report's")
        if source not in allowed:
            raise InvalidInputError("source", f"source must be one of {sorted(s.value for s in allowed)} for you")
        if source in _EVIDENCED_SOURCES and data.evidence_url is None and source not in _owned_sources(principal):
            raise InvalidInputError(
                "evidence_url",
                f"a rating of source {source.value} needs evidence_url (the certificate or result), unless the "
                "partner app that owns the source records it",
            )
        return await self._record(
            principal, employee_id, skill_id, source, data.level, data.evidence_url, data.last_confirmed
        )

    async def record_course_result(
        self,
        principal: Principal,
        employee_id: uuid.UUID,
        skill_id: uuid.UUID,
        *,
        level: int,
        evidence_url: str | None,
        completed_on: date,
    ) -> EmployeeSkillRead:
        """A `course` rating from a recorded course completion: the completion of a catalogue course is
        its evidence. The caller must still be one who may write `course` ratings on this profile."""
        _, allowed = await self._writable_employee(principal, employee_id)
        if SkillSource.COURSE not in allowed:
            raise PermissionDeniedError("you may not record course results on this profile")
        return await self._record(
            principal, employee_id, skill_id, SkillSource.COURSE, level, evidence_url, completed_on
        )

    async def _record(
        self,
        principal: Principal,
        employee_id: uuid.UUID,
        skill_id: uuid.UUID,
        source: SkillSource,
        level: int,
        evidence_url: str | None,
        last_confirmed: date | None,
    ) -> EmployeeSkillRead:
        await get_or_404(self.session, Skill, skill_id, "skill")
        confirmed = last_confirmed or date.today()
        if confirmed > date.today():
            raise InvalidInputError("last_confirmed", "last_confirmed cannot be in the future")
        ratings = await self._current(employee_id, skill_id, source)
        current = ratings[0] if ratings else None
        if current is not None and (current.level, current.evidence_url) == (level, evidence_url):
            current.last_confirmed = max(current.last_confirmed, confirmed)
        else:
            # The database's clock, not this host's: validity ranges from several app hosts must line up.
            now = await self.session.scalar(select(func.statement_timestamp()))
            if current is not None:
                _end(current, now, principal)
                await self.session.flush()
            current = EmployeeSkill(
                employee_id=employee_id,
                skill_id=skill_id,
                level=level,
                source=source,
                evidence_url=evidence_url,
                last_confirmed=confirmed,
                recorded_by=principal.subject,
                valid_from=now,
            )
            self.session.add(current)
            await note_change(self.session, "skills.changed")
        await self.session.flush()
        rows = await self._read(self._profile_query().where(EmployeeSkill.id == current.id))
        return rows[0]

    async def remove_skill(
        self, principal: Principal, employee_id: uuid.UUID, skill_id: uuid.UUID, source: SkillSource | None
    ) -> None:
        """End the current rating of `source`, or every current rating of the skill (the caller must
        then be allowed to end each); the history keeps them, with who ended them."""
        _, allowed = await self._writable_employee(principal, employee_id)
        current = await self._current(employee_id, skill_id, source)
        if not current:
            of = f" of source {source.value}" if source is not None else ""
            raise NotFoundError(f"employee {employee_id} has no current rating{of} of skill {skill_id}")
        if refused := sorted({row.source.value for row in current if row.source not in allowed}):
            raise PermissionDeniedError(
                f"you may not end the rating of source {', '.join(refused)}; end only your own with "
                f"?source= (one of {', '.join(sorted(s.value for s in allowed))})"
            )
        now = await self.session.scalar(select(func.statement_timestamp()))
        for row in current:
            _end(row, now, principal)
        await self.session.flush()
        await note_change(self.session, "skills.changed")

    async def _current(
        self, employee_id: uuid.UUID, skill_id: uuid.UUID, source: SkillSource | None
    ) -> list[EmployeeSkill]:
        query = select(EmployeeSkill).where(
            EmployeeSkill.employee_id == employee_id,
            EmployeeSkill.skill_id == skill_id,
            EmployeeSkill.valid_to.is_(None),
        )
        if source is not None:
            query = query.where(EmployeeSkill.source == source)
        return list((await self.session.scalars(query.order_by(EmployeeSkill.source))).all())


def _team_member(
    person: Employee,
    role_title: str | None,
    asked: list[tuple[uuid.UUID, str, int, Importance]],
    ratings: list[EmployeeSkillRead],
    stale_before: date,
) -> TeamMemberSkills:
    levels: dict[uuid.UUID, tuple[str, int]] = {}
    for rating in ratings:
        _, best = levels.get(rating.skill_id, (rating.skill_label, 0))
        levels[rating.skill_id] = (rating.skill_label, max(best, rating.level))
    cells = []
    for skill_id, label, target, importance in sorted(asked, key=lambda a: (_IMPORTANCE_ORDER[a[3]], a[1].casefold())):
        level = levels.get(skill_id, (label, 0))[1]
        status = TeamSkillStatus.MET if level >= target else TeamSkillStatus.BELOW if level else TeamSkillStatus.MISSING
        cells.append(TeamSkillCell(skill_id, label, level, target, importance, status, max(target - level, 0)))
    required = {skill_id for skill_id, *_ in asked}
    others = sorted(
        ((skill_id, label, level) for skill_id, (label, level) in levels.items() if skill_id not in required),
        key=lambda o: o[1].casefold(),
    )
    cells.extend(
        TeamSkillCell(skill_id, label, level, None, None, TeamSkillStatus.NOT_REQUIRED, 0)
        for skill_id, label, level in others
    )
    stale = [
        StaleSkillRead(r.skill_id, r.skill_label, r.level, r.source, r.last_confirmed)
        for r in sorted(ratings, key=lambda r: (r.last_confirmed, r.skill_label.casefold()))
        if r.last_confirmed < stale_before
    ]
    return TeamMemberSkills(person.id, person.full_name, person.title, person.role_id, role_title, cells, stale)


def _end(rating: EmployeeSkill, now: datetime | None, principal: Principal) -> None:
    rating.valid_to = now
    rating.ended_by = principal.actor
