"""Where the rate limits apply (backend/auth/ratelimits.py counts them), and who the caller is.

One app-level guard, by path: it runs after authentication (so the API's limits know the token and
the tenant) and before the handler (so a refused request costs no database query and no argon2). A
refusal is 429 with `Retry-After` in seconds, in the path's own error format (problem+json; SCIM
errors under /scim). The token endpoint adds its per-client limits itself (it alone reads the form),
and so does the console (admin/auth.py) for its sign-in, whose refusals are a page.
"""

from __future__ import annotations

import re
from enum import Enum, auto
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.types import ASGIApp, Guard
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from backend.api.problems import problem_spec
from backend.auth.principal import Principal
from backend.auth.ratelimits import Limit, RateLimitedError, RateLimiter, client_address
from backend.auth.tokens import TOKEN_PATH

_SSO_LOGIN = re.compile(r"/auth/[^/]+/login")


class Door(Enum):
    API = auto()
    TOKEN = auto()
    SSO_LOGIN = auto()
    SCIM = auto()


def door_of(path: str) -> Door | None:
    """Which limited way in a path is (a route's path or a request's)."""
    if path.startswith("/api/"):
        return Door.API
    if path == TOKEN_PATH:
        return Door.TOKEN
    if _SSO_LOGIN.fullmatch(path):
        return Door.SSO_LOGIN
    if path.startswith("/scim/"):
        return Door.SCIM
    return None


def too_many_requests(exc: RateLimitedError) -> TooManyRequestsException:
    return TooManyRequestsException(exc.detail, headers={"Retry-After": str(exc.retry_after)})


def rate_limit_guard(limiter: RateLimiter) -> Guard:
    """The app's guard that counts every request of a limited way in on `limiter`."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        door = door_of(connection.scope["path"])
        if door is None:
            return
        try:
            if door is Door.API:
                principal = connection.scope.get("user")
                if isinstance(principal, Principal):
                    await limiter.hit(Limit.API_PER_TOKEN, principal.subject)
                    await limiter.hit(Limit.API_PER_TENANT, str(principal.tenant.id))
            elif door is Door.TOKEN:
                await limiter.hit(Limit.TOKEN_PER_ADDRESS, client_address(connection.scope))
            elif door is Door.SSO_LOGIN:
                await limiter.hit(Limit.SSO_LOGIN_PER_ADDRESS, client_address(connection.scope))
                await limiter.hit(Limit.SSO_LOGIN_PER_TENANT, str(connection.path_params.get("tenant_slug", "")))
            else:
                await limiter.hit(Limit.SCIM_PER_ADDRESS, client_address(connection.scope))
                # Per presented token, known or not (it is looked up after this), by its digest.
                if authorization := connection.headers.get("authorization"):
                    await limiter.hit(Limit.SCIM_PER_TOKEN, authorization)
        except RateLimitedError as exc:
            raise too_many_requests(exc) from None

    return guard


def proxy_headers(trusted_proxies: list[str]) -> Any:
    """uvicorn's proxy-headers middleware with TRUSTED_PROXIES: X-Forwarded-For (and -Proto) are read
    only from a connection that comes from one of them, and the client is the first address from the
    right that is not one of them. With none set, the headers are ignored: anyone can send them."""

    def middleware(app: ASGIApp) -> ASGIApp:
        return ProxyHeadersMiddleware(app, trusted_hosts=trusted_proxies)  # type: ignore[arg-type,return-value]

    return middleware


def document_rate_limits(app: Litestar) -> None:
    """Declare the 429 on every limited route of the OpenAPI schema (SCIM's document their own errors);
    under /api it is also the answer of the per-company concurrency limit."""
    for route in app.routes:
        if door_of(route.path) is None:
            continue
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and not handler.opt.get("documents_own_errors"):
                responses = dict(handler.responses or {})
                responses.setdefault(
                    429,
                    problem_spec(
                        429,
                        "Over a rate limit, or (under /api) over the company's requests in flight "
                        "(backend/api/concurrency.py); Retry-After says when to retry.",
                    ),
                )
                handler.responses = responses
