#!/usr/bin/env python3
"""The README's Quick start: `python3 infra/dev.py run` and `python3 infra/dev.py test`.

Needs only Python (3.11 or 3.12 for the embedded Postgres and Redis) and a clone of the repository.
It creates `.venv`, installs the project with its extras when `pyproject.toml` changed, then runs
`crosswalk run` (serve, on embedded servers unless DATABASE_URL/REDIS_URL are set) or pytest.
Extra arguments are passed on: `python3 infra/dev.py test -k isolation`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
EXTRAS = "embedded,test"
USAGE = "usage: python3 infra/dev.py {run|test} [arguments...]"


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def ensure_environment() -> None:
    embedded_ok = sys.version_info < (3, 13)
    needs_servers = not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))
    if needs_servers and not embedded_ok:
        fail(
            "the embedded Postgres and Redis ship for Python 3.11 and 3.12 only: use one of those, "
            "or set DATABASE_URL and REDIS_URL"
        )
    python = BIN / "python"
    if not python.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + EXTRAS.encode()).hexdigest()
    stamp = VENV / ".crosswalk-installed"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("installing Crosswalk and its dependencies into .venv ...", flush=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    extras = EXTRAS if embedded_ok else "test"
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "--editable", f"{ROOT}[{extras}]"], check=True)
    stamp.write_text(digest)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        fail(USAGE)
    command, rest = sys.argv[1], sys.argv[2:]
    ensure_environment()
    os.chdir(ROOT)
    argv = [str(BIN / "crosswalk"), "run", *rest] if command == "run" else [str(BIN / "python"), "-m", "pytest", *rest]
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
