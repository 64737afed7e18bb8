"""What the app holds for its lifetime: the database, the tenant registry, keys, Redis-backed stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from backend.api.concurrency import TenantConcurrency
from backend.auth.portal_sessions import PortalSessions
from backend.auth.ratelimits import RateLimiter
from backend.auth.revocations import ClientRevocations
from backend.auth.secretbox import SecretBox
from backend.auth.tokens import TokenSigner
from backend.core.jobs.outbox import JobSender
from backend.settings import Settings
from backend.sso.oidc import RelyingParty
from tenants.registry import TenantRegistry
from tenants.sessions import Database


@dataclass
class Services:
    settings: Settings
    database: Database
    registry: TenantRegistry
    signer: TokenSigner
    redis: Redis
    secretbox: SecretBox
    portal_sessions: PortalSessions
    revocations: ClientRevocations
    relying_party: RelyingParty
    # Puts committed jobs on the broker (see backend.core.jobs.outbox).
    job_sender: JobSender
    # The rate limits, on Redis (backend/auth/ratelimits.py).
    rate_limiter: RateLimiter
    # A tenant's requests in flight in this process, API and SCIM (backend/api/concurrency.py).
    tenant_concurrency: TenantConcurrency


def services_of(app: Any) -> Services:
    services = app.state.services
    assert isinstance(services, Services)
    return services
