"""SCIM 2.0 at /scim/v2 (RFC 7644) for identity providers, and /api/v1/scim-tokens for HR admins.

The SCIM router authenticates on its own (a SCIM token, see auth.py), answers in
application/scim+json, and turns every error into the SCIM Error schema. Routes only translate
HTTP: parsing, headers and status codes; ScimService does the rest.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, get_args

import structlog
from litestar import Controller, Request, Response, Router, delete, get, patch, post, put, route
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import FromPath, HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.types import ExceptionHandlersMap
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    NotFoundException,
    NotImplementedException,
    Resource,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    SearchRequest,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api import idempotency
from backend.api.concurrency import TenantConcurrency
from backend.api.pagination import DEFAULT_LIMIT, Page, page_of
from backend.api.params import Cursor, Limit
from backend.api.problems import (
    UNAVAILABLE_ERRORS,
    database_refusal,
    database_unavailable,
    log_unavailable,
    retry_after,
)
from backend.auth.portal_sessions import PortalSessions
from backend.auth.principal import Principal, Scope
from backend.core.unit_of_work import UnitOfWork
from backend.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from backend.scim.auth import scim_db_provider, scim_guard, scim_tenant
from backend.scim.models import ScimToken
from backend.scim.protocol import (
    DEFAULT_COUNT,
    MAX_COUNT,
    Listing,
    UnsupportedMediaTypeException,
    etag_matches,
    names_an_attribute,
    resource_types,
    schemas,
    scim_error,
    service_provider_config,
)
from backend.scim.resources import Group, UserResource
from backend.scim.schemas import ScimTokenCreate, ScimTokenCreated, ScimTokenRead
from backend.scim.service import ScimService
from backend.scim.tokens import ScimTokenService
from backend.settings import Settings

SCIM_JSON = "application/scim+json"
SCIM_PATH = "/scim/v2"
_ACCEPTED_BODIES = {SCIM_JSON, "application/json"}
# Errors here are SCIM errors, documented per route (not the API's problem+json).
_SCIM = {"documents_own_errors": True}
# The opt key under which the SCIM router keeps where SCIM is served (`scim_router`).
_BASE_URL = "scim_base_url"
log = structlog.get_logger()

Json = dict[str, Any]
IfMatch = Annotated[
    str | None, HeaderParameter(name="If-Match", description="Change only this version (an ETag); else 412.")
]
IfNoneMatch = Annotated[
    str | None, HeaderParameter(name="If-None-Match", description="304 when the resource still has this version.")
]
FilterParam = Annotated[
    str | None, QueryParameter(name="filter", description='A SCIM filter, e.g. userName eq "ana@example.com".')
]
StartIndex = Annotated[int | None, QueryParameter(name="startIndex", description="1-based index of the first result.")]
Count = Annotated[
    int | None, QueryParameter(name="count", description=f"Page size ({DEFAULT_COUNT}; at most {MAX_COUNT}).")
]
Attributes = Annotated[str | None, QueryParameter(name="attributes", description="Return only these attributes.")]
ExcludedAttributes = Annotated[
    str | None, QueryParameter(name="excludedAttributes", description="Leave these attributes out.")
]


# -- responses


def scim_response(content: Json | None, status_code: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content, status_code=status_code, media_type=SCIM_JSON, headers=headers)


def _error(status: int, detail: str | None, scim_type: str | None = None, headers: Any = None) -> Response[Any]:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    return scim_response(error.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE), status, headers)


def _resource(
    resource: Resource[Any],
    context: Context,
    parameters: ResponseParameters[Any] | None,
    status_code: int = 200,
    *,
    with_location: bool = False,
) -> Response[Any]:
    headers = {"ETag": _version(resource)}
    if with_location and resource.meta and resource.meta.location:
        headers["Location"] = resource.meta.location
    content = resource.model_dump(scim_ctx=context, response_parameters=parameters)
    return scim_response(content, status_code, headers)


def _version(resource: Resource[Any]) -> str:
    version = resource.meta.version if resource.meta else None
    assert version is not None, "every resource is rendered with its version"
    return version


def _not_modified(resource: Resource[Any], if_none_match: str | None) -> Response[Any] | None:
    if if_none_match is not None and etag_matches(if_none_match, _version(resource)):
        return scim_response(None, 304, {"ETag": _version(resource)})
    return None


def _list(model: Any, listing: Listing[Any], parameters: ResponseParameters[Any] | None) -> Response[Any]:
    response = ListResponse.__class_getitem__(model)(
        total_results=listing.total,
        start_index=listing.start_index,
        items_per_page=len(listing.resources),
        resources=listing.resources,
    )
    return scim_response(response.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=parameters))


def _parameters(model: Any, attributes: str | None, excluded: str | None) -> ResponseParameters[Any] | None:
    if not attributes and not excluded:
        return None
    # Subscripted through the call the syntax stands for: mypy reads `ResponseParameters[model]` as a type.
    parameters: type[ResponseParameters[Any]] = ResponseParameters.__class_getitem__(model)  # type: ignore[assignment]
    try:
        asked = parameters.model_validate({"attributes": attributes, "excludedAttributes": excluded})
    except ValidationError as exc:
        raise scim_error(exc) from None
    # An attribute we do not keep would silently shape nothing: say so, as PATCH does for its paths.
    models = get_args(model) or (model,)
    for name, paths in (("attributes", asked.attributes), ("excludedAttributes", asked.excluded_attributes)):
        for path in paths or ():
            if not any(names_an_attribute(one, str(path)) for one in models):
                raise InvalidValueException(
                    detail=f"{name}: '{path}' is not an attribute Crosswalk keeps (see /Schemas)"
                )
    return asked


def _names(attributes: str | None) -> set[str]:
    """Attribute names of an attributes parameter, without their schema or sub-attribute."""
    return {item.strip().rsplit(":", 1)[-1].split(".")[0].lower() for item in (attributes or "").split(",")}


def _with_members(attributes: str | None, excluded: str | None) -> bool:
    # Entra lists groups with excludedAttributes=members: loading thousands of members would be waste.
    if attributes:
        return "members" in _names(attributes)
    return "members" not in _names(excluded)


def _page(start_index: int | None, count: int | None) -> tuple[int, int]:
    # RFC 7644 §3.4.2.4: a startIndex below 1 is 1, a negative count is 0.
    start = max(1, start_index or 1)
    size = DEFAULT_COUNT if count is None else min(max(count, 0), MAX_COUNT)
    return start, size


@dataclass(frozen=True)
class _Search:
    """A SearchRequest (RFC 7644 §3.4.3) in the terms of a GET on the same resources."""

    filter: str | None
    start_index: int
    count: int
    parameters: ResponseParameters[Any] | None
    attributes: str | None
    excluded: str | None


async def _search(request: Request[Any, Any, Any], model: Any) -> _Search:
    body = await _body(request)
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="the body must be a JSON object (a SearchRequest)")
    # Subscripted through the call the syntax stands for: mypy reads `SearchRequest[model]` as a type.
    request_model: type[SearchRequest[Any]] = SearchRequest.__class_getitem__(model)  # type: ignore[assignment]
    try:
        search = request_model.model_validate(body, scim_ctx=Context.SEARCH_REQUEST)
    except ValidationError as exc:
        raise scim_error(exc) from None
    attributes = ",".join(str(path) for path in search.attributes or []) or None
    excluded = ",".join(str(path) for path in search.excluded_attributes or []) or None
    start_index, count = _page(search.start_index, search.count)
    return _Search(
        filter=str(search.filter) if search.filter is not None else None,
        start_index=start_index,
        count=count,
        parameters=_parameters(model, attributes, excluded),
        attributes=attributes,
        excluded=excluded,
    )


async def _body(request: Request[Any, Any, Any]) -> Any:
    content_type = request.headers.get("content-type")
    if content_type and content_type.split(";", 1)[0].strip().lower() not in _ACCEPTED_BODIES:
        raise UnsupportedMediaTypeException(detail=f"send {SCIM_JSON} or application/json, not {content_type}")
    try:
        return json.loads(await request.body())
    except (ValueError, RecursionError):
        raise InvalidSyntaxException(detail="the body is not a JSON document") from None


def _service(request: Request[Any, Any, Any], session: AsyncSession) -> ScimService:
    return ScimService(session, _base_url(request))


# -- errors


def handle_scim(request: Request[Any, Any, Any], exc: SCIMException) -> Response[Any]:
    error = exc.to_error()
    return _error(exc.status, error.detail, error.scim_type, getattr(exc, "headers", None))


def handle_pydantic(request: Request[Any, Any, Any], exc: ValidationError) -> Response[Any]:
    return handle_scim(request, scim_error(exc))


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    fields = (
        [f"{item.get('key') or 'body'}: {item.get('message')}" for item in exc.extra or [] if isinstance(item, dict)]
        if isinstance(exc.extra, list)
        else []
    )
    return _error(400, "; ".join(fields) or exc.detail, "invalidValue")


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code >= 500:
        log.error("http_error", status=exc.status_code, detail=exc.detail)
        return _error(exc.status_code, None)
    return _error(exc.status_code, exc.detail or None, headers=exc.headers)


def handle_domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if isinstance(exc, NotFoundError):
        return _error(404, exc.detail)
    if isinstance(exc, PermissionDeniedError):
        return _error(403, exc.detail)
    if isinstance(exc, ConflictError):
        return _error(409, exc.detail, "uniqueness")
    return _error(400, exc.detail, "invalidValue")


def handle_integrity(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    if getattr(exc.orig, "sqlstate", None) == "23505":
        return _error(409, "a value that must be unique is already in use", "uniqueness")
    return _error(400, "the request refers to something that does not exist or breaks a rule", "invalidValue")


def handle_unavailable(request: Request[Any, Any, Any], exc: Exception, *, retry_after_seconds: int) -> Response[Any]:
    reason = database_unavailable(exc)
    if reason is None:
        return handle_unexpected(request, exc)
    log_unavailable(request.url.path, exc)
    return _error(503, reason, headers=retry_after(retry_after_seconds))


def handle_database(request: Request[Any, Any, Any], exc: DBAPIError, *, retry_after_seconds: int) -> Response[Any]:
    if database_unavailable(exc) is not None:
        return handle_unavailable(request, exc, retry_after_seconds=retry_after_seconds)
    refusal = database_refusal(exc)
    if refusal is None:
        return handle_unexpected(request, exc)
    return _error(refusal.status, refusal.detail, "invalidValue" if refusal.status == 400 else None)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled_error", path=request.url.path)
    return _error(500, "an unexpected error occurred; it has been logged")


def scim_exception_handlers(retry_after_seconds: int) -> ExceptionHandlersMap:
    """SCIM's handlers, built by the app: a database that cannot serve is a 503 whose Retry-After is
    `retry_after_seconds`."""
    return {
        SCIMException: handle_scim,
        ValidationError: handle_pydantic,
        ValidationException: handle_validation,
        HTTPException: handle_http,
        DomainError: handle_domain,
        IntegrityError: handle_integrity,
        DBAPIError: partial(handle_database, retry_after_seconds=retry_after_seconds),
        **dict.fromkeys(UNAVAILABLE_ERRORS, partial(handle_unavailable, retry_after_seconds=retry_after_seconds)),
        Exception: handle_unexpected,
    }


def is_scim_path(path: str) -> bool:
    return path == SCIM_PATH or path.startswith(SCIM_PATH + "/")


def with_scim_errors_on_scim_paths(
    handlers: ExceptionHandlersMap, scim_handlers: ExceptionHandlersMap
) -> ExceptionHandlersMap:
    """The app's own exception handlers, except on SCIM paths, which answer SCIM errors (`scim_handlers`)
    also when no SCIM route took the request: an unknown path (404), a method a path does not have
    (405), or a refusal by a middleware. The router's handlers cover everything its routes raise."""

    def on_scim_paths(exception_type: Any, handler: Any) -> Any:
        scim_handler = scim_handlers.get(exception_type, handle_unexpected)

        def dispatch(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
            answer: Response[Any] = (scim_handler if is_scim_path(request.url.path) else handler)(request, exc)
            return answer

        return dispatch

    return {exception_type: on_scim_paths(exception_type, handler) for exception_type, handler in handlers.items()}


# -- OpenAPI


_STATUS_TEXT = {
    304: "Not modified: the resource still has the version named by If-None-Match.",
    400: "Malformed or invalid (scimType invalidSyntax, invalidValue, invalidFilter, invalidPath, mutability, "
    "noTarget).",
    401: "No valid SCIM token (unknown, revoked or missing).",
    403: "The tenant is suspended or archived.",
    404: "No such resource in this tenant.",
    409: "A unique value (userName, email, externalId, employeeNumber, group displayName) is taken "
    "(scimType uniqueness).",
    412: "If-Match names an older version.",
    415: f"The body is neither {SCIM_JSON} nor application/json.",
    501: "Not supported by this service provider (see /ServiceProviderConfig).",
    503: "The database is unavailable or too slow for now; Retry-After says when to retry.",
}


def _documented(*statuses: int) -> dict[int, ResponseSpec]:
    responses = {}
    for status in (400, 401, 403, 503, *statuses):
        if status == 304:
            responses[status] = ResponseSpec(None, description=_STATUS_TEXT[status])
            continue
        example = Error(status=status, detail=_STATUS_TEXT[status]).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        responses[status] = ResponseSpec(
            data_container=Json,
            description=_STATUS_TEXT[status],
            media_type=SCIM_JSON,
            generate_examples=False,
            examples=[Example(value=example)],
        )
    return responses


_READ = _documented()
_READ_ONE = _documented(304, 404)
_CREATE = _documented(409, 415)
_CHANGE = _documented(404, 409, 412, 415)
_DELETE = _documented(404, 412)


# -- /scim/v2


@dataclass(frozen=True)
class _ResourceKind:
    """A SCIM resource type as its routes serve it: its document, its names, and the service's calls."""

    model: Any  # the scim2-models class: UserResource or Group
    path: str  # "/Users"
    noun: str  # "user": names the handlers (hence the OpenAPI operations) and the id in the path
    # (service, filter, start index, count, whether members are asked for) -> a page
    list: Callable[[ScimService, str | None, int, int, bool], Awaitable[Listing[Any]]]
    # (service, id, whether members are asked for) -> the resource
    get: Callable[[ScimService, str, bool], Awaitable[Resource[Any]]]
    create: Callable[[ScimService, Any], Awaitable[Resource[Any]]]
    replace: Callable[[ScimService, str, Any, str | None], Awaitable[Resource[Any]]]
    patch: Callable[[ScimService, str, Any, str | None], Awaitable[Resource[Any]]]
    delete: Callable[[ScimService, str, str | None], Awaitable[None]]
    summaries: dict[str, str]  # by operation: list, create, search, get, replace, patch, delete
    delete_description: str | None = None


def _resource_controller(kind: _ResourceKind) -> type[Controller]:
    """The controller of one SCIM resource type: list, create, search, get, replace, patch, delete.
    Every write ends the sessions of the people whose access it changed."""
    model, noun, plural = kind.model, kind.noun, kind.noun + "s"
    by_id = f"/{{{noun}_id:str}}"

    async def list_resources(
        self: Controller,
        request: Request[Any, Any, Any],
        scim_db: NamedDependency[AsyncSession],
        filter_: FilterParam = None,
        start_index: StartIndex = None,
        count: Count = None,
        attributes: Attributes = None,
        excluded_attributes: ExcludedAttributes = None,
    ) -> Response[Json]:
        parameters = _parameters(model, attributes, excluded_attributes)
        members = _with_members(attributes, excluded_attributes)
        listing = await kind.list(_service(request, scim_db), filter_, *_page(start_index, count), members)
        return _list(model, listing, parameters)

    async def create_resource(
        self: Controller,
        request: Request[Any, Any, Any],
        scim_db: NamedDependency[AsyncSession],
        portal_sessions: NamedDependency[PortalSessions],
        attributes: Attributes = None,
        excluded_attributes: ExcludedAttributes = None,
    ) -> Response[Json]:
        parameters = _parameters(model, attributes, excluded_attributes)
        service = _service(request, scim_db)
        resource = await kind.create(service, await _body(request))
        await _end_sessions_of_changed(request, service, portal_sessions)
        return _resource(resource, Context.RESOURCE_CREATION_RESPONSE, parameters, 201, with_location=True)

    async def search_resources(
        self: Controller, request: Request[Any, Any, Any], scim_db: NamedDependency[AsyncSession]
    ) -> Response[Json]:
        search = await _search(request, model)
        members = _with_members(search.attributes, search.excluded)
        listing = await kind.list(_service(request, scim_db), search.filter, search.start_index, search.count, members)
        return _list(model, listing, search.parameters)

    async def get_resource(
        self: Controller,
        request: Request[Any, Any, Any],
        scim_db: NamedDependency[AsyncSession],
        resource_id: str,
        if_none_match: IfNoneMatch = None,
        attributes: Attributes = None,
        excluded_attributes: ExcludedAttributes = None,
    ) -> Response[Json]:
        parameters = _parameters(model, attributes, excluded_attributes)
        members = _with_members(attributes, excluded_attributes)
        resource = await kind.get(_service(request, scim_db), resource_id, members)
        return _not_modified(resource, if_none_match) or _resource(
            resource, Context.RESOURCE_QUERY_RESPONSE, parameters
        )

    def changing(
        change: Callable[[ScimService, str, Any, str | None], Awaitable[Resource[Any]]], context: Context
    ) -> Callable[..., Awaitable[Response[Json]]]:
        """The handler of a write to one resource (replace or patch): `change` does it."""

        async def change_resource(
            self: Controller,
            request: Request[Any, Any, Any],
            scim_db: NamedDependency[AsyncSession],
            portal_sessions: NamedDependency[PortalSessions],
            resource_id: str,
            if_match: IfMatch = None,
            attributes: Attributes = None,
            excluded_attributes: ExcludedAttributes = None,
        ) -> Response[Json]:
            parameters = _parameters(model, attributes, excluded_attributes)
            service = _service(request, scim_db)
            resource = await change(service, resource_id, await _body(request), if_match)
            await _end_sessions_of_changed(request, service, portal_sessions)
            return _resource(resource, context, parameters)

        return change_resource

    async def delete_resource(
        self: Controller,
        request: Request[Any, Any, Any],
        scim_db: NamedDependency[AsyncSession],
        portal_sessions: NamedDependency[PortalSessions],
        resource_id: str,
        if_match: IfMatch = None,
    ) -> None:
        service = _service(request, scim_db)
        await kind.delete(service, resource_id, if_match)
        await _end_sessions_of_changed(request, service, portal_sessions)

    def named(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        """`fn` as the handler `name` (the OpenAPI operation is named after it), the resource's id
        taken from the path under the resource's own name (user_id, group_id)."""
        fn.__name__ = fn.__qualname__ = name
        if "resource_id" in fn.__annotations__:
            fn.__annotations__["resource_id"] = Annotated[str, PathParameter(name=f"{noun}_id")]
        return fn

    summary = kind.summaries
    handlers = {
        f"list_{plural}": get("/", opt=_SCIM, media_type=SCIM_JSON, responses=_READ, summary=summary["list"])(
            named(list_resources, f"list_{plural}")
        ),
        f"create_{noun}": post("/", opt=_SCIM, media_type=SCIM_JSON, responses=_CREATE, summary=summary["create"])(
            named(create_resource, f"create_{noun}")
        ),
        f"search_{plural}": post(
            "/.search", opt=_SCIM, media_type=SCIM_JSON, responses=_READ, status_code=200, summary=summary["search"]
        )(named(search_resources, f"search_{plural}")),
        f"get_{noun}": get(by_id, opt=_SCIM, media_type=SCIM_JSON, responses=_READ_ONE, summary=summary["get"])(
            named(get_resource, f"get_{noun}")
        ),
        f"replace_{noun}": put(by_id, opt=_SCIM, media_type=SCIM_JSON, responses=_CHANGE, summary=summary["replace"])(
            named(changing(kind.replace, Context.RESOURCE_REPLACEMENT_RESPONSE), f"replace_{noun}")
        ),
        f"patch_{noun}": patch(by_id, opt=_SCIM, media_type=SCIM_JSON, responses=_CHANGE, summary=summary["patch"])(
            named(changing(kind.patch, Context.RESOURCE_PATCH_RESPONSE), f"patch_{noun}")
        ),
        f"delete_{noun}": delete(
            by_id,
            opt=_SCIM,
            media_type=SCIM_JSON,
            responses=_DELETE,
            summary=summary["delete"],
            description=kind.delete_description,
        )(named(delete_resource, f"delete_{noun}")),
    }
    name = f"Scim{noun.title()}Controller"
    return type(name, (Controller,), {"path": kind.path, "__module__": __name__, "__qualname__": name, **handlers})


ScimUserController = _resource_controller(
    _ResourceKind(
        model=UserResource,
        path="/Users",
        noun="user",
        # Users have no members: the flag is for groups.
        list=lambda service, filter_, start, count, members: service.list_users(filter_, start, count),
        get=lambda service, user_id, members: service.get_user(user_id),
        create=ScimService.create_user,
        replace=ScimService.replace_user,
        patch=ScimService.patch_user,
        delete=ScimService.delete_user,
        summaries={
            "list": "List or filter users",
            "create": "Provision a user",
            "search": "Search users",
            "get": "Get a user",
            "replace": "Replace a user",
            "patch": "Change a user (active: false deactivates and keeps their history)",
            "delete": "Deprovision a user",
        },
        delete_description="The employee becomes inactive, leaves their groups and SCIM's view; their history "
        "stays. Provisioning the same userName again brings the same employee back.",
    )
)
ScimGroupController = _resource_controller(
    _ResourceKind(
        model=Group,
        path="/Groups",
        noun="group",
        list=lambda service, filter_, start, count, members: service.list_groups(
            filter_, start, count, with_members=members
        ),
        get=lambda service, group_id, members: service.get_group(group_id, with_members=members),
        create=ScimService.create_group,
        replace=ScimService.replace_group,
        patch=ScimService.patch_group,
        delete=ScimService.delete_group,
        summaries={
            "list": "List or filter groups",
            "create": "Create a group",
            "search": "Search groups",
            "get": "Get a group",
            "replace": "Replace a group",
            "patch": "Change a group (rename, add or remove members)",
            "delete": "Delete a group",
        },
    )
)


async def _end_sessions_of_changed(
    request: Request[Any, Any, Any], service: ScimService, portal_sessions: PortalSessions
) -> None:
    """Deactivated people, and people whose groups (so roles) changed, sign in again."""
    if service.access_changed:
        await portal_sessions.end_for_employees(scim_tenant(request).id, service.access_changed)


def _base_url(request: Request[Any, Any, Any]) -> str:
    """Where SCIM is served, as its router was built with (`scim_router`)."""
    return str(request.route_handler.opt[_BASE_URL])


class ScimDiscoveryController(Controller):
    path = "/"

    @get(
        "/ServiceProviderConfig", opt=_SCIM, media_type=SCIM_JSON, responses=_READ, summary="What this service supports"
    )
    async def get_service_provider_config(self, request: Request[Any, Any, Any]) -> Response[Json]:
        config = service_provider_config(_base_url(request))
        return scim_response(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))

    @get("/ResourceTypes", opt=_SCIM, media_type=SCIM_JSON, responses=_READ, summary="The resource types: User, Group")
    async def list_resource_types(self, request: Request[Any, Any, Any]) -> Response[Json]:
        found = resource_types(_base_url(request))
        return _list(ResourceType, Listing(len(found), 1, found), None)

    @get(
        "/ResourceTypes/{name:str}",
        opt=_SCIM,
        media_type=SCIM_JSON,
        responses=_documented(404),
        summary="A resource type",
    )
    async def get_resource_type(self, request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Json]:
        for resource_type in resource_types(_base_url(request)):
            if str(resource_type.id).lower() == name.lower():
                return scim_response(resource_type.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
        raise NotFoundException(detail=f"ResourceType {name} not found")

    @get(
        "/Schemas",
        opt=_SCIM,
        media_type=SCIM_JSON,
        responses=_READ,
        summary="The schemas: User with the enterprise and Crosswalk extensions, Group",
    )
    async def list_schemas(
        self, request: Request[Any, Any, Any], scim_db: NamedDependency[AsyncSession]
    ) -> Response[Json]:
        found = await _schemas(request, scim_db)
        return _list(Schema, Listing(len(found), 1, found), None)

    @get("/Schemas/{schema_id:str}", opt=_SCIM, media_type=SCIM_JSON, responses=_documented(404), summary="A schema")
    async def get_schema(
        self, request: Request[Any, Any, Any], scim_db: NamedDependency[AsyncSession], schema_id: FromPath[str]
    ) -> Response[Json]:
        for schema in await _schemas(request, scim_db):
            if str(schema.id).lower() == schema_id.lower():
                return scim_response(schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
        raise NotFoundException(detail=f"Schema {schema_id} not found")

    @post(
        "/.search",
        opt=_SCIM,
        media_type=SCIM_JSON,
        responses=_READ,
        status_code=200,
        summary="Search users and groups together",
        description="Users first, then groups. A filter on an attribute only one of them has is false for the other.",
    )
    async def search_all(
        self, request: Request[Any, Any, Any], scim_db: NamedDependency[AsyncSession]
    ) -> Response[Json]:
        both: Any = UserResource | Group
        search = await _search(request, both)
        listing = await _service(request, scim_db).search(search.filter, search.start_index, search.count)
        return _list(both, listing, search.parameters)

    @route(
        ["/Me", "/Bulk"],
        http_method=["GET", "POST", "PUT", "PATCH", "DELETE"],
        opt=_SCIM,
        media_type=SCIM_JSON,
        responses=_documented(501),
        summary="Not supported: /Me (a SCIM token is no user's) and bulk operations",
        # Answered as RFC 7644 asks (501; ServiceProviderConfig says bulk is unsupported), but not an
        # operation of this API: the schema lists what can be called, and a documented 5xx would read
        # as a server fault to clients and to schemathesis.
        include_in_schema=False,
    )
    async def not_supported(self, request: Request[Any, Any, Any]) -> None:
        raise NotImplementedException(detail=f"{request.url.path.removeprefix(SCIM_PATH)} is not supported here")


async def _schemas(request: Request[Any, Any, Any], session: AsyncSession) -> list[Schema]:
    return schemas(_base_url(request), await _service(request, session).role_titles())


def scim_router(
    *,
    public_url: str,
    unit_of_work: UnitOfWork,
    tenant_concurrency: TenantConcurrency,
    exception_handlers: ExceptionHandlersMap,
) -> Router:
    """The SCIM service, built by the app: served under `public_url`, its tokens looked up and its
    requests run in `unit_of_work`, in the tenants' `tenant_concurrency` slots; it answers SCIM errors
    (`scim_exception_handlers`). Its routes read their base URL from the router's opt rather than
    take the settings as a dependency: one dependency (`scim_db`) is resolved without a task group."""
    return Router(
        path=SCIM_PATH,
        route_handlers=[ScimUserController, ScimGroupController, ScimDiscoveryController],
        guards=[scim_guard(unit_of_work)],
        dependencies={"scim_db": Provide(scim_db_provider(unit_of_work, tenant_concurrency))},
        exception_handlers=exception_handlers,
        security=[{"scim_bearer": []}],
        tags=["SCIM"],
        opt={_BASE_URL: public_url + SCIM_PATH},
    )


# -- /api/v1/scim-tokens


def _token_read(token: ScimToken) -> ScimTokenRead:
    return ScimTokenRead(
        id=token.id,
        name=token.name,
        prefix=token.token_prefix,
        created_by=token.created_by,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


class ScimTokenController(Controller):
    """The company's SCIM tokens, for its HR admins (consultants use `crosswalk scim tokens`)."""

    path = "/scim-tokens"
    tags = ["Identity"]

    @post(
        "/",
        opt={"scope": Scope.IDENTITY_ADMIN},
        summary="Create a SCIM token for the identity provider (shown only in this response)",
        description="The token is in this response only (it is stored as a hash); `Idempotency-Key` is refused.",
    )
    async def create_scim_token(
        self,
        request: Request[Any, Any, Any],
        control_db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        data: JSONBody[ScimTokenCreate],
    ) -> Response[ScimTokenCreated]:
        idempotency.refuse_for_secrets(request)
        issued = await ScimTokenService(control_db, principal.tenant.id).create(data.name, principal.subject)
        created = ScimTokenCreated(
            id=issued.row.id,
            name=issued.row.name,
            prefix=issued.row.token_prefix,
            created_at=issued.row.created_at,
            token=issued.token,
            scim_base_url=settings.base_url + SCIM_PATH,
        )
        return Response(created, status_code=201, headers={"Cache-Control": "no-store"})

    @get("/", opt={"scope": Scope.IDENTITY_ADMIN}, summary="List the company's SCIM tokens (never the tokens)")
    async def list_scim_tokens(
        self,
        control_db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[ScimTokenRead]:
        items, next_cursor = await ScimTokenService(control_db, principal.tenant.id).list(cursor, limit)
        return page_of(items, next_cursor, limit, _token_read)

    @delete(
        "/{token_id:uuid}",
        opt={"scope": Scope.IDENTITY_ADMIN},
        summary="Revoke a SCIM token (it stops working at once)",
    )
    async def revoke_scim_token(
        self,
        control_db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        token_id: FromPath[uuid.UUID],
    ) -> None:
        await ScimTokenService(control_db, principal.tenant.id).revoke(token_id)
