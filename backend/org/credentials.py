"""Whether a person's credential still stands: every token and session of an employee ends when they
are deactivated, whichever way they are (API, SCIM, console, a script), in every process at once.

Why the database, on every request that carries an employee: the employee's row is the one record
every deactivation path writes, and a trigger stamps `credentials_revoked_at` in the same transaction
(tenant migration t0014). A Redis revocation list would be one more write for every path to remember,
and a flushed or failed-over Redis would bring every revoked token back to life for the rest of its
lifetime (up to a day for a CLI token); a per-process cache would let a deactivated person in for as
long as it keeps an entry. One indexed primary-key read in a transaction pinned to the tenant costs
less than a millisecond, paid only by callers that are people (partner apps, SCIM and admin tokens
carry no employee).

A reactivated employee signs in afresh: what was issued before the deactivation stays dead, as a
suspended account's sessions do at any serious identity provider, since a stolen token or cookie must
not come back with its owner.

The bearer middleware asks `refusal` on every request of a person; it is handed the function by the
composition root (backend/app.py), since the HTTP edge kit imports no domain.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.org.models import Employee


async def refusal(session: AsyncSession, employee_id: uuid.UUID, issued_at: float) -> str | None:
    """Why a credential issued to `employee_id` at `issued_at` (seconds since the epoch) no longer
    works, or None when it still does."""
    row = (
        await session.execute(
            select(Employee.active, Employee.credentials_revoked_at).where(Employee.id == employee_id)
        )
    ).one_or_none()
    if row is None:
        return "the credential names no employee of this company"
    active, revoked_at = row
    if not active:
        return "the employee is deactivated; their credentials no longer work"
    if ended_before(issued_at, revoked_at):
        return "the credential was issued before the employee was deactivated; sign in again"
    return None


def ended_before(issued_at: float, revoked_at: datetime | None) -> bool:
    """A credential issued at or before the revocation is over. Tokens carry whole seconds (`iat`), so
    one issued in the second of the revocation counts as before it: refusing one too many is safe."""
    return revoked_at is not None and issued_at <= revoked_at.timestamp()
