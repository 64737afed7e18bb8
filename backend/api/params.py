"""Query parameters shared by every list route."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar.params import QueryParameter

from backend.api.pagination import MAX_LIMIT
from backend.errors import InvalidInputError

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^[A-Za-z0-9_-]{22}$", description="The `cursor` of the previous page; omit for the first page."
    ),
]
Search = Annotated[
    str | None,
    QueryParameter(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$", description="Case-insensitive substring."),
]
Moment = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$",
        description="An ISO 8601 date or date-time; without a zone it is UTC.",
    ),
]


def parse_moment(value: str | None, field: str) -> datetime | None:
    """A `Moment` query parameter as an aware datetime (Litestar's own parsing also takes epoch numbers)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInputError(field, f"{field} is not a valid date or date-time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
