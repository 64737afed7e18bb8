"""The console over HTTP in the test process (no browser): sign-in with a password and a TOTP code,
CSRF on every form, sessions that end, tenant scoping, edits through the API's services with an audit
record, secrets that are never shown again. The browser tests (test_browser.py) cover the flows end to end."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

import httpx
import pyotp
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, select, text

from admin.models import ConsoleAuditEvent
from admin.users import PlatformUserService
from backend.auth.principal import UserRole
from backend.auth.secretbox import SecretBox
from backend.core.jobs.models import PlatformJob
from tenants.models import ConsultantAssignment, IdentityProvider, PlatformRole, PlatformUser
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.console.conftest import PlatformIdp
from tests.marketplace.market import build_market

PASSWORD = "correct horse battery staple"


@dataclass
class Staff:
    email: str
    seed: str

    def code(self) -> str:
        return pyotp.TOTP(self.seed).now()


async def _make_staff(database: Database, secretbox: SecretBox, role: PlatformRole, tenants: list[TenantRef]) -> Staff:
    email = f"{role.value}-{secrets.token_hex(3)}@crosswalk.example"
    async with database.control_session() as session, session.begin():
        users = PlatformUserService(session, secretbox)
        created = await users.create(email, "Test Person", role, PASSWORD)
        for tenant in tenants:
            await users.assign(email, tenant.id, by="test")
    assert created.totp_uri is not None
    return Staff(email, pyotp.parse_uri(created.totp_uri).secret)


class Browserless:
    """One browser's view of the console: its own cookies, the CSRF token of the last page."""

    def __init__(self, client: AsyncTestClient[Litestar]) -> None:
        self.client = client
        self.cookies = httpx.Cookies()
        self.csrftoken = ""

    async def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        saved = httpx.Cookies(self.client.cookies)
        self.client.cookies = self.cookies
        try:
            response = await self.client.request(method, url, follow_redirects=False, **kwargs)  # type: ignore[arg-type]
        finally:
            self.cookies = httpx.Cookies(self.client.cookies)
            self.client.cookies = saved
        found = re.search(r'name="csrftoken"[^>]*value="([^"]+)"', response.text)
        if found:
            self.csrftoken = found.group(1)
        return response

    async def get(self, url: str) -> httpx.Response:
        return await self.request("GET", url)

    async def post(self, url: str, data: dict[str, str], *, csrf: bool = True) -> httpx.Response:
        form = {**data, "csrftoken": self.csrftoken} if csrf else data
        return await self.request("POST", url, data=form)

    async def sign_in(self, staff: Staff, code: str | None = None) -> httpx.Response:
        await self.get("/admin/login")
        return await self.post(
            "/admin/login", {"email": staff.email, "password": PASSWORD, "code": code or staff.code()}
        )


@pytest.fixture(scope="module")
def secretbox(app: Litestar) -> SecretBox:
    box = app.state.services.secretbox
    assert isinstance(box, SecretBox)
    return box


@pytest.fixture(scope="module")
def two_tenants(make_tenant: TenantFactory) -> tuple[TenantRef, TenantRef]:
    return make_tenant(f"con_a_{secrets.token_hex(3)}"), make_tenant(f"con_b_{secrets.token_hex(3)}")


@pytest.fixture
async def consultant(database: Database, secretbox: SecretBox, two_tenants: tuple[TenantRef, TenantRef]) -> Staff:
    return await _make_staff(database, secretbox, PlatformRole.CONSULTANT, [two_tenants[0]])


async def test_password_and_totp_sign_in(client: AsyncTestClient[Litestar], consultant: Staff) -> None:
    tab = Browserless(client)
    assert (await tab.get("/admin/")).status_code == 302  # to the sign-in page
    wrong = await tab.sign_in(consultant, code="000000" if consultant.code() != "000000" else "111111")
    assert wrong.status_code == 400
    assert "not right" in wrong.text
    assert "crosswalk_console" not in tab.cookies
    code = consultant.code()
    signed_in = await tab.sign_in(consultant, code=code)
    assert signed_in.status_code == 303, signed_in.text
    home = await tab.get("/admin/")
    assert home.status_code == 200
    assert consultant.email in home.text
    # The same code a second time (replayed) is refused, even with the right password.
    again = await Browserless(client).sign_in(consultant, code=code)
    assert again.status_code == 400


async def test_every_form_needs_its_csrf_token(client: AsyncTestClient[Litestar], consultant: Staff) -> None:
    tab = Browserless(client)
    await tab.get("/admin/login")
    refused = await tab.post(
        "/admin/login", {"email": consultant.email, "password": PASSWORD, "code": consultant.code()}, csrf=False
    )
    assert refused.status_code == 403
    assert (await tab.sign_in(consultant)).status_code == 303
    await tab.get("/admin/")
    forged = await tab.post("/admin/switch-tenant", {"tenant": "anything"}, csrf=False)
    assert forged.status_code == 403
    # A cross-site sign-in post carries no cookies at all: refused too.
    cookieless = await Browserless(client).post(
        "/admin/login", {"email": consultant.email, "password": PASSWORD, "code": consultant.code()}, csrf=False
    )
    assert cookieless.status_code == 403


async def test_a_consultant_acts_only_for_the_tenants_assigned(
    client: AsyncTestClient[Litestar], consultant: Staff, two_tenants: tuple[TenantRef, TenantRef], database: Database
) -> None:
    mine, theirs = two_tenants
    tab = Browserless(client)
    await tab.sign_in(consultant)
    home = await tab.get("/admin/")
    assert mine.slug in home.text
    assert theirs.slug not in home.text
    refused = await tab.post("/admin/switch-tenant", {"tenant": theirs.slug})
    assert refused.status_code == 403
    # Without a tenant chosen, the tenant's lists are closed; the control plane shows only its tenant.
    assert (await tab.get("/admin/employee/list")).status_code == 403
    tenants = await tab.get("/admin/tenant/list")
    assert mine.slug in tenants.text
    assert theirs.slug not in tenants.text
    assert (await tab.get(f"/admin/tenant/details/{theirs.id}")).status_code == 404
    chosen = await tab.post("/admin/switch-tenant", {"tenant": mine.slug})
    assert chosen.status_code == 303
    assert (await tab.get("/admin/employee/list")).status_code == 200
    async with database.control_session() as session:
        actions = (
            await session.scalars(
                select(ConsoleAuditEvent.action).where(ConsoleAuditEvent.actor_email == consultant.email)
            )
        ).all()
    assert {"sign_in", "tenant.switch_refused", "tenant.switch"} <= set(actions)


async def test_an_employee_edit_goes_through_the_api_rules_and_is_audited(
    client: AsyncTestClient[Litestar],
    consultant: Staff,
    two_tenants: tuple[TenantRef, TenantRef],
    auth: TokenFactory,
    database: Database,
) -> None:
    mine, _ = two_tenants
    hr = auth(mine)
    created = await client.post(
        "/api/v1/employees", json={"email": f"e{secrets.token_hex(3)}@a.example", "full_name": "Eve Edit"}, headers=hr
    )
    assert created.status_code == 201, created.text
    employee = created.json()
    tab = Browserless(client)
    await tab.sign_in(consultant)
    await tab.get("/admin/")
    await tab.post("/admin/switch-tenant", {"tenant": mine.slug})
    form = await tab.get(f"/admin/employee/edit/{employee['id']}")
    assert form.status_code == 200
    fields = {"full_name": "Eve Edited", "email": employee["email"], "title": "Analyst", "level": "3", "active": "y"}
    bad = await tab.post(f"/admin/employee/edit/{employee['id']}", {**fields, "email": "not-an-email"})
    assert bad.status_code == 400
    assert "email" in bad.text
    unchanged = await client.get(f"/api/v1/employees/{employee['id']}", headers=hr)
    assert unchanged.json()["full_name"] == "Eve Edit"
    saved = await tab.post(f"/admin/employee/edit/{employee['id']}", {**fields, "save": "Save"})
    assert saved.status_code == 302, saved.text
    after = (await client.get(f"/api/v1/employees/{employee['id']}", headers=hr)).json()
    assert (after["full_name"], after["title"], after["level"]) == ("Eve Edited", "Analyst", 3)
    async with database.control_session() as session:
        event = await session.scalar(
            select(ConsoleAuditEvent).where(
                ConsoleAuditEvent.action == "employee.update", ConsoleAuditEvent.actor_email == consultant.email
            )
        )
    assert event is not None
    assert event.tenant_id == mine.id
    assert event.changes["full_name"] == {"from": "Eve Edit", "to": "Eve Edited"}


async def test_sessions_end_after_sign_out(client: AsyncTestClient[Litestar], consultant: Staff) -> None:
    tab = Browserless(client)
    await tab.sign_in(consultant)
    assert (await tab.get("/admin/")).status_code == 200
    cookie = tab.cookies.get("crosswalk_console")
    assert cookie
    replay = Browserless(client)
    replay.cookies.set("crosswalk_console", cookie, path="/admin")
    assert (await replay.get("/admin/")).status_code == 200  # the same cookie elsewhere works until sign-out
    assert (await tab.post("/admin/logout", {})).status_code == 303
    assert (await replay.get("/admin/")).status_code == 302


async def test_signing_out_takes_a_post_with_the_csrf_token(
    client: AsyncTestClient[Litestar], consultant: Staff
) -> None:
    tab = Browserless(client)
    await tab.sign_in(consultant)
    # SQLAdmin's "Logout" link, or a link or an image on another site: a page that asks, nothing more.
    asked = await tab.get("/admin/logout")
    assert asked.status_code == 200
    assert 'id="sign-out-form"' in asked.text
    assert (await tab.get("/admin/")).status_code == 200
    # A POST without the form's token (another site's form) is refused before the console sees it.
    assert (await tab.post("/admin/logout", {}, csrf=False)).status_code == 403
    assert (await tab.get("/admin/")).status_code == 200
    # Every page of the console offers the POST form itself.
    assert 'id="sign-out"' in (await tab.get("/admin/")).text
    done = await tab.post("/admin/logout", {})
    assert done.status_code == 303
    assert (await tab.get("/admin/")).status_code == 302


async def test_deactivating_an_employee_in_the_console_ends_their_credentials(
    client: AsyncTestClient[Litestar], consultant: Staff, two_tenants: tuple[TenantRef, TenantRef], auth: TokenFactory
) -> None:
    mine, _ = two_tenants
    hr = auth(mine)
    created = await client.post(
        "/api/v1/employees", json={"email": f"l{secrets.token_hex(3)}@a.example", "full_name": "Lou Leaver"}, headers=hr
    )
    assert created.status_code == 201, created.text
    employee = created.json()
    token = auth(mine, UserRole.EMPLOYEE, employee_id=uuid.UUID(employee["id"]))
    assert (await client.get("/api/v1/me", headers=token)).status_code == 200
    tab = await _chosen(client, consultant, mine)
    await tab.get(f"/admin/employee/edit/{employee['id']}")
    # An unticked checkbox is absent from the form: `active` false.
    saved = await tab.post(
        f"/admin/employee/edit/{employee['id']}",
        {"full_name": "Lou Leaver", "email": employee["email"], "save": "Save"},
    )
    assert saved.status_code == 302, saved.text
    assert (await client.get(f"/api/v1/employees/{employee['id']}", headers=hr)).json()["active"] is False
    refused = await client.get("/api/v1/me", headers=token)
    assert refused.status_code == 401
    assert "deactivated" in refused.json()["detail"]


async def test_the_console_audit_log_cannot_be_rewritten_by_the_serving_role(
    owner_engine: Engine, database: Database
) -> None:
    async with database.control_session() as session:
        with pytest.raises(Exception, match="permission denied"):
            await session.execute(text("UPDATE control.console_audit_events SET action = 'x'"))
    async with database.control_session() as session:
        with pytest.raises(Exception, match="permission denied"):
            await session.execute(text("DELETE FROM control.console_audit_events"))


async def _chosen(client: AsyncTestClient[Litestar], staff: Staff, tenant: TenantRef) -> Browserless:
    tab = Browserless(client)
    await tab.sign_in(staff)
    await tab.get("/admin/")
    assert (await tab.post("/admin/switch-tenant", {"tenant": tenant.slug})).status_code == 303
    return tab


async def test_a_partner_secret_is_shown_once_and_never_again(
    client: AsyncTestClient[Litestar], consultant: Staff, two_tenants: tuple[TenantRef, TenantRef]
) -> None:
    tab = await _chosen(client, consultant, two_tenants[0])
    await tab.get("/admin/partner-client/create")
    created = await tab.post(
        "/admin/partner-client/create", {"name": "HRIS sync", "scopes": "employees:read", "save": "Save"}
    )
    assert created.status_code == 200, created.text
    assert created.headers["cache-control"].startswith("no-store")
    shown = re.search(r'value="([A-Za-z0-9_\-]{30,})"', created.text)
    assert shown is not None
    secret = shown.group(1)
    listing = await tab.get("/admin/partner-client/list")
    assert "HRIS sync" in listing.text
    assert secret not in listing.text
    client_id = re.search(r"/admin/partner-client/details/([0-9a-f-]{36})", listing.text)
    assert client_id is not None
    details = await tab.get(f"/admin/partner-client/details/{client_id.group(1)}")
    assert details.status_code == 200
    assert secret not in details.text
    assert "secret_hash" not in details.text


async def test_the_dashboard_draws_the_analytics_of_the_chosen_tenant(
    client: AsyncTestClient[Litestar], consultant: Staff, two_tenants: tuple[TenantRef, TenantRef]
) -> None:
    tab = await _chosen(client, consultant, two_tenants[0])
    dashboard = await tab.get("/admin/dashboard")
    assert dashboard.status_code == 200, dashboard.text
    assert two_tenants[0].name in dashboard.text
    assert dashboard.text.count("<svg") >= 5
    for title in (
        "Internal mobility and fill rate",
        "Applications by stage",
        "by department",
        "Mentoring participation",
    ):
        assert title in dashboard.text


async def test_an_identity_providers_secret_is_write_only(
    client: AsyncTestClient[Litestar],
    consultant: Staff,
    two_tenants: tuple[TenantRef, TenantRef],
    platform_idp: PlatformIdp,
    secretbox: SecretBox,
    database: Database,
) -> None:
    """Configured through the same service as the API (the issuer is discovered for real); the secret is
    never shown back, and an edit that leaves it empty keeps the stored one."""
    mine = two_tenants[0]
    tab = await _chosen(client, consultant, mine)
    await tab.get("/admin/identity-provider/create")
    fields = {
        "issuer": platform_idp.issuer,
        "client_id": "alder-portal",
        "allowed_domains": "alder.example",
        "hr_groups": "hr",
        "manager_groups": "",
        "enabled": "y",
        "save": "Save",
    }
    unknown = await tab.post("/admin/identity-provider/create", {**fields, "issuer": "http://127.0.0.1:9/nobody"})
    # The API's status for the same refusal (422 naming the issuer), with the service's reason.
    assert unknown.status_code == 422
    alert = re.search(r'class="alert alert-danger"[^>]*>([^<]*)<', unknown.text)
    assert alert is not None, unknown.text
    assert "could not be read" in alert.group(1), alert.group(1)
    secret = "s3cret-" + secrets.token_urlsafe(12)
    created = await tab.post("/admin/identity-provider/create", {**fields, "client_secret": secret})
    assert created.status_code == 302, created.text
    listing = await tab.get("/admin/identity-provider/list")
    provider_id = re.search(r"/admin/identity-provider/edit/([0-9a-f-]{36})", listing.text)
    assert provider_id is not None
    form = await tab.get(f"/admin/identity-provider/edit/{provider_id.group(1)}")
    assert "alder-portal" in form.text
    assert secret not in form.text
    details = await tab.get(f"/admin/identity-provider/details/{provider_id.group(1)}")
    assert secret not in details.text
    edited = await tab.post(
        f"/admin/identity-provider/edit/{provider_id.group(1)}", {**fields, "client_id": "alder-portal-2"}
    )
    assert edited.status_code == 302, edited.text
    async with database.control_session() as session:
        stored = await session.scalar(select(IdentityProvider).where(IdentityProvider.tenant_id == mine.id))
    assert stored is not None
    assert stored.client_id == "alder-portal-2"
    assert secretbox.decrypt(stored.client_secret_encrypted) == secret
    async with database.control_session() as session:
        changes = (
            await session.scalars(
                select(ConsoleAuditEvent.changes)
                .where(ConsoleAuditEvent.tenant_id == mine.id, ConsoleAuditEvent.action.like("identity_provider.%"))
                .order_by(ConsoleAuditEvent.id)
            )
        ).all()
    assert len(changes) == 2
    assert all(secret not in str(c) for c in changes)
    assert stored.client_secret_encrypted not in str(changes)
    assert changes[0]["client_secret_encrypted"] == {"from": None, "to": "(hidden)"}
    # The edit kept the secret and changed the client id: that is all its record says changed.
    assert changes[1]["client_id"] == {"from": "alder-portal", "to": "alder-portal-2"}
    assert "client_secret_encrypted" not in changes[1]


async def test_status_changes_are_platform_jobs_and_archiving_is_for_superadmins(
    client: AsyncTestClient[Litestar],
    consultant: Staff,
    two_tenants: tuple[TenantRef, TenantRef],
    database: Database,
    secretbox: SecretBox,
) -> None:
    mine, theirs = two_tenants
    tab = Browserless(client)
    await tab.sign_in(consultant)
    details = await tab.get(f"/admin/tenant/details/{mine.id}")
    # An active company offers suspending, not activating; archiving is offered to superadmins only.
    assert re.findall(r">\s*(Suspend|Activate|Archive)\s*</button>", details.text) == ["Suspend"]
    archive = await tab.post(f"/admin/tenant/{mine.id}/status", {"status": "archived"})
    assert archive.status_code == 403
    other = await tab.post(f"/admin/tenant/{theirs.id}/status", {"status": "suspended"})
    assert other.status_code == 403
    suspend = await tab.post(f"/admin/tenant/{mine.id}/status", {"status": "suspended"})
    assert suspend.status_code == 303
    assert "/admin/platform-job/details/" in suspend.headers["location"]
    async with database.control_session() as session:
        job = await session.scalar(
            select(PlatformJob).where(PlatformJob.tenant_id == mine.id).order_by(PlatformJob.id.desc())
        )
    assert job is not None
    assert (job.kind, job.arguments["status"]) == ("tenants.set_status", "suspended")
    page = await tab.get(suspend.headers["location"])
    assert page.status_code == 200
    assert "tenants.set_status" in page.text
    superadmin = Browserless(client)
    await superadmin.sign_in(await _make_staff(database, secretbox, PlatformRole.SUPERADMIN, []))
    offered = await superadmin.get(f"/admin/tenant/details/{theirs.id}")
    assert re.findall(r">\s*(Suspend|Activate|Archive)\s*</button>", offered.text) == ["Suspend", "Archive"]


async def test_viewing_applications_in_the_console_is_audited_like_the_api(
    client: AsyncTestClient[Litestar],
    database: Database,
    secretbox: SecretBox,
    make_tenant: TenantFactory,
    auth: TokenFactory,
) -> None:
    """Applications are confidential: each one a consultant is shown lands in the tenant's own audit
    log (readable by its HR at /api/v1/audit-events), one entry per application, as for API callers."""
    tenant = make_tenant(f"con_m_{secrets.token_hex(3)}")
    market = await build_market(client, tenant, auth)
    opening = await market.opening()
    applied = [await market.apply(opening["id"], who) for who in ("ana", "tom")]
    staff = await _make_staff(database, secretbox, PlatformRole.CONSULTANT, [tenant])
    tab = await _chosen(client, staff, tenant)
    listing = await tab.get("/admin/application/list")
    assert listing.status_code == 200
    seen = await market.audit(action="application.viewed")
    by_console = [e for e in seen if e["actor_subject"] == f"console:{staff.email}"]
    assert sorted(e["object_id"] for e in by_console) == sorted(a["id"] for a in applied)


async def test_a_deactivated_consultant_is_signed_out_at_the_next_click(
    client: AsyncTestClient[Litestar],
    database: Database,
    secretbox: SecretBox,
    two_tenants: tuple[TenantRef, TenantRef],
) -> None:
    staff = await _make_staff(database, secretbox, PlatformRole.CONSULTANT, [two_tenants[0]])
    tab = Browserless(client)
    await tab.sign_in(staff)
    assert (await tab.get("/admin/")).status_code == 200
    async with database.control_session() as session, session.begin():
        await PlatformUserService(session, secretbox).deactivate(staff.email)
    assert (await tab.get("/admin/")).status_code == 302
    assert (await Browserless(client).sign_in(staff)).status_code == 400


async def test_a_superadmin_assigns_and_withdraws_a_tenant(
    client: AsyncTestClient[Litestar],
    database: Database,
    secretbox: SecretBox,
    two_tenants: tuple[TenantRef, TenantRef],
) -> None:
    theirs = two_tenants[1]
    boss = await _make_staff(database, secretbox, PlatformRole.SUPERADMIN, [])
    consultant = await _make_staff(database, secretbox, PlatformRole.CONSULTANT, [])
    tab = Browserless(client)
    await tab.sign_in(boss)
    await tab.get("/admin/consultant-assignment/create")
    added = await tab.post(
        "/admin/consultant-assignment/create",
        {"consultant_email": consultant.email, "tenant_slug": theirs.slug, "save": "Save"},
    )
    assert added.status_code == 302, added.text
    consultant_tab = Browserless(client)
    await consultant_tab.sign_in(consultant)
    assert theirs.slug in (await consultant_tab.get("/admin/")).text
    async with database.control_session() as session:
        assignment_id = await session.scalar(
            select(ConsultantAssignment.id)
            .join(PlatformUser, PlatformUser.id == ConsultantAssignment.platform_user_id)
            .where(PlatformUser.email == consultant.email, ConsultantAssignment.tenant_id == theirs.id)
        )
    assert assignment_id is not None
    details = await tab.get(f"/admin/consultant-assignment/details/{assignment_id}")
    assert details.status_code == 200
    withdrawn = await tab.post(f"/admin/consultant-assignment/{assignment_id}/withdraw", {})
    assert withdrawn.status_code == 303
    assert theirs.slug not in (await consultant_tab.get("/admin/")).text
    # Consultants cannot see the assignments at all.
    assert (await consultant_tab.get("/admin/consultant-assignment/list")).status_code == 403
