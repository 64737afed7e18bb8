"""Serving matches: an employee's recommended opportunities, an opening's internal candidates (both
precomputed), an employee's next roles (computed on the spot: a handful of roles).

Scores and factor contributions come from the engine; the skill lists beside them (what the person
has, what is missing and by how many levels) are read live, so "missing: SQL (level 3)" is true now.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.aspirations.models import Aspiration, AspirationRole, OpenToMove
from backend.aspirations.service import may_see
from backend.audit.service import Viewed, record_views
from backend.auth.principal import Principal, UserRole
from backend.crud import ancestors, get_or_404
from backend.errors import NotFoundError, PermissionDeniedError
from backend.framework.models import CareerPath, Importance, Role, RoleSkill
from backend.framework.schemas import MatchExplanation, SkillMatch
from backend.marketplace.models import Application, Opportunity, OpportunitySkill
from backend.marketplace.opportunities import (
    OpportunityService,
    accepting_applications,
    admitted_people,
    person_viewer,
)
from backend.matching import engine
from backend.matching.arrays import (
    HR_POOL,
    MANAGER_POOL,
    POOL_LEVELS,
    Universe,
    csr,
    load_openings,
    load_people,
    load_role_openings,
    load_universe,
)
from backend.matching.models import (
    MatchingRun,
    OpportunityCandidate,
    OpportunityRecommendation,
    SkillAdjacency,
)
from backend.matching.schemas import (
    NEXT_ROLES_SHOWN,
    Candidate,
    CandidateBrief,
    CandidatesRead,
    NextRole,
    NextRolesRead,
    OpportunityBrief,
    Recommendation,
    RecommendationsRead,
)
from backend.matching.service import tenant_weights
from backend.matching.staleness import stale
from backend.org.models import Employee
from backend.org.service import reports_of
from backend.skills.models import EmployeeSkill, Skill, current_levels

# Shown in the sentence of an explanation; the full list is in `missing`.
SUMMARY_MISSING = 3


def summary(have: int, total: int, missing: Sequence[SkillMatch], *, own: bool = True) -> str:
    """The sentence of an explanation, addressed to the person (`own`) or about them."""
    subject = "You have" if own else "Has"
    text = "No required skills are listed" if total == 0 else f"{subject} {have} of {total} required skills"
    required = [m for m in missing if m.importance != Importance.NICE_TO_HAVE]
    if required:
        named = [
            f"{m.label} (level {m.need})" if m.have == 0 else f"{m.label} (level {m.have} of {m.need})"
            for m in required[:SUMMARY_MISSING]
        ]
        more = len(required) - SUMMARY_MISSING
        text += "; missing: " + ", ".join(named) + (f" and {more} more" if more > 0 else "")
    return text + "."


async def _current_levels(
    session: AsyncSession, employee_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[uuid.UUID, int]]:
    levels: dict[uuid.UUID, dict[uuid.UUID, int]] = {}
    rows = await session.execute(
        select(EmployeeSkill.employee_id, EmployeeSkill.skill_id, EmployeeSkill.level).where(
            EmployeeSkill.employee_id.in_(list(employee_ids)), EmployeeSkill.valid_to.is_(None)
        )
    )
    for employee_id, skill_id, level in rows:
        # Several sources may rate a skill: the highest current rating is the level.
        held = levels.setdefault(employee_id, {})
        held[skill_id] = max(level, held.get(skill_id, 0))
    return levels


Needs = dict[uuid.UUID, list[tuple[uuid.UUID, str, int, Importance]]]


async def _needs(
    session: AsyncSession, requirements: type[OpportunitySkill] | type[RoleSkill], ids: Iterable[uuid.UUID]
) -> Needs:
    """The skills each opening (or role) asks for: (skill, label, level, importance)."""
    owner, level = (
        (OpportunitySkill.opportunity_id, OpportunitySkill.level)
        if requirements is OpportunitySkill
        else (RoleSkill.role_id, RoleSkill.target_level)
    )
    needs: Needs = {}
    rows = await session.execute(
        select(owner, Skill.id, Skill.label, level, requirements.importance)
        .join(Skill, Skill.id == requirements.skill_id)
        .where(owner.in_(list(ids)))
    )
    for owner_id, skill_id, label, need, importance in rows:
        needs.setdefault(owner_id, []).append((skill_id, label, need, importance))
    return needs


_IMPORTANCE_ORDER = {Importance.ESSENTIAL: 0, Importance.IMPORTANT: 1, Importance.NICE_TO_HAVE: 2}


def explanation(
    score: float,
    contributions: Sequence[float],
    needs: Sequence[tuple[uuid.UUID, str, int, Importance]],
    levels: dict[uuid.UUID, int],
    *,
    own: bool = True,
) -> MatchExplanation:
    matched: list[SkillMatch] = []
    missing: list[SkillMatch] = []
    for skill_id, label, need, importance in needs:
        have = levels.get(skill_id, 0)
        (matched if have >= need else missing).append(SkillMatch(skill_id, label, have, need, importance))
    matched.sort(key=lambda m: (_IMPORTANCE_ORDER[m.importance], m.label))
    missing.sort(key=lambda m: (_IMPORTANCE_ORDER[m.importance], m.have - m.need, m.label))
    required = [m for m in (*matched, *missing) if m.importance != Importance.NICE_TO_HAVE]
    have = sum(1 for m in matched if m.importance != Importance.NICE_TO_HAVE)
    return MatchExplanation(
        score=round(float(score), 6),
        factors={
            factor.value: round(float(value), 6) for factor, value in zip(engine.Factor, contributions, strict=True)
        },
        required_have=have,
        required_total=len(required),
        summary=summary(have, len(required), missing, own=own),
        matched=matched,
        missing=missing,
    )


_NEWEST_RUN = select(MatchingRun).order_by(MatchingRun.computed_at.desc()).limit(1).subquery()
_FRESHNESS = select(
    select(_NEWEST_RUN.c.computed_at).scalar_subquery(),
    exists().where(stale()),
    select(_NEWEST_RUN.c.weights_version).scalar_subquery(),
)


async def freshness(session: AsyncSession) -> tuple[dt.datetime | None, bool, int | None]:
    """When the newest run computed, whether changes wait for the next, and its weights' version."""
    computed_at, pending, weights_version = (await session.execute(_FRESHNESS)).one()
    return computed_at, bool(pending), weights_version


# The columns of an `OpportunityBrief`.
_BRIEF_COLUMNS = (
    Opportunity.id,
    Opportunity.title,
    Opportunity.kind,
    Opportunity.status,
    Opportunity.org_unit_id,
    Opportunity.location,
    Opportunity.remote,
    Opportunity.closes_at,
)


async def _recommended_needs(
    session: AsyncSession, employee_id: uuid.UUID
) -> tuple[dict[uuid.UUID, list[tuple[uuid.UUID, str, int, Importance]]], dict[uuid.UUID, int]]:
    """The skills of every opening recommended to the employee, with the employee's level in each,
    in one statement."""
    held = current_levels(EmployeeSkill.employee_id == employee_id)
    rows = await session.execute(
        select(
            OpportunitySkill.opportunity_id,
            Skill.id,
            Skill.label,
            OpportunitySkill.level,
            OpportunitySkill.importance,
            held.c.level,
        )
        .select_from(OpportunityRecommendation)
        .join(OpportunitySkill, OpportunitySkill.opportunity_id == OpportunityRecommendation.opportunity_id)
        .join(Skill, Skill.id == OpportunitySkill.skill_id)
        .outerjoin(held, held.c.skill_id == OpportunitySkill.skill_id)
        .where(OpportunityRecommendation.employee_id == employee_id)
    )
    needs: dict[uuid.UUID, list[tuple[uuid.UUID, str, int, Importance]]] = {}
    levels: dict[uuid.UUID, int] = {}
    for opportunity_id, skill_id, label, need, importance, have in rows:
        needs.setdefault(opportunity_id, []).append((skill_id, label, need, importance))
        if have is not None:
            levels[skill_id] = have
    return needs, levels


class MatchServingService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recommendations(self, principal: Principal) -> RecommendationsRead:
        """The caller's best open opportunities, as the last recompute ranked them, kept to what holds
        now: an opening closed, filled, past its deadline or no longer visible to the person (its
        visibility, or the person's unit or level, changed) is left out at once, and so is one they
        applied to or became the hiring manager of since."""
        employee_id = principal.employee_id
        if employee_id is None:
            raise PermissionDeniedError("recommendations are for employees")
        computed_at, pending, weights_version = await freshness(self.session)
        employee = await self.session.get(Employee, employee_id)
        if employee is None or not employee.active:
            return RecommendationsRead(employee_id, computed_at, pending, [], weights_version=weights_version)
        viewer = await person_viewer(self.session, employee)
        now = dt.datetime.now(dt.UTC)
        rows = (
            await self.session.execute(
                select(
                    OpportunityRecommendation.score,
                    OpportunityRecommendation.contributions,
                    *_BRIEF_COLUMNS,
                )
                .join(Opportunity, Opportunity.id == OpportunityRecommendation.opportunity_id)
                .where(
                    OpportunityRecommendation.employee_id == employee_id,
                    viewer.admits(now),
                    or_(Opportunity.closes_at.is_(None), Opportunity.closes_at > now),
                    or_(Opportunity.hiring_manager_id.is_(None), Opportunity.hiring_manager_id != employee_id),
                    ~exists().where(
                        Application.opportunity_id == Opportunity.id, Application.employee_id == employee_id
                    ),
                )
                .order_by(OpportunityRecommendation.rank)
            )
        ).all()
        needs, levels = await _recommended_needs(self.session, employee_id)
        items = [
            Recommendation(
                rank=position,
                opportunity=OpportunityBrief(
                    id=row.id,
                    title=row.title,
                    kind=row.kind,
                    status=row.status,
                    org_unit_id=row.org_unit_id,
                    location=row.location,
                    remote=row.remote,
                    closes_at=row.closes_at,
                ),
                match=explanation(row.score, row.contributions, needs.get(row.id, []), levels),
            )
            for position, row in enumerate(rows, 1)
        ]
        return RecommendationsRead(employee_id, computed_at, pending, items, weights_version=weights_version)

    async def candidates(self, principal: Principal, opportunity_id: uuid.UUID, limit: int) -> CandidatesRead:
        """An opening's best internal candidates, for HR and its hiring manager. Who appears follows
        each person's current open-to-move choice (re-checked now, not as of the recompute), never
        the caller's own reports, and every person shown is written to the audit log."""
        opportunity = await OpportunityService(self.session).get_visible(principal, opportunity_id)
        if not principal.is_hr and (
            principal.employee_id is None or principal.employee_id != opportunity.hiring_manager_id
        ):
            raise PermissionDeniedError("only HR and the opening's hiring manager see its candidates")
        if not principal.is_hr and not principal.has_role(UserRole.MANAGER):
            # "Open to hiring managers" is a choice to be seen by managers (`may_see`): a hiring
            # manager whose sign-in does not hold the manager role sees nobody's.
            raise PermissionDeniedError("a hiring manager sees candidates while holding the manager role")
        pool = HR_POOL if principal.is_hr else MANAGER_POOL
        computed_at, pending, weights_version = await freshness(self.session)
        if not accepting_applications(opportunity, dt.datetime.now(dt.UTC)):
            # Candidates are people to invite to apply: none for an opening that takes no applications.
            return CandidatesRead(opportunity_id, computed_at, pending, pool, [], weights_version=weights_version)
        query = (
            select(OpportunityCandidate, Employee, Aspiration.open_to_move)
            .join(Employee, Employee.id == OpportunityCandidate.employee_id)
            .join(Aspiration, Aspiration.employee_id == Employee.id)
            .where(
                OpportunityCandidate.opportunity_id == opportunity_id,
                OpportunityCandidate.pool == pool,
                # Who may see the opening now (active, its units and levels), not as of the recompute.
                await admitted_people(self.session, opportunity),
                Aspiration.open_to_move.in_(POOL_LEVELS[pool]),
                ~exists().where(Application.opportunity_id == opportunity_id, Application.employee_id == Employee.id),
            )
            .order_by(OpportunityCandidate.rank)
        )
        if opportunity.hiring_manager_id is not None:
            query = query.where(Employee.id != opportunity.hiring_manager_id)
        if opportunity.role_id is not None:
            # Those who hold the role now (they may have moved into it since) are not candidates for it.
            query = query.where(or_(Employee.role_id.is_(None), Employee.role_id != opportunity.role_id))
        if not principal.is_hr and principal.employee_id is not None:
            # A manager never learns that someone in their own reporting line is open to a move.
            query = query.where(Employee.id.not_in(reports_of(principal.employee_id)))
        rows = (await self.session.execute(query.limit(limit))).all()
        needs = (await _needs(self.session, OpportunitySkill, [opportunity_id])).get(opportunity_id, [])
        levels = await _current_levels(self.session, [employee.id for _, employee, _ in rows])
        items = [
            Candidate(
                rank=position,
                employee=CandidateBrief(employee.id, employee.full_name, employee.title, employee.org_unit_id, level),
                match=explanation(row.score, row.contributions, needs, levels.get(employee.id, {}), own=False),
            )
            for position, (row, employee, level) in enumerate(rows, 1)
        ]
        await record_views(
            self.session,
            principal,
            action="candidates.viewed",
            object_type="opportunity",
            views=[
                Viewed(item.employee.id, opportunity_id, {"open_to_move": str(item.employee.open_to_move)})
                for item in items
            ],
        )
        return CandidatesRead(opportunity_id, computed_at, pending, pool, items, weights_version=weights_version)

    async def next_roles(self, principal: Principal, employee_id: uuid.UUID) -> NextRolesRead:
        """Roles one or two career-path steps from the employee's role (and the roles they aim at),
        ranked by fit now, with the skills each needs. For the employee, their managers and HR."""
        employee = await get_or_404(self.session, Employee, employee_id, "employee")
        chain = await ancestors(self.session, Employee, "manager_id", employee.id)
        if not (principal.employee_id == employee.id or principal.is_hr or principal.employee_id in chain):
            raise NotFoundError(f"employee {employee_id} does not exist")
        aspiration = await self.session.get(Aspiration, employee.id)
        open_to_move = aspiration.open_to_move if aspiration else OpenToMove.HIDDEN
        # A manager coaching a report sees fit without learning the report's targets.
        with_aspirations = may_see(principal, employee, open_to_move, chain)
        steps = await self._steps(employee.role_id)
        aspired = (
            set(
                (
                    await self.session.scalars(
                        select(AspirationRole.role_id).where(AspirationRole.employee_id == employee.id)
                    )
                ).all()
            )
            if with_aspirations
            else set()
        )
        for role_id in aspired:
            steps.setdefault(role_id, (0, None, None, None))
        steps.pop(employee.role_id, None)  # type: ignore[arg-type]
        now = dt.datetime.now(dt.UTC)
        if not steps:
            return NextRolesRead(employee.id, employee.role_id, with_aspirations, now, [])
        universe = await load_universe(self.session)
        loaded = await load_people(self.session, universe, [employee.id])
        people = _aspirations_kept(loaded.people, [with_aspirations])
        openings, role_ids = await load_role_openings(self.session, universe, list(steps))
        adjacency = await _stored_adjacency(self.session, universe, people)
        weights = await tenant_weights(self.session)
        person = np.zeros(len(role_ids), dtype=np.int64)
        scored = engine.breakdown(people, person, openings, np.arange(len(role_ids)), adjacency, weights)
        roles = {r.id: r for r in (await self.session.scalars(select(Role).where(Role.id.in_(role_ids)))).all()}
        needs = await _needs(self.session, RoleSkill, role_ids)
        levels = (await _current_levels(self.session, [employee.id])).get(employee.id, {})
        items = []
        for j, role_id in enumerate(role_ids):
            count, via, kind, months = steps[role_id]
            items.append(
                NextRole(
                    role_id=role_id,
                    title=roles[role_id].title,
                    level=roles[role_id].level,
                    steps=count,
                    via_role_id=via,
                    kind=kind,
                    typical_months=months,
                    aspired=role_id in aspired,
                    match=explanation(
                        float(scored.score[j]),
                        [float(scored.contributions[f][j]) for f in engine.Factor],
                        needs.get(role_id, []),
                        levels,
                        own=principal.employee_id == employee.id,
                    ),
                )
            )
        items.sort(key=lambda item: (-item.match.score, item.steps, item.title))
        return NextRolesRead(employee.id, employee.role_id, with_aspirations, now, items[:NEXT_ROLES_SHOWN])

    async def _steps(self, role_id: uuid.UUID | None) -> dict[uuid.UUID, tuple[int, uuid.UUID | None, Any, int | None]]:
        """Roles reachable in one or two career-path steps: (steps, via role, kind, typical months)."""
        if role_id is None:
            return {}
        first = (
            await self.session.execute(
                select(CareerPath.to_role_id, CareerPath.kind, CareerPath.typical_months).where(
                    CareerPath.from_role_id == role_id
                )
            )
        ).all()
        steps: dict[uuid.UUID, tuple[int, uuid.UUID | None, Any, int | None]] = {
            to: (1, None, kind, months) for to, kind, months in first
        }
        if first:
            second = (
                await self.session.execute(
                    select(CareerPath.from_role_id, CareerPath.to_role_id, CareerPath.kind, CareerPath.typical_months)
                    .where(CareerPath.from_role_id.in_([to for to, _, _ in first]))
                    .order_by(CareerPath.from_role_id, CareerPath.to_role_id)
                )
            ).all()
            for via, to, kind, months in second:
                if to not in steps and to != role_id:
                    before = steps[via][3]
                    total = None if months is None or before is None else before + months
                    steps[to] = (2, via, kind, total)
        return steps


async def _stored_adjacency(session: AsyncSession, universe: Universe, people: engine.People) -> sparse.csr_array:
    """The last run's adjacency, only from the skills `people` hold: credit flows from a held skill
    to a needed one, so the rest of the table (tens of thousands of rows) is not read per request."""
    held = [universe.skills.keys[int(s)] for s in np.unique(people.skills.indices)]
    rows = (
        await session.execute(
            select(SkillAdjacency.skill_id, SkillAdjacency.related_skill_id, SkillAdjacency.weight).where(
                SkillAdjacency.skill_id.in_(held)
            )
        )
    ).all()
    triples = [(universe.skills.get(a), universe.skills.get(b), w) for a, b, w in rows]
    triples = [(a, b, w) for a, b, w in triples if a >= 0 and b >= 0]
    size = len(universe.skills)
    return csr([a for a, _, _ in triples], [b for _, b, _ in triples], [w for _, _, w in triples], (size, size))


def _aspirations_kept(people: engine.People, keep: Sequence[bool]) -> engine.People:
    """The same people with the aspirations of those not kept left out (as if they had none): the
    aspirations factor then counts only what the caller may see."""
    mask = sparse.diags_array(np.asarray(keep, dtype=np.float64))

    def kept(matrix: sparse.csr_array) -> sparse.csr_array:
        masked = sparse.csr_array(mask @ matrix)
        # The engine counts a person's aspirations by their stored entries: no explicit zeros.
        masked.eliminate_zeros()
        return masked

    return engine.People(
        skills=people.skills,
        level=people.level,
        location=people.location,
        units=people.units,
        aspiration_roles=kept(people.aspiration_roles),
        aspiration_skills=kept(people.aspiration_skills),
    )


async def aspirations_visible(
    session: AsyncSession, principal: Principal, employee_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these employees' aspirations the caller may see, by `may_see` (the rule of
    `GET /employees/{id}/aspirations`), in two statements whatever their number."""
    if not employee_ids:
        return set()
    levels = dict(
        (
            await session.execute(
                select(Aspiration.employee_id, Aspiration.open_to_move).where(Aspiration.employee_id.in_(employee_ids))
            )
        ).all()
    )
    me = principal.employee_id
    below_me: set[uuid.UUID] = set()
    if me is not None:
        below_me = set(
            (
                await session.scalars(
                    select(Employee.id).where(Employee.id.in_(employee_ids), Employee.id.in_(reports_of(me)))
                )
            ).all()
        )
    people = (await session.scalars(select(Employee).where(Employee.id.in_(employee_ids)))).all()
    return {
        person.id
        for person in people
        # may_see asks whether the caller is in the person's chain: they are exactly when the
        # person is below them.
        if may_see(
            principal,
            person,
            levels.get(person.id, OpenToMove.HIDDEN),
            {me} if me is not None and person.id in below_me else set(),
        )
    }


async def explain_applicants(
    session: AsyncSession,
    opportunity_id: uuid.UUID,
    employee_ids: Sequence[uuid.UUID],
    *,
    aspirations_of: Collection[uuid.UUID],
) -> dict[uuid.UUID, MatchExplanation]:
    """How each applicant fits the opening, scored now with the tenant's weights (a hiring manager
    ranks the people who applied, whatever the last recompute saw). Applicants who left are absent.
    The aspirations factor counts the aspirations of `aspirations_of` only: those the caller may see."""
    if not employee_ids:
        return {}
    universe = await load_universe(session)
    loaded = await load_people(session, universe, list(employee_ids))
    openings = await load_openings(session, universe, loaded, [opportunity_id])
    if not openings.opportunity_ids or not loaded.employee_ids:
        return {}
    people = _aspirations_kept(loaded.people, [e in aspirations_of for e in loaded.employee_ids])
    adjacency = await _stored_adjacency(session, universe, people)
    weights = await tenant_weights(session)
    people_at = np.arange(len(loaded.employee_ids))
    scored = engine.breakdown(
        people, people_at, openings.openings, np.zeros(len(people_at), dtype=np.int64), adjacency, weights
    )
    needs = (await _needs(session, OpportunitySkill, [opportunity_id])).get(opportunity_id, [])
    levels = await _current_levels(session, loaded.employee_ids)
    return {
        employee_id: explanation(
            float(scored.score[i]),
            [float(scored.contributions[factor][i]) for factor in engine.Factor],
            needs,
            levels.get(employee_id, {}),
            own=False,
        )
        for i, employee_id in enumerate(loaded.employee_ids)
    }
