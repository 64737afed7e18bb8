"""One tenant's company for the marketplace tests, built through the API: an org tree, people in a
management chain, a role with skills, and callers for each of them.

    Northwind (division)                 ceo
    ├── Data (department)                 └── director (Data)
    │   └── Analytics (team)                   └── lead (Analytics, manager)
    └── Sales (department)                          ├── ana (Analytics, level 3): the applicant
                                                    └── tom (Analytics, level 6)
                                          ceo
                                          └── hm (Sales, manager): the hiring manager
                                               └── sam (Sales, no level)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text

from backend.auth.principal import UserRole
from tenants.sessions import TenantRef
from tests.conftest import TokenFactory

Client = AsyncTestClient[Litestar]
API = "/api/v1"
MANAGERS = ("ceo", "director", "lead", "hm")


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@dataclass
class Market:
    client: Client
    tenant: TenantRef
    auth: TokenFactory
    hr: dict[str, str]
    units: dict[str, str] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)
    skills: dict[str, str] = field(default_factory=dict)
    role: dict[str, Any] = field(default_factory=dict)

    def as_(self, name: str) -> dict[str, str]:
        """The headers of a named person: a manager or an employee, as the tree says."""
        role = UserRole.MANAGER if name in MANAGERS else UserRole.EMPLOYEE
        return self.auth(self.tenant, role, employee_id=uuid.UUID(self.people[name]))

    async def opening(self, by: str | None = None, *, publish: bool = True, **fields: Any) -> dict[str, Any]:
        """A gig posted by the hiring manager (or `by`), opened unless `publish` is false."""
        headers = self.as_(by or "hm")
        body = {
            "title": "Dashboard sprint",
            "kind": "gig",
            "description": "Two days a week on the sales dashboards.",
            "hours_per_week": 16,
            "duration_weeks": 8,
            "skills": [{"skill_id": self.skills["sql"], "level": 3}],
            **fields,
        }
        created = await ok(await self.client.post(f"{API}/opportunities", json=body, headers=headers), 201)
        if not publish:
            return dict(created)
        return dict(await ok(await self.client.post(f"{API}/opportunities/{created['id']}/open", headers=headers)))

    async def apply(self, opportunity_id: str, who: str = "ana", kind: str = "application") -> dict[str, Any]:
        response = await self.client.post(
            f"{API}/opportunities/{opportunity_id}/applications", json={"kind": kind}, headers=self.as_(who)
        )
        return dict(await ok(response, 201))

    async def move(self, application_id: str, to: str, by: str = "hm", note: str | None = None) -> Any:
        body: dict[str, Any] = {"to": to} | ({"note": note} if note else {})
        return await self.client.post(f"{API}/applications/{application_id}/stage", json=body, headers=self.as_(by))

    async def set_policy(self, manager_notice: str, release_days: int = 14) -> None:
        await ok(
            await self.client.put(
                f"{API}/mobility-policy",
                json={"manager_notice": manager_notice, "release_days": release_days},
                headers=self.hr,
            )
        )

    async def notifications(self, who: str) -> list[dict[str, Any]]:
        page = await ok(await self.client.get(f"{API}/me/notifications?limit=200", headers=self.as_(who)))
        return list(page["items"])

    async def audit(self, **filters: str) -> list[dict[str, Any]]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        page = await ok(await self.client.get(f"{API}/audit-events?limit=200&{query}", headers=self.hr))
        return list(page["items"])


async def build_market(client: Client, tenant: TenantRef, auth: TokenFactory) -> Market:
    hr = auth(tenant, UserRole.HR_ADMIN)
    m = Market(client, tenant, auth, hr)
    post = client.post

    async def unit(name: str, kind: str, parent: str | None = None) -> None:
        body = {"name": name, "kind": kind, "parent_id": m.units[parent] if parent else None}
        m.units[name] = (await ok(await post(f"{API}/org-units", json=body, headers=hr), 201))["id"]

    await unit("Northwind", "division")
    await unit("Data", "department", "Northwind")
    await unit("Analytics", "team", "Data")
    await unit("Sales", "department", "Northwind")

    async def person(name: str, unit_name: str, manager: str | None = None, level: int | None = None) -> None:
        body: dict[str, Any] = {
            "email": f"{name}@{tenant.slug.replace('_', '-')}.example",  # a domain has no underscore
            "full_name": name.title(),
            "org_unit_id": m.units[unit_name],
            "manager_id": m.people[manager] if manager else None,
            "level": level,
            "location": "Lisbon",
        }
        m.people[name] = (await ok(await post(f"{API}/employees", json=body, headers=hr), 201))["id"]

    await person("ceo", "Northwind", level=9)
    await person("director", "Data", "ceo", level=7)
    await person("lead", "Analytics", "director", level=5)
    await person("ana", "Analytics", "lead", level=3)
    await person("tom", "Analytics", "lead", level=6)
    await person("hm", "Sales", "ceo", level=6)
    await person("sam", "Sales", "hm")

    for label in ("sql", "python"):
        m.skills[label] = (await ok(await post(f"{API}/skills", json={"label": label.upper()}, headers=hr), 201))["id"]
    family = await ok(await post(f"{API}/job-families", json={"name": "Analytics"}, headers=hr), 201)
    m.role = await ok(
        await post(
            f"{API}/roles", json={"job_family_id": family["id"], "title": "Senior Analyst", "level": 4}, headers=hr
        ),
        201,
    )
    for skill, level, importance in (("sql", 4, "essential"), ("python", 3, "nice_to_have")):
        await ok(
            await client.put(
                f"{API}/roles/{m.role['id']}/skills/{m.skills[skill]}",
                json={"target_level": level, "importance": importance},
                headers=hr,
            )
        )
    return m


def rows(owner_engine: Engine, tenant: TenantRef, sql: str, **params: Any) -> list[Any]:
    """Rows of a query on the tenant's schema, as its owner (to check what the API cannot show)."""
    with owner_engine.begin() as connection:
        connection.execute(text("SELECT set_config('search_path', :s, true)"), {"s": tenant.schema_name})
        return list(connection.execute(text(sql), params).all())


def execute(owner_engine: Engine, tenant: TenantRef, sql: str, **params: Any) -> None:
    with owner_engine.begin() as connection:
        connection.execute(text("SELECT set_config('search_path', :s, true)"), {"s": tenant.schema_name})
        connection.execute(text(sql), params)
