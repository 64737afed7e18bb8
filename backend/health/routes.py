"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response
from sqlalchemy import text

from backend.api.problems import PROBLEM_JSON, READS_NO_DATABASE, Problem, retry_after
from backend.core.unit_of_work import UnitOfWork
from backend.state import services_of


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    postgres: str
    redis: str


class Unready(Problem, kw_only=True):
    """A 503 problem that names which server does not answer."""

    postgres: str
    redis: str


@get(
    "/health",
    opt={"exclude_from_auth": True, READS_NO_DATABASE: True},
    tags=["Operations"],
    summary="The process is alive",
)
async def health() -> Health:
    return Health(status="ok")


@get(
    "/ready",
    opt={"exclude_from_auth": True},
    tags=["Operations"],
    summary="Postgres and Redis answer",
    responses={
        503: ResponseSpec(
            data_container=Unready,
            media_type=PROBLEM_JSON,
            description="Postgres or Redis does not answer (which one is named); Retry-After says when to ask again.",
        )
    },
)
async def ready(
    request: Request[Any, Any, Any], unit_of_work: NamedDependency[UnitOfWork]
) -> Response[Readiness | Unready]:
    services = services_of(request.app)
    postgres = redis = "ok"
    try:
        async with unit_of_work.control() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # readiness reports any failure rather than raising it
        postgres = f"unavailable: {type(exc).__name__}"
    try:
        await services.redis.ping()
    except Exception as exc:  # as above
        redis = f"unavailable: {type(exc).__name__}"
    if postgres == "ok" and redis == "ok":
        return Response(Readiness(status="ok", postgres=postgres, redis=redis))
    servers = {"postgres": postgres, "redis": redis}
    unready = Unready(
        title=HTTPStatus.SERVICE_UNAVAILABLE.phrase,
        status=503,
        detail="; ".join(f"{name} {state}" for name, state in servers.items() if state != "ok"),
        postgres=postgres,
        redis=redis,
    )
    return Response(unready, status_code=503, media_type=PROBLEM_JSON, headers=retry_after(request))
