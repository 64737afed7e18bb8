"""The pairing algorithm alone: hard constraints always hold, both objectives reach the optimum
(checked by brute force on small pools and by the LP relaxation on larger ones)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from backend.mentoring.pairing import Candidates, Objective, Pool, candidate_pairs, greedy, solve
from backend.mentoring.synthetic import random_pool


def hand_made(scores: dict[tuple[int, int], float], mentees: int) -> Candidates:
    pairs = sorted(scores)
    return Candidates(
        mentee=np.array([p[0] for p in pairs], np.int64),
        mentor=np.array([p[1] for p in pairs], np.int64),
        score=np.array([scores[p] for p in pairs]),
        factors={},
    )


def test_the_two_objectives_choose_differently_where_they_should() -> None:
    # Mentor 0 is the best for both mentees but takes one; mentor 1 suits only mentee 0, a little.
    candidates = hand_made({(0, 0): 0.9, (0, 1): 0.1, (1, 0): 0.5}, mentees=2)
    capacity = np.array([1, 1])
    best_score = solve(candidates, capacity, 2, Objective.TOTAL_SCORE)
    most_matched = solve(candidates, capacity, 2, Objective.MOST_MATCHED)
    assert list(best_score.mentor_of) == [0, -1]
    assert best_score.total_score == pytest.approx(0.9)
    assert list(most_matched.mentor_of) == [1, 0]
    assert most_matched.matched == 2
    assert most_matched.total_score == pytest.approx(0.6)


def brute_force(candidates: Candidates, capacity: np.ndarray, mentees: int, objective: Objective) -> float:
    options: list[list[int]] = [[-1] for _ in range(mentees)]
    for row, mentee in enumerate(candidates.mentee):
        options[int(mentee)].append(row)
    best = (-1, -1.0)
    for choice in itertools.product(*options):
        rows = [r for r in choice if r >= 0]
        used = np.bincount(candidates.mentor[rows], minlength=len(capacity)) if rows else np.zeros(len(capacity))
        if (used > capacity).any():
            continue
        value = (len(rows), float(candidates.score[rows].sum())) if rows else (0, 0.0)
        key = value if objective is Objective.MOST_MATCHED else (0, value[1])
        best = max(best, key)
    return best[1]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("objective", list(Objective))
def test_small_pools_reach_the_brute_force_optimum(seed: int, objective: Objective) -> None:
    pool = random_pool(6, 3, skills=8, roles=4, departments=3, seed=seed)
    candidates = candidate_pairs(pool, per_mentee=pool.mentors)
    capacity = np.minimum(pool.mentor_capacity, 2)
    assignment = solve(candidates, capacity, pool.mentees, objective)
    assert assignment.total_score == pytest.approx(brute_force(candidates, capacity, pool.mentees, objective))


def lp_bound(candidates: Candidates, capacity: np.ndarray, mentees: int) -> float:
    """The optimum of the LP relaxation of the total-score problem (HiGHS)."""
    arcs = len(candidates.mentee)
    rows = np.concatenate([candidates.mentee, mentees + candidates.mentor])
    a_ub = csr_matrix((np.ones(2 * arcs), (rows, np.tile(np.arange(arcs), 2))), shape=(mentees + len(capacity), arcs))
    b_ub = np.concatenate([np.ones(mentees), capacity])
    result = linprog(-candidates.score, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    assert result.status == 0
    return float(-result.fun)


def test_a_larger_pool_reaches_the_lp_bound_and_beats_greedy() -> None:
    pool = random_pool(600, 150, seed=3)
    candidates = candidate_pairs(pool, per_mentee=30)
    assignment = solve(candidates, pool.mentor_capacity, pool.mentees, Objective.TOTAL_SCORE)
    bound = lp_bound(candidates, pool.mentor_capacity, pool.mentees)
    assert assignment.total_score == pytest.approx(bound, rel=1e-6)
    assert assignment.total_score >= greedy(candidates, pool.mentor_capacity, pool.mentees).total_score


def line_of(starts: np.ndarray, chain: np.ndarray, index: int) -> set[int]:
    return {int(e) for e in chain[starts[index] : starts[index + 1]]}


@pytest.mark.parametrize("different_department", [False, True])
def test_no_pair_ever_breaks_a_hard_constraint(different_department: bool) -> None:
    pool: Pool = random_pool(800, 200, seed=11, different_department=different_department, exclusions=300)
    candidates = candidate_pairs(pool, per_mentee=40)
    for objective in Objective:
        assignment = solve(candidates, pool.mentor_capacity, pool.mentees, objective)
        used = np.bincount(assignment.mentor_of[assignment.mentor_of >= 0], minlength=pool.mentors)
        assert (used <= pool.mentor_capacity).all()
        excluded = set(pool.excluded)
        for mentee, mentor in enumerate(assignment.mentor_of):
            if mentor < 0:
                continue
            assert pool.mentee_language[mentee] & pool.mentor_language[mentor]
            assert int(pool.mentor_employee[mentor]) not in line_of(pool.line_start, pool.line_employee, mentee)
            mentor_line = line_of(pool.mentor_line_start, pool.mentor_line_employee, int(mentor))
            assert int(pool.mentee_employee[mentee]) not in mentor_line
            assert (mentee, int(mentor)) not in excluded
            if different_department:
                assert pool.mentee_department[mentee] != pool.mentor_department[mentor]
    # The constraints really bite in this pool: of all pairs, many are ruled out.
    every_allowed = candidate_pairs(pool, per_mentee=pool.mentors)
    assert len(every_allowed.mentee) < 0.95 * pool.mentees * pool.mentors


def test_each_pair_carries_its_factors() -> None:
    pool = random_pool(50, 20, seed=5)
    candidates = candidate_pairs(pool, per_mentee=20)
    assignment = solve(candidates, pool.mentor_capacity, pool.mentees, Objective.TOTAL_SCORE)
    for row in assignment.pair_rows:
        factors = {name: float(values[row]) for name, values in candidates.factors.items()}
        assert set(factors) == {"skill_lead", "wants_to_teach", "made_the_move", "time_zone_overlap"}
        assert all(0.0 <= v <= 1.0 for v in factors.values())
