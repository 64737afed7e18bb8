"""Tenancy benchmark: `python bench/tenancy.py` (real Postgres; DATABASE_URL names the server).

Prints, for N tenants (default 1,000) in a fresh database that is dropped afterwards:
- provisioning time per tenant, p50 and p95 (target p95 < 150 ms);
- migration time per schema: a no-op run over all schemas, and one real (metadata-only) revision
  (target < 5 ms per schema);
- tenant-scoped read throughput through the full stack (ASGI app: token check, tenant lookup, pinned
  session, ORM read, JSON) over all tenants, as a ratio to the same app and read on a single-tenant
  engine (one plain engine in one schema: no pinning, no role or schema switching) in the same run
  (target >= 0.6); medians of several rounds; a bare route on a single-tenant engine is printed too;
- the largest Postgres backend (private memory, RssAnon) after a Zipf-distributed run over all
  tenants, with connection recycling on, and off for comparison (target < 150 MiB).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from joserfc.jwk import ECKey
from litestar import Litestar, get
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.app import build_collaborators, create_app
from backend.auth.principal import UserRole
from backend.auth.tokens import TokenSigner, user_claims
from backend.core.unit_of_work import UnitOfWork
from backend.org.models import OrgUnit
from backend.settings import Settings, as_psycopg_url
from tenants.migrator import TENANT_TREE, script_directory, upgrade_control, upgrade_tenant_schemas
from tenants.provisioning import RoleNames, create_tenant, ensure_platform_roles, tenant_schemas
from tenants.sessions import Database, TenantRef

NOOP_REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("employees", sa.Column("{column}", sa.String(50), nullable=True))
"""


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def rss_anon_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def zipf_indices(count: int, n_items: int, seed: int) -> list[int]:
    """Tenant picks where the k-th largest tenant gets traffic in proportion to 1/k (Zipf, s=1)."""
    weights = [1.0 / rank for rank in range(1, n_items + 1)]
    return random.Random(seed).choices(range(n_items), weights=weights, k=count)


async def throughput(call: Callable[[int], Awaitable[None]], requests: int, concurrency: int) -> float:
    queue = iter(range(requests))

    async def worker() -> None:
        for i in queue:
            await call(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - started)


class SingleTenantDatabase(Database):
    """The baseline's database layer: one plain engine whose connections sit in one schema for good
    (a connection-level search_path), with no pinning, no role switch and no tenant switching. A
    Database in type only (the app's routes take one), built without Database's own setup."""

    def __init__(self, url: URL, schema: str) -> None:
        self.engine = create_async_engine(
            url, pool_size=10, max_overflow=10, connect_args={"server_settings": {"search_path": schema}}
        )
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def tenant_session(self, tenant: TenantRef) -> Any:
        return self._sessions()

    def control_session(self) -> Any:
        return self._sessions()

    async def dispose(self) -> None:
        await self.engine.dispose()


def bare_single_tenant_app(url: URL, schema: str) -> tuple[Litestar, Any]:
    """A stricter reference: the read in a bare route, without auth, middleware or the API's layers."""
    engine = create_async_engine(url, pool_size=10, connect_args={"server_settings": {"search_path": schema}})
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    @get("/api/v1/org-units/{unit_id:uuid}")
    async def read_unit(unit_id: uuid.UUID) -> dict[str, Any]:
        async with sessions() as session, session.begin():
            unit = await session.scalar(select(OrgUnit).where(OrgUnit.id == unit_id))
            assert unit is not None
            return {
                "id": unit.id,
                "name": unit.name,
                "kind": unit.kind,
                "parent_id": unit.parent_id,
                "created_at": unit.created_at,
                "updated_at": unit.updated_at,
            }

    return Litestar([read_unit]), engine


async def measure_reads(
    settings: Settings,
    tenants: list[TenantRef],
    units: dict[str, uuid.UUID],
    signer: TokenSigner,
    args: argparse.Namespace,
    owner_url: URL,
) -> dict[str, Any]:
    hr = frozenset({UserRole.HR_ADMIN})
    tokens = {t.slug: "Bearer " + signer.mint(user_claims(t, hr, subject=f"bench:{t.slug}")) for t in tenants}
    picks = zipf_indices(args.requests, len(tenants), seed=7)
    results: dict[str, Any] = {}

    async def run_tenant_app(max_tenants: int, spread: list[int]) -> tuple[list[float], float]:
        tuned = settings.model_copy(update={"db_max_tenants_per_connection": max_tenants})
        collaborators = build_collaborators(tuned)
        app = create_app(tuned, collaborators)
        rates: list[float] = []
        peak = 0.0
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:

            async def call(i: int) -> None:
                tenant = tenants[spread[i % len(spread)]]
                response = await client.get(
                    f"/api/v1/org-units/{units[tenant.slug]}", headers={"Authorization": tokens[tenant.slug]}
                )
                assert response.status_code == 200, response.text

            for _ in range(args.rounds):
                rates.append(await throughput(call, args.requests, args.concurrency))
                peak = max(peak, largest_backend(owner_url, settings.app_role))
        await collaborators.database.dispose()
        return rates, peak

    # The baseline: the same app, token check and read, on a single-tenant engine.
    same = build_collaborators(settings)
    await same.database.dispose()
    same.database = SingleTenantDatabase(owner_url, tenants[0].schema_name)
    same.unit_of_work = UnitOfWork(same.database, same.job_sender)
    same_app = create_app(settings, same)
    base_rates: list[float] = []
    first, unit = tenants[0], units[tenants[0].slug]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=same_app), base_url="http://bench") as client:

        async def call_base(i: int) -> None:
            response = await client.get(f"/api/v1/org-units/{unit}", headers={"Authorization": tokens[first.slug]})
            assert response.status_code == 200, response.text

        for _ in range(args.rounds):
            base_rates.append(await throughput(call_base, args.requests, args.concurrency))
    await same.database.dispose()

    bare_app, bare_engine = bare_single_tenant_app(owner_url, tenants[0].schema_name)
    bare_rates: list[float] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare_app), base_url="http://bench") as client:

        async def call_bare(i: int) -> None:
            response = await client.get(f"/api/v1/org-units/{unit}")
            assert response.status_code == 200, response.text

        for _ in range(args.rounds):
            bare_rates.append(await throughput(call_bare, args.requests, args.concurrency))
    await bare_engine.dispose()

    one_tenant_rates, _ = await run_tenant_app(settings.db_max_tenants_per_connection, [0])
    rates, peak_recycled = await run_tenant_app(settings.db_max_tenants_per_connection, picks)
    unbounded_rates, peak_unbounded = await run_tenant_app(10**9, picks)
    results["baseline_rps"] = statistics.median(base_rates)
    results["bare_rps"] = statistics.median(bare_rates)
    results["one_tenant_rps"] = statistics.median(one_tenant_rates)
    results["unbounded_rps"] = statistics.median(unbounded_rates)
    results["tenant_rps"] = statistics.median(rates)
    results["ratio"] = results["tenant_rps"] / results["baseline_rps"]
    results["peak_backend_mib"] = peak_recycled
    results["peak_backend_mib_no_recycling"] = peak_unbounded
    return results


def largest_backend(owner_url: URL, app_role: str) -> float:
    engine = create_engine(as_psycopg_url(owner_url), pool_size=1)
    try:
        with engine.connect() as connection:
            pids = connection.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE usename = :r"), {"r": app_role}
            ).all()
    finally:
        engine.dispose()
    sizes = [s for pid in pids if (s := rss_anon_mib(pid)) is not None]
    return max(sizes, default=0.0)


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=4000, help="requests per throughput round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=2, help="parallel migration processes")
    args = parser.parse_args()

    server = make_url(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    name = f"cwbench_{secrets.token_hex(3)}"
    admin = create_engine(as_psycopg_url(server), isolation_level="AUTOCOMMIT", pool_size=1)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    owner_url = server.set(database=name)
    settings = Settings(
        environment="test",
        database_url=owner_url.render_as_string(hide_password=False),
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        data_dir=Path(tempfile.mkdtemp()),
        token_signing_key=ECKey.generate_key("P-256", private=True).as_pem(private=True).decode(),
        tenant_cache_seconds=60,
        # The load is one machine's: limits it could never trip, still counted in Redis on every request.
        rate_limit_api_per_token="1000000/minute",  # noqa: S106 - a rate, not a secret
        rate_limit_api_per_tenant="1000000/minute",
    )
    try:
        run(settings, args)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in connection.scalars(
                text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"), {"p": f"{name}\\_%"}
            ).all():
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def run(settings: Settings, args: argparse.Namespace) -> None:
    owner = create_engine(as_psycopg_url(settings.owner_url), pool_size=2)
    upgrade_control(owner)
    roles = RoleNames(settings.role_prefix)
    ensure_platform_roles(owner, roles)

    print(f"provisioning {args.tenants} tenants ...", flush=True)
    timings: list[float] = []
    tenants: list[TenantRef] = []
    for i in range(args.tenants):
        started = time.perf_counter()
        tenants.append(create_tenant(owner, roles, f"bench_{i:05d}", f"Bench {i}"))
        timings.append((time.perf_counter() - started) * 1000)
    p50, p95 = percentile(timings, 50), percentile(timings, 95)
    print(f"provisioning per tenant: p50 {p50:.1f} ms, p95 {p95:.1f} ms  (target p95 < 150 ms: {p95 / 150:.2f}x of it)")

    schemas = tenant_schemas(owner)
    noop_runs = []
    for _ in range(3):
        summary = upgrade_tenant_schemas(owner, schemas, jobs=args.jobs)
        assert summary.ok
        assert not summary.upgraded
        noop_runs.append(summary.seconds)
    noop = statistics.median(noop_runs)
    print(f"no-op migration of {len(schemas)} schemas: {noop:.3f} s ({noop / len(schemas) * 1000:.3f} ms per schema)")

    # Provisioning just wrote ~20,000 catalog rows; let autovacuum's and the checkpointer's catch-up
    # not land inside the timed runs.
    with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE pg_catalog.pg_class, pg_catalog.pg_attribute, pg_catalog.pg_depend"))
        connection.execute(text("CHECKPOINT"))
    extra = Path(tempfile.mkdtemp())
    previous = script_directory(TENANT_TREE).get_current_head()
    per_schema_runs = []
    for run_number in range(3):
        revision = f"bench{run_number:04d}"
        (extra / f"{revision}.py").write_text(
            NOOP_REVISION.format(revision=revision, head=previous, column=f"bench_note_{run_number}")
        )
        previous = revision
        script_directory.cache_clear()
        summary = upgrade_tenant_schemas(owner, schemas, jobs=args.jobs, extra_version_locations=(extra,))
        if not summary.ok or len(summary.upgraded) != len(schemas):
            raise SystemExit(f"the benchmark revision failed: {summary.failed[:3]}")
        per_schema_runs.append(summary.seconds / len(schemas) * 1000)
    per_schema = statistics.median(per_schema_runs)
    print(
        f"one real revision over {len(schemas)} schemas ({args.jobs} processes), median of 3: "
        f"{per_schema:.2f} ms per schema  (target < 5 ms: {per_schema / 5:.2f}x of it)"
    )

    units: dict[str, uuid.UUID] = {}
    with owner.begin() as connection:
        for tenant in tenants:
            unit_id = uuid.uuid4()
            connection.execute(
                text(f"INSERT INTO \"{tenant.schema_name}\".org_units (id, name, kind) VALUES (:i, :n, 'department')"),
                {"i": unit_id, "n": f"Dept of {tenant.slug}"},
            )
            units[tenant.slug] = unit_id
    owner.dispose()

    from backend.app import build_signer

    signer = build_signer(settings)
    print(f"reads: {args.rounds} rounds of {args.requests} requests, concurrency {args.concurrency} ...", flush=True)
    reads = asyncio.run(measure_reads(settings, tenants, units, signer, args, settings.owner_url))
    print(
        f"tenant-scoped reads through the full stack: {reads['tenant_rps']:.0f} req/s vs single-tenant "
        f"{reads['baseline_rps']:.0f} req/s: ratio {reads['ratio']:.2f}  (target >= 0.6)"
    )
    print(
        f"  for reference: the full stack pinned to one tenant {reads['one_tenant_rps']:.0f} req/s; over all "
        f"tenants without connection recycling {reads['unbounded_rps']:.0f} req/s; the read in a bare route "
        f"(no auth, no middleware) on a single-tenant engine {reads['bare_rps']:.0f} req/s "
        f"(ratio {reads['tenant_rps'] / reads['bare_rps']:.2f})"
    )
    print(
        f"largest backend after a Zipf run over {len(tenants)} tenants: {reads['peak_backend_mib']:.1f} MiB "
        f"with recycling every {settings.db_max_tenants_per_connection} tenants, "
        f"{reads['peak_backend_mib_no_recycling']:.1f} MiB without  (target < 150 MiB: "
        f"{reads['peak_backend_mib'] / 150:.2f}x of it)"
    )


if __name__ == "__main__":
    main()
