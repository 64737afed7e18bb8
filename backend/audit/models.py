"""The audit log (tenant schema): one row per view or change of an employee's confidential signal.

Rows are only ever inserted: the tenant role (which the serving role becomes) may INSERT and SELECT
this table, not UPDATE or DELETE it (revoked by migration t0008). No foreign keys either: an entry
must never block, nor be removed with, what it is about.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import IdMixin, TenantBase


class AuditEvent(IdMixin, TenantBase):
    __tablename__ = "audit_events"

    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    # The caller's token subject ("employee:<id>", "partner:<client id>", ...), and who that is.
    actor_subject: Mapped[str] = mapped_column(String(200))
    actor_employee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    actor_client_id: Mapped[str | None] = mapped_column(String(100))
    # What happened, e.g. "application.viewed", "aspirations.viewed", "application.stage_changed".
    action: Mapped[str] = mapped_column(String(50), index=True)
    # The employee whose confidential signal was seen or changed (NULL: a tenant setting).
    subject_employee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
