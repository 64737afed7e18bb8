"""The partner apps (HRIS, LMS, ATS) of each tenant: a control table, looked up before any tenant is
known, when a partner asks for a token."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import ControlBase, IdMixin, TimestampMixin


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
