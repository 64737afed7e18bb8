"""Schemathesis against a real server with every check: no 5xx, every response documented and
conforming (status, content type, headers, body), bad input refused, no object of one tenant
readable with the other tenant's token (its object-level authorization check, with both tenants'
HR tokens as peers), and SCIM and the caller's own routes reached with their own credentials."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
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
    run_schemathesis(
        tmp_path / "api",
        server,
        WFC_CONFIG.format(wfc=wfc) + CHECKS_CONFIG,
        max_time=180,
    )

    # Two more runs reach what tenant-a's HR token cannot: SCIM (its own bearer tokens) and the
    # caller's own routes under /api/v1/me (an employee).
    scim = httpx.post(f"{server}/api/v1/scim-tokens", json={"name": "schemathesis"}, headers=headers["tenant-a"])
    assert scim.status_code == 201, scim.text
    hire = {"email": "fuzzed@schemathesis.example", "full_name": "Fuzzed Person"}
    employee = httpx.post(f"{server}/api/v1/employees", json=hire, headers=headers["tenant-a"])
    assert employee.status_code == 201, employee.text
    me = auth(peers["tenant-a"], UserRole.EMPLOYEE, employee_id=uuid.UUID(employee.json()["id"]), ttl=3600)
    for name, authorization, paths, config_text in (
        ("scim", f"Bearer {scim.json()['token']}", "^/scim/", CHECKS_CONFIG + SCIM_CONFIG),
        ("me", me["Authorization"], "^/api/v1/me(/|$)", CHECKS_CONFIG),
    ):
        run_schemathesis(
            tmp_path / name,
            server,
            config_text,
            max_time=60,
            extra=["--include-path-regex", paths, "--header", f"Authorization: {authorization}"],
        )


WFC_CONFIG = """
[auth.wfc]
path = "{wfc}"
peers = ["tenant-a", "tenant-b"]
user = "tenant-a"
"""

CHECKS_CONFIG = """
[generation]
database = "none"

# 422 is this API's documented answer to a well-formed body that names unknown objects or breaks a rule;
# 303 is how the sign-in routes (login, callback, logout) answer a browser.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "303", "401", "403", "404", "409", "422"]
"""


# SCIM's filters and attribute paths are a grammar (RFC 7644 section 3.4.2.2) that the schema can only
# type as strings, and its bodies are resources of RFC 7643's schemas, not of this OpenAPI one: a random
# string or body is a SCIM 400 (invalidFilter, invalidPath, invalidSyntax, invalidValue), its answer.
SCIM_CONFIG = """
[[operations]]
include-path-regex = "^/scim/"

[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409"]
"""


def run_schemathesis(
    workdir: Path, server: str, config_text: str, *, max_time: int, extra: list[str] | None = None
) -> None:
    """Schemathesis with every check (OPTIONS lists every method of a path: backend/api/options.py, so
    `allow_header_conformance` holds too)."""
    workdir.mkdir()
    config = workdir / "schemathesis.toml"
    config.write_text(config_text)
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{server}/schema/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "10",
            "--workers",
            "1",
            "--seed",
            "1",
            "--max-time",
            str(max_time),
            *(extra or []),
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
