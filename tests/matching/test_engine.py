"""The matching engine alone (no database): each factor's arithmetic by hand, the sum, empty
profiles, visibility and pools, ties, and exact top-k against brute force."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from backend.matching import engine
from backend.matching.engine import Factor, Openings, People, Weights, adjacency, explain, rank, score_pairs, visible

SKILLS = 8  # A..H
A, B, C, D, E, X, Y, Z = range(SKILLS)


def matrix(rows: int, cols: int, entries: dict[tuple[int, int], float] | None = None) -> sparse.csr_array:
    entries = entries or {}
    keys = list(entries)
    return sparse.csr_array(
        ([entries[k] for k in keys], ([k[0] for k in keys], [k[1] for k in keys])), shape=(rows, cols)
    )


def people_of(
    skills: Sequence[dict[int, int]],
    *,
    level: Sequence[int] | None = None,
    location: Sequence[int] | None = None,
    units: Sequence[Sequence[int]] | None = None,
    roles: Sequence[Sequence[int]] | None = None,
    grow: Sequence[Sequence[int]] | None = None,
    skill_count: int = SKILLS,
    unit_count: int = 4,
    role_count: int = 4,
) -> People:
    n = len(skills)
    return People(
        skills=matrix(n, skill_count, {(i, s): v for i, row in enumerate(skills) for s, v in row.items()}),
        level=np.array(level if level is not None else [3] * n, np.int64),
        location=np.array(location if location is not None else [0] * n, np.int64),
        units=matrix(n, unit_count, {(i, u): 1 for i, row in enumerate(units or [[]] * n) for u in row}),
        aspiration_roles=matrix(n, role_count, {(i, r): 1 for i, row in enumerate(roles or [[]] * n) for r in row}),
        aspiration_skills=matrix(n, skill_count, {(i, s): 1 for i, row in enumerate(grow or [[]] * n) for s in row}),
    )


def openings_of(
    required: Sequence[dict[int, tuple[int, float]]],
    *,
    nice: Sequence[dict[int, int]] | None = None,
    role: Sequence[int] | None = None,
    level: Sequence[int] | None = None,
    location: Sequence[int] | None = None,
    remote: Sequence[bool] | None = None,
    visible_units: Sequence[Sequence[int]] | None = None,
    min_level: Sequence[int] | None = None,
    max_level: Sequence[int] | None = None,
    skill_count: int = SKILLS,
    unit_count: int = 4,
) -> Openings:
    m = len(required)
    return Openings(
        required=matrix(
            m, skill_count, {(j, s): need for j, row in enumerate(required) for s, (need, _) in row.items()}
        ),
        importance=matrix(
            m, skill_count, {(j, s): imp for j, row in enumerate(required) for s, (_, imp) in row.items()}
        ),
        nice=matrix(m, skill_count, {(j, s): v for j, row in enumerate(nice or [{}] * m) for s, v in row.items()}),
        role=np.array(role if role is not None else [-1] * m, np.int64),
        level=np.array(level if level is not None else [3] * m, np.int64),
        location=np.array(location if location is not None else [0] * m, np.int64),
        remote=np.array(remote if remote is not None else [False] * m, bool),
        visible_units=matrix(
            m, unit_count, {(j, u): 1 for j, row in enumerate(visible_units or [[]] * m) for u in row}
        ),
        min_level=np.array(min_level if min_level is not None else [0] * m, np.int64),
        max_level=np.array(max_level if max_level is not None else [0] * m, np.int64),
    )


NO_ADJACENCY = matrix(SKILLS, SKILLS)


def only(factor: Factor) -> Weights:
    return Weights(**{f.value: (1.0 if f is factor else 0.0) for f in Factor})


def score_of(people: People, openings: Openings, weights: Weights, adjacent: sparse.csr_array = NO_ADJACENCY) -> float:
    return float(score_pairs(people, [0], openings, [0], adjacent, weights)[0])


# ---------------------------------------------------------------------------------------------
# Each factor by hand


def test_required_skills_credit_levels_below_target_weighted_by_importance() -> None:
    # A at 2 of 4 (half), B at 5 of 3 (full, no bonus above target), C missing; importance 1, 0.6, 0.6.
    person = people_of([{A: 2, B: 5}])
    opening = openings_of([{A: (4, 1.0), B: (3, 0.6), C: (2, 0.6)}])
    expected = (1.0 * 2 / 4 + 0.6 * 1.0 + 0.6 * 0.0) / (1.0 + 0.6 + 0.6)
    assert score_of(person, opening, only(Factor.REQUIRED)) == pytest.approx(expected, abs=1e-6)
    weights = Weights()
    got = explain(person, 0, opening, 0, NO_ADJACENCY, weights)
    assert got.values[Factor.REQUIRED] == pytest.approx(expected)
    assert got.contributions[Factor.REQUIRED] == pytest.approx(weights.required_skills * expected)
    assert (got.required_have, got.required_total) == (1, 3)
    assert [(m.skill, m.have, m.need) for m in got.required_matched] == [(B, 5, 3)]
    # Missing: by importance, then the larger gap first.
    assert [(g.skill, g.have, g.need, g.gap) for g in got.required_missing] == [(A, 2, 4, 2), (C, 0, 2, 2)]


def test_importance_moves_the_score() -> None:
    person = people_of([{A: 3}])
    essential_held = openings_of([{A: (3, 1.0), B: (3, 0.6)}])
    essential_missing = openings_of([{A: (3, 0.6), B: (3, 1.0)}])
    assert score_of(person, essential_held, only(Factor.REQUIRED)) == pytest.approx(1.0 / 1.6, abs=1e-6)
    assert score_of(person, essential_missing, only(Factor.REQUIRED)) == pytest.approx(0.6 / 1.6, abs=1e-6)


def test_nice_to_have_skills_are_averaged() -> None:
    person = people_of([{D: 1}])
    opening = openings_of([{A: (2, 1.0)}], nice=[{D: 2, E: 1}])
    assert score_of(person, opening, only(Factor.NICE)) == pytest.approx((1 / 2 + 0) / 2, abs=1e-6)
    got = explain(person, 0, opening, 0, NO_ADJACENCY, Weights())
    assert [(g.skill, g.have, g.gap) for g in got.nice_missing] == [(D, 1, 1), (E, 0, 1)]


def test_adjacent_skills_credit_a_missing_skill_through_held_neighbours() -> None:
    # C is missing; X (0.5) and Y (0.2) are adjacent to it: credit 1 - (1 - 0.5)(1 - 0.2) = 0.6.
    # A is held, so its adjacency earns nothing; the required factor credits it.
    adjacent = matrix(SKILLS, SKILLS, {(X, C): 0.5, (Y, C): 0.2, (X, A): 0.9})
    person = people_of([{X: 1, Y: 1, A: 1}])
    opening = openings_of([{A: (1, 1.0), C: (3, 0.6)}])
    expected = 0.6 * 0.6 / 1.6
    assert score_of(person, opening, only(Factor.ADJACENT), adjacent) == pytest.approx(expected, abs=1e-6)
    got = explain(person, 0, opening, 0, adjacent, Weights())
    (credit,) = got.adjacent
    assert (credit.skill, credit.importance) == (C, 0.6)
    assert credit.credit == pytest.approx(0.6)
    assert [source for source, _ in credit.via] == [X, Y]
    assert [weight for _, weight in credit.via] == pytest.approx([0.5, 0.2])


def test_adjacency_credit_is_capped_below_a_held_skill() -> None:
    adjacent = matrix(SKILLS, SKILLS, {(X, C): 1.0})
    person = people_of([{X: 5}])
    opening = openings_of([{C: (1, 1.0)}])
    assert score_of(person, opening, only(Factor.ADJACENT), adjacent) == pytest.approx(engine.ADJACENCY_CAP, abs=1e-6)


@pytest.mark.parametrize(
    ("roles", "grow", "expected"),
    [
        ([1], [], 1.0),  # only a target role, and it is the opening's
        ([2], [], 0.0),
        ([], [C, Z], 0.5),  # only skills to grow: the opening uses one of the two
        ([1], [C, Z], 0.5 * 1.0 + 0.5 * 0.5),
        ([2], [D], 0.5 * 0.0 + 0.5 * 1.0),  # D is nice-to-have: the opening uses it too
        ([], [], 0.0),
    ],
)
def test_aspirations(roles: list[int], grow: list[int], expected: float) -> None:
    person = people_of([{A: 1}], roles=[roles], grow=[grow])
    opening = openings_of([{A: (2, 1.0), C: (2, 1.0)}], nice=[{D: 1}], role=[1])
    assert score_of(person, opening, only(Factor.ASPIRATION)) == pytest.approx(expected, abs=1e-6)
    got = explain(person, 0, opening, 0, NO_ADJACENCY, Weights())
    assert got.aspiration_role == (1 in roles)
    assert got.aspiration_skills == sorted(s for s in grow if s in (A, C, D))


@pytest.mark.parametrize(
    ("person_level", "opening_level", "expected"),
    [
        (3, 3, 1.0),
        (3, 4, 1.0),
        (3, 5, 0.4),
        (3, 6, 0.1),
        (3, 7, 0.0),
        (3, 2, 0.3),
        (3, 1, 0.0),
        (0, 4, 0.5),
        (4, 0, 0.5),
    ],
)
def test_level_fit_table(person_level: int, opening_level: int, expected: float) -> None:
    person = people_of([{}], level=[person_level])
    opening = openings_of([{}], level=[opening_level])
    assert score_of(person, opening, only(Factor.LEVEL)) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("person_location", "opening_location", "remote", "expected"),
    [
        (1, 1, False, 1.0),
        (1, 2, False, 0.0),
        (1, 2, True, 1.0),
        (-1, 2, False, 0.5),
        (1, -1, False, 0.5),
        (-1, 2, True, 1.0),
    ],
)
def test_location_fit(person_location: int, opening_location: int, remote: bool, expected: float) -> None:
    person = people_of([{}], location=[person_location])
    opening = openings_of([{}], location=[opening_location], remote=[remote])
    assert score_of(person, opening, only(Factor.LOCATION)) == pytest.approx(expected, abs=1e-6)


def test_the_score_is_the_sum_of_the_weighted_contributions() -> None:
    adjacent = matrix(SKILLS, SKILLS, {(X, C): 0.5, (Y, C): 0.2})
    person = people_of([{A: 2, B: 5, X: 1, Y: 2, D: 1}], level=[3], location=[1], roles=[[1]], grow=[[C, Z]])
    opening = openings_of(
        [{A: (4, 1.0), B: (3, 0.6), C: (2, 0.6)}], nice=[{D: 2, E: 1}], role=[1], level=[4], location=[2]
    )
    weights = Weights(
        required_skills=0.4,
        nice_to_have_skills=0.2,
        adjacent_skills=0.1,
        aspirations=0.1,
        level_fit=0.15,
        location_fit=0.05,
    )
    values = {
        Factor.REQUIRED: (1.0 * 0.5 + 0.6 * 1.0) / 2.2,
        Factor.NICE: 0.25,
        Factor.ADJACENT: 0.6 * 0.6 / 2.2,
        Factor.ASPIRATION: 0.5 + 0.5 * 0.5,
        Factor.LEVEL: 1.0,
        Factor.LOCATION: 0.0,
    }
    got = explain(person, 0, opening, 0, adjacent, weights)
    for factor, value in values.items():
        assert got.values[factor] == pytest.approx(value, abs=1e-6), factor
        assert got.contributions[factor] == pytest.approx(weights[factor] * value, abs=1e-6), factor
    total = sum(weights[f] * v for f, v in values.items())
    assert got.score == pytest.approx(total, abs=1e-6)
    assert sum(got.contributions.values()) == pytest.approx(got.score, abs=1e-6)
    assert got.score == score_of(person, opening, weights, adjacent)
    ranked = rank(person, opening, adjacent, weights, k_opportunities=1, k_candidates=1)
    assert float(ranked.opportunities[1][0, 0]) == got.score
    assert float(ranked.candidates[engine.ALL_POOL][1][0, 0]) == got.score


def test_empty_profiles_and_empty_openings_score_without_nan() -> None:
    weights = Weights()
    people = people_of([{}, {A: 3}], level=[0, 3], location=[-1, 0])
    openings = openings_of([{}, {A: (3, 1.0)}], level=[0, 3])
    scores = score_pairs(people, [0, 0, 1, 1], openings, [0, 1, 0, 1], NO_ADJACENCY, weights)
    assert np.isfinite(scores).all()
    # Nobody with nothing: only the neutral level and location fits.
    assert scores[0] == pytest.approx(0.5 * weights.level_fit + 0.5 * weights.location_fit, abs=1e-6)
    # An opening with no requirements gives no skill credit (0, by definition), not a vacuous 1.
    assert scores[2] == pytest.approx(0.5 * weights.level_fit + weights.location_fit, abs=1e-6)
    got = explain(people, 0, openings, 1, NO_ADJACENCY, weights)
    assert (got.required_have, got.required_total) == (0, 1)
    assert [(g.skill, g.have, g.gap) for g in got.required_missing] == [(A, 0, 3)]
    assert all(math.isfinite(v) for v in got.contributions.values())
    nothing = explain(people, 1, openings, 0, NO_ADJACENCY, weights)
    assert (nothing.required_have, nothing.required_total) == (0, 0)
    assert nothing.values[Factor.REQUIRED] == nothing.values[Factor.NICE] == nothing.values[Factor.ADJACENT] == 0.0


def test_zero_weights_are_allowed_and_every_score_is_zero() -> None:
    zero = Weights(**dict.fromkeys((f.value for f in Factor), 0.0))
    people = people_of([{A: 1}, {}])
    openings = openings_of([{A: (1, 1.0)}, {}])
    ranked = rank(people, openings, NO_ADJACENCY, zero, k_opportunities=2, k_candidates=2)
    assert ranked.opportunities[0].tolist() == [[0, 1], [0, 1]]
    assert ranked.opportunities[1].tolist() == [[0.0, 0.0], [0.0, 0.0]]


# ---------------------------------------------------------------------------------------------
# Visibility, pools, ties, padding


def test_visibility_by_units_and_levels_and_exclusions_and_pools() -> None:
    # Units: 0 is the root, 1 a department under it, 2 a team under 1, 3 another department.
    people = people_of(
        [{A: 3}, {A: 3}, {A: 3}, {A: 3}],
        level=[3, 5, 0, 3],
        units=[[0, 1, 2], [0, 3], [0, 1], [0, 3]],
    )
    openings = openings_of(
        [{A: (3, 1.0)}, {A: (3, 1.0)}, {A: (3, 1.0)}, {A: (3, 1.0)}],
        visible_units=[[], [1], [3], []],
        min_level=[0, 0, 0, 2],
        max_level=[0, 0, 0, 4],
        level=[0, 0, 0, 0],  # unknown: every level fit is neutral, so every score ties
    )
    exclude = matrix(4, 4, {(3, 0): 1})
    pools = {"everyone": np.array([True] * 4), "two": np.array([False, True, False, True])}
    ranked = rank(
        people,
        openings,
        NO_ADJACENCY,
        Weights(),
        k_opportunities=4,
        k_candidates=4,
        candidate_pools=pools,
        exclude=exclude,
    )
    seen = [[int(j) for j in row if j >= 0] for row in ranked.opportunities[0]]
    # Person 0 (team 2 under department 1): everything but department 3's opening.
    # Person 1 (level 5, department 3): not department 1's, not the one bounded to levels 2-4.
    # Person 2 (unknown level): not the level-bounded one. Person 3: excluded from opening 0.
    assert seen == [[0, 1, 3], [0, 2], [0, 1], [2, 3]]
    everyone = [[int(i) for i in row if i >= 0] for row in ranked.candidates["everyone"][0]]
    assert everyone == [[0, 1, 2], [0, 2], [1, 3], [0, 3]]
    two = [[int(i) for i in row if i >= 0] for row in ranked.candidates["two"][0]]
    assert two == [[1], [], [1, 3], [3]]
    pairs_i, pairs_j = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
    allowed = visible(people, pairs_i.ravel(), openings, pairs_j.ravel(), exclude).reshape(4, 4)
    assert [np.flatnonzero(row).tolist() for row in allowed] == seen


def test_ties_go_to_the_lower_index_and_rows_are_padded() -> None:
    # Identical people and identical openings: every score ties.
    people = people_of([{A: 2}] * 5)
    openings = openings_of([{A: (3, 1.0)}] * 3)
    ranked = rank(people, openings, NO_ADJACENCY, Weights(), k_opportunities=4, k_candidates=3)
    index, score = ranked.opportunities
    assert index.tolist() == [[0, 1, 2, -1]] * 5
    assert np.isneginf(score[:, 3]).all()
    assert np.isfinite(score[:, :3]).all()
    candidates, _ = ranked.candidates[engine.ALL_POOL]
    assert candidates.tolist() == [[0, 1, 2]] * 3


def test_nobody_and_nothing() -> None:
    people = people_of([{A: 1}, {}])
    none_open = openings_of([])
    ranked = rank(people, none_open, NO_ADJACENCY, Weights(), k_opportunities=3, k_candidates=2)
    assert ranked.opportunities[0].tolist() == [[-1, -1, -1]] * 2
    assert ranked.candidates[engine.ALL_POOL][0].shape == (0, 2)
    nobody = people_of([])
    ranked = rank(nobody, openings_of([{A: (1, 1.0)}]), NO_ADJACENCY, Weights(), k_candidates=2)
    assert ranked.candidates[engine.ALL_POOL][0].tolist() == [[-1, -1]]


# ---------------------------------------------------------------------------------------------
# Random instances: rank equals brute force


def random_instance(
    seed: int, n: int, m: int, skills: int = 12, units: int = 5, roles: int = 4
) -> tuple[People, Openings, sparse.csr_array, dict[str, np.ndarray], sparse.csr_array]:
    rng = np.random.default_rng(seed)

    def levels(rows: int, density: float) -> sparse.csr_array:
        keep = rng.random((rows, skills)) < density
        return sparse.csr_array(np.where(keep, rng.integers(1, 6, (rows, skills)), 0).astype(float))

    def binary(rows: int, cols: int, density: float) -> sparse.csr_array:
        return sparse.csr_array((rng.random((rows, cols)) < density).astype(float))

    held = levels(n, 0.3)
    required = levels(m, 0.3)
    importance = required.copy()
    importance.data = rng.choice([1.0, 0.6], required.nnz)
    nice = levels(m, 0.15)
    nice = sparse.csr_array(nice - nice.multiply(required > 0))
    people = People(
        skills=held,
        level=rng.integers(0, 6, n),
        location=rng.integers(-1, 3, n),
        units=binary(n, units, 0.4),
        aspiration_roles=binary(n, roles, 0.2),
        aspiration_skills=binary(n, skills, 0.15),
    )
    openings = Openings(
        required=required,
        importance=importance,
        nice=nice,
        role=rng.integers(-1, roles, m),
        level=rng.integers(0, 6, m),
        location=rng.integers(-1, 3, m),
        remote=rng.random(m) < 0.3,
        visible_units=binary(m, units, 0.15),
        min_level=np.where(rng.random(m) < 0.2, rng.integers(1, 4, m), 0),
        max_level=np.where(rng.random(m) < 0.2, rng.integers(3, 6, m), 0),
    )
    # Coarse levels and few skills make exact ties common, which the tie rule must settle.
    adjacent = adjacency(held, required, binary(skills, skills, 0.1) * 0.3, neighbours=3, min_support=1)
    pools = {"a": rng.random(n) < 0.7, "b": rng.random(n) < 0.3}
    exclude = sparse.csr_array((rng.random((n, m)) < 0.05).astype(float))
    return people, openings, adjacent, pools, exclude


def brute_force(
    people: People,
    openings: Openings,
    adjacent: sparse.csr_array,
    weights: Weights,
    pools: dict[str, np.ndarray],
    exclude: sparse.csr_array,
    k_opportunities: int,
    k_candidates: int,
) -> tuple[list[list[tuple[int, float]]], dict[str, list[list[tuple[int, float]]]]]:
    n, m = people.size, openings.size
    rows, cols = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    scores = score_pairs(people, rows.ravel(), openings, cols.ravel(), adjacent, weights).reshape(n, m)
    allowed = visible(people, rows.ravel(), openings, cols.ravel(), exclude).reshape(n, m)

    def best(values: np.ndarray, ok: np.ndarray, k: int) -> list[tuple[int, float]]:
        order = sorted(np.flatnonzero(ok).tolist(), key=lambda x: (-float(values[x]), x))[:k]
        return [(x, float(values[x])) for x in order]

    per_person = [best(scores[i], allowed[i], k_opportunities) for i in range(n)]
    per_pool = {
        name: [best(scores[:, j], allowed[:, j] & mask, k_candidates) for j in range(m)] for name, mask in pools.items()
    }
    return per_person, per_pool


def as_lists(index: np.ndarray, score: np.ndarray) -> list[list[tuple[int, float]]]:
    return [
        [(int(i), float(s)) for i, s in zip(ri, rs, strict=True) if i >= 0] for ri, rs in zip(index, score, strict=True)
    ]


def check_against_brute_force(
    seed: int, n: int, m: int, k_opportunities: int, k_candidates: int, chunk: int, threads: int, skills: int = 12
) -> None:
    people, openings, adjacent, pools, exclude = random_instance(seed, n, m, skills)
    weights = Weights()
    ranked = rank(
        people,
        openings,
        adjacent,
        weights,
        k_opportunities=k_opportunities,
        k_candidates=k_candidates,
        candidate_pools=pools,
        exclude=exclude,
        chunk_rows=chunk,
        threads=threads,
    )
    per_person, per_pool = brute_force(
        people, openings, adjacent, weights, pools, exclude, k_opportunities, k_candidates
    )
    assert as_lists(*ranked.opportunities) == per_person
    for name in pools:
        assert as_lists(*ranked.candidates[name]) == per_pool[name]


@settings(max_examples=60, deadline=None, database=None)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(1, 30),
    m=st.integers(1, 20),
    k_opportunities=st.integers(0, 6),
    k_candidates=st.integers(0, 6),
    chunk=st.integers(1, 12),
    threads=st.sampled_from([1, 2]),
)
def test_rank_equals_brute_force_on_small_instances(
    seed: int, n: int, m: int, k_opportunities: int, k_candidates: int, chunk: int, threads: int
) -> None:
    check_against_brute_force(seed, n, m, k_opportunities, k_candidates, chunk, threads)


@pytest.mark.parametrize("seed", [1, 2])
def test_rank_equals_brute_force_where_the_bounds_prune(seed: int) -> None:
    # Wide enough for the row bound (>= 1,024 openings) and chunks big enough for the column bound.
    check_against_brute_force(
        seed, n=700, m=1_100, k_opportunities=20, k_candidates=30, chunk=256, threads=2, skills=40
    )


def test_the_same_inputs_give_the_same_outputs() -> None:
    people, openings, adjacent, pools, exclude = random_instance(5, 400, 300, skills=30)
    runs = [
        rank(people, openings, adjacent, Weights(), candidate_pools=pools, exclude=exclude, chunk_rows=chunk, threads=t)
        for chunk, t in ((64, 1), (64, 2), (1000, 2), (64, 1))
    ]
    for other in runs[1:]:
        for got, want in zip(other.opportunities, runs[0].opportunities, strict=True):
            np.testing.assert_array_equal(got, want)
        for name in pools:
            for got, want in zip(other.candidates[name], runs[0].candidates[name], strict=True):
                np.testing.assert_array_equal(got, want)


def test_ranked_scores_equal_explanations_and_breakdowns() -> None:
    people, openings, adjacent, pools, exclude = random_instance(8, 60, 40)
    weights = Weights()
    ranked = rank(people, openings, adjacent, weights, k_opportunities=5, candidate_pools=pools, exclude=exclude)
    index, score = ranked.opportunities
    rows = np.repeat(np.arange(people.size), 5)
    picked = index.ravel() >= 0
    parts = engine.breakdown(people, rows[picked], openings, index.ravel()[picked], adjacent, weights)
    np.testing.assert_array_equal(parts.score, score.ravel()[picked])
    total = sum(parts.contributions.values())
    np.testing.assert_allclose(total, parts.score, atol=1e-5)
    for i, j in list(zip(rows[picked], index.ravel()[picked], strict=True))[:40]:
        got = explain(people, int(i), openings, int(j), adjacent, weights)
        assert got.score == float(score[i][list(index[i]).index(j)])
        assert sum(got.contributions.values()) == pytest.approx(got.score, abs=1e-5)
        assert got.visible


@pytest.mark.parametrize("variant", ["public product", "small product buffers"])
def test_the_fallbacks_give_the_same_ranking(monkeypatch: pytest.MonkeyPatch, variant: str) -> None:
    people, openings, adjacent, pools, exclude = random_instance(9, 300, 200, skills=25)
    want = rank(people, openings, adjacent, Weights(), candidate_pools=pools, exclude=exclude, chunk_rows=50)
    if variant == "public product":
        # Without SciPy's private kernels, and with the dense table built per chunk.
        monkeypatch.setattr(engine, "_KERNELS", None)
        monkeypatch.setattr(engine, "_DENSE_TABLE_LIMIT", 0)
    else:
        # The product in slices of a few rows.
        monkeypatch.setattr(engine, "_PRODUCT_BUFFER", 1_000)
    got = rank(people, openings, adjacent, Weights(), candidate_pools=pools, exclude=exclude, chunk_rows=50)
    for a, b in zip(got.opportunities, want.opportunities, strict=True):
        np.testing.assert_array_equal(a, b)
    for name in pools:
        for a, b in zip(got.candidates[name], want.candidates[name], strict=True):
            np.testing.assert_array_equal(a, b)


def test_the_private_kernels_are_found() -> None:
    # If a SciPy release drops or changes them, the engine still works (above), only slower: say so.
    assert engine._KERNELS is not None


# ---------------------------------------------------------------------------------------------
# Adjacency, weights, inputs


def test_adjacency_learns_cosine_of_cooccurrence_and_keeps_the_strongest() -> None:
    # A and B always together (cosine 1), A and C once in three (below support 2), D alone.
    profiles = matrix(4, 4, {(0, 0): 1, (0, 1): 2, (1, 0): 3, (1, 1): 1, (2, 0): 1, (2, 1): 1, (2, 2): 1, (3, 3): 4})
    learnt = adjacency(profiles, None, None, neighbours=5, min_support=2).toarray()
    assert learnt[0, 1] == pytest.approx(1.0)
    assert learnt[1, 0] == pytest.approx(1.0)
    assert learnt[0, 2] == 0
    assert learnt[3].sum() == 0
    assert np.diag(learnt).sum() == 0
    related = matrix(4, 4, {(0, 2): 0.4, (0, 3): 0.3, (2, 2): 1.0})
    combined = adjacency(profiles, None, related, neighbours=2, min_support=2).toarray()
    # Row 0: B (1.0) and C (0.4, the taxonomy) are kept, D (0.3) is not: two neighbours.
    assert combined[0].tolist() == pytest.approx([0.0, 1.0, 0.4, 0.0])
    assert combined[2, 2] == 0
    # Role skills count as `role_weight` profiles each.
    roles = matrix(1, 4, {(0, 2): 1, (0, 3): 1})
    with_roles = adjacency(profiles, roles, None, min_support=2, role_weight=2.0).toarray()
    assert with_roles[2, 3] == pytest.approx(2 / math.sqrt(3 * 3))


def test_weights_validate_and_round_trip() -> None:
    weights = Weights.from_dict({"required_skills": 1, "location_fit": 0})
    assert weights.as_dict()["required_skills"] == 1.0
    assert weights.as_dict()["nice_to_have_skills"] == Weights().nice_to_have_skills
    assert Weights.from_dict(weights.as_dict()) == weights
    assert set(Weights().as_dict()) == {f.value for f in Factor}
    assert sum(Weights().as_dict().values()) == pytest.approx(1.0)
    with pytest.raises(KeyError):
        Weights.from_dict({"charisma": 1.0})
    with pytest.raises(ValueError, match="level_fit"):
        Weights(level_fit=-0.1)
    with pytest.raises(ValueError, match="aspirations"):
        Weights(aspirations=float("nan"))
    with pytest.raises(TypeError):
        Weights(required_skills=True)
    with pytest.raises(TypeError):
        Weights.from_dict({"required_skills": "0.5"})


def test_bad_inputs_are_refused() -> None:
    people = people_of([{A: 3}])
    with pytest.raises(ValueError, match="levels"):
        score_pairs(people_of([{A: 7}]), [0], openings_of([{A: (3, 1.0)}]), [0], NO_ADJACENCY, Weights())
    mismatched = openings_of([{A: (3, 1.0)}])
    mismatched = Openings(**{**mismatched.__dict__, "importance": matrix(1, SKILLS, {(0, B): 1.0})})
    with pytest.raises(ValueError, match="importance"):
        score_pairs(people, [0], mismatched, [0], NO_ADJACENCY, Weights())
    with pytest.raises(ValueError, match="skills"):
        rank(people, openings_of([{A: (3, 1.0)}], skill_count=SKILLS + 1), NO_ADJACENCY, Weights())
    with pytest.raises(ValueError, match="pool"):
        rank(people, openings_of([{A: (3, 1.0)}]), NO_ADJACENCY, Weights(), candidate_pools={"x": np.ones(3, bool)})
    with pytest.raises(IndexError):
        score_pairs(people, [1], openings_of([{A: (3, 1.0)}]), [0], NO_ADJACENCY, Weights())
