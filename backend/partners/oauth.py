"""The OAuth2 token endpoint (RFC 6749 section 4.4, client credentials) on Authlib's server classes.

Authlib's server side is synchronous, so a request goes in four steps:
1. the clients the request names (in its Basic header or its form) are loaded with the async session;
2. the per-client rate limits are checked (before any argon2): tokens issued to the client, and its
   failed authentications, unless the request comes from an address where the client authenticated
   lately (an attacker who knows a client id cannot lock the client out from its own servers);
3. the clients travel on the `OAuth2Request` to Authlib, which runs in a worker thread when a secret
   must be checked (argon2 is CPU-bound; from an address the client has not authenticated from
   lately, within half the cores only, so that a flood of wrong secrets never queues ahead of the
   partner's own servers), and on the event loop when no named client exists (no secret to check);
   the protocol (grant type, client authentication, scope, errors) is Authlib's, and the token is
   minted by the API's one signer;
4. the outcome is counted against the limits, and a secret whose hash used older argon2 parameters
   is rehashed, back on the async session.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import parse_qsl

from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
    grants,
)
from authlib.oauth2.rfc6749.authenticate_client import ClientAuthentication
from authlib.oauth2.rfc6749.errors import InsecureTransportError
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749.util import extract_basic_authorization, scope_to_list

from backend.auth.hashing import HASHING_LIMITER, UNPROVEN_HASHING_LIMITER, in_thread
from backend.auth.principal import PARTNER_SCOPES
from backend.auth.ratelimits import Limit, RateLimiter
from backend.auth.tokens import TOKEN_PATH, TokenClaims, TokenSigner
from backend.core.unit_of_work import UnitOfWork
from backend.partners.service import PartnerAuthenticator, PartnerCredentials, check_secret, wait_like_a_refusal
from tenants.models import TenantStatus

GRANT_TYPE = "client_credentials"
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
JWKS_PATH = "/.well-known/jwks.json"
METADATA_PATH = "/.well-known/oauth-authorization-server"
_PARAMETERS = ("grant_type", "scope", "client_id", "client_secret")
# Authlib's grants log each issued token at DEBUG; access tokens must not reach logs at any level.
logging.getLogger("authlib.oauth2.rfc6749").setLevel(logging.INFO)
# RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); also what an error description
# may carry (plus spaces), so a scope that matches it is safe to echo.
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
# A client that authenticated from an address keeps getting its secret checked from there while its
# failed authentications are over their limit, for this long after its last success.
KNOWN_ADDRESS_SECONDS = 7 * 86400
_KNOWN_ADDRESS = "token-known-address"


def server_metadata(base_url: str, issuer: str) -> dict[str, Any]:
    """RFC 8414 metadata, for OAuth libraries that discover the token endpoint and the keys. The
    issuer is the tokens' `iss`, so that RFC 9068 validators find the two equal."""
    return {
        "issuer": issuer,
        "token_endpoint": base_url + TOKEN_PATH,
        "jwks_uri": base_url + JWKS_PATH,
        "grant_types_supported": [GRANT_TYPE],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "scopes_supported": sorted(PARTNER_SCOPES),
        # No authorization endpoint: client credentials is the only grant.
        "response_types_supported": [],
    }


@dataclass(frozen=True)
class TokenEndpointResponse:
    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]]


class PartnerOAuthClient(ClientMixin):
    """A partner client as Authlib sees it; `credentials` is None for a client id that does not exist,
    which still costs a secret check, so that unknown and known ids take the same time."""

    def __init__(self, client_id: str, credentials: PartnerCredentials | None, now: datetime) -> None:
        self.client_id = client_id
        self.credentials = credentials
        self.now = now
        self.rehashed: str | None = None

    @property
    def scopes(self) -> tuple[str, ...]:
        """The client's scopes that a partner may still hold (a scope taken off the allow-list since
        the client was registered is never granted)."""
        if self.credentials is None:
            return ()
        return tuple(s for s in self.credentials.scopes if s in PARTNER_SCOPES)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return ""  # no redirects in the client credentials grant

    def get_allowed_scope(self, scope: Collection[str] | str | None) -> str:
        """The granted scope: what was asked for (checked to be a subset before), or all the client's."""
        requested = set(scope_to_list(scope) or ()) if scope else set()
        return " ".join(sorted(requested & set(self.scopes) if requested else self.scopes))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        checked = check_secret(self.credentials, client_secret, self.now)
        self.rehashed = checked.rehashed
        return checked.ok

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == GRANT_TYPE


class PartnerTokenRequest(OAuth2Request):
    """A token request with the clients it names already loaded (Authlib cannot await the database)."""

    def __init__(self, uri: str, headers: Mapping[str, str], form: Mapping[str, Sequence[str]]) -> None:
        super().__init__("POST", uri, headers=headers)
        self._form = {key: values[0] for key, values in form.items() if values}
        # RFC 6749 section 3.2 forbids repeating a parameter; unknown ones are ignored (section 3.1).
        self.repeated = sorted(key for key in _PARAMETERS if len(form.get(key, ())) > 1)
        self.payload: BasicOAuth2Payload = BasicOAuth2Payload(self._form)
        # The clients the request names, by client id, loaded before Authlib runs.
        self.clients: dict[str, PartnerOAuthClient] = {}

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str | None]:
        # Credentials in a URL end up in logs; RFC 6749 wants the body.
        return {}


class PartnerClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def validate_token_request(self) -> None:
        request = cast(PartnerTokenRequest, self.request)
        if request.repeated:
            raise InvalidRequestError(f"repeated parameter: {', '.join(request.repeated)}")
        basic_id, _ = extract_basic_authorization(dict(request.headers or {}))
        if basic_id is not None and (
            "client_secret" in request.form or request.form.get("client_id", basic_id) != basic_id
        ):
            # RFC 6749 section 2.3: one authentication method per request.
            raise InvalidRequestError("use either HTTP Basic or client_secret in the body, not both")
        super().validate_token_request()
        client = cast(PartnerOAuthClient, request.client)
        assert client.credentials is not None  # authenticated
        status = client.credentials.tenant.status
        if status != TenantStatus.ACTIVE:
            raise UnauthorizedClientError(f"the organisation of this client is {status.value}")

    def validate_requested_scope(self) -> None:
        request = cast(PartnerTokenRequest, self.request)
        scope = request.payload.scope
        if not scope:
            return
        requested = scope_to_list(scope) or []
        if not all(_SCOPE_TOKEN.fullmatch(s) for s in requested):
            raise InvalidScopeError("the scope parameter is malformed")
        client = cast(PartnerOAuthClient, request.client)
        if refused := sorted(set(requested) - set(client.scopes)):
            raise InvalidScopeError(f"this client may not request: {' '.join(refused)}")


class PartnerAuthorizationServer(AuthorizationServer):
    def __init__(self, signer: TokenSigner, ttl_seconds: int) -> None:
        super().__init__(scopes_supported=sorted(PARTNER_SCOPES))
        self.signer = signer
        self.ttl_seconds = ttl_seconds
        self.register_grant(PartnerClientCredentialsGrant)
        # The stubs ask for a BearerTokenGenerator; Authlib calls any function with these keywords.
        self.register_token_generator("default", self._mint)  # type: ignore[arg-type]

    def respond(self, request: PartnerTokenRequest) -> TokenEndpointResponse:
        if not request.payload.grant_type:
            return self.error_response(InvalidRequestError("the grant_type parameter is missing"))
        return cast(TokenEndpointResponse, self.create_token_response(request))

    def error_response(self, error: OAuth2Error) -> TokenEndpointResponse:
        status, body, headers = error()
        return self.handle_response(status, body, headers)

    def _mint(
        self,
        grant_type: str,
        client: PartnerOAuthClient,
        user: object = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = False,
    ) -> dict[str, str | int]:
        credentials = client.credentials
        assert credentials is not None
        granted = client.get_allowed_scope(scope)
        claims = TokenClaims(
            subject=f"partner:{credentials.client_id}",
            tenant_slug=credentials.tenant.slug,
            tenant_id=credentials.tenant.id,
            roles=(),
            scopes=tuple(granted.split()),
            employee_id=None,
            client_id=credentials.client_id,
        )
        token = self.signer.mint(claims, ttl_seconds=self.ttl_seconds)
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.ttl_seconds, "scope": granted}

    # -- what Authlib leaves to a framework integration --

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def authenticate_client(
        self, request: OAuth2Request, methods: Collection[str], endpoint: str = "token"
    ) -> ClientMixin:
        # Authlib's own client authentication (Basic and form), over the clients loaded beforehand. An
        # id that was not loaded cannot occur, but would still be an unknown client, never None.
        clients = cast(PartnerTokenRequest, request).clients

        def query(client_id: str) -> PartnerOAuthClient:
            return clients.get(client_id) or PartnerOAuthClient(client_id, None, datetime.now(UTC))

        return ClientAuthentication(query)(request, methods, endpoint)

    def query_client(self, client_id: str) -> ClientMixin:
        raise RuntimeError("clients are loaded before the request reaches Authlib; see authenticate_client")

    def save_token(self, token: dict[str, str | int], request: OAuth2Request) -> None:
        """Nothing to store: the token is a signed JWT, and revocation goes by client."""

    def send_signal(self, name: str, *args: object, **kwargs: object) -> None:
        """No signals."""

    def handle_response(
        self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | Sequence[tuple[str, str]]
    ) -> TokenEndpointResponse:
        # Authlib passes a list of pairs (its stubs say a mapping).
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        return TokenEndpointResponse(status, dict(body), pairs)


@dataclass
class TokenEndpoint:
    """The token endpoint of one app: issues partner tokens with the API's signer."""

    unit_of_work: UnitOfWork
    signer: TokenSigner
    ttl_seconds: int
    # Authlib checks that the endpoint is reached over https (plain http only on loopback).
    token_url: str
    limiter: RateLimiter
    server: PartnerAuthorizationServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = PartnerAuthorizationServer(self.signer, self.ttl_seconds)

    async def handle(
        self, body: bytes, content_type: str, authorization: str | None, address: str
    ) -> TokenEndpointResponse:
        """Answer a token request, given its body, its media type, its Authorization header and the
        caller's address; raises RateLimitedError when a per-client limit refuses it."""
        if content_type != "application/x-www-form-urlencoded":
            return self.server.error_response(
                InvalidRequestError("send the parameters as application/x-www-form-urlencoded")
            )
        try:
            form: dict[str, list[str]] = {}
            for key, value in parse_qsl(body.decode(), keep_blank_values=True):
                form.setdefault(key, []).append(value)
        except UnicodeDecodeError:
            return self.server.error_response(InvalidRequestError("the body is not UTF-8"))
        headers = {"Authorization": authorization} if authorization else {}
        try:
            basic_id, _ = extract_basic_authorization(headers)
            request = PartnerTokenRequest(self.token_url, headers, form)
        except UnicodeDecodeError:
            return self.server.error_response(
                InvalidClientError(status_code=401, description="the Basic credentials are not UTF-8")
            )
        except InsecureTransportError as error:
            return self.server.error_response(error)
        named = {basic_id} if basic_id else set()
        if posted := request.form.get("client_id"):
            named.add(posted)
        now = datetime.now(UTC)
        async with self.unit_of_work.control() as session:
            authenticator = PartnerAuthenticator(session)
            for client_id in named:
                request.clients[client_id] = PartnerOAuthClient(client_id, await authenticator.find(client_id), now)
        known = [client for client in request.clients.values() if client.credentials is not None]
        if not known:
            # No secret to check: Authlib answers on the event loop, and the refusal comes after as
            # long as a known client's would take, on a timer rather than a core.
            response = self.server.respond(request)
            if response.status == 401:
                await wait_like_a_refusal()
            return response
        proven = False
        for client in known:
            await self.limiter.check(Limit.TOKEN_PER_CLIENT, client.client_id)
            if await self.limiter.remembers(_KNOWN_ADDRESS, f"{client.client_id} {address}"):
                proven = True
            else:
                await self.limiter.check(Limit.TOKEN_FAILURES_PER_CLIENT, client.client_id)
        hashing = HASHING_LIMITER if proven else UNPROVEN_HASHING_LIMITER
        response = await in_thread(self.server.respond, request, limiter=hashing)
        if response.status == 401:
            for client in known:
                await self.limiter.count(Limit.TOKEN_FAILURES_PER_CLIENT, client.client_id)
        issued_to = cast(PartnerOAuthClient | None, request.client) if response.status == 200 else None
        if issued_to is not None and issued_to.credentials is not None:
            await self.limiter.count(Limit.TOKEN_PER_CLIENT, issued_to.client_id)
            await self.limiter.remember(_KNOWN_ADDRESS, f"{issued_to.client_id} {address}", KNOWN_ADDRESS_SECONDS)
            if issued_to.rehashed:
                async with self.unit_of_work.control() as session:
                    await PartnerAuthenticator(session).store_rehash(issued_to.credentials, issued_to.rehashed)
        return response
