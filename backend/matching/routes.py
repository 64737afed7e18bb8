from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from msgspec import structs
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import DEFAULT_LIMIT, Page, page_of
from backend.api.params import Cursor, Limit
from backend.auth.principal import Principal, Scope
from backend.crud import to_schema
from backend.jobs.schemas import JobRead
from backend.marketplace.models import ApplicationStage
from backend.marketplace.schemas import ApplicationRead
from backend.matching.applicants import ApplicantRankingService
from backend.matching.engine import Weights
from backend.matching.schemas import (
    TOP_CANDIDATES,
    CandidatesRead,
    MatchingWeights,
    MatchingWeightsVersionRead,
    NextRolesRead,
    RecommendationsRead,
)
from backend.matching.service import MatchingService, MatchingSettingsService
from backend.matching.serving import MatchServingService

_READ = {"scope": Scope.MATCHING_READ}
_WRITE = {"scope": Scope.MATCHING_WRITE}


def _weights(weights: Weights) -> MatchingWeights:
    return MatchingWeights(**weights.as_dict())


class RecommendationController(Controller):
    path = "/me/recommendations"
    tags = ["Matching"]

    @get(
        "/",
        opt=_READ,
        summary="My recommended opportunities, with the reasons",
        description="The open opportunities that fit the caller best, best first, each with its score, every "
        "factor's contribution and the required skills matched and missing ('You have 7 of 9 required skills; "
        "missing: SQL (level 3).'). Precomputed: `computed_at` says when, `pending_changes` that a recompute "
        "is on its way.",
    )
    async def my_recommendations(
        self, db: NamedDependency[AsyncSession], principal: NamedDependency[Principal]
    ) -> RecommendationsRead:
        return await MatchServingService(db).recommendations(principal)


class CandidateController(Controller):
    path = "/opportunities/{opportunity_id:uuid}/candidates"
    tags = ["Matching"]

    @get(
        "/",
        opt=_READ,
        summary="Internal candidates for an opening (HR and its hiring manager)",
        description="The people who fit the opening best among those whose open-to-move choice lets the caller "
        "see them (HR: open to HR or to hiring managers; a hiring manager: open to hiring managers, never "
        "their own reports). Hidden people never appear. Every person shown is recorded in the audit log.",
    )
    async def opportunity_candidates(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        opportunity_id: FromPath[uuid.UUID],
        limit: Annotated[
            int, QueryParameter(ge=1, le=TOP_CANDIDATES, description="How many of the best candidates.")
        ] = TOP_CANDIDATES,
    ) -> CandidatesRead:
        return await MatchServingService(db).candidates(principal, opportunity_id, limit)


class ApplicantRankingController(Controller):
    """The marketplace's list of an opening's applicants, served here because it is a ranking: the
    marketplace says who may see which application, matching orders them and explains each match."""

    path = "/opportunities/{opportunity_id:uuid}/applications"
    tags = ["Marketplace"]

    @get(
        "/",
        opt={"scope": Scope.APPLICATIONS_READ},
        summary="The opening's applicants, ranked by match, with stage and history (its hiring manager, HR)",
        description="Best match first (ties: the order they applied), each with `match`: the score, every factor's "
        "contribution and the skills matched and missing, computed now. Each application shown is recorded in "
        "the audit log.",
    )
    async def list_opportunity_applications(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        opportunity_id: FromPath[uuid.UUID],
        stage: FromQuery[ApplicationStage | None] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[ApplicationRead]:
        items, next_cursor = await ApplicantRankingService(db).ranked(
            principal, opportunity_id, stage=stage, cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit)


class NextRoleController(Controller):
    path = "/employees/{employee_id:uuid}/next-roles"
    tags = ["Matching"]

    @get(
        "/",
        opt=_READ,
        summary="An employee's next roles on their career paths, ranked by fit",
        description="Roles one or two career-path steps from the employee's role, and the roles they aim at, "
        "scored now with the skills each step needs. For the employee, their managers and HR; the "
        "aspirations factor counts only for callers who may see the employee's aspirations.",
    )
    async def next_roles(
        self, db: NamedDependency[AsyncSession], principal: NamedDependency[Principal], employee_id: FromPath[uuid.UUID]
    ) -> NextRolesRead:
        return await MatchServingService(db).next_roles(principal, employee_id)


class MatchingSettingsController(Controller):
    path = "/matching"
    tags = ["Matching"]

    @get("/weights", opt=_READ, summary="The tenant's weights of the matching factors")
    async def get_matching_weights(self, db: NamedDependency[AsyncSession]) -> MatchingWeights:
        return _weights(await MatchingSettingsService(db).get())

    @get(
        "/weights/versions",
        opt=_READ,
        summary="Every version of the weights, oldest first (HR)",
        description="Who set each version and when; the highest version is in force. Recommendations and "
        "candidate lists say the `weights_version` they were computed with.",
    )
    async def list_matching_weights_versions(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[MatchingWeightsVersionRead]:
        items, next_cursor = await MatchingSettingsService(db).versions(principal, cursor, limit)
        return page_of(items, next_cursor, limit, lambda v: to_schema(v, MatchingWeightsVersionRead))

    @put(
        "/weights",
        opt=_WRITE,
        summary="Set the weights of the matching factors (HR)",
        description="Each change is a new version (`GET /matching/weights/versions`) and an audit event "
        "`matching_weights.changed` with the weights before and after. At least one weight must be above 0 "
        "(each 0 or at least 0.0001). Recommendations and candidate lists are recomputed with them shortly after.",
    )
    async def set_matching_weights(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        data: JSONBody[MatchingWeights],
    ) -> MatchingWeights:
        return _weights(await MatchingSettingsService(db).set(principal, structs.asdict(data)))

    @post(
        "/recompute",
        opt=_WRITE,
        status_code=202,
        summary="Recompute every recommendation and candidate list now (HR)",
        description="Starts the `matching.recompute` job (also run after changes, debounced, and nightly). "
        "Poll `/api/v1/jobs/{id}`. While a recompute is waiting to start, asking again returns that job "
        "(same id) instead of a second one.",
    )
    async def recompute_matches(
        self, db: NamedDependency[AsyncSession], principal: NamedDependency[Principal]
    ) -> JobRead:
        return to_schema(await MatchingService(db).start_recompute(principal), JobRead)


# Every controller of the domain; backend/app.py mounts them under /api/v1.
MATCHING_CONTROLLERS: list[Any] = [
    RecommendationController,
    CandidateController,
    ApplicantRankingController,
    NextRoleController,
    MatchingSettingsController,
]
