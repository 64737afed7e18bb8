"""The HR workspace's analytics (issue 18, point 7): the company's figures as charts, each with its
summary, its figures as a table and as a CSV file, and the audit log made readable; over the same
services, with the same principal and rules, as the API.

- `/hr/analytics`: mobility and the internal fill rate by month, the pipeline of applications by stage,
  skill gaps by department and mentoring participation by programme (`AnalyticsService`, as
  `GET /api/v1/analytics/{mobility,pipeline,skill-gaps,mentoring}`), filtered by a period of months
  (`start`, `end`, or a preset link: the mobility and fill-rate charts; the others are of today) and a
  department (`department`: that org unit and the units below it, every chart).
- `/hr/analytics/<chart>.csv`: a chart's figures with the same filters, one row a figure, numbers
  unformatted.
- `/hr/analytics/audit`: the audit log (`AuditService.list`, as `GET /api/v1/audit-events`), who and
  whose by name, when in the page's language, what changed from what to what, filtered by actor, action
  and period, a page at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_percent
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from markupsafe import Markup
from sqlalchemy import select

from backend.analytics.axes import Axis, count_axis, rate_axis
from backend.analytics.schemas import MentoringParticipation, MobilitySeries, Pipeline, SkillGaps
from backend.analytics.service import MAX_MONTHS, AnalyticsService
from backend.api.pagination import MAX_LIMIT
from backend.api.spreadsheets import safe_cell
from backend.audit.models import AuditEvent
from backend.audit.service import AuditService
from backend.auth.principal import Scope
from backend.errors import InvalidInputError
from backend.marketplace.models import Opportunity
from backend.org.models import Employee, OrgUnit
from backend.org.service import OrgService
from backend.portal.charts import Series, bar_chart
from backend.portal.hr import AREAS
from backend.portal.i18n import N_, Language
from backend.portal.lists import every, from_cursor, paging
from backend.portal.notices import RELEASE_NAMES, STAGE_NAMES
from backend.portal.routes import Visit

ANALYTICS = "/hr/analytics"
# What an empty value reads as.
NOTHING = "\N{EN DASH}"
AUDIT = f"{ANALYTICS}/audit"
DEFAULT_MONTHS = 12
PRESETS = (3, 6, 12, 24)
AUDIT_PAGE = 25
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# --- the figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a chart's figures: its key (the CSV's header), its title and how a value reads."""

    key: str
    title: str
    kind: str  # "text", "month", "count" or "rate"


@dataclass(frozen=True)
class Figures:
    """A chart's figures as a table: the page shows them formatted, the CSV file as they are."""

    columns: tuple[Column, ...]
    rows: list[list[Any]]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    summary: str
    figures: Figures
    svg: Markup | None


@dataclass(frozen=True)
class Answers:
    """The services' answers for one set of filters."""

    mobility: MobilitySeries
    pipeline: Pipeline
    gaps: SkillGaps
    mentoring: MentoringParticipation


MONTH = Column("month", N_("Month"), "month")
MOBILITY_COLUMNS = (
    MONTH,
    Column("headcount", N_("Headcount"), "count"),
    Column("internal_moves", N_("Internal moves"), "count"),
    Column("mobility_rate", N_("Mobility rate"), "rate"),
)
FILL_COLUMNS = (
    MONTH,
    Column("openings_closed", N_("Openings closed"), "count"),
    Column("filled_internally", N_("Filled internally"), "count"),
    Column("closed_otherwise", N_("Filled otherwise or not at all"), "count"),
    Column("internal_fill_rate", N_("Internal fill rate"), "rate"),
)
PIPELINE_COLUMNS = (Column("stage", N_("Stage"), "text"), Column("applications", N_("Applications"), "count"))
GAP_COLUMNS = (
    Column("department", N_("Department"), "text"),
    Column("demand", N_("Positions asking"), "count"),
    Column("covered", N_("Covered by its people"), "count"),
    Column("gap", N_("Gap"), "count"),
)
MENTORING_COLUMNS = (
    Column("programme", N_("Programme"), "text"),
    Column("mentors", N_("Mentors"), "count"),
    Column("mentees", N_("Mentees"), "count"),
    Column("active_pairings", N_("Live pairs"), "count"),
    Column("waiting_requests", N_("Waiting for a mentor"), "count"),
)
CHART_TITLES = {
    "mobility": N_("Internal mobility by month"),
    "fill-rate": N_("Openings filled internally by month"),
    "pipeline": N_("Applications to open openings by stage"),
    "skill-gaps": N_("Skill gaps by department"),
    "mentoring": N_("Mentoring participation by programme"),
}


def figures_of(chart: str, answers: Answers, language: Language) -> Figures:
    """One chart's figures (names in the page's language, values as the services answer them)."""
    if chart == "mobility":
        points = answers.mobility.points
        return Figures(MOBILITY_COLUMNS, [[p.month, p.headcount, p.internal_moves, p.mobility_rate] for p in points])
    if chart == "fill-rate":
        return Figures(
            FILL_COLUMNS,
            [
                [
                    p.month,
                    p.openings_closed,
                    p.filled_internally,
                    p.openings_closed - p.filled_internally,
                    p.internal_fill_rate,
                ]
                for p in answers.mobility.points
            ],
        )
    if chart == "pipeline":
        return Figures(
            PIPELINE_COLUMNS,
            [
                [language.gettext(STAGE_NAMES.get(s.stage.value, s.stage.value)), s.applications]
                for s in answers.pipeline.by_stage
            ],
        )
    if chart == "skill-gaps":
        return Figures(GAP_COLUMNS, [[d.name, d.demand, d.demand - d.gap, d.gap] for d in answers.gaps.departments])
    return Figures(
        MENTORING_COLUMNS,
        [[p.name, p.mentors, p.mentees, p.active_pairings, p.waiting_requests] for p in answers.mentoring.programmes],
    )


def month_name(language: Language, month: dt.date) -> str:
    return format_date(month, format="LLL y", locale=language.code)


def share(language: Language, fraction: float) -> str:
    """A rate with the decimals it needs (at most two): "0.34%", "12%"."""
    return format_percent(fraction, format="#,##0.##%", locale=language.code)


def shown(language: Language, column: Column, value: Any) -> str:
    """A figure as the page writes it."""
    if value is None:
        return NOTHING
    if column.kind == "month":
        return month_name(language, value)
    if column.kind == "count":
        return language.number(value)
    if column.kind == "rate":
        return share(language, value)
    return str(value)


def raw(column: Column, value: Any) -> str:
    """A figure as the CSV file writes it: ISO months, plain numbers, nothing for no value."""
    if value is None:
        return ""
    if column.kind == "month":
        return f"{value:%Y-%m}"
    return str(value)


def _values(figures: Figures, key: str) -> list[Any]:
    index = [c.key for c in figures.columns].index(key)
    return [row[index] for row in figures.rows]


def _chart(
    key: str,
    language: Language,
    summary: str,
    figures: Figures,
    label: str,
    series: Sequence[tuple[str, str]],
    rates: bool = False,
) -> Chart:
    """A chart of `figures`: a row per figure row (named by its `label` column), a bar per `series`
    (column key, name)."""
    title = language.gettext(CHART_TITLES[key])
    if not figures.rows:
        return Chart(key, title, summary, figures, None)
    label_column = next(c for c in figures.columns if c.key == label)
    categories = [shown(language, label_column, v) for v in _values(figures, label)]
    drawn = [Series(name, _values(figures, column)) for column, name in series]
    largest = max((v for s in drawn for v in s.values if v is not None), default=0)
    axis: Axis = rate_axis(largest) if rates else count_axis(largest)
    tick: Callable[[float], str] = (lambda v: share(language, v)) if rates else (lambda v: language.number(int(v)))
    svg = bar_chart(f"chart-{key}", title, summary, categories, drawn, axis, tick, tick)
    return Chart(key, title, summary, figures, svg)


def charts(answers: Answers, language: Language) -> list[Chart]:
    _ = language.gettext
    points = answers.mobility.points
    moves = sum(p.internal_moves for p in points)
    highest = max(points, key=lambda p: p.mobility_rate)
    closed = sum(p.openings_closed for p in points)
    internal = sum(p.filled_internally for p in points)
    pipeline, gaps, mentoring = answers.pipeline, answers.gaps, answers.mentoring
    demand, gap = sum(d.demand for d in gaps.departments), sum(d.gap for d in gaps.departments)
    number = language.number
    return [
        _chart(
            "mobility",
            language,
            _(
                "Internal moves over %(months)s months: %(moves)s. "
                "The highest monthly mobility rate was %(rate)s, in %(month)s."
            )
            % {
                "moves": number(moves),
                "months": number(len(points)),
                "rate": share(language, highest.mobility_rate),
                "month": month_name(language, highest.month),
            },
            figures_of("mobility", answers, language),
            "month",
            [("mobility_rate", _("Mobility rate"))],
            rates=True,
        ),
        _chart(
            "fill-rate",
            language,
            (
                _("Openings closed in the period: %(closed)s; filled internally: %(internal)s (%(rate)s).")
                % {"closed": number(closed), "internal": number(internal), "rate": share(language, internal / closed)}
            )
            if closed
            else _("No opening was filled or closed in the period."),
            figures_of("fill-rate", answers, language),
            "month",
            [("filled_internally", _("Filled internally")), ("closed_otherwise", _("Filled otherwise or not at all"))],
        ),
        _chart(
            "pipeline",
            language,
            _(
                "Applications to open openings: %(applications)s, on %(openings)s openings with %(positions)s "
                "positions; still in play: %(live)s."
            )
            % {
                "applications": number(pipeline.applications),
                "openings": number(pipeline.open_opportunities),
                "positions": number(pipeline.open_positions),
                "live": number(pipeline.live_applications),
            },
            figures_of("pipeline", answers, language),
            "stage",
            [("applications", _("Applications"))],
        ),
        _chart(
            "skill-gaps",
            language,
            _(
                "Positions of open openings asking for required skills: %(demand)s; "
                "not covered by the departments' own people: %(gap)s."
            )
            % {"demand": number(demand), "gap": number(gap)}
            if gaps.departments
            else _("No open opening of a department asks for a required skill."),
            figures_of("skill-gaps", answers, language),
            "department",
            [("covered", _("Covered by its people")), ("gap", _("Gap"))],
        ),
        _chart(
            "mentoring",
            language,
            _("In a mentoring pair: %(participants)s of %(active)s active people (%(rate)s).")
            % {
                "participants": number(mentoring.participants),
                "active": number(mentoring.active_employees),
                "rate": share(language, mentoring.participation_rate),
            },
            figures_of("mentoring", answers, language),
            "programme",
            [("mentors", _("Mentors")), ("mentees", _("Mentees")), ("waiting_requests", _("Waiting for a mentor"))],
        ),
    ]


# --- the filters ----------------------------------------------------------------------------------


@dataclass
class Filters:
    """The filters as typed (kept in the form and in every link) and what they mean."""

    start: str
    end: str
    department: str
    months: int = DEFAULT_MONTHS
    until: dt.date | None = None
    org_unit_id: uuid.UUID | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def query(self, **changed: str) -> str:
        kept = {"start": self.start, "end": self.end, "department": self.department, **changed}
        return urlencode({name: value for name, value in kept.items() if value})


def _month(text: str) -> dt.date | None:
    found = _MONTH.match(text)
    # A month of the calendar Python counts (year 1 to 9998: a period's last month has a next one).
    if not found or not 1 <= int(found.group(2)) <= 12 or not dt.MINYEAR <= int(found.group(1)) < dt.MAXYEAR:
        return None
    return dt.date(int(found.group(1)), int(found.group(2)), 1)


def _months_between(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def read_filters(language: Language, start: str, end: str, department: str, today: dt.date) -> Filters:
    """The period and the department as typed: empty is the last twelve months and the whole company;
    what cannot be read is refused beside its field (the services refuse the rest)."""
    filters = Filters(start.strip(), end.strip(), department.strip())
    _ = language.gettext
    last = _month(filters.end) if filters.end else dt.date(today.year, today.month, 1)
    first = _month(filters.start) if filters.start else None
    if last is None:
        filters.errors["end"] = _("Give a month as year and month, e.g. 2026-06.")
    if filters.start and first is None:
        filters.errors["start"] = _("Give a month as year and month, e.g. 2026-06.")
    if last is not None:
        filters.until = last
        filters.months = _months_between(first, last) if first is not None else DEFAULT_MONTHS
    if filters.department:
        try:
            filters.org_unit_id = uuid.UUID(filters.department)
        except ValueError:
            filters.errors["department"] = _("Choose a department from the list.")
    return filters


def refused_filter(language: Language, exc: InvalidInputError) -> tuple[str, str]:
    """A service's refusal of the filters, beside the field it concerns, in the page's words."""
    _ = language.gettext
    if exc.field == "months":
        return "start", _("The period starts on or before its last month and spans at most %(months)s months.") % {
            "months": MAX_MONTHS
        }
    if exc.field == "until":
        return "end", _("The period cannot end after the current month.")
    return "department", _("Choose a department from the list.")


async def answers_for(visit: Visit, filters: Filters) -> Answers | None:
    """The services' answers for the filters (None, with the refusal beside its field, when refused)."""
    if filters.errors:
        return None
    service = AnalyticsService(visit.db)
    unit = filters.org_unit_id
    try:
        mobility = await service.mobility(filters.months, today=filters.until, org_unit_id=unit)
        return Answers(
            mobility,
            await service.pipeline(org_unit_id=unit),
            await service.skill_gaps(org_unit_id=unit),
            await service.mentoring(org_unit_id=unit),
        )
    except InvalidInputError as exc:
        name, message = refused_filter(visit.language, exc)
        filters.errors[name] = message
        return None


def _this_month() -> dt.date:
    today = dt.datetime.now(dt.UTC).date()
    return dt.date(today.year, today.month, 1)


def csv_text(figures: Figures) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.key for c in figures.columns])
    for row in figures.rows:
        writer.writerow([safe_cell(raw(c, v)) for c, v in zip(figures.columns, row, strict=True)])
    return out.getvalue()


async def departments(visit: Visit) -> list[OrgUnit]:
    org = OrgService(visit.db)
    units = await every(lambda c: org.list_units(parent_id=None, kind=None, q=None, cursor=c, limit=MAX_LIMIT))
    return sorted(units, key=lambda u: u.name.lower())


# --- the audit log --------------------------------------------------------------------------------

ACTIONS: dict[str, str] = {
    "application.viewed": N_("Application viewed"),
    "application.created": N_("Application made"),
    "application.converted": N_("Interest turned into an application"),
    "application.stage_changed": N_("Application moved to another stage"),
    "application.manager_informed": N_("Manager told of an application"),
    "aspirations.viewed": N_("Aspirations viewed"),
    "aspirations.changed": N_("Aspirations changed"),
    "candidates.viewed": N_("Candidate list viewed"),
    "release.answered": N_("Release answered"),
    "opportunity.hiring_manager_changed": N_("Hiring manager changed"),
    "matching_weights.changed": N_("Matching weights changed"),
    "mobility_policy.changed": N_("Mobility policy changed"),
}
DETAIL_NAMES: dict[str, str] = {
    "stage": N_("Stage"),
    "opportunity_id": N_("Opening"),
    "application_id": N_("Application"),
    "manager_id": N_("Manager"),
    "policy": N_("Policy"),
    "action": N_("Answer"),
    "reason": N_("Reason"),
    "changed": N_("Changed"),
    "open_to_move": N_("Open to move"),
    "manager_notice": N_("Manager told"),
    "release_days": N_("Days to answer a release"),
    "version": N_("Version"),
}
# The values an entry's details hold from the product's own lists (the mobility policy's choices, the
# open-to-move levels, a release's answers, the parts of aspirations that changed), in words; anything
# else is shown as stored.
VALUE_NAMES: dict[str, str] = {
    "at_application": N_("When they apply"),
    "at_offer": N_("At the offer stage"),
    "never_before_move": N_("Not before the move"),
    "hidden": N_("Hidden"),
    "hr_only": N_("HR only"),
    "hiring_managers": N_("Open to hiring managers"),
    "requested": N_("Asked"),
    "release": N_("Release"),
    "delay": N_("Delay"),
    "block": N_("Block"),
    "override": N_("Override"),
    "lapsed": N_("Lapsed"),
    "cancelled": N_("Cancelled"),
    "target_role_ids": N_("Target roles"),
    "skill_ids": N_("Skills to grow"),
    "open_to_move": N_("Open to move"),
}
# The one line of an entry whose details are just {"from", "to"}: what it was a change of.
FROM_TO_NAMES = {"application.stage_changed": N_("Stage"), "opportunity.hiring_manager_changed": N_("Hiring manager")}


@dataclass(frozen=True)
class Change:
    """One line of what an entry says: a name, and a value or a change from one value to another."""

    name: str
    before: str | None
    after: str


@dataclass(frozen=True)
class Entry:
    when: str
    who: str
    what: str
    whose: str
    changes: list[Change]


def _ids_in(value: Any) -> Iterable[str]:
    if isinstance(value, str) and _UUID.match(value):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _ids_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _ids_in(item)


async def names_of(visit: Visit, events: Sequence[AuditEvent]) -> dict[str, str]:
    """The people and openings an audit page names, by id (text), as a person reads them."""
    ids: set[uuid.UUID] = set()
    for event in events:
        ids.update(i for i in (event.actor_employee_id, event.subject_employee_id, event.object_id) if i)
        ids.update(uuid.UUID(i) for i in _ids_in(event.details))
    if not ids:
        return {}
    people = await visit.db.execute(select(Employee.id, Employee.full_name).where(Employee.id.in_(ids)))
    openings = await visit.db.execute(select(Opportunity.id, Opportunity.title).where(Opportunity.id.in_(ids)))
    return {str(i): name for i, name in [*people.tuples(), *openings.tuples()]}


def _readable(language: Language, names: Mapping[str, str], value: Any) -> str:
    _ = language.gettext
    if value is None or value == "":
        return NOTHING
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return language.number(value)
    if isinstance(value, str):
        if _UUID.match(value):
            return names.get(value, _("(no longer there)"))
        if value in STAGE_NAMES:
            return _(STAGE_NAMES[value])
        if value in RELEASE_NAMES:
            return _(RELEASE_NAMES[value])
        if value in VALUE_NAMES:
            return _(VALUE_NAMES[value])
        return value
    if isinstance(value, Mapping):
        return "; ".join(f"{k.replace('_', ' ')}: {_readable(language, names, v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_readable(language, names, v) for v in value) or NOTHING
    return str(value)


def changes_of(language: Language, names: Mapping[str, str], event: AuditEvent) -> list[Change]:
    """What an entry's details say, line by line: "stage: Applied → Interview", "reason: ..."."""
    _ = language.gettext
    details = event.details or {}

    def read(value: Any) -> str:
        return _readable(language, names, value)

    def name(key: str) -> str:
        return _(DETAIL_NAMES[key]) if key in DETAIL_NAMES else key.replace("_", " ")

    if set(details) == {"from", "to"}:
        return [Change(_(FROM_TO_NAMES.get(event.action, N_("Value"))), read(details["from"]), read(details["to"]))]
    lines: list[Change] = []
    before, after = details.get("before"), details.get("after")
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        # Settings before and after (the matching weights): the ones that changed.
        for key in after:
            if before.get(key) != after[key]:
                lines.append(Change(name(key), read(before.get(key)), read(after[key])))
    for key, value in details.items():
        if key in ("before", "after") and lines:
            continue
        if isinstance(value, list) and len(value) == 2 and key not in ("changed",):
            lines.append(Change(name(key), read(value[0]), read(value[1])))
        elif isinstance(value, Mapping) and set(value) == {"before", "after"}:
            lines.append(Change(name(key), read(value["before"]), read(value["after"])))
        elif key == "changed":
            lines.append(Change(name(key), None, ", ".join(read(v) for v in value)))
        else:
            lines.append(Change(name(key), None, read(value)))
    return lines


def actor_name(language: Language, names: Mapping[str, str], event: AuditEvent) -> str:
    if event.actor_employee_id is not None:
        return names.get(str(event.actor_employee_id), language.gettext("(no longer there)"))
    if event.actor_client_id:
        return language.gettext("Partner app %(client)s") % {"client": event.actor_client_id}
    return event.actor_subject


def entries(language: Language, names: Mapping[str, str], events: Sequence[AuditEvent]) -> list[Entry]:
    return [
        Entry(
            when=language.datetime(e.at.replace(microsecond=0)),
            who=actor_name(language, names, e),
            what=language.gettext(ACTIONS[e.action]) if e.action in ACTIONS else e.action.replace("_", " "),
            whose=names.get(str(e.subject_employee_id), NOTHING) if e.subject_employee_id else NOTHING,
            changes=changes_of(language, names, e),
        )
        for e in events
    ]


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


# --- the pages ------------------------------------------------------------------------------------

CHART_KEYS = tuple(CHART_TITLES)
CSV_PATHS = [f"{ANALYTICS}/{key}.csv" for key in CHART_KEYS]


class HRAnalyticsController(Controller):
    include_in_schema = False

    @get(ANALYTICS, opt={"scope": Scope.ANALYTICS_READ}, name="portal:hr-analytics")
    async def analytics(
        self,
        visit: NamedDependency[Visit],
        start: FromQuery[str] = "",
        end: FromQuery[str] = "",
        department: FromQuery[str] = "",
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        language = visit.language
        today = dt.datetime.now(dt.UTC).date()
        filters = read_filters(language, start, end, department, today)
        answers = await answers_for(visit, filters)
        this_month = _this_month()
        presets = [
            (
                months,
                filters.query(
                    start=f"{_month_back(this_month, months - 1):%Y-%m}",
                    end=f"{this_month:%Y-%m}",
                ),
            )
            for months in PRESETS
        ]
        return await visit.page(
            "hr_analytics.html",
            status=422 if filters.errors else 200,
            areas=AREAS,
            filters=filters,
            errors=filters.errors,
            units=await departments(visit),
            charts=charts(answers, language) if answers else [],
            presets=presets,
            shown=lambda column, value: shown(language, column, value),
            first_month=_month_back(filters.until or this_month, filters.months - 1),
            last_month=filters.until or this_month,
            month_name=lambda m: month_name(language, m),
        )

    @get(CSV_PATHS, opt={"scope": Scope.ANALYTICS_READ}, name="portal:hr-analytics-csv")
    async def figures_csv(
        self,
        visit: NamedDependency[Visit],
        request: Request[Any, Any, Any],
        start: FromQuery[str] = "",
        end: FromQuery[str] = "",
        department: FromQuery[str] = "",
    ) -> Response[Any]:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        chart = request.url.path.rsplit("/", 1)[-1].removesuffix(".csv")
        language = visit.language
        filters = read_filters(language, start, end, department, dt.datetime.now(dt.UTC).date())
        answers = await answers_for(visit, filters)
        if answers is None:
            return Response(
                "\n".join(f"{name}: {message}" for name, message in filters.errors.items()),
                status_code=422,
                media_type="text/plain; charset=utf-8",
            )
        return Response(
            csv_text(figures_of(chart, answers, language)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{chart}.csv"'},
        )

    @get(AUDIT, opt={"scope": Scope.AUDIT_READ}, name="portal:hr-audit")
    async def audit(
        self,
        visit: NamedDependency[Visit],
        actor: FromQuery[str] = "",
        action: FromQuery[str] = "",
        since: FromQuery[str] = "",
        until: FromQuery[str] = "",
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        language = visit.language
        _ = language.gettext
        typed = {"actor": actor, "action": action, "since": since.strip(), "until": until.strip()}
        errors: dict[str, str] = {}
        actor_id: uuid.UUID | None = None
        if actor:
            try:
                actor_id = uuid.UUID(actor)
            except ValueError:
                errors["actor"] = _("Choose a person from the list.")
        if action and action not in ACTIONS:
            errors["action"] = _("Choose an action from the list.")
        first, last = _day(typed["since"]), _day(typed["until"])
        for name, day in (("since", first), ("until", last)):
            if typed[name] and day is None:
                errors[name] = _("Give a day as year, month and day, e.g. 2026-06-30.")
        if first and last and last < first:
            errors["until"] = _("The last day cannot be before the first.")
        # The log holds nothing yet to come (and the calendar's last day has no next one to count to).
        today = dt.datetime.now(dt.UTC).date()
        for name, day in (("since", first), ("until", last)):
            if day is not None and day > today and name not in errors:
                errors[name] = _("Choose a day up to today.")
        service = AuditService(visit.db)
        events: Sequence[AuditEvent] = []
        next_cursor = None
        if not errors:
            events, next_cursor, cursor = await from_cursor(
                lambda c: service.list(
                    visit.principal,
                    subject_employee_id=None,
                    actor_employee_id=actor_id,
                    actor_subject=None,
                    action=action or None,
                    since=dt.datetime.combine(first, dt.time(), dt.UTC) if first else None,
                    until=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC) if last else None,
                    cursor=c,
                    limit=AUDIT_PAGE,
                ),
                cursor,
            )
        actors = await service.actors(visit.principal)
        names = await names_of(visit, events)
        people = await visit.db.execute(select(Employee.id, Employee.full_name).where(Employee.id.in_(actors)))
        return await visit.page(
            "hr_analytics_audit.html",
            status=422 if errors else 200,
            areas=AREAS,
            typed=typed,
            errors=errors,
            entries=entries(language, names, events),
            actors=sorted(((str(i), n) for i, n in people.tuples()), key=lambda p: p[1].lower()),
            actions=sorted(((key, _(label)) for key, label in ACTIONS.items()), key=lambda a: a[1].lower()),
            **paging(AUDIT, cursor, next_cursor, **typed),
        )


def _month_back(month: dt.date, back: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)
