"""Noisy-neighbour benchmark: `.venv/bin/python bench/noisy_neighbour.py` (real Postgres and Redis;
DATABASE_URL and REDIS_URL name the servers, default 127.0.0.1).

Does one tenant at 256 concurrent connections slow another tenant's reads? Target: the quiet tenant's
p99 beside the noisy one within 3x of its p99 alone.

Setup (not timed): a fresh database (dropped at the end, with its roles), the control schema and two
tenants migrated, `--employees` employees in each, and the app served as `crosswalk serve` serves it
(uvicorn, one worker process, the default pool and per-tenant concurrency limit). The rate limits
are raised out of reach: a large company within its rate budget can still have hundreds of requests
in flight at once, which is what the concurrency limit is for.

The quiet tenant: one HR caller reading `GET /api/v1/employees?limit=20`, one request at a time with
a `--pause` between them, over one kept-alive connection; every answer must be 200.

The noisy tenant: wrk (Debian's package; installed with apt-get when missing), one thread,
`--connections` connections reading `GET /api/v1/employees?limit=50` as fast as the server answers,
from `--ramp` seconds before the measured phase to its end. It counts its answers by status (200s,
and the 429s of its concurrency limit).

Each round: `--requests` quiet reads alone, then as many beside the noisy tenant. Printed: p50 and
p99 of both and their ratio, and what the noisy tenant got; then the medians over `--rounds` rounds
and the verdict on the target (median p99 ratio <= 3).

`--source DIR` serves the app from another checkout of the project (e.g. an older commit unpacked
with `git archive`), to measure the same load against it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from joserfc.jwk import ECKey
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from abuse import COUNT_STATUSES_LUA, flooding  # type: ignore[import-not-found]
from api import (  # type: ignore[import-not-found]
    Server,
    crosswalk_argv,
    ensure_wrk,
    free_port,
    fresh_database,
    start_server,
)

from backend.auth.principal import UserRole
from backend.auth.tokens import TokenSigner, user_claims
from backend.settings import Settings, as_psycopg_url
from tenants.migrator import upgrade_control
from tenants.provisioning import RoleNames, create_tenant, ensure_platform_roles
from tenants.sessions import TenantRef

RATIO_TARGET = 3.0
QUIET_PATH = "/api/v1/employees?limit=20"
NOISY_PATH = "/api/v1/employees?limit=50"

# Every request the same read of the noisy tenant; the answers counted by status for `done` (the
# line `flooding` of bench/abuse.py reads).
NOISY_LUA = """
statuses = {}  -- a global: `done` reads it through thread:get

request = function()
  return wrk.format("GET", "%(path)s", {["Authorization"] = "%(authorization)s"})
end
"""


@dataclass(frozen=True)
class Latencies:
    p50_ms: float
    p99_ms: float

    @classmethod
    def of(cls, samples: list[float]) -> Latencies:
        cuts = statistics.quantiles(samples, n=100, method="inclusive")
        return cls(statistics.median(samples), cuts[98])

    def text(self) -> str:
        return f"p50 {self.p50_ms:7.1f} ms  p99 {self.p99_ms:7.1f} ms"


def seed(owner: Engine, tenant: TenantRef, employees: int) -> None:
    with owner.begin() as connection:
        connection.execute(text(f'SET LOCAL search_path TO "{tenant.schema_name}"'))
        connection.execute(
            text(
                """INSERT INTO employees (id, email, full_name, title, level, location, start_date)
                   SELECT gen_random_uuid(), 'e' || n || '@bench.example', 'Employee ' || n, 'Engineer',
                          1 + n % 10, 'City ' || n % 40, DATE '2020-01-01' + n % 1000
                   FROM generate_series(1, :employees) n"""
            ),
            {"employees": employees},
        )


def quiet_reads(server: Server, authorization: str, count: int, pause: float) -> list[float]:
    """`count` reads of the quiet tenant, one at a time; the latency of each in ms. Any answer but 200
    ends the run: the quiet tenant must be served."""
    samples: list[float] = []
    with httpx.Client(base_url=server.base_url, headers={"Authorization": authorization}, timeout=60.0) as client:
        for _ in range(count):
            started = time.perf_counter()
            response = client.get(QUIET_PATH)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"the quiet tenant got {response.status_code}: {response.text[:300]}")
            time.sleep(pause)
    return samples


def run(args: argparse.Namespace, owner_url: URL, workdir: Path) -> None:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    key_pem = ECKey.generate_key("P-256", private=True).as_pem(private=True).decode()
    owner = create_engine(as_psycopg_url(owner_url))
    roles = RoleNames(f"{owner_url.database}_")
    try:
        upgrade_control(owner)
        ensure_platform_roles(owner, roles)
        quiet = create_tenant(owner, roles, "bench_quiet", "Bench Quiet")
        noisy = create_tenant(owner, roles, "bench_noisy", "Bench Noisy")
        for tenant in (quiet, noisy):
            seed(owner, tenant, args.employees)
    finally:
        owner.dispose()
    print(f"two tenants of {args.employees} employees each", flush=True)

    settings = Settings(token_signing_key=SecretStr(key_pem))
    from backend.app import build_signer

    signer: TokenSigner = build_signer(settings)
    hr = frozenset({UserRole.HR_ADMIN})
    quiet_token = "Bearer " + signer.mint(user_claims(quiet, hr, subject="bench:quiet"), 3600)
    noisy_token = "Bearer " + signer.mint(user_claims(noisy, hr, subject="bench:noisy"), 3600)

    source = Path(args.source).resolve() if args.source else Path(__file__).resolve().parent.parent
    out_of_reach = "1000000/minute"
    env = {
        **os.environ,
        "ENVIRONMENT": "prod",
        "DATABASE_URL": owner_url.render_as_string(hide_password=False),
        "REDIS_URL": redis_url,
        "TOKEN_SIGNING_KEY": key_pem,
        "SECRETS_KEY": Fernet.generate_key().decode(),
        "DATA_DIR": str(workdir / "data"),
        "BROKER_NAMESPACE": f"{owner_url.database or 'cwbench'}_{secrets.token_hex(4)}",
        "RATE_LIMIT_API_PER_TOKEN": out_of_reach,
        "RATE_LIMIT_API_PER_TENANT": out_of_reach,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(source),
    }
    script = workdir / "noisy.lua"
    script.write_text((NOISY_LUA + COUNT_STATUSES_LUA) % {"path": NOISY_PATH, "authorization": noisy_token})
    port = free_port()
    argv = [*crosswalk_argv(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    server = start_server("crosswalk", argv, env, port, workdir)
    try:
        server.wait_healthy()
        print(f"serving from {source}", flush=True)
        quiet_reads(server, quiet_token, 50, args.pause)  # warm-up: connections, caches
        alone_runs: list[Latencies] = []
        beside_runs: list[Latencies] = []
        noisy_rps: list[float] = []
        for round_number in range(1, args.rounds + 1):
            alone = Latencies.of(quiet_reads(server, quiet_token, args.requests, args.pause))
            with flooding(server, script, args.connections) as noise:
                time.sleep(args.ramp)
                beside = Latencies.of(quiet_reads(server, quiet_token, args.requests, args.pause))
            alone_runs.append(alone)
            beside_runs.append(beside)
            noisy_rps.append(noise[0].rps)
            print(f"round {round_number}:")
            print(f"  alone                 {alone.text()}")
            print(f"  beside a noisy tenant {beside.text()}  noisy tenant: {noise[0].text()}")
            print(f"  ratio                 p99 {beside.p99_ms / alone.p99_ms:.2f}x", flush=True)
        alone_p50 = statistics.median(r.p50_ms for r in alone_runs)
        alone_p99 = statistics.median(r.p99_ms for r in alone_runs)
        beside_p50 = statistics.median(r.p50_ms for r in beside_runs)
        beside_p99 = statistics.median(r.p99_ms for r in beside_runs)
        ratio = beside_p99 / alone_p99
        print(f"medians of {args.rounds} rounds ({args.requests} quiet reads per phase):")
        print(f"  quiet tenant alone                 p50 {alone_p50:7.1f} ms  p99 {alone_p99:7.1f} ms")
        print(f"  quiet tenant beside a noisy one    p50 {beside_p50:7.1f} ms  p99 {beside_p99:7.1f} ms")
        noise_rate = f"{statistics.median(noisy_rps):,.0f} req/s over {args.connections} connections"
        print(f"  noisy tenant                       {noise_rate}")
        print(f"  ratio                              p99 {ratio:.2f}x")
        verdict = "met" if ratio <= RATIO_TARGET else "not met"
        print(f"target: the quiet tenant's p99 beside the noisy one within {RATIO_TARGET:g}x of alone: {verdict}")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--employees", type=int, default=500, help="in each tenant")
    parser.add_argument("--requests", type=int, default=300, help="quiet reads per phase")
    parser.add_argument("--pause", type=float, default=0.01, help="seconds between quiet reads")
    parser.add_argument("--connections", type=int, default=256, help="of the noisy tenant")
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds of noise before measuring")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--source", help="serve the app from this checkout of the project instead")
    args = parser.parse_args()
    ensure_wrk()
    server_url = make_url(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    with tempfile.TemporaryDirectory(prefix="cwbench-noisy-") as directory, fresh_database(server_url) as owner_url:
        run(args, owner_url, Path(directory))


if __name__ == "__main__":
    main()
