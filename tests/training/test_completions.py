"""Course completions raise skill levels (source `course`), never lower them, and count once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.helpers import problem
from tests.training.conftest import CATALOG_CSV, BuildTraining, course_ids, import_csv, ok

Client = AsyncTestClient[Litestar]


async def levels(client: Client, headers: dict[str, str], employee_id: str) -> dict[str, set[tuple[int, str]]]:
    """Each skill's current ratings, (level, source): one per source."""
    profile = await ok(await client.get(f"/api/v1/employees/{employee_id}/skills", headers=headers))
    ratings: dict[str, set[tuple[int, str]]] = {}
    for s in profile["items"]:
        ratings.setdefault(s["skill_label"], set()).add((s["level"], s["source"]))
    return ratings


async def history(client: Client, headers: dict[str, str], employee_id: str) -> list[Any]:
    page = await ok(await client.get(f"/api/v1/employees/{employee_id}/skills/history", headers=headers))
    return list(page["items"])


async def test_a_completion_raises_levels_once_and_never_lowers(client: Client, build_training: BuildTraining) -> None:
    t = await build_training()
    await ok(await import_csv(client, t.hr, CATALOG_CSV))
    ids = await course_ids(client, t.hr)
    url = f"/api/v1/employees/{t.employee_id}/course-completions"
    today = dt.date.today().isoformat()

    # B teaches SQL to 3 and Tableau to 3: Ana goes from SQL 1 and no Tableau to 3 and 3, as `course`
    # ratings beside her manager's, which stay as they were.
    body = {"course_id": ids["B"], "completed_on": today, "evidence_url": "https://lms.example/cert/1"}
    first = await ok(await client.post(url, json=body, headers=t.me), 201)
    assert {(r["from_level"], r["to_level"]) for r in first["skills_raised"]} == {(None, 3), (1, 3)}
    assert await levels(client, t.me, t.employee_id) == {
        "SQL": {(1, "manager"), (3, "course")},
        "Tableau": {(3, "course")},
        "Python": {(2, "manager")},
    }
    versions = await history(client, t.hr, t.employee_id)
    sql = [v for v in versions if v["skill_label"] == "SQL"]
    assert [(v["level"], v["source"], v["valid_to"] is None) for v in sql] == [
        (1, "manager", True),
        (3, "course", True),
    ]
    assert sql[-1]["evidence_url"] == "https://lms.example/cert/1"

    # The same completion again (an LMS retrying): the same record, no new skill version.
    again = await ok(await client.post(url, json=body, headers=t.lms), 200)
    assert again == first
    assert await history(client, t.hr, t.employee_id) == versions

    # D teaches SQL and Python only to 2: below what Ana has, so nothing is lowered.
    lower = await ok(await client.post(url, json={"course_id": ids["D"], "completed_on": today}, headers=t.lms), 201)
    assert lower["skills_raised"] == []
    assert lower["recorded_by"] == "client:lms"
    assert await history(client, t.hr, t.employee_id) == versions

    # C (Python to 5), recorded by HR, raises Python.
    await ok(await client.post(url, json={"course_id": ids["C"], "completed_on": today}, headers=t.hr), 201)
    assert (await levels(client, t.me, t.employee_id))["Python"] == {(2, "manager"), (5, "course")}

    listed = (await ok(await client.get(url, headers=t.me)))["items"]
    assert [c["course_id"] for c in listed] == [ids["B"], ids["D"], ids["C"]]


async def test_who_records_completions_and_what_is_refused(client: Client, build_training: BuildTraining) -> None:
    t = await build_training()
    await ok(await import_csv(client, t.hr, CATALOG_CSV))
    ids = await course_ids(client, t.hr)
    url = f"/api/v1/employees/{t.employee_id}/course-completions"
    body = {"course_id": ids["B"], "completed_on": dt.date.today().isoformat()}
    problem(await client.post(url, json=body, headers=t.colleague), 403)
    problem(await client.post(url, json=body, headers=t.boss), 403)
    problem(await client.get(url, headers=t.colleague), 403)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert (
        problem(await client.post(url, json={**body, "completed_on": tomorrow}, headers=t.me), 422)["errors"][0][
            "field"
        ]
        == "completed_on"
    )
    unknown = problem(await client.post(url, json={**body, "course_id": t.role_id}, headers=t.me), 422)
    assert unknown["errors"][0]["field"] == "course_id"
    assert await levels(client, t.me, t.employee_id) == {"SQL": {(1, "manager")}, "Python": {(2, "manager")}}
