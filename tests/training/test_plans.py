"""Training plans: the cheapest cover with its reasons, unclosable gaps, idempotent recomputes, and
who may see a plan (its target role is an aspiration)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from backend.training.models import TrainingPlan, TrainingPlanCourse
from backend.training.plans import TrainingPlanService
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.training.conftest import CATALOG_CSV, BuildTraining, Training, course_ids, import_csv, ok

Client = AsyncTestClient[Litestar]


async def recompute_all(database: Database, tenant: TenantRef, job_id: uuid.UUID | None = None) -> dict[str, Any]:
    """What the `training.recommend_all` actor does, in a transaction of its own."""
    seen: list[int] = []

    async def progress(percent: int) -> None:
        seen.append(percent)

    async with database.tenant_session(tenant) as session, session.begin():
        summary = await TrainingPlanService(session).recompute_all(progress=progress, job_id=job_id)
    assert seen == sorted(seen)
    assert seen[-1] >= 90
    return summary


async def stored(database: Database, tenant: TenantRef) -> tuple[int, int]:
    async with database.tenant_session(tenant) as session, session.begin():
        plans = await session.scalar(select(func.count()).select_from(TrainingPlan))
        courses = await session.scalar(select(func.count()).select_from(TrainingPlanCourse))
    return int(plans or 0), int(courses or 0)


def essence(plans: list[dict[str, Any]]) -> list[Any]:
    """A plan without what changes on every recompute (ids, times, job)."""
    return [
        {k: v for k, v in p.items() if k not in ("id", "computed_at", "job_id")}
        for p in sorted(plans, key=lambda p: p["target_role_id"])
    ]


async def test_the_cheapest_cover_with_reasons_and_unclosable_gaps(
    client: Client, build_training: BuildTraining, database: Database
) -> None:
    t = await build_training()
    await ok(await import_csv(client, t.hr, CATALOG_CSV))
    ids = await course_ids(client, t.hr)
    summary = await recompute_all(database, t.tenant)
    assert summary["employees"] == 1
    assert summary["plans"] == 1
    assert summary["unclosable_gaps"] == 1

    [plan] = (await ok(await client.get(f"/api/v1/employees/{t.employee_id}/training-plans", headers=t.me)))["items"]
    assert plan["target_role_id"] == t.role_id
    assert plan["target_role_title"] == "Data Analyst"
    assert plan["origin"] == "aspiration"
    # B (SQL and Tableau, 300) + C (Python, 250) = 550, not A alone (900) nor A + anything.
    assert [c["course_id"] for c in plan["courses"]] == [ids["B"], ids["C"]]
    assert (plan["total_cost"], plan["currency"], plan["total_hours"]) == (550.0, "EUR", 40.5)
    b, c = plan["courses"]
    assert [(g["skill_label"], g["from_level"], g["to_level"], g["required_level"]) for g in b["closes"]] == [
        ("SQL", 1, 3, 3),
        ("Tableau", None, 3, 3),
    ]
    assert b["reason"] == "Takes SQL from 1 to 3 (role needs 3); Takes Tableau from none recorded to 3 (role needs 3)"
    assert c["reason"] == "Takes Python from 2 to 5 (role needs 3)"
    gaps = {g["skill_label"]: g for g in plan["gaps"]}
    assert {k: (g["status"], g["closed_by"]) for k, g in gaps.items()} == {
        "SQL": ("closed", ids["B"]),
        "Tableau": ("closed", ids["B"]),
        "Python": ("closed", ids["C"]),
        # No course teaches negotiation: the plan says so rather than pretend.
        "Negotiation": ("unclosable", None),
    }
    assert gaps["Negotiation"]["importance"] == "nice_to_have"

    # Deactivating B makes A (which closes all three) cheaper than any other cover left.
    await ok(await client.post(f"/api/v1/courses/{ids['B']}/deactivate", headers=t.hr))
    await recompute_all(database, t.tenant)
    [plan] = (await ok(await client.get(f"/api/v1/employees/{t.employee_id}/training-plans", headers=t.me)))["items"]
    assert [c["course_id"] for c in plan["courses"]] == [ids["A"]]
    assert plan["total_cost"] == 900.0


async def test_recomputing_twice_leaves_one_identical_set_of_plans(
    client: Client, build_training: BuildTraining, database: Database
) -> None:
    t = await build_training()
    await ok(await import_csv(client, t.hr, CATALOG_CSV))
    # A chosen opportunity as well as the aspiration: two plans.
    requested = await ok(
        await client.post(
            f"/api/v1/employees/{t.employee_id}/training-plans", json={"role_id": t.other_role_id}, headers=t.me
        ),
        201,
    )
    assert requested["origin"] == "requested"
    assert [c["course_id"] for c in requested["courses"]] == [(await course_ids(client, t.hr))["C"]]

    # HR asks for the recompute: a job, run here the way the worker runs it.
    job = await ok(await client.post("/api/v1/training-plans/recompute", headers=t.hr), 202)
    assert (job["kind"], job["status"]) == ("training.recommend_all", "queued")
    first = await recompute_all(database, t.tenant, uuid.UUID(job["id"]))
    url = f"/api/v1/employees/{t.employee_id}/training-plans"
    plans = (await ok(await client.get(url, headers=t.me)))["items"]
    counts = await stored(database, t.tenant)
    assert {p["job_id"] for p in plans} == {job["id"]}
    assert {p["origin"] for p in plans} == {"aspiration", "requested"}

    # At-least-once delivery: the same job again gives the same single set of plans.
    second = await recompute_all(database, t.tenant, uuid.UUID(job["id"]))
    assert second == first
    again = (await ok(await client.get(url, headers=t.me)))["items"]
    assert essence(again) == essence(plans)
    assert await stored(database, t.tenant) == counts == (2, 3)

    # A plan for a role no longer aimed at goes on the next run; the requested one stays.
    await ok(
        await client.put(
            f"/api/v1/employees/{t.employee_id}/aspirations", json={"open_to_move": "hr_only"}, headers=t.me
        )
    )
    await recompute_all(database, t.tenant)
    assert [p["target_role_id"] for p in (await ok(await client.get(url, headers=t.me)))["items"]] == [t.other_role_id]

    # Asking for the same chosen role again replaces that plan rather than adding one.
    await ok(
        await client.post(url, json={"role_id": t.other_role_id}, headers=t.hr),
        201,
    )
    assert await stored(database, t.tenant) == (1, 1)


async def test_a_plan_with_nothing_to_close_and_unknown_roles(
    client: Client, build_training: BuildTraining, database: Database
) -> None:
    t = await build_training()
    # Without a catalogue every gap is unclosable, and the plan says so.
    await recompute_all(database, t.tenant)
    [plan] = (await ok(await client.get(f"/api/v1/employees/{t.employee_id}/training-plans", headers=t.me)))["items"]
    assert plan["courses"] == []
    assert plan["currency"] is None
    assert sorted(g["status"] for g in plan["gaps"]) == ["unclosable"] * 4
    url = f"/api/v1/employees/{t.employee_id}/training-plans"
    unknown = problem(await client.post(url, json={"role_id": str(uuid.uuid4())}, headers=t.me), 422)
    assert unknown["errors"][0]["field"] == "role_id"
    problem(
        await client.post(
            f"/api/v1/employees/{uuid.uuid4()}/training-plans", json={"role_id": t.role_id}, headers=t.hr
        ),
        404,
    )


async def test_who_sees_a_plan(
    client: Client,
    build_training: BuildTraining,
    database: Database,
    make_tenant: TenantFactory,
    auth: TokenFactory,
) -> None:
    t: Training = await build_training()
    await ok(await import_csv(client, t.hr, CATALOG_CSV))
    await recompute_all(database, t.tenant)
    url = f"/api/v1/employees/{t.employee_id}/training-plans"

    async def sees(headers: dict[str, str]) -> int:
        response = await client.get(url, headers=headers)
        if response.status_code == 404:
            return -1
        return len((await ok(response))["items"])

    # hr_only: the employee and HR; not their manager, a colleague, a partner app, another tenant.
    stranger = auth(make_tenant())
    assert [await sees(h) for h in (t.me, t.hr, t.boss, t.colleague, t.lms, stranger)] == [1, 1, -1, -1, -1, -1]
    # A colleague cannot ask for someone else's plan either.
    problem(await client.post(url, json={"role_id": t.other_role_id}, headers=t.colleague), 403)
    problem(await client.post(url, json={"role_id": t.other_role_id}, headers=t.boss), 403)

    # hidden: HR no longer sees the aspiration-based plan, but still sees the one it asked for.
    await ok(
        await client.put(
            f"/api/v1/employees/{t.employee_id}/aspirations",
            json={"open_to_move": "hidden", "target_role_ids": [t.role_id]},
            headers=t.me,
        )
    )
    assert await sees(t.hr) == -1
    await ok(await client.post(url, json={"role_id": t.other_role_id}, headers=t.hr), 201)
    hr_sees = (await ok(await client.get(url, headers=t.hr)))["items"]
    assert [p["target_role_id"] for p in hr_sees] == [t.other_role_id]
    assert await sees(t.me) == 2
