"""The few steps every service repeats: fetch by id or fail, check a reference, apply a patch."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import msgspec
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.errors import ConflictError, InvalidInputError, NotFoundError
from tenants.locks import lock_tenant

M = TypeVar("M")
T = TypeVar("T")


async def get_or_404(session: AsyncSession, model: type[M], object_id: Any, what: str, *, lock: bool = False) -> M:
    """The object, locked for the transaction (FOR UPDATE) with `lock`, or NotFoundError (404)."""
    obj = await session.get(model, object_id, with_for_update=lock)
    if obj is None:
        raise NotFoundError(f"{what} {object_id} does not exist")
    return obj


async def require_reference(session: AsyncSession, model: type[Any], object_id: uuid.UUID | None, field: str) -> None:
    """A field that names another object: unknown ids are the caller's error (422), not a 404."""
    if object_id is not None and await session.get(model, object_id) is None:
        raise InvalidInputError(field, f"{field} {object_id} does not exist")


async def require_all(session: AsyncSession, model: Any, ids: Sequence[uuid.UUID], field: str) -> None:
    """A field that names several objects: the unknown ids are the caller's error (422), listed."""
    wanted = set(ids)
    if not wanted:
        return
    found = set((await session.scalars(select(model.id).where(model.id.in_(wanted)))).all())
    if missing := wanted - found:
        raise InvalidInputError(field, f"{field} has unknown ids: {', '.join(sorted(map(str, missing)))}")


async def ensure_unique(
    session: AsyncSession, model: Any, condition: ColumnElement[bool], own_id: uuid.UUID | None, message: str
) -> None:
    """Refuse (409) a value that another object of `model` already has; `own_id` is the object edited."""
    existing = await session.scalar(select(model.id).where(condition).limit(1))
    if existing is not None and existing != own_id:
        raise ConflictError(message)


def changes(patch: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually sent (msgspec.UNSET marks the ones it left out)."""
    return {f: v for f in patch.__struct_fields__ if (v := getattr(patch, f)) is not msgspec.UNSET}


def apply(obj: Any, values: dict[str, Any]) -> None:
    for field, value in values.items():
        setattr(obj, field, value)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size`: bulk writes stay within the driver's parameter limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def to_schema(obj: Any, schema: type[M]) -> M:
    return msgspec.convert(obj, schema, from_attributes=True)


async def lock_hierarchy(session: AsyncSession, name: str) -> None:
    """Serialise changes to one tenant's tree (org units, manager chain) until the transaction ends.

    A cycle check reads committed data only: two concurrent edits (A under B, B under A) would each
    pass it. Everything that moves a node takes this lock first, so the second edit sees the first.
    """
    # Requests queue for it in the process, so that a queue of them holds no pooled connections.
    await lock_tenant(session, name, queue_in_process=True)


async def ancestors(session: AsyncSession, model: Any, parent_column: str, node_id: uuid.UUID) -> set[uuid.UUID]:
    """Every node above `node_id` (its parent, the parent's parent, ...)."""
    table = model.__table__
    parent = table.c[parent_column]
    chain = select(parent.label("id")).where(table.c.id == node_id).cte("chain", recursive=True)
    chain = chain.union(select(parent).where(table.c.id == chain.c.id))
    return {row for row in (await session.scalars(select(chain.c.id))).all() if row is not None}


async def descendants(session: AsyncSession, model: Any, parent_column: str, node_id: uuid.UUID) -> set[uuid.UUID]:
    """Every node below `node_id` (its children, their children, ...)."""
    table = model.__table__
    parent = table.c[parent_column]
    tree = select(table.c.id).where(parent == node_id).cte("tree", recursive=True)
    # UNION (not UNION ALL) also ends on a loop, should one ever exist.
    tree = tree.union(select(table.c.id).where(parent == tree.c.id))
    return set((await session.scalars(select(tree.c.id))).all())


async def would_cycle(
    session: AsyncSession, model: Any, parent_column: str, node_id: uuid.UUID, new_parent_id: uuid.UUID | None
) -> bool:
    """Whether making `new_parent_id` the parent of `node_id` closes a loop (org tree, manager chain)."""
    if new_parent_id is None:
        return False
    return new_parent_id == node_id or node_id in await ancestors(session, model, parent_column, new_parent_id)


def like_pattern(text: str) -> str:
    """A user's search text as a substring pattern for ILIKE, with its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
