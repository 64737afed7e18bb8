"""The OpenID Connect relying party: discovery, the authorization request, the code exchange and
the id_token checks, for any tenant's provider.

Authlib builds the authorization request (PKCE S256, state, nonce) and exchanges the code; joserfc
verifies the id_token against the provider's JWKS. The checks Authlib leaves to its caller are here:
the RFC 9207 `iss` response parameter, the signing algorithm against our own allow-list, `aud`/`azp`
(OIDC Core 3.1.3.7), and the refresh of the JWKS on an unknown `kid`. Every request to a provider goes
through backend/sso/outbound.py (public addresses only, size and time caps).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from backend.sso.outbound import (
    KIB,
    GuardedTransport,
    OutboundError,
    ProviderUrlPolicy,
    Resolver,
    ResponseTooLargeError,
    resolve,
)

_LEEWAY_SECONDS = 60
_DISCOVERY_TTL_SECONDS = 3600
# Keys are fetched again after this long too, so that a key the provider withdrew stops being trusted.
_JWKS_TTL_SECONDS = 3600
# An unknown kid triggers a JWKS refetch at most this often per provider, so that tokens with made-up
# key ids cannot make us hammer the provider.
_JWKS_REFETCH_INTERVAL_SECONDS = 10.0
# Asymmetric algorithms only: "none" and the HMAC family (keyed with the client secret) are refused,
# whatever a provider's discovery document advertises.
ACCEPTED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
# Every answer of a provider (discovery, keys, token response) is read within these caps.
PROVIDER_TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 256 * KIB
# An id_token larger than this is refused (groups claims grow them; Entra caps its at 200 groups).
MAX_ID_TOKEN_BYTES = 64 * KIB


class OidcError(Exception):
    """A login that cannot go on; the message is safe to show to the person signing in."""


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    iss_parameter_supported: bool
    scopes_supported: frozenset[str]
    signing_algorithms: tuple[str, ...]
    token_auth_methods: frozenset[str]


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str
    redirect_uri: str


async def check_provider_url(url: str, policy: ProviderUrlPolicy) -> None:
    """Every URL of a provider that this server fetches or sends people to must be https to a public
    address (plain http on loopback only where SSO_ALLOW_LOOPBACK_HTTP allows it): a tenant admin types
    the issuer, and the server fetches what it and its discovery document name. Checked again, with the
    connection pinned to the checked address, at every request (backend/sso/outbound.py)."""
    try:
        await policy.addresses(url)
    except OutboundError as exc:
        raise OidcError(str(exc)) from None


class RelyingParty:
    """Per-process caches of provider metadata and keys, shared by every tenant's logins. Every request
    to a provider goes through a GuardedTransport: https to checked public addresses only, with a size
    and time cap on every answer."""

    def __init__(
        self,
        *,
        allow_loopback_http: bool,
        timeout_seconds: float = PROVIDER_TIMEOUT_SECONDS,
        resolver: Resolver = resolve,
    ) -> None:
        self.policy = ProviderUrlPolicy(allow_loopback_http=allow_loopback_http, resolver=resolver)
        self._timeout_seconds = timeout_seconds
        self._http = httpx2.AsyncClient(transport=self._transport(), follow_redirects=False, timeout=timeout_seconds)
        self._metadata: dict[str, tuple[float, ProviderMetadata]] = {}
        self._jwks: dict[str, tuple[float, KeySet]] = {}

    def _transport(self) -> GuardedTransport:
        return GuardedTransport(self.policy, max_bytes=MAX_RESPONSE_BYTES, timeout_seconds=self._timeout_seconds)

    async def _get_json(self, url: str, what: str) -> Any:
        try:
            response = await self._http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()
        except OutboundError as exc:
            raise OidcError(f"{what} could not be read: {exc}") from exc
        except (httpx2.HTTPError, httpx2.InvalidURL, ValueError) as exc:
            raise OidcError(f"{what} could not be read from {url}") from exc

    async def discover(self, issuer: str, *, refresh: bool = False) -> ProviderMetadata:
        cached = self._metadata.get(issuer)
        if cached is not None and not refresh and time.monotonic() - cached[0] < _DISCOVERY_TTL_SECONDS:
            return cached[1]
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        await check_provider_url(url, self.policy)
        document = await self._get_json(url, "the identity provider's configuration")
        # OpenID Connect Discovery 4.3: the document must name exactly the issuer it was fetched for.
        if not isinstance(document, dict) or document.get("issuer") != issuer:
            raise OidcError(f"{url} does not describe the issuer {issuer}")
        advertised = document.get("id_token_signing_alg_values_supported")
        # Discovery requires the list (and RS256 in it); a provider that leaves it out signs with RS256.
        advertised = advertised if isinstance(advertised, list) else ["RS256"]
        # Our allow-list decides, whatever the provider advertises: never `none`, never HMAC.
        algorithms = tuple(a for a in ACCEPTED_ALGORITHMS if a in advertised)
        if not algorithms:
            raise OidcError(
                "the identity provider signs id_tokens with none of the accepted algorithms "
                f"({', '.join(ACCEPTED_ALGORITHMS)}); it advertises {', '.join(map(str, advertised))[:200]}"
            )
        try:
            metadata = ProviderMetadata(
                issuer=issuer,
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
                end_session_endpoint=document.get("end_session_endpoint"),
                iss_parameter_supported=bool(document.get("authorization_response_iss_parameter_supported")),
                scopes_supported=frozenset(document.get("scopes_supported") or ()),
                signing_algorithms=algorithms,
                token_auth_methods=frozenset(
                    document.get("token_endpoint_auth_methods_supported") or ("client_secret_basic",)
                ),
            )
        except KeyError as exc:
            raise OidcError(f"the identity provider's configuration lacks {exc.args[0]}") from exc
        for endpoint in (metadata.authorization_endpoint, metadata.token_endpoint, metadata.jwks_uri):
            await check_provider_url(endpoint, self.policy)
        if metadata.end_session_endpoint is not None:
            await check_provider_url(str(metadata.end_session_endpoint), self.policy)
        self._metadata[issuer] = (time.monotonic(), metadata)
        return metadata

    async def authorization_request(
        self, metadata: ProviderMetadata, client: ClientCredentials
    ) -> AuthorizationRequest:
        state, nonce, code_verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), generate_token(64)
        async with self._oauth_client(metadata, client) as oauth:
            url, _ = oauth.create_authorization_url(
                metadata.authorization_endpoint, state=state, nonce=nonce, code_verifier=code_verifier
            )
        return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=code_verifier)

    async def exchange_code(
        self, metadata: ProviderMetadata, client: ClientCredentials, *, code: str, code_verifier: str
    ) -> str:
        """The id_token of the code's token response (not yet verified)."""
        async with self._oauth_client(metadata, client) as oauth:
            try:
                token = await oauth.fetch_token(
                    metadata.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
            except ResponseTooLargeError as exc:
                raise OidcError(
                    f"the identity provider's token response is too large (over {exc.limit // KIB} KiB): "
                    "an id_token this large is refused"
                ) from exc
            except OutboundError as exc:
                raise OidcError(f"the identity provider's token endpoint could not be used: {exc}") from exc
            except OAuthError as exc:
                raise OidcError(f"the identity provider rejected the authorization code ({exc.error})") from exc
            except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
                raise OidcError("the identity provider's token endpoint could not be reached") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the identity provider returned no id_token")
        return id_token

    async def verify_id_token(
        self, metadata: ProviderMetadata, id_token: str, *, client_id: str, nonce: str
    ) -> dict[str, Any]:
        """The id_token's claims, after checking size, algorithm, signature, iss, aud, azp, exp, iat and nonce."""
        if len(id_token) > MAX_ID_TOKEN_BYTES:
            raise OidcError(
                f"the id_token is too large ({len(id_token) // KIB} KiB; at most {MAX_ID_TOKEN_BYTES // KIB} KiB)"
            )
        algorithm = _algorithm_of(id_token)
        if algorithm not in metadata.signing_algorithms:
            raise OidcError(
                f"the id_token is signed with {algorithm!r}, which is not accepted for this identity provider "
                f"({', '.join(metadata.signing_algorithms)})"
            )
        try:
            decoded = await self._decode(metadata, id_token)
        except ExpiredTokenError as exc:
            raise OidcError("the id_token has expired") from exc
        except JoseError as exc:
            raise OidcError("the id_token's signature is not valid for this identity provider") from exc
        registry = jwt.JWTClaimsRegistry(
            leeway=_LEEWAY_SECONDS,
            iss={"essential": True, "value": metadata.issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(decoded.claims)
        except ExpiredTokenError as exc:
            raise OidcError("the id_token has expired") from exc
        except JoseError as exc:
            raise OidcError(f"the id_token was not issued for this login ({exc.description})") from exc
        _check_audience(decoded.claims, client_id)
        return dict(decoded.claims)

    async def _decode(self, metadata: ProviderMetadata, id_token: str) -> jwt.Token:
        algorithms = list(metadata.signing_algorithms)
        keys = await self._keys(metadata.jwks_uri)
        try:
            return jwt.decode(id_token, keys, algorithms=algorithms)
        except InvalidKeyIdError:
            # The provider may have rotated its keys since we cached them: refetch once, then decide.
            fetched_at = self._jwks.get(metadata.jwks_uri, (0.0, keys))[0]
            if time.monotonic() - fetched_at < _JWKS_REFETCH_INTERVAL_SECONDS:
                raise
            keys = await self._keys(metadata.jwks_uri, refresh=True)
            return jwt.decode(id_token, keys, algorithms=algorithms)

    async def _keys(self, jwks_uri: str, *, refresh: bool = False) -> KeySet:
        cached = self._jwks.get(jwks_uri)
        if cached is not None and not refresh and time.monotonic() - cached[0] < _JWKS_TTL_SECONDS:
            return cached[1]
        document = await self._get_json(jwks_uri, "the identity provider's signing keys")
        try:
            keys = KeySet.import_key_set(document)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise OidcError("the identity provider's signing keys could not be read") from exc
        self._jwks[jwks_uri] = (time.monotonic(), keys)
        return keys

    async def aclose(self) -> None:
        await self._http.aclose()

    def cache_keys(self, jwks_uri: str, keys: KeySet, *, age_seconds: float = 0.0) -> None:
        """Put keys in the cache as if fetched `age_seconds` ago (tests of the rotation handling)."""
        self._jwks[jwks_uri] = (time.monotonic() - age_seconds, keys)

    def _oauth_client(self, metadata: ProviderMetadata, client: ClientCredentials) -> AsyncOAuth2Client:
        scopes = ["openid", "email", "profile"]
        if "groups" in metadata.scopes_supported:
            scopes.append("groups")
        auth_method = (
            "client_secret_basic" if "client_secret_basic" in metadata.token_auth_methods else "client_secret_post"
        )
        return AsyncOAuth2Client(
            client_id=client.client_id,
            client_secret=client.client_secret,
            scope=" ".join(scopes),
            redirect_uri=client.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method=auth_method,
            timeout=self._timeout_seconds,
            follow_redirects=False,
            # Its own guarded transport: the client closes its transport when the exchange is done.
            transport=self._transport(),
        )


def _algorithm_of(id_token: str) -> str:
    """The `alg` of a compact JWS's protected header, read before anything else is trusted."""
    try:
        header = json.loads(base64.urlsafe_b64decode(id_token.split(".", 1)[0] + "=="))
    except (ValueError, UnicodeDecodeError) as exc:
        raise OidcError("the id_token is not a signed JWT") from exc
    algorithm = header.get("alg") if isinstance(header, dict) else None
    if not isinstance(algorithm, str) or id_token.count(".") != 2:
        raise OidcError("the id_token is not a signed JWT")
    return algorithm


def _check_audience(claims: Mapping[str, Any], client_id: str) -> None:
    """OIDC Core 3.1.3.7: the token is for us alone. `aud` names our client and no other party (none is
    trusted here), and `azp`, when present (and it must be with several audiences), is our client."""
    audience = claims["aud"]
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        raise OidcError("the id_token was not issued for this login (aud)")
    others = sorted({a for a in audiences if a != client_id})
    if others:
        raise OidcError(
            f"the id_token was not issued for this login alone: it is also for {', '.join(others)[:200]}, "
            "an audience that is not trusted"
        )
    if "azp" in claims and claims["azp"] != client_id:
        raise OidcError("the id_token was not issued for this login (azp names another client)")
