"""Per-tenant concurrency limit on the API: one tenant's flood never takes another tenant's turn.

Rate limits (backend/api/ratelimit.py) bound how many requests a tenant makes over a minute; they do
not bound how many it has in flight at once, and one tenant at 256 concurrent connections took the
database pool and the event loop from every other tenant (another tenant's reads went from a p99 of
7 ms to 9.7 s). Here each API process lets at most `API_TENANT_CONCURRENCY` requests of one tenant run
at a time; the next ones queue for a free slot, for at most `API_TENANT_QUEUE_SECONDS`, then are
refused with 429 problem+json and `Retry-After`. Queued requests hold no database connection (the
request's session opens in the handler, after this), so a tenant holds at most its slots' share of
the pool: its session and, for identity routes, one control session per running request.

SCIM requests (whose tenant is known from their SCIM token, by the router's guard) take their tenant's
slots too, in `backend/scim/auth.provide_scim_db`, before their session opens: a provisioning run is a
flood of one tenant like any other.

The limit is per process (an asyncio semaphore per tenant), not shared through Redis: it protects this
process's pool and event loop, which is what another tenant's request waits on, and costs no round trip.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from litestar.exceptions import TooManyRequestsException
from litestar.types import ASGIApp, Receive, Scope, Send

from backend.auth.principal import Principal

# A refused caller retries after this long: by then a queued request has had a slot or its own refusal.
RETRY_AFTER_SECONDS = 1


@dataclass
class _Slots:
    free: asyncio.Semaphore
    # Requests holding or awaiting a slot: the entry is dropped when none do, so the table stays as
    # small as the number of tenants with requests in flight.
    users: int = 0


@dataclass
class TenantConcurrency:
    """At most `limit` requests of a tenant at once in this process; the rest wait `queue_seconds`."""

    limit: int
    queue_seconds: float
    _slots: dict[uuid.UUID, _Slots] = field(default_factory=dict)

    async def acquire(self, tenant_id: uuid.UUID) -> None:
        slots = self._slots.get(tenant_id)
        if slots is None:
            slots = self._slots[tenant_id] = _Slots(asyncio.Semaphore(self.limit))
        slots.users += 1
        try:
            async with asyncio.timeout(self.queue_seconds):
                await slots.free.acquire()
        except TimeoutError:
            self._leave(tenant_id, slots)
            raise TooManyRequestsException(
                f"too many requests of this company at once (at most {self.limit} in progress); "
                f"try again in {RETRY_AFTER_SECONDS} s",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from None
        except BaseException:
            self._leave(tenant_id, slots)
            raise

    @asynccontextmanager
    async def slot(self, tenant_id: uuid.UUID) -> AsyncIterator[None]:
        """Run the body in one of the tenant's slots (429 when none frees up within the queue time)."""
        await self.acquire(tenant_id)
        try:
            yield
        finally:
            self.release(tenant_id)

    def release(self, tenant_id: uuid.UUID) -> None:
        slots = self._slots[tenant_id]
        slots.free.release()
        self._leave(tenant_id, slots)

    def _leave(self, tenant_id: uuid.UUID, slots: _Slots) -> None:
        slots.users -= 1
        if slots.users == 0:
            del self._slots[tenant_id]


def tenant_concurrency_middleware(concurrency: TenantConcurrency) -> type:
    """An ASGI middleware (after authentication, which puts the Principal in the scope) that runs an
    API request only in one of its tenant's slots."""

    class TenantConcurrencyMiddleware:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            principal = scope.get("user")
            if not isinstance(principal, Principal) or not scope["path"].startswith("/api/"):
                await self.app(scope, receive, send)
                return
            async with concurrency.slot(principal.tenant.id):
                await self.app(scope, receive, send)

    return TenantConcurrencyMiddleware
