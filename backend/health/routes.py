"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response
from sqlalchemy import text

from backend.state import services_of


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    postgres: str
    redis: str


@get("/health", opt={"exclude_from_auth": True}, tags=["Operations"], summary="The process is alive")
async def health() -> Health:
    return Health(status="ok")


@get(
    "/ready",
    opt={"exclude_from_auth": True},
    tags=["Operations"],
    summary="Postgres and Redis answer",
    responses={
        503: ResponseSpec(
            data_container=Readiness, description="Postgres or Redis does not answer (which one is named)."
        )
    },
)
async def ready(request: Request[Any, Any, Any]) -> Response[Readiness]:
    services = services_of(request.app)
    postgres = redis = "ok"
    try:
        async with services.database.control_session() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # readiness reports any failure rather than raising it
        postgres = f"unavailable: {type(exc).__name__}"
    try:
        await services.redis.ping()
    except Exception as exc:  # as above
        redis = f"unavailable: {type(exc).__name__}"
    healthy = postgres == "ok" and redis == "ok"
    return Response(
        Readiness(status="ok" if healthy else "unavailable", postgres=postgres, redis=redis),
        status_code=200 if healthy else 503,
    )
