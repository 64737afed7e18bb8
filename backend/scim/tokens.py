"""SCIM bearer tokens: the credential a tenant's identity provider provisions its people with.

A token is `scim_` plus 256 random bits, shown once when it is created; only its SHA-256 is kept.
The API (for a tenant's HR admins) and the CLI (for consultants) both go through `ScimTokenService`.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.errors import InvalidInputError, NotFoundError
from backend.scim.models import ScimToken

TOKEN_PREFIX = "scim_"  # noqa: S105 - the fixed start of every token, not a secret
# How much of a token lists show, to tell tokens apart: the fixed prefix and 7 random characters
# (42 bits), too few to help anyone guess the other 250.
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 7
MAX_NAME_LENGTH = 200


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: the row, and the token itself, which exists nowhere else."""

    row: ScimToken
    token: str


class ScimTokenService:
    """One tenant's SCIM tokens, on a control-schema session; every query filters by the tenant."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def create(self, name: str, created_by: str) -> IssuedToken:
        name = name.strip()
        if not name or len(name) > MAX_NAME_LENGTH or "\x00" in name:
            raise InvalidInputError("name", f"a token's name is 1 to {MAX_NAME_LENGTH} visible characters")
        token = new_token()
        row = ScimToken(
            tenant_id=self.tenant_id,
            name=name,
            token_hash=hash_token(token),
            token_prefix=token[:SHOWN_PREFIX_LENGTH],
            created_by=created_by,
        )
        self.session.add(row)
        await self.session.flush()
        return IssuedToken(row=row, token=token)

    async def list(self, cursor: str | None, limit: int) -> tuple[Sequence[ScimToken], str | None]:
        query = select(ScimToken).where(ScimToken.tenant_id == self.tenant_id)
        return await paginate(self.session, query, ScimToken.id, cursor, limit)

    async def revoke(self, token_id: uuid.UUID) -> ScimToken:
        """Revoke at once (the next request with it gets 401); revoking twice changes nothing."""
        row = await self.session.scalar(
            select(ScimToken).where(ScimToken.id == token_id, ScimToken.tenant_id == self.tenant_id).with_for_update()
        )
        if row is None:
            # Another tenant's token is as unknown as a token that never existed.
            raise NotFoundError(f"SCIM token {token_id} does not exist")
        if row.revoked_at is None:
            row.revoked_at = await self._now()
            await self.session.flush()
        return row

    async def _now(self) -> datetime:
        now = await self.session.scalar(select(func.now()))
        assert isinstance(now, datetime)
        return now
