from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from backend.api.fields import Name
from backend.auth.principal import PARTNER_SCOPES

# Which names exist is the service's check, so that the API and the CLI refuse an unknown scope with
# the same message naming it (422).
Scopes = Annotated[
    list[str],
    Meta(
        min_length=1,
        max_length=len(PARTNER_SCOPES),
        description="Each one of: " + ", ".join(sorted(PARTNER_SCOPES)) + ".",
    ),
]
MAX_GRACE_SECONDS = 30 * 86400


class PartnerClientCreate(Struct, forbid_unknown_fields=True):
    name: Name
    scopes: Scopes


class PartnerClientCreated(Struct):
    """The only response that carries the secret: it is stored as a hash and cannot be shown again."""

    id: uuid.UUID
    client_id: str
    client_secret: str
    name: str
    scopes: list[str]
    created_at: datetime


class PartnerClientRead(Struct):
    id: uuid.UUID
    client_id: str
    name: str
    scopes: list[str]
    created_by: str
    created_at: datetime
    updated_at: datetime
    # Until then, the secret before the last rotation still works too.
    previous_secret_expires_at: datetime | None
    revoked_at: datetime | None


class SecretRotate(Struct, forbid_unknown_fields=True):
    # How long the secret being replaced keeps working (0: not at all); default PARTNER_SECRET_GRACE_SECONDS.
    grace_seconds: Annotated[int, Meta(ge=0, le=MAX_GRACE_SECONDS)] | None = None


class SecretRotated(Struct):
    id: uuid.UUID
    client_id: str
    client_secret: str
    # null when the replaced secret stopped working at once (grace_seconds 0).
    previous_secret_expires_at: datetime | None


class TokenResponse(Struct):
    """RFC 6749 section 5.1."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str


class TokenError(Struct, omit_defaults=True):
    """RFC 6749 section 5.2."""

    error: str
    error_description: str | None = None
    error_uri: str | None = None


class AuthorizationServerMetadata(Struct):
    """RFC 8414 section 2: what a partner's OAuth library discovers."""

    issuer: str
    token_endpoint: str
    jwks_uri: str
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    scopes_supported: list[str]
    response_types_supported: list[str]


class JsonWebKey(Struct, omit_defaults=True):
    kty: str
    kid: str
    use: str
    alg: str
    crv: str | None = None
    x: str | None = None
    y: str | None = None


class JsonWebKeySet(Struct):
    keys: list[JsonWebKey]
