from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from msgspec import Struct


class AuditEventRead(Struct):
    id: uuid.UUID
    at: datetime
    actor_subject: str
    actor_employee_id: uuid.UUID | None
    actor_client_id: str | None
    action: str
    subject_employee_id: uuid.UUID | None
    object_type: str
    object_id: uuid.UUID | None
    details: dict[str, Any]
