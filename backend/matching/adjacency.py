"""Skill adjacency: which skills go together in a tenant, learnt from its own profiles and roles and
combined with the relations of its taxonomy.

Two skills are adjacent when people (and roles) who have one tend to have the other: the cosine of
their co-occurrence counts, ignoring pairs seen fewer than `min_support` times. A taxonomy relation
(e.g. two skills of one category) counts as adjacency of its given strength; where both exist the
stronger wins. Each skill keeps its `neighbours` strongest adjacent skills, so the matrix stays sparse
and the matching engine's adjacency credit stays cheap.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
from scipy import sparse

# A role is a curated statement that its skills go together: it counts as this many profiles.
ROLE_WEIGHT = 5.0
# How many adjacent skills each skill keeps: five. Ten rank barely better in bench/matching_quality.py
# (precision@10 0.986 against 0.985) and make the adjacency credit's share of the product ~40 % dearer.
NEIGHBOURS = 5


def adjacency(
    profiles: sparse.csr_array,
    role_skills: sparse.csr_array | None,
    related: sparse.csr_array | None = None,
    *,
    neighbours: int = NEIGHBOURS,
    min_support: float = 3.0,
    role_weight: float = ROLE_WEIGHT,
    threads: int | None = None,
) -> sparse.csr_array:
    """An S x S float32 matrix with entries in [0, 1] and a zero diagonal: row s holds the skills
    adjacent to s, at most `neighbours` of them, the strongest (ties: the lower skill index).

    `profiles` (people x S) and `role_skills` (roles x S) count by their structure only (any nonzero
    is "has the skill"); `related` (S x S, values in [0, 1]) adds the taxonomy's relations.
    """
    if neighbours < 0:
        raise ValueError("neighbours must be >= 0")
    size = profiles.shape[1]
    if role_skills is not None and role_skills.shape[1] != size:
        raise ValueError("role_skills must have one column per skill, like profiles")
    if related is not None and related.shape != (size, size):
        raise ValueError("related must be a skills x skills matrix")
    if size == 0:
        return sparse.csr_array((0, 0), dtype=np.float32)
    holders = [_binary(profiles)]
    weights = [np.ones(profiles.shape[0], np.float32)]
    if role_skills is not None and role_skills.shape[0] and role_weight > 0:
        holders.append(_binary(role_skills))
        weights.append(np.full(role_skills.shape[0], role_weight, np.float32))
    stacked = sparse.csr_array(sparse.vstack(holders, format="csr", dtype=np.float32))
    weighted = stacked.copy()
    weighted.data = weighted.data * np.repeat(np.concatenate(weights), np.diff(weighted.indptr))
    # Weighted counts fit float32 exactly while they stay below 2**24 people.
    totals = np.asarray(weighted.sum(axis=0), dtype=np.float64).ravel()
    by_skill = sparse.csr_array(stacked.T.tocsr())
    given = None
    if related is not None:
        given = sparse.csr_array(related, dtype=np.float32, copy=True)
        given.sum_duplicates()
        given.data = np.clip(np.nan_to_num(given.data), 0.0, 1.0).astype(np.float32)

    def part(first: int, last: int) -> sparse.csr_array:
        # Co-occurrence counts of skills first..last with every skill, then their cosine.
        counts = sparse.csr_array(by_skill[first:last] @ weighted)
        rows = np.repeat(np.arange(first, last), np.diff(counts.indptr))
        cols = counts.indices
        keep = (rows != cols) & (counts.data >= min_support)
        rows, cols, both = rows[keep], cols[keep], counts.data[keep].astype(np.float64)
        cosine = np.minimum(both / np.sqrt(totals[rows] * totals[cols]), 1.0).astype(np.float32)
        learnt = sparse.csr_array((cosine, (rows - first, cols)), shape=(last - first, size))
        if given is not None:
            relations = sparse.coo_array(given[first:last])
            off_diagonal = relations.row + first != relations.col
            relations = sparse.coo_array(
                (relations.data[off_diagonal], (relations.row[off_diagonal], relations.col[off_diagonal])),
                shape=learnt.shape,
            )
            learnt = sparse.csr_array(learnt.maximum(relations.tocsr()))
            learnt.eliminate_zeros()
        return _strongest(learnt, neighbours)

    # Row ranges of about equal work (the work of a skill grows with the profiles holding it).
    work = np.cumsum(totals)
    parts = max(1, min(16, size // 64))
    edges = np.unique(np.concatenate([[0], np.searchsorted(work, work[-1] * np.arange(1, parts) / parts), [size]]))
    ranges = list(zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True))
    workers = threads if threads is not None else min(2, os.cpu_count() or 1)
    if workers > 1 and len(ranges) > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="adjacency") as executor:
            pieces = list(executor.map(lambda bounds: part(*bounds), ranges))
    else:
        pieces = [part(first, last) for first, last in ranges]
    return sparse.csr_array(sparse.vstack(pieces, format="csr", dtype=np.float32))


def _binary(matrix: sparse.csr_array) -> sparse.csr_array:
    binary = sparse.csr_array(matrix, dtype=np.float32, copy=True)
    binary.sum_duplicates()
    binary.eliminate_zeros()
    binary.data[:] = 1.0
    return binary


def _strongest(matrix: sparse.csr_array, neighbours: int) -> sparse.csr_array:
    """The `neighbours` largest entries of each row (ties: the lower column)."""
    matrix.sort_indices()
    counts = np.diff(matrix.indptr)
    if counts.size == 0 or counts.max(initial=0) <= neighbours:
        return matrix
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.uint64), counts)
    # Row first, then the value descending; a stable sort keeps the columns ascending within ties.
    order = np.argsort((rows << np.uint64(32)) | descending_key(matrix.data), kind="stable")
    position = np.arange(len(order)) - np.repeat(matrix.indptr[:-1], counts)
    keep = np.sort(order[position < neighbours])
    indptr = np.concatenate([[0], np.cumsum(np.minimum(counts, neighbours))])
    return sparse.csr_array((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)


def descending_key(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.uint64]:
    """Unsigned integers that sort like the float32 `scores` (all >= 0) in descending order: the bits
    of a non-negative float compare like the float, so their complement compares the other way."""
    bits = (np.asarray(scores, dtype=np.float32) + np.float32(0.0)).view(np.uint32)
    return (~bits).astype(np.uint64)
