from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from backend.aspirations.models import OpenToMove
from backend.framework.models import TransitionKind
from backend.framework.schemas import MatchExplanation
from backend.marketplace.models import OpportunityKind, OpportunityStatus

Weight = Annotated[float, Meta(ge=0, le=100)]


# The rankings are bounded lists, not pages: what is stored per person and per opening (the
# recompute keeps these many), and the steps shown from a role. Declared as `maxItems`.
TOP_OPPORTUNITIES = 20
TOP_CANDIDATES = 50
NEXT_ROLES_SHOWN = 50


class MatchingWeights(Struct, forbid_unknown_fields=True):
    """The weight of each named factor in the tenant's scores. Only the ratios matter to rankings;
    a weight of 0 turns a factor off."""

    required_skills: Weight
    nice_to_have_skills: Weight
    adjacent_skills: Weight
    aspirations: Weight
    level_fit: Weight
    location_fit: Weight


class MatchingWeightsVersionRead(Struct):
    """One version of the weights: the highest is in force. `set_by` is the token subject of whoever
    set them ("crosswalk:defaults" for the defaults a tenant started with)."""

    version: int
    weights: MatchingWeights
    set_at: datetime
    set_by: str
    set_by_employee_id: uuid.UUID | None


class OpportunityBrief(Struct):
    id: uuid.UUID
    title: str
    kind: OpportunityKind
    status: OpportunityStatus
    org_unit_id: uuid.UUID | None
    location: str | None
    remote: bool
    closes_at: datetime | None


class Recommendation(Struct):
    rank: int
    opportunity: OpportunityBrief
    match: MatchExplanation


class RecommendationsRead(Struct):
    """`computed_at` is when the ranking was computed (null before the first run), with the weights of
    version `weights_version`; `pending_changes` says profiles or openings changed since and a
    recompute is on its way. Scores and factors are as of `computed_at`; the skill lists are as of now."""

    employee_id: uuid.UUID
    computed_at: datetime | None
    pending_changes: bool
    items: Annotated[list[Recommendation], Meta(max_length=TOP_OPPORTUNITIES)]
    # The version of the weights the scores were computed with (`GET /matching/weights/versions`).
    weights_version: int | None = None


class CandidateBrief(Struct):
    id: uuid.UUID
    full_name: str
    title: str | None
    org_unit_id: uuid.UUID | None
    open_to_move: OpenToMove


class Candidate(Struct):
    rank: int
    employee: CandidateBrief
    match: MatchExplanation


class CandidatesRead(Struct):
    """Internal candidates for an opening, best first, among the people whose open-to-move choice lets
    the caller see them (HR: open to HR or hiring managers; a hiring manager: open to hiring managers,
    never their own reports). Each person shown is recorded in the audit log."""

    opportunity_id: uuid.UUID
    computed_at: datetime | None
    pending_changes: bool
    audience: str
    items: Annotated[list[Candidate], Meta(max_length=TOP_CANDIDATES)]
    weights_version: int | None = None


class NextRole(Struct):
    role_id: uuid.UUID
    title: str
    level: int
    # The path from the current role: one step, or two through `via_role_id`.
    steps: int
    via_role_id: uuid.UUID | None
    kind: TransitionKind | None
    typical_months: int | None
    aspired: bool
    match: MatchExplanation


class NextRolesRead(Struct):
    """Career-path steps from the employee's role, ranked by fit, computed now. The aspirations factor
    counts only when the caller may see the employee's aspirations."""

    employee_id: uuid.UUID
    current_role_id: uuid.UUID | None
    aspirations_included: bool
    computed_at: datetime
    # The best-ranked steps; a role with more 1- and 2-step paths shows these many.
    items: Annotated[list[NextRole], Meta(max_length=NEXT_ROLES_SHOWN)]
