"""Partner apps: the token endpoint, the published keys and metadata, and the HR admins' management API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Litestar, Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api import idempotency
from backend.api.pagination import DEFAULT_LIMIT, Page, page_of
from backend.api.params import Cursor, Limit
from backend.api.problems import problem_spec
from backend.api.query import QueryParameterError
from backend.api.ratelimit import too_many_requests
from backend.auth.principal import PARTNER_SCOPES, Principal, Scope
from backend.auth.ratelimits import RateLimitedError, client_address
from backend.core.unit_of_work import UnitOfWork
from backend.crud import to_schema
from backend.partners.oauth import (
    GRANT_TYPE,
    JWKS_PATH,
    METADATA_PATH,
    TOKEN_PATH,
    TokenEndpoint,
    server_metadata,
)
from backend.partners.schemas import (
    AuthorizationServerMetadata,
    JsonWebKeySet,
    PartnerClientCreate,
    PartnerClientCreated,
    PartnerClientRead,
    SecretRotate,
    SecretRotated,
    TokenError,
    TokenResponse,
)
from backend.partners.service import PartnerClientService
from backend.state import services_of
from tenants.models import PartnerClient

_PUBLIC = {"exclude_from_auth": True}
_ADMIN = {"scope": Scope.IDENTITY_ADMIN}
_NO_STORE = CacheControlHeader(no_store=True)
_ENDPOINT_STATE_KEY = "partner_token_endpoint"


def _token_endpoint(app: Litestar, unit_of_work: UnitOfWork) -> TokenEndpoint:
    endpoint = app.state.get(_ENDPOINT_STATE_KEY)
    if not isinstance(endpoint, TokenEndpoint):
        services = services_of(app)
        endpoint = TokenEndpoint(
            unit_of_work=unit_of_work,
            signer=services.signer,
            ttl_seconds=services.settings.partner_token_ttl_seconds,
            token_url=services.settings.base_url + TOKEN_PATH,
            limiter=services.rate_limiter,
        )
        app.state[_ENDPOINT_STATE_KEY] = endpoint
    return endpoint


@dataclass
class _TokenRequestOperation(Operation):
    """The token request is a form that the handler reads itself (its errors are RFC 6749's, not
    problem+json), so its schema is declared here for the OpenAPI document."""

    def __post_init__(self) -> None:
        text = Schema(type=OpenAPIType.STRING, min_length=1)
        form = Schema(
            type=OpenAPIType.OBJECT,
            required=["grant_type"],
            properties={
                "grant_type": Schema(type=OpenAPIType.STRING, enum=[GRANT_TYPE]),
                "scope": Schema(
                    type=OpenAPIType.STRING,
                    description="Space-separated; a subset of the client's scopes. Omitted: all of them.",
                ),
                "client_id": text,
                "client_secret": Schema(
                    type=OpenAPIType.STRING, min_length=1, description="Only without HTTP Basic authentication."
                ),
            },
        )
        self.request_body = RequestBody(
            required=True, content={"application/x-www-form-urlencoded": OpenAPIMediaType(schema=form)}
        )


def _oauth_error(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=TokenError, media_type=MediaType.JSON, description=description)


def _query_refused(request: Request[Any, Any, Any], exc: QueryParameterError) -> Response[TokenError]:
    # The token endpoint takes no query parameters; its errors keep RFC 6749's shape.
    return Response(
        TokenError(error="invalid_request", error_description=exc.detail),
        status_code=400,
        media_type=MediaType.JSON,
        headers={"Cache-Control": "no-store"},
    )


@post(
    TOKEN_PATH,
    # Its errors are RFC 6749's, documented below, not problem+json.
    opt={**_PUBLIC, "documents_own_errors": True},
    status_code=200,
    tags=["Partner apps"],
    summary="An access token for a partner app (OAuth2 client credentials)",
    description="RFC 6749 section 4.4. Authenticate with HTTP Basic (client_secret_basic) or with "
    "client_id and client_secret in the form (client_secret_post), not both. The token is for the "
    "client's own tenant and lasts PARTNER_TOKEN_TTL_SECONDS; there is no refresh token.",
    operation_class=_TokenRequestOperation,
    exception_handlers={QueryParameterError: _query_refused},
    responses={
        200: ResponseSpec(data_container=TokenResponse, media_type=MediaType.JSON, description="The token."),
        400: _oauth_error("invalid_request, unsupported_grant_type, invalid_scope or unauthorized_client."),
        401: _oauth_error("invalid_client: unknown client, wrong secret or revoked client."),
        429: problem_spec(429, "Over a rate limit (per address, per client); Retry-After says when to retry."),
        503: problem_spec(503, "The database is unavailable or too slow for now; Retry-After says when to retry."),
    },
)
async def issue_token(request: Request[Any, Any, Any], unit_of_work: NamedDependency[UnitOfWork]) -> Response[Any]:
    try:
        answer = await _token_endpoint(request.app, unit_of_work).handle(
            await request.body(),
            request.content_type[0],
            request.headers.get("authorization"),
            client_address(request.scope),
        )
    except RateLimitedError as exc:
        raise too_many_requests(exc) from None
    headers = {name: value for name, value in answer.headers if name.lower() != "content-type"}
    return Response(answer.body, status_code=answer.status, headers=headers, media_type=MediaType.JSON)


@get(
    JWKS_PATH,
    opt=_PUBLIC,
    tags=["Partner apps"],
    summary="The public keys that sign access tokens (JWK Set)",
    # As long as a token lives: a partner that meets an unknown `kid` fetches the set again.
    cache_control=CacheControlHeader(public=True, max_age=900),
)
async def jwks(request: Request[Any, Any, Any]) -> JsonWebKeySet:
    # Through a schema that has no field for private key material, whatever the signer returns.
    return msgspec.convert(services_of(request.app).signer.public_jwks(), JsonWebKeySet)


@get(
    METADATA_PATH,
    opt=_PUBLIC,
    tags=["Partner apps"],
    summary="OAuth 2.0 authorization server metadata (RFC 8414)",
    cache_control=CacheControlHeader(public=True, max_age=3600),
)
async def authorization_server_metadata(request: Request[Any, Any, Any]) -> AuthorizationServerMetadata:
    settings = services_of(request.app).settings
    return msgspec.convert(server_metadata(settings.base_url, settings.token_issuer), AuthorizationServerMetadata)


PUBLIC_HANDLERS = [issue_token, jwks, authorization_server_metadata]


def _created(client: PartnerClient, secret: str) -> PartnerClientCreated:
    return PartnerClientCreated(
        id=client.id,
        client_id=client.client_id,
        client_secret=secret,
        name=client.name,
        scopes=list(client.scopes),
        created_at=client.created_at,
    )


_SHOWN_ONCE = "The secret is in this response only (it is stored as a hash); `Idempotency-Key` is refused."


class PartnerClientController(Controller):
    """The tenant's partner apps, for its HR admins (consultants use `crosswalk partners`)."""

    path = "/partner-clients"
    tags = ["Partner apps"]

    @post(
        "/",
        opt=_ADMIN,
        cache_control=_NO_STORE,
        summary="Register a partner app",
        description=f"Scopes: {', '.join(sorted(PARTNER_SCOPES))}. {_SHOWN_ONCE}",
    )
    async def create_partner_client(
        self,
        request: Request[Any, Any, Any],
        control_db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        data: JSONBody[PartnerClientCreate],
    ) -> PartnerClientCreated:
        idempotency.refuse_for_secrets(request)
        made = await PartnerClientService(control_db, principal.tenant.id).create(
            name=data.name, scopes=data.scopes, created_by=principal.subject
        )
        return _created(made.client, made.secret)

    @get("/", opt=_ADMIN, summary="List partner apps (never their secrets)")
    async def list_partner_clients(
        self,
        control_db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[PartnerClientRead]:
        items, next_cursor = await PartnerClientService(control_db, principal.tenant.id).list_clients(
            cursor=cursor, limit=limit
        )
        return page_of(items, next_cursor, limit, lambda c: to_schema(c, PartnerClientRead))

    @get("/{partner_client_id:uuid}", opt=_ADMIN, summary="Get a partner app (never its secret)")
    async def get_partner_client(
        self,
        control_db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        partner_client_id: FromPath[uuid.UUID],
    ) -> PartnerClientRead:
        client = await PartnerClientService(control_db, principal.tenant.id).get(partner_client_id)
        return to_schema(client, PartnerClientRead)

    @post(
        "/{partner_client_id:uuid}/rotate",
        opt=_ADMIN,
        status_code=200,
        cache_control=_NO_STORE,
        summary="Give a partner app a new secret",
        description="The replaced secret keeps working for `grace_seconds` (default "
        "PARTNER_SECRET_GRACE_SECONDS, 0 for not at all), so the partner can switch without downtime; "
        f"a secret replaced before that stops at once. {_SHOWN_ONCE}",
    )
    async def rotate_partner_client_secret(
        self,
        request: Request[Any, Any, Any],
        control_db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        partner_client_id: FromPath[uuid.UUID],
        data: JSONBody[SecretRotate | None] = None,
    ) -> SecretRotated:
        idempotency.refuse_for_secrets(request)
        grace = data.grace_seconds if data and data.grace_seconds is not None else None
        made = await PartnerClientService(control_db, principal.tenant.id).rotate(
            partner_client_id,
            grace_seconds=services_of(request.app).settings.partner_secret_grace_seconds if grace is None else grace,
        )
        return SecretRotated(
            id=made.client.id,
            client_id=made.client.client_id,
            client_secret=made.secret,
            previous_secret_expires_at=made.client.previous_secret_expires_at,
        )

    @post(
        "/{partner_client_id:uuid}/revoke",
        opt=_ADMIN,
        status_code=204,
        summary="Revoke a partner app",
        description="At once: its tokens stop working on their next call, in every API process, and it "
        "gets no new ones. The record stays, with `revoked_at`. Revoking again changes nothing.",
    )
    async def revoke_partner_client(
        self,
        request: Request[Any, Any, Any],
        control_db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        partner_client_id: FromPath[uuid.UUID],
    ) -> None:
        await PartnerClientService(control_db, principal.tenant.id).revoke(
            partner_client_id, services_of(request.app).revocations
        )
