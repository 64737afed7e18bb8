"""JSON request bodies held to their documented types.

Litestar converts a decoded body to the handler's `data` type with msgspec's lax rules (`strict=False`,
which its path and query parameters need, being strings): a body would then pass `0` for a boolean or
`"5"` for an integer, which the OpenAPI document says are invalid. This `before_request` hook runs after
the scope guard and before that conversion, and checks the body strictly against the same type: a
value of the wrong type is a 400 naming its field, as the document promises. One thing JSON Schema
allows that msgspec's strict mode does not: a number with a zero fraction (`4.0`) is an integer.

Bodies that may be absent (`declare_bodies`, at start-up): an action whose body fields are all optional
declares its body with a default (`data: JSONBody[Withdrawal] = Withdrawal()`), so no body, an empty
one and `{}` mean the same; an action that takes no input at all (publish, open, close, ...) accepts
exactly those three and refuses anything else, rather than ignoring what a caller thought it sent.
The OpenAPI document says both.
"""

from __future__ import annotations

import re
import weakref
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Operation
from litestar.routes import HTTPRoute

from backend.api.openapi import NoInputOperation, OptionalBodyOperation

_NOT_CHECKED = object()
# The type of each handler's body (or _NOT_CHECKED); gone with the handler (tests build several apps).
_types: weakref.WeakKeyDictionary[HTTPRouteHandler, Any] = weakref.WeakKeyDictionary()
_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `([^`]*)`$")
# The opt key of a handler that takes no input.
NO_INPUT = "takes_no_input"


def declare_bodies(app: Litestar, *, under: str) -> None:
    """Mark the POST, PUT and PATCH handlers under the path `under` whose body may be absent: those
    without a `data` parameter take no input (unless they read and document a body of their own, with
    an operation class of their own, like a CSV import), and those whose `data` has a default may
    leave it out."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(under):
            continue
        for handler in route.route_handlers:
            if not handler.http_methods & {"POST", "PUT", "PATCH"} or handler.operation_class is not Operation:
                continue
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None:
                handler.opt[NO_INPUT] = True
                handler.operation_class = NoInputOperation
            elif data.has_default:
                handler.operation_class = OptionalBodyOperation


def _body_type(handler: HTTPRouteHandler) -> Any:
    """The type of a handler's JSON body, or _NOT_CHECKED (no body, or not a type msgspec knows)."""
    found = _types.get(handler)
    if found is None:
        found = _NOT_CHECKED
        data = handler.parsed_fn_signature.parameters.get("data")
        if data is not None:
            try:
                msgspec.json.Decoder(data.annotation, strict=True)
                found = data.annotation
            except TypeError:
                found = _NOT_CHECKED
        _types[handler] = found
    return found


def _integral(value: Any) -> Any:
    """`4.0` as `4`, everywhere in a decoded document (JSON Schema's integers include them)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral(v) for v in value]
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    return value


def _refuse_input(body: bytes) -> None:
    """Refuse a body sent to an action that takes none, unless it is empty or `{}`."""
    if not body.strip():
        return
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError:
        document = None
    if document == {}:
        return
    message = "this action takes no input: send no body, or {}"
    if isinstance(document, dict):
        errors = [{"key": str(field), "message": "unknown field"} for field in document]
    else:
        errors = [{"key": "body", "message": message}]
    raise ValidationException(detail=message, extra=errors)


async def strict_json_body(request: Request[Any, Any, Any]) -> None:
    handler = request.route_handler
    if request.method not in ("POST", "PUT", "PATCH") or not isinstance(handler, HTTPRouteHandler):
        return
    if handler.opt.get(NO_INPUT):
        _refuse_input(await request.body())
        return
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return
    body = await request.body()
    if not body.strip():
        if not data.has_default:
            # Said here: Litestar's own answer names a missing key (`data: 'data'`).
            message = "this request takes a JSON body"
            raise ValidationException(detail=message, extra=[{"key": "body", "message": message}])
        return
    body_type = _body_type(handler)
    if body_type is _NOT_CHECKED:
        return
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError:
        # Not JSON at all: Litestar's own parsing answers it.
        return
    try:
        msgspec.convert(_integral(document), body_type, strict=True)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _PATH.search(message)
        field = match.group(1) if match and match.group(1) else "body"
        detail = _PATH.sub("", message)
        unknown = _UNKNOWN_FIELD.search(detail)
        if unknown:
            # The unknown field itself is the one to name, not the object holding it.
            field = f"{field}.{unknown.group(1)}" if field != "body" else unknown.group(1)
            detail = "unknown field"
        raise ValidationException(detail=f"{field}: {detail}", extra=[{"key": field, "message": detail}]) from exc
