"""Opportunities and opportunity types: posting, editing, publishing and closing openings, and who
may see them.

Who may see an opening:
- HR and partner apps (an ATS) see every opening in every status, and manage them all;
- its hiring manager and its creator see it in every status, and manage it;
- anyone else sees it when it is `open` and past `opens_at` and the visibility rules admit them (their
  org unit or a unit above it is listed, or none is; their level within `min_level`..`max_level`; a
  person of unknown level is not admitted by an opening bounded by level), and always sees the
  openings they applied to or expressed interest in, whatever their status.
An opening one may not see does not exist for them (404).

Every change that matching reads (creating, skills, visibility, level, location, opening, closing,
filling) notes a change for the recompute in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.audit.service import record_change
from backend.auth.principal import Principal, UserRole
from backend.core.changes import note_change
from backend.crud import ancestors, apply, changes, descendants, ensure_unique, get_or_404, like_pattern, require_all
from backend.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from backend.framework.models import Role, RoleSkill
from backend.marketplace.models import (
    LIVE_STAGES,
    Application,
    ApplicationStage,
    Opportunity,
    OpportunityKind,
    OpportunitySkill,
    OpportunityStatus,
    OpportunityType,
    OpportunityVisibilityUnit,
)
from backend.marketplace.schemas import (
    OpportunityCreate,
    OpportunityRead,
    OpportunitySkillRead,
    OpportunitySkillSet,
    OpportunityTypeCreate,
    OpportunityTypeUpdate,
    OpportunityUpdate,
)
from backend.org.models import Employee, OrgUnit
from backend.org.service import manages_people
from backend.skills.models import Skill

# Fields whose change alters who matches an opening (title and description do not).
_MATCHING_FIELDS = frozenset(
    {"kind", "role_id", "org_unit_id", "location", "remote", "level", "min_level", "max_level", "opens_at"}
)
# Fields that define what an opening is: changed only while it is a draft.
_DRAFT_ONLY_FIELDS = ("kind", "type_id", "role_id")
_BUILT_IN_KINDS = frozenset(k.value for k in OpportunityKind)


def now() -> datetime:
    return datetime.now(UTC)


def manages_all(principal: Principal) -> bool:
    """HR, and partner apps (an ATS keeping the tenant's openings), manage every opening."""
    return principal.is_hr or principal.client_id is not None


def may_post(principal: Principal) -> bool:
    """Who posts openings: HR, partner apps, and managers who are employees of the tenant (a manager
    posts as the opening's hiring manager unless they name another)."""
    return manages_all(principal) or (principal.has_role(UserRole.MANAGER) and principal.employee_id is not None)


def manages(principal: Principal, opportunity: Opportunity) -> bool:
    return manages_all(principal) or (
        principal.employee_id is not None
        and principal.employee_id in (opportunity.hiring_manager_id, opportunity.created_by_employee_id)
    )


def accepting_applications(opportunity: Opportunity, at: datetime) -> bool:
    return (
        opportunity.status == OpportunityStatus.OPEN
        and (opportunity.opens_at is None or opportunity.opens_at <= at)
        and (opportunity.closes_at is None or opportunity.closes_at > at)
    )


@dataclass(frozen=True)
class Viewer:
    """What decides which openings a caller sees: who they are, their org units (their own and every
    unit above it) and their level."""

    sees_all: bool
    employee_id: uuid.UUID | None
    units: frozenset[uuid.UUID]
    level: int | None

    def condition(self, at: datetime) -> ColumnElement[bool]:
        """The openings this viewer may see, as a condition on `Opportunity`."""
        if self.sees_all:
            return true()
        conditions: list[ColumnElement[bool]] = [self.admits(at)]
        if self.employee_id is not None:
            me = self.employee_id
            conditions += [
                Opportunity.hiring_manager_id == me,
                Opportunity.created_by_employee_id == me,
                exists().where(Application.opportunity_id == Opportunity.id, Application.employee_id == me),
            ]
        return or_(*conditions)

    def admits(self, at: datetime) -> ColumnElement[bool]:
        """The published openings whose visibility admits this viewer as a person (their units and
        level), whatever their role: what they may be recommended and apply to."""
        listed = exists().where(OpportunityVisibilityUnit.opportunity_id == Opportunity.id)
        admitted_unit: ColumnElement[bool] = ~listed
        if self.units:
            admitted_unit = or_(
                ~listed,
                exists().where(
                    OpportunityVisibilityUnit.opportunity_id == Opportunity.id,
                    OpportunityVisibilityUnit.org_unit_id.in_(self.units),
                ),
            )
        if self.level is None:
            admitted_level = and_(Opportunity.min_level.is_(None), Opportunity.max_level.is_(None))
        else:
            admitted_level = and_(
                or_(Opportunity.min_level.is_(None), Opportunity.min_level <= self.level),
                or_(Opportunity.max_level.is_(None), Opportunity.max_level >= self.level),
            )
        published = and_(
            Opportunity.status == OpportunityStatus.OPEN,
            or_(Opportunity.opens_at.is_(None), Opportunity.opens_at <= at),
        )
        return and_(published, admitted_unit, admitted_level)


async def viewer_of(session: AsyncSession, principal: Principal) -> Viewer:
    if manages_all(principal):
        return Viewer(True, principal.employee_id, frozenset(), None)
    employee = await session.get(Employee, principal.employee_id) if principal.employee_id else None
    if employee is None or not employee.active:
        # A caller who is no (current) employee sees only what is open to everyone.
        return Viewer(False, principal.employee_id, frozenset(), None)
    return await person_viewer(session, employee)


async def person_viewer(session: AsyncSession, employee: Employee) -> Viewer:
    """The employee as a person sees openings (their units and level), whatever roles they hold."""
    units: set[uuid.UUID] = set()
    if employee.org_unit_id is not None:
        units = {employee.org_unit_id} | await ancestors(session, OrgUnit, "parent_id", employee.org_unit_id)
    return Viewer(False, employee.id, frozenset(units), employee.level)


async def admitted_people(session: AsyncSession, opportunity: Opportunity) -> ColumnElement[bool]:
    """The active employees whose org unit and level the opening's visibility admits now, as a
    condition on `Employee`: the same rule as `Viewer.admits`, from the opening's side."""
    listed = set(
        (
            await session.scalars(
                select(OpportunityVisibilityUnit.org_unit_id).where(
                    OpportunityVisibilityUnit.opportunity_id == opportunity.id
                )
            )
        ).all()
    )
    conditions: list[ColumnElement[bool]] = [Employee.active.is_(True)]
    if listed:
        units = set(listed)
        for unit in listed:
            units |= await descendants(session, OrgUnit, "parent_id", unit)
        conditions.append(Employee.org_unit_id.in_(units))
    if opportunity.min_level is not None or opportunity.max_level is not None:
        conditions.append(Employee.level.is_not(None))
        if opportunity.min_level is not None:
            conditions.append(Employee.level >= opportunity.min_level)
        if opportunity.max_level is not None:
            conditions.append(Employee.level <= opportunity.max_level)
    return and_(*conditions)


class OpportunityTypeService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(
        self, *, active: bool | None, cursor: str | None, limit: int
    ) -> tuple[Sequence[OpportunityType], str | None]:
        query = select(OpportunityType)
        if active is not None:
            query = query.where(OpportunityType.active.is_(active))
        return await paginate(self.session, query, OpportunityType.id, cursor, limit)

    async def get(self, type_id: uuid.UUID) -> OpportunityType:
        return await get_or_404(self.session, OpportunityType, type_id, "opportunity type")

    async def create(self, principal: Principal, data: OpportunityTypeCreate) -> OpportunityType:
        _require_admin(principal, "define opportunity types")
        name = data.name.strip()
        await self._ensure_name_free(name)
        kind = OpportunityType(name=name, description=data.description, active=True)
        self.session.add(kind)
        await self.session.flush()
        return kind

    async def update(self, principal: Principal, type_id: uuid.UUID, patch: OpportunityTypeUpdate) -> OpportunityType:
        kind = await self.get(type_id)
        _require_admin(principal, "change opportunity types")
        values = changes(patch)
        if "name" in values:
            values["name"] = str(values["name"]).strip()
            await self._ensure_name_free(values["name"], kind.id)
        apply(kind, values)
        await self.session.flush()
        return kind

    async def set_active(self, principal: Principal, type_id: uuid.UUID, active: bool) -> OpportunityType:
        """A deactivated type takes no new openings; the openings and moves of that type keep it."""
        kind = await self.get(type_id)
        _require_admin(principal, "change opportunity types")
        kind.active = active
        await self.session.flush()
        return kind

    async def _ensure_name_free(self, name: str, own_id: uuid.UUID | None = None) -> None:
        if name.lower() in _BUILT_IN_KINDS:
            raise InvalidInputError("name", f"{name!r} is a built-in kind of opportunity; use kind {name.lower()!r}")
        await ensure_unique(
            self.session,
            OpportunityType,
            func.lower(OpportunityType.name) == name.lower(),
            own_id,
            f"an opportunity type named {name!r} already exists",
        )


def _require_admin(principal: Principal, what: str) -> None:
    if not manages_all(principal):
        raise PermissionDeniedError(f"only HR may {what}")


class OpportunityService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- reading ------------------------------------------------------------------------------------

    async def list_visible(
        self,
        principal: Principal,
        *,
        status: OpportunityStatus | None,
        kind: OpportunityKind | None,
        type_id: uuid.UUID | None,
        org_unit_id: uuid.UUID | None,
        hiring_manager_id: uuid.UUID | None,
        accepting: bool | None,
        remote: bool | None,
        location: str | None,
        q: str | None,
        cursor: str | None,
        limit: int,
        hours_min: int | None = None,
        hours_max: int | None = None,
    ) -> tuple[list[OpportunityRead], str | None]:
        """`hours_min`/`hours_max` keep the openings whose hours a week are in the range (both ends
        included); an opening without hours (a role: its hours are the job's) is then left out."""
        if hours_min is not None and hours_max is not None and hours_min > hours_max:
            raise InvalidInputError("hours_max", "hours_max is below hours_min")
        at = now()
        viewer = await viewer_of(self.session, principal)
        query = select(Opportunity).where(viewer.condition(at))
        if status is not None:
            query = query.where(Opportunity.status == status)
        if kind is not None:
            query = query.where(Opportunity.kind == kind)
        if type_id is not None:
            query = query.where(Opportunity.type_id == type_id)
        if org_unit_id is not None:
            # A department's openings include those of its teams.
            units = {org_unit_id} | await descendants(self.session, OrgUnit, "parent_id", org_unit_id)
            query = query.where(Opportunity.org_unit_id.in_(units))
        if hiring_manager_id is not None:
            query = query.where(Opportunity.hiring_manager_id == hiring_manager_id)
        if accepting is not None:
            taking = and_(
                Opportunity.status == OpportunityStatus.OPEN,
                or_(Opportunity.opens_at.is_(None), Opportunity.opens_at <= at),
                or_(Opportunity.closes_at.is_(None), Opportunity.closes_at > at),
            )
            query = query.where(taking if accepting else ~taking)
        if q is not None:
            query = query.where(Opportunity.title.ilike(like_pattern(q)))
        if remote is not None:
            query = query.where(Opportunity.remote.is_(remote))
        if location is not None:
            query = query.where(Opportunity.location.ilike(like_pattern(location)))
        if hours_min is not None:
            query = query.where(Opportunity.hours_per_week >= hours_min)
        if hours_max is not None:
            query = query.where(Opportunity.hours_per_week <= hours_max)
        rows, next_cursor = await paginate(self.session, query, Opportunity.id, cursor, limit)
        return await self.reads(rows), next_cursor

    async def get_visible(self, principal: Principal, opportunity_id: uuid.UUID, *, lock: bool = False) -> Opportunity:
        viewer = await viewer_of(self.session, principal)
        query = select(Opportunity).where(Opportunity.id == opportunity_id, viewer.condition(now()))
        if lock:
            query = query.with_for_update(of=Opportunity)
        opportunity = await self.session.scalar(query)
        if opportunity is None:
            raise NotFoundError(f"opportunity {opportunity_id} does not exist")
        return opportunity

    async def get(self, principal: Principal, opportunity_id: uuid.UUID) -> OpportunityRead:
        return (await self.reads([await self.get_visible(principal, opportunity_id)]))[0]

    async def get_managed(self, principal: Principal, opportunity_id: uuid.UUID) -> OpportunityRead:
        """An opening the caller manages (its hiring manager, its creator, HR), to change it: one they
        may not see is not found (404), one they see but do not manage is refused (403), as `update` does."""
        opportunity = await self.get_visible(principal, opportunity_id)
        if not manages(principal, opportunity):
            raise PermissionDeniedError("only the opening's hiring manager, its creator or HR may change it")
        return (await self.reads([opportunity]))[0]

    async def _managed(self, principal: Principal, opportunity_id: uuid.UUID) -> Opportunity:
        opportunity = await self.get_visible(principal, opportunity_id, lock=True)
        if not manages(principal, opportunity):
            raise PermissionDeniedError("only the opening's hiring manager, its creator or HR may change it")
        return opportunity

    # --- writing ------------------------------------------------------------------------------------

    @staticmethod
    def require_poster(principal: Principal) -> None:
        """Refuses (403) a caller who may not post openings (`may_post`): what `create` checks first, and
        what a page that offers to post one asks before showing it."""
        if not may_post(principal):
            raise PermissionDeniedError("only managers and HR post openings")

    async def create(self, principal: Principal, data: OpportunityCreate) -> OpportunityRead:
        self.require_poster(principal)
        values = {f: getattr(data, f) for f in data.__struct_fields__ if f not in ("skills", "visibility_unit_ids")}
        values["title"] = data.title.strip()
        if values["hiring_manager_id"] is None:
            values["hiring_manager_id"] = principal.employee_id
        _check_shape(values)
        await self._check_references(values, changed=set(values))
        await require_all(self.session, OrgUnit, data.visibility_unit_ids, "visibility_unit_ids")
        skills = data.skills
        opportunity = Opportunity(
            **values,
            status=OpportunityStatus.DRAFT,
            created_by=principal.actor,
            created_by_employee_id=principal.employee_id,
        )
        self.session.add(opportunity)
        await self.session.flush()
        if skills is None and opportunity.role_id is not None:
            await self._copy_role_skills(opportunity.id, opportunity.role_id)
        else:
            await self._set_skills(opportunity.id, skills or [])
        await self._set_units(opportunity.id, data.visibility_unit_ids)
        await note_change(self.session, "opportunity.created")
        return (await self.reads([opportunity]))[0]

    async def update(
        self, principal: Principal, opportunity_id: uuid.UUID, patch: OpportunityUpdate
    ) -> OpportunityRead:
        opportunity = await self._managed(principal, opportunity_id)
        if opportunity.status == OpportunityStatus.FILLED:
            raise ConflictError("the opening is filled; it can no longer change")
        values = changes(patch)
        before_manager = opportunity.hiring_manager_id
        skills = values.pop("skills", None)
        unit_ids = values.pop("visibility_unit_ids", None)
        changed = {f for f, v in values.items() if getattr(opportunity, f) != v}
        if opportunity.status != OpportunityStatus.DRAFT and (fixed := [f for f in _DRAFT_ONLY_FIELDS if f in changed]):
            raise ConflictError(f"{', '.join(fixed)} change only while the opening is a draft")
        if "title" in values:
            values["title"] = str(values["title"]).strip()
        merged = {f: getattr(opportunity, f) for f in _SHAPE_FIELDS} | values
        _check_shape(merged)
        await self._check_references(values, changed=changed, opportunity_id=opportunity.id)
        if "positions" in changed:
            hired = (await self._hired_counts([opportunity.id])).get(opportunity.id, 0)
            if values["positions"] < hired:
                raise InvalidInputError("positions", f"the opening has already hired {hired}")
        if opportunity.status == OpportunityStatus.OPEN and "closes_at" in changed:
            closes_at = values["closes_at"]
            if closes_at is not None and closes_at <= now():
                raise InvalidInputError("closes_at", "the deadline of an open opening must be in the future")
        apply(opportunity, values)
        if unit_ids is not None:
            await require_all(self.session, OrgUnit, unit_ids, "visibility_unit_ids")
            await self._set_units(opportunity.id, unit_ids)
        if skills is not None:
            await self._set_skills(opportunity.id, skills)
        await self.session.flush()
        if changed & _MATCHING_FIELDS or skills is not None or unit_ids is not None:
            await note_change(self.session, "opportunity.edited")
        if "positions" in changed:
            await self.fill_if_complete(opportunity)
        if "hiring_manager_id" in changed:
            # Who reads an opening's applicants is part of their confidentiality: every hand-over is
            # on the record (the applications' rule of who sees them is `on_hiring_side`).
            await record_change(
                self.session,
                principal,
                subject_employee_id=None,
                action="opportunity.hiring_manager_changed",
                object_type="opportunity",
                object_id=opportunity.id,
                details={"from": _id_text(before_manager), "to": _id_text(opportunity.hiring_manager_id)},
            )
        await self.session.refresh(opportunity)
        return (await self.reads([opportunity]))[0]

    async def open(self, principal: Principal, opportunity_id: uuid.UUID) -> OpportunityRead:
        """Publish a draft, or reopen a closed opening: refused when it lacks what applicants need (a
        description, a hiring manager) or its deadline has passed."""
        opportunity = await self._managed(principal, opportunity_id)
        if opportunity.status in (OpportunityStatus.OPEN, OpportunityStatus.FILLED):
            raise ConflictError(f"the opening is {opportunity.status.value}; only a draft or a closed one opens")
        if not (opportunity.description or "").strip():
            raise InvalidInputError("description", "an opening needs a description before it opens")
        if opportunity.hiring_manager_id is None:
            raise InvalidInputError("hiring_manager_id", "an opening needs a hiring manager before it opens")
        at = now()
        if opportunity.closes_at is not None and opportunity.closes_at <= at:
            raise InvalidInputError("closes_at", "the opening's deadline has passed; move closes_at first")
        if opportunity.type_id is not None:
            kind = await self.session.get(OpportunityType, opportunity.type_id)
            if kind is None or not kind.active:
                raise InvalidInputError("type_id", "the opening's type is retired")
        opportunity.status = OpportunityStatus.OPEN
        opportunity.opened_at = opportunity.opened_at or at
        opportunity.closed_at = None
        await self.session.flush()
        await note_change(self.session, "opportunity.opened")
        await self.session.refresh(opportunity)
        return (await self.reads([opportunity]))[0]

    async def close(self, principal: Principal, opportunity_id: uuid.UUID) -> OpportunityRead:
        """Stop taking applications (a draft closes too: abandoned). Applications in progress go on."""
        opportunity = await self._managed(principal, opportunity_id)
        if opportunity.status in (OpportunityStatus.CLOSED, OpportunityStatus.FILLED):
            raise ConflictError(f"the opening is already {opportunity.status.value}")
        opportunity.status = OpportunityStatus.CLOSED
        opportunity.closed_at = now()
        await self.session.flush()
        await note_change(self.session, "opportunity.closed")
        await self.session.refresh(opportunity)
        return (await self.reads([opportunity]))[0]

    async def fill_if_complete(self, opportunity: Opportunity) -> None:
        """Filled once its hires reach its positions (the caller holds the opening's row lock)."""
        if opportunity.status == OpportunityStatus.FILLED:
            return
        hired = (await self._hired_counts([opportunity.id])).get(opportunity.id, 0)
        if hired >= opportunity.positions:
            at = now()
            opportunity.status = OpportunityStatus.FILLED
            opportunity.filled_at = at
            opportunity.closed_at = opportunity.closed_at or at
            await self.session.flush()
            await note_change(self.session, "opportunity.filled")

    # --- helpers ------------------------------------------------------------------------------------

    async def _check_references(
        self, values: dict[str, Any], *, changed: set[str], opportunity_id: uuid.UUID | None = None
    ) -> None:
        for field, model in (("role_id", Role), ("org_unit_id", OrgUnit)):
            if field in changed and values.get(field) is not None:
                await require_all(self.session, model, [values[field]], field)
        if "type_id" in changed and values.get("type_id") is not None:
            kind = await self.session.get(OpportunityType, values["type_id"])
            if kind is None:
                raise InvalidInputError("type_id", f"opportunity type {values['type_id']} does not exist")
            if not kind.active:
                raise InvalidInputError("type_id", f"opportunity type {kind.name!r} is retired")
        if "hiring_manager_id" in changed and values.get("hiring_manager_id") is not None:
            await self._check_hiring_manager(values["hiring_manager_id"], opportunity_id)

    async def _check_hiring_manager(self, employee_id: uuid.UUID, opportunity_id: uuid.UUID | None) -> None:
        """Who may be named hiring manager: an active employee who manages people (at least one active
        direct report, as the directory says), and who is not competing for the opening. A hiring
        manager reads applicants and the candidates open to hiring managers: a signal people send to
        managers, not to any colleague."""
        manager = await self.session.get(Employee, employee_id)
        if manager is None or not manager.active:
            raise InvalidInputError("hiring_manager_id", f"employee {employee_id} does not exist or has left")
        if not await manages_people(self.session, manager.id):
            raise InvalidInputError(
                "hiring_manager_id",
                f"{manager.full_name} manages nobody: a hiring manager is an active employee with at least one "
                "active direct report",
            )
        if opportunity_id is not None and await self.session.scalar(
            select(Application.id).where(
                Application.opportunity_id == opportunity_id,
                Application.employee_id == manager.id,
                Application.stage.in_(LIVE_STAGES),
            )
        ):
            raise InvalidInputError("hiring_manager_id", f"{manager.full_name} is an applicant to this opening")

    async def _set_skills(self, opportunity_id: uuid.UUID, skills: Sequence[OpportunitySkillSet]) -> None:
        ids = [s.skill_id for s in skills]
        if len(set(ids)) != len(ids):
            raise InvalidInputError("skills", "a skill is listed twice")
        await require_all(self.session, Skill, ids, "skills")
        await self.session.execute(delete(OpportunitySkill).where(OpportunitySkill.opportunity_id == opportunity_id))
        if skills:
            await self.session.execute(
                insert(OpportunitySkill),
                [
                    {
                        "opportunity_id": opportunity_id,
                        "skill_id": s.skill_id,
                        "level": s.level,
                        "importance": s.importance,
                    }
                    for s in skills
                ],
            )

    async def _copy_role_skills(self, opportunity_id: uuid.UUID, role_id: uuid.UUID) -> None:
        role_skills = (await self.session.scalars(select(RoleSkill).where(RoleSkill.role_id == role_id))).all()
        if role_skills:
            await self.session.execute(
                insert(OpportunitySkill),
                [
                    {
                        "opportunity_id": opportunity_id,
                        "skill_id": r.skill_id,
                        "level": r.target_level,
                        "importance": r.importance,
                    }
                    for r in role_skills
                ],
            )

    async def _set_units(self, opportunity_id: uuid.UUID, unit_ids: Sequence[uuid.UUID]) -> None:
        await self.session.execute(
            delete(OpportunityVisibilityUnit).where(OpportunityVisibilityUnit.opportunity_id == opportunity_id)
        )
        if unit_ids:
            await self.session.execute(
                insert(OpportunityVisibilityUnit),
                [{"opportunity_id": opportunity_id, "org_unit_id": u} for u in set(unit_ids)],
            )

    async def _hired_counts(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Application.opportunity_id, func.count())
            .where(Application.opportunity_id.in_(ids), Application.stage == ApplicationStage.HIRED)
            .group_by(Application.opportunity_id)
        )
        return {opportunity_id: count for opportunity_id, count in rows.all()}

    async def reads(self, opportunities: Sequence[Opportunity]) -> list[OpportunityRead]:
        ids = [o.id for o in opportunities]
        skills: dict[uuid.UUID, list[OpportunitySkillRead]] = {i: [] for i in ids}
        units: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
        if ids:
            for opportunity_id, skill_id, label, level, importance in await self.session.execute(
                select(
                    OpportunitySkill.opportunity_id,
                    OpportunitySkill.skill_id,
                    Skill.label,
                    OpportunitySkill.level,
                    OpportunitySkill.importance,
                )
                .join(Skill, Skill.id == OpportunitySkill.skill_id)
                .where(OpportunitySkill.opportunity_id.in_(ids))
                .order_by(OpportunitySkill.opportunity_id, Skill.label)
            ):
                skills[opportunity_id].append(OpportunitySkillRead(skill_id, label, level, importance))
            for opportunity_id, unit_id in await self.session.execute(
                select(OpportunityVisibilityUnit.opportunity_id, OpportunityVisibilityUnit.org_unit_id)
                .where(OpportunityVisibilityUnit.opportunity_id.in_(ids))
                .order_by(OpportunityVisibilityUnit.opportunity_id, OpportunityVisibilityUnit.org_unit_id)
            ):
                units[opportunity_id].append(unit_id)
        hired = await self._hired_counts(ids)
        at = now()
        return [
            OpportunityRead(
                id=o.id,
                title=o.title,
                description=o.description,
                kind=o.kind,
                type_id=o.type_id,
                role_id=o.role_id,
                org_unit_id=o.org_unit_id,
                hiring_manager_id=o.hiring_manager_id,
                location=o.location,
                remote=o.remote,
                hours_per_week=o.hours_per_week,
                duration_weeks=o.duration_weeks,
                positions=o.positions,
                hired=hired.get(o.id, 0),
                level=o.level,
                min_level=o.min_level,
                max_level=o.max_level,
                visibility_unit_ids=units[o.id],
                skills=skills[o.id],
                status=o.status,
                accepting_applications=accepting_applications(o, at),
                opens_at=o.opens_at,
                closes_at=o.closes_at,
                opened_at=o.opened_at,
                closed_at=o.closed_at,
                filled_at=o.filled_at,
                created_by=o.created_by,
                created_by_employee_id=o.created_by_employee_id,
                created_at=o.created_at,
                updated_at=o.updated_at,
            )
            for o in opportunities
        ]


# The fields `_check_shape` looks at, read from the stored opening when a PATCH leaves them out.
_SHAPE_FIELDS = (
    "kind",
    "type_id",
    "role_id",
    "hours_per_week",
    "duration_weeks",
    "min_level",
    "max_level",
    "opens_at",
    "closes_at",
)


def _check_shape(values: dict[str, Any]) -> None:
    """The rules of each kind, and the bounds that go in pairs; each refusal names its field."""
    kind = values["kind"]
    if kind == OpportunityKind.ROLE:
        if values.get("role_id") is None:
            raise InvalidInputError("role_id", "an opening of kind role needs the role_id of a framework role")
        for field in ("hours_per_week", "duration_weeks"):
            if values.get(field) is not None:
                raise InvalidInputError(field, f"an opening of kind role takes no {field}")
    if kind in (OpportunityKind.GIG, OpportunityKind.PROJECT):
        for field in ("hours_per_week", "duration_weeks"):
            if values.get(field) is None:
                raise InvalidInputError(field, f"an opening of kind {kind.value} needs {field}")
        if values.get("role_id") is not None:
            raise InvalidInputError("role_id", f"an opening of kind {kind.value} takes no role_id")
    if (kind == OpportunityKind.CUSTOM) != (values.get("type_id") is not None):
        raise InvalidInputError(
            "type_id",
            "an opening of kind custom needs the type_id of one of the tenant's opportunity types"
            if kind == OpportunityKind.CUSTOM
            else f"an opening of kind {kind.value} takes no type_id",
        )
    low, high = values.get("min_level"), values.get("max_level")
    if low is not None and high is not None and low > high:
        raise InvalidInputError("min_level", "min_level is above max_level")
    opens, closes = values.get("opens_at"), values.get("closes_at")
    if opens is not None and closes is not None and closes <= opens:
        raise InvalidInputError("closes_at", "closes_at must come after opens_at")


def _id_text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)
