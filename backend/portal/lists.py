"""The portal's lists: a service's list read whole, a page of it from the API's cursor, and the links
between its pages (the same cursors the API answers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from backend.errors import InvalidInputError

T = TypeVar("T")
# A service's list from a cursor: its items and the next page's cursor (None on the last page).
Fetch = Callable[[str | None], Awaitable[tuple[Sequence[T], str | None]]]


async def every(fetch: Fetch[T]) -> list[T]:
    """Every page of a service's list, in order."""
    found: list[T] = []
    cursor: str | None = None
    while True:
        items, cursor = await fetch(cursor)
        found.extend(items)
        if cursor is None:
            return found


async def first(fetch: Fetch[T], wanted: Callable[[T], bool]) -> T | None:
    """The first item of a service's list that is `wanted`, reading as few pages as it takes."""
    cursor: str | None = None
    while True:
        items, cursor = await fetch(cursor)
        for item in items:
            if wanted(item):
                return item
        if cursor is None:
            return None


async def from_cursor(fetch: Fetch[T], cursor: str | None) -> tuple[Sequence[T], str | None, str | None]:
    """The page of a service's list at `cursor` (items, next cursor, the cursor read): a cursor of
    another list (or made up) gives the first page, read from cursor None."""
    try:
        items, next_cursor = await fetch(cursor or None)
    except InvalidInputError:
        items, next_cursor = await fetch(None)
        cursor = None
    return items, next_cursor, cursor


def paging(path: str, cursor: str | None, next_cursor: str | None, **query: str) -> dict[str, Any]:
    """The links between a list's pages: `next_page` (when there is one) and `first_page` (when not on
    it), keeping the list's other query (its filters, empty ones left out)."""
    kept = {name: value for name, value in query.items() if value}
    return {
        "next_page": f"{path}?{urlencode({**kept, 'cursor': next_cursor})}" if next_cursor else None,
        "first_page": (f"{path}?{urlencode(kept)}" if kept else path) if cursor else None,
    }
