"""Glass-box matching of people to opportunities, as pure functions over arrays.

A person's score for an opening is a sum of named factors, each a value in [0, 1] times the tenant's
weight for it (see docs/matching.md for the definitions). `rank` finds, exactly, every person's best
openings among those they may see and every opening's best candidates in each candidate pool;
`score_pairs` scores given pairs with the same arithmetic, bit for bit; `breakdown` and `explain` say
what each factor contributed and which skills matched or are missing.

How it stays fast: every skill and aspiration factor is bilinear in a person-side and an
opening-side feature vector (levels are one-hot per skill on the person side, and the opening side
holds the credit each held level earns, weights folded in), so all of them together are one sparse
product. Level fit and location fit depend on the person only through (level, location), so they
are rows of a small dense table. People are scored in chunks: the table rows plus the sparse
product give a dense block of scores, visibility masks it, and exact top-k selection runs on it
with cheap lower bounds that discard most entries before any sort. Nothing here touches a
database, so it is tested and benchmarked alone.
"""

from __future__ import annotations

import enum
import math
import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from scipy import sparse

from backend.matching.adjacency import adjacency, descending_key

__all__ = [
    "ALL_POOL",
    "AdjacentCredit",
    "Breakdown",
    "ColumnTopK",
    "Explanation",
    "Factor",
    "LevelFit",
    "LocationFit",
    "Openings",
    "People",
    "Ranking",
    "SkillGap",
    "SkillMatch",
    "Weights",
    "add_product",
    "adjacency",
    "breakdown",
    "column_candidates",
    "explain",
    "factor_values",
    "ordered_map",
    "rank",
    "score_pairs",
    "top_k_rows",
    "visible",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ScoreArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
T = TypeVar("T")

MAX_LEVEL = 5
# The pool `rank` uses when the caller names none: everyone may be a candidate.
ALL_POOL = "all"

# Level fit by (opening level - person level): a lateral move or one step up fits fully, two steps
# up is a stretch, three a long shot; a step down fits poorly (people rarely want one, and every
# junior role's skills are covered by a senior's profile, so coverage alone would rank it high),
# anything further not at all. Either level unknown: neutral.
LEVEL_FIT: Mapping[int, float] = {-1: 0.3, 0: 1.0, 1: 1.0, 2: 0.4, 3: 0.1}
LEVEL_UNKNOWN = 0.5
# Location fit: remote or the same place 1, another place 0, either place unknown neutral.
LOCATION_UNKNOWN = 0.5
# An adjacency weight of 1 would make a held skill count as the missing one; the credit is capped
# just below, which also keeps the logarithms of the credit finite.
ADJACENCY_CAP = 0.99

# Feature columns: per skill s, columns s * _PER_SKILL + (level - 1) for the level held and
# s * _PER_SKILL + MAX_LEVEL for the adjacency credit (side by side, so a profile's features walk the
# opening side's memory in one direction); then one column per skill to grow, then per target role.
_PER_SKILL = MAX_LEVEL + 1
_LEVEL_SPAN = max(abs(d) for d in LEVEL_FIT)
_LEVEL_TABLE = np.array([LEVEL_FIT.get(d, 0.0) for d in range(-_LEVEL_SPAN, _LEVEL_SPAN + 1)])
# Entries of the sparse product's buffers (index and value) per call of SciPy's kernel.
_PRODUCT_BUFFER = 1 << 22
# Dense score tables above this many entries are built per chunk instead of once (many locations).
_DENSE_TABLE_LIMIT = 1 << 25
# Row selection: groups of strided columns whose maxima give a lower bound of each row's k-th best.
_ROW_GROUPS = 256
# Column selection: groups of strided rows, used while a pool's columns are still filling.
_COLUMN_GROUPS = 128


class Factor(enum.StrEnum):
    REQUIRED = "required_skills"
    NICE = "nice_to_have_skills"
    ADJACENT = "adjacent_skills"
    ASPIRATION = "aspirations"
    LEVEL = "level_fit"
    LOCATION = "location_fit"


@dataclass(frozen=True)
class Weights:
    """A tenant's weight for each factor (>= 0). The defaults sum to 1, so scores stay in [0, 1]."""

    required_skills: float = 0.45
    nice_to_have_skills: float = 0.1
    adjacent_skills: float = 0.1
    aspirations: float = 0.15
    level_fit: float = 0.15
    location_fit: float = 0.05

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{item.name} must be a number")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{item.name} must be a finite number >= 0")
            # + 0.0 turns -0.0 into 0.0: a negative zero would sort above every score.
            object.__setattr__(self, item.name, float(value) + 0.0)

    def __getitem__(self, factor: Factor) -> float:
        return float(getattr(self, Factor(factor).value))

    def as_dict(self) -> dict[str, float]:
        return {factor.value: self[factor] for factor in Factor}

    @classmethod
    def from_dict(cls, values: Mapping[str, object]) -> Weights:
        """Weights from {factor name: weight}; a factor left out keeps its default weight."""
        unknown = sorted(set(values) - {factor.value for factor in Factor})
        if unknown:
            raise KeyError(f"unknown factor: {', '.join(unknown)}")
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class People:
    """n people over S skills, R roles, U org units. Sparse matrices are `scipy.sparse.csr_array`.

    skills: n x S, levels 1..5 (absent: no entry). level: (n,) 0 = unknown. location: (n,) -1 =
    unknown. units: n x U binary, the person's org unit and all its ancestors. aspiration_roles:
    n x R binary, target roles. aspiration_skills: n x S binary, skills they want to grow.
    """

    skills: sparse.csr_array
    level: IntArray
    location: IntArray
    units: sparse.csr_array
    aspiration_roles: sparse.csr_array
    aspiration_skills: sparse.csr_array

    @property
    def size(self) -> int:
        return int(self.skills.shape[0])


@dataclass(frozen=True)
class Openings:
    """m opportunities (or roles, for career paths) over the same S skills, R roles, U units.

    required: m x S target levels 1..5. importance: m x S, the same entries as `required`, each
    required skill's weight (> 0). nice: m x S target levels of nice-to-have skills. role: (m,) -1 =
    none. level: (m,) 0 = unknown. location: (m,) -1 = unknown. remote: (m,) bool. visible_units:
    m x U binary, the units whose people may see it; an empty row: the whole company.
    min_level, max_level: (m,) bounds on the person's level for seeing it, 0 = no bound.
    """

    required: sparse.csr_array
    importance: sparse.csr_array
    nice: sparse.csr_array
    role: IntArray
    level: IntArray
    location: IntArray
    remote: BoolArray
    visible_units: sparse.csr_array
    min_level: IntArray
    max_level: IntArray

    @property
    def size(self) -> int:
        return int(self.required.shape[0])


@dataclass(frozen=True)
class Ranking:
    """opportunities: (index, score), each n x k: every person's best visible openings, best first;
    candidates: {pool: (index, score)}, each m x k: every opening's best people of the pool who may
    see it. Rows are padded with index -1 and score -inf when fewer qualify."""

    opportunities: tuple[IntArray, ScoreArray]
    candidates: dict[str, tuple[IntArray, ScoreArray]]


@dataclass(frozen=True)
class Breakdown:
    """Per pair: the score (exactly as `rank` and `score_pairs` give it), each factor's weighted
    contribution (summing to the score up to float rounding), and how many required skills the
    person has at the target level or above, of how many."""

    score: ScoreArray
    contributions: dict[Factor, FloatArray]
    required_have: IntArray
    required_total: IntArray


@dataclass(frozen=True)
class SkillMatch:
    skill: int
    have: int
    need: int
    importance: float


@dataclass(frozen=True)
class SkillGap:
    skill: int
    have: int  # 0: the person lacks the skill
    need: int
    gap: int
    importance: float


@dataclass(frozen=True)
class AdjacentCredit:
    """A required skill the person lacks, partly credited through adjacent skills they hold."""

    skill: int
    credit: float  # in [0, 1]
    importance: float
    via: tuple[tuple[int, float], ...]  # (held skill, adjacency weight), strongest first


@dataclass(frozen=True)
class LevelFit:
    person_level: int
    opening_level: int
    value: float


@dataclass(frozen=True)
class LocationFit:
    person_location: int
    opening_location: int
    remote: bool
    value: float


@dataclass(frozen=True)
class Explanation:
    """Why person i and opening j score what they do. `score` is the ranked score; `contributions`
    (weight x value) sum to it up to float rounding; `values` are the factor values in [0, 1]."""

    score: float
    contributions: dict[Factor, float]
    values: dict[Factor, float]
    required_have: int
    required_total: int
    required_matched: list[SkillMatch]
    required_missing: list[SkillGap]
    nice_matched: list[SkillMatch]
    nice_missing: list[SkillGap]
    adjacent: list[AdjacentCredit]
    aspiration_role: bool
    aspiration_skills: list[int]  # skills the person wants to grow that the opening uses
    level: LevelFit
    location: LocationFit
    visible: bool


# ---------------------------------------------------------------------------------------------
# Inputs


def _canonical(matrix: sparse.csr_array, dtype: type = np.float64) -> sparse.csr_array:
    result = sparse.csr_array(matrix, dtype=dtype, copy=True)
    result.sum_duplicates()
    result.eliminate_zeros()
    result.sort_indices()
    return result


def _binary(matrix: sparse.csr_array, dtype: type = np.float64) -> sparse.csr_array:
    result = _canonical(matrix, dtype)
    result.data[:] = 1
    return result


def _levels(matrix: sparse.csr_array, what: str) -> sparse.csr_array:
    """A level matrix, canonical, checked to hold whole levels 1..5."""
    result = _canonical(matrix)
    data = result.data
    if data.size and (data.min() < 1 or data.max() > MAX_LEVEL or not np.array_equal(data, np.round(data))):
        raise ValueError(f"{what} must hold whole levels from 1 to {MAX_LEVEL}")
    return result


def _row_scaled(matrix: sparse.csr_array, factors: FloatArray) -> sparse.csr_array:
    result = matrix.copy()
    result.data = result.data * np.repeat(factors, np.diff(result.indptr))
    return result


@dataclass(frozen=True)
class _OpeningSkills:
    """An opening's skill requirements, canonical: required levels, importance normalised to sum to
    1 per opening, nice-to-have levels, and all its skills (binary)."""

    required: sparse.csr_array
    share: sparse.csr_array  # importance / the opening's total importance, same entries as required
    nice: sparse.csr_array
    uses: sparse.csr_array

    @classmethod
    def of(cls, openings: Openings) -> _OpeningSkills:
        required = _levels(openings.required, "required")
        importance = _canonical(openings.importance)
        if not (
            np.array_equal(required.indptr, importance.indptr) and np.array_equal(required.indices, importance.indices)
        ):
            raise ValueError("importance must have exactly one positive entry per required skill")
        if importance.data.size and not (np.isfinite(importance.data).all() and (importance.data > 0).all()):
            raise ValueError("importance must be positive and finite")
        counts = np.diff(importance.indptr)
        entry_rows = np.repeat(np.arange(len(counts)), counts)
        per_row = np.bincount(entry_rows, weights=importance.data, minlength=len(counts))
        share = importance.copy()
        share.data = importance.data / per_row[entry_rows]
        nice = _levels(openings.nice, "nice")
        uses = _binary(required + nice)
        return cls(required, share, nice, uses)


def _check(people: People, openings: Openings, adjacency_matrix: sparse.csr_array) -> None:
    n, skills = people.skills.shape
    m = openings.size
    if openings.required.shape[1] != skills or openings.nice.shape != (m, skills):
        raise ValueError("people and openings must share the same skills (columns)")
    if openings.importance.shape != (m, skills):
        raise ValueError("importance must have the shape of required")
    if adjacency_matrix.shape != (skills, skills):
        raise ValueError("adjacency must be a skills x skills matrix")
    if people.aspiration_skills.shape != (n, skills):
        raise ValueError("aspiration_skills must be people x skills")
    if people.units.shape[0] != n or openings.visible_units.shape != (m, people.units.shape[1]):
        raise ValueError("people and openings must share the same org units (columns)")
    if people.aspiration_roles.shape[0] != n:
        raise ValueError("aspiration_roles must have one row per person")
    for name in ("level", "location"):
        if np.shape(getattr(people, name)) != (n,):
            raise ValueError(f"people.{name} must have one entry per person")
    for name in ("role", "level", "location", "remote", "min_level", "max_level"):
        if np.shape(getattr(openings, name)) != (m,):
            raise ValueError(f"openings.{name} must have one entry per opening")
    roles = np.asarray(openings.role)
    if roles.size and roles.max() >= people.aspiration_roles.shape[1]:
        raise ValueError("an opening's role is outside aspiration_roles' columns")


# ---------------------------------------------------------------------------------------------
# Factor arithmetic: features whose product is the sum of the sparse factors


def _adjacency_logs(adjacency_matrix: sparse.csr_array) -> sparse.csr_array:
    """log(1 - A), A capped below 1, float32: the adjacency credit's sparse operand."""
    logs = _canonical(adjacency_matrix)
    logs.data = np.log1p(-np.clip(np.nan_to_num(logs.data), 0.0, ADJACENCY_CAP))
    logs.eliminate_zeros()
    return sparse.csr_array(logs, dtype=np.float32)


def _credit(held: sparse.csr_array, logs: sparse.csr_array) -> sparse.csr_array:
    """Adjacency credit per (person, skill the person lacks): 1 - prod over held skills h of
    (1 - A[h, s]), the chance that at least one held skill carries over. Computed as a sparse
    product of logarithms (`_adjacency_logs`), float32, row by row the same whatever rows are asked
    for."""
    held32 = sparse.csr_array(held, dtype=np.float32)
    summed = sparse.csr_array(held32 @ logs)
    summed.sort_indices()
    # Skills the person holds get their credit from the required factor, not from adjacency.
    summed = sparse.csr_array(summed - summed.multiply(held32))
    summed.eliminate_zeros()
    summed.sort_indices()
    summed.data = -np.expm1(summed.data)
    return summed


def _aspiration_shares(roles: sparse.csr_array, grow: sparse.csr_array) -> tuple[FloatArray, FloatArray]:
    """(alpha, beta) per person: the aspiration factor is alpha x [target role] + beta x the share of
    the person's skills-to-grow the opening uses. Half each for a person with both kinds of
    aspiration, all of it for one kind, nothing for none."""
    has_roles = np.diff(roles.indptr) > 0
    has_grow = np.diff(grow.indptr) > 0
    alpha = np.where(has_roles, np.where(has_grow, 0.5, 1.0), 0.0)
    beta = np.where(has_grow, np.where(has_roles, 0.5, 1.0), 0.0)
    return alpha, beta


def _person_rows(
    people: People, rows: IntArray | slice | None
) -> tuple[sparse.csr_array, sparse.csr_array, sparse.csr_array]:
    """Skill levels, target roles and skills to grow of the given people (all when None), canonical."""

    def picked(matrix: sparse.csr_array) -> sparse.csr_array:
        return matrix if rows is None else sparse.csr_array(sparse.csr_array(matrix)[rows])

    return (
        _levels(picked(people.skills), "people.skills"),
        _binary(picked(people.aspiration_roles)),
        _binary(picked(people.aspiration_skills)),
    )


def _person_features(
    people: People, rows: IntArray | slice | None, logs: sparse.csr_array, weights: Weights
) -> sparse.csr_array:
    """Person side of the bilinear factors, sorted indices (layout: `_PER_SKILL`): a one for the
    level held in each skill, the adjacency credit of each skill not held, the skills to grow (beta /
    their count) and the target roles (alpha). Values are float32 numbers held in float64 (see
    `add_product`)."""
    skill_count = people.skills.shape[1]
    levels, roles, grow = _person_rows(people, rows)
    count = levels.shape[0]
    parts: list[tuple[sparse.csr_array, IntArray, FloatArray | None]] = [
        (levels, levels.indices.astype(np.int64) * _PER_SKILL + levels.data.astype(np.int64) - 1, None)
    ]
    if weights.adjacent_skills > 0:
        credit = _credit(_binary(levels), logs)
        parts.append((credit, credit.indices.astype(np.int64) * _PER_SKILL + MAX_LEVEL, credit.data))
    alpha, beta = _aspiration_shares(roles, grow)
    grow_values = _row_scaled(grow, beta / np.maximum(np.diff(grow.indptr), 1)).data
    parts.append((grow, _PER_SKILL * skill_count + grow.indices.astype(np.int64), grow_values))
    parts.append(
        (roles, (_PER_SKILL + 1) * skill_count + roles.indices.astype(np.int64), _row_scaled(roles, alpha).data)
    )
    entry_rows = np.concatenate([np.repeat(np.arange(count), np.diff(part.indptr)) for part, _, _ in parts])
    entry_cols = np.concatenate([cols for _, cols, _ in parts])
    entry_values = np.concatenate(
        [np.ones(part.nnz) if values is None else _float32_values(values) for part, _, values in parts]
    )
    features = sparse.csr_array((entry_values, (entry_rows, entry_cols)), shape=(count, _width(people)))
    features.sort_indices()
    return features


def _width(people: People) -> int:
    return int((_PER_SKILL + 1) * people.skills.shape[1] + people.aspiration_roles.shape[1])


def _opening_features(openings: Openings, skills: _OpeningSkills, weights: Weights, width: int) -> sparse.csr_array:
    """Opening side of the bilinear factors, weights folded in, m x F (layout: `_PER_SKILL`; float32
    numbers held in float64):
    in each (skill, level) column the credit a person holding that skill at that level earns, in
    each skill's credit column the weight of its adjacency credit, and the aspiration columns."""
    m, skill_count = skills.required.shape
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    values: list[FloatArray] = []

    def levelled(matrix: sparse.csr_array, per_entry: FloatArray) -> None:
        # min(have, need) / need for each level a person may hold, weighted per entry.
        entry_rows = np.repeat(np.arange(m), np.diff(matrix.indptr))
        need = matrix.data
        for have in range(1, MAX_LEVEL + 1):
            rows.append(entry_rows)
            cols.append(matrix.indices.astype(np.int64) * _PER_SKILL + have - 1)
            values.append(per_entry * np.minimum(have, need) / need)

    if weights.required_skills > 0:
        levelled(skills.required, weights.required_skills * skills.share.data)
    if weights.nice_to_have_skills > 0:
        nice_counts = np.diff(skills.nice.indptr)
        levelled(skills.nice, weights.nice_to_have_skills / np.repeat(nice_counts, nice_counts).astype(np.float64))
    if weights.adjacent_skills > 0:
        rows.append(np.repeat(np.arange(m), np.diff(skills.share.indptr)))
        cols.append(skills.share.indices.astype(np.int64) * _PER_SKILL + MAX_LEVEL)
        values.append(weights.adjacent_skills * skills.share.data)
    offset = _PER_SKILL * skill_count
    if weights.aspirations > 0:
        rows.append(np.repeat(np.arange(m), np.diff(skills.uses.indptr)))
        cols.append(offset + skills.uses.indices.astype(np.int64))
        values.append(np.full(skills.uses.nnz, weights.aspirations))
        with_role = np.flatnonzero(np.asarray(openings.role) >= 0)
        rows.append(with_role)
        cols.append(offset + skill_count + np.asarray(openings.role)[with_role].astype(np.int64))
        values.append(np.full(len(with_role), weights.aspirations))
    if not rows:
        return sparse.csr_array((m, width), dtype=np.float64)
    features = sparse.csr_array(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(m, width), dtype=np.float64
    )
    features.sum_duplicates()
    features.data = _float32_values(features.data)
    features.eliminate_zeros()
    features.sort_indices()
    return features


def _level_values(person_level: npt.ArrayLike, opening_level: npt.ArrayLike) -> FloatArray:
    person = np.asarray(person_level, dtype=np.int64)
    opening = np.asarray(opening_level, dtype=np.int64)
    step = np.clip(opening - person, -_LEVEL_SPAN - 1, _LEVEL_SPAN + 1)
    table = np.concatenate([[0.0], _LEVEL_TABLE, [0.0]])
    fit = table[step + _LEVEL_SPAN + 1]
    return np.where((person <= 0) | (opening <= 0), LEVEL_UNKNOWN, fit)


def _location_values(
    person_location: npt.ArrayLike, opening_location: npt.ArrayLike, remote: npt.ArrayLike
) -> FloatArray:
    person = np.asarray(person_location, dtype=np.int64)
    opening = np.asarray(opening_location, dtype=np.int64)
    unknown = (person < 0) | (opening < 0)
    same = np.where(unknown, LOCATION_UNKNOWN, (person == opening).astype(np.float64))
    return np.where(np.asarray(remote, dtype=bool), 1.0, same)


def _dense_scores(
    person_level: npt.ArrayLike,
    person_location: npt.ArrayLike,
    opening_level: npt.ArrayLike,
    opening_location: npt.ArrayLike,
    remote: npt.ArrayLike,
    weights: Weights,
) -> ScoreArray:
    """Level fit plus location fit, weighted, float32: each term rounded to float32, then added,
    the same way wherever it is computed (broadcasting the arguments)."""
    level = (weights.level_fit * _level_values(person_level, opening_level)).astype(np.float32)
    location = (weights.location_fit * _location_values(person_location, opening_location, remote)).astype(np.float32)
    return np.asarray(level + location, dtype=np.float32)


def _level_allowed(person_level: npt.ArrayLike, min_level: npt.ArrayLike, max_level: npt.ArrayLike) -> BoolArray:
    """Level bounds of visibility; a person of unknown level sees no opening bounded by level."""
    person = np.asarray(person_level)
    low = np.asarray(min_level)
    high = np.asarray(max_level)
    return np.asarray(
        ((low <= 0) | ((person > 0) & (person >= low))) & ((high <= 0) | ((person > 0) & (person <= high)))
    )


def _float32_values(values: npt.ArrayLike) -> FloatArray:
    """Values rounded to float32 and held in float64: the product of two such values is exact in
    float64, so sums of products do not depend on whether a compiler fuses multiply and add."""
    return np.asarray(values, dtype=np.float64).astype(np.float32).astype(np.float64)


def _ordered_row_sums(matrix: sparse.csr_array) -> ScoreArray:
    """Each row's entries added in column order from 0 in float64, then rounded to float32: what the
    sparse product of `rank` does, so the sums agree bit for bit."""
    lengths = np.diff(matrix.indptr)
    starts = matrix.indptr[:-1].astype(np.int64)
    data = matrix.data.astype(np.float64, copy=False)
    total = np.zeros(len(lengths), np.float64)
    active = np.flatnonzero(lengths)
    step = 0
    while active.size:
        total[active] += data[starts[active] + step]
        step += 1
        active = active[lengths[active] > step]
    return total.astype(np.float32)


def _pairs(rows: npt.ArrayLike, cols: npt.ArrayLike, n: int, m: int) -> tuple[IntArray, IntArray]:
    row_index = np.asarray(rows, dtype=np.int64).ravel()
    col_index = np.asarray(cols, dtype=np.int64).ravel()
    if row_index.shape != col_index.shape:
        raise ValueError("rows and cols must have the same length")
    if row_index.size and (row_index.min() < 0 or row_index.max() >= n):
        raise IndexError("a person index is out of range")
    if col_index.size and (col_index.min() < 0 or col_index.max() >= m):
        raise IndexError("an opening index is out of range")
    return row_index, col_index


def score_pairs(
    people: People,
    rows: npt.ArrayLike,
    openings: Openings,
    cols: npt.ArrayLike,
    adjacency_matrix: sparse.csr_array,
    weights: Weights,
    *,
    batch: int = 1 << 16,
) -> ScoreArray:
    """The score of each pair (person rows[p], opening cols[p]), float32, equal bit for bit to the
    score `rank` gives the pair. Visibility is not applied (see `visible`)."""
    _check(people, openings, adjacency_matrix)
    row_index, col_index = _pairs(rows, cols, people.size, openings.size)
    skills = _OpeningSkills.of(openings)
    opening_side = _opening_features(openings, skills, weights, _width(people))
    logs = _adjacency_logs(adjacency_matrix)
    scores = np.empty(len(row_index), np.float32)
    for start in range(0, len(row_index), batch):
        stop = min(start + batch, len(row_index))
        unique_rows, inverse = np.unique(row_index[start:stop], return_inverse=True)
        person_side = _person_features(people, unique_rows, logs, weights)
        products = sparse.csr_array(person_side[inverse].multiply(opening_side[col_index[start:stop]]))
        products.sort_indices()
        picked_rows, picked_cols = row_index[start:stop], col_index[start:stop]
        dense = _dense_scores(
            np.asarray(people.level)[picked_rows],
            np.asarray(people.location)[picked_rows],
            np.asarray(openings.level)[picked_cols],
            np.asarray(openings.location)[picked_cols],
            np.asarray(openings.remote)[picked_cols],
            weights,
        )
        scores[start:stop] = dense + _ordered_row_sums(products)
    return scores


def visible(
    people: People,
    rows: npt.ArrayLike,
    openings: Openings,
    cols: npt.ArrayLike,
    exclude: sparse.csr_array | None = None,
) -> BoolArray:
    """Whether person rows[p] may see opening cols[p]: the opening is open to the whole company or to
    one of the person's units (or their ancestors), the person's level is within its bounds, and the
    pair is not excluded."""
    row_index, col_index = _pairs(rows, cols, people.size, openings.size)
    allowed = _level_allowed(
        np.asarray(people.level)[row_index],
        np.asarray(openings.min_level)[col_index],
        np.asarray(openings.max_level)[col_index],
    )
    units = _binary(openings.visible_units)
    restricted = np.diff(units.indptr)[col_index] > 0
    if restricted.any():
        people_rows, local = np.unique(row_index[restricted], return_inverse=True)
        person_units = _binary(sparse.csr_array(people.units)[people_rows])
        shared = person_units[local.ravel()].multiply(units[col_index[restricted]])
        allowed[np.flatnonzero(restricted)] &= np.diff(sparse.csr_array(shared).indptr) > 0
    if exclude is not None and len(row_index):
        allowed &= ~(np.asarray(sparse.csr_array(exclude)[row_index, col_index]).ravel() != 0)
    return allowed


# ---------------------------------------------------------------------------------------------
# Explanations


def factor_values(
    people: People,
    rows: npt.ArrayLike,
    openings: Openings,
    cols: npt.ArrayLike,
    adjacency_matrix: sparse.csr_array,
    *,
    batch: int = 1 << 16,
) -> tuple[dict[Factor, FloatArray], IntArray, IntArray]:
    """Each factor's value in [0, 1] per pair (float64, computed directly from the definitions), and
    per pair the required skills held at the target level or above, and the required skills."""
    _check(people, openings, adjacency_matrix)
    row_index, col_index = _pairs(rows, cols, people.size, openings.size)
    skills = _OpeningSkills.of(openings)
    # Only the people asked about: `local` indexes the rows of their matrices.
    people_rows, local = np.unique(row_index, return_inverse=True)
    local = local.ravel()
    levels, roles, grow = _person_rows(people, people_rows)
    credit_matrix = _credit(_binary(levels), _adjacency_logs(adjacency_matrix))
    alpha, beta = _aspiration_shares(roles, grow)
    grow_counts = np.diff(grow.indptr)
    nice_counts = np.diff(skills.nice.indptr)
    count = len(row_index)
    values = {factor: np.zeros(count) for factor in Factor}
    have = np.zeros(count, np.int64)
    for start in range(0, count, batch):
        stop = min(start + batch, count)
        picked_rows, picked_cols = row_index[start:stop], col_index[start:stop]
        picked_local = local[start:stop]
        held = levels[picked_local]
        for factor, needs, per_entry in (
            (Factor.REQUIRED, skills.required, skills.share),
            (Factor.NICE, skills.nice, None),
        ):
            needed = needs[picked_cols]
            levels_held = sparse.csr_array(held.multiply(_binary(needed)))
            levels_needed = sparse.csr_array(_binary(held).multiply(needed))
            pair = np.repeat(np.arange(stop - start), np.diff(levels_held.indptr))
            have_level, need_level = levels_held.data, levels_needed.data
            credit = np.minimum(have_level, need_level) / need_level
            if per_entry is not None:
                credit = credit * sparse.csr_array(_binary(held).multiply(per_entry[picked_cols])).data
                met = (have_level >= need_level).astype(np.float64)
                have[start:stop] = np.bincount(pair, weights=met, minlength=stop - start).astype(np.int64)
                values[factor][start:stop] = np.bincount(pair, weights=credit, minlength=stop - start)
            else:
                totals = np.bincount(pair, weights=credit, minlength=stop - start)
                values[factor][start:stop] = totals / np.maximum(nice_counts[picked_cols], 1)
        adjacent = sparse.csr_array(credit_matrix[picked_local].multiply(skills.share[picked_cols]))
        values[Factor.ADJACENT][start:stop] = np.asarray(adjacent.sum(axis=1), dtype=np.float64).ravel()
        opening_roles = np.asarray(openings.role)[picked_cols]
        role_hit = np.zeros(stop - start)
        with_role = np.flatnonzero(opening_roles >= 0)
        if with_role.size:
            role_hit[with_role] = np.asarray(roles[picked_local[with_role], opening_roles[with_role]]).ravel()
        grown = sparse.csr_array(grow[picked_local].multiply(skills.uses[picked_cols]))
        grow_share = np.diff(grown.indptr) / np.maximum(grow_counts[picked_local], 1)
        values[Factor.ASPIRATION][start:stop] = alpha[picked_local] * role_hit + beta[picked_local] * grow_share
        values[Factor.LEVEL][start:stop] = _level_values(
            np.asarray(people.level)[picked_rows], np.asarray(openings.level)[picked_cols]
        )
        values[Factor.LOCATION][start:stop] = _location_values(
            np.asarray(people.location)[picked_rows],
            np.asarray(openings.location)[picked_cols],
            np.asarray(openings.remote)[picked_cols],
        )
    total = np.diff(skills.required.indptr)[col_index].astype(np.int64)
    return values, have, total


def breakdown(
    people: People,
    rows: npt.ArrayLike,
    openings: Openings,
    cols: npt.ArrayLike,
    adjacency_matrix: sparse.csr_array,
    weights: Weights,
) -> Breakdown:
    """Score, factor contributions and required-skill counts for many pairs at once (e.g. every pair
    `rank` selected, to store with the ranking)."""
    values, have, total = factor_values(people, rows, openings, cols, adjacency_matrix)
    return Breakdown(
        score=score_pairs(people, rows, openings, cols, adjacency_matrix, weights),
        contributions={factor: weights[factor] * values[factor] for factor in Factor},
        required_have=have,
        required_total=total,
    )


def _row_entries(matrix: sparse.csr_array, row: int) -> dict[int, float]:
    start, stop = matrix.indptr[row], matrix.indptr[row + 1]
    return {
        int(col): float(value) for col, value in zip(matrix.indices[start:stop], matrix.data[start:stop], strict=True)
    }


def explain(
    people: People,
    i: int,
    openings: Openings,
    j: int,
    adjacency_matrix: sparse.csr_array,
    weights: Weights,
) -> Explanation:
    """Everything behind person i's score for opening j, for a person to read: 'you have 7 of 9
    required skills; missing: SQL (level 3)'."""
    values, have_counts, totals = factor_values(people, [i], openings, [j], adjacency_matrix)
    skills = _OpeningSkills.of(openings)
    levels, roles, grow_matrix = _person_rows(people, np.array([i]))
    held = _row_entries(levels, 0)
    required = _row_entries(skills.required, j)
    importance = _row_entries(_canonical(openings.importance), j)
    nice = _row_entries(skills.nice, j)

    def split(needs: dict[int, float], weight_of: Callable[[int], float]) -> tuple[list[SkillMatch], list[SkillGap]]:
        matched: list[SkillMatch] = []
        missing: list[SkillGap] = []
        for skill, need in needs.items():
            have = int(held.get(skill, 0))
            if have >= need:
                matched.append(SkillMatch(skill, have, int(need), weight_of(skill)))
            else:
                missing.append(SkillGap(skill, have, int(need), int(need) - have, weight_of(skill)))
        matched.sort(key=lambda item: (-item.importance, item.skill))
        missing.sort(key=lambda item: (-item.importance, -item.gap, item.skill))
        return matched, missing

    required_matched, required_missing = split(required, lambda skill: importance[skill])
    nice_matched, nice_missing = split(nice, lambda skill: 1.0)
    adjacent: list[AdjacentCredit] = []
    if held:
        credit = _row_entries(_credit(_binary(levels), _adjacency_logs(adjacency_matrix)), 0)
        near = _canonical(adjacency_matrix)
        for skill in sorted(required, key=lambda s: (-importance[s], s)):
            if skill in credit:
                via = sorted(
                    ((source, weight) for source in held if (weight := _row_entries(near, source).get(skill, 0.0)) > 0),
                    key=lambda item: (-item[1], item[0]),
                )
                adjacent.append(AdjacentCredit(skill, credit[skill], importance[skill], tuple(via)))
    role = int(np.asarray(openings.role)[j])
    target_roles = _row_entries(roles, 0)
    grow = _row_entries(grow_matrix, 0)
    uses = _row_entries(skills.uses, j)
    score = float(score_pairs(people, [i], openings, [j], adjacency_matrix, weights)[0])
    person_level, opening_level = int(np.asarray(people.level)[i]), int(np.asarray(openings.level)[j])
    person_location = int(np.asarray(people.location)[i])
    opening_location = int(np.asarray(openings.location)[j])
    return Explanation(
        score=score,
        contributions={factor: weights[factor] * float(values[factor][0]) for factor in Factor},
        values={factor: float(values[factor][0]) for factor in Factor},
        required_have=int(have_counts[0]),
        required_total=int(totals[0]),
        required_matched=required_matched,
        required_missing=required_missing,
        nice_matched=nice_matched,
        nice_missing=nice_missing,
        adjacent=adjacent,
        aspiration_role=role >= 0 and role in target_roles,
        aspiration_skills=sorted(skill for skill in grow if skill in uses),
        level=LevelFit(person_level, opening_level, float(values[Factor.LEVEL][0])),
        location=LocationFit(
            person_location, opening_location, bool(np.asarray(openings.remote)[j]), float(values[Factor.LOCATION][0])
        ),
        visible=bool(visible(people, [i], openings, [j])[0]),
    )


# ---------------------------------------------------------------------------------------------
# Exact top-k selection


def top_k_rows(block: ScoreArray, k: int, labels: IntArray | None = None) -> tuple[IntArray, ScoreArray]:
    """Each row's k best entries among the valid ones (>= 0; hidden entries are -inf), best first,
    ties to the lower label (the column's index when `labels` is None); (labels, scores), padded
    with -1 and -inf.

    The k-th largest of the maxima of k disjoint groups of a row is at most the row's k-th largest
    entry, so every entry below it can be dropped before sorting: with a few hundred strided groups
    only a few dozen entries per row survive the bound."""
    rows, columns = block.shape
    index = np.full((rows, k), -1, np.int64)
    scores = np.full((rows, k), -np.inf, np.float32)
    if rows == 0 or columns == 0 or k == 0:
        return index, scores
    bound = np.zeros(rows, np.float32)
    if columns >= 4 * _ROW_GROUPS and k <= _ROW_GROUPS // 2:
        per_group = columns // _ROW_GROUPS
        maxima = block[:, : _ROW_GROUPS * per_group].reshape(rows, per_group, _ROW_GROUPS).max(axis=1)
        bound = np.maximum(np.partition(maxima, _ROW_GROUPS - k, axis=1)[:, _ROW_GROUPS - k], 0.0)
    flat = np.flatnonzero(block >= bound[:, None])
    row = flat // columns
    col = flat - row * columns
    value = block.ravel()[flat]
    label = col if labels is None else labels[col]
    if rows < (1 << 12) and columns < (1 << 20):
        key = (
            (row.astype(np.uint64) << np.uint64(52))
            | (descending_key(value) << np.uint64(20))
            | label.astype(np.uint64)
        )
        order = np.argsort(key)
    else:
        order = np.lexsort((label, -value, row))
    row, label, value = row[order], label[order], value[order]
    counts = np.bincount(row, minlength=rows)
    position = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
    keep = position < k
    index[row[keep], position[keep]] = label[keep]
    scores[row[keep], position[keep]] = value[keep]
    return index, scores


class ColumnTopK:
    """Each column's k best rows, exactly, over blocks of rows offered in increasing row order; ties
    to the lower row.

    Offered entries wait in a buffer; once it is half as large as the kept set, both are merged by
    one stable sort (cheap when the parts come sorted, see `column_candidates`). After a merge, `cut`
    holds each full column's k-th best score: a later row (a higher index) with a score not above it
    can never enter, so callers drop such entries before offering them (-1 for a column not yet
    full: any valid score may enter)."""

    def __init__(self, columns: int, k: int) -> None:
        self.columns = columns
        self.k = k
        self.cut = np.full(columns, -1.0, np.float32)
        self.unfilled = columns if k > 0 else 0
        self._flush_at = max(columns * k // 2, 1 << 16)
        self._col = np.empty(0, np.int64)
        self._row = np.empty(0, np.int64)
        self._score = np.empty(0, np.float32)
        self._pending: list[tuple[IntArray, IntArray, ScoreArray]] = []
        self._pending_size = 0

    def offer(self, rows: IntArray, cols: IntArray, scores: ScoreArray) -> None:
        """Entries of rows above every row offered before, in row order within each column and score
        (best sorted by column and score descending, as `column_candidates` gives them)."""
        if self.k == 0 or len(rows) == 0:
            return
        self._pending.append((rows, cols, scores))
        self._pending_size += len(rows)
        if self._pending_size >= self._flush_at:
            self.merge()

    def merge(self) -> None:
        if not self._pending:
            return
        col = np.concatenate([self._col, *(part[1] for part in self._pending)])
        row = np.concatenate([self._row, *(part[0] for part in self._pending)])
        score = np.concatenate([self._score, *(part[2] for part in self._pending)])
        self._pending, self._pending_size = [], 0
        # Column, then score descending; stable, so equal scores keep the row order they came in. The
        # parts are sorted runs already, which the stable sort (a merge sort) only interleaves.
        order = np.argsort(_column_key(col, score), kind="stable")
        col, row, score = col[order], row[order], score[order]
        keep = _first_per_group(col, self.columns, self.k)
        self._col, self._row, self._score = col[keep], row[keep], score[keep]
        kept = np.bincount(self._col, minlength=self.columns)
        full = kept == self.k
        last = np.cumsum(kept) - 1
        cut = np.full(self.columns, -1.0, np.float32)
        cut[full] = self._score[last[full]]
        self.cut = cut
        self.unfilled = int(np.count_nonzero(~full))

    def result(self) -> tuple[IntArray, ScoreArray]:
        """(rows, scores), columns x k, best first, padded with -1 and -inf."""
        self.merge()
        index = np.full((self.columns, self.k), -1, np.int64)
        scores = np.full((self.columns, self.k), -np.inf, np.float32)
        counts = np.bincount(self._col, minlength=self.columns)
        position = np.arange(len(self._col)) - np.repeat(np.cumsum(counts) - counts, counts)
        index[self._col, position] = self._row
        scores[self._col, position] = self._score
        return index, scores


def _column_bound(block: ScoreArray, in_pool: BoolArray, k: int) -> ScoreArray:
    """A lower bound of each column's k-th best score among this block's pool rows (as in
    `top_k_rows`, from the maxima of strided row groups); -inf where none can be given."""
    rows, columns = block.shape
    per_group = rows // _COLUMN_GROUPS
    if per_group == 0 or k > _COLUMN_GROUPS // 2:
        return np.full(columns, -np.inf, np.float32)
    used = _COLUMN_GROUPS * per_group
    masked = np.where(in_pool[:used, None], block[:used], np.float32(-np.inf))
    maxima = masked.reshape(per_group, _COLUMN_GROUPS, columns).max(axis=0)
    return np.asarray(np.partition(maxima, _COLUMN_GROUPS - k, axis=0)[_COLUMN_GROUPS - k], dtype=np.float32)


def column_candidates(
    block: ScoreArray, first_row: int, pools: Mapping[str, BoolArray], tops: Mapping[str, ColumnTopK]
) -> dict[str, tuple[IntArray, IntArray, ScoreArray]]:
    """The entries of a block of rows (starting at `first_row`) that may still enter each pool's
    column top-k: (rows, cols, scores) per pool, to offer in block order. They come sorted like the
    kept entries (column, score descending, row) and at most k per column (more cannot all enter),
    so the merge, on the caller's thread, only interleaves sorted runs."""
    rows, columns = block.shape
    cuts = {name: top.cut for name, top in tops.items()}
    bounds: dict[str, ScoreArray] = {}
    for name, top in tops.items():
        # While most columns are still filling, the cut lets everything through; bound this block.
        if top.unfilled > columns // 4:
            bounds[name] = _column_bound(block, pools[name][first_row : first_row + rows], top.k)
    if bounds:
        floor = np.min(
            [np.maximum(cuts[name], bounds[name]) if name in bounds else cuts[name] for name in tops], axis=0
        )
        flat = np.flatnonzero(block >= floor[None, :])
    else:
        floor = np.min([cuts[name] for name in tops], axis=0)
        flat = np.flatnonzero(block > floor[None, :])
    row = flat // columns
    col = flat - row * columns
    value = block.ravel()[flat]
    found: dict[str, tuple[IntArray, IntArray, ScoreArray]] = {}
    for name, top in tops.items():
        keep = pools[name][first_row + row] & (value > cuts[name][col])
        if name in bounds:
            keep &= value >= bounds[name][col]
        kept_row, kept_col, kept_value = row[keep], col[keep], value[keep]
        # Stable: within a column and score, rows stay ascending (they came row by row).
        order = np.argsort(_column_key(kept_col, kept_value), kind="stable")
        kept_row, kept_col, kept_value = kept_row[order], kept_col[order], kept_value[order]
        first = _first_per_group(kept_col, columns, top.k)
        found[name] = (first_row + kept_row[first], kept_col[first], kept_value[first])
    return found


def _column_key(cols: IntArray, scores: ScoreArray) -> npt.NDArray[np.uint64]:
    """Sorts by column, then score descending."""
    return (cols.astype(np.uint64) << np.uint64(32)) | descending_key(scores)


def _first_per_group(groups: IntArray, count: int, k: int) -> BoolArray:
    """For entries sorted by group: whether each is among the first k of its group."""
    sizes = np.bincount(groups, minlength=count)
    position = np.arange(len(groups)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.asarray(position < k)


# ---------------------------------------------------------------------------------------------
# Ranking


def add_product(block: ScoreArray, left: sparse.csr_array, right: sparse.csr_array) -> None:
    """block += float32(left @ right): a CSR times CSR product, computed in float64 (its operands are
    float32 numbers, so every product is exact and the sums do not depend on fused multiply-adds),
    rounded to float32 and added into a dense float32 block.

    SciPy's public product counts the result's entries in a first pass over every multiply-add,
    then builds a CSR result, which `toarray` copies into a fresh zeroed array. Here its two kernels
    are called directly: the product into buffers sized by an upper bound (each multiply-add makes
    at most one entry), then added into `block`. They are private to SciPy, so they are used only if
    they are there and behave as checked once at import; otherwise the public way gives the same
    numbers."""
    rows, cols = block.shape
    if _KERNELS is None:
        product = sparse.csr_array(sparse.csr_array(left, dtype=np.float64) @ sparse.csr_array(right, dtype=np.float64))
        block += product.toarray().astype(np.float32)
        return
    matmat, todense = _KERNELS
    wide = max(left.nnz, right.nnz, rows * cols, left.shape[1] + 1) >= np.iinfo(np.int32).max
    index = np.int64 if wide else np.int32
    right_indptr = right.indptr.astype(index, copy=False)
    right_indices = right.indices.astype(index, copy=False)
    right_data = right.data.astype(np.float64, copy=False)
    # A few hundred rows at a time keep the buffers to tens of megabytes.
    step = max(1, _PRODUCT_BUFFER // max(cols, 1))
    for first in range(0, rows, step):
        last = min(first + step, rows)
        part = left[first:last]
        bound = min(int(np.diff(right.indptr)[part.indices].sum()), (last - first) * cols)
        if bound == 0:
            continue
        indptr = np.empty(last - first + 1, index)
        indices = np.empty(bound, index)
        data = np.empty(bound, np.float64)
        matmat(
            last - first,
            cols,
            part.indptr.astype(index, copy=False),
            part.indices.astype(index, copy=False),
            part.data.astype(np.float64, copy=False),
            right_indptr,
            right_indices,
            right_data,
            indptr,
            indices,
            data,
        )
        used = int(indptr[-1])
        todense(last - first, cols, indptr, indices, data[:used].astype(np.float32), block[first:last])


def _find_kernels() -> tuple[Callable[..., None], Callable[..., None]] | None:
    try:
        from scipy.sparse import _sparsetools
    except ImportError:  # pragma: no cover - depends on the SciPy version
        return None
    matmat = getattr(_sparsetools, "csr_matmat", None)
    todense = getattr(_sparsetools, "csr_todense", None)
    if matmat is None or todense is None:  # pragma: no cover
        return None
    left = sparse.csr_array(np.array([[1.0, 2.0], [0.0, 3.0]]))
    right = sparse.csr_array(np.array([[0.0, 4.0], [5.0, 0.0]]))
    block = np.ones((2, 2), np.float32)
    try:
        indptr = np.empty(3, np.int32)
        indices = np.empty(4, np.int32)
        data = np.empty(4, np.float64)
        matmat(
            2, 2, left.indptr, left.indices, left.data, right.indptr, right.indices, right.data, indptr, indices, data
        )
        todense(2, 2, indptr, indices, data[: indptr[-1]].astype(np.float32), block)
    except Exception:  # pragma: no cover - depends on the SciPy version
        return None
    return (matmat, todense) if np.array_equal(block, [[11.0, 5.0], [16.0, 1.0]]) else None


_KERNELS = _find_kernels()


class _DenseTerms:
    """Level fit and location fit depend on the person only through their (level, location), so
    they come from a table with one row per combination that occurs, -inf where the opening's level
    bounds hide it; built once, or per chunk when there are too many combinations."""

    def __init__(self, people: People, openings: Openings, order: IntArray, weights: Weights) -> None:
        person = np.stack([np.asarray(people.level, np.int64), np.asarray(people.location, np.int64)], axis=1)
        combos, combo_of = np.unique(person, axis=0, return_inverse=True)
        self.combo_of = np.asarray(combo_of, dtype=np.int64).ravel()
        self.combo_level = combos[:, 0]
        self.combo_location = combos[:, 1]
        self.opening_level = np.asarray(openings.level, np.int64)[order]
        self.opening_location = np.asarray(openings.location, np.int64)[order]
        self.opening_remote = np.asarray(openings.remote, bool)[order]
        self.opening_min = np.asarray(openings.min_level, np.int64)[order]
        self.opening_max = np.asarray(openings.max_level, np.int64)[order]
        self.weights = weights
        small = len(combos) * len(order) <= _DENSE_TABLE_LIMIT
        self.table = self.of(np.arange(len(combos))) if small else None

    def of(self, combos: IntArray) -> ScoreArray:
        level = self.combo_level[combos, None]
        table = _dense_scores(
            level,
            self.combo_location[combos, None],
            self.opening_level[None, :],
            self.opening_location[None, :],
            self.opening_remote[None, :],
            self.weights,
        )
        table[~_level_allowed(level, self.opening_min[None, :], self.opening_max[None, :])] = -np.inf
        return table

    def rows(self, start: int, stop: int) -> ScoreArray:
        """A fresh (stop - start) x m array of the dense terms of these people."""
        combos = self.combo_of[start:stop]
        if self.table is not None:
            return self.table[combos]
        present, inverse = np.unique(combos, return_inverse=True)
        return self.of(present)[inverse.ravel()]


@dataclass(frozen=True)
class _Plan:
    """Everything `rank` precomputes. Openings are in an internal order: those open to the whole
    company first, then those restricted to org units, so the unit mask touches one slice."""

    people: People
    logs: sparse.csr_array  # see _adjacency_logs
    weights: Weights
    opening_t: sparse.csr_array  # F x m, internal order
    order: IntArray  # internal column -> opening index
    first_restricted: int
    people_units: sparse.csr_array  # n x U float32
    restricted_units_t: sparse.csr_array  # U x (restricted openings), internal order
    dense: _DenseTerms
    exclude: sparse.csr_array | None  # n x m, internal order

    def block(self, start: int, stop: int) -> ScoreArray:
        """Scores of people start..stop against every opening (internal order); -inf where hidden."""
        block = self.dense.rows(start, stop)
        # Person features are built here, per chunk, on the worker threads: no n x F matrix is held.
        add_product(block, _person_features(self.people, slice(start, stop), self.logs, self.weights), self.opening_t)
        restricted = block.shape[1] - self.first_restricted
        if restricted:
            shared = sparse.csr_array(self.people_units[start:stop] @ self.restricted_units_t)
            np.copyto(block[:, self.first_restricted :], np.float32(-np.inf), where=shared.toarray() <= 0)
        if self.exclude is not None:
            excluded = self.exclude[start:stop]
            counts = np.diff(excluded.indptr)
            if excluded.nnz:
                block[np.repeat(np.arange(stop - start), counts), excluded.indices] = -np.inf
        return block


def _plan(
    people: People,
    openings: Openings,
    adjacency_matrix: sparse.csr_array,
    weights: Weights,
    exclude: sparse.csr_array | None,
) -> _Plan:
    n, m = people.size, openings.size
    skills = _OpeningSkills.of(openings)
    units = _binary(openings.visible_units, np.float32)
    restricted = np.diff(units.indptr) > 0
    order = np.concatenate([np.flatnonzero(~restricted), np.flatnonzero(restricted)]).astype(np.int64)
    first_restricted = int(np.count_nonzero(~restricted))
    opening_side = _opening_features(openings, skills, weights, _width(people))
    opening_t = sparse.csr_array(opening_side[order].T.tocsr())
    opening_t.sort_indices()
    internal_exclude = None
    if exclude is not None:
        if exclude.shape != (n, m):
            raise ValueError("exclude must be people x openings")
        internal_exclude = _binary(exclude, np.float32)[:, order]
        internal_exclude.sort_indices()
    return _Plan(
        people=people,
        logs=_adjacency_logs(adjacency_matrix),
        weights=weights,
        opening_t=opening_t,
        order=order,
        first_restricted=first_restricted,
        people_units=_binary(people.units, np.float32),
        restricted_units_t=sparse.csr_array(units[order[first_restricted:]].T.tocsr()),
        dense=_DenseTerms(people, openings, order, weights),
        exclude=internal_exclude,
    )


def _chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(start + size, n)


def rank(
    people: People,
    openings: Openings,
    adjacency_matrix: sparse.csr_array,
    weights: Weights,
    *,
    k_opportunities: int = 20,
    k_candidates: int = 50,
    candidate_pools: Mapping[str, npt.ArrayLike] | None = None,
    exclude: sparse.csr_array | None = None,
    progress: Callable[[float], None] | None = None,
    chunk_rows: int = 2048,
    threads: int | None = None,
) -> Ranking:
    """Exact top-k in both directions, ties to the lower index, the same result on every run.

    Every person gets their `k_opportunities` best openings among those they may see; every opening
    gets, per candidate pool (a boolean mask over people; by default one pool, `ALL_POOL`, of
    everyone), its `k_candidates` best people of the pool who may see it. Pairs in `exclude` (people
    x openings) are never ranked. People are scored in chunks of `chunk_rows` on `threads` threads
    (default: up to 2); `progress` receives the fraction done after each chunk.
    """
    _check(people, openings, adjacency_matrix)
    if k_opportunities < 0 or k_candidates < 0:
        raise ValueError("k must be >= 0")
    n, m = people.size, openings.size
    pools: dict[str, BoolArray] = {}
    for name, mask in (candidate_pools if candidate_pools is not None else {ALL_POOL: np.ones(n, bool)}).items():
        pool = np.asarray(mask, dtype=bool)
        if pool.shape != (n,):
            raise ValueError(f"candidate pool {name!r} must be a boolean mask over people")
        pools[name] = pool
    tops = {name: ColumnTopK(m, k_candidates) for name in pools}
    best_index = np.full((n, k_opportunities), -1, np.int64)
    best_score = np.full((n, k_opportunities), -np.inf, np.float32)
    order = np.arange(m, dtype=np.int64)
    if n and m:
        plan = _plan(people, openings, adjacency_matrix, weights, exclude)
        order = labels = plan.order
        active_tops = {name: top for name, top in tops.items() if k_candidates > 0 and pools[name].any()}

        def work(
            start: int, stop: int
        ) -> tuple[IntArray, ScoreArray, dict[str, tuple[IntArray, IntArray, ScoreArray]]]:
            block = plan.block(start, stop)
            index, score = top_k_rows(block, k_opportunities, labels)
            return index, score, column_candidates(block, start, pools, active_tops) if active_tops else {}

        workers = threads if threads is not None else min(2, os.cpu_count() or 1)
        for (start, stop), (index, score, found) in ordered_map(work, _chunks(n, max(1, chunk_rows)), workers):
            best_index[start:stop] = index
            best_score[start:stop] = score
            for name, (rows, cols, values) in found.items():
                active_tops[name].offer(rows, cols, values)
            if progress is not None:
                progress(stop / n)
    candidates: dict[str, tuple[IntArray, ScoreArray]] = {}
    for name, top in tops.items():
        internal_index, internal_score = top.result()
        index = np.empty_like(internal_index)
        score = np.empty_like(internal_score)
        index[order] = internal_index
        score[order] = internal_score
        candidates[name] = (index, score)
    return Ranking(opportunities=(best_index, best_score), candidates=candidates)


def ordered_map(
    work: Callable[[int, int], T], chunks: Iterator[tuple[int, int]], threads: int
) -> Iterator[tuple[tuple[int, int], T]]:
    """Chunk results in chunk order, computed on `threads` threads a few chunks ahead. Results are
    consumed in order, so a column cut seen by a chunk only ever reflects earlier chunks."""
    if threads <= 1:
        for chunk in chunks:
            yield chunk, work(*chunk)
        return
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="matching") as executor:
        waiting: deque[tuple[tuple[int, int], Future[T]]] = deque()
        for chunk in chunks:
            waiting.append((chunk, executor.submit(work, *chunk)))
            if len(waiting) > threads:
                done, future = waiting.popleft()
                yield done, future.result()
        while waiting:
            done, future = waiting.popleft()
            yield done, future.result()
