"""The tenancy kernel's table: who the tenants are and where their data lives.

The other control tables live with the domains that use them: identity providers in
backend/sso/models.py, partner clients in backend/partners/models.py, SCIM tokens in
backend/scim/models.py, platform users and their assignments in admin/models.py."""

from __future__ import annotations

import enum

from sqlalchemy import String
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
