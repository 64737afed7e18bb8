"""A Postgres of the test's own, on a loopback TCP port, which a test may stop and start again.

Outage tests must never stop the machine's shared Postgres (other test runs use it): this one is made
with the embedded Postgres's binaries (pgserver) and its cluster set-up, in the test's temp folder.
"""

from __future__ import annotations

from pathlib import Path

from backend.embedded import _import_binaries, _init_postgres, _run, _runner_for_current_user, _tail


class PostgresServer:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.bin_dir = _import_binaries().pg_bin_dir
        # Postgres refuses to run as root: then it runs as the embedded set-up's own account.
        self.runner = _runner_for_current_user(self.bin_dir)
        self.pgdata = data_dir / "postgres"
        self.log = data_dir / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/crosswalk"

    def start(self) -> None:
        if not (self.pgdata / "PG_VERSION").exists():
            if self.runner is not None:
                for folder in (self.data_dir, *self.data_dir.parents):
                    folder.chmod(folder.stat().st_mode | 0o001)
                self.data_dir.chmod(0o777)
            _init_postgres(self.bin_dir, self.data_dir, self.pgdata, self.runner)
        # TCP on loopback only; no Unix socket, so no folder of ours needs to be writable by the runner.
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories=''"
        try:
            _run(
                [self.bin_dir / "pg_ctl", "start", "-D", self.pgdata, "-l", self.log, "-o", options, "-w", "-s"],
                runner=self.runner,
                cwd=self.pgdata,
            )
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{_tail(self.log)}") from None

    def stop(self) -> None:
        """A fast shutdown, as a restart by systemd does: clients are disconnected at once."""
        _run(
            [self.bin_dir / "pg_ctl", "stop", "-D", self.pgdata, "-m", "fast", "-w", "-s"],
            runner=self.runner,
            cwd=self.pgdata,
        )
