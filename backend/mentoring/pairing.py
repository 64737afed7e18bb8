"""Mentor pairing as pure functions over arrays: hard constraints, named score factors, and an exact
solve (min-cost flow, Google OR-Tools) of the whole pool at once.

The pool is a set of mentees and mentors, each a row in a few arrays. `candidate_pairs` applies the
hard constraints and scores every allowed pair with named factors, keeping each mentee's best
`per_mentee` candidates. `solve` then finds the optimal assignment over those candidates under mentor
capacities, for one of two objectives: the most total score, or the most mentees matched and then
the most score. Nothing here touches a database, so it is tested and benchmarked alone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Scores are rationals in [0, 1] per factor; the solver wants integer costs.
_SCALE = 10_000
# Time zones more than this many hours apart share no working day.
_TIME_ZONE_SPAN_HOURS = 8.0


class Objective(enum.StrEnum):
    TOTAL_SCORE = "total_score"
    MOST_MATCHED = "most_matched"


# The factors of a pair's score, with their weights (a programme may change them).
FACTORS = ("skill_lead", "wants_to_teach", "made_the_move", "time_zone_overlap")
DEFAULT_WEIGHTS = {"skill_lead": 0.4, "wants_to_teach": 0.25, "made_the_move": 0.2, "time_zone_overlap": 0.15}


@dataclass(frozen=True)
class Pool:
    """Mentees and mentors as arrays. Skills and roles are small integer ids; languages a bit set.

    Mentee wants are ragged: mentee i wants skills `want_skill[want_start[i]:want_start[i + 1]]`, at
    its current levels `want_level[...]` (0 to 5). Reporting lines are ragged the same way
    (`line_start`, `line_employee` for mentees, `mentor_line_*` for mentors): the employee ids of
    the person's managers, up to the top.
    """

    mentee_employee: IntArray
    mentee_language: IntArray
    mentee_department: IntArray
    mentee_time_zone: FloatArray
    mentee_target_role: IntArray  # -1: none
    want_start: IntArray
    want_skill: IntArray
    want_level: IntArray
    line_start: IntArray
    line_employee: IntArray
    mentor_employee: IntArray
    mentor_language: IntArray
    mentor_department: IntArray
    mentor_time_zone: FloatArray
    mentor_capacity: IntArray
    mentor_level: npt.NDArray[np.int8]  # (mentors, skills), 0 to 5
    mentor_teaches: npt.NDArray[np.bool_]  # (mentors, skills)
    mentor_held_role: npt.NDArray[np.bool_]  # (mentors, roles)
    mentor_line_start: IntArray
    mentor_line_employee: IntArray
    # Pairs never to make: (mentee index, mentor index), e.g. asked for by HR or a previous pair.
    excluded: list[tuple[int, int]] = field(default_factory=list)
    different_department: bool = False

    @property
    def mentees(self) -> int:
        return len(self.mentee_employee)

    @property
    def mentors(self) -> int:
        return len(self.mentor_employee)


@dataclass(frozen=True)
class Candidates:
    """Allowed pairs with their scores and factor values (parallel arrays, one row per pair)."""

    mentee: IntArray
    mentor: IntArray
    score: FloatArray
    factors: dict[str, FloatArray]


def candidate_pairs(
    pool: Pool, *, per_mentee: int = 50, weights: dict[str, float] | None = None, chunk: int = 1024
) -> Candidates:
    """Every pair that meets the hard constraints, scored; each mentee keeps its best `per_mentee`.

    Hard constraints: a shared language; the mentor is not in the mentee's reporting line and the
    mentee not in the mentor's (no manager mentors a report, either way); not an excluded pair; a
    different department when the programme asks; a mentor with capacity.
    """
    weights = weights or DEFAULT_WEIGHTS
    forbidden_mentee, forbidden_mentor = _forbidden_pairs(pool)
    by_skill = _BySkill.of(pool)
    open_mentors = pool.mentor_capacity > 0
    parts: list[tuple[IntArray, IntArray, FloatArray, dict[str, FloatArray]]] = []
    for start in range(0, pool.mentees, chunk):
        stop = min(start + chunk, pool.mentees)
        rows = np.arange(start, stop)
        factors = _factors(pool, by_skill, rows)
        score = sum(weights[name] * factors[name] for name in FACTORS)
        allowed = (pool.mentee_language[rows, None] & pool.mentor_language[None, :]) != 0
        allowed &= open_mentors[None, :]
        if pool.different_department:
            allowed &= pool.mentee_department[rows, None] != pool.mentor_department[None, :]
        allowed &= pool.mentee_employee[rows, None] != pool.mentor_employee[None, :]
        here = (forbidden_mentee >= start) & (forbidden_mentee < stop)
        allowed[forbidden_mentee[here] - start, forbidden_mentor[here]] = False
        score = np.where(allowed, score, -1.0)
        keep = min(per_mentee, pool.mentors)
        top = np.argpartition(-score, keep - 1, axis=1)[:, :keep] if keep < pool.mentors else None
        if top is None:
            top = np.broadcast_to(np.arange(pool.mentors), (len(rows), pool.mentors))
        top_scores = np.take_along_axis(score, top, axis=1)
        ok = top_scores >= 0
        mentee_ids = np.broadcast_to(rows[:, None], top.shape)[ok]
        mentor_ids = top[ok]
        parts.append(
            (
                mentee_ids.astype(np.int64),
                mentor_ids.astype(np.int64),
                top_scores[ok],
                {name: np.take_along_axis(factors[name], top, axis=1)[ok] for name in FACTORS},
            )
        )
    return Candidates(
        mentee=np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.int64),
        mentor=np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.int64),
        score=np.concatenate([p[2] for p in parts]) if parts else np.empty(0),
        factors={name: np.concatenate([p[3][name] for p in parts]) if parts else np.empty(0) for name in FACTORS},
    )


def _forbidden_pairs(pool: Pool) -> tuple[IntArray, IntArray]:
    """(mentee, mentor) index pairs that must never be made: excluded ones, and any two people where
    one is in the other's reporting line (a manager mentors no report, and no report their manager)."""
    mentee_rows = np.repeat(np.arange(pool.mentees), np.diff(pool.line_start))
    boss_as_mentor = _index_of(pool.mentor_employee, pool.line_employee)
    mentor_rows = np.repeat(np.arange(pool.mentors), np.diff(pool.mentor_line_start))
    boss_as_mentee = _index_of(pool.mentee_employee, pool.mentor_line_employee)
    excluded = np.array(pool.excluded, np.int64).reshape(-1, 2)
    mentees = np.concatenate([mentee_rows[boss_as_mentor >= 0], boss_as_mentee[boss_as_mentee >= 0], excluded[:, 0]])
    mentors = np.concatenate([boss_as_mentor[boss_as_mentor >= 0], mentor_rows[boss_as_mentee >= 0], excluded[:, 1]])
    return mentees, mentors


def _index_of(ids: IntArray, wanted: IntArray) -> IntArray:
    """The position of each `wanted` id in `ids` (unique), or -1 where it is not there."""
    order = np.argsort(ids)
    found = np.searchsorted(ids, wanted, sorter=order)
    found = np.minimum(found, len(ids) - 1) if len(ids) else found
    hit = (ids[order[found]] == wanted) if len(ids) else np.zeros(len(wanted), bool)
    return np.where(hit, order[found] if len(ids) else -1, -1).astype(np.int64)


@dataclass(frozen=True)
class _BySkill:
    """Mentors' levels and wishes to teach, one contiguous row per skill: gathering the rows of the
    skills a chunk of mentees wants is then a fast copy, not a strided one."""

    level: npt.NDArray[np.float32]
    teaches: npt.NDArray[np.float32]

    @classmethod
    def of(cls, pool: Pool) -> _BySkill:
        return cls(
            level=np.ascontiguousarray(pool.mentor_level.T, dtype=np.float32),
            teaches=np.ascontiguousarray(pool.mentor_teaches.T, dtype=np.float32),
        )


def _factors(pool: Pool, by_skill: _BySkill, rows: IntArray) -> dict[str, FloatArray]:
    """Each factor in [0, 1], shape (len(rows), mentors)."""
    # The wants of these mentees side by side: one column per (mentee, wanted skill).
    first, last = pool.want_start[rows[0]], pool.want_start[rows[-1] + 1]
    skills = pool.want_skill[first:last]
    counts = np.diff(pool.want_start[rows[0] : rows[-1] + 2])
    lead = np.zeros((len(rows), pool.mentors))
    teaches = np.zeros((len(rows), pool.mentors))
    if len(skills):
        # How far each mentor is ahead in each wanted skill (0 to 5 levels), and whether they want to
        # teach it; then summed per mentee (reduceat over each mentee's run of columns).
        ahead = np.clip(by_skill.level[skills] - pool.want_level[first:last, None].astype(np.float32), 0, 5)
        offsets = (pool.want_start[rows] - first)[counts > 0]
        with_wants = np.flatnonzero(counts > 0)
        per_want = counts[with_wants][:, None]
        lead[with_wants] = np.add.reduceat(ahead, offsets, axis=0) / (5.0 * per_want)
        teaches[with_wants] = np.add.reduceat(by_skill.teaches[skills], offsets, axis=0) / per_want
    targets = pool.mentee_target_role[rows]
    made_move = np.zeros((len(rows), pool.mentors))
    with_target = targets >= 0
    if with_target.any():
        made_move[with_target] = pool.mentor_held_role[:, targets[with_target]].T
    hours = np.abs(pool.mentee_time_zone[rows, None] - pool.mentor_time_zone[None, :])
    hours = np.minimum(hours, 24 - hours)
    overlap = np.clip(1.0 - hours / _TIME_ZONE_SPAN_HOURS, 0.0, 1.0)
    return {"skill_lead": lead, "wants_to_teach": teaches, "made_the_move": made_move, "time_zone_overlap": overlap}


@dataclass(frozen=True)
class Assignment:
    """The mentor index of each mentee (-1: unmatched), and the chosen candidate row of each pair."""

    mentor_of: IntArray
    pair_rows: IntArray
    total_score: float
    matched: int


def solve(candidates: Candidates, capacity: IntArray, mentees: int, objective: Objective) -> Assignment:
    """The optimal assignment over the candidate pairs (exact: min-cost flow).

    Network: source -> each mentee (capacity 1) -> candidate mentors (capacity 1, cost -score) ->
    sink (capacity = the mentor's capacity); each mentee may also go straight to the sink, unmatched,
    at cost 0. For MOST_MATCHED every pair also earns a bonus larger than any total of scores, so
    that one more match always beats any gain in score.
    """
    n_mentors = len(capacity)
    source, sink = mentees + n_mentors, mentees + n_mentors + 1
    pair_cost = -np.rint(candidates.score * _SCALE).astype(np.int64)
    if objective is Objective.MOST_MATCHED:
        pair_cost -= (mentees + 1) * _SCALE
    starts = np.concatenate(
        [np.full(mentees, source), candidates.mentee, mentees + np.arange(n_mentors), np.arange(mentees)]
    )
    ends = np.concatenate(
        [np.arange(mentees), mentees + candidates.mentor, np.full(n_mentors, sink), np.full(mentees, sink)]
    )
    capacities = np.concatenate(
        [np.ones(mentees, np.int64), np.ones(len(candidates.mentee), np.int64), capacity, np.ones(mentees, np.int64)]
    )
    costs = np.concatenate(
        [np.zeros(mentees, np.int64), pair_cost, np.zeros(n_mentors, np.int64), np.zeros(mentees, np.int64)]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(starts, ends, capacities, costs)
    supplies = np.zeros(mentees + n_mentors + 2, np.int64)
    supplies[source], supplies[sink] = mentees, -mentees
    flow.set_nodes_supplies(np.arange(len(supplies)), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"the pairing solver ended with status {status}")
    first_pair = mentees
    pair_flows = flow.flows(arcs[first_pair : first_pair + len(candidates.mentee)])
    chosen = np.flatnonzero(pair_flows > 0)
    mentor_of = np.full(mentees, -1, np.int64)
    mentor_of[candidates.mentee[chosen]] = candidates.mentor[chosen]
    return Assignment(
        mentor_of=mentor_of,
        pair_rows=chosen,
        total_score=float(candidates.score[chosen].sum()),
        matched=len(chosen),
    )


def greedy(candidates: Candidates, capacity: IntArray, mentees: int) -> Assignment:
    """The baseline the benchmark compares with: best-scoring pairs first, while capacity lasts."""
    left = capacity.copy()
    mentor_of = np.full(mentees, -1, np.int64)
    chosen: list[int] = []
    for row in np.argsort(-candidates.score, kind="stable"):
        mentee, mentor = candidates.mentee[row], candidates.mentor[row]
        if mentor_of[mentee] < 0 and left[mentor] > 0:
            mentor_of[mentee] = mentor
            left[mentor] -= 1
            chosen.append(int(row))
    rows = np.array(chosen, np.int64)
    return Assignment(mentor_of, rows, float(candidates.score[rows].sum()) if chosen else 0.0, len(chosen))


# Why a mentee was left unmatched: the first hard constraint that leaves no mentor, in this order.
UNMATCHED_REASONS = {
    "no_mentors": "the programme has no mentors yet",
    "no_shared_language": "no mentor shares a language with you",
    "only_self": "the only mentor who shares a language with you is you",
    "reporting_line": "every mentor who shares a language with you is in your reporting line",
    "same_department": "every remaining mentor is in your department, and the programme pairs across departments",
    "excluded": "every remaining mentor is excluded for you (asked for, or a former mentor)",
    "at_capacity": "every suitable mentor is at capacity",
}


def unmatched_reason(pool: Pool, mentee: int) -> str:
    """The code (a key of `UNMATCHED_REASONS`) of why `mentee` has no mentor: the first hard
    constraint that rules out every mentor, or `at_capacity` when suitable mentors exist but the
    solve gave their places to others (or they had none left)."""
    if pool.mentors == 0:
        return "no_mentors"
    ok = (pool.mentor_language & pool.mentee_language[mentee]) != 0
    if not ok.any():
        return "no_shared_language"
    ok &= pool.mentor_employee != pool.mentee_employee[mentee]
    if not ok.any():
        return "only_self"
    me = pool.mentee_employee[mentee]
    above = pool.line_employee[pool.line_start[mentee] : pool.line_start[mentee + 1]]
    ok &= ~np.isin(pool.mentor_employee, above)
    for mentor in np.flatnonzero(ok):
        if me in pool.mentor_line_employee[pool.mentor_line_start[mentor] : pool.mentor_line_start[mentor + 1]]:
            ok[mentor] = False
    if not ok.any():
        return "reporting_line"
    if pool.different_department:
        ok &= pool.mentor_department != pool.mentee_department[mentee]
        if not ok.any():
            return "same_department"
    for excluded_mentee, excluded_mentor in pool.excluded:
        if excluded_mentee == mentee:
            ok[excluded_mentor] = False
    if not ok.any():
        return "excluded"
    return "at_capacity"
