"""One worker process: Dramatiq's `Worker` run in this process, with the stop that systemd, Kubernetes
and a terminal expect.

Dramatiq's own CLI (`python -m dramatiq`) is not used. Its master forwards SIGTERM to its worker
processes, and a worker process takes a second SIGTERM as "exit now": SIGTERM to the process group
(what systemd and Kubernetes send) reaches a worker process twice, its main thread exits in the middle
of the graceful stop, and the process then lives on behind the event loop thread of the AsyncIO
middleware (not a daemon) while its consumer threads keep fetching and running jobs. Here there is
one process and one stop:

1. The first SIGTERM, SIGINT or SIGHUP stops taking jobs at once: the worker threads are paused (a
   thread with a job in hand pauses once that job is done), and messages already fetched but not
   started are handed back to the broker for other workers.
2. It waits for the jobs in hand, at most `WORKER_STOP_SECONDS` (by default the longest time limit of
   the job kinds plus a few seconds, by which the time limit has interrupted any job), then exits
   anyway; a job still running is given back to the broker by the broker's own means (RabbitMQ at
   once, Redis once this worker's heartbeat is stale), and its rerun finds the once-only job record.
3. Further SIGTERMs (say, one to the group and one from a supervisor) change nothing; a second Ctrl-C
   (SIGINT) exits at once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import defaultdict
from types import FrameType

import dramatiq
import structlog
from dramatiq.common import iter_queue

from backend.logs import configure_logging
from backend.settings import Settings
from worker.bootstrap import configure
from worker.broker import queue_name
from worker.runner import JOB_KINDS

log = structlog.get_logger()

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# Past the time limit, the limit's own interruption and the rollback need a moment.
TIME_LIMIT_GRACE_SECONDS = 5.0
# How long the worker and consumer threads may take to finish once the jobs are done, and closing the
# broker after them.
CLOSE_SECONDS = 5.0
# How long the threads get when a job is still in hand past the bound (it is not waited for again).
LEFT_BEHIND_SECONDS = 1.0
# How often a stopping worker hands back what its consumers fetched meanwhile.
STOPPING_POLL_SECONDS = 0.2
EXIT_STOPPED_HARD = 1
# An idle worker thread waits this long for a message before it checks whether it should stop, so a
# message fetched just after a stop signal is not started (Dramatiq's default is 1 s); the consumers
# poll an idle queue as often.
IDLE_POLL_MS = 250


def stop_seconds(settings: Settings) -> float:
    """How long a stopping worker waits for the jobs in hand."""
    if settings.worker_stop_seconds is not None:
        return settings.worker_stop_seconds
    longest = max((kind.time_limit.total_seconds() for kind in JOB_KINDS.values()), default=0.0)
    return longest + TIME_LIMIT_GRACE_SECONDS


def exit_bound_seconds(settings: Settings) -> float:
    """How long after a stop signal the process is gone at the latest."""
    return stop_seconds(settings) + 3 * CLOSE_SECONDS


class StopRequest:
    """The signals that stop the worker, as an event the main thread waits on."""

    def __init__(self) -> None:
        self.requested = threading.Event()

    def install(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not self.requested.is_set():
            log.info("worker_stopping", signal=name)
            self.requested.set()
        elif signum == signal.SIGINT:
            # A second Ctrl-C from someone at the terminal: they do not want to wait for the job.
            log.warning("worker_stopped_hard", signal=name)
            os._exit(EXIT_STOPPED_HARD)
        else:
            log.info("worker_already_stopping", signal=name)


def serve_worker(settings: Settings, *, threads: int) -> int:
    """Consume and run jobs until a stop signal; the process's exit code."""
    stop = StopRequest()
    # Before anything connects: a signal during boot stops the worker as soon as it has started.
    stop.install()
    configure_logging(settings.log_level, json=settings.environment == "prod")
    broker, _resources = configure(settings)
    # Starts the time-limit watchdog (Dramatiq's CLI announces the same).
    broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, queues={queue_name(settings)}, worker_threads=threads, worker_timeout=IDLE_POLL_MS)
    worker.start()
    log.info("worker_ready", threads=threads, queue=queue_name(settings))
    stop.requested.wait()
    in_hand_done = stop_taking_jobs(worker, stop_seconds(settings))
    # Jobs still in hand past the bound are not waited for again: their threads are left behind.
    closed = close(worker, broker, CLOSE_SECONDS if in_hand_done else LEFT_BEHIND_SECONDS)
    if in_hand_done and closed:
        return 0
    if not closed:
        log.warning("worker_close_timed_out")
    # A thread still in a job (or a close that hangs) must not keep the process alive: the event loop
    # thread of the AsyncIO middleware is not a daemon, and the interpreter would wait for it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_STOPPED_HARD)


def stop_taking_jobs(worker: dramatiq.Worker, wait_seconds: float) -> bool:
    """Start no job from now on, and wait at most `wait_seconds` for the ones in hand. True if every
    job in hand finished in time."""
    threads = list(worker.workers)
    for thread in threads:
        # Not Worker.pause(), which blocks until every job in hand is done.
        thread.pause()
    deadline = time.monotonic() + wait_seconds
    while True:
        # The consumers stay up (they send the acks and, on Redis, the heartbeat for the jobs in
        # hand); what they fetch meanwhile goes straight back for other workers.
        hand_back_fetched(worker)
        if all(thread.paused_event.is_set() or not thread.is_alive() for thread in threads):
            return True
        if time.monotonic() >= deadline:
            log.warning("worker_stopping_with_jobs_in_hand", waited_seconds=wait_seconds)
            return False
        time.sleep(STOPPING_POLL_SECONDS)


def hand_back_fetched(worker: dramatiq.Worker) -> None:
    """Give the broker back the messages fetched into this process but not started."""
    by_queue: dict[str, list[dramatiq.MessageProxy]] = defaultdict(list)
    for item in iter_queue(worker.work_queue):  # type: ignore[no-untyped-call]
        by_queue[item.message.queue_name].append(item.message)
    for queue, messages in by_queue.items():
        try:
            worker.consumers[queue].requeue_messages(messages)
        except Exception as exc:  # the broker is away: they come back by its own means
            log.warning("worker_hand_back_failed", messages=len(messages), error=type(exc).__name__)


def close(worker: dramatiq.Worker, broker: dramatiq.Broker, join_seconds: float) -> bool:
    """Stop the worker's threads and close the broker, waiting `join_seconds` for each kind of
    thread. The stop runs on a daemon thread so that nothing (a job that ignores its time limit, a
    broker that does not answer) keeps this one waiting past the bound; True if it finished."""

    def stop_everything() -> None:
        worker.stop(timeout=int(join_seconds * 1000))
        broker.close()

    closer = threading.Thread(target=stop_everything, name="worker-close", daemon=True)
    closer.start()
    closer.join(2 * join_seconds + CLOSE_SECONDS)
    return not closer.is_alive()
