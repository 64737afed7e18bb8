"""Why a mentee is left unmatched: the first hard constraint that rules out every mentor, and
"at capacity" only when every mentor who suits them is full."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.mentoring.pairing import (
    UNMATCHED_REASONS,
    Objective,
    Pool,
    candidate_pairs,
    solve_pool,
    unmatched_reason,
)
from backend.mentoring.synthetic import random_pool


def pool(mentors: list[dict[str, Any]], *, mentee_line: Sequence[int] = (), **mentee: Any) -> Pool:
    """Mentee: employee 0, language bit 1, department 0, unless told otherwise."""
    m = len(mentors)
    lines = [mentor.get("line", []) for mentor in mentors]
    return Pool(
        mentee_employee=np.array([mentee.get("employee", 0)], np.int64),
        mentee_language=np.array([mentee.get("language", 1)], np.int64),
        mentee_department=np.array([mentee.get("department", 0)], np.int64),
        mentee_time_zone=np.zeros(1),
        mentee_target_role=np.array([-1], np.int64),
        want_start=np.array([0, 0], np.int64),
        want_skill=np.empty(0, np.int64),
        want_level=np.empty(0, np.int64),
        line_start=np.array([0, len(mentee_line)], np.int64),
        line_employee=np.array(list(mentee_line), np.int64),
        mentor_employee=np.array([mentor["employee"] for mentor in mentors], np.int64),
        mentor_language=np.array([mentor.get("language", 1) for mentor in mentors], np.int64),
        mentor_department=np.array([mentor.get("department", 1) for mentor in mentors], np.int64),
        mentor_time_zone=np.zeros(m),
        mentor_capacity=np.array([mentor.get("capacity", 1) for mentor in mentors], np.int64),
        mentor_level=np.zeros((m, 0), np.int8),
        mentor_teaches=np.zeros((m, 0), np.bool_),
        mentor_held_role=np.zeros((m, 0), np.bool_),
        mentor_line_start=np.array([0, *np.cumsum([len(x) for x in lines])], np.int64),
        mentor_line_employee=np.array([e for x in lines for e in x], np.int64),
        excluded=mentee.get("excluded", []),
        different_department=mentee.get("different_department", False),
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (pool([]), "no_mentors"),
        (pool([{"employee": 1, "language": 2}, {"employee": 2, "language": 4}]), "no_shared_language"),
        (pool([{"employee": 0}]), "only_self"),
        # Mentor 1 is the mentee's manager; mentor 2 reports to the mentee.
        (pool([{"employee": 1}, {"employee": 2, "line": [0]}], mentee_line=[1]), "reporting_line"),
        (pool([{"employee": 1, "department": 0}], different_department=True), "same_department"),
        (pool([{"employee": 1, "department": 0}]), "at_capacity"),
        (pool([{"employee": 1}, {"employee": 2, "language": 2}], excluded=[(0, 0)]), "excluded"),
        (pool([{"employee": 1, "capacity": 0}]), "at_capacity"),
    ],
)
def test_the_first_constraint_that_leaves_nobody_is_the_reason(case: Pool, expected: str) -> None:
    assert unmatched_reason(case, 0) == expected
    assert UNMATCHED_REASONS[expected]


def test_a_mentee_is_not_left_waiting_by_a_mentor_with_a_place_who_scores_nothing() -> None:
    """Twelve hours apart, no wish in common: the pair scores 0, and the mentor has a place. Waiting
    would be reported as "every suitable mentor is at capacity", which is false: they are paired."""
    case = pool([{"employee": 1}])
    case = replace(case, mentor_time_zone=np.array([12.0]))
    for objective in Objective:
        solution = solve_pool(case, objective)
        assert solution.candidates.score[solution.assignment.pair_rows].tolist() == [0.0]
        assert list(solution.assignment.mentor_of) == [0]


@settings(max_examples=100, deadline=None, database=None)
@given(seed=st.integers(0, 2**31), mentees=st.integers(1, 30), mentors=st.integers(1, 8))
def test_at_capacity_means_every_suitable_mentor_is_full(seed: int, mentees: int, mentors: int) -> None:
    case = random_pool(mentees, mentors, skills=5, roles=3, departments=3, seed=seed, exclusions=mentees)
    # Far-apart time zones make zero scores common.
    case = replace(case, mentor_time_zone=case.mentor_time_zone + 12.0)
    allowed = candidate_pairs(case, per_mentee=case.mentors)
    for objective in Objective:
        assignment = solve_pool(case, objective, per_mentee=1, reserve=1).assignment
        load = np.bincount(assignment.mentor_of[assignment.mentor_of >= 0], minlength=case.mentors)
        for mentee in np.flatnonzero(assignment.mentor_of < 0):
            if unmatched_reason(case, int(mentee)) == "at_capacity":
                suitable = allowed.mentor[allowed.mentee == mentee]
                assert (load[suitable] >= case.mentor_capacity[suitable]).all()
