"""`crosswalk scim tokens` as a consultant runs it: a real process on the test database."""

from __future__ import annotations

import uuid
from pathlib import Path

from backend.settings import Settings
from tests.cli.test_cli import crosswalk
from tests.conftest import TenantFactory
from tests.scim.conftest import Client, scim_error, scim_ok


async def test_scim_tokens_through_the_cli(
    client: Client, settings: Settings, tmp_path: Path, make_tenant: TenantFactory
) -> None:
    tenant = make_tenant()
    created = crosswalk(settings, tmp_path, "scim", "tokens", "create", "--tenant", tenant.slug, "--name", "Okta prod")
    assert created.returncode == 0, created.stderr
    lines = created.stdout.strip().splitlines()
    token = lines[-1]
    assert token.startswith("scim_")
    assert "/scim/v2" in created.stdout
    assert "not shown again" in created.stdout
    headers = {"Authorization": f"Bearer {token}"}
    scim_ok(await client.get("/scim/v2/Users", headers=headers))

    listed = crosswalk(settings, tmp_path, "scim", "tokens", "list", "--tenant", tenant.slug)
    assert listed.returncode == 0, listed.stderr
    assert "Okta prod" in listed.stdout
    assert token[:12] in listed.stdout
    assert token not in listed.stdout
    token_id = next(
        word for line in created.stdout.splitlines() for word in line.replace(")", " ").split() if _is_uuid(word)
    )
    assert token_id in listed.stdout

    revoked = crosswalk(settings, tmp_path, "scim", "tokens", "revoke", "--tenant", tenant.slug, token_id)
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in revoked.stdout
    scim_error(await client.get("/scim/v2/Users", headers=headers), 401)


async def test_scim_token_cli_errors_are_one_line(
    settings: Settings, tmp_path: Path, make_tenant: TenantFactory
) -> None:
    tenant = make_tenant()
    other = make_tenant()
    theirs = crosswalk(settings, tmp_path, "scim", "tokens", "create", "--tenant", other.slug, "--name", "Theirs")
    their_id = next(word for word in theirs.stdout.replace(")", " ").split() if _is_uuid(word))
    cases = [
        (("create", "--tenant", "nobody_here", "--name", "X"), "error: no tenant 'nobody_here'"),
        (("create", "--tenant", tenant.slug, "--name", "   "), "error: a token's name is 1 to 200 visible characters"),
        (("revoke", "--tenant", tenant.slug, "not-an-id"), "error: 'not-an-id' is not a token id"),
        (("revoke", "--tenant", tenant.slug, their_id), f"error: SCIM token {their_id} does not exist"),
        (("list", "--tenant", "nobody_here"), "error: no tenant 'nobody_here'"),
    ]
    for arguments, message in cases:
        result = crosswalk(settings, tmp_path, "scim", "tokens", *arguments)
        assert result.returncode == 1, arguments
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(message), (arguments, lines[0])
    listed = crosswalk(settings, tmp_path, "scim", "tokens", "list", "--tenant", tenant.slug)
    assert "Theirs" not in listed.stdout


def _is_uuid(word: str) -> bool:
    try:
        uuid.UUID(word)
    except ValueError:
        return False
    return True
