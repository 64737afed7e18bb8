"""What an employee wants next, and who may know it."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from tenants.base import TenantBase, TimestampMixin, str_enum


class OpenToMove(enum.StrEnum):
    HIDDEN = "hidden"
    HR_ONLY = "hr_only"
    HIRING_MANAGERS = "hiring_managers"


class Aspiration(TimestampMixin, TenantBase):
    __tablename__ = "aspirations"

    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    open_to_move: Mapped[OpenToMove] = mapped_column(
        str_enum(OpenToMove, "open_to_move"), default=OpenToMove.HIDDEN, server_default="hidden"
    )


class AspirationRole(TenantBase):
    __tablename__ = "aspiration_roles"

    employee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("aspirations.employee_id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id"), primary_key=True, index=True)


class AspirationSkill(TenantBase):
    __tablename__ = "aspiration_skills"

    employee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("aspirations.employee_id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skills.id"), primary_key=True, index=True)
