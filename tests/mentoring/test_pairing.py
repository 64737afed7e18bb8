"""The pairing algorithm alone: hard constraints always hold, and both objectives reach the optimum
over every allowed pair of the pool, not only over each mentee's best candidates (checked by brute
force on small pools, and by a solve over all pairs and the LP relaxation over all pairs on larger
ones, with skewed demand)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from backend.mentoring.pairing import (
    DEFAULT_WEIGHTS,
    FACTORS,
    Candidates,
    Objective,
    Pool,
    candidate_pairs,
    greedy,
    pair_factors,
    pair_scores,
    solve,
    solve_pool,
)
from backend.mentoring.synthetic import random_pool


def hand_made(scores: dict[tuple[int, int], float]) -> Candidates:
    pairs = sorted(scores)
    return Candidates(
        mentee=np.array([p[0] for p in pairs], np.int64),
        mentor=np.array([p[1] for p in pairs], np.int64),
        score=np.array([scores[p] for p in pairs]),
    )


@pytest.mark.parametrize("scale", [1, 40])
def test_the_two_objectives_choose_differently_where_they_should(scale: int) -> None:
    # Mentor 0 is the best for both mentees but takes one; mentor 1 suits only mentee 0, a little.
    # Scores reach 40 when a programme sets every weight to 10: one more match must still win.
    candidates = hand_made({(0, 0): 0.9 * scale, (0, 1): 0.1 * scale, (1, 0): 0.5 * scale})
    capacity = np.array([1, 1])
    best_score = solve(candidates, capacity, 2, Objective.TOTAL_SCORE)
    most_matched = solve(candidates, capacity, 2, Objective.MOST_MATCHED)
    assert list(best_score.mentor_of) == [0, -1]
    assert best_score.total_score == pytest.approx(0.9 * scale)
    assert list(most_matched.mentor_of) == [1, 0]
    assert most_matched.matched == 2
    assert most_matched.total_score == pytest.approx(0.6 * scale)


def every_pair(pool: Pool, weights: dict[str, float] | None = None) -> Candidates:
    """Every allowed pair of the pool, scored: the graph of a solve over all pairs."""
    return candidate_pairs(pool, per_mentee=pool.mentors, weights=weights)


def brute_force(candidates: Candidates, capacity: np.ndarray, mentees: int, objective: Objective) -> tuple[int, float]:
    """(matched, total score) of the best assignment over the given pairs, by trying every one."""
    options: list[list[int]] = [[-1] for _ in range(mentees)]
    for row, mentee in enumerate(candidates.mentee):
        options[int(mentee)].append(row)
    best = (-1, -1.0)
    found = (0, 0.0)
    for choice in itertools.product(*options):
        rows = [r for r in choice if r >= 0]
        used = np.bincount(candidates.mentor[rows], minlength=len(capacity)) if rows else np.zeros(len(capacity))
        if (used > capacity).any():
            continue
        value = (len(rows), float(candidates.score[rows].sum())) if rows else (0, 0.0)
        key = value if objective is Objective.MOST_MATCHED else (0, value[1])
        if key > best:
            best, found = key, value
    return found


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("objective", list(Objective))
def test_small_pools_reach_the_brute_force_optimum(seed: int, objective: Objective) -> None:
    pool = random_pool(6, 3, skills=8, roles=4, departments=3, seed=seed)
    candidates = every_pair(pool)
    capacity = np.minimum(pool.mentor_capacity, 2)
    assignment = solve(candidates, capacity, pool.mentees, objective)
    assert assignment.total_score == pytest.approx(brute_force(candidates, capacity, pool.mentees, objective)[1])


@settings(max_examples=150, deadline=None, database=None)
@given(
    seed=st.integers(0, 2**31),
    mentees=st.integers(1, 7),
    mentors=st.integers(1, 4),
    popular=st.integers(0, 2),
    per_mentee=st.integers(1, 3),
    reserve=st.integers(0, 2),
    different_department=st.booleans(),
    exclusions=st.integers(0, 4),
    weights=st.fixed_dictionaries({name: st.sampled_from([0.0, 0.15, 0.5, 1.0, 10.0]) for name in FACTORS}),
    objective=st.sampled_from(list(Objective)),
)
def test_random_pools_reach_the_brute_force_optimum_over_all_pairs(
    seed: int,
    mentees: int,
    mentors: int,
    popular: int,
    per_mentee: int,
    reserve: int,
    different_department: bool,
    exclusions: int,
    weights: dict[str, float],
    objective: Objective,
) -> None:
    """The solve starts from each mentee's best 1 to 3 mentors (and a reserve of 0 to 2), under any
    weights (up to 10 each), and still reaches the best of all assignments over every allowed pair."""
    pool = random_pool(
        mentees,
        mentors,
        skills=6,
        roles=3,
        departments=3,
        seed=seed,
        popular=min(popular, mentors),
        different_department=different_department,
        exclusions=exclusions,
    )
    solution = solve_pool(pool, objective, per_mentee=per_mentee, reserve=reserve, per_round=1, weights=weights)
    matched, total = brute_force(every_pair(pool, weights), pool.mentor_capacity, pool.mentees, objective)
    # Scores enter the solver in millionths: the total may differ by that rounding, per pair.
    assert solution.assignment.total_score == pytest.approx(total, abs=1e-6 * (mentees + 1))
    if objective is Objective.MOST_MATCHED:
        assert solution.assignment.matched == matched
    assert solution.certified_total == pytest.approx(solution.assignment.total_score, abs=1e-6 * (mentees + 1))


def lp_bound(candidates: Candidates, capacity: np.ndarray, mentees: int) -> float:
    """The optimum of the LP relaxation of the total-score problem over the given pairs (HiGHS)."""
    arcs = len(candidates.mentee)
    rows = np.concatenate([candidates.mentee, mentees + candidates.mentor])
    a_ub = csr_matrix((np.ones(2 * arcs), (rows, np.tile(np.arange(arcs), 2))), shape=(mentees + len(capacity), arcs))
    b_ub = np.concatenate([np.ones(mentees), capacity])
    result = linprog(-candidates.score, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    assert result.status == 0
    return float(-result.fun)


def most_matched_lp(candidates: Candidates, capacity: np.ndarray, mentees: int) -> tuple[float, float]:
    """The LP relaxation of MOST_MATCHED in its two stages (HiGHS): the most pairs, then the most
    score with that many pairs."""
    arcs = len(candidates.mentee)
    rows = np.concatenate([candidates.mentee, mentees + candidates.mentor])
    a_ub = csr_matrix((np.ones(2 * arcs), (rows, np.tile(np.arange(arcs), 2))), shape=(mentees + len(capacity), arcs))
    b_ub = np.concatenate([np.ones(mentees), capacity])
    most = linprog(-np.ones(arcs), A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    assert most.status == 0
    matched = float(-most.fun)
    best = linprog(
        -candidates.score,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=np.ones((1, arcs)),
        b_eq=[round(matched)],
        bounds=(0, 1),
        method="highs",
    )
    assert best.status == 0
    return matched, float(-best.fun)


def skewed_pool(seed: int) -> Pool:
    """600 mentees, 150 mentors of whom 60 are everyone's favourites (about 120 places among them)."""
    return random_pool(600, 150, seed=seed, popular=60, different_department=True, exclusions=200)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_skewed_demand_reaches_the_optimum_over_all_pairs(seed: int) -> None:
    pool = skewed_pool(seed)
    pruned = candidate_pairs(pool, per_mentee=50)
    # The demand is skewed: each favourite is among the best 50 of far more than 50 mentees...
    demand = np.bincount(pruned.mentor, minlength=pool.mentors)
    assert (demand[:60] > 50).all()
    everything = every_pair(pool)
    for objective in Objective:
        over_all = solve(everything, pool.mentor_capacity, pool.mentees, objective)
        # ...so the best over each mentee's 50 best mentors is well below the best over all pairs.
        only_pruned = solve(pruned, pool.mentor_capacity, pool.mentees, objective)
        assert only_pruned.total_score < over_all.total_score - 1.0
        solution = solve_pool(pool, objective, per_mentee=50)
        assert solution.assignment.total_score == pytest.approx(over_all.total_score, abs=1e-6 * pool.mentees)
        assert solution.assignment.matched == over_all.matched
        assert solution.added > 0
        if objective is Objective.TOTAL_SCORE:
            bound = lp_bound(everything, pool.mentor_capacity, pool.mentees)
            assert solution.assignment.total_score == pytest.approx(bound, abs=1e-6 * pool.mentees)
        else:
            matched, score = most_matched_lp(everything, pool.mentor_capacity, pool.mentees)
            assert solution.assignment.matched == pytest.approx(matched)
            assert solution.assignment.total_score == pytest.approx(score, abs=1e-6 * pool.mentees)


@pytest.mark.parametrize("seed", [4, 5])
@pytest.mark.parametrize("popular", [0, 30])
def test_every_pair_is_priced_when_the_reserve_runs_dry(seed: int, popular: int) -> None:
    """With a tiny first graph and reserve, the optimum needs pairs that only scoring every allowed
    pair against the duals finds."""
    pool = random_pool(400, 120, seed=seed, popular=popular, exclusions=100)
    everything = every_pair(pool)
    bound = lp_bound(everything, pool.mentor_capacity, pool.mentees)
    for objective in Objective:
        solution = solve_pool(pool, objective, per_mentee=2, reserve=1, per_round=2, chunk=64)
        over_all = solve(everything, pool.mentor_capacity, pool.mentees, objective)
        assert solution.assignment.matched == over_all.matched
        assert solution.assignment.total_score == pytest.approx(over_all.total_score, abs=1e-6 * pool.mentees)
        if objective is Objective.TOTAL_SCORE:
            assert solution.assignment.total_score == pytest.approx(bound, abs=1e-6 * pool.mentees)
        assert solution.priced > 0
        assert solution.rounds > 2


def test_a_larger_pool_reaches_the_lp_bound_over_all_pairs_and_beats_greedy() -> None:
    pool = random_pool(600, 150, seed=3)
    solution = solve_pool(pool, Objective.TOTAL_SCORE, per_mentee=30)
    bound = lp_bound(every_pair(pool), pool.mentor_capacity, pool.mentees)
    assert solution.assignment.total_score == pytest.approx(bound, abs=1e-6 * pool.mentees)
    pruned = candidate_pairs(pool, per_mentee=30)
    assert solution.assignment.total_score >= greedy(pruned, pool.mentor_capacity, pool.mentees).total_score


def test_a_pair_scores_the_same_in_every_block_and_as_its_weighted_factors() -> None:
    """The optimality proof prices pairs in other blocks than the first graph scored them in: a
    pair's score must not depend on the block. And it is the weighted sum of its factors."""
    pool = random_pool(300, 80, seed=9, popular=10, different_department=True, exclusions=100)
    weights = {"skill_lead": 0.7, "wants_to_teach": 0.1, "made_the_move": 2.0, "time_zone_overlap": 0.3}
    whole = np.concatenate([block for _, block in pair_scores(pool, weights=weights, chunk=1000)])
    pieces = np.concatenate([block for _, block in pair_scores(pool, weights=weights, chunk=7)])
    assert np.array_equal(whole, pieces)
    mentee, mentor = np.nonzero(whole >= 0)
    factors = pair_factors(pool, mentee, mentor)
    assert whole[mentee, mentor] == pytest.approx(sum(weights[name] * factors[name] for name in FACTORS), abs=1e-12)
    assert all(((values >= 0) & (values <= 1)).all() for values in factors.values())
    pruned = candidate_pairs(pool, per_mentee=5, weights=weights)
    assert np.array_equal(pruned.score, whole[pruned.mentee, pruned.mentor])
    # Forbidden pairs are forbidden in every block too.
    assert ((whole < 0) == (pieces < 0)).all()
    assert (whole < 0).any()


def line_of(starts: np.ndarray, chain: np.ndarray, index: int) -> set[int]:
    return {int(e) for e in chain[starts[index] : starts[index + 1]]}


@pytest.mark.parametrize("popular", [0, 40])
@pytest.mark.parametrize("different_department", [False, True])
def test_no_pair_ever_breaks_a_hard_constraint(different_department: bool, popular: int) -> None:
    pool: Pool = random_pool(
        800, 200, seed=11, different_department=different_department, exclusions=300, popular=popular
    )
    for objective in Objective:
        # A small first graph and reserve: most pairs come from pricing every allowed pair.
        solution = solve_pool(pool, objective, per_mentee=3, reserve=2)
        assignment = solution.assignment
        used = np.bincount(assignment.mentor_of[assignment.mentor_of >= 0], minlength=pool.mentors)
        assert (used <= pool.mentor_capacity).all()
        excluded = set(pool.excluded)
        for mentee, mentor in enumerate(assignment.mentor_of):
            if mentor < 0:
                continue
            assert pool.mentee_language[mentee] & pool.mentor_language[mentor]
            assert pool.mentee_employee[mentee] != pool.mentor_employee[mentor]
            assert int(pool.mentor_employee[mentor]) not in line_of(pool.line_start, pool.line_employee, mentee)
            mentor_line = line_of(pool.mentor_line_start, pool.mentor_line_employee, int(mentor))
            assert int(pool.mentee_employee[mentee]) not in mentor_line
            assert (mentee, int(mentor)) not in excluded
            if different_department:
                assert pool.mentee_department[mentee] != pool.mentor_department[mentor]
    # The constraints really bite in this pool: of all pairs, many are ruled out.
    assert len(every_pair(pool).mentee) < 0.95 * pool.mentees * pool.mentors


def test_each_pair_carries_its_factors() -> None:
    pool = random_pool(50, 20, seed=5)
    solution = solve_pool(pool, Objective.TOTAL_SCORE, per_mentee=5)
    rows = solution.assignment.pair_rows
    assert len(rows) > 0
    candidates = solution.candidates
    factors = pair_factors(pool, candidates.mentee[rows], candidates.mentor[rows])
    assert set(factors) == {"skill_lead", "wants_to_teach", "made_the_move", "time_zone_overlap"}
    assert all(((values >= 0) & (values <= 1)).all() for values in factors.values())
    weighted = sum(DEFAULT_WEIGHTS[name] * factors[name] for name in FACTORS)
    assert candidates.score[rows] == pytest.approx(weighted, abs=1e-12)
