"""`crosswalk partners` as a platform consultant runs it: real process, real database and Redis."""

from __future__ import annotations

import subprocess
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text

from backend.settings import Settings
from tests.cli.test_cli import crosswalk
from tests.conftest import TenantFactory
from tests.helpers import problem
from tests.partners.conftest import oauth_error, request_token

Client = AsyncTestClient[Litestar]


def shown_once(result: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    """The client id and secret a create or rotate printed."""
    assert result.returncode == 0, result.stderr
    values = dict(line.split(":", 1) for line in result.stdout.splitlines() if line.startswith("client_"))
    return values["client_id"].strip(), values["client_secret"].strip()


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    return lines[0]


async def test_create_list_rotate_revoke_through_the_cli(
    client: Client, settings: Settings, tmp_path: Path, make_tenant: TenantFactory, owner_engine: Engine
) -> None:
    tenant = make_tenant()
    created = crosswalk(
        settings, tmp_path, "partners", "create", "--tenant", tenant.slug, "--name", "Acme LMS",
        "--scope", "employees:read", "--scope", "skills:write",
    )  # fmt: skip
    client_id, secret = shown_once(created)
    assert client_id.startswith("pc_")
    assert secret.startswith("cwpsec_")
    assert "/oauth/token" in created.stdout

    token = await request_token(client, client_id, secret)
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "employees:read skills:write"
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await client.get("/api/v1/employees", headers=headers)).status_code == 200

    listed = crosswalk(settings, tmp_path, "partners", "list", "--tenant", tenant.slug)
    assert listed.returncode == 0, listed.stderr
    assert client_id in listed.stdout
    assert "Acme LMS" in listed.stdout
    assert secret not in listed.stdout

    rotated = crosswalk(settings, tmp_path, "partners", "rotate", client_id, "--tenant", tenant.slug)
    same_id, new_secret = shown_once(rotated)
    assert same_id == client_id
    assert "old secret works until" in rotated.stdout
    for usable in (secret, new_secret):
        assert (await request_token(client, client_id, usable)).status_code == 200
    again = crosswalk(
        settings, tmp_path, "partners", "rotate", client_id, "--tenant", tenant.slug, "--grace-seconds", "0"
    )
    _, newest = shown_once(again)
    for stale in (secret, new_secret):
        oauth_error(await request_token(client, client_id, stale), 401, "invalid_client")
    assert (await request_token(client, client_id, newest)).status_code == 200

    revoked = crosswalk(settings, tmp_path, "partners", "revoke", client_id, "--tenant", tenant.slug)
    assert revoked.returncode == 0, revoked.stderr
    assert "is revoked" in revoked.stdout
    # The CLI wrote the revocation to Redis: the token that worked a moment ago no longer does.
    assert "revoked" in problem(await client.get("/api/v1/employees", headers=headers), 401)["detail"]
    oauth_error(await request_token(client, client_id, newest), 401, "invalid_client")

    # No secret was echoed anywhere but in the one-time lines.
    for result in (created, listed, rotated, again, revoked):
        assert result.stderr == ""
    with owner_engine.connect() as connection:
        assert (
            connection.scalar(
                text("SELECT created_by FROM control.partner_clients WHERE client_id = :c"), {"c": client_id}
            )
            == "cli"
        )


def test_bad_input_is_one_line_and_changes_nothing(
    settings: Settings, tmp_path: Path, make_tenant: TenantFactory, owner_engine: Engine
) -> None:
    tenant = make_tenant()

    def count() -> int:
        with owner_engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM control.partner_clients")) or 0)

    before = count()
    create = ("partners", "create", "--name", "LMS")
    unknown_tenant = crosswalk(settings, tmp_path, *create, "--tenant", "nobody_here", "--scope", "employees:read")
    assert one_line_error(unknown_tenant) == "error: no tenant 'nobody_here'"
    bad_scope = crosswalk(settings, tmp_path, *create, "--tenant", tenant.slug, "--scope", "salaries:read")
    assert "'salaries:read'" in one_line_error(bad_scope)
    admin_scope = crosswalk(settings, tmp_path, *create, "--tenant", tenant.slug, "--scope", "identity:admin")
    assert "cannot be granted" in one_line_error(admin_scope)
    unknown_client = crosswalk(settings, tmp_path, "partners", "revoke", "pc_nothing", "--tenant", tenant.slug)
    assert "pc_nothing" in one_line_error(unknown_client)
    rotate_unknown = crosswalk(settings, tmp_path, "partners", "rotate", "pc_nothing", "--tenant", tenant.slug)
    assert "pc_nothing" in one_line_error(rotate_unknown)
    assert count() == before
