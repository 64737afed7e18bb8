"""The README's test command on a machine that has only Python: it provides Node.js and Chromium itself,
or stops with one line naming the command that gets what is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def test_the_local_provider_runs_on_node_from_pypi_with_no_node_on_the_machine(tmp_path: Path) -> None:
    # PATH holds only the virtualenv: no `node` or `npm` of the machine can be found.
    script = (
        "import subprocess; from backend.demo.idp import ensure_installed; "
        "print(subprocess.run([ensure_installed(), '--version'], capture_output=True, text=True, check=True).stdout)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "PATH": str(VENV_BIN)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("v"), done.stdout
    major = int(done.stdout[1:].split(".")[0])
    assert major >= 20, f"oidc-provider needs Node.js 20 or later, got {done.stdout.strip()}"


def test_the_test_command_names_the_fix_in_one_line_when_no_chromium_can_be_had(tmp_path: Path) -> None:
    # No Chromium on PATH, no apt-get, an empty Playwright browser folder and a download host that
    # refuses at once: the command can neither find nor install a browser.
    env = {
        **os.environ,
        "PATH": str(tmp_path / "empty-bin"),
        "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "browsers"),
        "PLAYWRIGHT_DOWNLOAD_HOST": "http://127.0.0.1:9",
    }
    env.pop("CHROMIUM", None)
    done = subprocess.run(
        [sys.executable, str(REPO / "infra" / "dev.py"), "test", "--co", "-q", "tests/test_dev.py"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert "Chromium" in errors[0]
    assert "playwright install chromium" in errors[0] or "apt-get install chromium" in errors[0], errors[0]
    # It stopped before the tests: pytest never collected anything.
    assert "collected" not in done.stdout
