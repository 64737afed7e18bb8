"""The console's own control tables: the platform's staff, the tenants each consultant acts for,
and what consultants did (append-only)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import ControlBase, IdMixin, TimestampMixin, str_enum


class ConsoleAuditEvent(IdMixin, ControlBase):
    """One action of a platform user in the console: who, when, which tenant, what changed.

    The serving role may only SELECT and INSERT here (see tenants/provisioning.py), so not even a bug
    in the console can rewrite what a consultant did."""

    __tablename__ = "console_audit_events"
    __table_args__ = (Index("ix_console_audit_events_tenant_id_at", "tenant_id", "at"),)

    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    actor_email: Mapped[str] = mapped_column(String(320))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column()
    # e.g. "employee.update", "tenant.create", "sign_in", "sign_in_failed", "pairing_run.publish"
    action: Mapped[str] = mapped_column(String(100))
    # What was acted on: "employee 0193…", "tenant acme".
    target: Mapped[str | None] = mapped_column(String(300))
    # Field → {"from": old, "to": new} for changes; other details for other actions. Never a secret.
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


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
