"""Marketplace tables (tenant schema): opportunity types, opportunities with their skills and
visibility, applications with their stage history, the tenant's mobility policy, manager releases
with their answers, and the moves that hires make.

An opportunity moves draft -> open -> closed or filled (a closed one may be reopened); an
application moves through the stages of `backend.marketplace.applications.TRANSITIONS`.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.framework.models import Importance
from tenants.base import IdMixin, TenantBase, TimestampMixin, str_enum


class OpportunityKind(enum.StrEnum):
    ROLE = "role"
    GIG = "gig"
    PROJECT = "project"
    # One of the tenant's own types (rotation, volunteer, fellowship, ...): `type_id` names it.
    CUSTOM = "custom"


class OpportunityStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    FILLED = "filled"


class ApplicationKind(enum.StrEnum):
    APPLICATION = "application"
    # A lighter signal ("I'm interested"), at stage `interested`; applying again converts it.
    INTEREST = "interest"


class ApplicationStage(enum.StrEnum):
    INTERESTED = "interested"
    APPLIED = "applied"
    SCREENING = "screening"
    INTERVIEW = "interview"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


# Where an application has ended (no move leads on from these: `applications.TRANSITIONS`), and where
# it is still in play.
FINAL_STAGES = frozenset({ApplicationStage.HIRED, ApplicationStage.REJECTED, ApplicationStage.WITHDRAWN})
LIVE_STAGES = frozenset(ApplicationStage) - FINAL_STAGES


class ManagerNotice(enum.StrEnum):
    """When the applicant's current manager is told of an application."""

    AT_APPLICATION = "at_application"
    AT_OFFER = "at_offer"
    NEVER_BEFORE_MOVE = "never_before_move"


class ReleaseStatus(enum.StrEnum):
    PENDING = "pending"
    RELEASED = "released"
    DELAYED = "delayed"
    BLOCKED = "blocked"
    OVERRIDDEN = "overridden"
    # The deadline passed without an answer when the hire happened: released by default.
    LAPSED = "lapsed"
    # The application left the offer stage (rejected, withdrawn) before the release was settled.
    CANCELLED = "cancelled"


class ReleaseAction(enum.StrEnum):
    REQUESTED = "requested"
    RELEASE = "release"
    DELAY = "delay"
    BLOCK = "block"
    OVERRIDE = "override"
    LAPSED = "lapsed"
    CANCELLED = "cancelled"


class ReleaseOutcome(enum.StrEnum):
    """How a move got past the manager release (kept on the move, for mobility analytics)."""

    RELEASED = "released"
    LAPSED = "lapsed"
    OVERRIDDEN = "overridden"
    # No manager, or the applicant's manager is the hiring manager.
    NOT_NEEDED = "not_needed"
    # The policy keeps the manager uninformed until the move, so no release was asked.
    NOT_ASKED = "not_asked"


class OpportunityType(IdMixin, TimestampMixin, TenantBase):
    """A tenant-defined kind of opportunity (rotation, volunteer, fellowship, ...)."""

    __tablename__ = "opportunity_types"
    __table_args__ = (Index("uq_opportunity_types_name_lower", text("lower(name)"), unique=True),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    # Retired types stay (openings and moves name them) but take no new openings.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")


class Opportunity(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "opportunities"
    __table_args__ = (
        # The service checks these first and names the field; the database is the last word.
        CheckConstraint("kind <> 'role' OR role_id IS NOT NULL", name="role_needs_role_id"),
        CheckConstraint("kind NOT IN ('gig', 'project') OR role_id IS NULL", name="gig_has_no_role_id"),
        CheckConstraint("(kind = 'custom') = (type_id IS NOT NULL)", name="custom_needs_type"),
        CheckConstraint(
            "kind NOT IN ('gig', 'project') OR (hours_per_week IS NOT NULL AND duration_weeks IS NOT NULL)",
            name="gig_needs_hours",
        ),
        CheckConstraint(
            "kind <> 'role' OR (hours_per_week IS NULL AND duration_weeks IS NULL)", name="role_has_no_hours"
        ),
        CheckConstraint("hours_per_week BETWEEN 1 AND 80", name="hours_range"),
        CheckConstraint("duration_weeks BETWEEN 1 AND 260", name="duration_range"),
        CheckConstraint("positions BETWEEN 1 AND 1000", name="positions_range"),
        CheckConstraint("level BETWEEN 1 AND 10", name="level_range"),
        CheckConstraint("min_level BETWEEN 1 AND 10", name="min_level_range"),
        CheckConstraint("max_level BETWEEN 1 AND 10", name="max_level_range"),
        CheckConstraint("min_level <= max_level", name="level_bounds_order"),
        CheckConstraint("closes_at > opens_at", name="window"),
    )

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[OpportunityKind] = mapped_column(str_enum(OpportunityKind, "opportunity_kind"))
    type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("opportunity_types.id"), index=True)
    role_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("roles.id"), index=True)
    # The department (or any unit) the opening belongs to.
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    hiring_manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("employees.id"), index=True)
    location: Mapped[str | None] = mapped_column(String(200))
    remote: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    hours_per_week: Mapped[int | None] = mapped_column(Integer)
    duration_weeks: Mapped[int | None] = mapped_column(Integer)
    positions: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    level: Mapped[int | None] = mapped_column(Integer)
    # Visibility by level: only people whose level is within the bounds see it (NULL: no bound).
    min_level: Mapped[int | None] = mapped_column(Integer)
    max_level: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[OpportunityStatus] = mapped_column(
        str_enum(OpportunityStatus, "opportunity_status"), default=OpportunityStatus.DRAFT, index=True
    )
    # When an open opening appears to employees, and until when it takes applications.
    opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    filled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who created it (`Principal.actor`: an employee, a partner app, an admin tool), and the employee,
    # when it was one (the creator of an opening manages it with its hiring manager).
    created_by: Mapped[str] = mapped_column(String(200))
    created_by_employee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("employees.id"), index=True)


class OpportunitySkill(TenantBase):
    """A skill an opening asks for; `nice_to_have` ones are the nice-to-have skills."""

    __tablename__ = "opportunity_skills"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    opportunity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skills.id"), primary_key=True, index=True)
    level: Mapped[int] = mapped_column(Integer)
    importance: Mapped[Importance] = mapped_column(str_enum(Importance, "importance"))


class OpportunityVisibilityUnit(TenantBase):
    """An org unit whose people (its descendants' too) may see the opening; none: the whole company."""

    __tablename__ = "opportunity_visibility_units"

    opportunity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True
    )
    org_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_units.id"), primary_key=True, index=True)


class Application(IdMixin, TimestampMixin, TenantBase):
    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("opportunity_id", "employee_id"),)

    opportunity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("opportunities.id"), index=True)
    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    kind: Mapped[ApplicationKind] = mapped_column(str_enum(ApplicationKind, "application_kind"))
    stage: Mapped[ApplicationStage] = mapped_column(str_enum(ApplicationStage, "application_stage"), index=True)
    # The applicant's own message to the hiring manager.
    note: Mapped[str | None] = mapped_column(Text)
    stage_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The opening's hiring manager when the applicant applied (or turned an interest into an
    # application): the one person of their management chain they chose to tell. Anyone else of the
    # chain named hiring manager later joins the hiring side of it only at the policy's moment.
    addressed_to_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("employees.id"))
    # When the applicant's management chain was told (the policy's moment); NULL: they may not see it.
    manager_informed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    informed_manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("employees.id"))
    hired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApplicationEvent(IdMixin, TenantBase):
    """One step of an application's history (its creation has no `from_stage`)."""

    __tablename__ = "application_events"

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    # Two enum columns of one table need two constraint names.
    from_stage: Mapped[ApplicationStage | None] = mapped_column(str_enum(ApplicationStage, "from_stage"))
    to_stage: Mapped[ApplicationStage] = mapped_column(str_enum(ApplicationStage, "to_stage"))
    by_subject: Mapped[str] = mapped_column(String(200))
    by_employee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("employees.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The author's note: the hiring side's stays with the hiring side, the applicant's with the
    # applicant and the hiring side.
    note: Mapped[str | None] = mapped_column(Text)
    # What the hiring side chose to tell the applicant (the reason of a rejection).
    reason_shared: Mapped[str | None] = mapped_column(Text)


class MobilityPolicy(TenantBase):
    """The tenant's confidentiality settings; one row, absent until HR changes the defaults."""

    __tablename__ = "mobility_policy"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("release_days BETWEEN 1 AND 90", name="release_days_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    manager_notice: Mapped[ManagerNotice] = mapped_column(str_enum(ManagerNotice, "manager_notice"))
    release_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Who set it (`Principal.actor`).
    updated_by: Mapped[str] = mapped_column(String(200))


class ManagerRelease(IdMixin, TimestampMixin, TenantBase):
    """The applicant's manager asked, at offer, to let them go: answered by a deadline."""

    __tablename__ = "manager_releases"

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), unique=True)
    manager_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    status: Mapped[ReleaseStatus] = mapped_column(str_enum(ReleaseStatus, "release_status"), index=True)
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The day the manager lets the employee go (with a release).
    release_on: Mapped[date | None] = mapped_column(Date)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ManagerReleaseEvent(IdMixin, TenantBase):
    """Every answer to a release (and its request, lapse or cancellation): who delayed or blocked a
    move, when, and why."""

    __tablename__ = "manager_release_events"

    release_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("manager_releases.id", ondelete="CASCADE"), index=True)
    action: Mapped[ReleaseAction] = mapped_column(str_enum(ReleaseAction, "release_action"))
    by_subject: Mapped[str] = mapped_column(String(200))
    by_employee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("employees.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The deadline after this answer (a delay moves it).
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    release_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)


class Move(IdMixin, TenantBase):
    """A hire through the marketplace: who moved from where to where, and when it takes effect. A
    move into a role (an opening of kind `role`) rewrites the employee's role, title, level and org
    unit on its effective date (`applied_at`); gigs, projects and the tenant's own kinds sit beside
    the person's job and leave the record alone."""

    __tablename__ = "moves"

    employee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employees.id"), index=True)
    opportunity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("opportunities.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), unique=True)
    kind: Mapped[OpportunityKind] = mapped_column(str_enum(OpportunityKind, "opportunity_kind"))
    type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("opportunity_types.id"))
    from_role_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("roles.id"))
    to_role_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("roles.id"))
    from_org_unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_units.id"))
    to_org_unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_units.id"))
    from_title: Mapped[str | None] = mapped_column(String(200))
    to_title: Mapped[str | None] = mapped_column(String(200))
    from_level: Mapped[int | None] = mapped_column(Integer)
    to_level: Mapped[int | None] = mapped_column(Integer)
    # Whether the move rewrites the employee's record, and when it did (NULL: not yet, or never).
    updates_employee: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    release: Mapped[ReleaseOutcome] = mapped_column(str_enum(ReleaseOutcome, "release_outcome"))
    effective_on: Mapped[date] = mapped_column(Date)
    moved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
