"""Mentor pairing as pure functions over arrays: hard constraints, named score factors, and an exact
solve (min-cost flow, Google OR-Tools) over every allowed pair of the pool.

The pool is a set of mentees and mentors, each a row in a few arrays. `solve_pool` finds the optimal
assignment under mentor capacities over every pair the hard constraints allow, for one of two
objectives: the most total score, or the most mentees matched and then the most score.

It does not hand the solver every pair (20 million for 10,000 mentees x 2,000 mentors). One pass
scores every pair, in blocks of mentees, and keeps each mentee's best `per_mentee` mentors (the first
graph), its next best `reserve` (scored, kept aside) and the best score of the rest (a bound). Then,
in rounds: the flow solves the graph; the optimal duals of that solve (a price per mentor, a share
per mentee) price the pairs outside the graph; the pairs whose weight beats their mentee's share plus
their mentor's price join the graph (column generation). The reserve is priced from its stored
scores; the other pairs are bounded (a mentee's bound minus the lowest price, or, once the mentee has
been scored again against every mentor, its best remaining margin at that round's prices plus what
prices fell since), and a mentee is scored again only where its bounds leave room for a pair that
prices out. The loop ends when no allowed pair prices out. The duals that end it are a certificate,
checked every round: feasible for the dual of the linear programme over the graph, equal in value to
the assignment, and, with no allowed pair pricing out, feasible over all allowed pairs; so no
assignment over all allowed pairs does better (the programme is totally unimodular: its optimum is
an assignment).

Exact means exact for the scores in millionths. The solver needs integer costs: a pair weighs
round(score x 10^6), and the assignment is optimal for those weights. Its total of unrounded scores
is within 10^-6 per matched pair of the optimum of the unrounded scores (the scores stored and shown
are rounded to 6 decimals too).

Nothing here touches a database, so it is tested and benchmarked alone.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from scipy.sparse import csr_array

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
# Pairs gathered in pieces: mentees, mentors, scores.
_Parts = tuple[list[IntArray], list[IntArray], list[FloatArray]]

# The solver wants integer costs: a pair weighs its score in millionths.
SCALE = 1_000_000
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
    """Pairs given to the solver, each allowed by every hard constraint (parallel arrays, one row per
    pair), with their scores."""

    mentee: IntArray
    mentor: IntArray
    score: FloatArray


def _ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """The concatenation of range(starts[k], starts[k] + counts[k]) for every k."""
    ends = np.cumsum(counts)
    return np.repeat(starts - (ends - counts), counts) + np.arange(int(ends[-1]) if len(ends) else 0)


class _Scorer:
    """The one definition of which pairs are allowed and of what they score, computed for a block of
    mentees x mentors at a time. The first graph and every pricing round use it, so a pair scores the
    same, bit for bit, whichever block it is computed in: each mentee's sum runs over its own terms in
    a fixed order."""

    def __init__(self, pool: Pool, weights: dict[str, float]) -> None:
        self.pool = pool
        self.weights = weights
        # Mentors' levels, wishes to teach and held roles, one contiguous row per skill or role:
        # gathering the rows a block needs is then a fast copy, not a strided one.
        self.level = np.ascontiguousarray(pool.mentor_level.T)
        self.teaches = np.ascontiguousarray(pool.mentor_teaches.T)
        self.held_role = np.ascontiguousarray(pool.mentor_held_role.T)
        forbidden_mentee, forbidden_mentor = _forbidden_pairs(pool)
        order = np.argsort(forbidden_mentee, kind="stable")
        self.forbidden_mentee, self.forbidden_mentor = forbidden_mentee[order], forbidden_mentor[order]
        self.open_mentor = pool.mentor_capacity > 0

    def block(self, rows: IntArray, mentors: IntArray | None = None) -> FloatArray:
        """The scores of the pairs `rows` x `mentors` (every mentor when None), -1 where a hard
        constraint forbids the pair. Hard constraints: a shared language; never oneself; neither in
        the other's reporting line; not an excluded pair; a different department when the programme
        asks; a mentor with capacity."""
        pool = self.pool
        cols = np.arange(pool.mentors) if mentors is None else mentors
        score = self._points(rows, cols, mentors is None)
        # Language, department and capacity rule a mentor out whatever the mentee but for its
        # languages and department: one row of ruled-out mentors per distinct (languages,
        # department) in the block, copied to each mentee's row.
        languages, language_of = np.unique(pool.mentee_language[rows], return_inverse=True)
        departments, department_of = np.unique(
            pool.mentee_department[rows] if pool.different_department else np.zeros(len(rows), np.int64),
            return_inverse=True,
        )
        kinds, kind_of = np.unique(language_of * len(departments) + department_of, return_inverse=True)
        kind_language, kind_department = languages[kinds // len(departments)], departments[kinds % len(departments)]
        ruled_out = (kind_language[:, None] & pool.mentor_language[None, cols]) == 0
        ruled_out |= ~self.open_mentor[None, cols]
        if pool.different_department:
            ruled_out |= kind_department[:, None] == pool.mentor_department[None, cols]
        forbidden = ruled_out[kind_of]
        # Then the pairs forbidden one by one: oneself, reporting lines, exclusions.
        low = np.searchsorted(self.forbidden_mentee, rows, "left")
        high = np.searchsorted(self.forbidden_mentee, rows, "right")
        column = np.full(pool.mentors, -1, np.int64)
        column[cols] = np.arange(len(cols))
        at = column[self.forbidden_mentor[_ranges(low, high - low)]]
        row = np.repeat(np.arange(len(rows)), high - low)
        forbidden[row[at >= 0], at[at >= 0]] = True
        np.putmask(score, forbidden, -1.0)
        return score

    def _points(self, rows: IntArray, cols: IntArray, every_mentor: bool) -> FloatArray:
        """Weighted factors summed, shape (len(rows), len(cols)).

        A pair's score is the average over the mentee's wants of (skill_lead weight x levels ahead / 5
        + wants_to_teach weight x teaches), plus the made_the_move and time_zone_overlap points. The
        points of a want depend only on its (skill, level), of a target role on the role, of a time
        zone on the zone: each is computed once per distinct value in the block, as a row over the
        mentors, and a sparse matrix adds up each mentee's rows (its wants in their order, then its
        role, then its zone)."""
        pool, weights = self.pool, self.weights
        starts = pool.want_start[rows]
        counts = pool.want_start[rows + 1] - starts
        wants = _ranges(starts, counts)
        skills = pool.mentor_level.shape[1]
        kinds, want_row = np.unique(pool.want_level[wants] * skills + pool.want_skill[wants], return_inverse=True)
        kind_skill, kind_level = kinds % skills, kinds // skills
        level = self.level[kind_skill] if every_mentor else self.level[np.ix_(kind_skill, cols)]
        teaches = self.teaches[kind_skill] if every_mentor else self.teaches[np.ix_(kind_skill, cols)]
        targets = pool.mentee_target_role[rows]
        with_target = targets >= 0
        roles, role_row = np.unique(targets[with_target], return_inverse=True)
        held = self.held_role[roles] if every_mentor else self.held_role[np.ix_(roles, cols)]
        zones, zone_row = np.unique(pool.mentee_time_zone[rows], return_inverse=True)
        table = np.empty((len(kinds) + len(roles) + len(zones), len(cols)))
        want_points, role_points = table[: len(kinds)], table[len(kinds) : len(kinds) + len(roles)]
        np.multiply(
            np.maximum(level - kind_level[:, None].astype(np.int8), 0), weights["skill_lead"] / 5.0, out=want_points
        )
        want_points += teaches * weights["wants_to_teach"]
        np.multiply(held, weights["made_the_move"], out=role_points)
        table[len(kinds) + len(roles) :] = weights["time_zone_overlap"] * _overlap(
            zones[:, None], pool.mentor_time_zone[None, cols]
        )
        # One row of the sum per mentee: its wants (each 1/count), its target role, its time zone.
        terms = counts + with_target + 1
        indptr = np.concatenate([[0], np.cumsum(terms)])
        indices = np.empty(int(indptr[-1]), np.int64)
        data = np.ones(int(indptr[-1]))
        at_want = _ranges(indptr[:-1], counts)
        indices[at_want] = want_row
        data[at_want] = np.repeat(1.0 / np.maximum(counts, 1), counts)
        indices[(indptr[:-1] + counts)[with_target]] = len(kinds) + role_row
        indices[indptr[1:] - 1] = len(kinds) + len(roles) + zone_row
        adder = csr_array((data, indices, indptr), shape=(len(rows), len(table)))
        return np.asarray(adder @ table, dtype=np.float64)


def _overlap(zone_a: FloatArray, zone_b: FloatArray) -> FloatArray:
    """The time_zone_overlap factor: 1 in the same zone, falling to 0 at 8 hours apart."""
    hours = np.abs(zone_a - zone_b)
    hours = np.minimum(hours, 24 - hours)
    return np.asarray(np.clip(1.0 - hours / _TIME_ZONE_SPAN_HOURS, 0.0, 1.0), dtype=np.float64)


def _pruned(scorer: _Scorer, per_mentee: int, reserve: int, chunk: int) -> tuple[Candidates, Candidates, FloatArray]:
    """Each mentee's best `per_mentee` allowed pairs (the first graph), its next best `reserve` (kept
    for pricing, not given to the solver), and the best score among the allowed pairs in neither
    (-1: none), which bounds every pair pricing has not scored."""
    pool = scorer.pool
    keep = min(per_mentee, pool.mentors)
    kept = min(per_mentee + reserve, pool.mentors)
    graph: _Parts = ([], [], [])
    spare: _Parts = ([], [], [])
    bound = np.full(pool.mentees, -1.0)
    for start in range(0, pool.mentees, chunk):
        rows = np.arange(start, min(start + chunk, pool.mentees))
        score = scorer.block(rows)
        order, ordered, bound[rows] = _top(score, kept)
        if keep < kept:
            best = np.argpartition(-ordered, keep - 1, axis=1)
            order, ordered = np.take_along_axis(order, best, axis=1), np.take_along_axis(ordered, best, axis=1)
        for parts, columns in ((graph, slice(0, keep)), (spare, slice(keep, kept))):
            ok = ordered[:, columns] >= 0
            mentees = np.broadcast_to(rows[:, None], ok.shape)[ok]
            _collect(parts, mentees, order[:, columns][ok].astype(np.int64), ordered[:, columns][ok])
    return _concatenate(*graph), _concatenate(*spare), bound


def _top(score: FloatArray, count: int) -> tuple[IntArray, FloatArray, FloatArray]:
    """Per row: the columns of the best `count` scores (in no particular order), those scores, and
    the best score of the other columns (-1: none)."""
    if count >= score.shape[1]:
        return np.broadcast_to(np.arange(score.shape[1]), score.shape), score, np.full(len(score), -1.0)
    # Position `count` holds the best of the rest once the best `count` are before it.
    order = np.argpartition(-score, count, axis=1)
    rest = np.take_along_axis(score, order[:, count : count + 1], axis=1)[:, 0]
    order = order[:, :count]
    return order, np.take_along_axis(score, order, axis=1), rest


def _thinned(graph: Candidates, spare: Candidates, capacity: IntArray) -> tuple[Candidates, Candidates]:
    """The first graph without the pairs of over-demanded mentors beyond their best mentees, which
    join the reserve. Where most mentees' favourites are the same few mentors, those mentors' pairs
    would make most of the first graph, and most of them lose: each mentor keeps its best pairs up
    to twice the graph's average per mentor (at least ten per place)."""
    demand = np.bincount(graph.mentor, minlength=len(capacity))
    limit = np.maximum(2 * len(graph.mentor) // max(int((capacity > 0).sum()), 1), 10 * capacity)
    crowded = np.flatnonzero(demand[graph.mentor] > limit[graph.mentor])
    if not len(crowded):
        return graph, spare
    # By mentor, then by score (in millionths, at most 40 x 10^6), best first.
    order = crowded[
        np.argsort(graph.mentor[crowded] * (1 << 32) - np.rint(graph.score[crowded] * SCALE).astype(np.int64))
    ]
    group = graph.mentor[order]
    moved = order[_rank_in_groups(group) >= limit[group]]
    kept = np.ones(len(graph.mentor), bool)
    kept[moved] = False
    return _rows(graph, np.flatnonzero(kept)), _concatenate(
        [spare.mentee, graph.mentee[moved]], [spare.mentor, graph.mentor[moved]], [spare.score, graph.score[moved]]
    )


def _concatenate(mentees: list[IntArray], mentors: list[IntArray], scores: list[FloatArray]) -> Candidates:
    if not mentees:
        return Candidates(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    return Candidates(np.concatenate(mentees), np.concatenate(mentors), np.concatenate(scores))


def candidate_pairs(
    pool: Pool, *, per_mentee: int = 50, weights: dict[str, float] | None = None, chunk: int = 1024
) -> Candidates:
    """Every pair that meets the hard constraints, scored; each mentee keeps its best `per_mentee`
    (`per_mentee` >= the number of mentors: every allowed pair)."""
    return _pruned(_Scorer(pool, weights or DEFAULT_WEIGHTS), per_mentee, 0, chunk)[0]


def pair_scores(
    pool: Pool, *, weights: dict[str, float] | None = None, chunk: int = 1024
) -> Iterator[tuple[IntArray, FloatArray]]:
    """Every pair's score, a block of `chunk` mentees at a time: (the mentees, their scores against
    every mentor, -1 where a hard constraint forbids the pair). For checks over all pairs (the
    benchmark's LP bound) that must not hold them all in memory at once."""
    scorer = _Scorer(pool, weights or DEFAULT_WEIGHTS)
    for start in range(0, pool.mentees, chunk):
        rows = np.arange(start, min(start + chunk, pool.mentees))
        yield rows, scorer.block(rows)


def pair_factors(pool: Pool, mentees: IntArray, mentors: IntArray) -> dict[str, FloatArray]:
    """The named factors (each in [0, 1]) of the pairs (mentees[k], mentors[k]), for the reasons of
    the pairs chosen. The weighted sum of a pair's factors is its score, up to float rounding."""
    starts = pool.want_start[mentees]
    counts = pool.want_start[mentees + 1] - starts
    wants = _ranges(starts, counts)
    pair = np.repeat(np.arange(len(mentees)), counts)
    skill, mentor = pool.want_skill[wants], mentors[pair]
    ahead = np.clip(pool.mentor_level[mentor, skill].astype(np.float64) - pool.want_level[wants], 0, 5)
    per_want = np.maximum(counts, 1).astype(np.float64)
    lead = np.bincount(pair, weights=ahead, minlength=len(mentees)) / (5.0 * per_want)
    teaches = np.bincount(pair, weights=pool.mentor_teaches[mentor, skill], minlength=len(mentees)) / per_want
    targets = pool.mentee_target_role[mentees]
    made_move = np.zeros(len(mentees))
    with_target = targets >= 0
    made_move[with_target] = pool.mentor_held_role[mentors[with_target], targets[with_target]]
    overlap = _overlap(pool.mentee_time_zone[mentees], pool.mentor_time_zone[mentors])
    return {"skill_lead": lead, "wants_to_teach": teaches, "made_the_move": made_move, "time_zone_overlap": overlap}


def scores_of(
    pool: Pool, mentees: IntArray, mentors: IntArray, *, weights: dict[str, float] | None = None
) -> FloatArray:
    """The scores of the pairs (mentees[k], mentors[k]) exactly as a solve scores them (the same
    `_Scorer`), -1 where a hard constraint forbids the pair: for a pair HR makes by hand in a review."""
    scorer = _Scorer(pool, weights or DEFAULT_WEIGHTS)
    return np.array(
        [float(scorer.block(np.array([i]), np.array([j]))[0, 0]) for i, j in zip(mentees, mentors, strict=True)],
        np.float64,
    )


@dataclass(frozen=True)
class Assignment:
    """The mentor index of each mentee (-1: unmatched), and the chosen candidate row of each pair."""

    mentor_of: IntArray
    pair_rows: IntArray
    total_score: float
    matched: int


@dataclass(frozen=True)
class Solution:
    """The optimal assignment over every allowed pair, with the graph it was found on and how."""

    candidates: Candidates  # the last graph solved: the pruned one and every pair pricing added
    assignment: Assignment
    rounds: int  # solves of the flow
    added: int  # pairs added by pricing
    priced: int  # pairs scored by pricing; the other allowed pairs were ruled out by a bound
    # The value of the duals that certify the optimum, in score units: the assignment's total of
    # rounded scores, by strong duality.
    certified_total: float


def solve_pool(
    pool: Pool,
    objective: Objective,
    *,
    per_mentee: int = 50,
    weights: dict[str, float] | None = None,
    reserve: int = 150,
    per_round: int = 10,
    chunk: int = 1024,
) -> Solution:
    """The optimal assignment over every allowed pair of the pool (column generation, see the module).

    The first graph holds each mentee's best `per_mentee` mentors; the next best `reserve` are kept
    aside with their scores. Each round solves the graph, derives the duals and prices the pairs
    outside the graph; each mentee's best `per_round` pairs that price out join the graph for the
    next round. The loop ends when none does."""
    weights = weights or DEFAULT_WEIGHTS
    scorer = _Scorer(pool, weights)
    candidates, spare, bound = _pruned(scorer, per_mentee, reserve, chunk)
    candidates, spare = _thinned(candidates, spare, pool.mentor_capacity)
    weighing = _Weighing.of(objective, pool.mentees, int(np.ceil(sum(weights.values()) * SCALE)) + 1)
    # Weights grow with scores: the bound of the scores gives the bound of the weights.
    unknown = np.full(pool.mentees, -1, np.int64)
    weight_bound = np.where(bound >= 0, weighing.weights(bound), -1)
    outside = _Outside(spare, np.ones(len(spare.mentee), bool), weight_bound, unknown, unknown, (), reserve)
    rounds = added = priced = 0
    while True:
        rounds += 1
        weight = weighing.weights(candidates.score)
        chosen = _flow(candidates, weight, pool.mentor_capacity, pool.mentees)
        share, price = _duals(candidates, weight, chosen, pool.mentor_capacity, pool.mentees)
        new, outside, scored = _price(scorer, candidates, outside, share, price, weighing, per_round, chunk)
        priced += scored
        if not len(new.mentee):
            break
        added += len(new.mentee)
        candidates = _concatenate(
            [candidates.mentee, new.mentee], [candidates.mentor, new.mentor], [candidates.score, new.score]
        )
    certified = weighing.score_of(int(share.sum()) + int((price * pool.mentor_capacity).sum()), len(chosen))
    return Solution(candidates, _assignment(candidates, chosen, pool.mentees), rounds, added, priced, certified)


def solve(candidates: Candidates, capacity: IntArray, mentees: int, objective: Objective) -> Assignment:
    """The optimal assignment over the given candidate pairs alone (exact: min-cost flow)."""
    biggest = int(np.rint(candidates.score * SCALE).max(initial=0)) + 1
    weight = _Weighing.of(objective, mentees, biggest).weights(candidates.score)
    return _assignment(candidates, _flow(candidates, weight, capacity, mentees), mentees)


@dataclass(frozen=True)
class _Weighing:
    """A pair's integer weight for the flow: round(score x 10^6) x multiplier + bonus.

    TOTAL_SCORE: multiplier mentees + 1, bonus 1: the total is (mentees + 1) x the score in
    millionths plus the number matched, so the score comes first and, among equal scores, more
    matches win (a mentee is never left waiting while a mentor who suits them has a place, even at
    score 0). MOST_MATCHED: multiplier 1, bonus more than any total of scores (mentees + 1 times the
    biggest a pair can weigh), so that one more match always beats any gain in score."""

    multiplier: int
    bonus: int

    @classmethod
    def of(cls, objective: Objective, mentees: int, biggest: int) -> _Weighing:
        if objective is Objective.MOST_MATCHED:
            return cls(1, (mentees + 1) * biggest)
        return cls(mentees + 1, 1)

    def weights(self, score: FloatArray) -> IntArray:
        return np.rint(score * SCALE).astype(np.int64) * self.multiplier + self.bonus

    def score_of(self, total: int, matched: int) -> float:
        """The total of scores (rounded to millionths) of `matched` pairs that weigh `total`."""
        return (total - self.bonus * matched) / self.multiplier / SCALE


def _assignment(candidates: Candidates, chosen: IntArray, mentees: int) -> Assignment:
    mentor_of = np.full(mentees, -1, np.int64)
    mentor_of[candidates.mentee[chosen]] = candidates.mentor[chosen]
    return Assignment(mentor_of, chosen, float(candidates.score[chosen].sum()), len(chosen))


def _flow(candidates: Candidates, weight: IntArray, capacity: IntArray, mentees: int) -> IntArray:
    """The rows of the pairs of a maximum-weight assignment (min-cost flow).

    Network: source -> each mentee (capacity 1) -> candidate mentors (capacity 1, cost -weight) ->
    sink (capacity = the mentor's capacity); each mentee may also go straight to the sink, unmatched,
    at cost 0."""
    n_mentors = len(capacity)
    source, sink = mentees + n_mentors, mentees + n_mentors + 1
    pairs = len(candidates.mentee)
    starts = np.concatenate(
        [np.full(mentees, source), candidates.mentee, mentees + np.arange(n_mentors), np.arange(mentees)]
    )
    ends = np.concatenate(
        [np.arange(mentees), mentees + candidates.mentor, np.full(n_mentors, sink), np.full(mentees, sink)]
    )
    capacities = np.concatenate(
        [np.ones(mentees, np.int64), np.ones(pairs, np.int64), capacity, np.ones(mentees, np.int64)]
    )
    costs = np.concatenate(
        [np.zeros(mentees, np.int64), -weight, np.zeros(n_mentors, np.int64), np.zeros(mentees, np.int64)]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(starts, ends, capacities, costs)
    supplies = np.zeros(mentees + n_mentors + 2, np.int64)
    supplies[source], supplies[sink] = mentees, -mentees
    flow.set_nodes_supplies(np.arange(len(supplies)), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"the pairing solver ended with status {status}")
    return np.flatnonzero(flow.flows(arcs[mentees : mentees + pairs]) > 0).astype(np.int64)


def _duals(
    candidates: Candidates, weight: IntArray, chosen: IntArray, capacity: IntArray, mentees: int
) -> tuple[IntArray, IntArray]:
    """Optimal duals of the assignment over the graph: a share per mentee and a price per mentor with
    share + price >= weight on every pair of the graph (equal on the chosen pairs), shares and prices
    >= 0, the price 0 where a mentor has places left.

    OR-Tools does not expose its potentials, so they are derived from the optimal flow: the least
    prices that keep every mentee on its chosen pair at least as well off as on any other pair of the
    graph are the longest paths of a graph on the mentors (an edge j -> k of weight w(i, k) - w(i, j)
    for each mentee i on j and candidate mentor k; from outside, w(i, k) for each unmatched i). The
    flow is optimal, so the graph has no positive cycle and these prices are optimal duals; they are
    checked anyway (`_check_certificate`)."""
    n_mentors = len(capacity)
    mentor_of = np.full(mentees, -1, np.int64)
    mentor_of[candidates.mentee[chosen]] = candidates.mentor[chosen]
    chosen_weight = np.zeros(mentees, np.int64)
    chosen_weight[candidates.mentee[chosen]] = weight[chosen]
    load = np.bincount(candidates.mentor[chosen], minlength=n_mentors)
    # No mentee pays more than its pair's weight: a mentor's price is at most the least weight of its
    # pairs (0 with places left). An edge that cannot lift a price above 0 is dropped.
    ceiling = np.full(n_mentors, np.iinfo(np.int64).max // 4, np.int64)
    np.minimum.at(ceiling, candidates.mentor[chosen], weight[chosen])
    ceiling[load < capacity] = 0
    price = np.zeros(n_mentors, np.int64)
    on = mentor_of[candidates.mentee]
    unmatched = on < 0
    np.maximum.at(price, candidates.mentor[unmatched], weight[unmatched])
    moves = (on >= 0) & (candidates.mentor != on)
    source, target = on[moves], candidates.mentor[moves]
    gain = weight[moves] - chosen_weight[candidates.mentee[moves]]
    useful = ceiling[source] + gain > 0
    source, target, gain = source[useful], target[useful], gain[useful]
    order = np.argsort(target, kind="stable")
    source, target, gain = source[order], target[order], gain[order]
    heads = np.flatnonzero(np.concatenate([[True], target[1:] != target[:-1]])) if len(target) else target
    targets = target[heads]
    for _ in range(n_mentors + 1):
        if not len(source):
            break
        reach = np.maximum.reduceat(price[source] + gain, heads)
        higher = reach > price[targets]
        if not higher.any():
            break
        price[targets[higher]] = reach[higher]
    else:
        raise RuntimeError("the pairing solve is not optimal: its exchange graph has a positive cycle")
    share = np.where(mentor_of >= 0, chosen_weight - price[np.maximum(mentor_of, 0)], 0)
    _check_certificate(candidates, weight, chosen, capacity, load, share, price)
    return share, price


def _check_certificate(
    candidates: Candidates,
    weight: IntArray,
    chosen: IntArray,
    capacity: IntArray,
    load: IntArray,
    share: IntArray,
    price: IntArray,
) -> None:
    """Shares and prices are feasible duals over the graph and worth the assignment's weight (strong
    duality): then the assignment is optimal over the graph, and over every pair priced out too."""
    feasible = (
        (share >= 0).all()
        and (price >= 0).all()
        and (price[load < capacity] == 0).all()
        and (weight <= share[candidates.mentee] + price[candidates.mentor]).all()
    )
    if not feasible or int(share.sum()) + int((price * capacity).sum()) != int(weight[chosen].sum()):
        raise RuntimeError("the pairing solve is not optimal: its duals do not certify it")


@dataclass(frozen=True)
class _Outside:
    """What is known of the allowed pairs outside the graph: the reserve (pairs with their scores),
    and bounds of every other pair (i, j), in neither the graph nor the reserve: its weight is at
    most `weight_bound[i]` (-1: mentee i has no such pair), and, once mentee i has been scored
    against every mentor, its weight minus j's price at that round is at most `margin_bound[i]`
    (prices of that round: `prices[snapshot[i]]`)."""

    spare: Candidates
    alive: BoolArray  # the reserve's pairs not yet moved to the graph
    weight_bound: IntArray
    margin_bound: IntArray
    snapshot: IntArray
    prices: tuple[IntArray, ...]
    reserve: int  # how many pairs per mentee a fresh reserve holds


# No margin bound yet, or no pair left to bound.
_NONE = np.iinfo(np.int64).min // 4


def _price(
    scorer: _Scorer,
    candidates: Candidates,
    outside: _Outside,
    share: IntArray,
    price: IntArray,
    weighing: _Weighing,
    per_round: int,
    chunk: int,
) -> tuple[Candidates, _Outside, int]:
    """The pairs outside the graph that price out (weight > share + price), each mentee's best
    `per_round` by the margin; what is then known of the pairs outside the graph; and how many pairs
    were scored.

    The reserve is priced first, from its stored scores. Only when nothing in it prices out is every
    other allowed pair priced. A pair (i, j) prices out only if its mentee's bounds allow it: its
    weight minus j's price is at most weight_bound[i] minus the lowest price, and at most
    margin_bound[i] plus the most any price fell since mentee i was last scored. The mentees whose
    bounds allow it are scored against every mentor priced low enough, in blocks of `chunk`; each
    then adds its best margins at these prices to the reserve and gets a new margin bound."""
    spare = outside.spare
    margin = weighing.weights(spare.score) - share[spare.mentee] - price[spare.mentor]
    taken = _best_per_mentee(spare.mentee, np.where(outside.alive, margin, 0), per_round)
    # Pairs leave the reserve by a mask (it may hold millions); it is compacted once half gone.
    alive = outside.alive.copy()
    alive[taken] = False
    if 2 * int(alive.sum()) < len(alive):
        spare, alive = _rows(spare, np.flatnonzero(alive)), np.ones(int(alive.sum()), bool)
    new: _Parts = (
        [outside.spare.mentee[taken]],
        [outside.spare.mentor[taken]],
        [outside.spare.score[taken]],
    )
    pool = scorer.pool
    open_mentors = np.flatnonzero(scorer.open_mentor)
    if not len(open_mentors):
        return _concatenate(*new), replace(outside, spare=spare, alive=alive), 0
    weight_bound, margin_bound = outside.weight_bound, outside.margin_bound
    limit = weight_bound - int(price[open_mentors].min())
    fell = np.array([max(int((p[open_mentors] - price[open_mentors]).max()), 0) for p in outside.prices], np.int64)
    known = outside.snapshot >= 0
    limit[known] = np.minimum(limit[known], margin_bound[known] + fell[outside.snapshot[known]])
    # Mentees with a pair from the reserve this round wait for the next to be scored.
    limit[outside.spare.mentee[taken]] = _NONE
    todo = np.flatnonzero((weight_bound >= 0) & (share < limit))
    if not len(todo):
        return _concatenate(*new), replace(outside, spare=spare, alive=alive), 0
    weight_bound, margin_bound = weight_bound.copy(), margin_bound.copy()
    snapshot = outside.snapshot.copy()
    # Mentees never scored against every mentor are, and get a margin bound at these prices. The
    # others keep theirs: only mentors whose price fell far enough since can bring them a pair.
    first_time = todo[outside.snapshot[todo] < 0]
    snapshot[first_time] = len(outside.prices)
    groups = [(first_time, -1)] + [(todo[outside.snapshot[todo] == e], e) for e in range(len(outside.prices))]
    blocks = []
    for members, since in groups:
        for start in range(0, len(members), chunk):
            rows = members[start : start + chunk]
            # A mentor priced at least weight_bound - share has no pair that prices out for these rows.
            cheap = price[open_mentors] < (weight_bound[rows] - share[rows]).max()
            if since >= 0:
                fallen = outside.prices[since][open_mentors] - price[open_mentors]
                cheap &= fallen > (share[rows] - margin_bound[rows]).min()
            blocks.append((rows, since, open_mentors[cheap], open_mentors[~cheap]))
    known_pairs = _known_pairs(blocks, candidates, outside.spare, pool)
    additions: _Parts = ([], [], [])
    scored = 0
    for rows, since, cols, dear in blocks:
        scored += len(rows) * len(cols)
        score = scorer.block(rows, cols)
        _drop_known_pairs(score, rows, cols, known_pairs, pool)
        # Margins are exact integers in floats (-inf: no pair to take). Each mentee's best
        # `per_round` join the graph where they price out, the rest of its best `per_round +
        # reserve` join the reserve, and `rest` is the best margin of the others.
        margin = np.where(score >= 0, weighing.weights(score) - share[rows, None] - price[None, cols], -np.inf)
        order, best, rest = _top(margin.astype(np.float64), per_round + outside.reserve)
        if per_round < order.shape[1]:
            first = np.argpartition(-best, per_round - 1, axis=1)
            order, best = np.take_along_axis(order, first, axis=1), np.take_along_axis(best, first, axis=1)
        row = np.broadcast_to(np.arange(len(rows))[:, None], order.shape)
        joining = best > 0
        joining[:, per_round:] = False
        aside = (best > -np.inf) & ~joining
        _collect(new, rows[row[joining]], cols[order[joining]], score[row[joining], order[joining]])
        _collect(additions, rows[row[aside]], cols[order[aside]], score[row[aside], order[aside]])
        if since < 0:
            # Margins are exact integers in floats; the bound is of weight minus price (no share).
            finite = rest > -np.inf
            rest_bound = np.full(len(rows), _NONE)
            rest_bound[finite] = rest[finite].astype(np.int64) + share[rows[finite]]
            # Pairs with the mentors left unscored are bounded by the weight bound and their prices.
            unscored = weight_bound[rows] - int(price[dear].min()) if len(dear) else np.full(len(rows), _NONE)
            margin_bound[rows] = np.maximum(rest_bound, unscored)
    prices = (*outside.prices, price.copy()) if len(first_time) else outside.prices
    added = sum(len(part) for part in additions[0])
    if added:
        spare = _concatenate([spare.mentee, *additions[0]], [spare.mentor, *additions[1]], [spare.score, *additions[2]])
        alive = np.concatenate([alive, np.ones(added, bool)])
    rest_of = _Outside(spare, alive, weight_bound, margin_bound, snapshot, prices, outside.reserve)
    return _concatenate(*new), rest_of, scored


def _known_pairs(
    blocks: list[tuple[IntArray, int, IntArray, IntArray]], candidates: Candidates, spare: Candidates, pool: Pool
) -> IntArray:
    """The sorted keys (mentee x mentors + mentor) of the pairs in the graph or the reserve among
    those the blocks will score: priced already, they are not taken again."""
    mentees = np.zeros(pool.mentees, bool)
    mentors = np.zeros(pool.mentors, bool)
    for rows, _, cols, _ in blocks:
        mentees[rows] = True
        mentors[cols] = True
    keys = []
    for pairs in (candidates, spare):
        inside = mentees[pairs.mentee] & mentors[pairs.mentor]
        keys.append(pairs.mentee[inside] * pool.mentors + pairs.mentor[inside])
    return np.sort(np.concatenate(keys))


def _collect(parts: _Parts, mentees: IntArray, mentors: IntArray, scores: FloatArray) -> None:
    parts[0].append(mentees)
    parts[1].append(mentors)
    parts[2].append(scores)


def _drop_known_pairs(score: FloatArray, rows: IntArray, cols: IntArray, known: IntArray, pool: Pool) -> None:
    """Marks the block's pairs that are already known (sorted keys mentee x mentors + mentor) as not
    to be taken again (-1)."""
    position = np.full(pool.mentees, -1, np.int64)
    position[rows] = np.arange(len(rows))
    column = np.full(pool.mentors, -1, np.int64)
    column[cols] = np.arange(len(cols))
    low = np.searchsorted(known, rows * pool.mentors)
    high = np.searchsorted(known, (rows + 1) * pool.mentors)
    there = known[_ranges(low, high - low)]
    row, col = position[there // pool.mentors], column[there % pool.mentors]
    inside = (row >= 0) & (col >= 0)
    score[row[inside], col[inside]] = -1.0


def _best_per_mentee(mentee: IntArray, margin: IntArray, count: int) -> IntArray:
    """The positions of each mentee's best `count` positive margins."""
    positive = np.flatnonzero(margin > 0)
    order = positive[np.lexsort((-margin[positive], mentee[positive]))]
    return order[_rank_in_groups(mentee[order]) < count]


def _rank_in_groups(group: IntArray) -> IntArray:
    """Each element's position within its run of equal values (`group` sorted)."""
    if not len(group):
        return group
    first = np.flatnonzero(np.concatenate([[True], group[1:] != group[:-1]]))
    return np.arange(len(group)) - np.repeat(first, np.diff(np.concatenate([first, [len(group)]])))


def _rows(pairs: Candidates, rows: IntArray) -> Candidates:
    return Candidates(pairs.mentee[rows], pairs.mentor[rows], pairs.score[rows])


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


def _forbidden_pairs(pool: Pool) -> tuple[IntArray, IntArray]:
    """(mentee, mentor) index pairs that must never be made: excluded ones, a person with themselves,
    and any two people where one is in the other's reporting line (a manager mentors no report, and
    no report their manager)."""
    mentee_rows = np.repeat(np.arange(pool.mentees), np.diff(pool.line_start))
    boss_as_mentor = _index_of(pool.mentor_employee, pool.line_employee)
    mentor_rows = np.repeat(np.arange(pool.mentors), np.diff(pool.mentor_line_start))
    boss_as_mentee = _index_of(pool.mentee_employee, pool.mentor_line_employee)
    excluded = np.array(pool.excluded, np.int64).reshape(-1, 2)
    self_as_mentee = _index_of(pool.mentee_employee, pool.mentor_employee)
    oneself = np.flatnonzero(self_as_mentee >= 0)
    mentees = np.concatenate(
        [mentee_rows[boss_as_mentor >= 0], boss_as_mentee[boss_as_mentee >= 0], excluded[:, 0], self_as_mentee[oneself]]
    )
    mentors = np.concatenate(
        [boss_as_mentor[boss_as_mentor >= 0], mentor_rows[boss_as_mentee >= 0], excluded[:, 1], oneself]
    )
    return mentees, mentors


def _index_of(ids: IntArray, wanted: IntArray) -> IntArray:
    """The position of each `wanted` id in `ids` (unique), or -1 where it is not there."""
    order = np.argsort(ids)
    found = np.searchsorted(ids, wanted, sorter=order)
    found = np.minimum(found, len(ids) - 1) if len(ids) else found
    hit = (ids[order[found]] == wanted) if len(ids) else np.zeros(len(wanted), bool)
    return np.where(hit, order[found] if len(ids) else -1, -1).astype(np.int64)


# Why a mentee was left unmatched: the first hard constraint that leaves no mentor, in this order.
UNMATCHED_REASONS = {
    "no_mentors": "the programme has no mentors yet",
    "no_shared_language": "no mentor shares a language with you",
    "only_self": "the only mentor who shares a language with you is you",
    "reporting_line": "every mentor who shares a language with you is in your reporting line",
    "same_department": "every remaining mentor is in your department, and the programme pairs across departments",
    "excluded": "every remaining mentor is excluded for you (asked for, or a former mentor)",
    "at_capacity": "every suitable mentor is at capacity",
    # Not a constraint: HR took the mentee's proposed pair out of the run while reviewing it.
    "removed": "HR took your proposed pair out of the run while reviewing it",
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
