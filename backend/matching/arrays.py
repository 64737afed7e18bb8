"""A tenant's data as the engine's arrays: people, openings (or roles), skill adjacency.

Everything is read in a handful of set-based queries and indexed once (skills, org units, locations,
roles, people, openings), so that the engine works on integers only and the service maps the results
back to ids. Locations are compared case- and space-insensitively: they are free text in HRIS feeds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.aspirations.models import Aspiration, AspirationRole, AspirationSkill, OpenToMove
from backend.framework.models import Importance, Role, RoleSkill
from backend.marketplace.models import (
    Application,
    Opportunity,
    OpportunitySkill,
    OpportunityStatus,
    OpportunityVisibilityUnit,
)
from backend.matching.engine import Openings, People
from backend.org.models import Employee, OrgUnit
from backend.skills.models import EmployeeSkill, Skill, current_levels

# How much a required skill weighs by its importance in the role or opening.
IMPORTANCE_WEIGHT = {Importance.ESSENTIAL: 1.0, Importance.IMPORTANT: 0.6}
# Who may be shown as a candidate: HR sees people open to HR or to hiring managers, a hiring manager
# only the latter (the employee's own choice in their aspirations).
HR_POOL = "hr"
MANAGER_POOL = "hiring_managers"
POOL_LEVELS = {
    HR_POOL: (OpenToMove.HR_ONLY, OpenToMove.HIRING_MANAGERS),
    MANAGER_POOL: (OpenToMove.HIRING_MANAGERS,),
}


class Index:
    """Ids (or keys) to consecutive integers, in first-seen order."""

    def __init__(self, keys: Iterable[object] = ()) -> None:
        self.position: dict[object, int] = {}
        self.keys: list[object] = []
        for key in keys:
            self.add(key)

    def add(self, key: object) -> int:
        found = self.position.get(key)
        if found is None:
            found = self.position[key] = len(self.keys)
            self.keys.append(key)
        return found

    def get(self, key: object, default: int = -1) -> int:
        return self.position.get(key, default)

    def __len__(self) -> int:
        return len(self.keys)


def location_key(location: str | None) -> str | None:
    if location is None:
        return None
    key = " ".join(location.lower().split())
    return key or None


def csr(
    rows: Sequence[int] | npt.NDArray[np.int64],
    cols: Sequence[int] | npt.NDArray[np.int64],
    values: Sequence[float] | npt.NDArray[np.float64] | None,
    shape: tuple[int, int],
) -> sparse.csr_array:
    data = np.ones(len(rows)) if values is None else np.asarray(values, dtype=np.float64)
    matrix = sparse.csr_array((data, (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))), shape=shape)
    matrix.sum_duplicates()
    return matrix


@dataclass(frozen=True)
class Universe:
    """The indexes every matrix of a tenant shares."""

    skills: Index
    skill_categories: list[uuid.UUID | None]
    units: Index
    unit_ancestors: dict[uuid.UUID, list[uuid.UUID]]
    roles: Index
    locations: Index


async def load_universe(session: AsyncSession) -> Universe:
    skill_rows = (await session.execute(select(Skill.id, Skill.category_id).order_by(Skill.id))).all()
    unit_rows = (await session.execute(select(OrgUnit.id, OrgUnit.parent_id).order_by(OrgUnit.id))).all()
    parents = {unit: parent for unit, parent in unit_rows}
    ancestors: dict[uuid.UUID, list[uuid.UUID]] = {}
    for unit in parents:
        chain: list[uuid.UUID] = []
        seen: set[uuid.UUID] = set()
        node: uuid.UUID | None = unit
        # The org tree refuses cycles when written; the guard keeps a corrupt row from hanging a job.
        while node is not None and node not in seen:
            seen.add(node)
            chain.append(node)
            node = parents.get(node)
        ancestors[unit] = chain
    role_ids = (await session.scalars(select(Role.id).order_by(Role.id))).all()
    return Universe(
        skills=Index(row.id for row in skill_rows),
        skill_categories=[row.category_id for row in skill_rows],
        units=Index(unit for unit, _ in unit_rows),
        unit_ancestors=ancestors,
        roles=Index(role_ids),
        locations=Index(),
    )


@dataclass(frozen=True)
class LoadedPeople:
    people: People
    employee_ids: list[uuid.UUID]
    position: dict[uuid.UUID, int]
    open_to_move: list[OpenToMove]
    role_index: npt.NDArray[np.int64]
    pools: dict[str, npt.NDArray[np.bool_]]


async def load_people(
    session: AsyncSession, universe: Universe, employee_ids: Sequence[uuid.UUID] | None = None
) -> LoadedPeople:
    """Active employees, or the given ones whether active or not (a leaver's next roles, an applicant who
    has left since): callers index the result by the ids they asked for."""
    query = select(Employee.id, Employee.org_unit_id, Employee.level, Employee.location, Employee.role_id)
    if employee_ids is not None:
        query = query.where(Employee.id.in_(employee_ids))
    else:
        query = query.where(Employee.active.is_(True))
    rows = (await session.execute(query.order_by(Employee.id))).all()
    ids = [row.id for row in rows]
    position = {employee: i for i, employee in enumerate(ids)}
    n, s, u = len(ids), len(universe.skills), len(universe.units)
    unit_rows: list[int] = []
    unit_cols: list[int] = []
    for i, row in enumerate(rows):
        for unit in universe.unit_ancestors.get(row.org_unit_id, []) if row.org_unit_id else []:
            unit_rows.append(i)
            unit_cols.append(universe.units.get(unit))
    # Several sources may rate a skill (self, manager, ...): the person's level is the highest.
    skills = current_levels(*([EmployeeSkill.employee_id.in_(employee_ids)] if employee_ids is not None else []))
    skills_query = select(skills.c.employee_id, skills.c.skill_id, skills.c.level)
    aspiration_query = select(Aspiration.employee_id, Aspiration.open_to_move)
    roles_query = select(AspirationRole.employee_id, AspirationRole.role_id)
    wants_query = select(AspirationSkill.employee_id, AspirationSkill.skill_id)
    if employee_ids is not None:
        aspiration_query = aspiration_query.where(Aspiration.employee_id.in_(employee_ids))
        roles_query = roles_query.where(AspirationRole.employee_id.in_(employee_ids))
        wants_query = wants_query.where(AspirationSkill.employee_id.in_(employee_ids))
    skill_triples = _indexed(await session.execute(skills_query), position, universe.skills)
    role_pairs = _indexed(await session.execute(roles_query), position, universe.roles)
    want_pairs = _indexed(await session.execute(wants_query), position, universe.skills)
    open_to_move = [OpenToMove.HIDDEN] * n
    for employee, level in (await session.execute(aspiration_query)).all():
        if (at := position.get(employee)) is not None:
            open_to_move[at] = level
    people = People(
        skills=csr(*skill_triples, shape=(n, s)),
        level=np.array([row.level or 0 for row in rows], dtype=np.int64),
        location=np.array(
            [universe.locations.add(key) if (key := location_key(row.location)) is not None else -1 for row in rows],
            dtype=np.int64,
        ),
        units=csr(unit_rows, unit_cols, None, shape=(n, u)),
        aspiration_roles=csr(*role_pairs, shape=(n, len(universe.roles))),
        aspiration_skills=csr(*want_pairs, shape=(n, s)),
    )
    levels = np.array([str(level) for level in open_to_move])
    pools = {name: np.isin(levels, [str(level) for level in allowed]) for name, allowed in POOL_LEVELS.items()}
    return LoadedPeople(
        people=people,
        employee_ids=ids,
        position=position,
        open_to_move=open_to_move,
        role_index=np.array([universe.roles.get(row.role_id) for row in rows], dtype=np.int64),
        pools=pools,
    )


def _indexed(
    result: Iterable[Sequence[Any]], rows: Mapping[Any, int], cols: Index
) -> tuple[list[int], list[int], list[float] | None]:
    """Rows of (row id, column id[, value]) as index lists, keeping those whose both ends are known
    (an inactive employee's skill, a skill deleted meanwhile)."""
    row_index: list[int] = []
    col_index: list[int] = []
    values: list[float] = []
    weighted = False
    for item in result:
        weighted = len(item) > 2
        i = rows.get(item[0])
        j = cols.get(item[1])
        if i is None or j < 0:
            continue
        row_index.append(i)
        col_index.append(j)
        if weighted:
            values.append(float(item[2]))
    return row_index, col_index, values if weighted else None


async def load_role_skills(session: AsyncSession, universe: Universe) -> sparse.csr_array:
    """The role framework as roles x skills (which skills each role asks for), for adjacency."""
    result = await session.execute(select(RoleSkill.role_id, RoleSkill.skill_id))
    rows, cols, _ = _indexed(result, universe.roles.position, universe.skills)
    return csr(rows, cols, None, (len(universe.roles), len(universe.skills)))


async def load_role_openings(
    session: AsyncSession, universe: Universe, role_ids: Sequence[uuid.UUID]
) -> tuple[Openings, list[uuid.UUID]]:
    """Roles of the framework as openings (career-path steps): their skills, level; no location,
    visible to everyone."""
    roles = (await session.execute(select(Role.id, Role.level).where(Role.id.in_(role_ids)).order_by(Role.id))).all()
    ids = [row.id for row in roles]
    position = {role: j for j, role in enumerate(ids)}
    skill_rows = (
        await session.execute(
            select(RoleSkill.role_id, RoleSkill.skill_id, RoleSkill.target_level, RoleSkill.importance).where(
                RoleSkill.role_id.in_(ids)
            )
        )
    ).all()
    requirements = [
        SkillRequirement(position[row.role_id], universe.skills.get(row.skill_id), row.target_level, row.importance)
        for row in skill_rows
        if universe.skills.get(row.skill_id) >= 0
    ]
    m = len(ids)
    return (
        build_openings(
            requirements,
            m,
            len(universe.skills),
            len(universe.units),
            role=np.array([universe.roles.get(role) for role in ids], dtype=np.int64),
            level=np.array([row.level or 0 for row in roles], dtype=np.int64),
            location=np.full(m, -1, dtype=np.int64),
            remote=np.zeros(m, dtype=np.bool_),
            visible_units=([], []),
            min_level=np.zeros(m, dtype=np.int64),
            max_level=np.zeros(m, dtype=np.int64),
        ),
        ids,
    )


@dataclass(frozen=True)
class SkillRequirement:
    row: int
    skill: int
    level: int
    importance: Importance


def build_openings(
    requirements: Sequence[SkillRequirement],
    m: int,
    s: int,
    u: int,
    *,
    role: npt.NDArray[np.int64],
    level: npt.NDArray[np.int64],
    location: npt.NDArray[np.int64],
    remote: npt.NDArray[np.bool_],
    visible_units: tuple[Sequence[int], Sequence[int]],
    min_level: npt.NDArray[np.int64],
    max_level: npt.NDArray[np.int64],
) -> Openings:
    required = [r for r in requirements if r.importance != Importance.NICE_TO_HAVE]
    nice = [r for r in requirements if r.importance == Importance.NICE_TO_HAVE]
    return Openings(
        required=csr([r.row for r in required], [r.skill for r in required], [r.level for r in required], (m, s)),
        importance=csr(
            [r.row for r in required],
            [r.skill for r in required],
            [IMPORTANCE_WEIGHT[r.importance] for r in required],
            (m, s),
        ),
        nice=csr([r.row for r in nice], [r.skill for r in nice], [r.level for r in nice], (m, s)),
        role=role,
        level=level,
        location=location,
        remote=remote,
        visible_units=csr(*visible_units, None, shape=(m, u)),
        min_level=min_level,
        max_level=max_level,
    )


@dataclass(frozen=True)
class LoadedOpenings:
    openings: Openings
    opportunity_ids: list[uuid.UUID]
    # People never ranked for an opening: its hiring manager, those who applied already (they know
    # it), and, for a role, those who hold that role now.
    exclude: sparse.csr_array


async def load_openings(
    session: AsyncSession,
    universe: Universe,
    people: LoadedPeople,
    opportunity_ids: Sequence[uuid.UUID] | None = None,
) -> LoadedOpenings:
    """Open opportunities whose application window has not passed (or the given ones, whatever their
    status: the applicants of a closed opening are still ranked), as openings."""
    which = (
        Opportunity.id.in_(opportunity_ids)
        if opportunity_ids is not None
        else and_(
            Opportunity.status == OpportunityStatus.OPEN,
            # Scheduled openings stay hidden from employees until `opens_at`.
            or_(Opportunity.opens_at.is_(None), Opportunity.opens_at <= func.now()),
            or_(Opportunity.closes_at.is_(None), Opportunity.closes_at > func.now()),
        )
    )
    rows = (
        await session.execute(
            select(
                Opportunity.id,
                Opportunity.role_id,
                Opportunity.level,
                Opportunity.location,
                Opportunity.remote,
                Opportunity.min_level,
                Opportunity.max_level,
                Opportunity.hiring_manager_id,
            )
            .where(which)
            .order_by(Opportunity.id)
        )
    ).all()
    ids = [row.id for row in rows]
    position = {opportunity: j for j, opportunity in enumerate(ids)}
    m, n = len(ids), len(people.employee_ids)
    skill_rows = (
        await session.execute(
            select(
                OpportunitySkill.opportunity_id,
                OpportunitySkill.skill_id,
                OpportunitySkill.level,
                OpportunitySkill.importance,
            )
            .join(Opportunity, Opportunity.id == OpportunitySkill.opportunity_id)
            .where(which)
        )
    ).all()
    requirements = [
        SkillRequirement(position[row.opportunity_id], universe.skills.get(row.skill_id), row.level, row.importance)
        for row in skill_rows
        if row.opportunity_id in position and universe.skills.get(row.skill_id) >= 0
    ]
    unit_pairs = [
        (position[opportunity], universe.units.get(unit))
        for opportunity, unit in (
            await session.execute(
                select(OpportunityVisibilityUnit.opportunity_id, OpportunityVisibilityUnit.org_unit_id)
            )
        ).all()
        if opportunity in position and universe.units.get(unit) >= 0
    ]
    applied = (
        await session.execute(
            select(Application.employee_id, Application.opportunity_id).where(
                Application.opportunity_id.in_(select(Opportunity.id).where(which))
            )
        )
    ).all()
    excluded = [
        (people.position[employee], position[opportunity])
        for employee, opportunity in applied
        if employee in people.position and opportunity in position
    ]
    excluded += [
        (people.position[row.hiring_manager_id], position[row.id])
        for row in rows
        if row.hiring_manager_id in people.position
    ]
    role_of_opening = np.array([universe.roles.get(row.role_id) for row in rows], dtype=np.int64)
    holders: dict[int, list[int]] = {}
    for i, role in enumerate(people.role_index.tolist()):
        if role >= 0:
            holders.setdefault(role, []).append(i)
    for j, role in enumerate(role_of_opening.tolist()):
        excluded += [(i, j) for i in holders.get(role, [])]
    openings = build_openings(
        requirements,
        m,
        len(universe.skills),
        len(universe.units),
        role=role_of_opening,
        level=np.array([row.level or 0 for row in rows], dtype=np.int64),
        location=np.array(
            [universe.locations.add(key) if (key := location_key(row.location)) is not None else -1 for row in rows],
            dtype=np.int64,
        ),
        remote=np.array([row.remote for row in rows], dtype=np.bool_),
        visible_units=([j for j, _ in unit_pairs], [u for _, u in unit_pairs]),
        min_level=np.array([row.min_level or 0 for row in rows], dtype=np.int64),
        max_level=np.array([row.max_level or 0 for row in rows], dtype=np.int64),
    )
    exclude = csr([i for i, _ in excluded], [j for _, j in excluded], None, (n, m))
    exclude.data[:] = 1.0
    return LoadedOpenings(openings, ids, exclude)
