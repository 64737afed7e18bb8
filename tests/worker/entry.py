"""A worker process that also runs the test actors: `python -m dramatiq tests.worker.entry`."""

from __future__ import annotations

import tests.worker.actors  # noqa: F401 - registered before worker.entry declares every actor
from worker.entry import broker

__all__ = ["broker"]
