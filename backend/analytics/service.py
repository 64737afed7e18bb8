"""Tenant analytics as SQL aggregations on the caller's tenant-pinned session.

Each figure is computed by Postgres (grouped subqueries and window functions) in one statement, or
two, so that the cost stays a few index or sequential scans whatever the tenant's size; Python only
shapes the rows. Months are UTC calendar months. Who may read these is the route's business (the
scope `analytics:read`); the consultants' console calls the same service. The definitions, and where
the tables fall short of the ideal ones, are in docs/analytics.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnExpressionArgument,
    Date,
    DateTime,
    and_,
    bindparam,
    cast,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from backend.analytics.schemas import (
    DepartmentGaps,
    KindCount,
    MentoringParticipation,
    MobilityPoint,
    MobilitySeries,
    Pipeline,
    ProgrammeParticipation,
    SkillGap,
    SkillGaps,
    StageCount,
)
from backend.crud import descendants
from backend.errors import InvalidInputError
from backend.framework.models import Importance
from backend.marketplace.models import (
    LIVE_STAGES,
    Application,
    ApplicationStage,
    Move,
    Opportunity,
    OpportunityKind,
    OpportunitySkill,
    OpportunityStatus,
    OpportunityType,
)
from backend.mentoring.models import IN_POOL, LIVE_STATES, MenteeRequest, Pairing, Programme
from backend.org.models import Employee, OrgUnit
from backend.skills.models import EmployeeSkill, Skill, current_levels

MAX_MONTHS = 60
MAX_SKILLS = 50
BUILT_IN_KINDS = (OpportunityKind.ROLE, OpportunityKind.GIG, OpportunityKind.PROJECT)

# Literal rather than bound: a bound 'month' would be a different parameter in SELECT and GROUP BY,
# and Postgres would refuse the grouping.
_MONTH: ColumnElement[str] = literal_column("'month'")
_UTC: ColumnElement[str] = literal_column("'UTC'")


def _utc_month(moment: ColumnExpressionArgument[Any]) -> ColumnElement[date]:
    """The first day of the UTC calendar month of a timestamptz (whatever the session's time zone)."""
    return cast(func.date_trunc(_MONTH, func.timezone(_UTC, moment)), Date)


def _date_month(day: ColumnExpressionArgument[Any]) -> ColumnElement[date]:
    # A date cast to a timestamp without zone, so that no time zone is involved at all.
    return cast(func.date_trunc(_MONTH, cast(day, DateTime(timezone=False))), Date)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def month_starts(today: date, months: int) -> list[date]:
    """The first days of the last `months` calendar months, oldest first, `today`'s month last."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 1)]


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _unfilled_positions() -> ColumnElement[int]:
    """An opening's positions not filled yet (its positions less its hires): a position someone was
    hired into is no longer open, nor demand for skills."""
    hires = (
        select(func.count())
        .where(Application.opportunity_id == Opportunity.id, Application.stage == ApplicationStage.HIRED)
        .correlate(Opportunity)
        .scalar_subquery()
    )
    return func.greatest(Opportunity.positions - hires, 0)


class AnalyticsService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _units(self, org_unit_id: uuid.UUID | None) -> list[uuid.UUID] | None:
        """A department filter: the unit and every unit below it (None: the whole company). An unknown
        unit is refused as the argument it came in, as a bad number of months is."""
        if org_unit_id is None:
            return None
        if await self.session.get(OrgUnit, org_unit_id) is None:
            raise InvalidInputError("org_unit_id", "no such org unit")
        return [org_unit_id, *await descendants(self.session, OrgUnit, "parent_id", org_unit_id)]

    # --- mobility -----------------------------------------------------------------------------------

    async def mobility(
        self, months: int = 12, *, today: date | None = None, org_unit_id: uuid.UUID | None = None
    ) -> MobilitySeries:
        """One point per calendar month of the last `months`, oldest first, `today`'s month (the current
        one unless given) included. `org_unit_id`: the people of that unit and the units below it, the
        moves into or out of it, and its openings (by their department) only."""
        now = datetime.now(UTC).date()
        if today is not None and (today.year, today.month) > (now.year, now.month):
            raise InvalidInputError("until", "the period cannot end after the current month")
        if not 1 <= months <= MAX_MONTHS:
            raise InvalidInputError("months", f"months must be between 1 and {MAX_MONTHS}")
        units = await self._units(org_unit_id)
        starts = month_starts(today or now, months)
        since = datetime.combine(starts[0], time(), UTC)
        until = datetime.combine(_next_month(starts[-1]), time(), UTC)
        # One array parameter rather than a VALUES row per month: the statement's text is the same
        # for every window, so one prepared statement serves them all.
        series = (
            func.unnest(bindparam("months", starts, type_=ARRAY(Date)))
            .table_valued(column("month", Date))
            .render_derived(name="series")
        )

        # Headcount: today's active employees by the month they started (NULL: unknown), then for
        # every month those who started by then; no leaving date is recorded, so leavers are out of
        # every month, and people without a start date are in every month.
        started = _date_month(Employee.start_date)
        cohorts = (
            select(started.label("month"), func.count().label("people"))
            .where(Employee.active, *_within(Employee.org_unit_id, units))
            .group_by(started)
            .subquery("cohorts")
        )
        headcount = (
            select(series.c.month, func.coalesce(func.sum(cohorts.c.people), 0).label("headcount"))
            .select_from(series.outerjoin(cohorts, or_(cohorts.c.month.is_(None), cohorts.c.month <= series.c.month)))
            .group_by(series.c.month)
            .subquery("headcount")
        )

        moved = _utc_month(Move.moved_at)
        moves = (
            select(moved.label("month"), func.count().label("moves"))
            .where(Move.moved_at >= since, Move.moved_at < until, *_moved_within(units))
            .group_by(moved)
            .subquery("moves")
        )

        # An opening counts once, in the month its outcome was settled: filled (its closing date stays
        # that of an earlier close, when it was closed before its last hire), else closed. A reopened
        # one has no closed_at until it closes again.
        settled_at = func.coalesce(Opportunity.filled_at, Opportunity.closed_at)
        settled = _utc_month(settled_at)
        hired = exists().where(
            Application.opportunity_id == Opportunity.id, Application.stage == ApplicationStage.HIRED
        )
        closings = (
            select(
                settled.label("month"),
                func.count().label("closed"),
                func.count().filter(or_(Opportunity.status == OpportunityStatus.FILLED, hired)).label("internal"),
            )
            .where(
                Opportunity.status.in_((OpportunityStatus.CLOSED, OpportunityStatus.FILLED)),
                settled_at >= since,
                settled_at < until,
                *_within(Opportunity.org_unit_id, units),
            )
            .group_by(settled)
            .subquery("closings")
        )

        rows = await self.session.execute(
            select(
                headcount.c.month,
                headcount.c.headcount,
                func.coalesce(moves.c.moves, 0).label("moves"),
                func.coalesce(closings.c.closed, 0).label("closed"),
                func.coalesce(closings.c.internal, 0).label("internal"),
            )
            .select_from(
                headcount.outerjoin(moves, moves.c.month == headcount.c.month).outerjoin(
                    closings, closings.c.month == headcount.c.month
                )
            )
            .order_by(headcount.c.month)
        )
        points = []
        for row in rows:
            people, moved_n, closed, internal = int(row.headcount), int(row.moves), int(row.closed), int(row.internal)
            points.append(
                MobilityPoint(
                    month=row.month,
                    headcount=people,
                    internal_moves=moved_n,
                    mobility_rate=_rate(moved_n, people),
                    openings_closed=closed,
                    filled_internally=internal,
                    internal_fill_rate=internal / closed if closed else None,
                )
            )
        return MobilitySeries(months=months, points=points)

    # --- pipeline -----------------------------------------------------------------------------------

    async def pipeline(self, *, org_unit_id: uuid.UUID | None = None) -> Pipeline:
        """Open openings by kind (the tenant's types by name) and their applications by stage;
        `org_unit_id`: the openings of that unit and the units below it only."""
        units = await self._units(org_unit_id)
        of_units = _within(Opportunity.org_unit_id, units)
        is_open = and_(Opportunity.status == OpportunityStatus.OPEN, *of_units)
        kinds = await self.session.execute(
            select(
                Opportunity.kind,
                Opportunity.type_id,
                OpportunityType.name,
                func.count().label("opportunities"),
                func.sum(_unfilled_positions()).label("positions"),
            )
            .outerjoin(OpportunityType, OpportunityType.id == Opportunity.type_id)
            .where(is_open)
            .group_by(Opportunity.kind, Opportunity.type_id, OpportunityType.name)
        )
        stages = await self.session.execute(
            select(Application.stage, func.count().label("applications"))
            .join(Opportunity, Opportunity.id == Application.opportunity_id)
            .where(is_open)
            .group_by(Application.stage)
        )
        # In play: not hired, rejected or withdrawn, on an opening that may still hire (open, or closed
        # with its applications going on; a filled one hires nobody more).
        live = await self.session.scalar(
            select(func.count())
            .select_from(Application)
            .join(Opportunity, Opportunity.id == Application.opportunity_id)
            .where(
                Application.stage.in_(LIVE_STAGES),
                Opportunity.status.in_((OpportunityStatus.OPEN, OpportunityStatus.CLOSED)),
                *of_units,
            )
        )
        built_in = {kind: KindCount(kind, None, kind.value, 0, 0) for kind in BUILT_IN_KINDS}
        custom: list[KindCount] = []
        for row in kinds:
            count = KindCount(
                kind=row.kind,
                type_id=row.type_id,
                name=row.name if row.type_id is not None else row.kind.value,
                opportunities=int(row.opportunities),
                positions=int(row.positions),
            )
            if row.type_id is None and row.kind in built_in:
                built_in[row.kind] = count
            else:
                custom.append(count)
        custom.sort(key=lambda k: (k.name.lower(), str(k.type_id)))
        by_kind = [*built_in.values(), *custom]
        counted = {row.stage: int(row.applications) for row in stages}
        # The enum is declared in lifecycle order: the way forward, then the two ways out.
        by_stage = [StageCount(stage, counted.get(stage, 0)) for stage in ApplicationStage]
        return Pipeline(
            open_opportunities=sum(k.opportunities for k in by_kind),
            open_positions=sum(k.positions for k in by_kind),
            applications=sum(s.applications for s in by_stage),
            live_applications=int(live or 0),
            by_kind=by_kind,
            by_stage=by_stage,
        )

    # --- skill gaps ---------------------------------------------------------------------------------

    async def skill_gaps(self, limit: int = 10, *, org_unit_id: uuid.UUID | None = None) -> SkillGaps:
        """Demand for required skills by the open openings of each department against the people of
        the department (its sub-units included) at the level asked; `org_unit_id`: the departments of
        that unit and the units below it only."""
        if not 1 <= limit <= MAX_SKILLS:
            raise InvalidInputError("limit", f"limit must be between 1 and {MAX_SKILLS}")
        units = await self._units(org_unit_id)
        # Units of demand per (department, skill, level asked): one per position of an opening.
        demand = (
            select(
                Opportunity.org_unit_id.label("unit_id"),
                OpportunitySkill.skill_id,
                OpportunitySkill.level,
                func.sum(_unfilled_positions()).label("units"),
            )
            .join(OpportunitySkill, OpportunitySkill.opportunity_id == Opportunity.id)
            .where(
                Opportunity.status == OpportunityStatus.OPEN,
                Opportunity.org_unit_id.is_not(None),
                OpportunitySkill.importance != Importance.NICE_TO_HAVE,
                *_within(Opportunity.org_unit_id, units),
            )
            .group_by(Opportunity.org_unit_id, OpportunitySkill.skill_id, OpportunitySkill.level)
            .cte("demand")
        )
        # Each department with demand, paired with itself and every unit below it. UNION (not ALL):
        # should the tree ever hold a loop, the recursion still ends.
        tree = (
            select(demand.c.unit_id.label("root"), demand.c.unit_id.label("member"))
            .distinct()
            .cte("tree", recursive=True)
        )
        tree = tree.union(select(tree.c.root, OrgUnit.id).join(OrgUnit, OrgUnit.parent_id == tree.c.member))
        # People per (department, skill, current level), for the skills the department asks for. An
        # employee sits in one unit and has one level per skill (the highest of its current ratings),
        # so count(*) counts people.
        held = current_levels(EmployeeSkill.skill_id.in_(select(demand.c.skill_id)))
        supply = (
            select(
                tree.c.root.label("unit_id"),
                held.c.skill_id,
                held.c.level,
                func.count().label("people"),
            )
            .select_from(tree)
            .join(Employee, and_(Employee.org_unit_id == tree.c.member, Employee.active))
            .join(held, held.c.employee_id == Employee.id)
            .where(tuple_(tree.c.root, held.c.skill_id).in_(select(demand.c.unit_id, demand.c.skill_id)))
            .group_by(tree.c.root, held.c.skill_id, held.c.level)
            .cte("supply")
        )
        # At each level t asked: the units asked at t or above, and the people at t or above. A person
        # covers one unit at or below their level, so the units nobody can cover are the largest
        # shortfall over those levels (Hall's theorem for nested sets); with a single level asked it is
        # simply max(0, demand - supply).
        at_or_above = func.sum(demand.c.units).over(
            partition_by=(demand.c.unit_id, demand.c.skill_id), order_by=demand.c.level.desc()
        )
        people_at_or_above = (
            select(func.coalesce(func.sum(supply.c.people), 0))
            .where(
                supply.c.unit_id == demand.c.unit_id,
                supply.c.skill_id == demand.c.skill_id,
                supply.c.level >= demand.c.level,
            )
            .scalar_subquery()
        )
        thresholds = select(
            demand.c.unit_id,
            demand.c.skill_id,
            demand.c.level,
            demand.c.units,
            at_or_above.label("units_at_or_above"),
            people_at_or_above.label("people_at_or_above"),
        ).cte("thresholds")
        per_skill = (
            select(
                thresholds.c.unit_id,
                thresholds.c.skill_id,
                func.min(thresholds.c.level).label("level"),
                func.sum(thresholds.c.units).label("demand"),
                # People at or above the lowest level asked: the most at any level.
                func.max(thresholds.c.people_at_or_above).label("supply"),
                func.greatest(0, func.max(thresholds.c.units_at_or_above - thresholds.c.people_at_or_above)).label(
                    "gap"
                ),
            )
            .group_by(thresholds.c.unit_id, thresholds.c.skill_id)
            .cte("per_skill")
        )
        ranked = (
            select(
                per_skill,
                Skill.label.label("skill_name"),
                OrgUnit.name.label("unit_name"),
                OrgUnit.kind.label("unit_kind"),
                func.row_number()
                .over(partition_by=per_skill.c.unit_id, order_by=(per_skill.c.gap.desc(), Skill.label, Skill.id))
                .label("rank"),
                func.sum(per_skill.c.gap).over(partition_by=per_skill.c.unit_id).label("unit_gap"),
                func.sum(per_skill.c.demand).over(partition_by=per_skill.c.unit_id).label("unit_demand"),
            )
            .join(Skill, Skill.id == per_skill.c.skill_id)
            .join(OrgUnit, OrgUnit.id == per_skill.c.unit_id)
            .subquery("ranked")
        )
        rows = await self.session.execute(
            select(ranked)
            .where(ranked.c.rank <= limit)
            .order_by(ranked.c.unit_gap.desc(), ranked.c.unit_name, ranked.c.unit_id, ranked.c.rank)
        )
        departments: dict[uuid.UUID, DepartmentGaps] = {}
        for row in rows:
            department = departments.get(row.unit_id)
            if department is None:
                department = departments[row.unit_id] = DepartmentGaps(
                    org_unit_id=row.unit_id,
                    name=row.unit_name,
                    kind=row.unit_kind,
                    demand=int(row.unit_demand),
                    gap=int(row.unit_gap),
                    skills=[],
                )
            department.skills.append(
                SkillGap(
                    skill_id=row.skill_id,
                    skill_name=row.skill_name,
                    level=int(row.level),
                    demand=int(row.demand),
                    supply=int(row.supply),
                    gap=int(row.gap),
                )
            )
        return SkillGaps(limit=limit, departments=list(departments.values()))

    # --- mentoring ----------------------------------------------------------------------------------

    async def mentoring(self, *, org_unit_id: uuid.UUID | None = None) -> MentoringParticipation:
        """Per programme its live pairings and the people in them; overall the share of active
        employees in a live pairing of any programme. `org_unit_id`: the people of that unit and the
        units below it only (a pairing counts when either of its two is one of them)."""
        units = await self._units(org_unit_id)
        members = _within(Employee.org_unit_id, units)
        live = Pairing.state.in_(LIVE_STATES)
        of_programme = and_(Pairing.programme_id == Programme.id, live)
        if units is not None:
            people_of_units = select(Employee.id).where(*members)
            of_programme = and_(
                of_programme,
                or_(Pairing.mentor_employee_id.in_(people_of_units), Pairing.mentee_employee_id.in_(people_of_units)),
            )

        def distinct_people(person: ColumnExpressionArgument[Any]) -> Any:
            counted = select(func.count(func.distinct(person))).where(of_programme)
            if units is not None:
                counted = counted.where(person.in_(select(Employee.id).where(*members)))  # type: ignore[union-attr]
            return counted.scalar_subquery()

        waiting = (
            select(func.count())
            .select_from(MenteeRequest)
            .join(Employee, Employee.id == MenteeRequest.employee_id)
            .where(
                MenteeRequest.programme_id == Programme.id,
                MenteeRequest.status.in_(IN_POOL),
                Employee.active,
                *members,
                ~exists().where(Pairing.mentee_request_id == MenteeRequest.id, live),
            )
            .scalar_subquery()
        )
        programmes = await self.session.execute(
            select(
                Programme.id,
                Programme.name,
                Programme.status,
                distinct_people(Pairing.mentor_employee_id).label("mentors"),
                distinct_people(Pairing.mentee_employee_id).label("mentees"),
                select(func.count()).select_from(Pairing).where(of_programme).scalar_subquery().label("pairings"),
                waiting.label("waiting"),
            ).order_by(Programme.name, Programme.id)
        )
        # Only active employees count as participants, so that the rate is a share of the headcount.
        people = union(
            select(Pairing.mentor_employee_id.label("employee_id")).where(live),
            select(Pairing.mentee_employee_id.label("employee_id")).where(live),
        ).subquery("people")
        totals = (
            await self.session.execute(
                select(
                    select(func.count())
                    .select_from(people)
                    .join(Employee, Employee.id == people.c.employee_id)
                    .where(Employee.active, *members)
                    .scalar_subquery()
                    .label("participants"),
                    select(func.count())
                    .select_from(Employee)
                    .where(Employee.active, *members)
                    .scalar_subquery()
                    .label("active"),
                )
            )
        ).one()
        return MentoringParticipation(
            programmes=_programmes(programmes.all()),
            participants=int(totals.participants),
            active_employees=int(totals.active),
            participation_rate=_rate(int(totals.participants), int(totals.active)),
        )


def _within(unit: ColumnElement[Any] | Any, units: list[uuid.UUID] | None) -> tuple[ColumnElement[bool], ...]:
    """The condition that `unit` is one of a department filter's units (none without a filter)."""
    return () if units is None else (unit.in_(units),)


def _moved_within(units: list[uuid.UUID] | None) -> tuple[ColumnElement[bool], ...]:
    """A move concerns a department when it left it or went into it (filled one of its openings)."""
    return () if units is None else (or_(Move.from_org_unit_id.in_(units), Move.to_org_unit_id.in_(units)),)


def _programmes(rows: Sequence[Any]) -> list[ProgrammeParticipation]:
    return [
        ProgrammeParticipation(
            programme_id=row.id,
            name=row.name,
            status=row.status,
            mentors=int(row.mentors),
            mentees=int(row.mentees),
            active_pairings=int(row.pairings),
            waiting_requests=int(row.waiting),
        )
        for row in rows
    ]
