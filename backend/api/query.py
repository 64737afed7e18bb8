"""Query strings held to what each route declares.

Litestar hands a handler the query parameters it declares and drops the rest, so a typo (`?limt=5`,
`?manager=...`) silently answers the default page or the whole list, and of a parameter given twice
(`?active=true&active=false`) it keeps one. Here every route refuses both with a 400 naming the
parameters: an unknown parameter, and a second value of a parameter that is not a list.

What a route declares is what Litestar itself parsed from its signature (the handler's parameters, its
dependencies' and its layers'), read once at start-up from the route table (`declare_query_rules`),
so nothing is listed twice and a new route is covered without doing anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.exceptions import ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.routes import HTTPRoute

# The opt key under which a handler's rules are kept.
QUERY_RULES = "query_rules"
# A handler that reads a query string written by someone else sets this opt to accept any parameter:
# where an OpenID provider sends the browser back (after sign-in, whose extra response parameters a
# client must ignore, RFC 6749 section 4.1.2; after sign-out, with its `state`).
ANY_QUERY = "any_query"


@dataclass(frozen=True, slots=True)
class QueryRules:
    names: frozenset[str]
    # Parameters declared as lists (`?skill_id=a&skill_id=b`): the only ones that may repeat.
    lists: frozenset[str]


class QueryParameterError(ValidationException):
    """An unknown or repeated query parameter (a 400 naming each one)."""


def declare_query_rules(app: Litestar, *, leave_alone: Iterable[str] = ()) -> None:
    """Record on every HTTP handler of `app` the query parameters it takes, except on the handlers
    under the path prefixes `leave_alone` (a protocol with rules of its own) and those with ANY_QUERY."""
    prefixes = tuple(leave_alone)
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(prefixes):
            continue
        for handler, kwargs_model in route.route_handler_map.values():
            if handler.opt.get(ANY_QUERY):
                continue
            rules = QueryRules(
                names=frozenset(p.field_alias for p in kwargs_model.expected_query_params),
                lists=frozenset(kwargs_model.sequence_query_parameter_names),
            )
            known = handler.opt.get(QUERY_RULES)
            if isinstance(known, QueryRules):
                # One handler on several paths: what any of them takes.
                rules = QueryRules(known.names | rules.names, known.lists | rules.lists)
            handler.opt[QUERY_RULES] = rules


def query_errors(rules: QueryRules, query: Any) -> list[dict[str, str]]:
    """What is wrong with a query string (a MultiDict) for a handler with `rules`: one entry per name."""
    errors: list[dict[str, str]] = []
    for name in dict.fromkeys(query.keys()):
        if name not in rules.names:
            errors.append({"key": name, "message": "unknown query parameter"})
        elif name not in rules.lists and len(query.getall(name)) > 1:
            errors.append({"key": name, "message": "given more than once; it takes one value"})
    return errors


def refuse_unknown_query(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """A 400 naming every query parameter `handler` does not take, or takes once and was given more."""
    rules = handler.opt.get(QUERY_RULES)
    if not isinstance(rules, QueryRules) or not connection.scope.get("query_string"):
        return
    errors = query_errors(rules, connection.query_params)
    if errors:
        names = ", ".join(error["key"] for error in errors)
        raise QueryParameterError(detail=f"query parameters not taken by this route: {names}", extra=errors)


async def refuse_unknown_query_parameters(request: Request[Any, Any, Any]) -> None:
    """A `before_request` hook: `refuse_unknown_query` for the request's route. (A guard that answers
    before this hook, as the portal's, calls `refuse_unknown_query` first itself.)"""
    refuse_unknown_query(request, request.route_handler)
