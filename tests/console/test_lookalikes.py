"""The console's forms that take identifiers refuse lookalikes, as the API does: an employee's or a
platform user's email that only looks like somebody's, and SSO group names that only look like the
ones that grant roles. Each refusal changes nothing."""

from __future__ import annotations

import re
import secrets

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from admin.models import PlatformRole, PlatformUser
from backend.app import AppCollaborators
from backend.auth.secretbox import SecretBox
from backend.sso.models import IdentityProvider
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.console.conftest import PlatformIdp
from tests.console.test_access import Browserless, _chosen, _make_staff

KELVIN_KAREN = "\u212aaren@acme.example"


def _alert(text: str) -> str:
    found = re.search(r'class="alert alert-danger"[^>]*>([^<]*)<', text)
    return found.group(1) if found else text


@pytest.fixture(scope="module")
def secretbox(collaborators: AppCollaborators) -> SecretBox:
    box = collaborators.secretbox
    assert isinstance(box, SecretBox)
    return box


@pytest.fixture(scope="module")
def tenant(make_tenant: TenantFactory) -> TenantRef:
    return make_tenant(f"look_{secrets.token_hex(3)}")


@pytest.mark.parametrize(
    "email", [KELVIN_KAREN, "k\u0430ren@acme.example", "\uff4baren@acme.example", "karen@evil.example@acme.example"]
)
async def test_an_employee_with_a_lookalike_email_is_refused(
    client: AsyncTestClient[Litestar],
    secretbox: SecretBox,
    database: Database,
    tenant: TenantRef,
    auth: TokenFactory,
    email: str,
) -> None:
    staff = await _make_staff(database, secretbox, PlatformRole.CONSULTANT, [tenant])
    hr = auth(tenant)
    before = len((await client.get("/api/v1/employees", headers=hr)).json()["items"])
    tab = await _chosen(client, staff, tenant)
    await tab.get("/admin/employee/create")
    refused = await tab.post("/admin/employee/create", {"full_name": "Not Karen", "email": email, "save": "Save"})
    assert refused.status_code == 400, refused.text
    assert "email" in _alert(refused.text)
    assert len((await client.get("/api/v1/employees", headers=hr)).json()["items"]) == before


async def test_platform_users_and_assignments_with_lookalike_emails_are_refused(
    client: AsyncTestClient[Litestar], secretbox: SecretBox, database: Database, tenant: TenantRef
) -> None:
    boss = await _make_staff(database, secretbox, PlatformRole.SUPERADMIN, [])
    consultant = await _make_staff(database, secretbox, PlatformRole.CONSULTANT, [])
    lookalike = consultant.email.replace("c", "\u0441", 1)  # a Cyrillic es
    async with database.control_session() as session:
        before = await session.scalar(select(func.count()).select_from(PlatformUser))
    tab = Browserless(client)
    await tab.sign_in(boss)
    await tab.get("/admin/platform-user/create")
    for email in (KELVIN_KAREN, lookalike, "karen@evil.example@acme.example"):
        fields = {"email": email, "name": "Not Them", "role": "consultant", "active": "y", "save": "Save"}
        refused = await tab.post("/admin/platform-user/create", fields)
        assert refused.status_code == 422, refused.text
        assert "email" in _alert(refused.text) or "ASCII" in _alert(refused.text), _alert(refused.text)
    await tab.get("/admin/consultant-assignment/create")
    assign = {"consultant_email": lookalike, "tenant_slug": tenant.slug, "save": "Save"}
    refused = await tab.post("/admin/consultant-assignment/create", assign)
    assert refused.status_code == 422, refused.text
    async with database.control_session() as session:
        assert await session.scalar(select(func.count()).select_from(PlatformUser)) == before


async def test_sso_group_names_that_look_like_others_are_refused(
    client: AsyncTestClient[Litestar],
    secretbox: SecretBox,
    database: Database,
    tenant: TenantRef,
    platform_idp: PlatformIdp,
) -> None:
    staff = await _make_staff(database, secretbox, PlatformRole.CONSULTANT, [tenant])
    tab = await _chosen(client, staff, tenant)
    await tab.get("/admin/identity-provider/create")
    fields = {
        "issuer": platform_idp.issuer,
        "client_id": "look-portal",
        "client_secret": "s3cret-" + secrets.token_urlsafe(8),
        "allowed_domains": "acme.example",
        "hr_groups": "HR-Des\u212a",
        "manager_groups": "",
        "enabled": "y",
        "save": "Save",
    }
    refused = await tab.post("/admin/identity-provider/create", fields)
    assert refused.status_code == 422, refused.text
    assert "KELVIN SIGN" in _alert(refused.text)
    refused = await tab.post(
        "/admin/identity-provider/create", {**fields, "hr_groups": "HR", "manager_groups": "Lead\u017f"}
    )
    assert refused.status_code == 422, refused.text
    assert "LONG S" in _alert(refused.text)
    async with database.control_session() as session:
        assert await session.scalar(select(IdentityProvider).where(IdentityProvider.tenant_id == tenant.id)) is None
