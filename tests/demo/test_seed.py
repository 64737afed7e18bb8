"""The demo company, seeded into fresh tenants of a throwaway database on the local Postgres.

Self-contained on purpose (no conftest): it creates its own database and roles and drops them after.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.engine import URL

from backend.aspirations.models import Aspiration, AspirationRole, AspirationSkill, OpenToMove
from backend.demo.activity import ActivitySummary, compute_recommendations, featured_people, seed_demo_activity
from backend.demo.content import COMPANY_NAME, COMPANY_SLUG, CURATED_SKILLS, DEPARTMENTS, EMAIL_DOMAIN, LOCAL_SKILLS
from backend.demo.idp import HR_GROUP, groups_of
from backend.demo.seed import DemoTenantNotEmptyError, SeedSummary, seed_demo_company
from backend.framework.models import CareerPath, Role, RoleSkill, TransitionKind
from backend.marketplace.models import (
    Application,
    ApplicationStage,
    ManagerRelease,
    Move,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    ReleaseStatus,
)
from backend.matching.models import OpportunityCandidate, OpportunityRecommendation
from backend.mentoring.models import Pairing, PairingRun, PairingState, RunStatus
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.skills.models import CatalogConcept, CatalogKind, EmployeeSkill, Skill
from backend.training.models import Course, CourseSkill
from tenants.base import new_id
from tenants.migrator import upgrade_control
from tenants.provisioning import RoleNames, create_tenant, ensure_platform_roles
from tenants.sessions import Database, TenantRef

HOST = "127.0.0.1"
PORT = 5432
AS_OF = date(2026, 11, 24)
SQL_URI = next(s.uri for s in CURATED_SKILLS if s.label == "SQL")
SQL_DESCRIPTION = "The computer language SQL is a query language for retrieval of information from a database."


@dataclass
class Seeded:
    database: Database
    tenant: TenantRef
    twin: TenantRef
    summary: SeedSummary
    seconds: float


def _owner_url(database: str) -> URL:
    return URL.create("postgresql+psycopg", username="postgres", host=HOST, port=PORT, database=database)


@pytest.fixture(scope="module")
def placement() -> Iterator[tuple[str, Engine]]:
    name = f"cw_demo_{uuid.uuid4().hex[:12]}"
    prefix = f"{name}_"
    server = create_engine(_owner_url("postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(_owner_url(name))
    try:
        yield name, engine
    finally:
        engine.dispose()
        with server.connect() as connection:
            roles = list(
                connection.execute(
                    text("SELECT rolname FROM pg_roles WHERE starts_with(rolname, :prefix) ORDER BY rolname"),
                    {"prefix": prefix},
                ).scalars()
            )
        quoted = ", ".join(f'"{role}"' for role in roles)
        if roles:
            # DROP OWNED acts on the current database only, so it runs inside the one being dropped.
            doomed = create_engine(_owner_url(name), isolation_level="AUTOCOMMIT")
            with doomed.connect() as connection:
                connection.execute(text(f"DROP OWNED BY {quoted}"))
            doomed.dispose()
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in roles:
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        server.dispose()


def _load_catalog_sample(engine: Engine) -> None:
    """One catalogue concept, so the seed's catalogue lookup has something to find."""
    with engine.begin() as connection:
        connection.execute(
            insert(CatalogConcept).values(
                id=new_id(),
                kind=CatalogKind.SKILL,
                uri=SQL_URI,
                label="SQL",
                alt_labels=["SEQUEL", "Structured Query Language"],
                description=SQL_DESCRIPTION,
                search_text="sql | sequel | structured query language",
            )
        )


@pytest.fixture(scope="module")
async def seeded(placement: tuple[str, Engine]) -> AsyncIterator[Seeded]:
    name, engine = placement
    roles = RoleNames(prefix=f"{name}_")
    upgrade_control(engine)
    ensure_platform_roles(engine, roles)
    _load_catalog_sample(engine)
    tenant = create_tenant(engine, roles, COMPANY_SLUG, COMPANY_NAME)
    twin = create_tenant(engine, roles, f"{COMPANY_SLUG}_twin", COMPANY_NAME)
    database = Database(
        URL.create("postgresql+asyncpg", username=roles.app, host=HOST, port=PORT, database=name), pool_size=2
    )
    try:
        async with database.tenant_session(tenant) as session:
            started = time.perf_counter()
            summary = await seed_demo_company(session, as_of=AS_OF)
            await session.commit()
            seconds = time.perf_counter() - started
        async with database.tenant_session(twin) as session:
            await seed_demo_company(session, as_of=AS_OF)
            await session.commit()
        print(f"\nseed_demo_company: {summary} in {seconds:.3f} s")
        yield Seeded(database, tenant, twin, summary, seconds)
    finally:
        await database.dispose()


async def _all(seeded: Seeded, query: Any, tenant: TenantRef | None = None) -> list[Any]:
    async with seeded.database.tenant_session(tenant or seeded.tenant) as session:
        return list((await session.execute(query)).all())


async def test_seeds_a_company_of_the_asked_size_quickly(seeded: Seeded) -> None:
    summary = seeded.summary
    assert summary.employees == 300
    assert (await _all(seeded, select(func.count()).select_from(Employee)))[0][0] == 300
    assert summary.org_units == (await _all(seeded, select(func.count()).select_from(OrgUnit)))[0][0]
    assert summary.roles >= 24
    assert summary.career_paths >= summary.roles
    assert summary.skills == len(CURATED_SKILLS) + len(LOCAL_SKILLS)
    assert summary.employee_skills == (await _all(seeded, select(func.count()).select_from(EmployeeSkill)))[0][0]
    assert seeded.seconds < 2.0


async def test_org_has_divisions_departments_and_teams(seeded: Seeded) -> None:
    units = await _all(seeded, select(OrgUnit.id, OrgUnit.kind, OrgUnit.parent_id))
    kinds = {unit_id: kind for unit_id, kind, _ in units}
    counts = Counter(kinds.values())
    assert counts[OrgUnitKind.DIVISION] >= 1
    assert counts[OrgUnitKind.DEPARTMENT] >= 7
    assert counts[OrgUnitKind.TEAM] >= 15
    for _, kind, parent_id in units:
        if kind is OrgUnitKind.TEAM:
            assert kinds[parent_id] is OrgUnitKind.DEPARTMENT
        if kind is OrgUnitKind.DIVISION:
            assert parent_id is None


async def test_everyone_but_the_ceo_reports_to_an_active_manager_without_cycles(seeded: Seeded) -> None:
    people = await _all(seeded, select(Employee.id, Employee.manager_id, Employee.active, Employee.title))
    by_id = {person_id: (manager_id, active, title) for person_id, manager_id, active, title in people}
    tops = [person_id for person_id, (manager_id, _, _) in by_id.items() if manager_id is None]
    assert len(tops) == 1
    assert by_id[tops[0]][2] == "Chief Executive Officer"
    for person_id, (manager_id, _, _) in by_id.items():
        if person_id == tops[0]:
            continue
        assert manager_id in by_id
        assert by_id[manager_id][1], "a manager in the chain has left"
        seen = {person_id}
        while manager_id is not None:
            assert manager_id not in seen, "management cycle"
            seen.add(manager_id)
            manager_id = by_id[manager_id][0]
    inactive = sum(1 for _, active, _ in by_id.values() if not active)
    assert 3 <= inactive <= 15


async def test_employees_look_like_people(seeded: Seeded) -> None:
    people = await _all(
        seeded,
        select(
            Employee.email, Employee.full_name, Employee.title, Employee.role_id, Employee.location, Employee.start_date
        ),
    )
    emails = [email for email, *_ in people]
    assert len({e.lower() for e in emails}) == len(emails)
    pattern = re.compile(rf"[a-z0-9-]+\.[a-z0-9-]+@{re.escape(EMAIL_DOMAIN)}")
    assert all(pattern.fullmatch(email) for email in emails)
    assert all(role_id is not None and title for _, _, title, role_id, _, _ in people)
    assert len({location for *_, location, _ in people}) >= 5
    starts = [start for *_, start in people]
    assert min(starts) >= date(AS_OF.year - 10, 1, 1)
    assert max(starts) <= AS_OF
    assert (max(starts) - min(starts)).days > 8 * 365


async def test_every_role_has_required_skills(seeded: Seeded) -> None:
    role_ids = [role_id for (role_id,) in await _all(seeded, select(Role.id))]
    requirements = await _all(seeded, select(RoleSkill.role_id, RoleSkill.target_level))
    per_role = Counter(role_id for role_id, _ in requirements)
    assert all(4 <= per_role[role_id] <= 8 for role_id in role_ids)
    assert all(1 <= target <= 5 for _, target in requirements)


async def test_career_paths_connect_roles(seeded: Seeded) -> None:
    roles = {role_id: level for role_id, level in await _all(seeded, select(Role.id, Role.level))}
    paths = await _all(seeded, select(CareerPath.from_role_id, CareerPath.to_role_id, CareerPath.kind))
    neighbours: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for source, target, kind in paths:
        neighbours[source].add(target)
        neighbours[target].add(source)
        if kind is TransitionKind.PROMOTION:
            assert roles[target] > roles[source]
    assert {kind for *_, kind in paths} == set(TransitionKind)
    start = next(iter(roles))
    reached, frontier = {start}, [start]
    while frontier:
        for nxt in neighbours[frontier.pop()] - reached:
            reached.add(nxt)
            frontier.append(nxt)
    assert reached == set(roles), "some roles are islands no career path reaches"


async def test_employee_skills_are_sane_and_keep_history(seeded: Seeded) -> None:
    rows = await _all(
        seeded,
        select(
            EmployeeSkill.employee_id,
            EmployeeSkill.skill_id,
            EmployeeSkill.level,
            EmployeeSkill.valid_from,
            EmployeeSkill.valid_to,
            EmployeeSkill.last_confirmed,
        ),
    )
    assert all(1 <= level <= 5 for _, _, level, *_ in rows)
    current = Counter((employee, skill) for employee, skill, _, _, valid_to, _ in rows if valid_to is None)
    assert max(current.values()) == 1
    per_employee = Counter(employee for employee, _ in current)
    assert len(per_employee) == 300
    assert all(4 <= n <= 10 for n in per_employee.values())
    superseded = [row for row in rows if row[4] is not None]
    assert 0.15 <= len(superseded) / len(current) <= 0.3
    assert all(valid_to >= valid_from for _, _, _, valid_from, valid_to, _ in superseded)
    assert all(confirmed <= AS_OF for *_, confirmed in rows)
    assert min(confirmed for *_, valid_to, confirmed in rows if valid_to is None) >= date(AS_OF.year - 2, 1, 1)


async def test_skill_library_adopts_the_catalogue_and_adds_own_skills(seeded: Seeded) -> None:
    skills = await _all(seeded, select(Skill.label, Skill.catalog_uri, Skill.description, Skill.alt_labels))
    uris = {uri for _, uri, _, _ in skills if uri is not None}
    assert uris == {s.uri for s in CURATED_SKILLS}
    assert all(uri.startswith("http://data.europa.eu/esco/skill/") for uri in uris)
    assert sum(1 for _, uri, _, _ in skills if uri is None) >= 2
    sql = next(row for row in skills if row[1] == SQL_URI)
    assert sql[2] == SQL_DESCRIPTION
    assert "Structured Query Language" in sql[3]


async def test_aspirations_aim_at_reachable_roles(seeded: Seeded) -> None:
    roles_of = dict(await _all(seeded, select(Employee.id, Employee.role_id)))
    steps: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for source, target in await _all(seeded, select(CareerPath.from_role_id, CareerPath.to_role_id)):
        steps[source].add(target)
    aspirations = await _all(seeded, select(Aspiration.employee_id, Aspiration.open_to_move))
    assert 0.3 <= len(aspirations) / 300 <= 0.5
    assert {visibility for _, visibility in aspirations} == set(OpenToMove)
    targets: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for employee_id, role_id in await _all(seeded, select(AspirationRole.employee_id, AspirationRole.role_id)):
        targets[employee_id].append(role_id)
    grow = Counter(employee for (employee,) in await _all(seeded, select(AspirationSkill.employee_id)))
    for employee_id, _ in aspirations:
        assert 1 <= len(targets[employee_id]) <= 2
        assert 1 <= grow[employee_id] <= 3
        reachable: set[uuid.UUID] = set()
        frontier = [roles_of[employee_id]]
        while frontier:
            for nxt in steps[frontier.pop()] - reachable:
                reachable.add(nxt)
                frontier.append(nxt)
        assert set(targets[employee_id]) <= reachable


async def test_the_same_seed_gives_the_same_company(seeded: Seeded) -> None:
    query = (
        select(Employee.email, Skill.label, EmployeeSkill.level, EmployeeSkill.valid_to.is_(None))
        .join(EmployeeSkill, EmployeeSkill.employee_id == Employee.id)
        .join(Skill, Skill.id == EmployeeSkill.skill_id)
        .order_by(Employee.email, Skill.label, EmployeeSkill.valid_from)
    )
    first = await _all(seeded, query)
    second = await _all(seeded, query, seeded.twin)
    assert first == second
    emails = select(Employee.email).order_by(Employee.external_id)
    assert await _all(seeded, emails) == await _all(seeded, emails, seeded.twin)


async def test_refuses_a_tenant_that_already_has_data(seeded: Seeded) -> None:
    async with seeded.database.tenant_session(seeded.tenant) as session:
        with pytest.raises(DemoTenantNotEmptyError):
            await seed_demo_company(session, as_of=AS_OF)


# --- the demo at work: activity through the services, and recommendations before the run is ready ---

# The people the README's Quick start names, and the roles the demo's identity provider gives them.
README_EMPLOYEE = "aarav.kumar@northwind.example"
README_MANAGER = "aarav.gonzalez@northwind.example"
README_HR_ADMIN = "agnieszka.dudek@northwind.example"


@dataclass
class Alive:
    database: Database
    tenant: TenantRef
    activity: ActivitySummary
    seconds: float


@pytest.fixture(scope="module")
async def alive(placement: tuple[str, Engine], seeded: Seeded) -> Alive:
    """A third tenant seeded as the run seeds it (bootstrap's order): the company, its activity, then
    the recommendations, each part committed as the run commits it."""
    name, engine = placement
    tenant = create_tenant(engine, RoleNames(prefix=f"{name}_"), f"{COMPANY_SLUG}_alive", COMPANY_NAME)
    started = time.perf_counter()
    async with seeded.database.tenant_session(tenant) as session:
        await seed_demo_company(session)
        activity = await seed_demo_activity(session, tenant)
        await session.commit()
    async with seeded.database.tenant_session(tenant) as session:
        await compute_recommendations(session)
        await session.commit()
    seconds = time.perf_counter() - started
    print(f"\nseed_demo_company + seed_demo_activity + compute_recommendations: {activity} in {seconds:.3f} s")
    return Alive(seeded.database, tenant, activity, seconds)


async def _rows(alive: Alive, query: Any) -> list[Any]:
    async with alive.database.tenant_session(alive.tenant) as session:
        return list((await session.execute(query)).all())


async def test_open_roles_gigs_and_projects_in_every_department(alive: Alive) -> None:
    rows = await _rows(
        alive,
        select(Opportunity.kind, OrgUnit.parent_id)
        .join(OrgUnit, OrgUnit.id == Opportunity.org_unit_id)
        .where(Opportunity.status == OpportunityStatus.OPEN),
    )
    by_kind = Counter(kind for kind, _ in rows)
    assert by_kind[OpportunityKind.ROLE] >= 2 * len(DEPARTMENTS)
    assert by_kind[OpportunityKind.GIG] == len(DEPARTMENTS)
    assert by_kind[OpportunityKind.PROJECT] == len(DEPARTMENTS)
    departments = {parent for _, parent in rows}
    assert len(departments) == len(DEPARTMENTS)
    kinds_per_department = defaultdict(set)
    for kind, parent in rows:
        kinds_per_department[parent].add(kind)
    assert all(len(kinds) == 3 for kinds in kinds_per_department.values())
    assert alive.seconds < 30


async def test_a_course_catalogue_covers_the_skills_roles_require(alive: Alive) -> None:
    courses = (await _rows(alive, select(func.count()).select_from(Course).where(Course.active)))[0][0]
    assert courses == alive.activity.courses >= 50
    required = {row[0] for row in await _rows(alive, select(RoleSkill.skill_id).distinct())}
    taught = {row[0] for row in await _rows(alive, select(CourseSkill.skill_id).distinct())}
    assert required <= taught


async def test_the_mentoring_programme_has_a_published_pairing_run(alive: Alive) -> None:
    runs = await _rows(alive, select(PairingRun.status, PairingRun.matched))
    assert [status for status, _ in runs] == [RunStatus.PUBLISHED]
    published = await _rows(
        alive, select(func.count()).select_from(Pairing).where(Pairing.state == PairingState.PUBLISHED)
    )
    assert published[0][0] == runs[0][1] == alive.activity.pairings >= 10


async def test_past_moves_span_two_years(alive: Alive) -> None:
    moves = await _rows(alive, select(Move.effective_on, Move.from_role_id, Move.to_role_id, Move.employee_id))
    assert len(moves) >= 30
    days = sorted(effective for effective, *_ in moves)
    today = date.today()
    assert (today - days[0]).days >= 540
    assert (today - days[-1]).days <= 60
    assert all(from_role != to_role for _, from_role, to_role, _ in moves)
    current = dict(await _rows(alive, select(Employee.id, Employee.role_id)))
    # The moves led to where people are now.
    assert all(current[employee] == to_role for *_, to_role, employee in moves)


async def test_applications_at_every_live_stage_and_a_release_waiting(alive: Alive) -> None:
    stages = Counter(row[0] for row in await _rows(alive, select(Application.stage)))
    for stage in (
        ApplicationStage.INTERESTED,
        ApplicationStage.APPLIED,
        ApplicationStage.SCREENING,
        ApplicationStage.INTERVIEW,
        ApplicationStage.OFFER,
        ApplicationStage.REJECTED,
        ApplicationStage.HIRED,
    ):
        assert stages[stage] >= 1, stage
    releases = await _rows(alive, select(ManagerRelease.status))
    assert ReleaseStatus.PENDING in {status for (status,) in releases}


async def test_recommendations_and_candidate_lists_are_there_when_seeding_returns(alive: Alive) -> None:
    recommended = await _rows(alive, select(func.count(func.distinct(OpportunityRecommendation.employee_id))))
    employees = await _rows(alive, select(func.count()).select_from(Employee).where(Employee.active))
    assert recommended[0][0] >= employees[0][0] // 2
    openings = await _rows(alive, select(func.count(func.distinct(OpportunityCandidate.opportunity_id))))
    assert openings[0][0] == alive.activity.openings


async def test_the_people_the_readme_names_have_their_pages_data(alive: Alive) -> None:
    async with alive.database.tenant_session(alive.tenant) as session:
        featured = await featured_people(session)
    assert (featured.employee, featured.manager, featured.hr) == (README_EMPLOYEE, README_MANAGER, README_HR_ADMIN)
    people = {
        email: (person_id, unit)
        for email, person_id, unit in await _rows(
            alive, select(Employee.email, Employee.id, OrgUnit.name).join(OrgUnit, OrgUnit.id == Employee.org_unit_id)
        )
    }
    employee, _ = people[README_EMPLOYEE]
    manager, _ = people[README_MANAGER]
    _, hr_unit = people[README_HR_ADMIN]
    assert groups_of(False, hr_unit) == [HR_GROUP]
    reports = await _rows(alive, select(Employee.id).where(Employee.manager_id == manager, Employee.active))
    assert reports
    mine = await _rows(alive, select(Application.stage).where(Application.employee_id == employee))
    assert {stage for (stage,) in mine} >= {ApplicationStage.INTERVIEW, ApplicationStage.INTERESTED}
    recommendations = await _rows(
        alive, select(OpportunityRecommendation.rank).where(OpportunityRecommendation.employee_id == employee)
    )
    assert len(recommendations) >= 3
    pending = await _rows(
        alive,
        select(ManagerRelease.id).where(
            ManagerRelease.manager_id == manager, ManagerRelease.status == ReleaseStatus.PENDING
        ),
    )
    assert len(pending) == 1
    # The employee's Mentoring page shows a pairing; the manager's My openings an opening with applicants.
    paired = await _rows(
        alive,
        select(Pairing.id).where(Pairing.mentee_employee_id == employee, Pairing.state == PairingState.PUBLISHED),
    )
    assert len(paired) == 1
    applicants = await _rows(
        alive,
        select(func.count(Application.id))
        .join(Opportunity, Opportunity.id == Application.opportunity_id)
        .where(Opportunity.hiring_manager_id == manager),
    )
    assert applicants[0][0] >= 1
