"""Abuse benchmark: `.venv/bin/python bench/abuse.py` (real Postgres and Redis; DATABASE_URL and
REDIS_URL name the servers, default 127.0.0.1).

Does a flood of bogus clients slow a legitimate partner's token request? Target: by at most 2x.

Setup (not timed): a fresh database (dropped at the end, with its roles), the control schema and one
tenant migrated, `--clients` partner clients with argon2id-hashed secrets (OWASP parameters), and the
app served as `crosswalk serve` serves it (uvicorn, one worker process) with the default rate limits
and TRUSTED_PROXIES=127.0.0.1: the flood comes through that "proxy" from a new address every request
(X-Forwarded-For), as a distributed attack would, so the limits per address barely bite and the
endpoint itself must hold.

The legitimate partner: `--legit` of the clients, each asking from an address of its own
(127.0.2.N, a loopback address on Linux) with its right secret, one request at a time with a
`--pause` between them, over one kept-alive connection per client.

The flood: wrk (Debian's package; installed with apt-get when missing), one thread, `--connections`
connections, as fast as the server answers, from `--ramp` seconds before the measured phase to its
end. Every request is
POST /oauth/token with client_secret_post: half with a made-up client id, half with a real client's
id (the legitimate ones included) and a wrong secret.

Each round: `--requests` legitimate requests alone, then as many again during the flood. Printed: p50
and p95 of both, their ratios, and what the flood got (requests/s, 401 and 429 answers); then the
medians over `--rounds` rounds and the verdict on the target (median p50 ratio <= 2).

`--source DIR` serves the app from another checkout of the project (e.g. an older commit unpacked
with `git archive`), to measure the same flood against it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from joserfc.jwk import ECKey
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import (  # type: ignore[import-not-found]
    Server,
    crosswalk_argv,
    ensure_wrk,
    free_port,
    fresh_database,
    start_server,
    wrk_argv,
)

from backend.partners.models import PartnerClient
from backend.partners.service import hash_secret, new_client_id, new_secret
from backend.settings import as_psycopg_url
from tenants.migrator import upgrade_control
from tenants.provisioning import RoleNames, create_tenant, ensure_platform_roles

RATIO_TARGET = 2.0

# One request per call of `request`: a new forwarded address every time, and either a made-up client
# id or a real one with a wrong secret. Counts the answers by status for `done`.
FLOOD_LUA = """
local real = {%(real)s}
local counter = 0
statuses = {}  -- a global: `done` reads it through thread:get
math.randomseed(%(seed)d)

function hex(n)
  local out = {}
  for i = 1, n do out[i] = string.format("%%x", math.random(0, 15)) end
  return table.concat(out)
end

request = function()
  counter = counter + 1
  local id
  if counter %% 2 == 0 then id = real[(counter / 2) %% #real + 1] else id = "pc_" .. hex(24) end
  local body = "grant_type=client_credentials&client_id=" .. id .. "&client_secret=cwpsec_" .. hex(43)
  local address = string.format("10.%%d.%%d.%%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "/oauth/token", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = address,
  }, body)
end
"""

# The end of every wrk script here: counts the answers by status (in the global `statuses` its request
# part declares) and prints them on the line `flooding` reads. No % in it: scripts are %-formatted.
COUNT_STATUSES_LUA = """
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}
setup = function(thread) table.insert(threads, thread) end

done = function(summary, latency, requests)
  local line = "RESULT requests=" .. summary.requests .. " duration_us=" .. summary.duration
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do line = line .. " s" .. status .. "=" .. count end
  end
  io.write(line .. " connect=" .. summary.errors.connect .. " timeout=" .. summary.errors.timeout .. "\\n")
end
"""


@dataclass(frozen=True)
class Partner:
    client_id: str
    secret: str


@dataclass(frozen=True)
class Latencies:
    p50_ms: float
    p95_ms: float

    @classmethod
    def of(cls, samples: list[float]) -> Latencies:
        ordered = sorted(samples)
        return cls(statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))])

    def text(self) -> str:
        return f"p50 {self.p50_ms:6.1f} ms  p95 {self.p95_ms:6.1f} ms"


@dataclass(frozen=True)
class Flood:
    rps: float
    statuses: dict[str, int]

    def text(self) -> str:
        counts = ", ".join(f"{count:,} x {status}" for status, count in sorted(self.statuses.items()))
        return f"{self.rps:,.0f} req/s ({counts})"


def register_partners(owner: Engine, tenant_id: object, count: int) -> list[Partner]:
    partners = [Partner(new_client_id(), new_secret()) for _ in range(count)]
    with Session(owner) as session:
        for n, partner in enumerate(partners):
            session.add(
                PartnerClient(
                    tenant_id=tenant_id,
                    name=f"Bench partner {n}",
                    client_id=partner.client_id,
                    secret_hash=hash_secret(partner.secret),
                    scopes=["employees:read"],
                    created_by="bench",
                )
            )
        session.commit()
    return partners


def legit_requests(server: Server, partners: list[Partner], count: int, pause: float) -> list[float]:
    """`count` token requests of the legitimate partners in turn, each from its own address; the
    latency of each in ms. Any answer but 200 ends the run: the legitimate partner must get its token."""
    clients = [
        httpx.Client(
            base_url=server.base_url,
            transport=httpx.HTTPTransport(local_address=f"127.0.2.{n + 1}"),
            timeout=30.0,
        )
        for n in range(len(partners))
    ]
    samples: list[float] = []
    try:
        for n in range(count):
            partner, client = partners[n % len(partners)], clients[n % len(partners)]
            form = {"grant_type": "client_credentials"}
            started = time.perf_counter()
            response = client.post("/oauth/token", data=form, auth=(partner.client_id, partner.secret))
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(
                    f"the legitimate partner got {response.status_code}: {response.text[:300]}\n{server.log_tail()}"
                )
            time.sleep(pause)
    finally:
        for client in clients:
            client.close()
    return samples


@contextlib.contextmanager
def flooding(server: Server, script: Path, connections: int) -> Iterator[list[Flood]]:
    """wrk against the token endpoint in the background until the block ends (SIGINT, on which wrk
    prints its figures); they land in the list."""
    result: list[Flood] = []
    argv = wrk_argv(server, script, connections, 3600)
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    output: list[str] = []
    errors = ""

    def read() -> None:
        nonlocal errors
        out, errors = process.communicate()
        output.append(out)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield result
    finally:
        process.send_signal(signal.SIGINT)
        reader.join(timeout=60)
    line = next((row for row in "".join(output).splitlines() if row.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result ({process.returncode}): {''.join(output)[-2000:]}{errors[-2000:]}")
    values = dict(pair.split("=") for pair in line.split()[1:])
    statuses = {key[1:]: int(value) for key, value in values.items() if key.startswith("s")}
    result.append(Flood(int(values["requests"]) / (int(values["duration_us"]) / 1e6), statuses))


def run(args: argparse.Namespace, owner_url: URL, workdir: Path) -> None:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    key_pem = ECKey.generate_key("P-256", private=True).as_pem(private=True).decode()
    owner = create_engine(as_psycopg_url(owner_url))
    roles = RoleNames(f"{owner_url.database}_")
    try:
        upgrade_control(owner)
        ensure_platform_roles(owner, roles)
        tenant = create_tenant(owner, roles, "bench_abuse", "Bench Abuse")
        partners = register_partners(owner, tenant.id, args.clients)
    finally:
        owner.dispose()
    legit, others = partners[: args.legit], partners[args.legit :]
    print(f"{len(partners)} partner clients (argon2id secrets); {len(legit)} legitimate ones in turn", flush=True)

    source = Path(args.source).resolve() if args.source else Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "ENVIRONMENT": "prod",
        "DATABASE_URL": owner_url.render_as_string(hide_password=False),
        "REDIS_URL": redis_url,
        "TOKEN_SIGNING_KEY": key_pem,
        "SECRETS_KEY": Fernet.generate_key().decode(),
        "DATA_DIR": str(workdir / "data"),
        "BROKER_NAMESPACE": owner_url.database or "cwbench",
        "TRUSTED_PROXIES": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(source),
    }
    real = ", ".join(f'"{p.client_id}"' for p in [*legit, *others])
    script = workdir / "flood.lua"
    script.write_text((FLOOD_LUA + COUNT_STATUSES_LUA) % {"real": real, "seed": secrets.randbelow(2**31)})
    port = free_port()
    # With --source, PYTHONPATH puts that checkout's packages before the installed ones.
    argv = [*crosswalk_argv(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    server = start_server("crosswalk", argv, env, port, workdir)
    try:
        server.wait_healthy()
        print(f"serving from {source}", flush=True)
        legit_requests(server, legit, len(legit) * 2, args.pause)  # warm-up: connections, caches
        alone_runs: list[Latencies] = []
        flooded_runs: list[Latencies] = []
        floods: list[Flood] = []
        for round_number in range(1, args.rounds + 1):
            alone = Latencies.of(legit_requests(server, legit, args.requests, args.pause))
            with flooding(server, script, args.connections) as flood_result:
                time.sleep(args.ramp)
                flooded = Latencies.of(legit_requests(server, legit, args.requests, args.pause))
            alone_runs.append(alone)
            flooded_runs.append(flooded)
            floods.extend(flood_result)
            print(f"round {round_number}:")
            print(f"  alone           {alone.text()}")
            print(f"  during a flood  {flooded.text()}  flood: {flood_result[0].text()}")
            print(
                f"  ratio           p50 {flooded.p50_ms / alone.p50_ms:.2f}x  p95 {flooded.p95_ms / alone.p95_ms:.2f}x",
                flush=True,
            )
        alone_p50 = statistics.median(r.p50_ms for r in alone_runs)
        alone_p95 = statistics.median(r.p95_ms for r in alone_runs)
        flooded_p50 = statistics.median(r.p50_ms for r in flooded_runs)
        flooded_p95 = statistics.median(r.p95_ms for r in flooded_runs)
        ratio = flooded_p50 / alone_p50
        print(f"medians of {args.rounds} rounds ({args.requests} legitimate requests per phase):")
        print(f"  alone           p50 {alone_p50:6.1f} ms  p95 {alone_p95:6.1f} ms")
        print(f"  during a flood  p50 {flooded_p50:6.1f} ms  p95 {flooded_p95:6.1f} ms")
        flood_rps = statistics.median(f.rps for f in floods)
        print(f"  flood           {flood_rps:,.0f} req/s over {args.connections} connections")
        print(f"  ratio           p50 {ratio:.2f}x  p95 {flooded_p95 / alone_p95:.2f}x")
        verdict = "met" if ratio <= RATIO_TARGET else "not met"
        print(f"target: a flood slows a legitimate token request by at most {RATIO_TARGET:g}x (p50): {verdict}")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=40, help="partner clients registered")
    parser.add_argument("--legit", type=int, default=10, help="of which the legitimate partner's")
    parser.add_argument("--requests", type=int, default=40, help="legitimate requests per phase")
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between legitimate requests")
    parser.add_argument("--connections", type=int, default=64, help="of the flood")
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds of flood before measuring")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--source", help="serve the app from this checkout of the project instead")
    args = parser.parse_args()
    if not 1 <= args.legit < args.clients or args.legit > 250:
        parser.error("--legit must be at least 1, fewer than --clients, and at most 250")
    ensure_wrk()
    server_url = make_url(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    with tempfile.TemporaryDirectory(prefix="cwbench-abuse-") as directory, fresh_database(server_url) as owner_url:
        run(args, owner_url, Path(directory))


if __name__ == "__main__":
    main()
