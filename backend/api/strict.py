"""JSON request bodies held to their documented types.

Litestar converts a decoded body to the handler's `data` type with msgspec's lax rules (`strict=False`,
which its path and query parameters need, being strings): a body would then pass `0` for a boolean or
`"5"` for an integer, which the OpenAPI document says are invalid. This `before_request` hook runs after
the scope guard and before that conversion, and checks the body strictly against the same type: a
value of the wrong type is a 400 naming its field, as the document promises. One thing JSON Schema
allows that msgspec's strict mode does not: a number with a zero fraction (`4.0`) is an integer.
"""

from __future__ import annotations

import re
import weakref
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler

_NOT_CHECKED = object()
# The type of each handler's body (or _NOT_CHECKED); gone with the handler (tests build several apps).
_types: weakref.WeakKeyDictionary[HTTPRouteHandler, Any] = weakref.WeakKeyDictionary()
_PATH = re.compile(r" - at `\$\.?([^`]*)`$")


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


async def strict_json_body(request: Request[Any, Any, Any]) -> None:
    handler = request.route_handler
    if request.method not in ("POST", "PUT", "PATCH") or not isinstance(handler, HTTPRouteHandler):
        return
    body_type = _body_type(handler)
    if body_type is _NOT_CHECKED:
        return
    body = await request.body()
    if not body.strip():
        # An optional body may be absent; a required one is refused by Litestar itself.
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
        raise ValidationException(detail=f"{field}: {detail}", extra=[{"key": field, "message": detail}]) from exc
