"""Mentor profiles: an employee offers to mentor in a programme (their own profile; HR may do it for
anyone). Active profiles are for everyone to see; inactive ones for HR and their owner only."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.fields import NON_BLANK
from backend.api.pagination import paginate
from backend.auth.principal import Principal
from backend.crud import apply, changes, require_all
from backend.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from backend.mentoring.enrolment import enrol, enrolments_of, languages, set_skills, skills_of
from backend.mentoring.models import MentorProfile, MentorProfileSkill
from backend.mentoring.programmes import ProgrammeService
from backend.mentoring.schemas import MentorProfileCreate, MentorProfileRead, MentorProfileUpdate
from backend.skills.models import Skill

_TOPIC = re.compile(NON_BLANK)


class MentorProfileService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_programme(
        self, principal: Principal, programme_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[list[MentorProfileRead], str | None]:
        await ProgrammeService(self.session).get(principal, programme_id)
        query = select(MentorProfile).where(MentorProfile.programme_id == programme_id)
        if not principal.is_hr:
            # Mentors offer themselves to the programme: their active profiles are for everyone to see.
            query = query.where(or_(MentorProfile.active, MentorProfile.employee_id == principal.employee_id))
        rows, next_cursor = await paginate(self.session, query, MentorProfile.id, cursor, limit)
        return await self._reads(rows), next_cursor

    async def of_employee(self, principal: Principal, employee_id: uuid.UUID) -> list[MentorProfileRead]:
        """One person's offers to mentor, in every programme the caller may see (drafts: HR only), as
        `of_programme` shows them: an inactive one to HR and its owner only."""
        query = enrolments_of(
            principal,
            MentorProfile,
            employee_id,
            or_(MentorProfile.active, MentorProfile.employee_id == principal.employee_id),
        )
        return await self._reads((await self.session.scalars(query)).all())

    async def get(self, principal: Principal, profile_id: uuid.UUID) -> MentorProfileRead:
        profile = await self._visible(principal, profile_id)
        return (await self._reads([profile]))[0]

    async def _visible(self, principal: Principal, profile_id: uuid.UUID, *, lock: bool = False) -> MentorProfile:
        profile = await self.session.get(MentorProfile, profile_id, with_for_update=lock)
        if profile is not None:
            try:
                await ProgrammeService(self.session).get(principal, profile.programme_id)
            except NotFoundError:
                profile = None
        if profile is None or not (principal.is_hr or profile.active or profile.employee_id == principal.employee_id):
            raise NotFoundError(f"mentor profile {profile_id} does not exist")
        return profile

    async def create(
        self, principal: Principal, programme_id: uuid.UUID, data: MentorProfileCreate
    ) -> MentorProfileRead:
        employee_id = await enrol(self.session, principal, programme_id, data.employee_id)
        await require_all(self.session, Skill, data.skill_ids, "skill_ids")
        taken = await self.session.scalar(
            select(MentorProfile.id).where(
                MentorProfile.programme_id == programme_id, MentorProfile.employee_id == employee_id
            )
        )
        if taken is not None:
            raise ConflictError(f"employee {employee_id} already has a mentor profile in this programme: {taken}")
        profile = MentorProfile(
            programme_id=programme_id,
            employee_id=employee_id,
            capacity=data.capacity,
            topics=_topics(data.topics),
            languages=languages(data.languages),
            utc_offset_minutes=data.utc_offset_minutes,
            availability=data.availability,
            active=data.active,
        )
        self.session.add(profile)
        await self.session.flush()
        await set_skills(self.session, MentorProfileSkill, MentorProfileSkill.profile_id, profile.id, data.skill_ids)
        return (await self._reads([profile]))[0]

    async def update(
        self, principal: Principal, profile_id: uuid.UUID, patch: MentorProfileUpdate
    ) -> MentorProfileRead:
        profile = await self._visible(principal, profile_id, lock=True)
        if profile.employee_id != principal.employee_id and not principal.is_hr:
            raise PermissionDeniedError("only the mentor (or HR) may edit a mentor profile")
        values = changes(patch)
        skill_ids = values.pop("skill_ids", None)
        if "languages" in values:
            values["languages"] = languages(values["languages"])
        if "topics" in values:
            values["topics"] = _topics(values["topics"])
        if skill_ids is not None:
            await require_all(self.session, Skill, skill_ids, "skill_ids")
            await set_skills(self.session, MentorProfileSkill, MentorProfileSkill.profile_id, profile.id, skill_ids)
        apply(profile, values)
        await self.session.flush()
        await self.session.refresh(profile)
        return (await self._reads([profile]))[0]

    async def _reads(self, profiles: Sequence[MentorProfile]) -> list[MentorProfileRead]:
        skills = await skills_of(
            self.session, MentorProfileSkill, MentorProfileSkill.profile_id, [p.id for p in profiles]
        )
        return [
            MentorProfileRead(
                id=p.id,
                programme_id=p.programme_id,
                employee_id=p.employee_id,
                capacity=p.capacity,
                skill_ids=skills[p.id],
                topics=list(p.topics),
                languages=list(p.languages),
                utc_offset_minutes=p.utc_offset_minutes,
                availability=p.availability,
                active=p.active,
                created_at=p.created_at,
                updated_at=p.updated_at,
            )
            for p in profiles
        ]


def _topics(topics: Sequence[str]) -> list[str]:
    for topic in topics:
        if not (1 <= len(topic) <= 100 and _TOPIC.fullmatch(topic)):
            raise InvalidInputError("topics", "a topic is 1 to 100 characters, not all blank")
    return [t.strip() for t in topics]
