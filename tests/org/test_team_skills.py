"""A manager's team matrix (`SkillProfileService.team`, `GET /api/v1/me/team/skills`): a manager reads
their own active direct reports' levels against each report's role, and their stale ratings; never
another manager's team (only HR names another manager); someone who manages nobody gets an empty page;
a partner app has no team."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from backend.auth.principal import Principal, UserRole, scopes_for
from backend.errors import PermissionDeniedError
from backend.org.models import Employee
from backend.org.schemas import TeamMemberSkills, TeamSkillStatus
from backend.org.skill_profiles import SkillProfileService
from backend.skills.models import EmployeeSkill
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.matching.world import World, build_world

API = "/api/v1/me/team/skills"
TODAY = dt.date.today()
STALE_BEFORE = TODAY - dt.timedelta(days=365)


@pytest.fixture
async def team(make_tenant: TenantFactory, database: Database) -> World:
    """The matching world, with Ana (Hm's report) an Analyst (SQL 3, Tableau 3) whose SQL was last
    confirmed two years ago, Dan a Senior Analyst (SQL 4, Python 4, Statistics 3) reporting to Cara,
    and Ben reporting to Hm but gone (inactive)."""
    tenant = make_tenant(f"team_{secrets.token_hex(3)}")
    world = await build_world(database, tenant)
    people, roles = world.people, world.roles
    async with database.tenant_session(tenant) as session, session.begin():
        await session.execute(update(Employee).where(Employee.id == people["ana"]).values(role_id=roles["Analyst"]))
        await session.execute(
            update(Employee)
            .where(Employee.id == people["dan"])
            .values(role_id=roles["Senior Analyst"], manager_id=people["cara"])
        )
        await session.execute(
            update(Employee).where(Employee.id == people["ben"]).values(manager_id=people["hm"], active=False)
        )
        await session.execute(
            update(EmployeeSkill)
            .where(EmployeeSkill.employee_id == people["ana"], EmployeeSkill.skill_id == world.skills["SQL"])
            .values(last_confirmed=TODAY - dt.timedelta(days=730))
        )
    return world


def person(
    tenant: TenantRef, employee_id: uuid.UUID | None, *roles: UserRole, client_id: str | None = None
) -> Principal:
    held = frozenset(roles)
    subject = f"partner:{client_id}" if client_id else f"employee:{employee_id}"
    return Principal(tenant, subject, employee_id, held, scopes_for(held), client_id)


async def read_team(
    database: Database, world: World, principal: Principal, manager_id: uuid.UUID | None = None
) -> list[TeamMemberSkills]:
    async with database.tenant_session(world.tenant) as session, session.begin():
        items, next_cursor = await SkillProfileService(session).team(principal, manager_id, STALE_BEFORE, None, 50)
    assert next_cursor is None
    return items


def cells(member: TeamMemberSkills) -> dict[str, tuple[int, int | None, TeamSkillStatus, int]]:
    return {c.label: (c.level, c.required_level, c.status, c.gap) for c in member.skills}


async def test_a_manager_reads_their_reports_against_their_roles_and_their_stale_skills(
    team: World, database: Database
) -> None:
    hm = person(team.tenant, team.people["hm"], UserRole.EMPLOYEE, UserRole.MANAGER)
    [ana] = await read_team(database, team, hm)
    assert (ana.full_name, ana.role_title) == ("Ana", "Analyst")
    assert cells(ana) == {
        "SQL": (4, 3, TeamSkillStatus.MET, 0),
        "Tableau": (2, 3, TeamSkillStatus.BELOW, 1),
        "Python": (3, None, TeamSkillStatus.NOT_REQUIRED, 0),
    }
    # The role's skills first, then the others she has.
    assert [c.label for c in ana.skills] == ["SQL", "Tableau", "Python"]
    assert [(s.label, s.level, s.last_confirmed) for s in ana.stale] == [("SQL", 4, TODAY - dt.timedelta(days=730))]

    cara = person(team.tenant, team.people["cara"], UserRole.EMPLOYEE)
    [dan] = await read_team(database, team, cara)
    assert cells(dan) == {
        "SQL": (3, 4, TeamSkillStatus.BELOW, 1),
        "Python": (4, 4, TeamSkillStatus.MET, 0),
        "Statistics": (0, 3, TeamSkillStatus.MISSING, 3),
    }
    assert dan.stale == []


async def test_nobody_but_hr_reads_another_managers_team(team: World, database: Database) -> None:
    people = team.people
    hm = person(team.tenant, people["hm"], UserRole.EMPLOYEE, UserRole.MANAGER)
    cara = person(team.tenant, people["cara"], UserRole.EMPLOYEE, UserRole.MANAGER)
    # Cara's team is Dan, not Ana; she may not ask for Hm's, nor Hm for hers.
    assert [m.full_name for m in await read_team(database, team, cara)] == ["Dan"]
    with pytest.raises(PermissionDeniedError):
        await read_team(database, team, cara, people["hm"])
    with pytest.raises(PermissionDeniedError):
        await read_team(database, team, hm, people["cara"])
    # Asking for one's own team by name is one's own team.
    assert [m.full_name for m in await read_team(database, team, hm, people["hm"])] == ["Ana"]
    # HR reads any manager's team, as the API lets HR read anyone's skills...
    hr = person(team.tenant, None, UserRole.HR_ADMIN)
    assert [m.full_name for m in await read_team(database, team, hr, people["cara"])] == ["Dan"]
    assert [m.full_name for m in await read_team(database, team, hr, people["hm"])] == ["Ana"]
    # ...but has no team of its own without being an employee.
    with pytest.raises(PermissionDeniedError):
        await read_team(database, team, hr)
    # A partner app reads profiles one by one; it has no team and may not name one.
    lms = person(team.tenant, None, client_id="lms")
    for manager_id in (None, people["hm"]):
        with pytest.raises(PermissionDeniedError):
            await read_team(database, team, lms, manager_id)


async def test_the_api_serves_the_callers_own_team_and_an_empty_page_to_someone_who_manages_nobody(
    team: World, client: AsyncTestClient[Litestar], auth: TokenFactory
) -> None:
    people = team.people

    async def items(*roles: UserRole, employee_id: uuid.UUID) -> list[dict[str, Any]]:
        response = await client.get(API, headers=auth(team.tenant, *roles, employee_id=employee_id))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["cursor"] is None
        return list(body["items"])

    [ana] = await items(UserRole.MANAGER, employee_id=people["hm"])
    assert ana["employee_id"] == str(people["ana"])
    assert [(c["label"], c["status"], c["gap"]) for c in ana["skills"]] == [
        ("SQL", "met", 0),
        ("Tableau", "below", 1),
        ("Python", "not_required", 0),
    ]
    assert [s["label"] for s in ana["stale"]] == ["SQL"]
    # Dan manages nobody.
    assert await items(UserRole.EMPLOYEE, employee_id=people["dan"]) == []
    [dan] = await items(UserRole.EMPLOYEE, employee_id=people["cara"])
    assert dan["full_name"] == "Dan"
    # A page at a time.
    response = await client.get(f"{API}?limit=0", headers=auth(team.tenant, UserRole.MANAGER, employee_id=people["hm"]))
    assert response.status_code == 400
