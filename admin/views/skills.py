"""What a detail page shows beyond the row's own columns: the skills a role, an opening or a course asks
for or teaches (added by name, levelled and removed from that page, through the domain services), and
an employee's profile (skills, aspirations by the open-to-move rules, applications), read as the API
reads them, audited as the API audits such views."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqladmin import expose
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import Form

from admin.i18n import N_
from admin.views.base import (
    ConsoleError,
    SchemaT,
    ServiceEditedView,
    as_schema,
    is_uuid,
    named_rows,
    reference_field,
)
from backend.aspirations.models import OpenToMove
from backend.aspirations.service import AspirationService
from backend.audit.service import Viewed, record_views
from backend.auth.principal import Principal
from backend.errors import NotFoundError
from backend.framework.models import Importance, Role
from backend.marketplace.models import Application, Opportunity
from backend.org.skill_profiles import SkillProfileService
from backend.skills.models import Skill

# The skills listed in the add-a-skill select without script (the search finds any).
_MAX_SKILLS = 2000


@dataclass(frozen=True)
class SkillLine:
    """One skill of a role, an opening or a course as its page lists it."""

    skill_id: uuid.UUID
    label: str
    level: int
    importance: Importance | None = None


class SkillsEditedView(ServiceEditedView):
    """A view whose rows ask for or teach skills: its detail page lists them, with a form to add one by
    name (search-as-you-type) at a level (and importance) and a button to remove each. Each change goes
    through the row's domain service, by the API's schema and rules, audited as `{noun}.skill_set` or
    `{noun}.skill_removed` with what changed; a refusal is the service's, with the API's status."""

    # "Required skills" (a role, an opening) or "Skills taught" (a course); whether a skill has an importance.
    skills_heading: ClassVar[str] = "Required skills"
    level_label: ClassVar[str] = "Level needed"
    with_importance: ClassVar[bool] = True
    importances: ClassVar[list[tuple[str, str]]] = [(i.value, i.value.replace("_", " ")) for i in Importance]
    details_template = "console/skills_details.html"

    async def read_skills(self, session: AsyncSession, principal: Principal, row_id: uuid.UUID) -> list[SkillLine]:
        raise NotImplementedError

    async def set_skill(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, line: dict[str, Any]
    ) -> None:
        """Add the skill `line` (skill_id, level, importance as the form gave them) or change its level."""
        raise NotImplementedError

    async def drop_skill(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, skill_id: uuid.UUID
    ) -> None:
        raise NotImplementedError

    def lookups(self) -> dict[str, tuple[Any, Any]]:
        return {**super().lookups(), "skill_id": (Skill, Skill.label)}

    async def details_context(self, request: Request) -> dict[str, Any]:
        """The row's skills and the add-a-skill choice, for the detail page (once the row was found)."""
        context = await super().details_context(request)
        async with self.transaction() as session:
            context["skills"] = await self.read_skills(session, self.principal(request), _row_id(request))
            options = await named_rows(session, Skill, Skill.label, limit=_MAX_SKILLS)
        field = reference_field("Skill", options, self.lookup_url, nullable=True)
        context["skill_field"] = type("SkillChoice", (Form,), {"skill_id": field})()["skill_id"]
        return context

    @expose("/{pk}/skills", methods=["POST"])
    async def add_skill(self, request: Request) -> Response:
        """Add a skill (or set its level and importance): POST form with skill_id, level, importance."""
        row_id = _row_id(request)
        form = await request.form()
        line = {name: str(form.get(name, "")).strip() for name in ("skill_id", "level", "importance")}
        if not line["skill_id"]:
            raise HTTPException(422, N_("Choose a skill to add."))
        return await self._skill_change(request, row_id, "skill_set", line)

    @expose("/{pk}/skills/remove", methods=["POST"])
    async def remove_skill(self, request: Request) -> Response:
        """Remove one skill: POST form with skill_id."""
        row_id = _row_id(request)
        form = await request.form()
        try:
            skill_id = uuid.UUID(str(form.get("skill_id", "")))
        except ValueError:
            raise HTTPException(422, N_("Choose a skill to remove.")) from None
        return await self._skill_change(request, row_id, "skill_removed", {"skill_id": str(skill_id)})

    async def _skill_change(self, request: Request, row_id: uuid.UUID, verb: str, line: dict[str, Any]) -> Response:
        principal = self.principal(request)
        changes: dict[str, Any] = {}

        async def change(session: AsyncSession) -> Any:
            row = await self.existing(session, row_id)
            before = {s.skill_id: s for s in await self.read_skills(session, principal, row_id)}
            skill_id = uuid.UUID(line["skill_id"]) if is_uuid(line["skill_id"]) else None
            if skill_id is None:
                raise NotFoundError("There is no such skill in this client company.")
            if verb == "skill_removed":
                await self.drop_skill(session, principal, row_id, skill_id)
            else:
                await self.set_skill(session, principal, row_id, line)
            after = {s.skill_id: s for s in await self.read_skills(session, principal, row_id)}
            old, new = before.get(skill_id), after.get(skill_id)
            shown = new or old
            label = shown.label if shown is not None else str(skill_id)
            changes[f"skill {label}"] = {"from": self._describe_line(old), "to": self._describe_line(new)}
            return row

        try:
            await self.write_tenant(
                request, f"{self.noun}.{verb}", change, target=self.describe, changes=lambda: changes
            )
        except ConsoleError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        details = request.url_for("admin:details", identity=self.identity, pk=str(row_id))
        return RedirectResponse(f"{details}#skills", status_code=303)

    def _describe_line(self, line: SkillLine | None) -> str | None:
        if line is None:
            return None
        if line.importance is None:
            return f"level {line.level}"
        return f"level {line.level}, {line.importance.value.replace('_', ' ')}"


class SkillListView(SkillsEditedView):
    """A row whose service takes its skills as a whole list (an opening, a course): adding, levelling
    or removing one sends the new list to the service's update."""

    # One skill of the list as the API's write schema takes it, and the name of its level there.
    skill_schema: ClassVar[type[Any]]
    level_field: ClassVar[str]

    def as_set(self, line: SkillLine) -> Any:
        """A skill the row has now, as the schema's item (sent back unchanged)."""
        raise NotImplementedError

    async def replace_skills(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, skills: list[Any]
    ) -> None:
        raise NotImplementedError

    async def set_skill(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, line: dict[str, Any]
    ) -> None:
        new = skill_line(line, self.skill_schema, self.level_field)
        await self._replace(session, principal, row_id, new.skill_id, new)

    async def drop_skill(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, skill_id: uuid.UUID
    ) -> None:
        await self._replace(session, principal, row_id, skill_id, None)

    async def _replace(
        self, session: AsyncSession, principal: Principal, row_id: uuid.UUID, skill_id: uuid.UUID, new: Any
    ) -> None:
        current = await self.read_skills(session, principal, row_id)
        if new is None and skill_id not in {s.skill_id for s in current}:
            raise NotFoundError(f"This {self.name.lower()} has no such skill.")
        kept = [self.as_set(s) for s in current if s.skill_id != skill_id]
        await self.replace_skills(session, principal, row_id, kept + ([new] if new is not None else []))


def _row_id(request: Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.path_params["pk"])
    except ValueError:
        raise HTTPException(404, N_("There is no such row in this client company.")) from None


def skill_line(line: dict[str, Any], schema: type[SchemaT], level_name: str) -> SchemaT:
    """The add-a-skill form's values (skill, level, importance) as the API's schema for one skill of a
    role, an opening or a course, or the schema's refusal (a level out of 1-5)."""
    level = line.get("level", "")
    values: dict[str, Any] = {level_name: int(level) if level.isdigit() else level}
    fields = schema.__struct_fields__
    if "skill_id" in fields:
        values["skill_id"] = line["skill_id"]
    if "importance" in fields and line.get("importance"):
        values["importance"] = line["importance"]
    return as_schema(values, schema)


# --- an employee's profile ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationLine:
    application_id: uuid.UUID
    opening: str
    stage: str
    applied: datetime
    stage_changed: datetime


@dataclass(frozen=True)
class Profile:
    """What an employee's page shows below their columns."""

    skills: list[Any]
    # None when the rules keep them from HR (hidden): the page says so, and shows nothing of them.
    aspirations: dict[str, Any] | None
    applications: list[ApplicationLine]


async def employee_profile(session: AsyncSession, principal: Principal, employee_id: uuid.UUID) -> Profile:
    """The employee's current skills (as `GET /employees/{id}/skills`), their aspirations as HR may see
    them (`AspirationService.get`: the open-to-move rules, and the view audited as the API audits it),
    and their applications, each audited as viewed as the applications list does."""
    skills, _ = await SkillProfileService(session).profile(employee_id, None, None, 200)
    try:
        read = await AspirationService(session).get(principal, employee_id)
    except NotFoundError:
        aspirations = None
    else:
        roles = await session.execute(select(Role.title).where(Role.id.in_(read.target_role_ids)).order_by(Role.title))
        wanted = await session.execute(select(Skill.label).where(Skill.id.in_(read.skill_ids)).order_by(Skill.label))
        aspirations = {
            "Open to move": _OPENNESS[read.open_to_move],
            "Roles wanted": list(roles.scalars().all()),
            "Skills to grow": list(wanted.scalars().all()),
            "Updated": read.updated_at,
        }
    rows = (
        await session.execute(
            select(Application, Opportunity.title)
            .join(Opportunity, Opportunity.id == Application.opportunity_id)
            .where(Application.employee_id == employee_id)
            .order_by(Application.created_at.desc())
        )
    ).all()
    await record_views(
        session,
        principal,
        action="application.viewed",
        object_type="application",
        views=[Viewed(a.employee_id, a.id, {"opportunity_id": str(a.opportunity_id)}) for a, _ in rows],
    )
    applications = [
        ApplicationLine(a.id, title, a.stage.value.replace("_", " "), a.created_at, a.stage_changed_at)
        for a, title in rows
    ]
    return Profile(skills=list(skills), aspirations=aspirations, applications=applications)


_OPENNESS = {
    OpenToMove.HIDDEN: "hidden",
    OpenToMove.HR_ONLY: "yes, HR may see it",
    OpenToMove.HIRING_MANAGERS: "yes, hiring managers may see it too",
}
