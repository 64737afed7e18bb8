"""A random but plausible pairing pool, for the benchmark and the tests of the pairing algorithm."""

from __future__ import annotations

import numpy as np

from backend.mentoring.pairing import Pool


def _lines(manager: np.ndarray, people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ragged reporting lines (managers up to the top) of `people`, from a manager array."""
    starts, chain = [0], []
    for person in people:
        boss = manager[person]
        while boss >= 0:
            chain.append(boss)
            boss = manager[boss]
        starts.append(len(chain))
    return np.array(starts, np.int64), np.array(chain, np.int64)


def random_pool(
    mentees: int,
    mentors: int,
    *,
    skills: int = 200,
    roles: int = 60,
    departments: int = 20,
    seed: int = 7,
    different_department: bool = False,
    exclusions: int = 0,
    popular: int = 0,
) -> Pool:
    """A pool with every hard constraint at work. `popular` mentors are everyone's favourites (top
    level in every skill, keen to teach all of them, holders of every role): demand for them is
    skewed, and each mentee's best few mentors are mostly the same ones."""
    rng = np.random.default_rng(seed)
    people = mentees + mentors
    # An org tree about six levels deep: person i reports to someone between i/8 and i/4.
    manager = np.full(people, -1, np.int64)
    for person in range(1, people):
        manager[person] = rng.integers(person // 8, max(person // 8 + 1, person // 4))
    order = rng.permutation(people)
    mentee_people, mentor_people = order[:mentees], order[mentees:]
    department = rng.integers(0, departments, people)
    # Languages as bits: almost everyone speaks language 0; some speak others as well or instead.
    language = np.where(rng.random(people) < 0.9, 1, 0) | (rng.integers(0, 8, people) << 1)
    language[language == 0] = 2
    time_zone = rng.choice(np.arange(-8.0, 11.0), people)
    wants = rng.integers(1, 5, mentees)
    want_start = np.concatenate([[0], np.cumsum(wants)]).astype(np.int64)
    want_skill = rng.integers(0, skills, int(want_start[-1])).astype(np.int64)
    want_level = rng.integers(0, 3, int(want_start[-1])).astype(np.int64)
    line_start, line_employee = _lines(manager, mentee_people)
    mentor_line_start, mentor_line_employee = _lines(manager, mentor_people)
    mentor_level = rng.integers(0, 6, (mentors, skills)).astype(np.int8)
    mentor_teaches = rng.random((mentors, skills)) < 0.05
    mentor_held_role = rng.random((mentors, roles)) < 0.05
    mentor_level[:popular] = 5
    mentor_teaches[:popular] = True
    mentor_held_role[:popular] = True
    target_role = np.where(rng.random(mentees) < 0.6, rng.integers(0, roles, mentees), -1)
    excluded = [(int(rng.integers(0, mentees)), int(rng.integers(0, mentors))) for _ in range(exclusions)]
    return Pool(
        mentee_employee=mentee_people.astype(np.int64),
        mentee_language=language[mentee_people].astype(np.int64),
        mentee_department=department[mentee_people].astype(np.int64),
        mentee_time_zone=time_zone[mentee_people],
        mentee_target_role=target_role.astype(np.int64),
        want_start=want_start,
        want_skill=want_skill,
        want_level=want_level,
        line_start=line_start,
        line_employee=line_employee,
        mentor_employee=mentor_people.astype(np.int64),
        mentor_language=language[mentor_people].astype(np.int64),
        mentor_department=department[mentor_people].astype(np.int64),
        mentor_time_zone=time_zone[mentor_people],
        mentor_capacity=rng.integers(1, 6, mentors).astype(np.int64),
        mentor_level=mentor_level,
        mentor_teaches=mentor_teaches,
        mentor_held_role=mentor_held_role,
        mentor_line_start=mentor_line_start,
        mentor_line_employee=mentor_line_employee,
        excluded=excluded,
        different_department=different_department,
    )
