"""The applicants of an opening ranked by how they fit it, for its hiring manager and HR.

Who sees which application, and what of it, is the marketplace's rule (backend/marketplace/
applications.py): this module only orders what the marketplace lets the caller see, and adds to each
the explanation of its match, scored now.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import decode_cursor, encode_cursor
from backend.auth.principal import Principal
from backend.marketplace.applications import ApplicationService
from backend.marketplace.models import ApplicationStage
from backend.marketplace.schemas import ApplicationRead
from backend.matching.serving import aspirations_visible, explain_applicants


class ApplicantRankingService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def ranked(
        self,
        principal: Principal,
        opportunity_id: uuid.UUID,
        *,
        stage: ApplicationStage | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[ApplicationRead], str | None]:
        """The applicants of an opening, for its hiring manager and HR, best match first (ties: the
        order they came), each with the explanation of their match, scored now."""
        applications = ApplicationService(self.session)
        opening = await applications.of_opening(principal, opportunity_id, stage=stage)
        # An opening's applicants are few (hundreds at most): rank them all, then page through the ranking.
        applicants = [a.employee_id for a in opening.applications]
        # The aspirations factor counts only what the caller may see of each applicant's aspirations.
        matches = await explain_applicants(
            self.session,
            opening.opportunity.id,
            applicants,
            aspirations_of=await aspirations_visible(self.session, principal, applicants),
        )
        unscored = float("-inf")
        ranking = sorted(
            opening.applications,
            key=lambda a: -(matches[a.employee_id].score if a.employee_id in matches else unscored),
        )
        start = 0
        if cursor is not None:
            after = decode_cursor(cursor)
            start = next((i + 1 for i, a in enumerate(ranking) if a.id == after), len(ranking))
        page = ranking[start : start + limit]
        more = start + limit < len(ranking)
        reads = await applications.shown(principal, opening, page)
        for read in reads:
            read.match = matches.get(read.employee_id)
        return reads, encode_cursor(page[-1].id) if more and page else None
