"""Who acted is recorded whoever acts: a token minted by `crosswalk tokens create` (no employee behind
it) writes through every path that records an actor, and afterwards no `..._by` column of the tenant's
schema holds a NULL, each names the token's subject, and the API shows it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text

from backend.core.unit_of_work import UnitOfWork
from backend.mentoring.runs import PAIRING_RUN_JOB
from backend.settings import Settings
from tenants.sessions import Database, TenantRef
from tests.cli.test_cli import crosswalk
from tests.conftest import TenantFactory
from worker.actors.mentoring import run_pairing
from worker.errors import JobBusyError
from worker.runner import Delivery, execute

Client = AsyncTestClient[Litestar]
API = "/api/v1"
CLI_ACTOR = "cli:hr_admin"


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


# Columns that record who did something that has not always happened: only the rows where it did count.
HAPPENED = {("employee_skills", "ended_by"): "valid_to IS NOT NULL"}


def actor_columns(owner_engine: Engine, schema: str) -> dict[tuple[str, str], tuple[int, int, list[str]]]:
    """Every column of the tenant's schema that records who acted (named `..._by`): its NULL rows,
    its rows, and the actors it holds."""
    found: dict[tuple[str, str], tuple[int, int, list[str]]] = {}
    with owner_engine.connect() as connection:
        columns = connection.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = :s AND column_name LIKE '%\\_by' ORDER BY 1, 2"
            ),
            {"s": schema},
        ).all()
        for table, column in columns:
            where = HAPPENED.get((table, column), "true")
            nulls, total = connection.execute(
                text(
                    f'SELECT count(*) FILTER (WHERE "{column}" IS NULL), count(*) FROM "{schema}"."{table}" '
                    f"WHERE {where}"
                )
            ).one()
            actors = connection.execute(
                text(f'SELECT DISTINCT "{column}"::text FROM "{schema}"."{table}" WHERE {where}')
            ).scalars()
            found[(table, column)] = (nulls, total, sorted(str(a) for a in actors))
    return found


class _Unsent:
    def send(self, messages: Any) -> None:
        """The jobs a job asks for are not this test's."""


async def run_job(
    database: Database,
    settings: Settings,
    tenant: TenantRef,
    job_id: uuid.UUID,
    kind: str,
    body: Any,
    arguments: dict[str, Any],
) -> None:
    """Run a job through the runner, as a worker does: once, whoever runs it (a worker of this test run,
    if one is up, may be running it now; the runner lets one run and skips a job already done)."""
    sender = _Unsent()
    resources = SimpleNamespace(
        database=database,
        sender=sender,
        unit_of_work=UnitOfWork(database, sender),  # type: ignore[arg-type]
        settings=settings,
    )
    delivery = Delivery(tenant, job_id, resources)  # type: ignore[arg-type]
    for _ in range(300):
        try:
            await execute(delivery, kind, body, arguments)
            return
        except JobBusyError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} stayed busy")


async def test_every_write_with_a_cli_token_records_its_actor(
    client: Client,
    settings: Settings,
    tmp_path: Path,
    make_tenant: TenantFactory,
    owner_engine: Engine,
    database: Database,
) -> None:
    tenant = make_tenant()
    minted = crosswalk(settings, tmp_path, "tokens", "create", "--tenant", tenant.slug, "--role", "hr_admin")
    assert minted.returncode == 0, minted.stderr
    cli = {"Authorization": f"Bearer {minted.stdout.strip().splitlines()[-1]}"}
    post, put = client.post, client.put

    # The people and the framework the writes below need.
    unit = await ok(await post(f"{API}/org-units", json={"name": "Data", "kind": "department"}, headers=cli), 201)
    mia = (
        await ok(
            await post(
                f"{API}/employees",
                json={"email": "mia@example.com", "full_name": "Mia", "org_unit_id": unit["id"]},
                headers=cli,
            ),
            201,
        )
    )["id"]
    # Mia manages Ana: a hiring manager is someone who manages people (docs/marketplace.md).
    ana = (
        await ok(
            await post(
                f"{API}/employees",
                json={"email": "ana@example.com", "full_name": "Ana", "org_unit_id": unit["id"], "manager_id": mia},
                headers=cli,
            ),
            201,
        )
    )["id"]
    sql = await ok(await post(f"{API}/skills", json={"label": "SQL"}, headers=cli), 201)
    family = await ok(await post(f"{API}/job-families", json={"name": "Analytics"}, headers=cli), 201)
    role = await ok(
        await post(f"{API}/roles", json={"job_family_id": family["id"], "title": "Analyst", "level": 2}, headers=cli),
        201,
    )
    await ok(
        await put(
            f"{API}/roles/{role['id']}/skills/{sql['id']}",
            json={"target_level": 3, "importance": "essential"},
            headers=cli,
        )
    )

    # Every write that records an actor.
    # Rated, then rated again: the second rating ends the first, and says who ended it.
    for level in (3, 4):
        await ok(
            await put(
                f"{API}/employees/{mia}/skills/{sql['id']}", json={"level": level, "source": "manager"}, headers=cli
            )
        )
    weights = {
        "required_skills": 0.5,
        "nice_to_have_skills": 0.1,
        "adjacent_skills": 0.1,
        "aspirations": 0.1,
        "level_fit": 0.1,
        "location_fit": 0.1,
    }
    await ok(await put(f"{API}/matching/weights", json=weights, headers=cli))
    recompute = await ok(await post(f"{API}/matching/recompute", headers=cli), 202)
    policy = await ok(await put(f"{API}/mobility-policy", json={"manager_notice": "at_offer"}, headers=cli))
    opening = await ok(
        await post(
            f"{API}/opportunities",
            json={
                "title": "Dashboards",
                "kind": "gig",
                "hours_per_week": 4,
                "duration_weeks": 4,
                "hiring_manager_id": mia,
            },
            headers=cli,
        ),
        201,
    )
    course = await ok(
        await post(
            f"{API}/courses",
            json={
                "title": "SQL basics",
                "provider": "Acme",
                "format": "online",
                "duration_hours": 4,
                "cost": 10,
                "currency": "EUR",
                "skills": [{"skill_id": sql["id"], "level_reached": 3}],
            },
            headers=cli,
        ),
        201,
    )
    await ok(
        await post(
            f"{API}/employees/{ana}/course-completions",
            json={"course_id": course["id"], "completed_on": date.today().isoformat()},
            headers=cli,
        ),
        201,
    )
    await ok(await post(f"{API}/employees/{ana}/training-plans", json={"role_id": role["id"]}, headers=cli), 201)
    await ok(await post(f"{API}/training-plans/recompute", headers=cli), 202)
    programme = await ok(
        await post(
            f"{API}/mentoring/programmes", json={"name": "Grow", "kind": "evergreen", "status": "open"}, headers=cli
        ),
        201,
    )
    pid = programme["id"]
    await ok(
        await post(
            f"{API}/mentoring/programmes/{pid}/mentor-profiles",
            json={"employee_id": mia, "languages": ["en"], "skill_ids": [sql["id"]]},
            headers=cli,
        ),
        201,
    )
    await ok(
        await post(
            f"{API}/mentoring/programmes/{pid}/mentee-requests",
            json={"employee_id": ana, "goals": "SQL", "languages": ["en"], "skill_ids": [sql["id"]]},
            headers=cli,
        ),
        201,
    )
    run = await ok(await post(f"{API}/mentoring/programmes/{pid}/runs", json={}, headers=cli), 202)
    await run_job(
        database, settings, tenant, uuid.UUID(run["job_id"]), PAIRING_RUN_JOB, run_pairing, {"run_id": run["id"]}
    )
    published = await ok(await post(f"{API}/mentoring/runs/{run['id']}/publish", headers=cli))

    # Every column that records an actor has one, on every row.
    columns = actor_columns(owner_engine, tenant.schema_name)
    expected = {
        ("course_completions", "recorded_by"),
        ("employee_skills", "recorded_by"),
        ("employee_skills", "ended_by"),
        ("jobs", "requested_by"),
        ("matching_weights_versions", "set_by"),
        ("mentoring_programmes", "created_by"),
        ("mobility_policy", "updated_by"),
        ("opportunities", "created_by"),
        ("pairing_runs", "created_by"),
        ("pairing_runs", "published_by"),
        ("training_plans", "requested_by"),
    }
    # A column added later that records an actor must be written here too.
    assert set(columns) == expected, set(columns) ^ expected
    for (table, column), (nulls, total, actors) in columns.items():
        assert total > 0, f"{table}.{column} was not written by the walk"
        assert nulls == 0, f"{table}.{column} has {nulls} of {total} rows without an actor"
        # The weights a tenant starts with are the platform's (tenant migration t0011).
        started_with = ["crosswalk:defaults"] if table == "matching_weights_versions" else []
        assert actors == sorted([CLI_ACTOR, *started_with]), f"{table}.{column} holds {actors}"

    # And the API shows it where it showed a null before.
    job = await ok(await client.get(f"{API}/jobs/{recompute['id']}", headers=cli))
    assert (job["requested_by"], job["requested_by_employee_id"]) == (CLI_ACTOR, None)
    assert (published["created_by"], published["published_by"]) == (CLI_ACTOR, CLI_ACTOR)
    assert policy["updated_by"] == CLI_ACTOR
    assert (opening["created_by"], opening["created_by_employee_id"]) == (CLI_ACTOR, None)
