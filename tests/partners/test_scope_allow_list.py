"""Partner scopes are an allow-list, the one the README documents: nothing else can be granted, asked
for at the token endpoint, or used with a token, whatever a client was registered with before. A scope
added to Crosswalk later is a person's until it is added to the list (and to the README)."""

from __future__ import annotations

import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text

from backend.auth.principal import PARTNER_SCOPES, Scope
from backend.auth.tokens import TokenClaims, TokenSigner
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.partners.conftest import Register, bearer, request_token

Client = AsyncTestClient[Litestar]
README = Path(__file__).resolve().parents[2] / "README.md"


def documented_partner_scopes() -> set[str]:
    """The scopes the README's "Partner apps" section says a partner may be granted."""
    text_ = README.read_text()
    start = text_.index("**Scopes** a partner may be granted")
    end = text_.index("It is a list", start)
    return set(re.findall(r"`([a-z]+:[a-z]+)`", text_[start:end]))


def test_the_allow_list_is_the_documented_one() -> None:
    assert {s.value for s in PARTNER_SCOPES} == documented_partner_scopes()
    # People's scopes, as the deny-list used to leave grantable.
    assert Scope.MENTORING_READ not in PARTNER_SCOPES
    assert Scope.NOTIFICATIONS_READ not in PARTNER_SCOPES


async def test_only_the_allow_list_can_be_granted(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    for scope in sorted(set(Scope) - PARTNER_SCOPES):
        refused = await client.post("/api/v1/partner-clients", json={"name": "LMS", "scopes": [scope]}, headers=hr)
        assert f"{scope.value!r} cannot be granted" in problem(refused, 422)["detail"], scope
    granted = await client.post(
        "/api/v1/partner-clients", json={"name": "LMS", "scopes": sorted(PARTNER_SCOPES)}, headers=hr
    )
    assert granted.status_code == 201, granted.text
    metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert set(metadata["scopes_supported"]) == documented_partner_scopes()


async def test_a_scope_off_the_list_is_never_granted_nor_honoured(
    client: Client,
    make_tenant: TenantFactory,
    register: Register,
    owner_engine: Engine,
    signer: TokenSigner,
) -> None:
    tenant = make_tenant()
    credentials = await register(tenant, "employees:read")
    # A client registered when the deny-list let mentoring through still holds it in its record.
    with owner_engine.begin() as connection:
        connection.execute(
            text("UPDATE control.partner_clients SET scopes = :s WHERE id = :id"),
            {"s": ["employees:read", "mentoring:read"], "id": credentials.id},
        )
    refused = await request_token(client, credentials.client_id, credentials.client_secret, scope="mentoring:read")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"
    everything = await request_token(client, credentials.client_id, credentials.client_secret)
    assert everything.status_code == 200, everything.text
    assert everything.json()["scope"] == "employees:read"
    headers = await bearer(client, credentials)
    assert (await client.get("/api/v1/mentoring/programmes", headers=headers)).status_code == 403

    # A partner's token minted with such a scope (before the list existed) opens nothing with it.
    minted = signer.mint(
        TokenClaims(
            subject=f"partner:{credentials.client_id}",
            tenant_slug=tenant.slug,
            tenant_id=tenant.id,
            roles=(),
            scopes=("employees:read", "mentoring:read"),
            employee_id=None,
            client_id=credentials.client_id,
        )
    )
    old = {"Authorization": f"Bearer {minted}"}
    assert (await client.get("/api/v1/mentoring/programmes", headers=old)).status_code == 403
    assert (await client.get("/api/v1/employees", headers=old)).status_code == 200
