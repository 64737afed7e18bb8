"""What a partner app may change: an LMS or assessment tool records evidence on anyone's skills
profile, never a self or manager rating, and aspirations are not a partner's to have."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.partners.conftest import Register, bearer

Client = AsyncTestClient[Litestar]


async def test_an_lms_records_a_course_on_an_employees_profile(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, register: Register
) -> None:
    tenant = make_tenant()
    hr = auth(tenant, UserRole.HR_ADMIN)
    person = await client.post("/api/v1/employees", json={"email": "lee@lms.example", "full_name": "Lee"}, headers=hr)
    skill = await client.post("/api/v1/skills", json={"label": "SQL"}, headers=hr)
    assert person.status_code == 201, person.text
    assert skill.status_code == 201, skill.text
    path = f"/api/v1/employees/{person.json()['id']}/skills/{skill.json()['id']}"
    lms = await bearer(client, await register(tenant, "skills:write", "skills:read"))

    recorded = await client.put(path, json={"level": 3, "source": "course"}, headers=lms)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["source"] == "course"
    assert recorded.json()["recorded_by"].startswith("partner:")
    # A partner has evidence, not opinions: self and manager ratings are people's.
    body = problem(await client.put(path, json={"level": 5, "source": "self"}, headers=lms), 422)
    assert body["errors"][0]["field"] == "source"


async def test_aspirations_cannot_be_granted_to_a_partner(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    response = await client.post(
        "/api/v1/partner-clients",
        json={"name": "Nosy HRIS", "scopes": ["aspirations:read"]},
        headers=auth(tenant, UserRole.HR_ADMIN),
    )
    assert "aspirations:read" in problem(response, 422)["detail"]
