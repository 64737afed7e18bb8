"""A token minted by `crosswalk tokens create` for an employee stops working the moment the employee is
deactivated, in every API process: here the test's own app deactivates, and another `crosswalk serve`
process refuses the token at its next request. No token is minted for a deactivated employee, and a
reactivation revives no token minted before."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from backend.settings import Settings
from tests.cli.test_cli import crosswalk
from tests.conftest import TenantFactory, TokenFactory


def _me(base_url: str, token: str) -> httpx.Response:
    return httpx.get(f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def _mint_for(settings: Settings, tmp_path: Path, slug: str, email: str) -> subprocess.CompletedProcess[str]:
    arguments = ("--tenant", slug, "--role", "employee", "--employee", email)
    return crosswalk(settings, tmp_path, "tokens", "create", *arguments)


def _mint(settings: Settings, tmp_path: Path, slug: str, email: str) -> str:
    minted = _mint_for(settings, tmp_path, slug, email)
    assert minted.returncode == 0, minted.stderr
    return minted.stdout.strip()


async def test_a_cli_token_ends_with_the_deactivation_in_every_process(
    settings: Settings,
    tmp_path: Path,
    app_base_url: str,
    client: AsyncTestClient[Litestar],
    make_tenant: TenantFactory,
    auth: TokenFactory,
) -> None:
    tenant = make_tenant()
    hr = auth(tenant, UserRole.HR_ADMIN)
    email = f"cli.{uuid.uuid4().hex[:8]}@example.com"
    created = await client.post("/api/v1/employees", json={"email": email, "full_name": "Cleo Cli"}, headers=hr)
    assert created.status_code == 201, created.text
    employee_id = created.json()["id"]
    token = _mint(settings, tmp_path, tenant.slug, email)
    assert _me(app_base_url, token).status_code == 200
    in_process = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=in_process)).status_code == 200

    left = await client.patch(f"/api/v1/employees/{employee_id}", json={"active": False}, headers=hr)
    assert left.status_code == 200, left.text

    # The other process, which cached the token as verified a moment ago, refuses it at once.
    refused = _me(app_base_url, token)
    assert refused.status_code == 401
    assert "deactivated" in refused.json()["detail"]
    assert (await client.get("/api/v1/me", headers=in_process)).status_code == 401

    # Nothing is minted for a deactivated employee: one line, exit code 1.
    refused_mint = _mint_for(settings, tmp_path, tenant.slug, email)
    assert refused_mint.returncode == 1
    assert refused_mint.stdout == ""
    assert refused_mint.stderr.strip() == (
        f"error: the employee {email!r} is deactivated; their credentials no longer work"
    )

    back = await client.patch(f"/api/v1/employees/{employee_id}", json={"active": True}, headers=hr)
    assert back.status_code == 200, back.text
    assert _me(app_base_url, token).status_code == 401
    # A token minted after the reactivation (a second later: tokens carry whole seconds) works.
    await asyncio.sleep(1.1)
    assert _me(app_base_url, _mint(settings, tmp_path, tenant.slug, email)).status_code == 200
