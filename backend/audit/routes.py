from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import DEFAULT_LIMIT, Page, page_of
from backend.api.params import Cursor, Limit, Moment, parse_moment
from backend.audit.schemas import AuditEventRead
from backend.audit.service import AuditService
from backend.auth.principal import Principal, Scope
from backend.crud import to_schema

Name = Annotated[str | None, QueryParameter(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]


class AuditEventController(Controller):
    path = "/audit-events"
    tags = ["Audit"]

    @get(
        "/",
        opt={"scope": Scope.AUDIT_READ},
        summary="The audit log of confidential views and changes, oldest first (HR)",
        description="One entry per employee signal seen or changed by someone: `action` such as "
        "`application.viewed`, `aspirations.viewed`, `application.stage_changed`, `aspirations.changed`, "
        "`matching_weights.changed`; `subject_employee_id` is whose signal it was. `since` and `until` bound when "
        "(from `since`, before `until`). The log cannot be edited.",
    )
    async def list_audit_events(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        subject_employee_id: FromQuery[uuid.UUID | None] = None,
        actor_employee_id: FromQuery[uuid.UUID | None] = None,
        actor_subject: Name = None,
        action: Annotated[str | None, QueryParameter(min_length=1, max_length=50, pattern=r"^[a-z_.]+$")] = None,
        since: Moment = None,
        until: Moment = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[AuditEventRead]:
        items, next_cursor = await AuditService(db).list(
            principal,
            subject_employee_id=subject_employee_id,
            actor_employee_id=actor_employee_id,
            actor_subject=actor_subject,
            action=action,
            since=parse_moment(since, "since"),
            until=parse_moment(until, "until"),
            cursor=cursor,
            limit=limit,
        )
        return page_of(items, next_cursor, limit, lambda e: to_schema(e, AuditEventRead))
