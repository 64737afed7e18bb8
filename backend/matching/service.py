"""Precomputed matching: the recompute job, its debounce, the tenant's weights.

The recompute reads the whole tenant into arrays, ranks with the pure engine (in a thread, so the
worker's event loop stays responsive), and replaces every stored recommendation and candidate list
in one transaction: readers see the old set until the new one commits, never half of each. What it
ranks is stored with each factor's contribution, so the API serves explanations without recomputing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.audit.service import record_change
from backend.auth.principal import Principal, require_hr
from backend.core.jobs.enqueue import SCHEDULER, Progress, enqueue, enqueue_for
from backend.core.jobs.models import Job
from backend.errors import InvalidInputError
from backend.matching import engine
from backend.matching.adjacency import adjacency as skill_adjacency
from backend.matching.arrays import (
    HR_POOL,
    MANAGER_POOL,
    Universe,
    csr,
    load_openings,
    load_people,
    load_role_skills,
    load_universe,
)
from backend.matching.models import (
    MatchingChange,
    MatchingRun,
    MatchingWeightsVersion,
    OpportunityCandidate,
    OpportunityRecommendation,
    SkillAdjacency,
)
from backend.matching.refresh import note_change
from backend.matching.schemas import TOP_CANDIDATES, TOP_OPPORTUNITIES
from tenants.base import new_id
from tenants.locks import lock_tenant

RECOMPUTE = "matching.recompute"
# Skills of one tenant category are related "in the taxonomy"; weaker than learnt co-occurrence.
CATEGORY_RELATEDNESS = 0.3
# Categories larger than this say little about any two of their skills (and would make the
# relation matrix quadratic in their size).
CATEGORY_RELATION_LIMIT = 300


# Below this a positive weight is noise: float32 scores cannot carry it (and at the far end round
# every contribution to 0).
MIN_WEIGHT = 0.0001
_WEIGHTS_LOCK = "matching.weights"


async def _newest_weights(session: AsyncSession) -> MatchingWeightsVersion | None:
    return await session.scalar(select(MatchingWeightsVersion).order_by(MatchingWeightsVersion.version.desc()).limit(1))


async def weights_in_force(session: AsyncSession) -> tuple[engine.Weights, int | None]:
    """The tenant's weights and their version (None only for a tenant without any version yet)."""
    row = await _newest_weights(session)
    return (engine.Weights.from_dict(row.weights), row.version) if row is not None else (engine.Weights(), None)


async def tenant_weights(session: AsyncSession) -> engine.Weights:
    return (await weights_in_force(session))[0]


def _validated(weights: dict[str, float]) -> engine.Weights:
    try:
        parsed = engine.Weights.from_dict(weights)
    except (KeyError, ValueError, TypeError) as error:
        raise InvalidInputError("weights", f"weights: {error}") from None
    values = parsed.as_dict()
    for factor, value in values.items():
        if 0 < value < MIN_WEIGHT:
            raise InvalidInputError(factor, f"{factor} must be 0 (off) or at least {MIN_WEIGHT}")
    if not any(values.values()):
        raise InvalidInputError(
            "weights",
            f"every weight is 0 ({', '.join(values)}): every score would be 0 and no ranking would mean "
            "anything; give at least one factor a weight",
        )
    return parsed


class MatchingSettingsService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self) -> engine.Weights:
        return await tenant_weights(self.session)

    async def set(self, principal: Principal, weights: dict[str, float]) -> engine.Weights:
        """A new version of the weights, audited with before and after; the same weights again
        change nothing."""
        require_hr(principal, "set the tenant's matching weights")
        parsed = _validated(weights)
        # Two HR changes at once would both take the next version number; the second waits here,
        # queued in the process before its first query, so holding no pooled connection.
        await lock_tenant(self.session, _WEIGHTS_LOCK, queue_in_process=True)
        newest = await _newest_weights(self.session)
        before = engine.Weights.from_dict(newest.weights) if newest is not None else engine.Weights()
        if newest is not None and before == parsed:
            return parsed
        row = MatchingWeightsVersion(
            version=(newest.version if newest is not None else 0) + 1,
            weights=parsed.as_dict(),
            set_by=principal.actor,
            set_by_employee_id=principal.employee_id,
        )
        self.session.add(row)
        await self.session.flush()
        await record_change(
            self.session,
            principal,
            subject_employee_id=None,
            action="matching_weights.changed",
            object_type="matching_weights",
            object_id=row.id,
            details={"version": row.version, "before": before.as_dict(), "after": parsed.as_dict()},
        )
        await note_change(self.session, "weights.changed")
        return parsed

    async def versions(
        self, principal: Principal, cursor: str | None, limit: int
    ) -> tuple[Sequence[MatchingWeightsVersion], str | None]:
        """Every version of the weights, oldest first (HR)."""
        require_hr(principal, "read the history of the matching weights")
        return await paginate(self.session, select(MatchingWeightsVersion), MatchingWeightsVersion.id, cursor, limit)


def category_relations(universe: Universe) -> sparse.csr_array:
    """Skills sharing a (not too large) tenant category, as a symmetric relation without diagonal."""
    members: dict[uuid.UUID, list[int]] = {}
    for index, category in enumerate(universe.skill_categories):
        if category is not None:
            members.setdefault(category, []).append(index)
    rows: list[int] = []
    cols: list[int] = []
    for skills in members.values():
        if 1 < len(skills) <= CATEGORY_RELATION_LIMIT:
            block = np.array(skills, dtype=np.int64)
            left, right = np.meshgrid(block, block, indexing="ij")
            keep = left != right
            rows.extend(left[keep].tolist())
            cols.extend(right[keep].tolist())
    size = len(universe.skills)
    return csr(rows, cols, [CATEGORY_RELATEDNESS] * len(rows), (size, size))


@dataclass(frozen=True)
class _Ranked:
    rows: list[tuple[Any, ...]]
    columns: tuple[str, ...]


class MatchingService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def start_recompute(self, principal: Principal) -> Job:
        require_hr(principal, "recompute the tenant's recommendations")
        return await enqueue_for(self.session, principal, RECOMPUTE, {})

    async def recompute(self, *, progress: Progress | None = None, job_id: uuid.UUID | None = None) -> dict[str, Any]:
        """Rank every active employee against every open opportunity and replace the stored results.
        Idempotent: a rerun replaces the same rows with the same rows."""
        # One recompute at a time per tenant; a second waits and then computes from fresher data.
        await lock_tenant(self.session, RECOMPUTE)
        covered = await self.session.scalar(select(func.coalesce(func.max(MatchingChange.id), 0)))
        weights, weights_version = await weights_in_force(self.session)
        universe = await load_universe(self.session)
        loaded = await load_people(self.session, universe)
        openings = await load_openings(self.session, universe, loaded)
        if progress is not None:
            await progress(15)
        relations = category_relations(universe)
        role_skills = await load_role_skills(self.session, universe)
        loop = asyncio.get_running_loop()

        async def advance(percent: int) -> None:
            if progress is not None:
                await progress(percent)

        def report(fraction: float) -> None:
            # Called from the engine's thread: the record is written on the job's own loop.
            asyncio.run_coroutine_threadsafe(advance(15 + int(65 * fraction)), loop)

        def compute() -> tuple[sparse.csr_array, _Ranked, _Ranked]:
            adjacency = skill_adjacency(loaded.people.skills, role_skills, relations)
            ranking = engine.rank(
                loaded.people,
                openings.openings,
                adjacency,
                weights,
                k_opportunities=TOP_OPPORTUNITIES,
                k_candidates=TOP_CANDIDATES,
                candidate_pools=loaded.pools,
                exclude=openings.exclude,
                progress=report,
            )
            employees = np.array(loaded.employee_ids, dtype=object)
            opportunities = np.array(openings.opportunity_ids, dtype=object)
            index, _ = ranking.opportunities
            people_at, rank_at = np.nonzero(index >= 0)
            recommendations = _ranked_rows(
                ("employee_id", "rank", "opportunity_id"),
                (employees[people_at], rank_at + 1, opportunities[index[people_at, rank_at]]),
                engine.breakdown(
                    loaded.people, people_at, openings.openings, index[people_at, rank_at], adjacency, weights
                ),
                run_id,
            )
            candidate_rows: list[tuple[Any, ...]] = []
            for pool in (HR_POOL, MANAGER_POOL):
                index, _ = ranking.candidates[pool]
                openings_at, rank_at = np.nonzero(index >= 0)
                people_at = index[openings_at, rank_at]
                candidate_rows += _ranked_rows(
                    ("opportunity_id", "pool", "rank", "employee_id"),
                    (
                        opportunities[openings_at],
                        np.full(len(people_at), pool, dtype=object),
                        rank_at + 1,
                        employees[people_at],
                    ),
                    engine.breakdown(loaded.people, people_at, openings.openings, openings_at, adjacency, weights),
                    run_id,
                ).rows
            candidates = _Ranked(
                candidate_rows, ("opportunity_id", "pool", "rank", "employee_id", "run_id", *_MATCH_COLUMNS)
            )
            return adjacency, recommendations, candidates

        run_id = new_id()
        adjacency, recommendations, candidates = await asyncio.to_thread(compute)
        run = MatchingRun(
            id=run_id, job_id=job_id, covered_change_id=covered, weights_version=weights_version, summary={}
        )
        self.session.add(run)
        await self.session.flush()
        adjacency_rows = _adjacency_rows(adjacency, universe)
        await self.session.execute(delete(OpportunityRecommendation))
        await self.session.execute(delete(OpportunityCandidate))
        await self.session.execute(delete(SkillAdjacency))
        await self.session.execute(delete(MatchingRun).where(MatchingRun.id != run.id))
        await _copy(self.session, OpportunityRecommendation.__tablename__, recommendations)
        if progress is not None:
            await progress(90)
        await _copy(self.session, OpportunityCandidate.__tablename__, candidates)
        await _copy(self.session, SkillAdjacency.__tablename__, adjacency_rows)
        await self.session.execute(delete(MatchingChange).where(MatchingChange.id <= covered))
        run.summary = {
            "employees": len(loaded.employee_ids),
            "opportunities": len(openings.opportunity_ids),
            "recommendations": len(recommendations.rows),
            "candidates": len(candidates.rows),
            # The version, not the weights: a job's result is shown to whoever may read the job.
            "weights_version": weights_version,
        }
        await self.session.flush()
        # The job's result is read by whoever may read jobs (partner apps too): the weights stay with the
        # run, and are read where their own rules apply (/matching/weights).
        return {"run_id": str(run.id), **{key: value for key, value in run.summary.items() if key != "weights"}}


_MATCH_COLUMNS = ("score", "contributions")


def _ranked_rows(
    key_columns: tuple[str, ...], keys: tuple[npt.NDArray[Any], ...], scored: engine.Breakdown, run_id: uuid.UUID
) -> _Ranked:
    contributions = np.column_stack([scored.contributions[factor] for factor in engine.Factor]).tolist()
    rows = [
        (*key, run_id, score, parts)
        for *key, score, parts in zip(
            *(column.tolist() for column in keys), scored.score.tolist(), contributions, strict=True
        )
    ]
    return _Ranked(rows, (*key_columns, "run_id", *_MATCH_COLUMNS))


def _adjacency_rows(adjacency: sparse.csr_array, universe: Universe) -> _Ranked:
    coo = sparse.coo_array(adjacency)
    keys = universe.skills.keys
    rows = [(keys[int(a)], keys[int(b)], float(w)) for a, b, w in zip(coo.row, coo.col, coo.data, strict=True) if w > 0]
    return _Ranked(rows, ("skill_id", "related_skill_id", "weight"))


async def _copy(session: AsyncSession, table: str, ranked: _Ranked) -> None:
    """Bulk-write with COPY on the session's own connection (same transaction, same pinned tenant):
    millions of rows in seconds, where INSERTs would take minutes."""
    if not ranked.rows:
        return
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(table, records=ranked.rows, columns=list(ranked.columns))


async def enqueue_if_due(session: AsyncSession, debounce: float, max_wait: float) -> Job | None:
    """Ask for a recompute once the changes waiting have been quiet for `debounce` seconds, or the
    oldest has waited `max_wait`. The dedupe key is the newest change, so however often this is
    asked, one burst of changes costs one recompute. Ages come from the database's clock, the one
    that stamped the changes."""
    newest_id, oldest_age, newest_age = (
        await session.execute(
            select(
                func.max(MatchingChange.id),
                func.extract("epoch", func.now() - func.min(MatchingChange.at)),
                func.extract("epoch", func.now() - func.max(MatchingChange.at)),
            )
        )
    ).one()
    if newest_id is None or (float(newest_age) < debounce and float(oldest_age) < max_wait):
        return None
    return await enqueue(session, RECOMPUTE, {}, requested_by=SCHEDULER, dedupe_key=f"{RECOMPUTE}:{newest_id}")
