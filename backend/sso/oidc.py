"""The OpenID Connect relying party: discovery, the authorization request, the code exchange and the
id_token checks, for any tenant's provider.

Authlib builds the authorization request (PKCE S256, state, nonce) and exchanges the code; joserfc
verifies the id_token against the provider's JWKS. The checks Authlib leaves to its caller are here:
the RFC 9207 `iss` response parameter, `aud`/`azp`, and the refresh of the JWKS on an unknown `kid`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

_LEEWAY_SECONDS = 60
_DISCOVERY_TTL_SECONDS = 3600
# Keys are fetched again after this long too, so that a key the provider withdrew stops being trusted.
_JWKS_TTL_SECONDS = 3600
# An unknown kid triggers a JWKS refetch at most this often per provider, so that tokens with made-up
# key ids cannot make us hammer the provider.
_JWKS_REFETCH_INTERVAL_SECONDS = 10.0
# Asymmetric algorithms only: "none" and the HMAC family (keyed with the client secret) are refused.
_ACCEPTED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


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


_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


async def check_provider_url(url: str, *, local_providers: bool) -> None:
    """Every URL of a provider that this server fetches or sends people to must be https, and must not
    lead into the server's own networks: a tenant admin types the issuer, and the server fetches what
    it and its discovery document name. Outside production (`local_providers`), plain http to a
    provider on this machine is allowed, for the demo's and the tests' local provider."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise OidcError(f"{url!r} is not a valid URL") from exc
    if not host:
        raise OidcError(f"{url!r} names no host")
    if local_providers:
        if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK_HOSTS):
            raise OidcError(f"the provider's URLs must be https (plain http only on loopback): {url}")
        return
    if parts.scheme != "https":
        raise OidcError(f"the provider's URLs must be https: {url}")
    try:
        addresses = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OidcError(f"the provider's host {host!r} cannot be resolved") from exc
    for *_, sockaddr in addresses:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global:
            raise OidcError(f"the provider's host {host!r} is not on the public internet")


class RelyingParty:
    """Per-process caches of provider metadata and keys, shared by every tenant's logins."""

    def __init__(self, http: httpx2.AsyncClient, *, local_providers: bool) -> None:
        self._http = http
        self._local_providers = local_providers
        self._metadata: dict[str, tuple[float, ProviderMetadata]] = {}
        self._jwks: dict[str, tuple[float, KeySet]] = {}

    async def discover(self, issuer: str, *, refresh: bool = False) -> ProviderMetadata:
        cached = self._metadata.get(issuer)
        if cached is not None and not refresh and time.monotonic() - cached[0] < _DISCOVERY_TTL_SECONDS:
            return cached[1]
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        await check_provider_url(url, local_providers=self._local_providers)
        try:
            response = await self._http.get(url)
            response.raise_for_status()
            document = response.json()
        except (httpx2.HTTPError, httpx2.InvalidURL, ValueError) as exc:
            raise OidcError(f"the identity provider's configuration could not be read from {url}") from exc
        # OpenID Connect Discovery 4.3: the document must name exactly the issuer it was fetched for.
        if not isinstance(document, dict) or document.get("issuer") != issuer:
            raise OidcError(f"{url} does not describe the issuer {issuer}")
        try:
            metadata = ProviderMetadata(
                issuer=issuer,
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
                end_session_endpoint=document.get("end_session_endpoint"),
                iss_parameter_supported=bool(document.get("authorization_response_iss_parameter_supported")),
                scopes_supported=frozenset(document.get("scopes_supported") or ()),
                signing_algorithms=tuple(
                    a
                    for a in document.get("id_token_signing_alg_values_supported") or ("RS256",)
                    if a in _ACCEPTED_ALGORITHMS
                ),
                token_auth_methods=frozenset(
                    document.get("token_endpoint_auth_methods_supported") or ("client_secret_basic",)
                ),
            )
        except KeyError as exc:
            raise OidcError(f"the identity provider's configuration lacks {exc.args[0]}") from exc
        for endpoint in (metadata.authorization_endpoint, metadata.token_endpoint, metadata.jwks_uri):
            await check_provider_url(endpoint, local_providers=self._local_providers)
        if metadata.end_session_endpoint is not None:
            await check_provider_url(metadata.end_session_endpoint, local_providers=self._local_providers)
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
        """The id_token's claims, after checking signature, iss, aud, azp, exp, iat and nonce."""
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
        audience = decoded.claims["aud"]
        # OIDC Core 3.1.3.7: with several audiences, the authorized party must be us.
        if isinstance(audience, list) and len(audience) > 1 and decoded.claims.get("azp") != client_id:
            raise OidcError("the id_token was not issued for this login (azp)")
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
        try:
            response = await self._http.get(jwks_uri)
            response.raise_for_status()
            keys = KeySet.import_key_set(response.json())
        except (httpx2.HTTPError, httpx2.InvalidURL, ValueError, JoseError) as exc:
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
            timeout=10.0,
        )
