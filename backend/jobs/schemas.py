from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from msgspec import Struct

from backend.core.jobs.models import JobStatus


class JobRead(Struct):
    """A background job: `progress` runs 0-100 while `running`; `error` says why a job `failed` (or why
    the last attempt of a job that is `queued` again for a retry failed)."""

    id: uuid.UUID
    kind: str
    status: JobStatus
    progress: int
    attempts: int
    error: str | None
    result: dict[str, Any] | None
    # Who asked for it (a token subject: "sso:<employee id>", "partner:<client id>", "cli:hr_admin", ...,
    # or "scheduler"), and the employee, when it was one.
    requested_by: str
    requested_by_employee_id: uuid.UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
