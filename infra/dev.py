#!/usr/bin/env python3
"""The README's Quick start: `python3 infra/dev.py run` and `python3 infra/dev.py test`.

Needs only Python (3.11 or 3.12 for the embedded Postgres and Redis) and a clone of the repository.
It creates `.venv`, installs the project with its extras when `pyproject.toml` changed (Node.js for the
local OpenID provider comes with them, from PyPI), then runs `crosswalk run` (serve, on embedded servers
unless DATABASE_URL/REDIS_URL are set) or pytest. Before the tests it makes sure a Chromium is there
for the browser tests: the machine's own, or one it installs (Debian's package when running as root on
Debian, Playwright's download elsewhere), or it stops with one line naming the command that gets one.
Extra arguments are passed on: `python3 infra/dev.py test -k isolation`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
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


def system_chromium() -> str | None:
    """$CHROMIUM, else a Chromium on PATH (the browser tests look in the same places, then Playwright's)."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def playwright_chromium() -> str | None:
    """The Chromium that `playwright install` downloaded, if it did."""
    script = (
        "from playwright.sync_api import sync_playwright\n"
        "with sync_playwright() as p: print(p.chromium.executable_path)"
    )
    done = subprocess.run([str(BIN / "python"), "-c", script], capture_output=True, text=True)
    path = done.stdout.strip()
    return path if done.returncode == 0 and path and Path(path).is_file() else None


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def is_debian() -> bool:
    """Debian, where `apt-get install chromium` gives a real Chromium (on Ubuntu it is a snap, which
    containers cannot run: Playwright's download serves there)."""
    try:
        release = Path("/etc/os-release").read_text()
    except OSError:
        return False
    return shutil.which("apt-get") is not None and any(line.strip() == "ID=debian" for line in release.splitlines())


def ensure_chromium() -> None:
    """A Chromium for the browser tests: the machine's, or installed now, or a one-line way to get one."""
    if system_chromium() or playwright_chromium():
        return
    if is_debian() and is_root():
        print("installing Debian's chromium for the browser tests ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        apt = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]
        subprocess.run(apt, env=env, check=False)
        fix = "apt-get install chromium"
    else:
        print("downloading Playwright's Chromium for the browser tests ...", flush=True)
        # As root, Playwright also installs the libraries the browser needs (with apt, on Debian/Ubuntu).
        deps = ["--with-deps"] if is_root() else []
        subprocess.run([str(BIN / "python"), "-m", "playwright", "install", *deps, "chromium"], check=False)
        fix = "sudo apt-get install chromium" if is_debian() else f"{BIN / 'python'} -m playwright install chromium"
    if not (system_chromium() or playwright_chromium()):
        fail(f"the browser tests need Chromium, and it could not be installed: run `{fix}`, or set CHROMIUM")


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        fail(USAGE)
    command, rest = sys.argv[1], sys.argv[2:]
    ensure_environment()
    if command == "test":
        ensure_chromium()
    os.chdir(ROOT)
    argv = [str(BIN / "crosswalk"), "run", *rest] if command == "run" else [str(BIN / "python"), "-m", "pytest", *rest]
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
