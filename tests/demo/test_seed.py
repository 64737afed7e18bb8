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
from backend.demo.content import COMPANY_NAME, COMPANY_SLUG, CURATED_SKILLS, EMAIL_DOMAIN, LOCAL_SKILLS
from backend.demo.seed import DemoTenantNotEmptyError, SeedSummary, seed_demo_company
from backend.framework.models import CareerPath, Role, RoleSkill, TransitionKind
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.skills.models import CatalogConcept, CatalogKind, EmployeeSkill, Skill
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
