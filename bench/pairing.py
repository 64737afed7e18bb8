"""Pairing benchmark: `.venv/bin/python bench/pairing.py` (no database: the algorithm alone).

A pool of 10,000 mentees and 2,000 mentors (capacity 1 to 5) with every hard constraint of a
programme (shared language, nobody in the other's reporting line, exclusions, a different
department). Prints, as medians of several runs:
- the time to build the candidate graph (hard constraints and scores, best 50 mentors per mentee)
  and to solve it exactly (min-cost flow, OR-Tools), together and apart (target: under 2 s together);
- the total score and the matched count for both objectives;
- the ratio of our total score to a greedy baseline (best pairs first) on the same graph, and to the
  optimum of the LP relaxation (HiGHS through SciPy), which must be 1.0 within rounding: the flow
  problem is totally unimodular, so the LP optimum is the integer optimum.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.mentoring.pairing import Candidates, Objective, candidate_pairs, greedy, solve
from backend.mentoring.synthetic import random_pool

TARGET_SECONDS = 2.0


def lp_bound(candidates: Candidates, capacity: np.ndarray, mentees: int) -> float:
    arcs = len(candidates.mentee)
    rows = np.concatenate([candidates.mentee, mentees + candidates.mentor])
    a_ub = csr_matrix((np.ones(2 * arcs), (rows, np.tile(np.arange(arcs), 2))), shape=(mentees + len(capacity), arcs))
    b_ub = np.concatenate([np.ones(mentees), capacity])
    result = linprog(-candidates.score, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    if result.status != 0:
        raise SystemExit(f"error: the LP relaxation did not solve: {result.message}")
    return float(-result.fun)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentees", type=int, default=10_000)
    parser.add_argument("--mentors", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--per-mentee", type=int, default=50)
    args = parser.parse_args()
    pool = random_pool(args.mentees, args.mentors, different_department=True, exclusions=args.mentees // 10)
    build, solving = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        candidates = candidate_pairs(pool, per_mentee=args.per_mentee)
        built = time.perf_counter()
        assignment = solve(candidates, pool.mentor_capacity, pool.mentees, Objective.TOTAL_SCORE)
        build.append(built - started)
        solving.append(time.perf_counter() - built)
    total = statistics.median(b + s for b, s in zip(build, solving, strict=True))
    most = solve(candidates, pool.mentor_capacity, pool.mentees, Objective.MOST_MATCHED)
    baseline = greedy(candidates, pool.mentor_capacity, pool.mentees)
    bound = lp_bound(candidates, pool.mentor_capacity, pool.mentees)
    print(f"pool: {pool.mentees} mentees, {pool.mentors} mentors, capacity {int(pool.mentor_capacity.sum())} seats")
    print(f"candidate graph: {len(candidates.mentee)} allowed pairs (best {args.per_mentee} per mentee)")
    print(
        f"time (median of {args.runs}): {total:.3f} s = build {statistics.median(build):.3f} s"
        f" + solve {statistics.median(solving):.3f} s   (target < {TARGET_SECONDS} s: "
        f"{'met' if total < TARGET_SECONDS else 'MISSED'})"
    )
    print(f"objective total_score:  total {assignment.total_score:.2f}, matched {assignment.matched}")
    print(f"objective most_matched: total {most.total_score:.2f}, matched {most.matched}")
    print(f"greedy baseline:        total {baseline.total_score:.2f}, matched {baseline.matched}")
    print(f"ratio to greedy: {assignment.total_score / baseline.total_score:.4f}")
    print(f"ratio to the LP relaxation bound ({bound:.2f}): {assignment.total_score / bound:.6f}")


if __name__ == "__main__":
    main()
