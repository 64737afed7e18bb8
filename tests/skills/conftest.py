"""Partner apps for the skills tests: registered by HR and authenticated at the token endpoint."""

from __future__ import annotations

from tests.partners.conftest import register

__all__ = ["register"]
