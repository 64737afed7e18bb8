"""A small but complete set of one tenant's objects, built through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient


@dataclass
class World:
    headers: dict[str, str]
    department: dict[str, Any]
    team: dict[str, Any]
    manager: dict[str, Any]
    employee: dict[str, Any]
    category: dict[str, Any]
    skill: dict[str, Any]
    family: dict[str, Any]
    junior: dict[str, Any]
    senior: dict[str, Any]
    path: dict[str, Any]


async def _ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


async def build_world(client: AsyncTestClient[Litestar], headers: dict[str, str], tag: str) -> World:
    post = client.post
    department = await _ok(
        await post("/api/v1/org-units", json={"name": f"Data {tag}", "kind": "department"}, headers=headers)
    )
    team = await _ok(
        await post(
            "/api/v1/org-units",
            json={"name": f"Analytics {tag}", "kind": "team", "parent_id": department["id"]},
            headers=headers,
        )
    )
    manager = await _ok(
        await post(
            "/api/v1/employees",
            json={"email": f"lead.{tag}@example.com", "full_name": f"Lead {tag}", "org_unit_id": team["id"]},
            headers=headers,
        )
    )
    employee = await _ok(
        await post(
            "/api/v1/employees",
            json={
                "email": f"ana.{tag}@example.com",
                "full_name": f"Ana {tag}",
                "org_unit_id": team["id"],
                "manager_id": manager["id"],
                "level": 3,
                "location": "Lisbon",
            },
            headers=headers,
        )
    )
    category = await _ok(await post("/api/v1/skill-categories", json={"name": f"Data {tag}"}, headers=headers))
    skill = await _ok(
        await post(
            "/api/v1/skills", json={"label": f"Dashboards {tag}", "category_id": category["id"]}, headers=headers
        )
    )
    family = await _ok(await post("/api/v1/job-families", json={"name": f"Analytics {tag}"}, headers=headers))
    junior = await _ok(
        await post(
            "/api/v1/roles", json={"job_family_id": family["id"], "title": "Data Analyst", "level": 2}, headers=headers
        )
    )
    senior = await _ok(
        await post(
            "/api/v1/roles",
            json={"job_family_id": family["id"], "title": "Senior Data Analyst", "level": 3},
            headers=headers,
        )
    )
    await _ok(
        await client.put(
            f"/api/v1/roles/{senior['id']}/skills/{skill['id']}",
            json={"target_level": 4, "importance": "essential"},
            headers=headers,
        ),
        200,
    )
    path = await _ok(
        await post(
            "/api/v1/career-paths",
            json={"from_role_id": junior["id"], "to_role_id": senior["id"], "kind": "promotion", "typical_months": 24},
            headers=headers,
        )
    )
    await _ok(
        await client.put(
            f"/api/v1/employees/{employee['id']}/skills/{skill['id']}",
            json={"level": 3, "source": "manager"},
            headers=headers,
        ),
        200,
    )
    await _ok(
        await client.put(
            f"/api/v1/employees/{employee['id']}/aspirations",
            json={"open_to_move": "hr_only", "target_role_ids": [senior["id"]], "skill_ids": [skill["id"]]},
            headers=headers,
        ),
        200,
    )
    return World(headers, department, team, manager, employee, category, skill, family, junior, senior, path)
