"""The CLI's commands that take an email: a lookalike of somebody's address names nobody."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text

from backend.auth.principal import UserRole
from backend.settings import Settings
from tests.conftest import TenantFactory, TokenFactory, process_env

CROSSWALK = Path(sys.executable).parent / "crosswalk"
KELVIN_KAREN = "\u212aaren@acme.example"


def crosswalk(settings: Settings, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**process_env(settings, tmp_path), "COLUMNS": "240"}
    return subprocess.run([str(CROSSWALK), *args], env=env, capture_output=True, text=True, timeout=120)


def one_line_error(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: "), done.stderr
    assert words in lines[0], done.stderr


async def test_a_token_is_never_minted_for_a_lookalike_of_an_employee(
    settings: Settings,
    tmp_path: Path,
    make_tenant: TenantFactory,
    auth: TokenFactory,
    client: AsyncTestClient[Litestar],
) -> None:
    tenant = make_tenant()
    hr = auth(tenant, UserRole.HR_ADMIN)
    karen = await client.post("/api/v1/employees", json={"email": "karen@acme.example", "full_name": "K"}, headers=hr)
    assert karen.status_code == 201, karen.text
    args = ["tokens", "create", "--tenant", tenant.slug, "--role", "employee", "--employee"]
    one_line_error(crosswalk(settings, tmp_path, *args, KELVIN_KAREN), "KELVIN SIGN")
    one_line_error(crosswalk(settings, tmp_path, *args, "karen@evil.example@acme.example"), "exactly one @")
    # Her own address, in any ASCII case, names her.
    minted = crosswalk(settings, tmp_path, *args, "Karen@ACME.example")
    assert minted.returncode == 0, minted.stderr
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {minted.stdout.strip()}"})
    assert me.status_code == 200, me.text


@pytest.mark.parametrize(
    ("email", "words"),
    [
        ("\u212aonsultant@crosswalk.example", "KELVIN SIGN"),
        ("c\u043ensultant@crosswalk.example", "CYRILLIC"),
        ("consultant@evil.example@crosswalk.example", "exactly one @"),
    ],
)
def test_platform_users_with_lookalike_emails_are_refused(
    settings: Settings, tmp_path: Path, owner_engine: Engine, email: str, words: str
) -> None:
    def users() -> int:
        with owner_engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM control.platform_users")) or 0)

    before = users()
    one_line_error(crosswalk(settings, tmp_path, "consultants", "create", email, "--name", "Not Them"), words)
    one_line_error(crosswalk(settings, tmp_path, "consultants", "deactivate", email), words)
    assert users() == before
