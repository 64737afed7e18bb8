"""Which identity at which provider is which employee (the just-in-time link of an SSO login)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import IdMixin, TenantBase, TimestampMixin


class EmployeeIdentity(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "employee_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
