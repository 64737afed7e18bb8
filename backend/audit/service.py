"""Writing and reading the audit log.

Services call `record_view` (or `record_views` for a list: one entry per employee shown, in one
statement) whenever someone other than the employee sees one of their confidential signals (an
application, their aspirations, their place in a candidate list), and `record_change` when someone
changes one (an application's stage, a manager's release answer, the tenant's mobility policy). The
entry is written in the caller's transaction: a request that fails records nothing it did not show.
Only HR reads the log; nobody edits it (the tenant role may not UPDATE or DELETE it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.audit.models import AuditEvent
from backend.auth.principal import Principal
from backend.errors import PermissionDeniedError


@dataclass(frozen=True)
class Viewed:
    """One employee's signal shown: whose, and which object carried it."""

    subject_employee_id: uuid.UUID
    object_id: uuid.UUID | None
    details: dict[str, Any] = field(default_factory=dict)


def _row(
    principal: Principal,
    action: str,
    object_type: str,
    subject_employee_id: uuid.UUID | None,
    object_id: uuid.UUID | None,
    details: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "actor_subject": principal.subject[:200],
        "actor_employee_id": principal.employee_id,
        "actor_client_id": principal.client_id,
        "action": action,
        "subject_employee_id": subject_employee_id,
        "object_type": object_type,
        "object_id": object_id,
        "details": details or {},
    }


async def record_views(
    session: AsyncSession, principal: Principal, *, action: str, object_type: str, views: Sequence[Viewed]
) -> None:
    """Record what `principal` was shown, one entry per view. Views of one's own signals are not
    recorded: the log is about who else saw them."""
    rows = [
        _row(principal, action, object_type, v.subject_employee_id, v.object_id, v.details)
        for v in views
        if v.subject_employee_id != principal.employee_id
    ]
    if rows:
        await session.execute(insert(AuditEvent), rows)


async def record_view(
    session: AsyncSession,
    principal: Principal,
    *,
    subject_employee_id: uuid.UUID,
    action: str,
    object_type: str,
    object_id: uuid.UUID | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record that `principal` saw a confidential signal of `subject_employee_id` (not if it is theirs)."""
    await record_views(
        session,
        principal,
        action=action,
        object_type=object_type,
        views=[Viewed(subject_employee_id, object_id, details or {})],
    )


async def record_change(
    session: AsyncSession,
    principal: Principal,
    *,
    subject_employee_id: uuid.UUID | None,
    action: str,
    object_type: str,
    object_id: uuid.UUID | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record that `principal` changed a confidential signal (or a tenant setting that governs them).
    Recorded whoever the actor is, the employee included: it is the history of the signal."""
    await session.execute(
        insert(AuditEvent), [_row(principal, action, object_type, subject_employee_id, object_id, details)]
    )


class AuditService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(
        self,
        principal: Principal,
        *,
        subject_employee_id: uuid.UUID | None,
        actor_employee_id: uuid.UUID | None,
        actor_subject: str | None,
        action: str | None,
        since: datetime | None,
        cursor: str | None,
        limit: int,
        until: datetime | None = None,
    ) -> tuple[Sequence[AuditEvent], str | None]:
        """Oldest first; `since` and `until` bound `at` (from `since`, before `until`)."""
        if not principal.is_hr:
            raise PermissionDeniedError("only HR reads the audit log")
        query = select(AuditEvent)
        if subject_employee_id is not None:
            query = query.where(AuditEvent.subject_employee_id == subject_employee_id)
        if actor_employee_id is not None:
            query = query.where(AuditEvent.actor_employee_id == actor_employee_id)
        if actor_subject is not None:
            query = query.where(AuditEvent.actor_subject == actor_subject)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        if since is not None:
            query = query.where(AuditEvent.at >= since)
        if until is not None:
            query = query.where(AuditEvent.at < until)
        return await paginate(self.session, query, AuditEvent.id, cursor, limit)

    async def actors(self, principal: Principal) -> Sequence[uuid.UUID]:
        """The employees who appear in the log as its actors (HR's choice of whom to filter by)."""
        if not principal.is_hr:
            raise PermissionDeniedError("only HR reads the audit log")
        found = await self.session.scalars(
            select(AuditEvent.actor_employee_id).where(AuditEvent.actor_employee_id.is_not(None)).distinct()
        )
        return [actor for actor in found if actor is not None]
