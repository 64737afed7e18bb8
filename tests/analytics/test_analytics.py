"""Analytics against a company built through the API, with the numbers a user would check by hand.

    Company (division)
    ├── Data (department): dan (manager, SQL -), eva (SQL 5 then 3: current 3, no start date),
    │   │                  old (SQL 5, has left)
    │   └── Analytics (team): ana (SQL 4, Python 3), tom (SQL 2, started two months ago)
    └── Sales (department): sam (manager), lia (Python 4, started this month, reports to sam)

Openings: open O1 (gig, Data, 2 positions: SQL 3 essential, Python 3 important), O2 (Rotation, a
custom type, Analytics: SQL 4 important, Python 5 nice to have), O4 (gig, Data: SQL 5), O8 (project, no
department, 3 positions: SQL 5); a draft; O5 (Sales) filled this month by tom's hire; O7 (Sales) filled
by lia's hire, back-dated two months; O6 (Sales) closed unfilled, back-dated one month.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text

from backend.analytics.service import AnalyticsService, month_starts
from backend.auth.principal import ROLE_SCOPES, Scope, UserRole
from backend.errors import InvalidInputError
from backend.mentoring.runs import PairingRunService
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem

Client = AsyncTestClient[Litestar]
API = "/api/v1"
ANALYTICS = f"{API}/analytics"
ROUTES = ("mobility", "pipeline", "skill-gaps", "mentoring")


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def months_ago(k: int, today: date | None = None) -> date:
    """The first day of the UTC month `k` months before `today`'s."""
    return month_starts(today or datetime.now(UTC).date(), k + 1)[0]


def at(day: date) -> str:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).isoformat()


def execute(owner_engine: Engine, tenant: TenantRef, sql: str, **params: Any) -> None:
    """Back-date what the API stamps with the current time (as the schema's owner)."""
    with owner_engine.begin() as connection:
        connection.execute(text("SELECT set_config('search_path', :s, true)"), {"s": tenant.schema_name})
        connection.execute(text(sql), params)


class Company:
    def __init__(self, client: Client, tenant: TenantRef, auth: TokenFactory) -> None:
        self.client, self.tenant, self.auth = client, tenant, auth
        self.hr = auth(tenant, UserRole.HR_ADMIN)
        self.units: dict[str, str] = {}
        self.people: dict[str, str] = {}
        self.skills: dict[str, str] = {}
        self.openings: dict[str, str] = {}
        self.programmes: dict[str, str] = {}

    def as_(self, name: str, role: UserRole = UserRole.EMPLOYEE) -> dict[str, str]:
        return self.auth(self.tenant, role, employee_id=uuid.UUID(self.people[name]))

    async def post(self, path: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
        response = await self.client.post(f"{API}{path}", json=body, headers=headers or self.hr)
        assert response.status_code in (200, 201, 202), response.text
        return response.json()

    async def unit(self, name: str, kind: str, parent: str | None = None) -> None:
        body = {"name": name, "kind": kind, "parent_id": self.units[parent] if parent else None}
        self.units[name] = (await self.post("/org-units", body))["id"]

    async def person(self, name: str, unit: str, start: date | None, manager: str | None = None, **skills: int) -> None:
        body = {
            "email": f"{name}@{self.tenant.slug.replace('_', '-')}.example",  # a domain has no underscore
            "full_name": name.title(),
            "org_unit_id": self.units[unit],
            "start_date": start.isoformat() if start else None,
            # Sam, the hiring manager of every opening, manages someone, as a hiring manager must.
            "manager_id": self.people[manager] if manager else None,
        }
        self.people[name] = (await self.post("/employees", body))["id"]
        for skill, level in skills.items():
            await self.rate(name, skill, level)

    async def rate(self, name: str, skill: str, level: int) -> None:
        await ok(
            await self.client.put(
                f"{API}/employees/{self.people[name]}/skills/{self.skills[skill]}",
                json={"level": level, "source": "manager"},
                headers=self.hr,
            )
        )

    async def skill(self, label: str) -> None:
        self.skills[label.lower()] = (await self.post("/skills", {"label": label}))["id"]

    async def opening(
        self,
        key: str,
        kind: str,
        unit: str | None,
        skills: list[tuple[str, int, str]],
        publish: bool = True,
        **extra: Any,
    ) -> str:
        body: dict[str, Any] = {
            "title": key,
            "kind": kind,
            "description": f"The {key} opening.",
            "org_unit_id": self.units[unit] if unit else None,
            "hiring_manager_id": self.people["sam"],
            "skills": [{"skill_id": self.skills[s], "level": lv, "importance": imp} for s, lv, imp in skills],
            **extra,
        }
        if kind in ("gig", "project"):
            body |= {"hours_per_week": 10, "duration_weeks": 6}
        created = await self.post("/opportunities", body)
        if publish:
            await self.post(f"/opportunities/{created['id']}/open")
        self.openings[key] = created["id"]
        return str(created["id"])

    async def apply(self, key: str, who: str, kind: str = "application") -> str:
        created = await self.post(f"/opportunities/{self.openings[key]}/applications", {"kind": kind}, self.as_(who))
        return str(created["id"])

    async def stage(self, application_id: str, to: str, note: str | None = None) -> None:
        await self.post(f"/applications/{application_id}/stage", {"to": to} | ({"note": note} if note else {}))

    async def get(self, route: str, headers: dict[str, str] | None = None) -> Any:
        return await ok(await self.client.get(f"{ANALYTICS}/{route}", headers=headers or self.hr))


async def build_company(
    client: Client, tenant: TenantRef, auth: TokenFactory, owner_engine: Engine, database: Database
) -> Company:
    c = Company(client, tenant, auth)
    today = datetime.now(UTC).date()
    await c.unit("Company", "division")
    await c.unit("Data", "department", "Company")
    await c.unit("Analytics", "team", "Data")
    await c.unit("Sales", "department", "Company")
    for label in ("SQL", "Python"):
        await c.skill(label)

    await c.person("dan", "Data", date(2019, 3, 1))
    await c.person("ana", "Analytics", date(2020, 6, 15), sql=4, python=3)
    await c.person("tom", "Analytics", months_ago(2, today) + timedelta(days=14), sql=2)
    # A skill lowered: only the current level counts, not the one in her history.
    await c.person("eva", "Data", None, sql=5)
    await c.rate("eva", "sql", 3)
    await c.person("sam", "Sales", date(2018, 1, 1))
    await c.person("lia", "Sales", months_ago(0, today), "sam", python=4)
    # People leave by `active: false`: out of every headcount and of the supply of skills.
    await c.person("old", "Data", date(2018, 1, 1), sql=5)
    await ok(await client.patch(f"{API}/employees/{c.people['old']}", json={"active": False}, headers=c.hr))

    rotation = await c.post("/opportunity-types", {"name": "Rotation"})
    await c.opening("O1", "gig", "Data", [("sql", 3, "essential"), ("python", 3, "important")], positions=2)
    await c.opening(
        "O2", "custom", "Analytics", [("sql", 4, "important"), ("python", 5, "nice_to_have")], type_id=rotation["id"]
    )
    await c.opening("O4", "gig", "Data", [("sql", 5, "essential")])
    await c.opening("O8", "project", None, [("sql", 5, "essential")], positions=3)
    await c.opening("draft", "gig", "Data", [("python", 5, "essential")], publish=False, positions=9)
    await c.opening("O5", "gig", "Sales", [("sql", 2, "essential")])
    await c.opening("O6", "gig", "Sales", [("python", 2, "essential")])
    await c.opening("O7", "gig", "Sales", [("python", 2, "essential")])

    # The pipeline of the open openings: one application at each of five stages.
    await c.apply("O1", "ana")
    await c.apply("O1", "eva", kind="interest")
    await c.stage(await c.apply("O4", "tom"), "screening")
    await c.post(f"/applications/{await c.apply('O8', 'lia')}/withdraw", {}, c.as_("lia"))
    await c.stage(await c.apply("O8", "dan"), "rejected", note="Not this time")

    # Hires (no release is needed: tom has no manager, lia's is the hiring manager): tom this month, lia
    # two months ago.
    tom_on_o5 = await c.apply("O5", "tom")
    await c.stage(tom_on_o5, "offer")
    await c.stage(tom_on_o5, "hired")
    lia_on_o7 = await c.apply("O7", "lia")
    await c.stage(lia_on_o7, "offer")
    await c.stage(lia_on_o7, "hired")
    two_months_ago = at(months_ago(2, today) + timedelta(days=4))
    execute(
        owner_engine,
        tenant,
        "UPDATE moves SET moved_at = :t WHERE opportunity_id = :o",
        t=two_months_ago,
        o=c.openings["O7"],
    )
    execute(
        owner_engine,
        tenant,
        "UPDATE opportunities SET filled_at = :t, closed_at = :t WHERE id = :o",
        t=two_months_ago,
        o=c.openings["O7"],
    )
    # Closed without a hire (its application stays, and counts nowhere: the opening is not open).
    await c.apply("O6", "lia")
    await c.post(f"/opportunities/{c.openings['O6']}/close")
    execute(
        owner_engine,
        tenant,
        "UPDATE opportunities SET closed_at = :t WHERE id = :o",
        t=at(months_ago(1, today) + timedelta(days=9)),
        o=c.openings["O6"],
    )

    # Mentoring: ana mentors tom and lia (one pair started); eva shares no language and waits; in a
    # second programme dan waits and sam is a mentor without a mentee.
    programme = await c.post("/mentoring/programmes", {"name": "Data mentoring", "kind": "evergreen", "status": "open"})
    pid = programme["id"]
    await c.post(f"/mentoring/programmes/{pid}/mentor-profiles", {"languages": ["en"], "capacity": 2}, c.as_("ana"))
    for who, language in (("tom", "en"), ("lia", "en"), ("eva", "de")):
        await c.post(
            f"/mentoring/programmes/{pid}/mentee-requests", {"goals": "Grow", "languages": [language]}, c.as_(who)
        )
    run = await c.post(f"/mentoring/programmes/{pid}/runs", {"objective": "most_matched"})
    async with database.tenant_session(tenant) as session, session.begin():
        await PairingRunService(session).run(uuid.UUID(run["id"]))
    await c.post(f"/mentoring/runs/{run['id']}/publish")
    pairs = (await ok(await client.get(f"{API}/mentoring/runs/{run['id']}/pairings", headers=c.hr)))["items"]
    assert sorted(p["mentee_employee_id"] for p in pairs) == sorted([c.people["tom"], c.people["lia"]])
    tom_pair = next(p for p in pairs if p["mentee_employee_id"] == c.people["tom"])
    await c.post(f"/mentoring/pairings/{tom_pair['id']}/start", None, c.as_("tom"))

    circle = await c.post("/mentoring/programmes", {"name": "Sales circle", "kind": "evergreen", "status": "open"})
    await c.post(f"/mentoring/programmes/{circle['id']}/mentor-profiles", {"languages": ["en"]}, c.as_("sam"))
    await c.post(
        f"/mentoring/programmes/{circle['id']}/mentee-requests", {"goals": "Sell", "languages": ["en"]}, c.as_("dan")
    )
    c.programmes = {"Data mentoring": pid, "Sales circle": circle["id"]}
    return c


@pytest.fixture(scope="module")
async def company(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, owner_engine: Engine, database: Database
) -> Company:
    return await build_company(client, make_tenant(), auth, owner_engine, database)


def point(month: date, headcount: int, moves: int, closed: int, internal: int) -> dict[str, Any]:
    return {
        "month": month.isoformat(),
        "headcount": headcount,
        "internal_moves": moves,
        "mobility_rate": pytest.approx(moves / headcount if headcount else 0.0),
        "openings_closed": closed,
        "filled_internally": internal,
        "internal_fill_rate": pytest.approx(internal / closed) if closed else None,
    }


async def test_mobility_by_month(company: Company) -> None:
    now = months_ago(0)
    series = await company.get("mobility?months=3")
    assert series["months"] == 3
    assert series["points"] == [
        # lia's hire (back-dated) and O7 filled; tom started in the month.
        point(months_ago(2), 5, 1, 1, 1),
        # O6 closed without a hire.
        point(months_ago(1), 5, 0, 1, 0),
        # tom's hire and O5 filled; lia started: 6 active people (old has left).
        point(now, 6, 1, 1, 1),
    ]
    assert series["points"][2]["mobility_rate"] == pytest.approx(1 / 6)
    assert series["points"][0]["mobility_rate"] == pytest.approx(0.2)

    default = await company.get("mobility")
    assert default["months"] == 12
    assert [p["month"] for p in default["points"]] == [m.isoformat() for m in month_starts(now, 12)]
    # Before tom started: dan, ana, sam and eva (whose start date is unknown, so counted throughout).
    assert default["points"][:9] == [point(m, 4, 0, 0, 0) for m in month_starts(months_ago(3), 9)]
    assert default["points"][9:] == series["points"]
    assert (await company.get("mobility?months=1"))["points"] == series["points"][2:]


async def test_mobility_of_a_given_day_through_the_service(company: Company, database: Database) -> None:
    """The console asks the service directly, for any day: the window ends at that day's month."""
    last_month = months_ago(1)
    async with database.tenant_session(company.tenant) as session, session.begin():
        series = await AnalyticsService(session).mobility(2, today=last_month + timedelta(days=20))
    assert [
        (p.month, p.headcount, p.internal_moves, p.openings_closed, p.filled_internally) for p in series.points
    ] == [
        (months_ago(2), 5, 1, 1, 1),
        (last_month, 5, 0, 1, 0),
    ]
    assert (series.points[0].internal_fill_rate, series.points[1].internal_fill_rate) == (1.0, 0.0)
    # The console gets the same bounds as the API, as a domain error naming the argument.
    async with database.tenant_session(company.tenant) as session, session.begin():
        with pytest.raises(InvalidInputError) as months:
            await AnalyticsService(session).mobility(61)
        with pytest.raises(InvalidInputError) as limit:
            await AnalyticsService(session).skill_gaps(0)
    assert (months.value.field, limit.value.field) == ("months", "limit")


def test_month_windows_cross_years() -> None:
    assert month_starts(date(2024, 2, 29), 3) == [date(2023, 12, 1), date(2024, 1, 1), date(2024, 2, 1)]
    assert month_starts(date(2024, 12, 31), 1) == [date(2024, 12, 1)]
    assert len(month_starts(date(2024, 1, 15), 60)) == 60
    assert month_starts(date(2024, 1, 15), 60)[0] == date(2019, 2, 1)


async def test_pipeline(company: Company) -> None:
    pipeline = await company.get("pipeline")
    rotation = next(k for k in pipeline["by_kind"] if k["kind"] == "custom")
    assert pipeline["by_kind"] == [
        {"kind": "role", "type_id": None, "name": "role", "opportunities": 0, "positions": 0},
        {"kind": "gig", "type_id": None, "name": "gig", "opportunities": 2, "positions": 3},
        {"kind": "project", "type_id": None, "name": "project", "opportunities": 1, "positions": 3},
        {"kind": "custom", "type_id": rotation["type_id"], "name": "Rotation", "opportunities": 1, "positions": 1},
    ]
    assert pipeline["by_stage"] == [
        {"stage": "interested", "applications": 1},
        {"stage": "applied", "applications": 1},
        {"stage": "screening", "applications": 1},
        {"stage": "interview", "applications": 0},
        {"stage": "offer", "applications": 0},
        {"stage": "hired", "applications": 0},
        {"stage": "rejected", "applications": 1},
        {"stage": "withdrawn", "applications": 1},
    ]
    assert (pipeline["open_opportunities"], pipeline["open_positions"], pipeline["applications"]) == (4, 7, 5)


async def test_skill_gaps(company: Company) -> None:
    sql, python = company.skills["sql"], company.skills["python"]
    gaps = await company.get("skill-gaps")
    assert gaps == {
        "limit": 10,
        "departments": [
            {
                "org_unit_id": company.units["Data"],
                "name": "Data",
                "kind": "department",
                "demand": 5,
                "gap": 2,
                "skills": [
                    # O1: 2 positions at Python 3; in Data and its Analytics team only ana has it.
                    {"skill_id": python, "skill_name": "Python", "level": 3, "demand": 2, "supply": 1, "gap": 1},
                    # O1: 2 positions at SQL 3 and O4: 1 at SQL 5; ana (4) and eva (3 now) cover two of them,
                    # neither the SQL 5 one. old (SQL 5) has left; eva's former 5 is history.
                    {"skill_id": sql, "skill_name": "SQL", "level": 3, "demand": 3, "supply": 2, "gap": 1},
                ],
            },
            {
                "org_unit_id": company.units["Analytics"],
                "name": "Analytics",
                "kind": "team",
                "demand": 1,
                "gap": 0,
                # O2's nice-to-have Python 5 is no demand.
                "skills": [{"skill_id": sql, "skill_name": "SQL", "level": 4, "demand": 1, "supply": 1, "gap": 0}],
            },
        ],
    }
    top = await company.get("skill-gaps?limit=1")
    assert top["limit"] == 1
    assert [(d["name"], d["demand"], d["gap"], [s["skill_name"] for s in d["skills"]]) for d in top["departments"]] == [
        ("Data", 5, 2, ["Python"]),
        ("Analytics", 1, 0, ["SQL"]),
    ]


async def test_mentoring(company: Company) -> None:
    programmes = company.programmes
    mentoring = await company.get("mentoring")
    assert mentoring == {
        "programmes": [
            {
                "programme_id": programmes["Data mentoring"],
                "name": "Data mentoring",
                "status": "open",
                "mentors": 1,
                "mentees": 2,
                "active_pairings": 2,
                "waiting_requests": 1,
            },
            {
                "programme_id": programmes["Sales circle"],
                "name": "Sales circle",
                "status": "open",
                "mentors": 0,
                "mentees": 0,
                "active_pairings": 0,
                "waiting_requests": 1,
            },
        ],
        # ana, tom and lia of 6 active people.
        "participants": 3,
        "active_employees": 6,
        "participation_rate": 0.5,
    }


async def test_only_analytics_readers_get_in(company: Company) -> None:
    assert Scope.ANALYTICS_READ not in ROLE_SCOPES[UserRole.EMPLOYEE]
    assert Scope.ANALYTICS_READ not in ROLE_SCOPES[UserRole.MANAGER]
    for route in ROUTES:
        for headers in (company.as_("ana"), company.as_("dan", UserRole.MANAGER)):
            assert (
                "analytics:read"
                in problem(await company.client.get(f"{ANALYTICS}/{route}", headers=headers), 403)["detail"]
            )
        problem(await company.client.get(f"{ANALYTICS}/{route}"), 401)
    # Any holder of the scope reads them, not only a token with the HR role.
    reader = company.auth(company.tenant, UserRole.MANAGER, scopes=("analytics:read",))
    assert (await company.get("pipeline", reader))["open_opportunities"] == 4


@pytest.mark.parametrize(
    "query",
    ["mobility?months=0", "mobility?months=61", "mobility?months=abc", "skill-gaps?limit=0", "skill-gaps?limit=51"],
)
async def test_bad_parameters_are_400(company: Company, query: str) -> None:
    body = problem(await company.client.get(f"{ANALYTICS}/{query}", headers=company.hr), 400)
    assert query.split("?")[1].split("=")[0] in body["detail"]


async def test_the_bounds_are_accepted(company: Company) -> None:
    assert len((await company.get("mobility?months=60"))["points"]) == 60
    assert (await company.get("skill-gaps?limit=50"))["limit"] == 50


async def test_a_tenant_sees_its_own_numbers_only(
    company: Company, client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    before = {route: await company.get(route) for route in ROUTES}
    other = Company(client, make_tenant(), auth)
    await other.unit("Ops", "department")
    await other.skill("SQL")
    await other.person("sam", "Ops", date(2022, 1, 1), sql=1)
    await other.person("max", "Ops", date(2022, 1, 1), "sam")
    await other.opening("Ops gig", "gig", "Ops", [("sql", 2, "essential")])

    assert [
        (p["headcount"], p["internal_moves"], p["openings_closed"])
        for p in (await other.get("mobility?months=3"))["points"]
    ] == [(2, 0, 0)] * 3
    pipeline = await other.get("pipeline")
    assert (pipeline["open_opportunities"], pipeline["open_positions"], pipeline["applications"]) == (1, 1, 0)
    assert [k["name"] for k in pipeline["by_kind"]] == ["role", "gig", "project"]
    gaps = await other.get("skill-gaps")
    assert gaps["departments"] == [
        {
            "org_unit_id": other.units["Ops"],
            "name": "Ops",
            "kind": "department",
            "demand": 1,
            "gap": 1,
            "skills": [
                {"skill_id": other.skills["sql"], "skill_name": "SQL", "level": 2, "demand": 1, "supply": 0, "gap": 1}
            ],
        }
    ]
    assert await other.get("mentoring") == {
        "programmes": [],
        "participants": 0,
        "active_employees": 2,
        "participation_rate": 0.0,
    }
    # And the first company's numbers did not move.
    assert {route: await company.get(route) for route in ROUTES} == before


async def test_an_empty_tenant(client: Client, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    hr = auth(make_tenant())
    series = await ok(await client.get(f"{ANALYTICS}/mobility?months=2", headers=hr))
    assert [p["headcount"] for p in series["points"]] == [0, 0]
    assert {(p["mobility_rate"], p["internal_fill_rate"]) for p in series["points"]} == {(0.0, None)}
    pipeline = await ok(await client.get(f"{ANALYTICS}/pipeline", headers=hr))
    assert pipeline["applications"] == pipeline["open_opportunities"] == 0
    assert len(pipeline["by_stage"]) == 8
    assert await ok(await client.get(f"{ANALYTICS}/skill-gaps", headers=hr)) == {"limit": 10, "departments": []}
    mentoring = await ok(await client.get(f"{ANALYTICS}/mentoring", headers=hr))
    assert (mentoring["participants"], mentoring["active_employees"], mentoring["participation_rate"]) == (0, 0, 0.0)


async def test_a_higher_level_is_not_covered_by_people_below_it(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    """Two positions (SQL 3 and SQL 5) and two people at SQL 3: two people at the lowest level asked, but
    nobody for the SQL 5 position, so the gap is 1 (not max(0, 2 - 2))."""
    c = Company(client, make_tenant(), auth)
    await c.unit("Ops", "department")
    await c.unit("Night shift", "team", "Ops")
    await c.skill("SQL")
    await c.person("sam", "Ops", None)
    await c.person("kim", "Night shift", None, "sam", sql=3)
    await c.person("joe", "Ops", None, sql=3)
    await c.opening("Reports", "gig", "Ops", [("sql", 3, "essential")])
    await c.opening("Warehouse", "gig", "Ops", [("sql", 5, "essential")])
    [ops] = (await c.get("skill-gaps"))["departments"]
    assert (ops["name"], ops["demand"], ops["gap"]) == ("Ops", 2, 1)
    assert [(s["level"], s["demand"], s["supply"], s["gap"]) for s in ops["skills"]] == [(3, 2, 2, 1)]


async def test_a_closed_opening_that_hired_was_filled_internally(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    """One of two positions hired, then the opening closed: it closed, and filled internally."""
    c = Company(client, make_tenant(), auth)
    await c.unit("Ops", "department")
    await c.skill("SQL")
    await c.person("sam", "Ops", date(2020, 1, 1))
    await c.person("kim", "Ops", date(2020, 1, 1), "sam")
    await c.opening("Pair", "gig", "Ops", [("sql", 1, "essential")], positions=2)
    kim = await c.apply("Pair", "kim")
    await c.stage(kim, "offer")
    await c.stage(kim, "hired")
    await c.post(f"/opportunities/{c.openings['Pair']}/close")
    [now] = (await c.get("mobility?months=1"))["points"]
    assert now == point(months_ago(0), 2, 1, 1, 1)
    # Closed, so no longer in the pipeline.
    assert (await c.get("pipeline"))["open_opportunities"] == 0


async def test_a_department_and_the_units_below_it(company: Company) -> None:
    """`org_unit_id`: Data (with its Analytics team) holds dan, ana, tom and eva, O1, O2 and O4; Sales
    holds sam and lia, O5, O6 and O7; O8 has no department and counts only for the whole company."""
    data, sales = company.units["Data"], company.units["Sales"]
    # Tom left Analytics for Sales' O5 this month; lia's hire was within Sales.
    assert (await company.get(f"mobility?months=3&org_unit_id={data}"))["points"] == [
        point(months_ago(2), 4, 0, 0, 0),
        point(months_ago(1), 4, 0, 0, 0),
        point(months_ago(0), 4, 1, 0, 0),
    ]
    assert (await company.get(f"mobility?months=3&org_unit_id={sales}"))["points"] == [
        point(months_ago(2), 1, 1, 1, 1),
        point(months_ago(1), 1, 0, 1, 0),
        point(months_ago(0), 2, 1, 1, 1),
    ]

    pipeline = await company.get(f"pipeline?org_unit_id={data}")
    assert [(k["name"], k["opportunities"], k["positions"]) for k in pipeline["by_kind"]] == [
        ("role", 0, 0),
        ("gig", 2, 3),
        ("project", 0, 0),
        ("Rotation", 1, 1),
    ]
    assert [s["applications"] for s in pipeline["by_stage"]] == [1, 1, 1, 0, 0, 0, 0, 0]
    assert (pipeline["open_opportunities"], pipeline["open_positions"], pipeline["applications"]) == (3, 4, 3)
    assert pipeline["live_applications"] == 3
    assert (await company.get(f"pipeline?org_unit_id={sales}"))["open_opportunities"] == 0

    analytics = await company.get(f"skill-gaps?org_unit_id={company.units['Analytics']}")
    assert [(d["name"], d["demand"], d["gap"]) for d in analytics["departments"]] == [("Analytics", 1, 0)]
    assert (await company.get(f"skill-gaps?org_unit_id={sales}"))["departments"] == []

    def programmes(answer: dict[str, Any]) -> list[tuple[str, int, int, int, int]]:
        return [
            (p["name"], p["mentors"], p["mentees"], p["active_pairings"], p["waiting_requests"])
            for p in answer["programmes"]
        ]

    # ana mentors tom (Data) and lia (Sales); eva and dan (Data) wait.
    in_data = await company.get(f"mentoring?org_unit_id={data}")
    assert programmes(in_data) == [("Data mentoring", 1, 1, 2, 1), ("Sales circle", 0, 0, 0, 1)]
    assert (in_data["participants"], in_data["active_employees"], in_data["participation_rate"]) == (2, 4, 0.5)
    in_sales = await company.get(f"mentoring?org_unit_id={sales}")
    assert programmes(in_sales) == [("Data mentoring", 0, 1, 1, 0), ("Sales circle", 0, 0, 0, 0)]
    assert (in_sales["participants"], in_sales["active_employees"], in_sales["participation_rate"]) == (1, 2, 0.5)


async def test_a_window_ending_in_an_earlier_month(company: Company) -> None:
    last_month = months_ago(1)
    series = await company.get(f"mobility?months=2&until={(last_month + timedelta(days=3)).isoformat()}")
    assert series["points"] == [point(months_ago(2), 5, 1, 1, 1), point(last_month, 5, 0, 1, 0)]


@pytest.mark.parametrize("route", ROUTES)
async def test_an_unknown_department_is_refused(company: Company, route: str) -> None:
    body = problem(await company.client.get(f"{ANALYTICS}/{route}?org_unit_id={uuid.uuid4()}", headers=company.hr), 422)
    assert body["errors"] == [{"field": "org_unit_id", "message": "no such org unit"}]


async def test_a_window_cannot_end_after_the_current_month(company: Company) -> None:
    next_month = months_ago(0) + timedelta(days=40)
    body = problem(
        await company.client.get(f"{ANALYTICS}/mobility?until={next_month.isoformat()}", headers=company.hr), 422
    )
    assert body["errors"] == [{"field": "until", "message": "the period cannot end after the current month"}]
