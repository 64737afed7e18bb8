"""`crosswalk worker` with the test actors (tests/worker/actors.py) registered too:
`python -m tests.worker.entry worker --processes 1 --threads 2`."""

from __future__ import annotations

import tests.worker.actors  # noqa: F401 - registered before the worker declares every job body
from backend.cli import main

if __name__ == "__main__":
    main()
