"""Cursor pagination over UUIDv7 ids (ordered by creation), opaque to clients."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, overload

import msgspec
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from backend.errors import InvalidInputError

T = TypeVar("T")
R = TypeVar("R")


class Page(msgspec.Struct, Generic[T]):
    """One page of a list. Pass `cursor` back for the next page; it is null on the last page."""

    items: list[T]
    results_per_page: int
    cursor: str | None


DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, binascii.Error) as exc:
        raise InvalidInputError("cursor", "the cursor is not one this API returned") from exc


async def paginate(
    session: AsyncSession,
    query: Select[*tuple[Any, ...]],
    id_column: InstrumentedAttribute[uuid.UUID],
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Any], str | None]:
    """One page of `query` after `cursor`; the next cursor is None on the last page. A query of one
    entity pages its objects; a query of several columns (an entity and what is joined to it) pages
    its rows, by the first column's entity."""
    if cursor:
        query = query.where(id_column > decode_cursor(cursor))
    result = await session.execute(query.order_by(id_column).limit(limit + 1))
    single = len(query.column_descriptions) == 1
    rows: list[Any] = list(result.scalars().all() if single else result.all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1] if single else rows[-1][0]
    return rows, encode_cursor(getattr(last, id_column.key))


@overload
def page_of(items: Sequence[T], next_cursor: str | None, limit: int) -> Page[T]: ...
@overload
def page_of(items: Sequence[R], next_cursor: str | None, limit: int, to_schema: Callable[[R], T]) -> Page[T]: ...
def page_of(
    items: Sequence[Any], next_cursor: str | None, limit: int, to_schema: Callable[[Any], Any] | None = None
) -> Page[Any]:
    """The page a route answers: items a service built as read models go as they are; rows (ORM
    objects) are mapped by `to_schema`."""
    answered = list(items) if to_schema is None else [to_schema(i) for i in items]
    return Page(items=answered, results_per_page=limit, cursor=next_cursor)
