"""Reading one's notifications, raising the ones of the nightly run (stale skills), and sending the
ones other services raise (the marketplace's, mentoring's)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.errors import NotFoundError
from backend.notifications.kinds import NoticeKind, check
from backend.notifications.models import Notification
from backend.org.models import Employee
from backend.skills.models import EmployeeSkill, Skill
from tenants.base import new_id_sql

STALE_SKILLS = NoticeKind.STALE_SKILLS
# The marketplace's (backend/marketplace): to a hiring manager, a new applicant or interest; to an
# applicant, a stage change; to an applicant's manager, the policy's moment to learn of the
# application and the release asked of them at offer; to the hiring manager, the manager's answer.
APPLICATION_RECEIVED = NoticeKind.APPLICATION_RECEIVED
APPLICATION_STAGE = NoticeKind.APPLICATION_STAGE
REPORT_APPLIED = NoticeKind.REPORT_APPLIED
RELEASE_REQUESTED = NoticeKind.RELEASE_REQUESTED
RELEASE_ANSWERED = NoticeKind.RELEASE_ANSWERED
# Mentoring's (backend/mentoring): to both members of each pair of a published run, their pair and why;
# to each mentee that run waitlisted, their place and why; to the members of a pairing that ends (a
# re-match ends one too), that it ended and why.
MENTORING_PAIRED = NoticeKind.MENTORING_PAIRED
MENTORING_WAITLISTED = NoticeKind.MENTORING_WAITLISTED
MENTORING_PAIRING_ENDED = NoticeKind.MENTORING_PAIRING_ENDED


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification to send; `dedupe_key` makes sending it again (a retried request) a no-op."""

    employee_id: uuid.UUID
    kind: NoticeKind
    title: str
    body: str
    data: dict[str, Any]
    dedupe_key: str


class NotificationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(
        self, employee_id: uuid.UUID, *, unread: bool | None, cursor: str | None, limit: int
    ) -> tuple[Sequence[Notification], str | None]:
        query = select(Notification).where(Notification.employee_id == employee_id)
        if unread is not None:
            query = query.where(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
        return await paginate(self.session, query, Notification.id, cursor, limit)

    async def unread_count(self, employee_id: uuid.UUID) -> int:
        """How many of the employee's notifications are unread (the portal's header shows it)."""
        query = select(func.count()).where(Notification.employee_id == employee_id, Notification.read_at.is_(None))
        return int(await self.session.scalar(query) or 0)

    async def send(
        self, employee_id: uuid.UUID, *, kind: NoticeKind, title: str, body: str, data: dict[str, Any]
    ) -> None:
        """Tell one employee something, in the caller's transaction (told only if it commits); `data`
        holds what the kind's words need (backend/notifications/kinds.py)."""
        check(kind, data)
        self.session.add(Notification(employee_id=employee_id, kind=str(kind), title=title[:200], body=body, data=data))
        await self.session.flush()

    async def send_once(self, notices: Sequence[Notice]) -> None:
        """Tell each notice's employee, in the caller's transaction, once per dedupe key: a notice whose
        key was sent before is skipped. One statement per batch, however many notices."""
        if not notices:
            return
        for notice in notices:
            check(notice.kind, notice.data)
        rows = [
            {
                "employee_id": n.employee_id,
                "kind": str(n.kind),
                "title": n.title[:200],
                "body": n.body,
                "data": n.data,
                "dedupe_key": n.dedupe_key,
            }
            for n in notices
        ]
        await self.session.execute(
            insert(Notification).on_conflict_do_nothing(index_elements=[Notification.dedupe_key]), rows
        )

    async def mark_read(self, employee_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
        notification = await self.session.get(Notification, notification_id)
        if notification is None or notification.employee_id != employee_id:
            raise NotFoundError(f"notification {notification_id} does not exist")
        if notification.read_at is None:
            notification.read_at = dt.datetime.now(dt.UTC)
            await self.session.flush()
        return notification

    async def mark_all_read(self, employee_id: uuid.UUID, *, up_to: dt.datetime | None = None) -> int:
        """Marks the employee's unread notifications read (only theirs), those created at or before
        `up_to` when given (the ones the person had in front of them); returns how many. One statement."""
        query = (
            update(Notification)
            .where(Notification.employee_id == employee_id, Notification.read_at.is_(None))
            .values(read_at=func.now())
            .returning(Notification.id)
        )
        if up_to is not None:
            query = query.where(Notification.created_at <= up_to)
        return len((await self.session.execute(query)).all())

    async def remind_stale_skills(self, today: dt.date, stale_days: int) -> int:
        """One reminder per active employee whose current skills include some not confirmed for
        `stale_days`, at most once a month; returns how many were raised. One statement, whatever
        the number of employees."""
        cutoff = today - dt.timedelta(days=stale_days)
        month = today.strftime("%Y-%m")
        stale = (
            select(
                EmployeeSkill.employee_id,
                # Distinct: several sources may rate one skill.
                func.count(EmployeeSkill.skill_id.distinct()).label("skills"),
                func.array_agg(aggregate_order_by(Skill.label.distinct(), Skill.label)).label("names"),
            )
            .join(Skill, Skill.id == EmployeeSkill.skill_id)
            .join(Employee, Employee.id == EmployeeSkill.employee_id)
            .where(EmployeeSkill.valid_to.is_(None), EmployeeSkill.last_confirmed < cutoff, Employee.active.is_(True))
            .group_by(EmployeeSkill.employee_id)
            .subquery()
        )
        rows = select(
            new_id_sql(),
            stale.c.employee_id,
            literal(STALE_SKILLS.value),
            literal("Are your skills still up to date?"),
            func.format(
                "%s of your skills were last confirmed before %s: %s. Confirm or update them.",
                stale.c.skills,
                literal(cutoff.isoformat()),
                func.array_to_string(stale.c.names[1:5], ", "),
            ),
            # What the reminder's words are written from (backend/notifications/kinds.py).
            func.jsonb_build_object(
                "skills",
                stale.c.skills,
                "confirmed_before",
                literal(cutoff.isoformat()),
                "names",
                func.to_jsonb(stale.c.names[1:5]),
            ),
            func.concat(literal(f"{STALE_SKILLS.value}:{month}:"), stale.c.employee_id),
        )
        result = await self.session.execute(
            insert(Notification)
            .from_select(["id", "employee_id", "kind", "title", "body", "data", "dedupe_key"], rows)
            .on_conflict_do_nothing(index_elements=[Notification.dedupe_key])
            .returning(Notification.id)
        )
        return len(result.all())
