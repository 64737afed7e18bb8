"""Fills an empty tenant with Northwind Logistics, the demo client company of the one-command local run.

The company is generated from `backend.demo.content` with a seeded `random.Random`: the same `seed`
and `as_of` give the same people, skills and aspirations on every run (only the row ids differ, as
they are UUIDv7s). Everything is built in memory first and written with one bulk INSERT per table.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.aspirations.models import Aspiration, AspirationRole, AspirationSkill, OpenToMove
from backend.demo.content import (
    CAREER_PATHS,
    CEO,
    COO,
    CURATED_SKILLS,
    DEPARTMENTS,
    EMAIL_DOMAIN,
    EXECUTIVE_OFFICE,
    GENERIC_SKILLS,
    HEAD_OF_DEPARTMENT,
    HEADQUARTERS,
    JOB_FAMILIES,
    LOCAL_SKILLS,
    NAME_POOLS,
    PROJECTS,
    SKILL_CATEGORIES,
    DepartmentSpec,
    FamilySpec,
    RoleSpec,
    TeamSpec,
)
from backend.framework.models import CareerPath, Importance, JobFamily, Role, RoleSkill
from backend.marketplace.models import (
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStage,
    Move,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    ReleaseOutcome,
)
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.skills.models import CatalogConcept, CatalogKind, EmployeeSkill, Skill, SkillCategory, SkillSource
from tenants.base import TenantBase, new_id

Row = dict[str, Any]
T = TypeVar("T")

INACTIVE_SHARE = 0.03
ASPIRATION_SHARE = 0.40
HISTORY_SHARE = 0.22  # a little above the ~20% wanted: recent joiners have no room for an older version
SKILL_HISTORY_DAYS = 730
# Past moves into a person's current role, over the last two years (the marketplace's history).
MOVE_SHARE = 0.18
MOVE_HISTORY_DAYS = 730
HISTORY_SUBJECT = "demo:history"

# Parents before children, referenced rows before referencing ones.
_INSERT_ORDER: tuple[type[TenantBase], ...] = (
    SkillCategory,
    Skill,
    JobFamily,
    Role,
    RoleSkill,
    CareerPath,
    OrgUnit,
    Employee,
    EmployeeSkill,
    Aspiration,
    AspirationRole,
    AspirationSkill,
    Opportunity,
    Application,
    ApplicationEvent,
    Move,
)

_SOURCES: tuple[tuple[SkillSource, int], ...] = (
    (SkillSource.SELF, 46),
    (SkillSource.MANAGER, 30),
    (SkillSource.PEER, 4),
    (SkillSource.ASSESSMENT, 8),
    (SkillSource.COURSE, 7),
    (SkillSource.PROJECT, 5),
)
_OPEN_TO_MOVE: tuple[tuple[OpenToMove, int], ...] = (
    (OpenToMove.HIDDEN, 40),
    (OpenToMove.HR_ONLY, 35),
    (OpenToMove.HIRING_MANAGERS, 25),
)
# How far a person's level sits from what their role asks for.
_LEVEL_OFFSETS: tuple[tuple[int, int], ...] = ((-2, 3), (-1, 20), (0, 50), (1, 22), (2, 5))
# Skills beyond the role's requirements are mostly at working level.
_EXTRA_LEVELS: tuple[tuple[int, int], ...] = ((1, 20), (2, 35), (3, 28), (4, 13), (5, 4))
_IMPORTANCE_RANK = {Importance.ESSENTIAL: 0, Importance.IMPORTANT: 1, Importance.NICE_TO_HAVE: 2}
_KEEP_REQUIREMENT = {Importance.ESSENTIAL: 1.0, Importance.IMPORTANT: 0.85, Importance.NICE_TO_HAVE: 0.5}
# Letters that Unicode decomposition leaves alone but an email address cannot hold.
_ASCII_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "\u0131": "i", "ß": "ss", "æ": "ae", "Æ": "AE"}
)


@dataclass(frozen=True)
class SeedSummary:
    org_units: int
    employees: int
    skills: int
    roles: int
    career_paths: int
    employee_skills: int  # every version row, superseded ones included
    moves: int


@dataclass(frozen=True)
class CatalogEntry:
    label: str
    alt_labels: tuple[str, ...]
    description: str


class DemoTenantNotEmptyError(RuntimeError):
    pass


async def seed_demo_company(
    session: AsyncSession, *, employees: int = 300, seed: int = 42, as_of: date | None = None
) -> SeedSummary:
    """Write the demo company into the tenant the session is pinned to; the caller commits.

    `as_of` is the day the data is "current" on (default today): start dates, confirmations and skill
    history are placed relative to it, so the demo never looks stale and a test can pin it.
    """
    if await _tenant_has_data(session):
        raise DemoTenantNotEmptyError("the demo company is seeded into an empty tenant only")
    catalog = await _catalog_entries(session, [skill.uri for skill in CURATED_SKILLS])
    tables = build_demo_company(employees=employees, seed=seed, as_of=as_of or date.today(), catalog=catalog)
    for model in _INSERT_ORDER:
        if tables[model]:
            # Without render_nulls the ORM leaves out None values, so rows with and without, say, an
            # evidence URL differ in shape and each run of equal shapes becomes its own INSERT.
            await session.execute(insert(model).execution_options(render_nulls=True), tables[model])
    return SeedSummary(
        org_units=len(tables[OrgUnit]),
        employees=len(tables[Employee]),
        skills=len(tables[Skill]),
        roles=len(tables[Role]),
        career_paths=len(tables[CareerPath]),
        employee_skills=len(tables[EmployeeSkill]),
        moves=len(tables[Move]),
    )


async def _tenant_has_data(session: AsyncSession) -> bool:
    query = select(or_(select(Employee.id).exists(), select(Role.id).exists(), select(Skill.id).exists()))
    return bool(await session.scalar(query))


async def _catalog_entries(session: AsyncSession, uris: Sequence[str]) -> dict[str, CatalogEntry]:
    rows = await session.execute(
        select(CatalogConcept.uri, CatalogConcept.label, CatalogConcept.alt_labels, CatalogConcept.description).where(
            CatalogConcept.uri.in_(uris), CatalogConcept.kind == CatalogKind.SKILL
        )
    )
    return {
        uri: CatalogEntry(label, tuple(alt_labels or ()), description or "")
        for uri, label, alt_labels, description in rows
    }


def build_demo_company(
    *, employees: int, seed: int, as_of: date, catalog: dict[str, CatalogEntry] | None = None
) -> dict[type[TenantBase], list[Row]]:
    """The rows of every table, in memory; no database needed."""
    # Reproducible demo data, not secrets: a seeded PRNG is the point.
    builder = _Builder(random.Random(seed), as_of, catalog or {})  # noqa: S311
    builder.add_skills()
    builder.add_framework()
    builder.add_people(employees)
    builder.add_employee_skills()
    builder.add_aspirations()
    builder.add_past_moves()
    return builder.tables


@dataclass(eq=False)
class _Person:
    id: uuid.UUID
    email: str
    role: RoleSpec
    family: FamilySpec
    manager: _Person | None
    start_date: date
    location: str
    org_unit_id: uuid.UUID | None = None
    team: list[_Person] = field(default_factory=list)  # shared by everyone in the team, manager included
    active: bool = True
    levels: dict[str, int] = field(default_factory=dict)  # current skill levels by label


class _Builder:
    def __init__(self, rng: random.Random, as_of: date, catalog: dict[str, CatalogEntry]) -> None:
        self.rng = rng
        self.as_of = as_of
        self.catalog = catalog
        self.tables: dict[type[TenantBase], list[Row]] = {model: [] for model in _INSERT_ORDER}
        self.skill_ids: dict[str, uuid.UUID] = {}
        self.role_ids: dict[str, uuid.UUID] = {}
        self.roles: dict[str, RoleSpec] = {}
        self.families: dict[str, FamilySpec] = {}
        self.family_of_role: dict[str, FamilySpec] = {}
        self.next_roles: dict[str, list[str]] = {}
        self.people: list[_Person] = []
        self.emails: set[str] = set()  # only ever tested for membership, so set order cannot leak in

    # --- skills and role framework ---

    def add_skills(self) -> None:
        category_ids: dict[str, uuid.UUID] = {}
        for name, description in SKILL_CATEGORIES:
            category_ids[name] = new_id()
            self.tables[SkillCategory].append({"id": category_ids[name], "name": name, "description": description})
        for curated in CURATED_SKILLS:
            entry = self.catalog.get(curated.uri)
            self._add_skill(
                curated.label,
                category_ids[curated.category],
                catalog_uri=curated.uri,
                alt_labels=_alt_labels(curated.label, entry),
                description=(entry.description or None) if entry else None,
            )
        for local in LOCAL_SKILLS:
            self._add_skill(
                local.label,
                category_ids[local.category],
                catalog_uri=None,
                alt_labels=list(local.alt_labels),
                description=local.description,
            )

    def _add_skill(
        self,
        label: str,
        category_id: uuid.UUID,
        *,
        catalog_uri: str | None,
        alt_labels: list[str],
        description: str | None,
    ) -> None:
        if label in self.skill_ids:
            raise ValueError(f"demo content lists the skill {label!r} twice")
        self.skill_ids[label] = new_id()
        self.tables[Skill].append(
            {
                "id": self.skill_ids[label],
                "label": label,
                "alt_labels": alt_labels,
                "description": description,
                "category_id": category_id,
                "catalog_uri": catalog_uri,
            }
        )

    def _skill_id(self, label: str) -> uuid.UUID:
        try:
            return self.skill_ids[label]
        except KeyError:
            raise ValueError(f"demo content names the unknown skill {label!r}") from None

    def add_framework(self) -> None:
        for family in JOB_FAMILIES:
            family_id = new_id()
            self.families[family.name] = family
            self.tables[JobFamily].append({"id": family_id, "name": family.name, "description": family.description})
            for label in family.related:
                self._skill_id(label)
            for role in family.roles:
                if role.title in self.roles:
                    raise ValueError(f"demo content lists the role {role.title!r} twice")
                self.roles[role.title] = role
                self.family_of_role[role.title] = family
                self.role_ids[role.title] = new_id()
                self.tables[Role].append(
                    {
                        "id": self.role_ids[role.title],
                        "job_family_id": family_id,
                        "title": role.title,
                        "level": role.level,
                        "description": role.description,
                    }
                )
                for requirement in role.requires:
                    self.tables[RoleSkill].append(
                        {
                            "role_id": self.role_ids[role.title],
                            "skill_id": self._skill_id(requirement.skill),
                            "target_level": requirement.target,
                            "importance": requirement.importance,
                        }
                    )
        for path in CAREER_PATHS:
            self.tables[CareerPath].append(
                {
                    "id": new_id(),
                    "from_role_id": self._role_id(path.from_role),
                    "to_role_id": self._role_id(path.to_role),
                    "kind": path.kind,
                    "typical_months": path.typical_months,
                }
            )
            self.next_roles.setdefault(path.from_role, []).append(path.to_role)

    def _role_id(self, title: str) -> uuid.UUID:
        try:
            return self.role_ids[title]
        except KeyError:
            raise ValueError(f"demo content names the unknown role {title!r}") from None

    # --- organisation and people ---

    def add_people(self, headcount: int) -> None:
        team_count = sum(len(department.teams) for department in DEPARTMENTS)
        leaders = 2 + len(DEPARTMENTS) + team_count
        if headcount < leaders + team_count:
            raise ValueError(f"the demo company needs at least {leaders + team_count} employees")
        team_sizes = _apportion(headcount - leaders - team_count, [team.size for d in DEPARTMENTS for team in d.teams])
        sizes = iter(size + 1 for size in team_sizes)

        division_ids: dict[str, uuid.UUID] = {}
        for department in DEPARTMENTS:
            if department.division is not None and department.division not in division_ids:
                division_ids[department.division] = self._org_unit(department.division, OrgUnitKind.DIVISION, None)
        office_id = self._org_unit(EXECUTIVE_OFFICE, OrgUnitKind.DEPARTMENT, None)

        leadership = self.family_of_role[CEO]
        ceo = self._person(self.roles[CEO], leadership, CEO, office_id, None, HEADQUARTERS, self.rng.uniform(9.5, 10))
        coo = self._person(self.roles[COO], leadership, COO, office_id, ceo, HEADQUARTERS, self.rng.uniform(6, 9.5))
        ceo.team.extend([ceo, coo])
        coo.team = ceo.team

        # Managers are created before the people they manage, so employee rows insert in FK order.
        members: list[tuple[TeamSpec, DepartmentSpec, _Person, uuid.UUID, int]] = []
        for department in DEPARTMENTS:
            parent = division_ids[department.division] if department.division is not None else None
            department_id = self._org_unit(department.name, OrgUnitKind.DEPARTMENT, parent)
            head = self._person(
                self.roles[HEAD_OF_DEPARTMENT],
                leadership,
                f"Head of {department.name}",
                department_id,
                ceo if department.reports_to == CEO else coo,
                self._location(department),
                self.rng.uniform(3, 9.5),
            )
            head.team.append(head)
            family = self.families[department.family]
            for team in department.teams:
                team_id = self._org_unit(team.name, OrgUnitKind.TEAM, department_id)
                role = self.roles[department.manager_role]
                manager = self._person(
                    role, family, role.title, team_id, head, self._location(department), self.rng.uniform(1.5, 9)
                )
                manager.team.append(manager)
                members.append((team, department, manager, team_id, next(sizes)))

        individual_contributors: list[_Person] = []
        for team, department, manager, team_id, size in members:
            titles = [title for title, _ in team.members]
            weights = [weight for _, weight in team.members]
            for _ in range(size):
                role = self.roles[self.rng.choices(titles, weights)[0]]
                # Teams cluster around their manager's office.
                location = manager.location if self.rng.random() < 0.6 else self._location(department)
                person = self._person(
                    role,
                    self.family_of_role[role.title],
                    role.title,
                    team_id,
                    manager,
                    location,
                    self.rng.triangular(0.05, 10, 1.0),
                )
                person.team = manager.team
                manager.team.append(person)
                individual_contributors.append(person)

        # Only people who manage nobody have left, so every manager in the chain is active.
        leavers = self.rng.sample(individual_contributors, round(INACTIVE_SHARE * headcount))
        for person in leavers:
            person.active = False
        for index, person in enumerate(self.people):
            self.tables[Employee][index]["active"] = person.active

    def _org_unit(self, name: str, kind: OrgUnitKind, parent_id: uuid.UUID | None) -> uuid.UUID:
        unit_id = new_id()
        self.tables[OrgUnit].append({"id": unit_id, "name": name, "kind": kind, "parent_id": parent_id})
        return unit_id

    def _location(self, department: DepartmentSpec) -> str:
        return self.rng.choices([place for place, _ in department.locations], [w for _, w in department.locations])[0]

    def _person(
        self,
        role: RoleSpec,
        family: FamilySpec,
        title: str,
        org_unit_id: uuid.UUID,
        manager: _Person | None,
        location: str,
        years_here: float,
    ) -> _Person:
        first, last = self._name()
        email = self._unique_email(first, last)
        person = _Person(
            id=new_id(),
            email=email,
            role=role,
            family=family,
            manager=manager,
            start_date=self.as_of - timedelta(days=round(years_here * 365.25)),
            location=location,
            org_unit_id=org_unit_id,
        )
        self.people.append(person)
        self.tables[Employee].append(
            {
                "id": person.id,
                "email": email,
                "full_name": f"{first} {last}",
                "title": title,
                "org_unit_id": org_unit_id,
                "manager_id": manager.id if manager is not None else None,
                "role_id": self.role_ids[role.title],
                "level": role.level,
                "location": location,
                "start_date": person.start_date,
                "external_id": f"NW-{len(self.people):05d}",
                "active": True,
            }
        )
        return person

    def _name(self) -> tuple[str, str]:
        pool = self.rng.choices(NAME_POOLS, [p.weight for p in NAME_POOLS])[0]
        first = self.rng.choice(pool.first_names)
        # Names cross traditions through marriage and migration.
        family_pool = pool if self.rng.random() < 0.85 else self.rng.choice(NAME_POOLS)
        return first, self.rng.choice(family_pool.last_names)

    def _unique_email(self, first: str, last: str) -> str:
        local = f"{_email_part(first)}.{_email_part(last)}"
        email, number = f"{local}@{EMAIL_DOMAIN}", 1
        while email in self.emails:
            number += 1
            email = f"{local}{number}@{EMAIL_DOMAIN}"
        self.emails.add(email)
        return email

    # --- employee skills ---

    def add_employee_skills(self) -> None:
        for person in self.people:
            for label, target in self._skill_picks(person):
                if target is None:
                    level = _weighted(self.rng, _EXTRA_LEVELS)
                else:
                    level = min(5, max(1, target + _weighted(self.rng, _LEVEL_OFFSETS)))
                person.levels[label] = level
                self._skill_versions(person, label, level)

    def _skill_picks(self, person: _Person) -> list[tuple[str, int | None]]:
        """The person's skills with the role's target level, or None for skills beyond the role."""
        required = [
            (r.skill, r.target)
            for r in person.role.requires
            if r.importance is Importance.ESSENTIAL or self.rng.random() < _KEEP_REQUIREMENT[r.importance]
        ]
        held = {label for label, _ in required}
        pool = [label for label in _unique((*person.family.related, *GENERIC_SKILLS)) if label not in held]
        extras = min(len(pool), max(self.rng.randint(0, 3), 4 - len(required)))
        picks: list[tuple[str, int | None]] = [*required, *((label, None) for label in self.rng.sample(pool, extras))]
        return picks[:10]

    def _skill_versions(self, person: _Person, label: str, level: int) -> None:
        window_start = max(person.start_date, self.as_of - timedelta(days=SKILL_HISTORY_DAYS))
        current_day = _day_between(self.rng, window_start, self.as_of - timedelta(days=1))
        current_from = self._moment(current_day)
        if self.rng.random() < HISTORY_SHARE and (current_day - person.start_date).days >= 60:
            earlier_day = _day_between(self.rng, person.start_date, current_day - timedelta(days=30))
            earlier_level = level - 1 if (level > 1 and self.rng.random() < 0.85) or level == 5 else level + 1
            self._skill_row(person, label, earlier_level, self._moment(earlier_day), current_from)
        self._skill_row(person, label, level, current_from, None)

    def _skill_row(
        self, person: _Person, label: str, level: int, valid_from: datetime, valid_to: datetime | None
    ) -> None:
        source = _weighted(self.rng, _SOURCES)
        if source is SkillSource.MANAGER and person.manager is None:
            source = SkillSource.SELF
        confirmed_until = valid_to.date() if valid_to is not None else self.as_of
        self.tables[EmployeeSkill].append(
            {
                "id": new_id(),
                "employee_id": person.id,
                "skill_id": self.skill_ids[label],
                "level": level,
                "source": source,
                "evidence_url": self._evidence(source, label),
                "last_confirmed": _day_between(self.rng, valid_from.date(), confirmed_until),
                "recorded_by": self._recorder(source, person),
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
        )

    def _moment(self, day: date) -> datetime:
        return datetime.combine(day, time(self.rng.randint(8, 17), self.rng.randint(0, 59)), tzinfo=UTC)

    def _evidence(self, source: SkillSource, label: str) -> str | None:
        slug = _email_part(label.replace(" ", "-"))
        if source is SkillSource.COURSE:
            return f"https://learn.{EMAIL_DOMAIN}/courses/{slug}"
        if source is SkillSource.ASSESSMENT:
            return f"https://assess.{EMAIL_DOMAIN}/results/{self.rng.randint(10000, 99999)}"
        if source is SkillSource.PROJECT:
            return f"https://wiki.{EMAIL_DOMAIN}/projects/{self.rng.choice(PROJECTS)}"
        if self.rng.random() < 0.08:  # the odd self-declared certificate
            return f"https://badges.{EMAIL_DOMAIN}/{slug}/{self.rng.randint(1000, 9999)}"
        return None

    def _recorder(self, source: SkillSource, person: _Person) -> str:
        if source is SkillSource.ASSESSMENT:
            return "skills-assessment"
        if source is SkillSource.COURSE:
            return "learning-platform"
        if source is SkillSource.PEER:
            peers = [p for p in person.team if p is not person]
            if peers:
                return self.rng.choice(peers).email
        if source is not SkillSource.SELF and person.manager is not None:
            return person.manager.email
        return person.email

    # --- aspirations ---

    def add_aspirations(self) -> None:
        eligible = [p for p in self.people if p.active and self.next_roles.get(p.role.title)]
        wanted = min(len(eligible), round(ASPIRATION_SHARE * len(self.people)))
        chosen = sorted(self.rng.sample(range(len(eligible)), wanted))
        for person in (eligible[i] for i in chosen):
            targets = self._target_roles(person)
            self.tables[Aspiration].append(
                {"employee_id": person.id, "open_to_move": _weighted(self.rng, _OPEN_TO_MOVE)}
            )
            for title in targets:
                self.tables[AspirationRole].append({"employee_id": person.id, "role_id": self.role_ids[title]})
            for label in self._skills_to_grow(person, targets):
                self.tables[AspirationSkill].append({"employee_id": person.id, "skill_id": self.skill_ids[label]})

    def _target_roles(self, person: _Person) -> list[str]:
        """One or two roles the career paths lead to from the person's role, mostly the next step."""
        here = person.role.title
        next_steps = self.next_roles[here]
        first = self.rng.choice(next_steps)
        if self.rng.random() < 0.65:
            return [first]
        further = [t for step in next_steps for t in self.next_roles.get(step, [])]
        options = [t for t in _unique((*next_steps, *further)) if t not in (here, first)]
        return [first, self.rng.choice(options)] if options else [first]

    def _skills_to_grow(self, person: _Person, targets: Iterable[str]) -> list[str]:
        requirements = sorted(
            (r for title in targets for r in self.roles[title].requires),
            key=lambda r: _IMPORTANCE_RANK[r.importance],
        )
        gaps = _unique(r.skill for r in requirements if person.levels.get(r.skill, 0) < r.target)
        if not gaps:
            gaps = [label for label in person.family.related if label not in person.levels]
        shortlist = gaps[:5]
        return self.rng.sample(shortlist, min(len(shortlist), self.rng.randint(1, 3)))

    # --- the marketplace's history ---

    def add_past_moves(self) -> None:
        """Promotions and lateral moves into people's current roles over the last two years, each with
        the filled opening and the hired application it came from.

        Written in bulk, not through `MoveService.record`: that service records a hire happening now
        (it stamps the present time, reads the "from" side off the employee's current record and
        rewrites the employee), while this is the company's past, which the people's records already
        reflect."""
        previous_roles: dict[str, list[str]] = {}
        for from_role, to_roles in self.next_roles.items():
            for to_role in to_roles:
                previous_roles.setdefault(to_role, []).append(from_role)
        earliest = self.as_of - timedelta(days=MOVE_HISTORY_DAYS)
        movers = [
            p
            for p in self.people
            if p.manager is not None
            and previous_roles.get(p.role.title)
            and (self.as_of - max(p.start_date, earliest)).days > 120
        ]
        for person in self.rng.sample(movers, min(len(movers), round(MOVE_SHARE * len(self.people)))):
            self._past_move(person, self.rng.choice(previous_roles[person.role.title]), earliest)

    def _past_move(self, person: _Person, from_title: str, earliest: date) -> None:
        assert person.manager is not None
        effective = _day_between(
            self.rng, max(person.start_date, earliest) + timedelta(days=90), self.as_of - timedelta(days=14)
        )
        opened = self._moment(effective - timedelta(days=self.rng.randint(45, 90)))
        applied = opened + timedelta(days=self.rng.randint(2, 10))
        hired = self._moment(effective - timedelta(days=self.rng.randint(7, 21)))
        role = person.role
        opportunity_id, application_id = new_id(), new_id()
        self.tables[Opportunity].append(
            {
                "id": opportunity_id,
                "title": role.title,
                "description": role.description,
                "kind": OpportunityKind.ROLE,
                "role_id": self.role_ids[role.title],
                "org_unit_id": person.org_unit_id,
                "hiring_manager_id": person.manager.id,
                "location": person.location,
                "level": role.level,
                "status": OpportunityStatus.FILLED,
                "opened_at": opened,
                "closed_at": hired,
                "filled_at": hired,
                "created_by": HISTORY_SUBJECT,
                "created_at": opened,
                "updated_at": hired,
            }
        )
        self.tables[Application].append(
            {
                "id": application_id,
                "opportunity_id": opportunity_id,
                "employee_id": person.id,
                "kind": ApplicationKind.APPLICATION,
                "stage": ApplicationStage.HIRED,
                "stage_changed_at": hired,
                "addressed_to_id": person.manager.id,
                "manager_informed_at": applied,
                "informed_manager_id": person.manager.id,
                "hired_at": hired,
                "created_at": applied,
                "updated_at": hired,
            }
        )
        steps = (
            None,
            ApplicationStage.APPLIED,
            ApplicationStage.INTERVIEW,
            ApplicationStage.OFFER,
            ApplicationStage.HIRED,
        )
        span = (hired - applied) / 3
        for index, (before, after) in enumerate(itertools.pairwise(steps)):
            assert after is not None
            self.tables[ApplicationEvent].append(
                {
                    "id": new_id(),
                    "application_id": application_id,
                    "from_stage": before,
                    "to_stage": after,
                    "by_subject": HISTORY_SUBJECT,
                    "at": applied + span * index,
                }
            )
        from_role = self.roles[from_title]
        self.tables[Move].append(
            {
                "id": new_id(),
                "employee_id": person.id,
                "opportunity_id": opportunity_id,
                "application_id": application_id,
                "kind": OpportunityKind.ROLE,
                "from_role_id": self.role_ids[from_title],
                "to_role_id": self.role_ids[role.title],
                "from_org_unit_id": person.org_unit_id,
                "to_org_unit_id": person.org_unit_id,
                "from_title": from_title,
                "to_title": role.title,
                "from_level": from_role.level,
                "to_level": role.level,
                "updates_employee": True,
                "applied_at": self._moment(effective),
                "release": ReleaseOutcome.NOT_NEEDED,
                "effective_on": effective,
                "moved_at": hired,
            }
        )


def _alt_labels(label: str, entry: CatalogEntry | None) -> list[str]:
    # The ESCO preferred label becomes an alternative label, so searching for it still finds the skill.
    if entry is None:
        return []
    seen = {label.casefold()}
    result = []
    for alt in (entry.label, *entry.alt_labels):
        if alt.casefold() not in seen:
            seen.add(alt.casefold())
            result.append(alt)
    return result


def _apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder), summing to exactly `total`."""
    whole = sum(weights)
    quotas = [total * w / whole for w in weights]
    shares = [int(q) for q in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - quotas[i], i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _weighted(rng: random.Random, options: Sequence[tuple[T, int]]) -> T:
    return rng.choices([value for value, _ in options], [weight for _, weight in options])[0]


def _day_between(rng: random.Random, first: date, last: date) -> date:
    if last <= first:
        return first
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _email_part(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.translate(_ASCII_LETTERS)).lower()
    return "".join(c for c in folded if c.isascii() and (c.isalnum() or c == "-"))
