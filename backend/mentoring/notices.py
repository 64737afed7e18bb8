"""What mentoring tells people (notifications) when something is decided about them: publishing a run
tells both members of each pair who the other is and why they were paired, and each mentee it
waitlisted their place and why; a pairing that ends (a re-match ends one too) tells its members, but
not the one who ended it. Each notice is sent once, however often the request is retried."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.mentoring.models import MenteeRequest, Pairing, PairingRun, Programme, RequestStatus, WaitlistEntry
from backend.notifications.service import (
    MENTORING_PAIRED,
    MENTORING_PAIRING_ENDED,
    MENTORING_WAITLISTED,
    Notice,
    NotificationService,
)
from backend.org.models import Employee


async def tell_published(session: AsyncSession, run: PairingRun, pairs: Sequence[Pairing]) -> None:
    """Tell both members of every pair of a just-published run, and every mentee it waitlisted."""
    waiting = (
        await session.execute(
            select(WaitlistEntry, MenteeRequest.employee_id)
            .join(MenteeRequest, MenteeRequest.id == WaitlistEntry.mentee_request_id)
            .where(WaitlistEntry.run_id == run.id, MenteeRequest.status == RequestStatus.WAITLISTED)
        )
    ).all()
    programme = await session.get_one(Programme, run.programme_id)
    names = await _names(session, [p.mentor_employee_id for p in pairs] + [p.mentee_employee_id for p in pairs])
    notices = [notice for pair in pairs for notice in _paired_notices(pair, names, programme.name)]
    notices += [_waitlisted_notice(entry, employee_id, programme.name) for entry, employee_id in waiting]
    await NotificationService(session).send_once(notices)


async def _names(session: AsyncSession, employee_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not employee_ids:
        return {}
    rows = await session.execute(select(Employee.id, Employee.full_name).where(Employee.id.in_(set(employee_ids))))
    return {employee_id: name for employee_id, name in rows}


async def tell_ended(session: AsyncSession, principal: Principal, pairing: Pairing) -> None:
    """Tell the members of a pairing that just ended, but not the member who ended it."""
    programme = await session.get_one(Programme, pairing.programme_id)
    names = await _names(session, [pairing.mentor_employee_id, pairing.mentee_employee_id])
    notices = [
        _ended_notice(pairing, member, names, programme.name)
        for member in (pairing.mentor_employee_id, pairing.mentee_employee_id)
        if member != principal.employee_id
    ]
    await NotificationService(session).send_once(notices)


def _paired_notices(pair: Pairing, names: dict[uuid.UUID, str], programme: str) -> list[Notice]:
    """What the mentor and the mentee of a published pair are told: who, and why (the pair's reasons
    are written for the mentee; the mentor reads them as such)."""
    mentor, mentee = names.get(pair.mentor_employee_id, "your mentor"), names.get(pair.mentee_employee_id, "")
    why = "; ".join(pair.reasons.get("sentences", []))
    data = {
        "programme_id": str(pair.programme_id),
        "pairing_id": str(pair.id),
        "mentor_employee_id": str(pair.mentor_employee_id),
        "mentee_employee_id": str(pair.mentee_employee_id),
        # The reasons as the API serves them (`ReasonsRead`: factors and sentences).
        "reasons": {key: pair.reasons[key] for key in ("factors", "sentences")},
        # What a page in another language writes the notice from (backend/notifications/kinds.py).
        "mentor_name": mentor,
        "mentee_name": mentee,
        "programme_name": programme,
    }
    if "statements" in pair.reasons:
        data["reason_statements"] = pair.reasons["statements"]

    def notice(recipient: uuid.UUID, role: str, title: str, body: str) -> Notice:
        return Notice(
            employee_id=recipient,
            kind=MENTORING_PAIRED,
            title=title,
            body=body,
            data={**data, "role": role},
            dedupe_key=f"{MENTORING_PAIRED}:{pair.id}:{recipient}",
        )

    return [
        notice(
            pair.mentee_employee_id,
            "mentee",
            f"{mentor} is your mentor in {programme}",
            f"{mentor} will mentor you in {programme}. Why you were paired: {why}.",
        ),
        notice(
            pair.mentor_employee_id,
            "mentor",
            f"You are {mentee}'s mentor in {programme}",
            f"You will mentor {mentee} in {programme}. Why you were paired, as {mentee} reads it: {why}.",
        ),
    ]


def _waitlisted_notice(entry: WaitlistEntry, employee_id: uuid.UUID, programme: str) -> Notice:
    return Notice(
        employee_id=employee_id,
        kind=MENTORING_WAITLISTED,
        title=f"No mentor yet in {programme}",
        body=f"You are number {entry.position} on the waitlist of {programme}. Why: {entry.reason}.",
        data={
            "run_id": str(entry.run_id),
            "mentee_request_id": str(entry.mentee_request_id),
            "position": entry.position,
            "reason_code": entry.reason_code,
            "reason": entry.reason,
            "programme_name": programme,
        },
        dedupe_key=f"{MENTORING_WAITLISTED}:{entry.run_id}:{entry.mentee_request_id}",
    )


def _ended_notice(pairing: Pairing, member: uuid.UUID, names: dict[uuid.UUID, str], programme: str) -> Notice:
    other = pairing.mentee_employee_id if member == pairing.mentor_employee_id else pairing.mentor_employee_id
    who = names.get(other, "your pair")
    reason = f" Reason: {pairing.end_reason}." if pairing.end_reason else ""
    return Notice(
        employee_id=member,
        kind=MENTORING_PAIRING_ENDED,
        title=f"Your mentoring with {who} has ended",
        body=f"Your pairing with {who} in {programme} has ended.{reason}",
        data={
            "programme_id": str(pairing.programme_id),
            "pairing_id": str(pairing.id),
            "other_employee_id": str(other),
            "reason": pairing.end_reason,
            "other_name": who,
            "programme_name": programme,
        },
        dedupe_key=f"{MENTORING_PAIRING_ENDED}:{pairing.id}:{member}",
    )
