"""The worker process, as Dramatiq's CLI loads it: `python -m dramatiq worker.entry` (which is what
`crosswalk worker` and `crosswalk run` start). Importing it configures the broker and every actor."""

from __future__ import annotations

from backend.logs import configure_logging
from backend.settings import get_settings
from worker.bootstrap import configure

_settings = get_settings()
configure_logging(_settings.log_level, json=_settings.environment == "prod")
broker, _resources = configure(_settings)
