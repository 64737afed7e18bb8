"""Exponential backoff with jitter, for processes that wait for a server (or a crashed child) to come
back: the scheduler reconnecting to Postgres, `crosswalk run` restarting a child."""

from __future__ import annotations

import random

FIRST_DELAY_SECONDS = 0.5


class Backoff:
    """Delays that double from `first` up to `cap`, each drawn from its upper half so that processes
    which lost the same server at the same moment do not all come back at the same moment."""

    def __init__(self, cap: float, first: float = FIRST_DELAY_SECONDS) -> None:
        self.first = min(first, cap)
        self.cap = cap
        self._attempts = 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.first * 2**self._attempts)
        self._attempts = min(self._attempts + 1, 32)  # far past any cap; keeps the power finite
        return random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not a secret

    def reset(self) -> None:
        self._attempts = 0
