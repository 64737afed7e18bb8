"""Callers as principals, and a tenant's people written straight to its schema (faster than the API
for pools of a hundred people)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from backend.auth.principal import Principal, UserRole, scopes_for
from backend.framework.models import JobFamily, Role
from backend.mentoring.models import (
    MenteeRequest,
    MenteeRequestSkill,
    MentorProfile,
    MentorProfileSkill,
    Pairing,
    PairingObjective,
    PairingRun,
    PairingState,
    Programme,
    ProgrammeKind,
    ProgrammeStatus,
    RunStatus,
)
from backend.mentoring.runs import PairingRunService
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.skills.models import EmployeeSkill, Skill, SkillSource
from tenants.base import new_id
from tenants.sessions import Database, TenantRef


def hr(tenant: TenantRef, employee_id: uuid.UUID | None = None) -> Principal:
    roles = frozenset({UserRole.HR_ADMIN})
    return Principal(tenant, "test:hr", employee_id, roles, scopes_for(roles))


def employee(tenant: TenantRef, employee_id: uuid.UUID) -> Principal:
    roles = frozenset({UserRole.EMPLOYEE})
    return Principal(tenant, f"employee:{employee_id}", employee_id, roles, scopes_for(roles))


@dataclass
class Org:
    """People of one tenant: their manager, department and role, as the checks need them."""

    departments: list[uuid.UUID] = field(default_factory=list)
    people: list[uuid.UUID] = field(default_factory=list)
    manager: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)
    department: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)
    skills: list[uuid.UUID] = field(default_factory=list)
    roles: list[uuid.UUID] = field(default_factory=list)

    def line(self, person: uuid.UUID) -> set[uuid.UUID]:
        above: set[uuid.UUID] = set()
        boss = self.manager[person]
        while boss is not None:
            above.add(boss)
            boss = self.manager[boss]
        return above


async def seed_org(
    database: Database,
    tenant: TenantRef,
    *,
    managers: Sequence[int | None],
    departments: Sequence[int | None],
    levels: dict[tuple[int, int], int],
    skills: int,
    roles: Sequence[int | None] = (),
    tag: str = "",
) -> Org:
    """Employees i (manager index, department index or None), skills 0..skills-1 with their levels
    `levels[(person, skill)]`, and roles; each department has one team below it, where people sit."""
    org = Org()
    async with database.tenant_session(tenant) as session, session.begin():
        teams = []
        for d in range(max((x for x in departments if x is not None), default=-1) + 1):
            dept = OrgUnit(id=new_id(), name=f"Dept {d} {tag}", kind=OrgUnitKind.DEPARTMENT)
            team = OrgUnit(id=new_id(), name=f"Team {d} {tag}", kind=OrgUnitKind.TEAM, parent_id=dept.id)
            session.add_all([dept, team])
            await session.flush()
            org.departments.append(dept.id)
            teams.append(team.id)
        family = JobFamily(name=f"Family {tag}")
        session.add(family)
        await session.flush()
        role_count = max((r for r in roles if r is not None), default=-1) + 1
        for r in range(role_count):
            role = Role(id=new_id(), job_family_id=family.id, title=f"Role {r} {tag}", level=1 + r % 10)
            session.add(role)
            org.roles.append(role.id)
        for s in range(skills):
            skill = Skill(id=new_id(), label=f"Skill {s} {tag}")
            session.add(skill)
            org.skills.append(skill.id)
        await session.flush()
        for i, (boss, dept_index) in enumerate(zip(managers, departments, strict=True)):
            person = new_id()
            boss_id = org.people[boss] if boss is not None else None
            role_index = roles[i] if i < len(roles) else None
            session.add(
                Employee(
                    id=person,
                    email=f"p{i}.{tag}@example.com",
                    full_name=f"Person {i}",
                    manager_id=boss_id,
                    org_unit_id=teams[dept_index] if dept_index is not None else None,
                    role_id=org.roles[role_index] if role_index is not None else None,
                )
            )
            await session.flush()
            org.people.append(person)
            org.manager[person] = boss_id
            org.department[person] = org.departments[dept_index] if dept_index is not None else None
        for (person, skill), level in levels.items():
            session.add(
                EmployeeSkill(
                    employee_id=org.people[person], skill_id=org.skills[skill], level=level, source=SkillSource.SELF
                )
            )
    return org


async def add_mentor(
    database: Database,
    tenant: TenantRef,
    programme_id: uuid.UUID,
    employee_id: uuid.UUID,
    *,
    capacity: int,
    languages: list[str],
    teaches: Sequence[uuid.UUID] = (),
    utc_offset_minutes: int = 0,
) -> uuid.UUID:
    async with database.tenant_session(tenant) as session, session.begin():
        profile = MentorProfile(
            id=new_id(),
            programme_id=programme_id,
            employee_id=employee_id,
            capacity=capacity,
            languages=languages,
            utc_offset_minutes=utc_offset_minutes,
            topics=[],
        )
        session.add(profile)
        await session.flush()
        session.add_all([MentorProfileSkill(profile_id=profile.id, skill_id=s) for s in set(teaches)])
    return profile.id


async def add_mentee(
    database: Database,
    tenant: TenantRef,
    programme_id: uuid.UUID,
    employee_id: uuid.UUID,
    *,
    languages: list[str],
    wants: Sequence[uuid.UUID] = (),
    target_role_id: uuid.UUID | None = None,
    excluded: Sequence[uuid.UUID] = (),
    utc_offset_minutes: int = 0,
) -> uuid.UUID:
    async with database.tenant_session(tenant) as session, session.begin():
        request = MenteeRequest(
            id=new_id(),
            programme_id=programme_id,
            employee_id=employee_id,
            goals="grow",
            languages=languages,
            target_role_id=target_role_id,
            excluded_mentor_ids=list(excluded),
            utc_offset_minutes=utc_offset_minutes,
        )
        session.add(request)
        await session.flush()
        session.add_all([MenteeRequestSkill(request_id=request.id, skill_id=s) for s in set(wants)])
    return request.id


async def add_programme(database: Database, tenant: TenantRef, name: str, status: ProgrammeStatus) -> uuid.UUID:
    """An evergreen programme, as HR left it (`status`)."""
    async with database.tenant_session(tenant) as session, session.begin():
        programme = Programme(
            id=new_id(),
            name=name,
            kind=ProgrammeKind.EVERGREEN,
            status=status,
            objective=PairingObjective.TOTAL_SCORE,
            created_by="test:hr",
        )
        session.add(programme)
    return programme.id


async def add_pairing(
    database: Database,
    tenant: TenantRef,
    programme_id: uuid.UUID,
    *,
    profile_id: uuid.UUID,
    request_id: uuid.UUID,
    state: PairingState,
) -> uuid.UUID:
    """A pair of a mentor's profile and a mentee's request, in a run of its own (published unless the
    pair is only proposed)."""
    async with database.tenant_session(tenant) as session, session.begin():
        profile = await session.get(MentorProfile, profile_id)
        request = await session.get(MenteeRequest, request_id)
        assert profile is not None
        assert request is not None
        published = state != PairingState.PROPOSED
        run = PairingRun(
            id=new_id(),
            programme_id=programme_id,
            status=RunStatus.PUBLISHED if published else RunStatus.PROPOSED,
            objective=PairingObjective.TOTAL_SCORE,
            created_by="test:hr",
        )
        session.add(run)
        await session.flush()
        pairing = Pairing(
            id=new_id(),
            run_id=run.id,
            programme_id=programme_id,
            mentor_profile_id=profile.id,
            mentee_request_id=request.id,
            mentor_employee_id=profile.employee_id,
            mentee_employee_id=request.employee_id,
            state=state,
            score=0.5,
            reasons={"factors": {}, "sentences": []},
        )
        session.add(pairing)
    return pairing.id


async def compute(database: Database, tenant: TenantRef, run_id: uuid.UUID) -> dict[str, object]:
    """What the worker does with a run's job: compute it in one transaction."""
    async with database.tenant_session(tenant) as session, session.begin():
        return await PairingRunService(session).run(run_id)
