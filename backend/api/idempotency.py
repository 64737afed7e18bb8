"""`Idempotency-Key` on creating POSTs: a retried request gets the first response, not a duplicate.

The stored response is written by the same transaction that creates the object, so either both
exist or neither does; a concurrent duplicate loses on the primary key and gets 409.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Request, Response
from litestar.exceptions import ClientException
from litestar.serialization import encode_json
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.context import current_state
from backend.api.models import IdempotencyRecord
from backend.auth.principal import Principal
from backend.errors import ConflictError, InvalidInputError

HEADER = "idempotency-key"
RETENTION = timedelta(hours=24)
_PENDING = "idempotency_pending"
_CAPTURED = "idempotency_response"


def refuse_for_secrets(request: Request[Any, Any, Any]) -> None:
    """For POSTs whose response carries a secret shown once (partner secrets, SCIM tokens): a replay
    would have to store that response, secret and all, so a key is refused rather than ignored."""
    if HEADER in request.headers:
        raise ClientException(
            "Idempotency-Key is not supported here: the response carries a secret that is shown once and "
            "never stored; if a response was lost, list what exists and revoke the one nobody holds"
        )


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    content_type: str
    body: bytes


class IdempotentReplay(Exception):
    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("replay")
        self.stored = stored


@dataclass(frozen=True)
class _Pending:
    key: str
    request_hash: str


async def check(session: AsyncSession, request: Request[Principal, Any, Any]) -> None:
    """Before the handler: replay a stored response, refuse a reused key, or note the key."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return
    if not 1 <= len(key) <= 255:
        raise InvalidInputError("Idempotency-Key", "the Idempotency-Key header must be 1 to 255 characters")
    body = await request.body()
    request_hash = hashlib.sha256(request.method.encode() + b" " + request.url.path.encode() + b"\n" + body).hexdigest()
    subject = request.user.subject
    # Expired keys of this caller go first, which keeps the table bounded without a sweeper.
    await session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.subject == subject, IdempotencyRecord.created_at < func.now() - RETENTION
        )
    )
    record = await session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.subject == subject, IdempotencyRecord.key == key)
    )
    if record is not None:
        if record.request_hash != request_hash:
            raise ConflictError("this Idempotency-Key was already used for a different request")
        # Copied out: the session is rolled back and closed before the replay is rendered.
        raise IdempotentReplay(StoredResponse(record.status_code, record.content_type, record.body))
    request.scope.setdefault("state", {})[_PENDING] = _Pending(key, request_hash)


async def capture(response: Response[Any]) -> Response[Any]:
    """After the handler (an after_request hook): keep the body of a successful keyed POST. Async so
    that Litestar runs it on the loop, not in a thread per request."""
    state = current_state()
    if state is not None and _PENDING in state and 200 <= (response.status_code or 0) < 300:
        state[_CAPTURED] = (response.status_code, response.media_type, encode_json(response.content))
    return response


def record(session: AsyncSession, request: Request[Principal, Any, Any]) -> None:
    """Before commit: store the captured response in the handler's own transaction."""
    state = request.scope.get("state", {})
    pending = state.get(_PENDING)
    captured = state.get(_CAPTURED)
    if pending is None or captured is None:
        return
    status_code, media_type, body = captured
    session.add(
        IdempotencyRecord(
            subject=request.user.subject,
            key=pending.key,
            request_hash=pending.request_hash,
            status_code=status_code,
            content_type=str(media_type),
            body=body,
        )
    )


def replay_response(request: Request[Any, Any, Any], exc: IdempotentReplay) -> Response[bytes]:
    return Response(
        exc.stored.body,
        status_code=exc.stored.status_code,
        media_type=exc.stored.content_type,
        headers={"Idempotent-Replayed": "true"},
    )
