"""Real worker, scheduler and Redis processes for the fault tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil
import redis

WORKER = [sys.executable, "-c", "from backend.cli import main; main()", "worker", "--processes", "1", "--threads", "2"]
# The same worker, with the test actors (tests/worker/actors.py) declared too.
TEST_WORKER = [sys.executable, "-m", "tests.worker.entry", "worker", "--processes", "1", "--threads", "2"]
SCHEDULER = [sys.executable, "-c", "from backend.cli import main; main()", "scheduler"]


class Process:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("a")
        # A session of its own: kill -9 takes the whole process tree (Dramatiq's parent and worker) at once.
        self.popen = subprocess.Popen(argv, env=env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True)

    def kill9(self) -> None:
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()
        # Whatever is left of its group (a child that outlived it) goes too, so a failing test leaves
        # no worker consuming behind it.
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self._out.close()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def running(argv: list[str], env: dict[str, str], log: Path) -> Iterator[Process]:
    process = Process(argv, env, log)
    try:
        yield process
    finally:
        process.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    from backend.embedded import _import_binaries

    return str(_import_binaries().redis_server)


class RedisServer:
    """A Redis of the test's own, which the test can stop and start again on the same port."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [
                    redis_server_binary(),
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the test's Redis did not start")

    def kill(self) -> None:
        """SIGKILL: the server goes away with everything it held (it keeps nothing on disk)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class PrivatePostgres:
    """A Postgres of the test's own (the embedded one's binaries, on a unix socket in `data_dir`), which
    the test can stop and start again at the same address: the machine's shared Postgres is never
    stopped."""

    def __init__(self, data_dir: Path) -> None:
        from backend.embedded import _import_binaries, _runner_for_current_user

        self.data_dir = data_dir
        self.bin_dir = _import_binaries().pg_bin_dir
        self.runner = _runner_for_current_user(self.bin_dir)
        self.process: psutil.Process | None = None
        self.socket_dir: Path | None = None

    @property
    def url(self) -> str:
        assert self.socket_dir is not None
        return f"postgresql://postgres@/crosswalk?host={self.socket_dir}"

    def start(self) -> None:
        from backend.embedded import _start_postgres

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process, self.socket_dir = _start_postgres(self.bin_dir, self.data_dir, self.runner)

    def stop(self) -> None:
        from backend.embedded import _stop_postgres

        if self.process is not None:
            _stop_postgres(self.bin_dir, self.data_dir, self.runner, self.process)
            self.process = None
