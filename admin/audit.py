"""The console's audit log: every action of a platform user, written in the transaction of the change
it describes, so that a change and its record commit or roll back together."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from admin.models import ConsoleAuditEvent
from admin.users import Consultant
from tenants.base import new_id


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value, enc_hook=str)


# Columns that hold a secret, its hash or its ciphertext: the log says they changed, never to what.
_SECRET_MARKERS = ("secret", "password", "hash", "totp", "token")
_HIDDEN = "(hidden)"


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Field → {"from", "to"} for the fields whose value changed."""
    changes: dict[str, Any] = {}
    for key, value in after.items():
        old, new = _plain(before.get(key)), _plain(value)
        if old == new:
            continue
        if any(marker in key for marker in _SECRET_MARKERS):
            changes[key] = {"from": _HIDDEN if old is not None else None, "to": _HIDDEN}
        else:
            changes[key] = {"from": old, "to": new}
    return changes


async def record(
    session: AsyncSession,
    actor: Consultant | None,
    action: str,
    *,
    tenant_id: uuid.UUID | None = None,
    target: str | None = None,
    changes: dict[str, Any] | None = None,
    actor_email: str | None = None,
) -> None:
    """Append one event. A plain INSERT without RETURNING: the serving role (and, for changes made in a
    tenant's transaction, the tenant's role) may insert here but not read back or rewrite."""
    await session.execute(
        insert(ConsoleAuditEvent).values(
            id=new_id(),
            actor_id=actor.id if actor else None,
            actor_email=actor.email if actor else (actor_email or "unknown"),
            tenant_id=tenant_id,
            action=action,
            target=target[:300] if target else None,
            changes=_plain(changes or {}),
        )
    )
