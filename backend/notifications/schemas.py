from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from msgspec import Struct


class NotificationRead(Struct):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None
