"""Training benchmark: `.venv/bin/python bench/training.py` (no database: the algorithm alone).

100,000 employees, each with a target role (60 roles of 5 to 8 required skills), and a catalogue of
2,000 courses. Prints, as the median of several runs, the time to compute every employee's cheapest
set of courses closing their gap, exactly, with the reason per course (target: under 20 s), and the
ratio to that target. Also: how many distinct (role, gap) problems were solved, and the plans'
average size and cost.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.training.recommend import recommend
from backend.training.synthetic import random_catalog, random_roles, random_workforce

TARGET_SECONDS = 20.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--courses", type=int, default=2_000)
    parser.add_argument("--roles", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    catalog = random_catalog(args.courses)
    roles = random_roles(args.roles)
    role_of, levels = random_workforce(args.employees, roles)
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        plans = recommend(catalog, roles, role_of, levels)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"{args.employees} employees, {args.courses} courses, {args.roles} roles")
    print(
        f"time (median of {args.runs}): {median:.2f} s, {median / TARGET_SECONDS:.3f} of the {TARGET_SECONDS:.0f} s "
        f"target ({'met' if median < TARGET_SECONDS else 'MISSED'})"
    )
    print(f"distinct (role, gap) problems solved: {len({id(p) for p in plans})}")
    print(
        f"plans: {np.mean([len(p.courses) for p in plans]):.2f} courses, cost {np.mean([p.cost for p in plans]):.2f}"
        f" on average; {sum(1 for p in plans if p.unclosable)} employees have a gap no course closes"
    )


if __name__ == "__main__":
    main()
