"""The tokens an identity provider provisions a tenant with (a control table), and the groups it
pushes over SCIM and who is in them (tenant tables)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.identifiers import ASCII_FOLD_ARGUMENTS
from tenants.base import ControlBase, IdMixin, TenantBase, TimestampMixin


class DirectoryGroup(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "directory_groups"
    # Unique as compared: exactly, but for the case of ASCII letters (backend/identifiers.py).
    __table_args__ = (
        Index(
            "uq_directory_groups_display_name_folded",
            text(f"translate(display_name, {ASCII_FOLD_ARGUMENTS})"),
            unique=True,
        ),
    )

    display_name: Mapped[str] = mapped_column(String(255))
    scim_external_id: Mapped[str | None] = mapped_column(String(255), unique=True)


class DirectoryGroupMember(TenantBase):
    __tablename__ = "directory_group_members"

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directory_groups.id", ondelete="CASCADE"), primary_key=True)
    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), primary_key=True, index=True)


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
