"""The ASGI application: API v1 under /api/v1, health at /health and /ready, OpenAPI at /schema."""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from litestar import Litestar, Request, Router
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.orm import configure_mappers

from admin.console import build_console
from backend.analytics.routes import AnalyticsController
from backend.api import idempotency
from backend.api.bounds import request_body_bounds
from backend.api.concurrency import TenantConcurrency, tenant_concurrency_middleware
from backend.api.context import request_scope_middleware
from backend.api.deps import control_db_provider, provide_principal, tenant_db_provider
from backend.api.docs import docs_asset, docs_ui
from backend.api.openapi import StrictStructSchemaPlugin
from backend.api.options import answer_options
from backend.api.problems import document_problems, exception_handlers
from backend.api.query import declare_query_rules, refuse_unknown_query_parameters
from backend.api.ratelimit import document_rate_limits, proxy_headers, rate_limit_guard
from backend.api.security_headers import security_headers
from backend.api.strict import declare_bodies, strict_json_body
from backend.aspirations.routes import AspirationController
from backend.audit.routes import AuditEventController
from backend.auth.middleware import BearerAuthMiddleware, scope_guard
from backend.auth.portal_sessions import PortalSessions
from backend.auth.principals import Principals
from backend.auth.ratelimits import RateLimiter, redis_client
from backend.auth.revocations import ClientRevocations
from backend.auth.secretbox import SecretBox
from backend.auth.tokens import TOKEN_PATH, TokenSigner, load_or_create_key
from backend.core.jobs.outbox import JobSender
from backend.core.unit_of_work import UnitOfWork
from backend.framework.routes import CareerPathController, JobFamilyController, RoleController
from backend.health.routes import health, ready
from backend.jobs.routes import JobController
from backend.logs import configure_logging
from backend.marketplace.routes import MARKETPLACE_CONTROLLERS
from backend.matching.routes import MATCHING_CONTROLLERS
from backend.mentoring.routes import MENTORING_CONTROLLERS
from backend.notifications.routes import NotificationController
from backend.org import credentials as employee_credentials
from backend.org.routes import EmployeeController, EmployeeSkillController, MeController, OrgUnitController
from backend.partners.oauth import TokenEndpoint
from backend.partners.routes import PUBLIC_HANDLERS as PARTNER_PUBLIC_HANDLERS
from backend.partners.routes import PartnerClientController
from backend.partners.service import revoked_on_record as partner_revoked_on_record
from backend.portal.site import PORTAL_PATHS, portal_routers, template_config
from backend.scim.routes import (
    ScimTokenController,
    scim_exception_handlers,
    scim_router,
    with_scim_errors_on_scim_paths,
)
from backend.settings import Settings, get_settings
from backend.skills.routes import (
    CatalogController,
    ProficiencyController,
    SkillCategoryController,
    SkillController,
)
from backend.sso.oidc import RelyingParty
from backend.sso.routes import IdentityProviderController, SignInProviders, SsoController
from backend.sso.service import SsoLogins
from backend.training.routes import TRAINING_CONTROLLERS
from tenants.registry import TenantRegistry
from tenants.sessions import Database
from worker.broker import DramatiqSender, build_broker

log = structlog.get_logger()

API_CONTROLLERS: list[Any] = [
    OrgUnitController,
    EmployeeController,
    MeController,
    CatalogController,
    SkillCategoryController,
    SkillController,
    ProficiencyController,
    EmployeeSkillController,
    JobFamilyController,
    RoleController,
    CareerPathController,
    AspirationController,
    PartnerClientController,
    ScimTokenController,
    JobController,
    NotificationController,
    *MENTORING_CONTROLLERS,
    *TRAINING_CONTROLLERS,
    *MATCHING_CONTROLLERS,
    *MARKETPLACE_CONTROLLERS,
    AuditEventController,
    AnalyticsController,
]


# Paths that authenticate on their own terms (the console's sessions, SSO login, the OAuth2 token
# endpoint, SCIM's bearer tokens) or are public (docs, published keys); health and readiness opt out
# per route.
UNAUTHENTICATED_PATHS = [
    "^/admin",
    "^/schema",
    "^/auth/",
    "^/oauth/",
    "^/\\.well-known/",
    "^/scim/",
    # The portal's pages find the signed-in person themselves, with the same `Principals`
    # (backend/portal/visitors.py), and send a browser through sign-in rather than answer 401.
    *PORTAL_PATHS,
]


def build_signer(settings: Settings) -> TokenSigner:
    pem = settings.token_signing_key.get_secret_value() if settings.token_signing_key else None
    if pem is None and settings.environment == "prod":
        raise RuntimeError("TOKEN_SIGNING_KEY must be set in production")
    key = load_or_create_key(pem, settings.data_dir / "token-signing-key.pem")
    return TokenSigner(key, settings.token_issuer, settings.token_ttl_seconds)


def build_secretbox(settings: Settings) -> SecretBox:
    secrets_key = settings.secrets_key.get_secret_value() if settings.secrets_key else None
    if secrets_key is None and settings.environment == "prod":
        raise RuntimeError("SECRETS_KEY must be set in production")
    return SecretBox.from_setting(secrets_key, settings.data_dir / "secrets.key")


def _milliseconds(seconds: float) -> str:
    return str(max(1, round(seconds * 1000)))


def serving_connect_args(settings: Settings) -> dict[str, Any]:
    """The serving connections' bounds, set once per connection (asyncpg's startup parameters): no
    request holds a connection, or a lock other requests wait for, longer than these."""
    return {
        "timeout": settings.db_connect_timeout_seconds,
        "server_settings": {
            "statement_timeout": _milliseconds(settings.db_statement_timeout_seconds),
            "lock_timeout": _milliseconds(settings.db_lock_timeout_seconds),
            "idle_in_transaction_session_timeout": _milliseconds(settings.db_idle_in_transaction_timeout_seconds),
        },
    }


@dataclass
class AppCollaborators:
    """What the app is built with and holds for its lifetime. `create_app` builds them (or takes those a
    test built, to hold one of them) and hands each route, middleware, guard and handler the ones it
    uses; nothing reads them back from the app."""

    database: Database
    registry: TenantRegistry
    signer: TokenSigner
    redis: Redis
    secretbox: SecretBox
    portal_sessions: PortalSessions
    revocations: ClientRevocations
    # Only SSO's routes (and the console's sign-in) are given it.
    relying_party: RelyingParty
    # Puts committed jobs on the broker (see backend.core.jobs.outbox).
    job_sender: JobSender
    # The rate limits, on Redis (backend/auth/ratelimits.py).
    rate_limiter: RateLimiter
    # A tenant's requests in flight in this process, API and SCIM (backend/api/concurrency.py).
    tenant_concurrency: TenantConcurrency
    # Every transaction of the app: the API's, SCIM's, the console's, the sign-in's (backend/core).
    unit_of_work: UnitOfWork


def build_collaborators(settings: Settings) -> AppCollaborators:
    database = Database(
        settings.serving_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        max_tenants_per_connection=settings.db_max_tenants_per_connection,
        pool_recycle_seconds=settings.db_pool_recycle_seconds,
        connect_args=serving_connect_args(settings),
    )
    if settings.redis_url is None:
        raise RuntimeError("REDIS_URL is not set and the embedded Redis was not started")
    redis = Redis.from_url(settings.redis_url)
    job_sender = DramatiqSender.of(build_broker(settings), settings)
    return AppCollaborators(
        database=database,
        registry=TenantRegistry(database, settings.tenant_cache_seconds),
        signer=build_signer(settings),
        redis=redis,
        secretbox=build_secretbox(settings),
        portal_sessions=PortalSessions(redis, settings.session_ttl_seconds),
        revocations=ClientRevocations(redis),
        relying_party=RelyingParty(allow_loopback_http=settings.sso_allow_loopback_http),
        job_sender=job_sender,
        rate_limiter=RateLimiter.from_settings(redis_client(settings.redis_url), settings),
        tenant_concurrency=TenantConcurrency(settings.api_tenant_concurrency, settings.api_tenant_queue_seconds),
        unit_of_work=UnitOfWork(database, job_sender),
    )


class UnsafeServingRoleError(RuntimeError):
    pass


async def refuse_privileged_serving_role(unit_of_work: UnitOfWork) -> None:
    """Tenant isolation by Postgres roles holds only if the serving login cannot bypass it: a superuser
    may SET ROLE to anyone (even an archived tenant's role), and an INHERIT role has its tenants' rights
    without SET ROLE at all."""
    try:
        async with unit_of_work.control() as session:
            row = (
                await session.execute(
                    text("SELECT rolsuper, rolinherit, rolbypassrls FROM pg_roles WHERE rolname = current_user")
                )
            ).one()
    except OSError:
        log.warning("serving_role_unchecked", reason="the database is not reachable yet")
        return
    if any(row):
        raise UnsafeServingRoleError(
            "the serving database role must be NOSUPERUSER NOINHERIT NOBYPASSRLS; "
            "leave APP_DATABASE_URL unset to use the app role that `crosswalk migrate` creates"
        )


async def check_api_request(request: Request[Any, Any, Any]) -> None:
    # A router's hook replaces the app's, so the API's runs both checks.
    await refuse_unknown_query_parameters(request)
    await strict_json_body(request)


def provided(value: Any) -> Provide:
    """A dependency that is always `value`: how a collaborator the composition root built reaches
    route handlers (by the name it is provided under)."""
    return Provide(lambda: value, use_cache=True, sync_to_thread=False)


def create_app(settings: Settings | None = None, collaborators: AppCollaborators | None = None) -> Litestar:
    """The app's composition root: it builds (or takes) the collaborators once, and gives routes theirs
    as dependencies, middleware as constructor arguments, guards and exception handlers as closures."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, json=settings.environment == "prod")
    collaborators = collaborators or build_collaborators(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        await refuse_privileged_serving_role(collaborators.unit_of_work)
        # What start-up built (modules, mappers, the app) lives as long as the process: out of the
        # collector's reach, full collections stop pausing requests for ~170 ms each (bench/api.py).
        configure_mappers()
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await collaborators.database.dispose()
            await collaborators.redis.aclose()
            await collaborators.rate_limiter.aclose()
            await collaborators.relying_party.aclose()
            collaborators.job_sender.close()

    # SSO's own collaborators, given to its routes alone.
    sso_dependencies = {
        "relying_party": provided(collaborators.relying_party),
        "sso_logins": provided(
            SsoLogins(collaborators.redis, collaborators.relying_party, collaborators.secretbox, settings.base_url)
        ),
        "sign_in_providers": provided(
            SignInProviders(collaborators.registry, collaborators.unit_of_work, collaborators.secretbox)
        ),
    }
    api_v1 = Router(
        path="/api/v1",
        route_handlers=[
            *API_CONTROLLERS,
            Router(path="/", route_handlers=[IdentityProviderController], dependencies=sso_dependencies),
        ],
        guards=[scope_guard],
        # After the guard, before Litestar's lax conversion of the body (see backend/api/strict.py).
        before_request=check_api_request,
        dependencies={
            "db": Provide(tenant_db_provider(collaborators.unit_of_work)),
            "control_db": Provide(control_db_provider(collaborators.unit_of_work)),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        security=[{"bearer": []}],
    )
    console = build_console(
        settings=settings,
        unit_of_work=collaborators.unit_of_work,
        redis=collaborators.redis,
        secretbox=collaborators.secretbox,
        relying_party=collaborators.relying_party,
        rate_limiter=collaborators.rate_limiter,
        revocations=collaborators.revocations,
    )
    # The caller of a token or a portal session, for the API's middleware and the portal's pages alike.
    principals = Principals(
        registry=collaborators.registry,
        unit_of_work=collaborators.unit_of_work,
        # The record the edge kit may not read itself: the domain that owns it answers.
        credential_refusal=employee_credentials.refusal,
    )
    retry_after_seconds = settings.db_unavailable_retry_after_seconds
    scim_errors = scim_exception_handlers(retry_after_seconds)
    token_endpoint = TokenEndpoint(
        unit_of_work=collaborators.unit_of_work,
        signer=collaborators.signer,
        ttl_seconds=settings.partner_token_ttl_seconds,
        token_url=settings.base_url + TOKEN_PATH,
        limiter=collaborators.rate_limiter,
    )
    app = Litestar(
        route_handlers=[
            health,
            ready,
            docs_asset,
            api_v1,
            Router(path="/", route_handlers=[SsoController], dependencies=sso_dependencies),
            scim_router(
                public_url=settings.base_url,
                unit_of_work=collaborators.unit_of_work,
                tenant_concurrency=collaborators.tenant_concurrency,
                exception_handlers=scim_errors,
            ),
            *PARTNER_PUBLIC_HANDLERS,
            *portal_routers(
                unit_of_work=collaborators.unit_of_work,
                principals=principals,
                portal_sessions=collaborators.portal_sessions,
                registry=collaborators.registry,
                relying_party=collaborators.relying_party,
            ),
        ],
        template_config=template_config(),
        # The collaborators routes take by name; SSO's are its routers' own (above).
        dependencies={
            "settings": provided(settings),
            "database": provided(collaborators.database),
            "unit_of_work": provided(collaborators.unit_of_work),
            "signer": provided(collaborators.signer),
            "redis": provided(collaborators.redis),
            "secretbox": provided(collaborators.secretbox),
            "portal_sessions": provided(collaborators.portal_sessions),
            "revocations": provided(collaborators.revocations),
            "token_endpoint": provided(token_endpoint),
        },
        middleware=[
            proxy_headers(settings.trusted_proxy_networks),
            request_body_bounds(settings),
            answer_options,
            request_scope_middleware,
            DefineMiddleware(
                BearerAuthMiddleware,
                signer=collaborators.signer,
                revocations=collaborators.revocations,
                portal_sessions=collaborators.portal_sessions,
                unit_of_work=collaborators.unit_of_work,
                # The record the edge kit may not read itself: the domain that owns it answers.
                client_revoked_on_record=partner_revoked_on_record,
                principals=principals,
                public_url=settings.base_url,
                exclude=UNAUTHENTICATED_PATHS,
            ),
            # Once the tenant is known, before anything opens a database session.
            tenant_concurrency_middleware(collaborators.tenant_concurrency),
        ],
        # After authentication, before every handler: the rate limits (backend/api/ratelimit.py).
        guards=[rate_limit_guard(collaborators.rate_limiter)],
        exception_handlers={
            **with_scim_errors_on_scim_paths(exception_handlers(retry_after_seconds), scim_errors),
            idempotency.IdempotentReplay: idempotency.replay_response,
        },
        before_request=refuse_unknown_query_parameters,
        after_request=idempotency.capture,
        # Every message the app sends, errors of the router and the console's pages and files included.
        before_send=[security_headers(production=settings.environment == "prod")],
        plugins=[StrictStructSchemaPlugin(), console],
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="Crosswalk API",
            version="1.0.0",
            description="Internal career mobility: org, skills, role framework, aspirations. "
            "Errors are RFC 9457 problem+json; lists use cursor pagination. Routes that start a background "
            "job answer 202 with it; asking for a job identical (same kind and arguments) to one still waiting "
            "to start returns the waiting job (same id) instead of a new one.",
            # Served whole by the app, for closed networks (backend/api/docs.py).
            render_plugins=[docs_ui()],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
                    "scim_bearer": SecurityScheme(
                        type="http", scheme="bearer", description="A SCIM token (POST /api/v1/scim-tokens)"
                    ),
                }
            ),
        ),
        debug=False,
    )
    document_problems(app)
    document_rate_limits(app)
    declare_bodies(app, under="/api/")
    # SCIM reads its own query parameters and answers SCIM errors (RFC 7644).
    declare_query_rules(app, leave_alone=["/scim/"])
    return app
