"""RFC 7643/7644 conformance: scim2-tester, the python-scim project's checker, runs every one of its
checks against the API served by `crosswalk serve`, through its Python API for a company with a role
framework (the Crosswalk extension's role takes its titles) and as `scim test` of scim2-cli, with no
option, for a company just created. Every check must succeed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import CheckConfig, Status, check_server
from scim2_tester.checkers import core_schemas_validation
from scim2_tester.utils import CheckContext

from backend.auth.principal import UserRole
from backend.settings import Settings
from tests.conftest import TenantFactory, TokenFactory, free_port, serve_app

CROSSWALK = "urn:ietf:params:scim:schemas:extension:crosswalk:2.0:User"


@pytest.fixture(scope="module")
def served(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`crosswalk serve` whose PUBLIC_URL is its own address, so the locations it writes can be followed."""
    port = free_port()
    log_dir: Path = tmp_path_factory.mktemp("scim-server")
    with serve_app(settings, log_dir, port=port, extra_env={"PUBLIC_URL": f"http://127.0.0.1:{port}"}) as app:
        yield app.base_url


def _framework(base_url: str, hr: dict[str, str]) -> None:
    """Two job families, one title in both (which names no single role), and two titles of their own."""
    for family_name, titles in (("Engineering", ("Engineer", "Lead")), ("Operations", ("Dispatcher", "Lead"))):
        family = httpx.post(f"{base_url}/api/v1/job-families", json={"name": family_name}, headers=hr)
        assert family.status_code == 201, family.text
        for level, title in enumerate(titles, start=3):
            role = {"job_family_id": family.json()["id"], "title": title, "level": level}
            assert httpx.post(f"{base_url}/api/v1/roles", json=role, headers=hr).status_code == 201


def _scim_token(base_url: str, hr: dict[str, str]) -> tuple[str, str]:
    """A SCIM token made by the company's HR admin, and the SCIM base URL that came with it."""
    created = httpx.post(f"{base_url}/api/v1/scim-tokens", json={"name": "scim2-tester"}, headers=hr)
    assert created.status_code == 201, created.text
    return created.json()["token"], created.json()["scim_base_url"]


CHECKS_PER_RESOURCE_TYPE = (
    "object_creation",
    "object_query",
    "object_query_without_id",
    "object_query_with_attributes",
    "object_list_with_attributes",
    "search_with_attributes",
    "object_replacement",
    "object_deletion",
    "check_add_attribute",
    "check_remove_attribute",
    "check_replace_attribute",
)


def test_scim2_tester_passes_every_check(served: str, make_tenant: TenantFactory, auth: TokenFactory) -> None:
    tenant = make_tenant()
    hr = auth(tenant, UserRole.HR_ADMIN)
    _framework(served, hr)
    token, base_url = _scim_token(served, hr)
    with httpx2.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        client = SyncSCIMClient(http)
        results = check_server(client)
        # The one checker of the suite that check_server leaves out: /Schemas lists the discovery schemas too.
        results += core_schemas_validation(CheckContext(client, CheckConfig()))
        schema = http.get(f"/Schemas/{CROSSWALK}").json()
    failed = [result for result in results if result.status != Status.SUCCESS]
    assert not failed, "\n".join(
        f"{r.status.name} {r.resource_type or ''} {r.title}: {r.reason}\n    {r.data!r}" for r in failed
    )
    # Every kind of check ran: discovery, the unknown URL, and each operation on users and groups.
    ran = {(result.resource_type, result.title) for result in results}
    for resource_type in ("User", "Group"):
        for check in CHECKS_PER_RESOURCE_TYPE:
            assert (resource_type, check) in ran, (resource_type, check)
    for check in (
        "service_provider_config_endpoint",
        "query_all_resource_types",
        "query_resource_type_by_id",
        "access_invalid_resource_type",
        "query_all_schemas",
        "access_schema_by_id",
        "access_invalid_schema",
        "core_schemas_validation",
        "random_url",
    ):
        assert (None, check) in ran, check
    # The roles the tester gave users were the framework's titles; the title two families share is not offered.
    attributes = {attribute["name"]: attribute for attribute in schema["attributes"]}
    assert attributes["role"]["canonicalValues"] == ["Dispatcher", "Engineer"]


def test_scim_test_of_scim2_cli_passes_with_no_option(
    served: str, make_tenant: TenantFactory, auth: TokenFactory, tmp_path: Path
) -> None:
    # A company just created: no framework yet, so its Crosswalk extension has no role to offer.
    tenant = make_tenant()
    token, base_url = _scim_token(served, auth(tenant, UserRole.HR_ADMIN))
    schema = httpx.get(f"{base_url}/Schemas/{CROSSWALK}", headers={"Authorization": f"Bearer {token}"}).json()
    assert [attribute["name"] for attribute in schema["attributes"]] == ["level", "jobCode"]
    # The token goes through the environment (the CLI's advice: other users can read arguments).
    env = {**os.environ, "SCIM_CLI_HEADERS": f"Authorization: Bearer {token}", "NO_COLOR": "1"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "scim"), "--url", base_url, "test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    statuses = [line.split(" ", 1)[0] for line in done.stdout.splitlines() if line and not line.startswith(" ")]
    assert statuses.count("SUCCESS") >= 2 * len(CHECKS_PER_RESOURCE_TYPE), report
    assert set(statuses) == {"Performing", "SUCCESS"}, report
