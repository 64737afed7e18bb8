"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from http import HTTPStatus

import msgspec
from litestar import get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response
from redis.asyncio import Redis
from sqlalchemy import text

from backend.api.problems import PROBLEM_JSON, READS_NO_DATABASE, Problem, retry_after
from backend.core.unit_of_work import UnitOfWork
from backend.settings import Settings


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
    unit_of_work: NamedDependency[UnitOfWork], redis: NamedDependency[Redis], settings: NamedDependency[Settings]
) -> Response[Readiness | Unready]:
    postgres_state = redis_state = "ok"
    try:
        async with unit_of_work.control() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # readiness reports any failure rather than raising it
        postgres_state = f"unavailable: {type(exc).__name__}"
    try:
        await redis.ping()
    except Exception as exc:  # as above
        redis_state = f"unavailable: {type(exc).__name__}"
    if postgres_state == "ok" and redis_state == "ok":
        return Response(Readiness(status="ok", postgres=postgres_state, redis=redis_state))
    servers = {"postgres": postgres_state, "redis": redis_state}
    unready = Unready(
        title=HTTPStatus.SERVICE_UNAVAILABLE.phrase,
        status=503,
        detail="; ".join(f"{name} {state}" for name, state in servers.items() if state != "ok"),
        postgres=postgres_state,
        redis=redis_state,
    )
    retry = retry_after(settings.db_unavailable_retry_after_seconds)
    return Response(unready, status_code=503, media_type=PROBLEM_JSON, headers=retry)
