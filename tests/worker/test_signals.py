"""The worker and the supervisor of `crosswalk run` as real processes, signalled the way systemd,
Kubernetes and a terminal do: SIGTERM to the process or to its whole group, SIGINT to the group."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from backend.core.jobs import outbox
from backend.core.jobs.models import Job, JobStatus
from backend.settings import Settings
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory
from tests.worker.conftest import broker_settings, env_of, job_of, wait_for_job
from tests.worker.processes import WORKER, running
from tests.worker.test_faults import submit
from worker.broker import DramatiqSender, build_broker, queue_name


@pytest.fixture
def job_sender(fault_settings: Settings) -> Iterator[DramatiqSender]:
    sender = DramatiqSender(build_broker(fault_settings), queue_name(fault_settings))
    yield sender
    sender.close()


# How soon every process must be gone once it has nothing left to wait for.
GONE_WITHIN_SECONDS = 8.0


def signal_and_wait_gone(parent: psutil.Process, how: str) -> list[int]:
    """Stop `parent` the way `how` says (SIGINT or SIGTERM to its whole group, or SIGTERM to it alone)
    and return the pids of it and its descendants still alive GONE_WITHIN_SECONDS later."""
    every = [parent.pid, *(child.pid for child in parent.children(recursive=True))]
    assert len(every) >= 3, f"{parent.pid} has not started its children: {every}"
    if how == "sigint-to-group":
        os.killpg(parent.pid, signal.SIGINT)
    elif how == "sigterm-to-group":
        os.killpg(parent.pid, signal.SIGTERM)
    else:
        os.kill(parent.pid, signal.SIGTERM)
    return wait_gone(every, GONE_WITHIN_SECONDS)


def group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return members


def wait_gone(pids: list[int], seconds: float) -> list[int]:
    """The pids still alive (zombies count as gone) after waiting up to `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
            except psutil.NoSuchProcess:
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


@asynccontextmanager
async def pairing_run_held(database: Database, tenant: TenantRef, sender: DramatiqSender) -> AsyncIterator[uuid.UUID]:
    """A pairing run sent to the worker, whose run row the test holds: the worker that takes the job
    stays in it (marked running) until the test leaves the block."""
    from backend.mentoring.models import PairingRun
    from tests.mentoring.test_runs import small_pool, start

    programme_id, _ = await small_pool(database, tenant)
    run = await start(database, tenant, programme_id)
    assert run.job_id is not None
    async with database.tenant_session(tenant) as holder, holder.begin():
        await holder.scalar(select(PairingRun).where(PairingRun.id == run.id).with_for_update())
        messages = [outbox.OutboxMessage(run.job_id, tenant.id, "mentoring.pairing_run", {"run_id": str(run.id)})]
        assert await outbox.send_and_mark(database, tenant, sender, messages) == 1
        yield run.job_id


@pytest.mark.parametrize("to_group", [True, False], ids=["sigterm-to-group", "sigterm-to-process"])
async def test_a_worker_given_sigterm_takes_no_new_job_and_exits_once_the_job_in_hand_is_done(
    to_group: bool,
    fault_settings: Settings,
    job_sender: DramatiqSender,
    database: Database,
    make_tenant: TenantFactory,
    tmp_path: Path,
) -> None:
    tenant = make_tenant()
    env = env_of(fault_settings, tmp_path)
    with running(WORKER, env, tmp_path / "worker.log") as worker:
        pid = worker.popen.pid
        async with pairing_run_held(database, tenant, job_sender) as in_hand:
            job = await wait_for_job(database, tenant, in_hand, until=lambda j: j.status == JobStatus.RUNNING)
            assert job.attempts == 1, worker.output()
            if to_group:
                os.killpg(pid, signal.SIGTERM)  # what systemd (KillMode=control-group) and Kubernetes do
            else:
                os.kill(pid, signal.SIGTERM)
            await asyncio.sleep(0.5)
            later = await submit(database, job_sender, tenant, "training.recommend_all", {})
            await asyncio.sleep(2)  # a worker still taking jobs (idle threads poll 4 times a second) has started it
            assert (await job_of(database, tenant, later)).status == JobStatus.QUEUED, worker.output()
            assert worker.popen.poll() is None, "the worker left its job in hand:\n" + worker.output()
        # The test lets go of the run: the job in hand finishes, and then the worker exits.
        assert (await wait_for_job(database, tenant, in_hand)).status == JobStatus.SUCCEEDED, worker.output()
        started = time.monotonic()
        assert wait_gone([pid], GONE_WITHIN_SECONDS) == [], worker.output()
        print(f"exited {time.monotonic() - started:.1f} s after its job")
        assert worker.popen.wait(timeout=1) == 0, worker.output()
        assert (await job_of(database, tenant, later)).status == JobStatus.QUEUED
    # The job sent after the signal was handed back, not kept: the next worker runs it.
    with running(WORKER, env, tmp_path / "next.log") as successor:
        job = await wait_for_job(database, tenant, later, timeout=60)
        assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1), successor.output()


async def test_a_stopping_worker_exits_after_worker_stop_seconds_even_with_a_job_in_hand(
    fault_settings: Settings,
    job_sender: DramatiqSender,
    database: Database,
    make_tenant: TenantFactory,
    tmp_path: Path,
) -> None:
    tenant = make_tenant()
    env = {**env_of(fault_settings, tmp_path), "WORKER_STOP_SECONDS": "2"}
    with running(WORKER, env, tmp_path / "worker.log") as worker:
        pid = worker.popen.pid
        async with pairing_run_held(database, tenant, job_sender) as in_hand:
            await wait_for_job(database, tenant, in_hand, until=lambda j: j.status == JobStatus.RUNNING)
            signalled = time.monotonic()
            os.killpg(pid, signal.SIGTERM)
            # Off the event loop: the held transaction must stay open meanwhile, and the test's loop is
            # what keeps it.
            alive = await asyncio.to_thread(wait_gone, [pid], 2 + GONE_WITHIN_SECONDS)
            took = time.monotonic() - signalled
            assert alive == [], worker.output()
            print(f"exited {took:.1f} s after SIGTERM with its job in hand")
            assert took >= 2, "it did not wait for the job in hand"


def _worker_pool_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "PROCESS_BACKOFF_MAX_SECONDS": "1"}


@pytest.mark.parametrize(
    "how",
    ["sigint-to-group", "sigterm-to-group", "sigterm-to-parent"],
)
async def test_every_worker_process_is_gone_within_seconds_however_the_stop_signal_arrives(
    how: str, settings: Settings, database: Database, make_tenant: TenantFactory, tmp_path: Path
) -> None:
    """`crosswalk worker --processes 2`: a supervisor and two worker processes. A terminal's Ctrl-C is a
    SIGINT to the whole foreground group; systemd and Kubernetes send SIGTERM to the group."""
    tenant = make_tenant()
    own = broker_settings(settings)
    sender = DramatiqSender(build_broker(own), queue_name(own))
    argv = [*WORKER[:-4], "--processes", "2", "--threads", "2"]
    with running(argv, _worker_pool_env(env_of(own, tmp_path)), tmp_path / "workers.log") as pool:
        job = await submit(database, sender, tenant, "training.recommend_all", {})
        assert (await wait_for_job(database, tenant, job, timeout=60)).status == JobStatus.SUCCEEDED, pool.output()
        parent = psutil.Process(pool.popen.pid)
        assert signal_and_wait_gone(parent, how) == [], pool.output()
    sender.close()


SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def test_the_supervisor_restarts_a_child_killed_with_sigkill_and_stops_every_child(tmp_path: Path) -> None:
    from backend.supervisor import Supervisor

    with Supervisor(backoff_max_seconds=0.5, stop_seconds=3) as supervisor:
        supervisor.start("worker", SLEEPER)
        supervisor.start("scheduler", SLEEPER)
        first = supervisor.pids()
        os.kill(first["worker"], signal.SIGKILL)
        deadline = time.monotonic() + 5
        while supervisor.pids()["worker"] == first["worker"] and time.monotonic() < deadline:
            time.sleep(0.05)
        now = supervisor.pids()
        assert now["worker"] != first["worker"], "the killed child was not started again"
        assert now["scheduler"] == first["scheduler"]
        assert psutil.Process(now["worker"]).is_running()
        # Killed again at once: started again, after a (short) backoff.
        os.kill(now["worker"], signal.SIGKILL)
        deadline = time.monotonic() + 5
        while supervisor.pids()["worker"] == now["worker"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert supervisor.restarts() == {"worker": 2, "scheduler": 0}
        last = supervisor.pids()
    assert wait_gone(list(last.values()), 1) == []


def test_the_supervisor_kills_a_child_that_ignores_sigterm_and_its_own_children() -> None:
    from backend.supervisor import Supervisor

    stubborn = [
        sys.executable,
        "-c",
        "import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "subprocess.Popen([sys.executable, '-c', 'import signal, time; "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)']); time.sleep(600)",
    ]
    with Supervisor(backoff_max_seconds=0.5, stop_seconds=1) as supervisor:
        pid = supervisor.start("stubborn", stubborn)
        deadline = time.monotonic() + 10
        while len(psutil.Process(pid).children()) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        family = [pid, *(child.pid for child in psutil.Process(pid).children())]
        assert len(family) == 2
        started = time.monotonic()
    assert time.monotonic() - started < 5
    assert wait_gone(family, 1) == []


async def test_a_supervised_worker_killed_with_sigkill_is_restarted_and_runs_the_next_job(
    settings: Settings,
    database: Database,
    make_tenant: TenantFactory,
    tmp_path: Path,
) -> None:
    """`crosswalk run`'s supervision with a real worker: killed, it comes back and takes jobs."""
    from backend.supervisor import Supervisor

    tenant = make_tenant()
    own = broker_settings(settings)  # Redis: the supervision does not depend on the broker
    job_sender = DramatiqSender(build_broker(own), queue_name(own))
    env = _worker_pool_env(env_of(own, tmp_path))
    log = (tmp_path / "worker.log").open("a")
    with Supervisor(backoff_max_seconds=1, stop_seconds=5, env=env, output=log) as supervisor:
        supervisor.start("worker", WORKER)
        first = await _run_one(database, job_sender, tenant)
        assert first == JobStatus.SUCCEEDED, (tmp_path / "worker.log").read_text()
        pid = supervisor.pids()["worker"]
        os.killpg(pid, signal.SIGKILL)
        again = await _run_one(database, job_sender, tenant)
        assert again == JobStatus.SUCCEEDED, (tmp_path / "worker.log").read_text()
        assert supervisor.pids()["worker"] != pid
        last = supervisor.pids()["worker"]
    log.close()
    job_sender.close()
    assert wait_gone([last], 1) == []
    assert group_members(last) == []


async def _run_one(database: Database, sender: DramatiqSender, tenant: TenantRef) -> JobStatus:
    job_id = await submit(database, sender, tenant, "training.recommend_all", {})
    job: Job = await wait_for_job(database, tenant, job_id, timeout=60)
    return job.status


@pytest.mark.parametrize("how", ["sigint-to-group", "sigterm-to-group", "sigterm-to-run"])
def test_every_process_of_crosswalk_run_is_gone_within_seconds_however_the_stop_signal_arrives(
    how: str, settings: Settings, tmp_path: Path
) -> None:
    """`crosswalk run` on the test run's servers (no demo): the API, a supervised worker and scheduler.
    Ctrl-C in a terminal is a SIGINT to the whole foreground group; a service manager sends SIGTERM."""
    import httpx

    from tests.conftest import free_port

    own = broker_settings(settings)
    port = free_port()
    env = {**env_of(own, tmp_path), "HOST": "127.0.0.1", "PORT": str(port)}
    argv = [*WORKER[:3], "run", "--no-demo"]
    with running(argv, env, tmp_path / "run.log") as run:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert run.alive(), run.output()
            time.sleep(0.1)
        parent = psutil.Process(run.popen.pid)
        for _ in range(100):  # the worker and the scheduler are started just before the API
            if len(parent.children()) >= 2:
                break
            time.sleep(0.1)
        assert signal_and_wait_gone(parent, how) == [], run.output()
        assert run.popen.wait(timeout=1) == 0, run.output()
