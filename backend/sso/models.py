"""A tenant's identity provider (a control table), and which identity at which provider is which
employee (the just-in-time link of an SSO login, a tenant table)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import ControlBase, IdMixin, TenantBase, TimestampMixin


class EmployeeIdentity(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "employee_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


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
