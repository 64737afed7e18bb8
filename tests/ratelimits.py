"""Apps with small rate limits, callers from chosen addresses, and the checks of a refusal.

In-process apps (`limited_app`) see every request from the test client's one address; the limits per
address are tested against `crosswalk serve` (`served_with_limits`), reached from distinct loopback
addresses (127.0.0.0/8 is all loopback on Linux), as different machines would reach it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from anyio import CapacityLimiter
from litestar import Litestar

from backend.app import AppCollaborators, build_collaborators, create_app
from backend.auth.hashing import HASHING_LIMITER, UNPROVEN_HASHING_LIMITER
from backend.settings import Settings
from tests.conftest import ServedApp, serve_app
from tests.helpers import problem

ALL_HASHING = (HASHING_LIMITER, UNPROVEN_HASHING_LIMITER)


def fresh_namespace(settings: Settings) -> str:
    """A namespace of counts of its own, so that one test's counts never meet another's."""
    return f"{settings.broker_namespace}_{secrets.token_hex(4)}"


def limited_settings(settings: Settings, namespace: str | None = None, **rates: str | int) -> Settings:
    """`settings` with `rates` (settings' names, e.g. rate_limit_api_per_token="3/minute"). Two apps of
    one `namespace` share their counts, as two API processes of one deployment do."""
    update: dict[str, Any] = {"broker_namespace": namespace or fresh_namespace(settings), **rates}
    return settings.model_copy(update=update)


class LimitedApp(NamedTuple):
    app: Litestar
    # What the app was built with, for tests that reach one of them (its concurrency slots, its Redis).
    collaborators: AppCollaborators


def limited(settings: Settings, namespace: str | None = None, **rates: str | int) -> LimitedApp:
    """The app with `rates` (see `limited_settings`), and its collaborators."""
    own = limited_settings(settings, namespace, **rates)
    collaborators = build_collaborators(own)
    return LimitedApp(create_app(own, collaborators), collaborators)


def limited_app(settings: Settings, namespace: str | None = None, **rates: str | int) -> Litestar:
    """The app with `rates` (see `limited_settings`)."""
    return limited(settings, namespace, **rates).app


@contextmanager
def served_with_limits(settings: Settings, log_dir: Path, **rates: str) -> Iterator[ServedApp]:
    """`crosswalk serve` with `rates` (settings' names, lower case) and counts of its own."""
    env = {name.upper(): value for name, value in rates.items()}
    env["BROKER_NAMESPACE"] = fresh_namespace(settings)
    # A loaded machine (parallel test runs) starts a server slowly.
    with serve_app(settings, log_dir, extra_env=env, start_timeout=180) as served:
        yield served


def in_loop(app: Litestar, address: str = "192.0.2.1") -> httpx.AsyncClient:
    """A client of `app` running on the test's own event loop (the test client runs its app on a loop
    in another thread, one request at a time), its requests coming from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local", timeout=60.0)


def from_address(base_url: str, address: str) -> httpx.AsyncClient:
    """A client whose connections come from `address` (a loopback address such as 127.0.0.5)."""
    return httpx.AsyncClient(base_url=base_url, transport=httpx.AsyncHTTPTransport(local_address=address), timeout=30.0)


@asynccontextmanager
async def holding_every_hashing_slot(*limiters: CapacityLimiter) -> AsyncIterator[None]:
    """Take every argon2 slot (of `limiters`, all of them by default), as a flood of verifications
    would (on the test's event loop)."""
    held = [(limiter, object()) for limiter in limiters or ALL_HASHING for _ in range(int(limiter.total_tokens))]
    for limiter, holder in held:
        await limiter.acquire_on_behalf_of(holder)
    try:
        yield
    finally:
        for limiter, holder in held:
            limiter.release_on_behalf_of(holder)


def too_many(response: httpx.Response) -> tuple[dict[str, Any], int]:
    """Assert a 429 problem+json with a Retry-After in whole seconds; its body and the seconds."""
    body = problem(response, 429)
    retry_after = response.headers.get("retry-after", "")
    assert re.fullmatch(r"[1-9][0-9]*", retry_after), response.headers
    assert "try again in" in body["detail"]
    return body, int(retry_after)
