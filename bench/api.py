"""API load benchmark: `.venv/bin/python bench/api.py` (real Postgres and Redis; DATABASE_URL and
REDIS_URL name the servers, default 127.0.0.1).

`GET /api/v1/me/recommendations` under load, over loopback, against the real app served the way
`crosswalk serve` serves it (uvicorn, one worker process), compared in the same run with a bare
Litestar + asyncpg endpoint that reads the same rows.

Setup (not timed): a fresh database (dropped at the end, with its roles), the control schema and one
tenant migrated to head, then set-based inserts: `--employees` employees (10 to 30 current skills
each), `--skills` skills, `--opportunities` open gigs (5 to 10 skills each, of all importances), one
matching run and `--per-employee` recommendations per employee (score and six factor contributions).

Load: wrk (Debian's package; installed with apt-get when missing), one thread, `--connections`
connections for `--seconds` seconds, after a warm-up run. A Lua script rotates over the bearer
tokens of `--tokens` different employees (minted with the key the server verifies with) and prints
p50/p99 latency, requests/s and the count of non-2xx responses and socket errors; any of those fails
the run. A sample response of each server is checked before the load (200, the right employee,
`--per-employee` items).

The baseline: `bare_app` below, served by the same uvicorn settings in a child process of this script
(`--serve-bare`): one route taking the employee id from the path, no auth, no middleware, no ORM, no
tenant pinning (the schema is the connections' search_path), an asyncpg pool, and the same five
reads as `MatchServingService.recommendations` (latest run's computed_at, pending changes, the
employee's recommendations joined to open opportunities, the opportunities' skills joined to skills,
the employee's current skills), returned as JSON without the explanation logic.

Each round (the two servers alternate which goes first in the saturated pair):
- saturated: `--connections` connections as fast as the server answers; full stack and bare p50/p99
  and req/s, and the throughput ratio full/bare;
- paced: the same connections with exponential think time, at an offered rate of `--paced-fraction`
  of the full stack's saturated rate of that round (the same rate for both servers);
- one connection (`--single-seconds`): a request's latency without any queue.
Every line also gives CPU per request of the server process and of the Postgres backends connected
to the bench database, and the CPU that other processes on the machine used meanwhile (in cores): a
busy machine skews a round, and that figure shows which. Then the medians over `--rounds` rounds,
and the verdict on the target (p99 under 50 ms through the full stack), saturated and paced.

Why the paced run: wrk is a closed loop, so at saturation the mean latency is connections /
throughput (Little's law) and the p99 measures the queue of `--connections` requests as much as the
cost of one; the bare endpoint misses 50 ms there too on this two-core machine. The paced p99 is the
latency a request sees while the server has headroom.

Two cores here: uvicorn takes one (a single worker process), wrk and Postgres share the other. The
servers log at `--log-level` (INFO, as `crosswalk serve` does by default: uvicorn's access log, into a
file). 500 tokens fit the server's verified-token cache, so a token's signature is checked once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from joserfc.jwk import ECKey
from litestar import Litestar, get
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.auth.principal import UserRole
from backend.auth.tokens import TokenSigner, user_claims
from backend.matching.engine import Factor
from backend.settings import Settings, as_psycopg_url
from tenants.migrator import upgrade_control
from tenants.provisioning import RoleNames, create_tenant, ensure_platform_roles
from tenants.sessions import TenantRef

P99_TARGET_MS = 50.0
ENDPOINT = "/api/v1/me/recommendations"
BARE_ENDPOINT = "/bare/recommendations/"

# The reads of MatchServingService.recommendations, in plain SQL on the connection's search_path.
COMPUTED_AT_SQL = "SELECT max(computed_at) FROM matching_runs"
PENDING_SQL = "SELECT EXISTS (SELECT 1 FROM matching_changes)"
RECOMMENDATIONS_SQL = """
SELECT r.rank, r.score, r.contributions, o.id, o.title, o.kind, o.status, o.org_unit_id, o.location,
       o.remote, o.closes_at
FROM opportunity_recommendations r JOIN opportunities o ON o.id = r.opportunity_id
WHERE r.employee_id = $1 AND o.status = 'open'
ORDER BY r.rank
"""
NEEDS_SQL = """
SELECT os.opportunity_id, s.id, s.label, os.level, os.importance
FROM opportunity_skills os JOIN skills s ON s.id = os.skill_id
WHERE os.opportunity_id = ANY($1::uuid[])
"""
# Several sources may rate a skill: the level is the highest current rating, as the app reads it.
LEVELS_SQL = (
    "SELECT skill_id, max(level) FROM employee_skills WHERE employee_id = $1 AND valid_to IS NULL GROUP BY skill_id"
)


def bare_app(dsn: str, schema: str, pool_size: int, max_pool: int) -> Litestar:
    """The baseline: the same rows read by a bare route on an asyncpg pool, returned as JSON."""
    import asyncpg

    pools: list[Any] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        pool = await asyncpg.create_pool(
            dsn, min_size=pool_size, max_size=max_pool, server_settings={"search_path": schema}
        )
        pools.append(pool)
        try:
            yield
        finally:
            await pool.close()

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @get(BARE_ENDPOINT + "{employee_id:uuid}")
    async def recommendations(employee_id: uuid.UUID) -> dict[str, Any]:
        async with pools[0].acquire() as connection:
            computed_at = await connection.fetchval(COMPUTED_AT_SQL)
            pending = await connection.fetchval(PENDING_SQL)
            rows = await connection.fetch(RECOMMENDATIONS_SQL, employee_id)
            needs = await connection.fetch(NEEDS_SQL, [row["id"] for row in rows])
            levels = await connection.fetch(LEVELS_SQL, employee_id)
        by_opportunity: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for need in needs:
            by_opportunity.setdefault(need["opportunity_id"], []).append(
                {
                    "skill_id": need["id"],
                    "label": need["label"],
                    "need": need["level"],
                    "importance": need["importance"],
                }
            )
        return {
            "employee_id": employee_id,
            "computed_at": computed_at,
            "pending_changes": pending,
            "skills": {level["skill_id"].hex: level["level"] for level in levels},
            "items": [
                {
                    "rank": row["rank"],
                    "opportunity": {
                        "id": row["id"],
                        "title": row["title"],
                        "kind": row["kind"],
                        "status": row["status"],
                        "org_unit_id": row["org_unit_id"],
                        "location": row["location"],
                        "remote": row["remote"],
                        "closes_at": row["closes_at"],
                    },
                    "score": row["score"],
                    "contributions": row["contributions"],
                    "needs": by_opportunity.get(row["id"], []),
                }
                for row in rows
            ],
        }

    return Litestar([health, recommendations], lifespan=[lifespan])


def serve_bare(args: argparse.Namespace) -> None:
    import uvicorn

    uvicorn.run(
        bare_app(args.dsn, args.schema, args.pool_size, args.max_pool),
        host="127.0.0.1",
        port=args.port,
        workers=1,
        log_level=args.log_level.lower(),
    )


# --- setup ---------------------------------------------------------------------------------------

SEED_SQL = [
    "SELECT setseed(0.42)",
    "CREATE TEMP TABLE b_skill AS SELECT g AS n, gen_random_uuid() AS id FROM generate_series(1, :skills) g",
    "CREATE TEMP TABLE b_emp AS SELECT g AS n, gen_random_uuid() AS id FROM generate_series(1, :employees) g",
    "CREATE TEMP TABLE b_opp AS SELECT g AS n, gen_random_uuid() AS id FROM generate_series(1, :opportunities) g",
    "INSERT INTO skills (id, label, description) SELECT id, 'Skill ' || n, 'A benchmark skill' FROM b_skill",
    """INSERT INTO employees (id, email, full_name, title, level, location, start_date)
       SELECT id, 'e' || n || '@bench.example', 'Employee ' || n, 'Engineer', 1 + n % 10, 'City ' || n % 40,
              DATE '2020-01-01' + n % 1000
       FROM b_emp""",
    # 10 to 30 current skills each, from a window of the taxonomy (so openings' skills overlap some).
    """INSERT INTO employee_skills (id, employee_id, skill_id, level, source)
       SELECT gen_random_uuid(), e.id, s.id, 1 + floor(random() * 5)::int, 'self'
       FROM b_emp e
       CROSS JOIN LATERAL (
           SELECT DISTINCT 1 + ((e.n * 7919) % :skills + k * 3) % :skills AS n
           FROM generate_series(1, 10 + (e.n * 13) % 21) k
       ) pick
       JOIN b_skill s ON s.n = pick.n""",
    """INSERT INTO opportunities (id, title, description, kind, status, hours_per_week, duration_weeks, location,
                                  remote, positions, level, opens_at, closes_at, opened_at, created_by)
       SELECT id, 'Gig ' || n, 'A benchmark gig', 'gig', 'open', 4 + n % 20, 2 + n % 12, 'City ' || n % 40,
              n % 3 = 0, 1, 1 + n % 10, now() - interval '1 day', now() + interval '30 days',
              now() - interval '1 day', 'bench'
       FROM b_opp""",
    """INSERT INTO opportunity_skills (opportunity_id, skill_id, level, importance)
       SELECT o.id, s.id, 1 + floor(random() * 5)::int,
              (ARRAY['essential', 'important', 'nice_to_have'])[1 + (pick.n + o.n) % 3]
       FROM b_opp o
       CROSS JOIN LATERAL (
           SELECT DISTINCT 1 + ((o.n * 104729) % :skills + k * 5) % :skills AS n
           FROM generate_series(1, 5 + (o.n * 7) % 6) k
       ) pick
       JOIN b_skill s ON s.n = pick.n""",
    """INSERT INTO matching_runs (id, computed_at, covered_change_id, summary)
       VALUES (gen_random_uuid(), now(), 0, '{"bench": true}')""",
    """INSERT INTO opportunity_recommendations (employee_id, rank, opportunity_id, run_id, score, contributions)
       SELECT e.id, r, o.id, (SELECT id FROM matching_runs LIMIT 1), 1.0 - r * 0.02 + random() * 0.01,
              ARRAY(SELECT random()::real FROM generate_series(1, :factors) f WHERE f > 0 * r)
       FROM b_emp e
       CROSS JOIN generate_series(1, :per_employee) r
       JOIN b_opp o ON o.n = 1 + ((e.n * 31) % :opportunities + r * 101) % :opportunities""",
]


def seed(owner: Engine, tenant: TenantRef, args: argparse.Namespace) -> None:
    params = {
        "skills": args.skills,
        "employees": args.employees,
        "opportunities": args.opportunities,
        "per_employee": args.per_employee,
        "factors": len(Factor),
    }
    with owner.begin() as connection:
        connection.execute(text(f'SET LOCAL search_path TO "{tenant.schema_name}"'))
        for statement in SEED_SQL:
            connection.execute(text(statement), params)
    with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'SET search_path TO "{tenant.schema_name}"'))
        counts = {
            table: connection.scalar(text(f"SELECT count(*) FROM {table}"))
            for table in (
                "employees",
                "employee_skills",
                "skills",
                "opportunities",
                "opportunity_skills",
                "opportunity_recommendations",
            )
        }
        connection.execute(text("VACUUM ANALYZE"))
        connection.execute(text("CHECKPOINT"))
    print("  " + ", ".join(f"{table} {count:,}" for table, count in counts.items()), flush=True)


def sample_employees(owner: Engine, tenant: TenantRef, count: int) -> list[uuid.UUID]:
    with owner.connect() as connection:
        return list(
            connection.scalars(
                text(f'SELECT id FROM "{tenant.schema_name}".employees ORDER BY md5(id::text) LIMIT :n'), {"n": count}
            )
        )


# --- servers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} server exited ({self.process.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base_url + "/health", timeout=1.0).status_code == 200:
                    return
            time.sleep(0.2)
        raise SystemExit(f"{self.name} server not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(name: str, argv: list[str], env: dict[str, str], port: int, workdir: Path) -> Server:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    return Server(name, process, port, log)


def crosswalk_argv() -> list[str]:
    script = Path(sys.executable).with_name("crosswalk")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from backend.cli import main; main()"]


# --- load ----------------------------------------------------------------------------------------

LUA = """
local values = {%(values)s}
local prefix = "%(prefix)s"
local header = "%(header)s"
local count = #values
local i = 0

request = function()
  i = i + 1
  local v = values[(i %% count) + 1]
  if header == "" then
    return wrk.format("GET", prefix .. v)
  end
  return wrk.format("GET", prefix, {[header] = v})
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%%d duration_us=%%d p50_us=%%d p99_us=%%d max_us=%%d mean_us=%%d "
    .. "status=%%d connect=%%d read=%%d write=%%d timeout=%%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    latency.mean, e.status, e.connect, e.read, e.write, e.timeout))
end
"""

# Think time between a connection's requests, exponential with the given mean: paces the load to an
# offered rate (connections / mean think time) instead of saturating the server.
LUA_DELAY = """
local mean_ms = %(mean_ms)f
math.randomseed(%(seed)d)
delay = function()
  return -math.log(1 - math.random()) * mean_ms
end
"""

RESULT = re.compile(r"RESULT (.*)")


@dataclass(frozen=True)
class Load:
    script: Path

    @classmethod
    def write(
        cls, workdir: Path, name: str, prefix: str, values: list[str], header: str = "", mean_delay_ms: float = 0.0
    ) -> Load:
        path = workdir / f"{name}.lua"
        script = LUA % {"values": ", ".join(f'"{v}"' for v in values), "prefix": prefix, "header": header}
        if mean_delay_ms > 0:
            script += LUA_DELAY % {"mean_ms": mean_delay_ms, "seed": secrets.randbelow(2**31)}
        path.write_text(script)
        return cls(path)


@dataclass(frozen=True)
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms_per_request: float
    postgres_ms_per_request: float
    # CPU used by other processes during the run, in cores (out of os.cpu_count()).
    other_cores: float


class CpuMeter:
    """CPU time over a load run, split into the server process, Postgres backends connected to the
    bench database, wrk, and everything else on the machine (other work skews the figures: it is
    printed so a noisy round shows)."""

    def __init__(self, server: Server, database: str) -> None:
        self.server = server
        self.marker = f" {database} ".encode()
        self.tick = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _machine_busy() -> int:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
        return user + nice + system + irq + softirq + steal

    @staticmethod
    def _ticks(pid: int) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0
        return int(fields[11]) + int(fields[12])

    def _backends(self) -> dict[int, int]:
        ticks = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    title = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if title.startswith(b"postgres: ") and self.marker in title:
                    ticks[int(entry.name)] = self._ticks(int(entry.name))
        return ticks

    def __enter__(self) -> CpuMeter:
        self.started = time.monotonic()
        self.busy = self._machine_busy()
        self.server_ticks = self._ticks(self.server.process.pid)
        self.backend_ticks = self._backends()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.children = usage.ru_utime + usage.ru_stime
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.monotonic() - self.started
        busy = (self._machine_busy() - self.busy) / self.tick
        self.server_seconds = (self._ticks(self.server.process.pid) - self.server_ticks) / self.tick
        now = self._backends()
        self.postgres_seconds = sum(t - self.backend_ticks.get(pid, 0) for pid, t in now.items()) / self.tick
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk = usage.ru_utime + usage.ru_stime - self.children
        self.other_cores = max(busy - self.server_seconds - self.postgres_seconds - wrk, 0.0) / wall


def wrk_argv(server: Server, script: Path, connections: int, seconds: float) -> list[str]:
    """wrk with one thread and `script` against `server` (bench/abuse.py runs it too)."""
    return [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{seconds:g}s",
        "--timeout",
        "10s",
        "--script",
        str(script),
        server.base_url + "/",
    ]


def run_wrk(server: Server, load: Load, connections: int, seconds: float, database: str) -> Figures:
    argv = wrk_argv(server, load.script, connections, seconds)
    with CpuMeter(server, database) as meter:
        result = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    match = RESULT.search(result.stdout)
    if result.returncode != 0 or match is None:
        raise SystemExit(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    values = {key: int(value) for key, value in (pair.split("=") for pair in match.group(1).split())}
    failures = {k: values[k] for k in ("status", "connect", "read", "write", "timeout") if values[k]}
    if failures:
        raise SystemExit(
            f"{server.name}: wrk saw non-2xx responses or socket errors {failures} of {values['requests']} "
            f"requests:\n{server.log_tail()}"
        )
    requests = max(values["requests"], 1)
    return Figures(
        rps=values["requests"] / (values["duration_us"] / 1e6),
        p50_ms=values["p50_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        max_ms=values["max_us"] / 1000,
        cpu_ms_per_request=meter.server_seconds * 1000 / requests,
        postgres_ms_per_request=meter.postgres_seconds * 1000 / requests,
        other_cores=meter.other_cores,
    )


def ensure_wrk() -> None:
    if shutil.which("wrk") is not None:
        return
    print("wrk is not installed: installing Debian's package (apt-get install -y wrk) ...", flush=True)
    apt = ["apt-get", "install", "-y", "-q", "wrk"]
    if os.geteuid() != 0:
        apt = ["sudo", *apt]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(apt, env=environment, check=False).returncode != 0:  # noqa: S603
        update = ["apt-get", "update", "-q"] if os.geteuid() == 0 else ["sudo", "apt-get", "update", "-q"]
        subprocess.run(update, env=environment, check=False)  # noqa: S603
        subprocess.run(apt, env=environment, check=False)  # noqa: S603
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed and could not be installed: apt-get install wrk")


def check_sample(server: Server, path: str, headers: dict[str, str], employee_id: uuid.UUID, items: int) -> None:
    response = httpx.get(server.base_url + path, headers=headers, timeout=10.0)
    if response.status_code != 200:
        raise SystemExit(
            f"{server.name}: GET {path} answered {response.status_code}: {response.text[:500]}\n{server.log_tail()}"
        )
    body = response.json()
    if body["employee_id"] != str(employee_id) or len(body["items"]) != items:
        raise SystemExit(f"{server.name}: unexpected body for {employee_id}: {response.text[:500]}")


# --- main ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(server_url: URL) -> Iterator[URL]:
    name = f"cwbench_{secrets.token_hex(3)}"
    admin = create_engine(as_psycopg_url(server_url), isolation_level="AUTOCOMMIT", pool_size=1)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in connection.scalars(
                text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"), {"p": f"{name}\\_%"}
            ).all():
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def median_line(label: str, figures: list[Figures]) -> str:
    return (
        f"{label}: p50 {statistics.median(f.p50_ms for f in figures):.1f} ms, "
        f"p99 {statistics.median(f.p99_ms for f in figures):.1f} ms, "
        f"{statistics.median(f.rps for f in figures):.0f} req/s, "
        f"CPU/request: server {statistics.median(f.cpu_ms_per_request for f in figures):.2f} ms, "
        f"Postgres {statistics.median(f.postgres_ms_per_request for f in figures):.2f} ms"
    )


def figures_text(f: Figures) -> str:
    return (
        f"p50 {f.p50_ms:6.1f} ms  p99 {f.p99_ms:6.1f} ms  max {f.max_ms:6.1f} ms  {f.rps:5.0f} req/s  "
        f"CPU/req: server {f.cpu_ms_per_request:.2f} ms, Postgres {f.postgres_ms_per_request:.2f} ms  "
        f"(other work on the machine: {f.other_cores:.2f} cores)"
    )


def run(args: argparse.Namespace, owner_url: URL, workdir: Path) -> None:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    key_pem = ECKey.generate_key("P-256", private=True).as_pem(private=True).decode()
    settings = Settings(
        environment="prod",
        database_url=owner_url.render_as_string(hide_password=False),
        redis_url=redis_url,
        data_dir=workdir / "data",
        token_signing_key=SecretStr(key_pem),
        secrets_key=SecretStr(Fernet.generate_key().decode()),
        broker_namespace=owner_url.database or "cwbench",
        log_level=args.log_level,
    )
    owner = create_engine(as_psycopg_url(settings.owner_url), pool_size=2)
    try:
        upgrade_control(owner)
        ensure_platform_roles(owner, RoleNames(settings.role_prefix))
        tenant = create_tenant(owner, RoleNames(settings.role_prefix), "bench_api", "Bench API")
        print(
            f"seeding {args.employees:,} employees, {args.skills:,} skills, {args.opportunities:,} open gigs, "
            f"{args.per_employee} recommendations each ...",
            flush=True,
        )
        started = time.perf_counter()
        seed(owner, tenant, args)
        print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
        employees = sample_employees(owner, tenant, args.tokens)
    finally:
        owner.dispose()

    from backend.app import build_signer

    signer: TokenSigner = build_signer(settings)
    employee_role = frozenset({UserRole.EMPLOYEE})
    tokens = [
        "Bearer " + signer.mint(user_claims(tenant, employee_role, subject=f"bench:{e}", employee_id=e))
        for e in employees
    ]
    full_load = Load.write(workdir, "full", ENDPOINT, tokens, header="Authorization")
    employee_ids = [str(e) for e in employees]
    bare_load = Load.write(workdir, "bare", BARE_ENDPOINT, employee_ids)

    env = {
        **os.environ,
        "ENVIRONMENT": settings.environment,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": redis_url,
        "TOKEN_SIGNING_KEY": key_pem,
        "SECRETS_KEY": settings.secrets_key.get_secret_value() if settings.secrets_key else "",
        "DATA_DIR": str(settings.data_dir),
        "BROKER_NAMESPACE": settings.broker_namespace,
        "LOG_LEVEL": args.log_level,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        # The load is one machine's: limits it could never trip, still counted in Redis on every request.
        "RATE_LIMIT_API_PER_TOKEN": "1000000/minute",
        "RATE_LIMIT_API_PER_TENANT": "1000000/minute",
    }
    database = owner_url.database or ""
    full_port, bare_port = free_port(), free_port()
    bare_dsn = owner_url.set(drivername="postgresql").render_as_string(hide_password=False)
    servers: list[Server] = []
    try:
        full = start_server(
            "full",
            [*crosswalk_argv(), "serve", "--host", "127.0.0.1", "--port", str(full_port), "--workers", "1"],
            env,
            full_port,
            workdir,
        )
        servers.append(full)
        bare = start_server(
            "bare",
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--serve-bare",
                "--port",
                str(bare_port),
                "--dsn",
                bare_dsn,
                "--schema",
                tenant.schema_name,
                "--pool-size",
                str(settings.db_pool_size),
                "--max-pool",
                str(settings.db_pool_size + settings.db_max_overflow),
                "--log-level",
                args.log_level,
            ],
            env,
            bare_port,
            workdir,
        )
        servers.append(bare)
        full.wait_healthy()
        bare.wait_healthy()
        for employee, token in list(zip(employees, tokens, strict=True))[:5]:
            check_sample(full, ENDPOINT, {"Authorization": token}, employee, args.per_employee)
            check_sample(bare, f"{BARE_ENDPOINT}{employee}", {}, employee, args.per_employee)
        print("sample responses: 200 with the expected items from both servers", flush=True)

        print(
            f"load: wrk, 1 thread, {args.connections} connections, {args.seconds:g} s per run, "
            f"{len(tokens)} employees in rotation; warm-up {args.warmup:g} s each",
            flush=True,
        )
        run_wrk(full, full_load, args.connections, args.warmup, database)
        run_wrk(bare, bare_load, args.connections, args.warmup, database)

        full_runs: list[Figures] = []
        bare_runs: list[Figures] = []
        paced_full: list[Figures] = []
        paced_bare: list[Figures] = []
        single_full: list[Figures] = []
        single_bare: list[Figures] = []
        for round_number in range(1, args.rounds + 1):
            order = [(full, full_load, full_runs), (bare, bare_load, bare_runs)]
            if round_number % 2 == 0:
                order.reverse()
            for server, load, runs in order:
                runs.append(run_wrk(server, load, args.connections, args.seconds, database))
            ratio = full_runs[-1].rps / bare_runs[-1].rps
            print(f"round {round_number}:")
            print(f"  saturated ({args.connections} connections)")
            print(f"    full stack  {figures_text(full_runs[-1])}")
            print(f"    bare        {figures_text(bare_runs[-1])}")
            print(f"    throughput ratio full/bare {ratio:.2f}")
            if args.paced_fraction > 0:
                # The same offered rate for both: a fraction of what the full stack sustained this round.
                rate = full_runs[-1].rps * args.paced_fraction
                mean_delay_ms = args.connections / rate * 1000
                full_paced = Load.write(workdir, "full-paced", ENDPOINT, tokens, "Authorization", mean_delay_ms)
                bare_paced = Load.write(workdir, "bare-paced", BARE_ENDPOINT, employee_ids, "", mean_delay_ms)
                paced_full.append(run_wrk(full, full_paced, args.connections, args.seconds, database))
                paced_bare.append(run_wrk(bare, bare_paced, args.connections, args.seconds, database))
                print(
                    f"  paced (~{rate:.0f} req/s offered: {args.paced_fraction:g} of the full stack's saturated rate)"
                )
                print(f"    full stack  {figures_text(paced_full[-1])}")
                print(f"    bare        {figures_text(paced_bare[-1])}")
            if args.single_seconds > 0:
                single_full.append(run_wrk(full, full_load, 1, args.single_seconds, database))
                single_bare.append(run_wrk(bare, bare_load, 1, args.single_seconds, database))
                print("  one connection (no queueing)")
                print(f"    full stack  {figures_text(single_full[-1])}")
                print(f"    bare        {figures_text(single_bare[-1])}")
            sys.stdout.flush()

        ratios = [f.rps / b.rps for f, b in zip(full_runs, bare_runs, strict=True)]
        print(f"medians of {args.rounds} rounds:")
        print(f"  saturated ({args.connections} connections)")
        print("    " + median_line("full stack", full_runs))
        print("    " + median_line("bare      ", bare_runs))
        print(f"    throughput ratio full/bare {statistics.median(ratios):.2f}")
        if paced_full:
            print(f"  paced at {args.paced_fraction:g} of the full stack's saturated rate")
            print("    " + median_line("full stack", paced_full))
            print("    " + median_line("bare      ", paced_bare))
        if single_full:
            print("  one connection")
            print("    " + median_line("full stack", single_full))
            print("    " + median_line("bare      ", single_bare))
        verdicts = [(f"saturated, {args.connections} connections", full_runs)]
        if paced_full:
            verdicts.append((f"paced at {args.paced_fraction:g} of the saturated rate", paced_full))
        for label, runs in verdicts:
            p99 = statistics.median(f.p99_ms for f in runs)
            verdict = "met" if p99 < P99_TARGET_MS else "not met"
            print(
                f"p99 target < {P99_TARGET_MS:.0f} ms, full stack, {label}: {verdict} "
                f"(median p99 {p99:.1f} ms, {p99 / P99_TARGET_MS:.2f}x of it)"
            )
    finally:
        for server in servers:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--employees", type=int, default=20_000)
    parser.add_argument("--skills", type=int, default=2_000)
    parser.add_argument("--opportunities", type=int, default=2_000)
    parser.add_argument("--per-employee", type=int, default=20, help="recommendations per employee")
    parser.add_argument("--tokens", type=int, default=500, help="employees (tokens) in the load's rotation")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each timed wrk run")
    parser.add_argument("--warmup", type=float, default=3.0, help="duration of the warm-up run of each server")
    parser.add_argument(
        "--paced-fraction",
        type=float,
        default=0.5,
        help="a paced run per server and round at this fraction of the full stack's saturated rate (0: skip)",
    )
    parser.add_argument(
        "--single-seconds", type=float, default=5.0, help="a single-connection run per server and round (0: skip)"
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="of both servers"
    )
    # The baseline server's own mode (started by the benchmark, not by hand).
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument("--pool-size", type=int, default=10, help=argparse.SUPPRESS)
    parser.add_argument("--max-pool", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args)
        return
    if args.per_employee > args.opportunities:
        parser.error("--per-employee cannot exceed --opportunities")
    if args.tokens > args.employees:
        parser.error("--tokens cannot exceed --employees")

    ensure_wrk()
    server_url = make_url(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    with tempfile.TemporaryDirectory(prefix="cwbench-api-") as directory, fresh_database(server_url) as owner_url:
        run(args, owner_url, Path(directory))


if __name__ == "__main__":
    main()
