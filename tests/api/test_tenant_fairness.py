"""One tenant does not starve another: a tenant's requests in flight are capped per API process (the
next ones queue briefly, then 429), and requests queued for a tenant's lock hold no pooled connection,
so another tenant's reads still get one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from backend.settings import Settings
from tenants.locks import lock_tenant
from tenants.sessions import Database
from tests.conftest import TenantFactory, TokenFactory, serve_app
from tests.ratelimits import in_loop, limited, limited_app, too_many
from tests.scim.conftest import ENTERPRISE, SCIM_JSON, okta_user, patch_op


async def test_a_tenant_over_its_concurrency_is_refused_and_another_tenant_is_not(
    settings: Settings, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    crowded, other = make_tenant(), make_tenant()
    crowded_hr, other_hr = auth(crowded), auth(other)
    app, collaborators = limited(settings, api_tenant_concurrency=1, api_tenant_queue_seconds=0)
    slots = collaborators.tenant_concurrency
    async with in_loop(app) as api:
        # The crowded tenant's one slot is taken, by a request that is still running as far as the
        # next ones can tell (a real first request may finish before the last is read, under load).
        await slots.acquire(crowded.id)
        try:
            results = await asyncio.gather(
                *(api.get("/api/v1/employees", headers=crowded_hr) for _ in range(5)),
                api.get("/api/v1/employees", headers=other_hr),
            )
        finally:
            slots.release(crowded.id)
        *crowded_results, other_result = results
        assert [r.status_code for r in crowded_results] == [429] * 5, [r.text for r in crowded_results]
        for refused in crowded_results:
            body, retry_after = too_many(refused)
            assert "at once" in body["detail"]
            assert retry_after == 1
        assert other_result.status_code == 200, other_result.text
        # The slot given back, the crowded tenant is served again.
        assert (await api.get("/api/v1/employees", headers=crowded_hr)).status_code == 200


async def test_requests_over_the_concurrency_wait_their_turn_within_the_queue_time(
    settings: Settings, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr = auth(tenant)
    app = limited_app(settings, api_tenant_concurrency=1, api_tenant_queue_seconds=30)
    async with in_loop(app) as api:
        results = await asyncio.gather(*(api.get("/api/v1/employees", headers=hr) for _ in range(6)))
    assert [r.status_code for r in results] == [200] * 6, [r.text for r in results]


def catalogue(provider: str, rows: int) -> bytes:
    lines = ["provider,external_id,title,format,duration_hours,cost,currency,skills"]
    lines += [f"{provider},{n},Course {n},online,8,100,EUR," for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


IMPORTS = 30
ROWS_PER_IMPORT = 2000
# Generous: a read of another tenant takes milliseconds; one stuck behind 30 imports for the pool
# waits for most of them to finish (each holds the catalogue lock for a while).
READ_BOUND_SECONDS = 3.0


async def quiet_reads_while(
    api: httpx.AsyncClient, headers: dict[str, str], keep_reading: Callable[[], bool]
) -> list[int]:
    """The statuses of the quiet tenant's reads, one after another while `keep_reading()`; none may
    take longer than READ_BOUND_SECONDS."""
    statuses: list[int] = []
    while keep_reading():
        try:
            response = await api.get("/api/v1/employees", headers=headers, timeout=READ_BOUND_SECONDS)
        except httpx.TimeoutException:
            pytest.fail(f"a read of the quiet tenant took more than {READ_BOUND_SECONDS} s")
        statuses.append(response.status_code)
        await asyncio.sleep(0.05)
    return statuses


def for_seconds(seconds: float) -> Callable[[], bool]:
    until = time.monotonic() + seconds
    return lambda: time.monotonic() < until


async def test_thirty_imports_of_one_tenant_leave_another_tenants_reads_answering(
    settings: Settings, make_tenant: TenantFactory, auth: TokenFactory, tmp_path: Path
) -> None:
    noisy, quiet = make_tenant(), make_tenant()
    noisy_hr, quiet_hr = auth(noisy), auth(quiet)
    # A small pool, and a concurrency limit above the import count: what keeps the pool free for the
    # quiet tenant here is that imports queue for the catalogue lock without a connection.
    env = {
        "DB_POOL_SIZE": "4",
        "DB_MAX_OVERFLOW": "0",
        "API_TENANT_CONCURRENCY": str(IMPORTS + 10),
        "API_TENANT_QUEUE_SECONDS": "60",
    }
    with serve_app(settings, tmp_path, extra_env=env, start_timeout=180) as served:
        async with httpx.AsyncClient(base_url=served.base_url, timeout=120) as api:
            assert (await api.get("/api/v1/employees", headers=quiet_hr)).status_code == 200

            async def import_catalogue(n: int) -> httpx.Response:
                return await api.post(
                    "/api/v1/courses/import",
                    content=catalogue(f"P{n}", ROWS_PER_IMPORT),
                    headers={**noisy_hr, "Content-Type": "text/csv"},
                )

            imports = [asyncio.create_task(import_catalogue(n)) for n in range(IMPORTS)]
            await asyncio.sleep(0.5)  # the imports are in: they hold or await the catalogue lock
            reads = await quiet_reads_while(api, quiet_hr, lambda: not all(task.done() for task in imports))
            done = await asyncio.gather(*imports)
    assert [r.status_code for r in done] == [200] * IMPORTS, [r.text for r in done if r.status_code != 200]
    assert all(r.json()["created"] == ROWS_PER_IMPORT for r in done)
    assert len(reads) >= 3, "the imports ended before the quiet tenant's reads could be measured"
    assert reads == [200] * len(reads)


EDITS = 30
LOCK_HELD_SECONDS = 2.5


async def test_thirty_manager_edits_waiting_for_the_lock_leave_another_tenants_reads_answering(
    settings: Settings, make_tenant: TenantFactory, auth: TokenFactory, database: Database, tmp_path: Path
) -> None:
    """Edits of the manager chain wait for the tenant's `managers` lock (held here by another process,
    as a long change would hold it) before their first query, so waiting they hold no connection."""
    noisy, quiet = make_tenant(), make_tenant()
    noisy_hr, quiet_hr = auth(noisy), auth(quiet)
    env = {
        "DB_POOL_SIZE": "4",
        "DB_MAX_OVERFLOW": "0",
        "API_TENANT_CONCURRENCY": str(EDITS + 10),
        "API_TENANT_QUEUE_SECONDS": "60",
    }
    with serve_app(settings, tmp_path, extra_env=env, start_timeout=180) as served:
        async with httpx.AsyncClient(base_url=served.base_url, timeout=120) as api:

            async def hire(name: str) -> str:
                body = {"email": f"{name}@example.com", "full_name": name.title()}
                created = await api.post("/api/v1/employees", json=body, headers=noisy_hr)
                assert created.status_code == 201, created.text
                return str(created.json()["id"])

            boss = await hire("boss")
            staff = [await hire(f"staff{n}") for n in range(EDITS)]
            assert (await api.get("/api/v1/employees", headers=quiet_hr)).status_code == 200

            async with database.tenant_session(noisy) as holder, holder.begin():
                await lock_tenant(holder, "managers")
                edits = [
                    asyncio.create_task(
                        api.patch(f"/api/v1/employees/{person}", json={"manager_id": boss}, headers=noisy_hr)
                    )
                    for person in staff
                ]
                await asyncio.sleep(0.5)  # the edits are in: they wait for the lock
                reads = await quiet_reads_while(api, quiet_hr, for_seconds(LOCK_HELD_SECONDS))
                assert not any(edit.done() for edit in edits), "an edit went past the held lock"
            done = await asyncio.gather(*edits)
    assert [r.status_code for r in done] == [200] * EDITS, [r.text for r in done if r.status_code != 200]
    assert all(r.json()["manager_id"] == boss for r in done)
    assert len(reads) >= 3, "the quiet tenant's reads could not be measured while the lock was held"
    assert reads == [200] * len(reads)


async def test_thirty_scim_manager_changes_waiting_for_the_lock_leave_another_tenants_reads_answering(
    settings: Settings, make_tenant: TenantFactory, auth: TokenFactory, database: Database, tmp_path: Path
) -> None:
    """The same through SCIM: a provisioning write that may move someone takes the org-tree and
    manager-chain locks before its first query."""
    noisy, quiet = make_tenant(), make_tenant()
    noisy_hr, quiet_hr = auth(noisy), auth(quiet)
    env = {
        "DB_POOL_SIZE": "4",
        "DB_MAX_OVERFLOW": "0",
        "API_TENANT_CONCURRENCY": str(EDITS + 10),
        "API_TENANT_QUEUE_SECONDS": "60",
    }
    with serve_app(settings, tmp_path, extra_env=env, start_timeout=180) as served:
        async with httpx.AsyncClient(base_url=served.base_url, timeout=120) as api:
            token = await api.post("/api/v1/scim-tokens", json={"name": "Okta"}, headers=noisy_hr)
            assert token.status_code == 201, token.text
            scim = {"Authorization": f"Bearer {token.json()['token']}", "Content-Type": SCIM_JSON}

            async def provision(login: str) -> str:
                created = await api.post("/scim/v2/Users", json=okta_user(login), headers=scim)
                assert created.status_code == 201, created.text
                return str(created.json()["id"])

            boss = await provision("boss@noisy.example")
            staff = [await provision(f"staff{n}@noisy.example") for n in range(EDITS)]
            move = patch_op({"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": boss})

            async with database.tenant_session(noisy) as holder, holder.begin():
                await lock_tenant(holder, "managers")
                edits = [
                    asyncio.create_task(api.patch(f"/scim/v2/Users/{person}", json=move, headers=scim))
                    for person in staff
                ]
                await asyncio.sleep(0.5)  # the edits are in: they wait for the lock
                reads = await quiet_reads_while(api, quiet_hr, for_seconds(LOCK_HELD_SECONDS))
                assert not any(edit.done() for edit in edits), "a change went past the held lock"
            done = await asyncio.gather(*edits)
    assert [r.status_code for r in done] == [200] * EDITS, [r.text for r in done if r.status_code != 200]
    assert all(r.json()[ENTERPRISE]["manager"]["value"] == boss for r in done)
    assert len(reads) >= 3, "the quiet tenant's reads could not be measured while the lock was held"
    assert reads == [200] * len(reads)
