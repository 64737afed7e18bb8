"""Pairing runs: HR starts a run of a programme's whole pool, a job computes it (`PairingRunService.run`,
the solver is `backend.mentoring.pairing`), and it stays `proposed`, seen by HR only, until HR
publishes it (its pairs become visible to their members) or discards it. While it is proposed, HR may
review it by hand: swap the mentors of two of its pairs, or remove a pair (its mentee joins the end of
the waitlist); each change is scored by the solve's own scoring, its reasons written as the run writes
them, and may be previewed first (`dry_run`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.auth.principal import Principal, require_hr
from backend.core.jobs.enqueue import Progress, enqueue_for
from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.framework.models import Role, RoleSkill
from backend.mentoring import reasons
from backend.mentoring.models import (
    IN_POOL,
    LIVE_STATES,
    MenteeRequest,
    MenteeRequestSkill,
    MentorProfile,
    MentorProfileSkill,
    Pairing,
    PairingRun,
    PairingState,
    Programme,
    ProgrammeStatus,
    RequestStatus,
    RunStatus,
    WaitlistEntry,
)
from backend.mentoring.notices import tell_published
from backend.mentoring.pairing import (
    DEFAULT_WEIGHTS,
    FACTORS,
    UNMATCHED_REASONS,
    Objective,
    Pool,
    pair_factors,
    scores_of,
    solve_pool,
    unmatched_reason,
)
from backend.mentoring.programmes import ProgrammeService
from backend.mentoring.reasons import Statement
from backend.mentoring.schemas import RunCreate
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.skills.models import EmployeeSkill, Skill
from tenants.base import new_id

PAIRING_RUN_JOB = "mentoring.pairing_run"


@dataclass
class _Mentee:
    request: MenteeRequest
    employee: Employee
    wants: list[uuid.UUID]


@dataclass
class _Mentor:
    profile: MentorProfile
    employee: Employee
    remaining: int


@dataclass
class _PoolData:
    pool: Pool
    mentees: list[_Mentee]
    mentors: list[_Mentor]
    skills: list[uuid.UUID]
    levels: dict[tuple[uuid.UUID, uuid.UUID], int]
    teaches: set[tuple[uuid.UUID, uuid.UUID]]
    skill_labels: dict[uuid.UUID, str]
    role_titles: dict[uuid.UUID, str]


# The waitlist's reason code of a mentee whose proposed pair HR removed in review.
REMOVED = "removed"
_STALE = "the pool changed since this run was computed; start a new run"


@dataclass(frozen=True)
class RunEdit:
    """A change HR makes to a proposed run in review (a swap, a removal), or would make (`dry_run`):
    the run's total score before and after it, the pairs it makes (as they are, or would be, with
    their new mentors, scores and reasons; none for a removal) and the waitlist entry it adds."""

    run: PairingRun
    total_before: float
    total_after: float
    pairings: list[Pairing]
    waitlisted: WaitlistEntry | None
    dry_run: bool


# Language bits: one per language, up to this many; rarer languages share the last bit and the pairs
# that share only that bit without a common language are excluded one by one.
_LANGUAGE_BITS = 62


class PairingRunService:
    """Starts, publishes and discards runs, and computes one (the job's body). Computing is
    idempotent: a run computed again (a retried job) replaces its own proposed pairs and waitlist, so
    exactly one set remains; a run already published or discarded is left as it is."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def start(self, principal: Principal, programme_id: uuid.UUID, data: RunCreate) -> PairingRun:
        """Ask for a pairing run of the programme's whole pool. Earlier runs not yet published are
        discarded: at most one run of a programme is waiting for review."""
        require_hr(principal, "start pairing runs")
        programme = await ProgrammeService(self.session).get(principal, programme_id, lock=True)
        if programme.status == ProgrammeStatus.CLOSED:
            raise ConflictError("the programme is closed")
        await self.session.execute(
            update(PairingRun)
            .where(
                PairingRun.programme_id == programme_id,
                PairingRun.status.in_([RunStatus.QUEUED, RunStatus.PROPOSED]),
            )
            .values(status=RunStatus.DISCARDED)
        )
        run = PairingRun(
            programme_id=programme_id,
            objective=data.objective or programme.objective,
            status=RunStatus.QUEUED,
            created_by=principal.actor,
        )
        self.session.add(run)
        await self.session.flush()
        job = await enqueue_for(self.session, principal, PAIRING_RUN_JOB, {"run_id": str(run.id)})
        run.job_id = job.id
        await self.session.flush()
        return run

    async def of_programme(
        self, principal: Principal, programme_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[Sequence[PairingRun], str | None]:
        require_hr(principal, "see pairing runs")
        await ProgrammeService(self.session).get(principal, programme_id)
        query = select(PairingRun).where(PairingRun.programme_id == programme_id)
        return await paginate(self.session, query, PairingRun.id, cursor, limit)

    async def get(self, principal: Principal, run_id: uuid.UUID, *, lock: bool = False) -> PairingRun:
        # A run holds the whole programme's pairs: HR's only. To others it does not exist.
        run = await self.session.get(PairingRun, run_id, with_for_update=lock) if principal.is_hr else None
        if run is None:
            raise NotFoundError(f"pairing run {run_id} does not exist")
        return run

    async def pairings(
        self, principal: Principal, run_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[Sequence[Pairing], str | None]:
        await self.get(principal, run_id)
        return await paginate(self.session, select(Pairing).where(Pairing.run_id == run_id), Pairing.id, cursor, limit)

    async def waitlist(
        self, principal: Principal, run_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[Sequence[WaitlistEntry], str | None]:
        """In waitlist order: a run writes its entries in order of position, and ids grow with time."""
        await self.get(principal, run_id)
        query = select(WaitlistEntry).where(WaitlistEntry.run_id == run_id)
        return await paginate(self.session, query, WaitlistEntry.id, cursor, limit)

    async def publish(self, principal: Principal, run_id: uuid.UUID) -> PairingRun:
        """Publish a proposed run: its pairs become visible to their members, its mentees matched or
        waitlisted. Refused (409) when the pool changed under the run since it was computed."""
        require_hr(principal, "publish pairing runs")
        run = await self.get(principal, run_id)
        # The programme's lock first, as `start_run` takes it: publishing and starting runs queue up.
        await self.session.get(Programme, run.programme_id, with_for_update=True)
        await self.session.refresh(run, with_for_update=True)
        if run.status != RunStatus.PROPOSED:
            raise ConflictError(f"only a proposed run can be published; this one is {run.status.value}")
        pairs = (await self.session.scalars(select(Pairing).where(Pairing.run_id == run.id))).all()
        await self._check_still_valid(run, pairs)
        now = datetime.now(UTC)
        await self.session.execute(
            update(Pairing)
            .where(Pairing.run_id == run.id, Pairing.state == PairingState.PROPOSED)
            .values(state=PairingState.PUBLISHED, published_at=now)
        )
        if pairs:
            await self.session.execute(
                update(MenteeRequest)
                .where(MenteeRequest.id.in_([p.mentee_request_id for p in pairs]))
                .values(status=RequestStatus.MATCHED)
            )
        await self.session.execute(
            update(MenteeRequest)
            .where(
                MenteeRequest.id.in_(select(WaitlistEntry.mentee_request_id).where(WaitlistEntry.run_id == run.id)),
                MenteeRequest.status.in_(IN_POOL),
            )
            .values(status=RequestStatus.WAITLISTED)
        )
        run.status = RunStatus.PUBLISHED
        run.published_at = now
        run.published_by = principal.actor
        await self.session.flush()
        await tell_published(self.session, run, pairs)
        await self.session.refresh(run)
        return run

    async def _check_still_valid(self, run: PairingRun, pairs: Sequence[Pairing]) -> None:
        if not pairs:
            return
        stale = "the pool changed since this run was computed; start a new run"
        request_ids = [p.mentee_request_id for p in pairs]
        statuses = {
            request_id: status
            for request_id, status in await self.session.execute(
                select(MenteeRequest.id, MenteeRequest.status).where(MenteeRequest.id.in_(request_ids))
            )
        }
        if any(statuses.get(r) not in IN_POOL for r in request_ids):
            raise ConflictError(f"{stale} (a mentee request was withdrawn or matched)")
        taken = await self.session.scalar(
            select(func.count())
            .select_from(Pairing)
            .where(Pairing.mentee_request_id.in_(request_ids), Pairing.state.in_(LIVE_STATES))
        )
        if taken:
            raise ConflictError(f"{stale} (a mentee is already paired)")
        new_load: dict[uuid.UUID, int] = {}
        for pair in pairs:
            new_load[pair.mentor_profile_id] = new_load.get(pair.mentor_profile_id, 0) + 1
        profiles = (
            await self.session.execute(
                select(MentorProfile.id, MentorProfile.capacity, MentorProfile.active).where(
                    MentorProfile.id.in_(list(new_load))
                )
            )
        ).all()
        used = await _used_capacity(self.session, run.programme_id)
        for profile_id, capacity, active in profiles:
            if not active or used.get(profile_id, 0) + new_load[profile_id] > capacity:
                raise ConflictError(f"{stale} (a mentor left or has no capacity left)")

    async def discard(self, principal: Principal, run_id: uuid.UUID) -> PairingRun:
        run = await self.get(principal, run_id, lock=True)
        if run.status == RunStatus.PUBLISHED:
            raise ConflictError("a published run cannot be discarded; end its pairings instead")
        run.status = RunStatus.DISCARDED
        await self.session.flush()
        await self.session.refresh(run)
        return run

    # --- reviewing a proposed run by hand ------------------------------------------------------

    async def swap(
        self,
        principal: Principal,
        run_id: uuid.UUID,
        first_id: uuid.UUID,
        second_id: uuid.UUID,
        *,
        dry_run: bool = False,
    ) -> RunEdit:
        """Exchange the mentors of two proposed pairs of a proposed run. Each new pair is scored as the
        solve scores it, with the weights the run used, and gets its reasons as the run writes them;
        the run's total moves by the difference. Refused when a hard constraint forbids a new pair
        (422) or the pool changed since the run (409). `dry_run`: the effect, nothing written."""
        require_hr(principal, "change pairing runs")
        run, programme = await self._reviewing(principal, run_id)
        first = await self._pair_of(run, first_id, "first_pairing_id")
        second = await self._pair_of(run, second_id, "second_pairing_id")
        if first.id == second.id:
            raise InvalidInputError("second_pairing_id", "choose two different pairs to swap")
        if first.mentor_profile_id == second.mentor_profile_id:
            raise InvalidInputError("second_pairing_id", "both pairs have the same mentor: a swap changes nothing")
        data = await self._load(programme)
        weights = _weights_of(programme, first)
        mentee_at = {m.request.id: i for i, m in enumerate(data.mentees)}
        mentor_at = {m.profile.id: j for j, m in enumerate(data.mentors)}
        wanted = ((first, second.mentor_profile_id), (second, first.mentor_profile_id))
        if any(p.mentee_request_id not in mentee_at or mentor not in mentor_at for p, mentor in wanted):
            raise ConflictError(f"{_STALE} (a mentee or a mentor of these pairs left the pool)")
        mentees = np.array([mentee_at[p.mentee_request_id] for p, _ in wanted], np.int64)
        mentors = np.array([mentor_at[mentor] for _, mentor in wanted], np.int64)
        scores = scores_of(data.pool, mentees, mentors, weights=weights)
        if (scores < 0).any():
            raise InvalidInputError(
                "second_pairing_id",
                "a hard constraint forbids a swapped pair (no shared language, a reporting line, the same "
                "department, an excluded mentor or one without capacity)",
            )
        factor_values = pair_factors(data.pool, mentees, mentors)
        replaced = first.score + second.score
        changed = []
        for k, (pair, _) in enumerate(wanted):
            mentee, mentor = data.mentees[int(mentees[k])], data.mentors[int(mentors[k])]
            factors = {name: float(factor_values[name][k]) for name in FACTORS}
            values = {
                "mentor_profile_id": mentor.profile.id,
                "mentor_employee_id": mentor.employee.id,
                "score": round(float(scores[k]), 6),
                "reasons": _reasons(data, mentee, mentor, factors, weights, programme),
            }
            changed.append(_changed(pair, values, write=not dry_run))
        before = run.total_score or 0.0
        after = round(before - replaced + sum(p.score for p in changed), 6)
        if dry_run:
            return RunEdit(run, before, after, changed, None, True)
        run.total_score = after
        await self.session.flush()
        return RunEdit(run, before, after, changed, None, False)

    async def remove(
        self, principal: Principal, run_id: uuid.UUID, pairing_id: uuid.UUID, *, dry_run: bool = False
    ) -> RunEdit:
        """Take a proposed pair out of a proposed run: its mentee joins the end of the run's waitlist
        (reason `removed`), its mentor's place is free, the run's total loses its score. `dry_run`:
        the effect, nothing written."""
        require_hr(principal, "change pairing runs")
        run, _ = await self._reviewing(principal, run_id)
        pair = await self._pair_of(run, pairing_id, "pairing_id")
        before = run.total_score or 0.0
        after = round(before - pair.score, 6)
        last = await self.session.scalar(select(func.max(WaitlistEntry.position)).where(WaitlistEntry.run_id == run.id))
        entry = WaitlistEntry(
            id=new_id(),
            run_id=run.id,
            mentee_request_id=pair.mentee_request_id,
            position=(last or 0) + 1,
            reason_code=REMOVED,
            reason=UNMATCHED_REASONS[REMOVED],
        )
        if dry_run:
            return RunEdit(run, before, after, [], entry, True)
        await self.session.delete(pair)
        await self.session.flush()
        self.session.add(entry)
        run.matched = (run.matched or 1) - 1
        run.unmatched = (run.unmatched or 0) + 1
        run.total_score = after
        await self.session.flush()
        return RunEdit(run, before, after, [], entry, False)

    async def _reviewing(self, principal: Principal, run_id: uuid.UUID) -> tuple[PairingRun, Programme]:
        """The run and its programme, locked in the order publishing takes them, if the run is still
        proposed (409 otherwise)."""
        run = await self.get(principal, run_id)
        programme = await self.session.get_one(Programme, run.programme_id, with_for_update=True)
        await self.session.refresh(run, with_for_update=True)
        if run.status != RunStatus.PROPOSED:
            raise ConflictError(f"only a proposed run can be changed; this one is {run.status.value}")
        return run, programme

    async def _pair_of(self, run: PairingRun, pairing_id: uuid.UUID, field: str) -> Pairing:
        pair = await self.session.get(Pairing, pairing_id, with_for_update=True)
        if pair is None or pair.run_id != run.id or pair.state != PairingState.PROPOSED:
            raise InvalidInputError(field, f"pairing {pairing_id} is not a proposed pair of this run")
        return pair

    # --- computing a run (the job's body) ---------------------------------------------------------

    async def run(self, run_id: uuid.UUID, *, progress: Progress | None = None) -> dict[str, Any]:
        async def report(percent: int) -> None:
            if progress is not None:
                await progress(percent)

        # The programme's lock, then the run's, as starting and publishing runs take them. In the
        # other order, a run computed again while HR publishes it deadlocks: the job holds the run
        # while its new pairs wait on the programme (their foreign key), which HR holds.
        programme_id = await self.session.scalar(select(PairingRun.programme_id).where(PairingRun.id == run_id))
        if programme_id is None:
            raise NotFoundError(f"pairing run {run_id} does not exist")
        programme = await self.session.get_one(Programme, programme_id, with_for_update=True)
        run = await self.session.scalar(select(PairingRun).where(PairingRun.id == run_id).with_for_update())
        if run is None:
            raise NotFoundError(f"pairing run {run_id} does not exist")
        if run.status in (RunStatus.PUBLISHED, RunStatus.DISCARDED):
            return _summary(run)
        await self.session.execute(
            delete(Pairing).where(Pairing.run_id == run.id, Pairing.state == PairingState.PROPOSED)
        )
        await self.session.execute(delete(WaitlistEntry).where(WaitlistEntry.run_id == run.id))
        await report(10)
        data = await self._load(programme)
        await report(40)
        weights = {**DEFAULT_WEIGHTS, **(programme.weights or {})}
        pool = data.pool
        pair_values: list[dict[str, Any]] = []
        total = 0.0
        mentor_of = np.full(pool.mentees, -1, np.int64)
        if pool.mentees and pool.mentors:
            # Optimal over every allowed pair; per_mentee only sizes the solver's first graph.
            solution = solve_pool(
                pool, Objective(run.objective.value), per_mentee=programme.per_mentee, weights=weights
            )
            mentor_of = solution.assignment.mentor_of
            rows = solution.assignment.pair_rows
            mentee_indices, mentor_indices = solution.candidates.mentee[rows], solution.candidates.mentor[rows]
            scores = solution.candidates.score[rows]
            factor_values = pair_factors(pool, mentee_indices, mentor_indices)
            for k, (mentee_index, mentor_index) in enumerate(zip(mentee_indices, mentor_indices, strict=True)):
                factors = {name: float(factor_values[name][k]) for name in FACTORS}
                score = float(scores[k])
                total += score
                mentee, mentor = data.mentees[int(mentee_index)], data.mentors[int(mentor_index)]
                pair_values.append(
                    {
                        "run_id": run.id,
                        "programme_id": programme.id,
                        "mentor_profile_id": mentor.profile.id,
                        "mentee_request_id": mentee.request.id,
                        "mentor_employee_id": mentor.employee.id,
                        "mentee_employee_id": mentee.employee.id,
                        "state": PairingState.PROPOSED,
                        "score": round(score, 6),
                        "reasons": _reasons(data, mentee, mentor, factors, weights, programme),
                    }
                )
        await report(70)
        if pair_values:
            await self.session.execute(insert(Pairing), pair_values)
        unmatched = [i for i in range(pool.mentees) if mentor_of[i] < 0]
        waitlist = []
        for position, index in enumerate(unmatched, start=1):
            code = unmatched_reason(pool, index)
            waitlist.append(
                {
                    "run_id": run.id,
                    "mentee_request_id": data.mentees[index].request.id,
                    "position": position,
                    "reason_code": code,
                    "reason": UNMATCHED_REASONS[code],
                }
            )
        if waitlist:
            await self.session.execute(insert(WaitlistEntry), waitlist)
        run.status = RunStatus.PROPOSED
        run.matched = len(pair_values)
        run.unmatched = len(unmatched)
        run.total_score = round(total, 6)
        run.computed_at = datetime.now(UTC)
        await self.session.flush()
        await report(90)
        return _summary(run)

    async def _load(self, programme: Programme) -> _PoolData:
        session = self.session
        pid = programme.id
        mentor_rows = (
            await session.execute(
                select(MentorProfile, Employee)
                .join(Employee, Employee.id == MentorProfile.employee_id)
                .where(MentorProfile.programme_id == pid, MentorProfile.active, Employee.active)
                .order_by(MentorProfile.id)
            )
        ).all()
        used = await _used_capacity(session, pid)
        mentors = [_Mentor(p, e, max(0, p.capacity - used.get(p.id, 0))) for p, e in mentor_rows]
        live = exists().where(Pairing.mentee_request_id == MenteeRequest.id, Pairing.state.in_(LIVE_STATES))
        mentee_rows = (
            await session.execute(
                select(MenteeRequest, Employee)
                .join(Employee, Employee.id == MenteeRequest.employee_id)
                .where(MenteeRequest.programme_id == pid, MenteeRequest.status.in_(IN_POOL), Employee.active, ~live)
                .order_by(MenteeRequest.id)
            )
        ).all()
        # What each mentee wants to grow: the skills they named, else the skills of their target role.
        wants: dict[uuid.UUID, list[uuid.UUID]] = {r.id: [] for r, _ in mentee_rows}
        for request_id, skill_id in await session.execute(
            select(MenteeRequestSkill.request_id, MenteeRequestSkill.skill_id)
            .join(MenteeRequest, MenteeRequest.id == MenteeRequestSkill.request_id)
            .where(MenteeRequest.programme_id == pid)
            .order_by(MenteeRequestSkill.request_id, MenteeRequestSkill.skill_id)
        ):
            if request_id in wants:
                wants[request_id].append(skill_id)
        target_roles = sorted({r.target_role_id for r, _ in mentee_rows if r.target_role_id is not None})
        role_skills: dict[uuid.UUID, list[uuid.UUID]] = {role: [] for role in target_roles}
        if target_roles:
            for role_id, skill_id in await session.execute(
                select(RoleSkill.role_id, RoleSkill.skill_id)
                .where(RoleSkill.role_id.in_(target_roles))
                .order_by(RoleSkill.role_id, RoleSkill.skill_id)
            ):
                role_skills[role_id].append(skill_id)
        mentees = []
        for request, employee in mentee_rows:
            wanted = wants[request.id]
            if not wanted and request.target_role_id is not None:
                wanted = role_skills[request.target_role_id]
            mentees.append(_Mentee(request, employee, wanted))
        teaches: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for profile_id, skill_id in await session.execute(
            select(MentorProfileSkill.profile_id, MentorProfileSkill.skill_id)
            .join(MentorProfile, MentorProfile.id == MentorProfileSkill.profile_id)
            .where(MentorProfile.programme_id == pid)
        ):
            teaches.add((profile_id, skill_id))
        skills = sorted({s for m in mentees for s in m.wants} | {s for _, s in teaches})
        people = (
            select(MentorProfile.employee_id)
            .where(MentorProfile.programme_id == pid)
            .union(select(MenteeRequest.employee_id).where(MenteeRequest.programme_id == pid))
        )
        levels: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
        if skills:
            for employee_id, skill_id, level in await session.execute(
                select(EmployeeSkill.employee_id, EmployeeSkill.skill_id, EmployeeSkill.level).where(
                    EmployeeSkill.valid_to.is_(None),
                    EmployeeSkill.employee_id.in_(people),
                    EmployeeSkill.skill_id.in_(skills),
                )
            ):
                # Several sources may rate a skill: the highest current rating is the level.
                levels[(employee_id, skill_id)] = max(level, levels.get((employee_id, skill_id), 0))
        labels = (
            {s: label for s, label in await session.execute(select(Skill.id, Skill.label).where(Skill.id.in_(skills)))}
            if skills
            else {}
        )
        titles = (
            {r: t for r, t in await session.execute(select(Role.id, Role.title).where(Role.id.in_(target_roles)))}
            if target_roles
            else {}
        )
        lines = await self._reporting_lines(people)
        departments = await self._departments()
        pool = _build_pool(programme, mentees, mentors, skills, target_roles, levels, teaches, lines, departments)
        return _PoolData(pool, mentees, mentors, skills, levels, teaches, labels, titles)

    async def _reporting_lines(self, people: Any) -> dict[uuid.UUID, list[uuid.UUID]]:
        """Everyone above each person of the pool, in one recursive query."""
        employees = Employee.__table__
        chain = (
            select(employees.c.id.label("person"), employees.c.manager_id.label("boss"))
            .where(employees.c.id.in_(people), employees.c.manager_id.is_not(None))
            .cte("chain", recursive=True)
        )
        # UNION (not UNION ALL) also ends on a cycle in the manager chain, should one ever exist.
        chain = chain.union(
            select(chain.c.person, employees.c.manager_id)
            .join(employees, employees.c.id == chain.c.boss)
            .where(employees.c.manager_id.is_not(None))
        )
        lines: dict[uuid.UUID, list[uuid.UUID]] = {}
        for person, boss in await self.session.execute(select(chain.c.person, chain.c.boss)):
            lines.setdefault(person, []).append(boss)
        return lines

    async def _departments(self) -> dict[uuid.UUID, uuid.UUID]:
        """Each org unit's department: the nearest unit of kind department at or above it, else the
        top of its tree."""
        units = {
            u: (parent, kind)
            for u, parent, kind in await self.session.execute(select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.kind))
        }
        found: dict[uuid.UUID, uuid.UUID] = {}
        for unit in units:
            path, node = [], unit
            while node not in found:
                path.append(node)
                parent, kind = units[node]
                if kind == OrgUnitKind.DEPARTMENT or parent is None or parent in path:
                    found[node] = node
                    break
                node = parent
            for visited in path:
                found[visited] = found[node]
        return found


async def _used_capacity(session: AsyncSession, programme_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """How many live pairs each mentor profile of the programme has (published or active)."""
    rows = await session.execute(
        select(Pairing.mentor_profile_id, func.count())
        .where(Pairing.programme_id == programme_id, Pairing.state.in_(LIVE_STATES))
        .group_by(Pairing.mentor_profile_id)
    )
    return {profile_id: count for profile_id, count in rows}


def _weights_of(programme: Programme, pair: Pairing) -> dict[str, float]:
    """The factor weights a run scored its pairs with (stored in each pair's reasons), else the
    programme's: a pair made in review is scored as the run scored the others."""
    stored = pair.reasons.get("factors", {})
    if all(name in stored for name in FACTORS):
        return {name: float(stored[name]["weight"]) for name in FACTORS}
    return {**DEFAULT_WEIGHTS, **(programme.weights or {})}


def _changed(pair: Pairing, values: dict[str, Any], *, write: bool) -> Pairing:
    """The pair with `values`: the stored pair changed (`write`), else a copy of it (a preview)."""
    if write:
        for name, value in values.items():
            setattr(pair, name, value)
        return pair
    kept = {column.key: getattr(pair, column.key) for column in Pairing.__table__.columns}
    return Pairing(**(kept | values))


def _summary(run: PairingRun) -> dict[str, Any]:
    return {
        "run_id": str(run.id),
        "status": run.status.value,
        "matched": run.matched or 0,
        "unmatched": run.unmatched or 0,
        "total_score": run.total_score or 0.0,
    }


def _language_bits(
    mentees: Sequence[_Mentee], mentors: Sequence[_Mentor]
) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    counts: dict[str, int] = {}
    for languages in [m.request.languages for m in mentees] + [m.profile.languages for m in mentors]:
        for code in languages:
            counts[code] = counts.get(code, 0) + 1
    ranked = sorted(counts, key=lambda c: (-counts[c], c))
    bit = {code: 1 << min(i, _LANGUAGE_BITS) for i, code in enumerate(ranked)}
    shared_bit = 1 << _LANGUAGE_BITS

    def bits(languages: Sequence[str]) -> int:
        value = 0
        for code in languages:
            value |= bit[code]
        return value

    mentee_bits = [bits(m.request.languages) for m in mentees]
    mentor_bits = [bits(m.profile.languages) for m in mentors]
    excluded: list[tuple[int, int]] = []
    if len(ranked) > _LANGUAGE_BITS:
        # Pairs that meet only on the shared bit of the rare languages: check them one by one.
        for i, mentee in enumerate(mentees):
            if not mentee_bits[i] & shared_bit:
                continue
            for j, mentor in enumerate(mentors):
                if mentee_bits[i] & mentor_bits[j] == shared_bit and not set(mentee.request.languages) & set(
                    mentor.profile.languages
                ):
                    excluded.append((i, j))
    return mentee_bits, mentor_bits, excluded


def _build_pool(
    programme: Programme,
    mentees: Sequence[_Mentee],
    mentors: Sequence[_Mentor],
    skills: Sequence[uuid.UUID],
    target_roles: Sequence[uuid.UUID],
    levels: dict[tuple[uuid.UUID, uuid.UUID], int],
    teaches: set[tuple[uuid.UUID, uuid.UUID]],
    lines: dict[uuid.UUID, list[uuid.UUID]],
    departments: dict[uuid.UUID, uuid.UUID],
) -> Pool:
    person: dict[uuid.UUID, int] = {}

    def index_of(employee_id: uuid.UUID) -> int:
        return person.setdefault(employee_id, len(person))

    department: dict[uuid.UUID, int] = {}

    def department_of(employee: Employee) -> int:
        unit = departments.get(employee.org_unit_id) if employee.org_unit_id is not None else None
        if unit is None:
            # Without an org unit a person is in no known department: their own.
            return -1 - index_of(employee.id)
        return department.setdefault(unit, len(department))

    skill_index = {s: i for i, s in enumerate(skills)}
    role_index = {r: i for i, r in enumerate(target_roles)}
    want_start, want_skill, want_level = [0], [], []
    line_start, line_employee = [0], []
    for mentee in mentees:
        for skill in mentee.wants:
            want_skill.append(skill_index[skill])
            want_level.append(levels.get((mentee.employee.id, skill), 0))
        want_start.append(len(want_skill))
        line_employee += [index_of(boss) for boss in lines.get(mentee.employee.id, [])]
        line_start.append(len(line_employee))
    mentor_line_start, mentor_line_employee = [0], []
    mentor_level = np.zeros((len(mentors), len(skills)), np.int8)
    mentor_teaches = np.zeros((len(mentors), len(skills)), np.bool_)
    mentor_held_role = np.zeros((len(mentors), len(target_roles)), np.bool_)
    mentor_rows: dict[uuid.UUID, list[int]] = {}
    profile_row = {mentor.profile.id: j for j, mentor in enumerate(mentors)}
    for j, mentor in enumerate(mentors):
        mentor_rows.setdefault(mentor.employee.id, []).append(j)
    for (employee_id, skill), level in levels.items():
        for j in mentor_rows.get(employee_id, []):
            mentor_level[j, skill_index[skill]] = level
    for profile_id, skill in teaches:
        if profile_id in profile_row:
            mentor_teaches[profile_row[profile_id], skill_index[skill]] = True
    for j, mentor in enumerate(mentors):
        if mentor.employee.role_id in role_index:
            mentor_held_role[j, role_index[mentor.employee.role_id]] = True
        mentor_line_employee += [index_of(boss) for boss in lines.get(mentor.employee.id, [])]
        mentor_line_start.append(len(mentor_line_employee))
    mentee_bits, mentor_bits, excluded = _language_bits(mentees, mentors)
    for i, mentee in enumerate(mentees):
        for employee_id in mentee.request.excluded_mentor_ids:
            excluded += [(i, j) for j in mentor_rows.get(employee_id, [])]
    return Pool(
        mentee_employee=np.array([index_of(m.employee.id) for m in mentees], np.int64),
        mentee_language=np.array(mentee_bits, np.int64),
        mentee_department=np.array([department_of(m.employee) for m in mentees], np.int64),
        mentee_time_zone=np.array([m.request.utc_offset_minutes / 60 for m in mentees], np.float64),
        mentee_target_role=np.array(
            [role_index[m.request.target_role_id] if m.request.target_role_id else -1 for m in mentees], np.int64
        ),
        want_start=np.array(want_start, np.int64),
        want_skill=np.array(want_skill, np.int64),
        want_level=np.array(want_level, np.int64),
        line_start=np.array(line_start, np.int64),
        line_employee=np.array(line_employee, np.int64),
        mentor_employee=np.array([index_of(m.employee.id) for m in mentors], np.int64),
        mentor_language=np.array(mentor_bits, np.int64),
        mentor_department=np.array([department_of(m.employee) for m in mentors], np.int64),
        mentor_time_zone=np.array([m.profile.utc_offset_minutes / 60 for m in mentors], np.float64),
        mentor_capacity=np.array([m.remaining for m in mentors], np.int64),
        mentor_level=mentor_level,
        mentor_teaches=mentor_teaches,
        mentor_held_role=mentor_held_role,
        mentor_line_start=np.array(mentor_line_start, np.int64),
        mentor_line_employee=np.array(mentor_line_employee, np.int64),
        excluded=excluded,
        different_department=programme.require_different_department,
    )


def _reasons(
    data: _PoolData,
    mentee: _Mentee,
    mentor: _Mentor,
    factors: dict[str, float],
    weights: dict[str, float],
    programme: Programme,
) -> dict[str, Any]:
    """The pair's named factors (value, weight, points), why they suit each other as statements (a code
    and its values, `reasons.py`) and the same statements in English sentences."""
    statements: list[Statement] = []
    labels = data.skill_labels
    wanted = sorted(mentee.wants, key=lambda s: labels.get(s, ""))
    for skill in wanted:
        theirs = data.levels.get((mentor.employee.id, skill), 0)
        mine = data.levels.get((mentee.employee.id, skill), 0)
        if theirs > mine:
            statements.append(reasons.mentor_level(labels[skill], theirs, mine))
    taught = [labels[s] for s in wanted if (mentor.profile.id, s) in data.teaches]
    if taught:
        statements.append(reasons.teaches(taught))
    target = mentee.request.target_role_id
    if target is not None and mentor.employee.role_id == target:
        statements.append(reasons.holds_target_role(data.role_titles[target]))
    hours = abs(mentee.request.utc_offset_minutes - mentor.profile.utc_offset_minutes) / 60
    statements.append(reasons.time_zones(min(hours, 24 - hours)))
    statements.append(reasons.shared_languages(sorted(set(mentee.request.languages) & set(mentor.profile.languages))))
    if programme.require_different_department:
        statements.append(reasons.different_departments())
    return {
        "factors": {
            name: {
                "value": round(factors[name], 6),
                "weight": weights[name],
                "points": round(weights[name] * factors[name], 6),
            }
            for name in FACTORS
        },
        "sentences": [reasons.sentence(statement) for statement in statements],
        "statements": statements,
    }
