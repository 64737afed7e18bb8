from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from backend.aspirations.models import OpenToMove

IdList = Annotated[list[uuid.UUID], Meta(max_length=20)]


class AspirationSet(Struct, forbid_unknown_fields=True):
    open_to_move: OpenToMove
    target_role_ids: IdList = []
    skill_ids: IdList = []


class AspirationRead(Struct):
    employee_id: uuid.UUID
    open_to_move: OpenToMove
    target_role_ids: list[uuid.UUID]
    skill_ids: list[uuid.UUID]
    updated_at: datetime | None
