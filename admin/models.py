"""The console's own table: what consultants did, append-only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import ControlBase, IdMixin


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
