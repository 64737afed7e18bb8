"""Control-plane tables: who the tenants are, where they live, and who may act for them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import ControlBase, IdMixin, TimestampMixin, str_enum


class TenantStatus(enum.StrEnum):
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"


class Tenant(IdMixin, TimestampMixin, ControlBase):
    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[TenantStatus] = mapped_column(
        str_enum(TenantStatus, "tenant_status"),
        default=TenantStatus.PROVISIONING,
    )
    # Which database cluster holds the tenant's schema; see PLACEMENTS in the README.
    placement: Mapped[str] = mapped_column(String(63), default="default")
    schema_name: Mapped[str] = mapped_column(String(63), unique=True)
    role_name: Mapped[str] = mapped_column(String(63), unique=True)


class IdentityProvider(IdMixin, TimestampMixin, ControlBase):
    """A tenant's OpenID Connect provider: its people sign in to the portal through it."""

    __tablename__ = "identity_providers"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), unique=True)
    # The issuer identifier; endpoints and keys are discovered from its openid-configuration.
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    # Encrypted with SECRETS_KEY (Fernet); never returned by any API.
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    # Only people whose verified email is in one of these domains may be linked or created.
    allowed_domains: Mapped[list[str]] = mapped_column(ARRAY(String(253)), default=list)
    # Which id_token claim carries group names, and which group names grant which roles,
    # e.g. {"manager": ["people-leads"], "hr_admin": ["hr"]}; everyone who signs in is an employee.
    groups_claim: Mapped[str] = mapped_column(String(100), default="groups")
    role_mapping: Mapped[dict[str, list[str]]] = mapped_column(JSONB, default=dict)
    # HR's declaration that this provider only ever issues verified addresses (its directory owns them),
    # so that an id_token without `email_verified` (Entra ID sends none) is taken as verified. Off: a
    # sign-in needs `email_verified: true`. An explicit `false` is never verified.
    provider_verifies_emails: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class PartnerClient(IdMixin, TimestampMixin, ControlBase):
    """A partner app (HRIS, LMS, ATS) that calls one tenant's API with OAuth2 client credentials."""

    __tablename__ = "partner_clients"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    # argon2id hashes; the secret itself is shown once, when it is created or rotated.
    secret_hash: Mapped[str] = mapped_column(Text)
    # After a rotation the previous secret keeps working until previous_secret_expires_at.
    previous_secret_hash: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ScimToken(IdMixin, TimestampMixin, ControlBase):
    """The bearer token an identity provider uses to provision one tenant's people over SCIM."""

    __tablename__ = "scim_tokens"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the token: the token is 256 random bits, so a slow hash would add nothing but cost
    # on every SCIM request. The first characters are kept to tell tokens apart in lists.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(200))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PlatformRole(enum.StrEnum):
    """Platform staff: consultants act for the tenants assigned to them, superadmins for every tenant."""

    CONSULTANT = "consultant"
    SUPERADMIN = "superadmin"


class PlatformUser(IdMixin, TimestampMixin, ControlBase):
    """Someone of the platform's own staff who signs in to the consultants' console."""

    __tablename__ = "platform_users"

    # Lower-cased; the platform's identity provider names people by it (a verified email claim).
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[PlatformRole] = mapped_column(str_enum(PlatformRole, "platform_role"), default=PlatformRole.CONSULTANT)
    # The password-and-TOTP sign-in (the dev run's fallback): an argon2id hash, and the TOTP seed
    # encrypted with SECRETS_KEY. Both NULL for people who sign in only through the platform's IdP.
    password_hash: Mapped[str | None] = mapped_column(Text)
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    # The last accepted TOTP time step, so that one code cannot be replayed within its window.
    totp_last_step: Mapped[int | None] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __str__(self) -> str:
        return self.email


class ConsultantAssignment(IdMixin, TimestampMixin, ControlBase):
    """A tenant a consultant may see and change in the console."""

    __tablename__ = "consultant_assignments"
    __table_args__ = (UniqueConstraint("platform_user_id", "tenant_id"),)

    platform_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("platform_users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str] = mapped_column(String(320))
