"""A database that restarts or is briefly unreachable: `crosswalk serve` on a Postgres of the test's
own, stopped and started while the API answers.

While it is down, every door (the API, SCIM, /ready, the console's sign-in) answers 503 with
Retry-After, as problem+json (SCIM: its own error document; the console: its sign-in page saying so);
once it is back, the very first request succeeds, though the pool still held connections to the
server that went away.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import create_engine

from backend.auth.principal import UserRole
from backend.settings import Settings, as_psycopg_url
from tenants.migrator import upgrade_control
from tenants.provisioning import RoleNames, create_tenant, ensure_platform_roles
from tests.conftest import TokenFactory, free_port, serve_app
from tests.postgres_server import PostgresServer

RETRY_AFTER = 7


@dataclass
class Outage:
    postgres: PostgresServer
    base_url: str
    hr: dict[str, str]
    scim: dict[str, str]


@pytest.fixture(scope="module")
def outage(settings: Settings, tmp_path_factory: pytest.TempPathFactory, auth: TokenFactory) -> Iterator[Outage]:
    postgres = PostgresServer(tmp_path_factory.mktemp("private-postgres"), free_port())
    postgres.start()
    try:
        own = settings.model_copy(update={"database_url": postgres.url})
        owner = create_engine(as_psycopg_url(own.owner_url))
        upgrade_control(owner)
        roles = RoleNames(own.role_prefix)
        ensure_platform_roles(owner, roles)
        tenant = create_tenant(owner, roles, f"co_{secrets.token_hex(4)}", "Outage Co")
        owner.dispose()
        env = {"DB_UNAVAILABLE_RETRY_AFTER_SECONDS": str(RETRY_AFTER), "DB_CONNECT_TIMEOUT_SECONDS": "2"}
        with serve_app(own, tmp_path_factory.mktemp("outage-server"), extra_env=env) as served:
            hr = auth(tenant, UserRole.HR_ADMIN)
            created = httpx.post(f"{served.base_url}/api/v1/scim-tokens", json={"name": "IdP"}, headers=hr, timeout=10)
            assert created.status_code == 201, created.text
            scim = {"Authorization": f"Bearer {created.json()['token']}"}
            yield Outage(postgres, served.base_url, hr, scim)
    finally:
        postgres.stop()


def _console_sign_in(client: httpx.Client) -> httpx.Response:
    page = client.get("/admin/login")
    csrf = re.search(r'name="csrftoken"[^>]*value="([^"]+)"', page.text)
    assert csrf is not None, page.text
    # An unknown account: the sign-in reads the database to find out (a 400 page when it can).
    email = f"nobody-{secrets.token_hex(4)}@crosswalk.example"
    form = {"email": email, "password": "wrong", "code": "000000", "csrftoken": csrf.group(1)}
    return client.post("/admin/login", data=form)


def _every_door(outage: Outage) -> dict[str, httpx.Response]:
    with httpx.Client(base_url=outage.base_url, timeout=15) as client:
        return {
            "api": client.get("/api/v1/org-units", headers=outage.hr),
            "scim": client.get("/scim/v2/Users", headers=outage.scim),
            "ready": client.get("/ready"),
            "console": _console_sign_in(client),
        }


UP = {"api": 200, "scim": 200, "ready": 200, "console": 400}


def _fill_the_pool(outage: Outage) -> None:
    # Several requests at once: the pool holds several connections to the server about to go away.
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: _every_door(outage)["api"], range(12)))
    assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers]


def test_the_first_requests_after_a_restart_succeed(outage: Outage) -> None:
    _fill_the_pool(outage)
    outage.postgres.stop()
    outage.postgres.start()
    for _ in range(8):
        answers = _every_door(outage)
        statuses = {door: answer.status_code for door, answer in answers.items()}
        assert statuses == UP, {door: answer.text[:300] for door, answer in answers.items()}


def test_while_the_database_is_down_every_door_answers_503_with_retry_after(outage: Outage) -> None:
    _fill_the_pool(outage)
    outage.postgres.stop()
    try:
        for _ in range(2):
            answers = _every_door(outage)
            for door, answer in answers.items():
                assert answer.status_code == 503, (door, answer.status_code, answer.text)
                assert answer.headers["retry-after"] == str(RETRY_AFTER), (door, answer.headers)
            for door in ("api", "ready"):
                assert answers[door].headers["content-type"] == "application/problem+json", door
                assert answers[door].json()["status"] == 503
            assert "database is unavailable" in answers["api"].json()["detail"]
            assert answers["ready"].json()["postgres"].startswith("unavailable")
            assert answers["ready"].json()["redis"] == "ok"
            assert answers["scim"].json()["status"] == "503"
            assert answers["scim"].json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
            assert "database is unavailable" in answers["console"].text
    finally:
        outage.postgres.start()
    first = _every_door(outage)
    assert {door: answer.status_code for door, answer in first.items()} == UP
