"""Training plans alone: the cheapest set of courses closing a gap (checked by brute force), and the
reason for each course."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from backend.training.recommend import Catalog, Role, course_masks, gap_mask, recommend
from backend.training.synthetic import random_catalog, random_roles, random_workforce


def catalog_of(courses: list[tuple[float, list[tuple[int, int]]]]) -> Catalog:
    start = np.concatenate([[0], np.cumsum([len(taught) for _, taught in courses])]).astype(np.int64)
    return Catalog(
        cost=np.array([c for c, _ in courses]),
        start=start,
        skill=np.array([s for _, taught in courses for s, _ in taught], np.int64),
        level=np.array([level for _, taught in courses for _, level in taught], np.int64),
    )


def test_the_cheapest_cover_and_its_reasons() -> None:
    # Skills 10 (SQL), 11 (Tableau), 12 (Python), 13 (negotiation); the role needs level 3 in each.
    role = Role(skill=np.array([10, 11, 12, 13]), level=np.array([3, 3, 3, 3]))
    catalog = catalog_of(
        [
            (900.0, [(10, 4), (11, 3), (12, 3)]),  # 0: all three technical skills, dear
            (300.0, [(10, 3), (11, 3)]),  # 1: SQL and Tableau
            (250.0, [(12, 5)]),  # 2: Python
            (100.0, [(10, 2), (12, 2)]),  # 3: too shallow to close anything
        ]
    )
    [plan] = recommend(catalog, [role], np.array([0]), [np.array([1, 0, 2, 0])])
    assert plan.courses == (1, 2)
    assert plan.cost == pytest.approx(550.0)
    assert plan.closes == {1: (10, 11), 2: (12,)}
    # No course teaches negotiation: the plan says so rather than pretend.
    assert plan.unclosable == (13,)


def test_nothing_to_close_means_no_courses() -> None:
    role = Role(skill=np.array([1, 2]), level=np.array([3, 3]))
    [plan] = recommend(catalog_of([(10.0, [(1, 5)])]), [role], np.array([0]), [np.array([3, 4])])
    assert plan.courses == ()
    assert plan.cost == 0.0


@pytest.mark.parametrize("seed", range(30))
def test_plans_are_the_cheapest_by_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    catalog = random_catalog(14, skills=10, seed=seed)
    role = Role(skill=rng.choice(10, size=6, replace=False).astype(np.int64), level=rng.integers(2, 5, 6))
    levels = rng.integers(0, 6, 6).astype(np.int64)
    [plan] = recommend(catalog, [role], np.array([0]), [levels])
    masks = course_masks(role, catalog)
    gap = gap_mask(role, levels)
    closable = int(np.bitwise_or.reduce(masks & gap)) if len(masks) else 0
    best = min(
        (
            sum(catalog.cost[list(subset)])
            for size in range(len(masks) + 1)
            for subset in itertools.combinations(range(len(masks)), size)
            if int(np.bitwise_or.reduce(masks[list(subset)] & gap, initial=0)) == closable
        ),
        default=0.0,
    )
    assert plan.cost == pytest.approx(best)
    closed = sorted(s for skills in plan.closes.values() for s in skills)
    assert len(closed) == len(set(closed))
    gap_skills = {int(role.skill[b]) for b in range(len(role.skill)) if gap >> b & 1}
    assert set(closed) | set(plan.unclosable) == gap_skills


def test_employees_with_the_same_gap_share_one_plan() -> None:
    catalog = random_catalog(300)
    roles = random_roles(5)
    role_of, levels = random_workforce(2000, roles)
    plans = recommend(catalog, roles, role_of, levels)
    distinct = {id(p) for p in plans}
    assert len(distinct) <= 5 * 2**8
    assert len(distinct) < len(plans)
