"""Child processes that are restarted when they exit on their own and all stopped together: the
worker and the scheduler of `crosswalk run`, the worker processes of `crosswalk worker --processes N`.

Each child runs in a process group of its own, so a Ctrl-C in the terminal (a SIGINT to the whole
foreground group) reaches the supervisor only, which then stops every child once and in order rather
than each of them at the same moment as their parent. Stopping sends SIGTERM to each child's group,
waits `stop_seconds` and then kills whatever is left of the groups, so nothing outlives the
supervisor. On Linux a child also gets SIGTERM when the supervisor dies, even by SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

import structlog

from backend.backoff import Backoff

log = structlog.get_logger()

# A child that ran this long before exiting was healthy: its next restart starts the backoff afresh.
HEALTHY_AFTER_SECONDS = 60.0
POLL_SECONDS = 0.2


def _parent_death_signal() -> Callable[[], None] | None:
    # Resolved here, in the parent: the child, forked from a process with threads, only makes the call.
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def dies_with_parent() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return dies_with_parent


_DIES_WITH_PARENT = _parent_death_signal()


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes]
    started_at: float
    backoff: Backoff
    restart_at: float | None = None
    restarts: int = field(default=0)


class Supervisor:
    def __init__(
        self,
        *,
        backoff_max_seconds: float,
        stop_seconds: float,
        announce: Callable[[str], None] | None = None,
        env: Mapping[str, str] | None = None,
        output: IO[str] | None = None,
    ) -> None:
        """`env` and `output` (stdout and stderr) of the children: this process's own when None."""
        self.backoff_max_seconds = backoff_max_seconds
        self.stop_seconds = stop_seconds
        self._announce = announce or (lambda line: None)
        self._env = dict(env) if env is not None else None
        self._output = output
        self._children: list[Child] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="supervisor", daemon=True)

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, name: str, argv: Sequence[str]) -> int:
        """Start a child and supervise it from now on; its pid."""
        with self._lock:
            child = Child(name, list(argv), self._spawn(argv), time.monotonic(), Backoff(cap=self.backoff_max_seconds))
            self._children.append(child)
        if not self._watcher.is_alive():
            self._watcher.start()
        self._announce(f"{name}: pid {child.process.pid}")
        return child.process.pid

    def pids(self) -> dict[str, int]:
        """The current pid of each child (a restarted child has a new one)."""
        with self._lock:
            return {child.name: child.process.pid for child in self._children}

    def restarts(self) -> dict[str, int]:
        with self._lock:
            return {child.name: child.restarts for child in self._children}

    def _spawn(self, argv: Sequence[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603 - our own argv
            list(argv),
            env=self._env,
            stdout=self._output,
            stderr=subprocess.STDOUT if self._output is not None else None,
            start_new_session=True,
            preexec_fn=_DIES_WITH_PARENT,
        )

    def _watch(self) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            with self._lock:
                for child in self._children:
                    self._check(child)

    def _check(self, child: Child) -> None:
        now = time.monotonic()
        if child.restart_at is None:
            code = child.process.poll()
            if code is None:
                return
            if now - child.started_at >= HEALTHY_AFTER_SECONDS:
                child.backoff.reset()
            delay = child.backoff.next_delay()
            child.restart_at = now + delay
            log.warning(
                "child_exited", child=child.name, pid=child.process.pid, code=code, restart_in_seconds=round(delay, 2)
            )
            return
        if now < child.restart_at:
            return
        child.process = self._spawn(child.argv)
        child.started_at, child.restart_at = now, None
        child.restarts += 1
        log.warning("child_restarted", child=child.name, pid=child.process.pid, restarts=child.restarts)

    def stop(self) -> None:
        """Stop every child: SIGTERM to each group, then SIGKILL to what is left after stop_seconds."""
        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join()
        with self._lock:
            children = list(self._children)
        for child in children:
            _signal_group(child.process, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_seconds
        for child in children:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("child_killed", child=child.name, pid=child.process.pid, after_seconds=self.stop_seconds)
        for child in children:
            # The child's own children too, whether or not the child itself is gone.
            _signal_group(child.process, signal.SIGKILL)
            child.process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is empty already
        os.killpg(process.pid, signum)
