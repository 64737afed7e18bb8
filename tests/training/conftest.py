"""A small tenant for the training tests, built through the API: four skills, a role needing level 3
in each, an employee with a manager, and HR, employee, manager and partner-app tokens."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import Scope, UserRole
from backend.auth.tokens import TokenClaims, TokenSigner
from backend.settings import Settings
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory

Client = AsyncTestClient[Litestar]

SKILLS = ("SQL", "Tableau", "Python", "Negotiation")


@dataclass
class Training:
    tenant: TenantRef
    hr: dict[str, str]
    me: dict[str, str]
    boss: dict[str, str]
    colleague: dict[str, str]
    lms: dict[str, str]
    employee_id: str
    manager_id: str
    colleague_id: str
    skills: dict[str, str]
    role_id: str
    other_role_id: str


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The serving database for the tests' own calls to services (the test client's app runs on an
    event loop of its own, and a pool stays on the loop that opened it)."""
    database = Database(settings.serving_url, pool_size=1, max_overflow=0)
    yield database
    await database.dispose()


BuildTraining = Callable[[], Awaitable[Training]]


@pytest.fixture
def build_training(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, signer: TokenSigner
) -> BuildTraining:
    async def build() -> Training:
        tenant = make_tenant()
        hr = auth(tenant)
        tag = secrets.token_hex(3)

        async def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
            return dict(await ok(await client.post(url, json=body, headers=hr), 201))

        skills = {name: (await post("/api/v1/skills", {"label": name}))["id"] for name in SKILLS}
        family = await post("/api/v1/job-families", {"name": f"Analytics {tag}"})
        role = await post("/api/v1/roles", {"job_family_id": family["id"], "title": "Data Analyst", "level": 3})
        other = await post("/api/v1/roles", {"job_family_id": family["id"], "title": "Data Engineer", "level": 3})
        for name, importance in zip(SKILLS, ("essential", "essential", "important", "nice_to_have"), strict=True):
            await ok(
                await client.put(
                    f"/api/v1/roles/{role['id']}/skills/{skills[name]}",
                    json={"target_level": 3, "importance": importance},
                    headers=hr,
                )
            )
        await ok(
            await client.put(
                f"/api/v1/roles/{other['id']}/skills/{skills['Python']}",
                json={"target_level": 5, "importance": "essential"},
                headers=hr,
            )
        )
        manager = await post("/api/v1/employees", {"email": f"lead.{tag}@example.com", "full_name": "Lead"})
        employee = await post(
            "/api/v1/employees",
            {"email": f"ana.{tag}@example.com", "full_name": "Ana", "manager_id": manager["id"]},
        )
        colleague = await post("/api/v1/employees", {"email": f"bo.{tag}@example.com", "full_name": "Bo"})
        # Ana: SQL 1, Python 2, no Tableau or negotiation recorded.
        for name, level in (("SQL", 1), ("Python", 2)):
            await ok(
                await client.put(
                    f"/api/v1/employees/{employee['id']}/skills/{skills[name]}",
                    json={"level": level, "source": "manager"},
                    headers=hr,
                )
            )
        await ok(
            await client.put(
                f"/api/v1/employees/{employee['id']}/aspirations",
                json={"open_to_move": "hr_only", "target_role_ids": [role["id"]]},
                headers=hr,
            )
        )
        # A partner app registered as an HR admin registers one (its token names a client that exists).
        lms = await ok(
            await client.post(
                "/api/v1/partner-clients",
                json={"name": f"LMS {tag}", "scopes": ["training:read", "training:write", "skills:write"]},
                headers=hr,
            ),
            201,
        )
        partner = TokenClaims(
            subject="client:lms",
            tenant_slug=tenant.slug,
            tenant_id=tenant.id,
            roles=(),
            scopes=(Scope.TRAINING_READ.value, Scope.TRAINING_WRITE.value, Scope.SKILLS_WRITE.value),
            employee_id=None,
            client_id=lms["client_id"],
        )
        return Training(
            tenant=tenant,
            hr=hr,
            me=auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(employee["id"])),
            boss=auth(tenant, UserRole.MANAGER, employee_id=uuid.UUID(manager["id"])),
            colleague=auth(tenant, UserRole.EMPLOYEE, employee_id=uuid.UUID(colleague["id"])),
            lms={"Authorization": f"Bearer {signer.mint(partner)}"},
            employee_id=employee["id"],
            manager_id=manager["id"],
            colleague_id=colleague["id"],
            skills=skills,
            role_id=role["id"],
            other_role_id=other["id"],
        )

    return build


# The catalogue of the known case (the same as tests/training/test_recommend.py's): for a role needing
# level 3 in SQL, Tableau, Python and negotiation, and someone at SQL 1, Python 2, the cheapest cover
# is B (SQL and Tableau) + C (Python), 550; no course teaches negotiation.
CATALOG_CSV = """provider,external_id,title,format,duration_hours,cost,currency,skills,url
Acme,A,Data all-in-one,online,40,900,EUR,SQL:4;Tableau:3;Python:3,https://acme.example/a
Acme,B,SQL and dashboards,classroom,16,300.00,EUR,sql:3;TABLEAU:3,
Acme,C,Python deep dive,self_paced,24.5,250,eur,Python:5,
Acme,D,Data basics,blended,8,100,EUR,SQL:2;Python:2,
"""


async def import_csv(client: Client, headers: dict[str, str], body: str) -> Any:
    return await client.post(
        "/api/v1/courses/import", content=body.encode(), headers={**headers, "Content-Type": "text/csv"}
    )


async def course_ids(client: Client, headers: dict[str, str]) -> dict[str, str]:
    """External id -> course id, for the whole catalogue."""
    page = await ok(await client.get("/api/v1/courses?limit=200&include_inactive=true", headers=headers))
    return {c["external_id"]: c["id"] for c in page["items"]}
