from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType, field

from backend.api.fields import HttpUrl

# A host name as it appears after the @ of an email address.
Domain = Annotated[
    str, Meta(min_length=3, max_length=253, pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
]
GroupName = Annotated[str, Meta(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")]
ClaimName = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_:./-]+$")]
ClientId = Annotated[str, Meta(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")]
ClientSecret = Annotated[str, Meta(min_length=1, max_length=2000, pattern=r"^[\x20-\x7e]+$")]


class RoleMapping(Struct, forbid_unknown_fields=True):
    """Which identity-provider groups grant which roles; everyone who signs in is an employee."""

    manager: list[GroupName] = []
    hr_admin: list[GroupName] = []


class IdentityProviderWrite(Struct, forbid_unknown_fields=True):
    issuer: HttpUrl
    client_id: ClientId
    allowed_domains: Annotated[list[Domain], Meta(min_length=1, max_length=50)]
    # Required the first time; leave it out later to keep the stored one.
    client_secret: ClientSecret | UnsetType = UNSET
    groups_claim: ClaimName = "groups"
    role_mapping: RoleMapping = field(default_factory=RoleMapping)
    # HR's declaration that the provider issues verified addresses only (see the README): an id_token
    # without `email_verified` is then taken as verified. Off: `email_verified: true` is required.
    provider_verifies_emails: bool = False
    enabled: bool = True


class IdentityProviderRead(Struct):
    issuer: str
    client_id: str
    # The secret itself is never returned; this says one is stored.
    client_secret_set: bool
    allowed_domains: list[str]
    groups_claim: str
    role_mapping: RoleMapping
    provider_verifies_emails: bool
    enabled: bool
    # What the company's IT registers at its identity provider.
    redirect_uri: str
    post_logout_redirect_uri: str
    login_url: str
    created_at: datetime
    updated_at: datetime


class SessionRead(Struct):
    tenant: str
    employee_id: str
    subject: str
    roles: list[str]
    scopes: list[str]


class PortalToken(Struct):
    access_token: str
    token_type: str
    expires_in: int
