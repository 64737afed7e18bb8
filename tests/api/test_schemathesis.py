"""Schemathesis against a real server: no 5xx, every response documented, no object of one tenant
readable with the other tenant's token (its object-level authorization check, with both tenants'
HR tokens as peers)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from backend.auth.principal import UserRole
from tests.conftest import TenantFactory, TokenFactory

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def test_schemathesis_finds_no_failure(
    app_base_url: str, make_tenant: TenantFactory, auth: TokenFactory, tmp_path: Path
) -> None:
    server = app_base_url
    peers = {"tenant-a": make_tenant(), "tenant-b": make_tenant()}
    headers = {name: auth(tenant, UserRole.HR_ADMIN, ttl=3600) for name, tenant in peers.items()}
    # A token that silently fails would turn the run green on 401s alone.
    for header in headers.values():
        assert httpx.get(f"{server}/api/v1/employees", headers=header).status_code == 200
    wfc = tmp_path / "auth.wfc.json"
    wfc.write_text(
        json.dumps(
            {
                "auth": [
                    {"name": name, "fixedHeaders": [{"name": "Authorization", "value": h["Authorization"]}]}
                    for name, h in headers.items()
                ]
            }
        )
    )
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f"""
[auth.wfc]
path = "{wfc}"
peers = ["tenant-a", "tenant-b"]
user = "tenant-a"

[generation]
database = "none"

# 422 is this API's documented answer to a well-formed body that names unknown objects or breaks a rule;
# 303 is how the sign-in routes (login, callback, logout) answer a browser.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "303", "401", "403", "404", "409", "422"]
"""
    )
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{server}/schema/openapi.json",
            "--max-examples",
            "10",
            "--workers",
            "1",
            "--seed",
            "1",
            "--max-time",
            "180",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
