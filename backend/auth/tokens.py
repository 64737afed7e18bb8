"""Signed, short-lived bearer tokens (JWT, ES256) that carry a principal."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import ECKey

from backend.auth.principal import UserRole, scopes_for
from tenants.sessions import TenantRef

AUDIENCE = "crosswalk-api"
# Where partner apps obtain tokens (backend/partners/oauth.py serves it); the edge limits it apart.
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
_LEEWAY_SECONDS = 30
_VERIFIED_CACHE_SIZE = 10_000
ALGORITHM = "ES256"


class InvalidTokenError(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    tenant_slug: str
    tenant_id: uuid.UUID
    roles: tuple[str, ...]
    scopes: tuple[str, ...]
    employee_id: uuid.UUID | None
    # Set on a partner app's token (RFC 9068 `client_id`): its revocation ends the token at once.
    client_id: str | None = None
    # Set on a portal front end's token: the (hashed) id of the SSO session it came from, so that
    # logout ends the token with the session.
    session: str | None = None
    # When the credential was issued (a token's `iat`, a session's start), in seconds since the epoch:
    # a person's credentials issued before their deactivation stay refused (backend/org/credentials.py).
    # Ignored by `mint`, which stamps the time of minting.
    issued_at: float = 0.0


def user_claims(
    tenant: TenantRef, roles: frozenset[UserRole], *, subject: str, employee_id: uuid.UUID | None = None
) -> TokenClaims:
    """The claims of a person's token: the scopes follow from the roles."""
    return TokenClaims(
        subject=subject,
        tenant_slug=tenant.slug,
        tenant_id=tenant.id,
        roles=tuple(sorted(roles)),
        scopes=tuple(sorted(scopes_for(roles))),
        employee_id=employee_id,
    )


def load_or_create_key(pem: str | None, key_file: Path) -> ECKey:
    """The signing key from settings; in development, one generated once into the data folder."""
    if pem:
        return ECKey.import_key(pem)
    return ECKey.import_key(
        read_or_create_private_file(key_file, lambda: ECKey.generate_key("P-256", private=True).as_pem(private=True))
    )


def read_or_create_private_file(path: Path, generate: Callable[[], bytes]) -> bytes:
    """A development secret kept in the data folder: read it, or generate and write it the first time."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written to a private temporary file (never world-readable, not even briefly), then linked into
    # place: of several processes starting at once, one secret wins and every process reads that one.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(generate())
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    return path.read_bytes()


class TokenSigner:
    def __init__(self, key: ECKey, issuer: str, ttl_seconds: int) -> None:
        self._key = key
        self._issuer = issuer
        self._ttl = ttl_seconds
        # Verifying ES256 costs more than serving a simple read; tokens are immutable, so a verified one
        # is remembered (in insertion order, oldest dropped first) until its expiry.
        self._verified: dict[str, tuple[TokenClaims, float]] = {}
        self._registry = jwt.JWTClaimsRegistry(
            leeway=_LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": AUDIENCE},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            tid={"essential": True},
            tenant={"essential": True},
        )

    def mint(self, claims: TokenClaims, ttl_seconds: int | None = None) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self._issuer,
            "aud": AUDIENCE,
            "sub": claims.subject,
            "tenant": claims.tenant_slug,
            "tid": str(claims.tenant_id),
            "roles": list(claims.roles),
            "scope": " ".join(claims.scopes),
            "iat": now,
            "exp": now + (self._ttl if ttl_seconds is None else ttl_seconds),
            "jti": uuid.uuid4().hex,
        }
        if claims.employee_id is not None:
            payload["emp"] = str(claims.employee_id)
        if claims.client_id is not None:
            payload["client_id"] = claims.client_id
        if claims.session is not None:
            payload["sid"] = claims.session
        header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": self.key_id}
        return jwt.encode(header, payload, self._key, [ALGORITHM])

    @property
    def key_id(self) -> str:
        return self._key.thumbprint()

    def public_jwks(self) -> dict[str, Any]:
        """The public half of the signing key as a JWK Set, for partners that verify tokens themselves."""
        public = self._key.as_dict(private=False)
        return {"keys": [{**public, "kid": self.key_id, "use": "sig", "alg": ALGORITHM}]}

    def verify(self, token: str) -> TokenClaims:
        """Verify a token; a token verified before is taken from a small cache until it expires."""
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None:
            claims, expires_at = cached
            if now < expires_at:
                return claims
            del self._verified[token]
        claims, expires_at = self._verify(token)
        if len(self._verified) >= _VERIFIED_CACHE_SIZE:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = (claims, expires_at)
        return claims

    def _verify(self, token: str) -> tuple[TokenClaims, float]:
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            self._registry.validate(decoded.claims)
            data = decoded.claims
            roles = data.get("roles", [])
            scope = data.get("scope", "")
            if not isinstance(roles, list) or not isinstance(scope, str):
                raise InvalidTokenError("malformed roles or scope claim")
            employee = data.get("emp")
            client_id = data.get("client_id")
            session = data.get("sid")
            claims = TokenClaims(
                subject=str(data["sub"]),
                tenant_slug=str(data["tenant"]),
                tenant_id=uuid.UUID(str(data["tid"])),
                roles=tuple(str(r) for r in roles),
                scopes=tuple(scope.split()),
                employee_id=uuid.UUID(str(employee)) if employee else None,
                client_id=str(client_id) if client_id else None,
                session=str(session) if session else None,
                issued_at=float(data["iat"]),
            )
            # Within the leeway the registry accepted; the cache must not keep it any longer than that.
            return claims, float(data["exp"]) + _LEEWAY_SECONDS
        except ExpiredTokenError as exc:
            raise InvalidTokenError("the bearer token has expired") from exc
        except (JoseError, ValueError, KeyError) as exc:
            # Which check failed is for our logs, not for the caller.
            raise InvalidTokenError("the bearer token is invalid") from exc
