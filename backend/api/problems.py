"""RFC 9457 problem+json for every error, and the documentation of those errors in OpenAPI.

Logs: a refusal of the caller's request (4xx: invalid input, unknown object, conflict, missing rights)
is one line at info (a data error at warning), with the status, the route and the fields named, never a
traceback nor the detail, which can quote what was sent. Only an unexpected error (5xx) logs a traceback.
"""

from __future__ import annotations

import logging
import socket
from functools import partial
from http import HTTPStatus
from typing import Any, NamedTuple

import asyncpg
import msgspec
import structlog
from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.types import ExceptionHandlersMap
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DBAPIError, IntegrityError

from backend.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)

PROBLEM_JSON = "application/problem+json"
# The opt key of a route that never touches the database (so never answers its 503).
READS_NO_DATABASE = "reads_no_database"
log = structlog.get_logger()


class FieldError(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem detail."""

    title: str
    status: int
    detail: str | None = None
    type: str = "about:blank"
    errors: list[FieldError] | None = None


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    return Response(
        Problem(title=HTTPStatus(status).phrase, status=status, detail=detail, errors=errors),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _refused(
    request: Request[Any, Any, Any],
    exc: Exception,
    response: Response[Problem],
    *,
    level: int = logging.INFO,
    **context: Any,
) -> Response[Problem]:
    """Log a refusal in one line (no traceback) and return its answer."""
    problem = response.content
    fields = [e.field for e in problem.errors] if problem.errors else None
    log.log(
        level,
        "request_refused",
        status=problem.status,
        method=request.method,
        path=request.url.path,
        error=type(exc).__name__,
        fields=fields,
        **context,
    )
    return response


def _field_name(key: Any) -> str:
    return str(key) if key else "body"


def _validation_errors(extra: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict):
                errors.append(FieldError(field=_field_name(item.get("key")), message=str(item.get("message", ""))))
    return errors


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    errors = _validation_errors(exc.extra)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or exc.detail
    return _refused(request, exc, problem_response(400, detail, errors=errors or None))


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    if exc.status_code >= 500:
        log.error("http_error", status=exc.status_code, detail=exc.detail)
        return problem_response(exc.status_code)
    return _refused(request, exc, problem_response(exc.status_code, exc.detail or None, headers=exc.headers))


def domain_status(exc: DomainError) -> int:
    """The status of a service's refusal, the same at every door (the API, the console): one rule,
    one status."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, InvalidInputError):
        return 422
    return 400


def handle_domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
    errors = [FieldError(field=exc.field, message=exc.detail)] if isinstance(exc, InvalidInputError) else None
    return _refused(request, exc, problem_response(domain_status(exc), exc.detail, errors=errors))


def handle_integrity(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Problem]:
    # Services check what they can; the database is the last word on races (two requests creating
    # the same email at once), and its answer is a client error, never a 500.
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate == "23505":
        return _refused(request, exc, problem_response(409, "an object with the same unique value already exists"))
    if sqlstate == "23503":
        return _refused(request, exc, problem_response(422, "the request refers to an object that does not exist"))
    if sqlstate in ("23514", "23502"):
        return _refused(request, exc, problem_response(422, "a value is outside its allowed range"))
    # A rule only the database knows: the answer stays a conflict, the log says which rule.
    answer = problem_response(409, "the change conflicts with existing data")
    return _refused(request, exc, answer, level=logging.WARNING, sqlstate=sqlstate)


_UNREACHABLE = "the database is unavailable; retry later"
# SQLSTATEs that say the database cannot serve now, not that the request is wrong.
_UNAVAILABLE_SQLSTATES = {
    "57P01": _UNREACHABLE,  # admin_shutdown: the server is stopping (a restart)
    "57P02": _UNREACHABLE,  # crash_shutdown
    "57P03": _UNREACHABLE,  # cannot_connect_now: the server is starting
    "53300": _UNREACHABLE,  # too_many_connections
    "25P03": _UNREACHABLE,  # idle_in_transaction_session_timeout ended the connection
    "57014": "the database did not answer within the statement timeout; retry later",  # query_canceled
    "55P03": "a row or table the request needs stayed locked beyond the lock timeout; retry later",
}


def _unavailable_by_sqlstate(error: object) -> str | None:
    sqlstate = str(getattr(error, "sqlstate", None) or "")
    if sqlstate.startswith("08"):  # connection_exception and its kinds
        return _UNREACHABLE
    return _UNAVAILABLE_SQLSTATES.get(sqlstate)


def database_unavailable(exc: BaseException) -> str | None:
    """Why the database cannot serve the request now (unreachable, restarting, out of connections, or
    the statement or a lock wait ran out of time), or None when the error is not about that. A client
    told so can retry the same request later: it is a 503 with Retry-After at every door."""
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection to give in time
        return _UNREACHABLE
    if isinstance(exc, DBAPIError):
        # An error with a SQLSTATE is the server's answer, whatever became of the connection (one
        # whose tenant pin was refused is dropped, yet the refusal is a 403).
        if getattr(exc.orig, "sqlstate", None):
            return _unavailable_by_sqlstate(exc.orig)
        if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
            return _UNREACHABLE
        return None
    # Raised as they are, not wrapped by SQLAlchemy, when a new connection cannot be opened.
    if isinstance(exc, asyncpg.PostgresError):
        return _unavailable_by_sqlstate(exc)
    if isinstance(exc, (asyncpg.InterfaceError, ConnectionError, TimeoutError, socket.gaierror)):
        return _UNREACHABLE
    return None


def retry_after(seconds: int) -> dict[str, str]:
    return {"Retry-After": str(seconds)}


def log_unavailable(path: str, exc: BaseException) -> None:
    # One line: an outage is seen on every request while it lasts, and a traceback says nothing more.
    sqlstate = getattr(getattr(exc, "orig", exc), "sqlstate", None)
    log.warning("database_unavailable", path=path, error=type(exc).__name__, sqlstate=sqlstate)


def handle_unavailable(
    request: Request[Any, Any, Any], exc: Exception, *, retry_after_seconds: int
) -> Response[Problem]:
    reason = database_unavailable(exc)
    if reason is None:
        return handle_unexpected(request, exc)
    log_unavailable(request.url.path, exc)
    return problem_response(503, reason, headers=retry_after(retry_after_seconds))


class DatabaseRefusal(NamedTuple):
    """A database error that is the client's answer, not an outage nor a bug: its status and detail,
    the same at every door (the API, SCIM); `sqlstate` is for the log."""

    status: int
    detail: str
    sqlstate: str


def database_refusal(exc: DBAPIError) -> DatabaseRefusal | None:
    """What a database error that is not an outage (see `database_unavailable`) tells the client, or
    None when it is unexpected (a 500)."""
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if sqlstate == "42501":
        # The serving role may no longer become the tenant's role: the tenant was archived after this
        # process cached it as active (for at most TENANT_CACHE_SECONDS).
        return DatabaseRefusal(403, "the tenant is not available", sqlstate)
    if sqlstate.startswith("22"):
        # A value the schema let through but Postgres cannot store (too long, out of range, encoding).
        return DatabaseRefusal(400, "a value in the request cannot be stored", sqlstate)
    return None


def handle_database_error(
    request: Request[Any, Any, Any], exc: DBAPIError, *, retry_after_seconds: int
) -> Response[Problem]:
    if database_unavailable(exc) is not None:
        return handle_unavailable(request, exc, retry_after_seconds=retry_after_seconds)
    refusal = database_refusal(exc)
    if refusal is None:
        return handle_unexpected(request, exc)
    answer = problem_response(refusal.status, refusal.detail)
    if refusal.status == 400:
        # The schema should have refused the value itself, hence a warning.
        return _refused(request, exc, answer, level=logging.WARNING, sqlstate=refusal.sqlstate)
    return _refused(request, exc, answer)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.exception("unhandled_error", path=request.url.path)
    return problem_response(500, "an unexpected error occurred; it has been logged")


UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
)


def exception_handlers(retry_after_seconds: int) -> ExceptionHandlersMap:
    """The app's handlers, built by the app: a database that cannot serve is a 503 whose Retry-After
    is `retry_after_seconds`."""
    return {
        ValidationException: handle_validation,
        HTTPException: handle_http,
        DomainError: handle_domain,
        IntegrityError: handle_integrity,
        DBAPIError: partial(handle_database_error, retry_after_seconds=retry_after_seconds),
        # The database's connection-level failures that SQLAlchemy does not wrap (see database_unavailable).
        **dict.fromkeys(UNAVAILABLE_ERRORS, partial(handle_unavailable, retry_after_seconds=retry_after_seconds)),
        Exception: handle_unexpected,
    }


def problem_spec(status: int, description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=description,
        media_type=PROBLEM_JSON,
        examples=[Example(value={"title": HTTPStatus(status).phrase, "status": status})],
    )


def document_problems(app: Litestar) -> None:
    """Declare on every route the errors it can return, so the OpenAPI schema documents them all."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            # SCIM routes answer with SCIM errors, not problem+json, and document them themselves.
            if not isinstance(handler, HTTPRouteHandler) or handler.opt.get("documents_own_errors"):
                continue
            responses = dict(handler.responses or {})
            public = bool(handler.opt.get("exclude_from_auth"))
            wanted = {400: "The request is malformed or a field is invalid."}
            if not public:
                wanted |= {
                    401: "No valid bearer token.",
                    403: "The token lacks the scope or role, or the tenant is suspended.",
                    404: "The tenant or the object does not exist (or is not visible to the caller).",
                    422: "The request is well-formed but refers to unknown objects or breaks a rule.",
                }
            if not handler.opt.get(READS_NO_DATABASE):
                wanted[503] = "The database is unavailable or too slow for now; Retry-After says when to retry."
            if handler.http_methods & {"POST", "PUT", "PATCH"}:
                wanted[408] = "The body did not arrive whole within HTTP_BODY_TIMEOUT_SECONDS."
            if handler.http_methods & {"POST", "PUT", "PATCH", "DELETE"}:
                wanted[409] = "The change conflicts with existing data."
                if not public:
                    wanted[415] = "A write authenticated by the session cookie whose body is not JSON."
            for status, description in wanted.items():
                responses.setdefault(status, problem_spec(status, description))
            handler.responses = responses
