"""Embedded Postgres + Redis: data survives restarts, crashed owners and stale files.

These tests start real servers from the ``crosswalk[embedded]`` extra in
``tmp_path``; they need no Postgres or Redis on the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped,unused-ignore]
import pytest
import redis
import redis.asyncio
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from backend.embedded import EmbeddedServices, start_embedded_services

REPO_ROOT = Path(__file__).resolve().parents[1]

Starter = Callable[[Path], EmbeddedServices]

# Started in a child process that is then signalled, so that the next start in
# this process meets whatever a dying owner leaves behind.
CHILD_OWNER = """
import asyncio, json, sys, time
from pathlib import Path

import redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from backend.embedded import start_embedded_services

services = start_embedded_services(Path(sys.argv[1]))

async def write() -> None:
    engine = create_async_engine(services.database_url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (body text)"))
        await conn.execute(text("INSERT INTO notes VALUES ('written by the child')"))
    await engine.dispose()

asyncio.run(write())
redis.Redis.from_url(services.redis_url).set("child", "alive")
print(json.dumps({"database_url": services.database_url, "redis_url": services.redis_url}), flush=True)
time.sleep(600)
"""


def run_sql(url: str, *statements: str) -> Any:
    """Run statements in one transaction; return the last one's scalar, if any."""

    async def run() -> Any:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                result = None
                for statement in statements:
                    result = await conn.execute(text(statement))
                return result.scalar() if result is not None and result.returns_rows else None
        finally:
            await engine.dispose()

    return asyncio.run(run())


def server_pids(data_dir: Path) -> list[int]:
    pids = []
    for pidfile in (data_dir / "postgres" / "postmaster.pid", data_dir / "redis" / "redis.pid"):
        if pidfile.exists():
            pids.append(int(pidfile.read_text().splitlines()[0]))
    return pids


def is_gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def wait_until_gone(pids: list[int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(is_gone(pid) for pid in pids):
        assert time.monotonic() < deadline, f"still running: {pids}"
        time.sleep(0.05)


@pytest.fixture
def start() -> Iterator[Starter]:
    started: list[EmbeddedServices] = []
    data_dirs: list[Path] = []

    def _start(data_dir: Path) -> EmbeddedServices:
        data_dirs.append(data_dir)
        services = start_embedded_services(data_dir)
        started.append(services)
        return services

    yield _start
    for services in started:
        services.stop()
    # A failing test may leave a child's servers behind: adopting and stopping
    # them keeps the machine free of orphans.
    for data_dir in dict.fromkeys(data_dirs):
        if server_pids(data_dir):
            start_embedded_services(data_dir).stop()


def test_data_survives_stop_and_restart(start: Starter, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = start(data_dir)
    run_sql(
        first.database_url,
        "CREATE TABLE notes (body text)",
        "INSERT INTO notes VALUES ('kept across restarts')",
    )
    queue = redis.Redis.from_url(first.redis_url)
    assert queue.set("greeting", "hello")
    queue.close()
    pids = server_pids(data_dir)
    assert len(pids) == 2

    first.stop()
    first.stop()  # idempotent
    wait_until_gone(pids)
    assert server_pids(data_dir) == []

    second = start(data_dir)
    assert second.database_url == first.database_url
    assert run_sql(second.database_url, "SELECT body FROM notes") == "kept across restarts"
    queue = redis.Redis.from_url(second.redis_url)
    assert queue.get("greeting") == b"hello"
    queue.close()


def test_superuser_roles_extensions_and_clients(start: Starter, tmp_path: Path) -> None:
    services = start(tmp_path / "data")
    url = make_url(services.database_url)
    assert (url.drivername, url.username, url.database) == ("postgresql+asyncpg", "postgres", "crosswalk")

    assert run_sql(services.database_url, "SELECT 1") == 1
    assert run_sql(services.database_url, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    # The builtin C.UTF-8 locale provider used by initdb needs Postgres 17+.
    assert int(run_sql(services.database_url, "SHOW server_version").split(".")[0]) >= 17
    similarity = run_sql(
        services.database_url,
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "SELECT similarity('Müller', 'Müler')",
    )
    assert similarity > 0.5
    run_sql(
        services.database_url,
        "CREATE ROLE reporting NOLOGIN",
        "CREATE ROLE crosswalk_app LOGIN",
        "CREATE SCHEMA tenant_a AUTHORIZATION crosswalk_app",
    )
    # Trust auth: any local role logs in without a password.
    app_url = url.set(username="crosswalk_app").render_as_string(hide_password=False)
    assert run_sql(app_url, "SELECT current_user") == "crosswalk_app"

    sync_client = redis.Redis.from_url(services.redis_url)
    assert sync_client.ping()
    sync_client.close()

    async def async_roundtrip() -> Any:
        client = redis.asyncio.Redis.from_url(services.redis_url)
        try:
            await client.set("async", "yes")
            return await client.get("async")
        finally:
            await client.aclose()

    assert asyncio.run(async_roundtrip()) == b"yes"

    broker = RedisBroker(url=services.redis_url)  # type: ignore[no-untyped-call]
    try:
        assert broker.client.ping()
    finally:
        broker.close()


def test_a_second_user_attaches_to_the_owners_servers(start: Starter, tmp_path: Path) -> None:
    # `crosswalk run` owns the servers; `crosswalk tokens create` in another terminal uses them.
    owner = start(tmp_path / "data")
    guest = start_embedded_services(tmp_path / "data")
    assert (guest.database_url, guest.redis_url) == (owner.database_url, owner.redis_url)
    guest.stop()  # a guest never stops the owner's servers
    assert redis.Redis.from_url(owner.redis_url).ping()


@pytest.mark.parametrize(
    ("owner_signal", "kill_servers_too"),
    [
        pytest.param(signal.SIGINT, False, id="ctrl-c"),
        pytest.param(signal.SIGTERM, False, id="sigterm"),
        pytest.param(signal.SIGKILL, False, id="sigkill-owner"),
        pytest.param(signal.SIGKILL, True, id="sigkill-owner-and-servers"),
    ],
)
def test_start_after_owner_died(
    start: Starter, tmp_path: Path, owner_signal: signal.Signals, kill_servers_too: bool
) -> None:
    data_dir = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    with subprocess.Popen(
        [sys.executable, "-c", CHILD_OWNER, str(data_dir)],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
        # Own session: the signal reaches the owner only, like a Ctrl-C or
        # kill aimed at the dev runner.
        start_new_session=True,
    ) as child:
        try:
            assert child.stdout is not None
            announced = json.loads(child.stdout.readline())
            servers = server_pids(data_dir)
            assert len(servers) == 2
            child.send_signal(owner_signal)
            child.wait(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()

    if owner_signal == signal.SIGINT:
        # KeyboardInterrupt runs atexit, which stops both servers cleanly.
        wait_until_gone(servers)
        assert server_pids(data_dir) == []
    else:
        # No Python-level cleanup ran: the servers outlive their owner.
        assert not any(is_gone(pid) for pid in servers)
    if kill_servers_too:
        for pid in servers:
            os.kill(pid, signal.SIGKILL)
        wait_until_gone(servers)
        # A crash leaves pid files and the Redis socket behind.
        assert len(server_pids(data_dir)) == 2

    services = start(data_dir)
    assert services.database_url == announced["database_url"]
    assert services.redis_url == announced["redis_url"]
    assert run_sql(services.database_url, "SELECT body FROM notes") == "written by the child"
    client = redis.Redis.from_url(services.redis_url)
    assert client.get("child") == b"alive"
    client.close()

    running = server_pids(data_dir)
    adopted = not kill_servers_too and owner_signal != signal.SIGINT
    assert (set(running) == set(servers)) is adopted
    services.stop()
    wait_until_gone(running)
    assert server_pids(data_dir) == []


def test_stale_pid_files_naming_unrelated_processes(start: Starter, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    services = start(data_dir)
    run_sql(services.database_url, "CREATE TABLE notes (body text)", "INSERT INTO notes VALUES ('still here')")
    services.stop()

    # After a reboot the recorded pids may belong to anything; a live
    # unrelated process must not be mistaken for the server.
    unrelated = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (data_dir / "postgres" / "postmaster.pid").write_text(
            f"{unrelated.pid}\n{data_dir / 'postgres'}\n0\n5432\n{data_dir / 'postgres'}\n\n0 0\nready   \n"
        )
        (data_dir / "redis" / "redis.pid").write_text(f"{unrelated.pid}\n")
        (data_dir / "redis" / "redis.sock").write_text("not a socket")

        restarted = start(data_dir)
        assert run_sql(restarted.database_url, "SELECT body FROM notes") == "still here"
        client = redis.Redis.from_url(restarted.redis_url)
        assert client.ping()
        client.close()
        assert unrelated.poll() is None
    finally:
        unrelated.kill()
        unrelated.wait()


def test_deep_data_dir_moves_sockets_to_short_paths(start: Starter, tmp_path: Path) -> None:
    data_dir = tmp_path / ("deep" * 20) / ("deeper" * 10)
    services = start(data_dir)
    socket_dir = make_url(services.database_url).query["host"]
    assert isinstance(socket_dir, str)
    assert not socket_dir.startswith(str(data_dir))
    assert len(str(Path(socket_dir) / ".s.PGSQL.5432")) <= 107
    redis_socket = services.redis_url.removeprefix("unix://").split("?")[0]
    assert len(redis_socket) <= 107
    assert run_sql(services.database_url, "SELECT 1") == 1
    client = redis.Redis.from_url(services.redis_url)
    assert client.ping()
    client.close()
    services.stop()

    # The short paths are derived from the data dir, so they are stable.
    assert start(data_dir) == services


def test_missing_extra_gives_one_line_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # None in sys.modules makes the import fail as if the extra were absent.
    for module in ("pgserver", "pgserver._commands"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(RuntimeError, match=r"crosswalk\[embedded\]") as raised:
        start_embedded_services(tmp_path / "data")
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "data").exists()
