"""Mistakes typed at the `crosswalk` command are told in one line on stderr, exit code 1, never a
traceback: an unknown tenant, employee, partner app or consultant, a malformed value, a bad file."""

from __future__ import annotations

from pathlib import Path

from backend.settings import Settings
from tests.cli.test_cli import crosswalk
from tests.conftest import TenantFactory


def test_every_mistake_is_one_line(settings: Settings, tmp_path: Path, make_tenant: TenantFactory) -> None:
    tenant = make_tenant().slug
    not_utf8 = tmp_path / "latin1.csv"
    not_utf8.write_bytes("provider,title\nCaf\xe9,Caf\xe9\n".encode("latin-1"))
    mistakes = [
        # A slug that names no tenant is a mistake, not an empty list.
        ["jobs", "dead-letters", "--tenant", "nobody_here"],
        ["tenants", "suspend", "nobody_here"],
        ["tokens", "create", "--tenant", tenant, "--role", "employee", "--employee", "nobody@example.com"],
        ["tokens", "create", "--tenant", tenant, "--role", "chief"],
        ["partners", "rotate", "--tenant", tenant, "pc_nope"],
        ["partners", "create", "--tenant", tenant, "--name", "x" * 300, "--scope", "org:read"],
        ["scim", "tokens", "revoke", "--tenant", tenant, "nope"],
        ["consultants", "assign", "nobody@example.com", "--tenant", tenant],
        ["consultants", "create", "not-an-email", "--name", "X"],
        ["courses", "import", str(not_utf8), "--tenant", tenant],
        ["sso", "show", "--tenant", tenant],
    ]
    for args in mistakes:
        result = crosswalk(settings, tmp_path, *args)
        said = result.stderr.strip().splitlines()
        assert result.returncode == 1, (args, result.returncode, result.stderr)
        assert len(said) == 1, (args, result.stderr)
        assert said[0].startswith("error: "), (args, said)
        assert "Traceback" not in result.stderr + result.stdout, args
