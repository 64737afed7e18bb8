"""Groups that an identity provider pushes over SCIM, and who is in them."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.identifiers import ASCII_FOLD_ARGUMENTS
from tenants.base import IdMixin, TenantBase, TimestampMixin


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
