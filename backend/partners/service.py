"""Partner apps of a tenant: their OAuth2 client credentials, and checking those credentials.

A secret is shown once, when it is made, and stored only as an argon2id hash. The tenant of a client
is fixed when it is created; a token issued to the client is always for that tenant.
"""

from __future__ import annotations

import functools
import secrets
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
import anyio.to_thread
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.auth.hashing import HASHER, in_thread, verify
from backend.auth.principal import PARTNER_SCOPES, Scope
from backend.auth.revocations import ClientRevocations
from backend.errors import ConflictError, DomainError, InvalidInputError, NotFoundError
from backend.partners.models import PartnerClient
from tenants.models import Tenant, TenantStatus
from tenants.registry import tenant_ref
from tenants.sessions import TenantRef

CLIENT_ID_PREFIX = "pc_"
# Recognisable in a leaked log or repository, so that secret scanners and people can tell what it is.
SECRET_PREFIX = "cwpsec_"  # noqa: S105 - a prefix, not a secret
_CLIENT_ID_MAX = 64  # the column's length


class PartnerAuthenticationError(DomainError):
    """Unknown client, wrong secret, or revoked client: the caller is not told which."""


class PartnerTenantUnavailableError(DomainError):
    """The credentials are right, but the client's tenant is suspended, archived or still provisioning."""


@dataclass(frozen=True)
class NewSecret:
    client: PartnerClient
    secret: str


@dataclass(frozen=True)
class PartnerCredentials:
    """What checking a client's secret needs, copied out of the session so another thread may read it."""

    id: uuid.UUID
    client_id: str
    tenant: TenantRef
    scopes: tuple[str, ...]
    secret_hash: str
    previous_secret_hash: str | None
    previous_secret_expires_at: datetime | None
    revoked: bool


@dataclass(frozen=True)
class SecretCheck:
    ok: bool
    # A new hash of the presented secret, when its stored hash uses parameters other than HASHER's.
    rehashed: str | None = None


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_hex(12)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return HASHER.hash(secret)


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(32))


class _VerificationClock:
    """How long a refusal of a known client takes (two verifications), as a moving average, so that an
    unknown client id can be refused after as long a wait on a timer, not on a core."""

    def __init__(self) -> None:
        self.seconds: float | None = None

    def record(self, seconds: float) -> None:
        self.seconds = seconds if self.seconds is None else 0.9 * self.seconds + 0.1 * seconds


REFUSAL_CLOCK = _VerificationClock()


def _measure_refusal() -> None:
    _dummy_hash()
    started = time.perf_counter()
    verify(_dummy_hash(), "")
    verify(_dummy_hash(), "")
    REFUSAL_CLOCK.record(time.perf_counter() - started)


_MEASURING = anyio.Lock()


async def wait_like_a_refusal() -> None:
    """Refuse an unknown client id after as long as a known client's refusal takes, waiting on a timer.
    Until a known client has been refused, one refusal is measured, once per process and outside the
    hashing slots (which a flood may hold: the measure must not wait behind it)."""
    if REFUSAL_CLOCK.seconds is None:
        async with _MEASURING:
            if REFUSAL_CLOCK.seconds is None:
                await anyio.to_thread.run_sync(_measure_refusal)
    await anyio.sleep(REFUSAL_CLOCK.seconds or 0.0)


def check_secret(credentials: PartnerCredentials | None, secret: str, now: datetime) -> SecretCheck:
    """Check a presented secret (CPU-bound: run it in a worker thread).

    The current hash first, then the previous one while its grace lasts. Every refusal of a known
    client costs the same two verifications, whether it was revoked or had no previous secret. An
    unknown client id costs none: a flood of made-up ids must not buy the server's cores. (Client ids
    are not secrets, RFC 6749 section 2.2; the token endpoint still answers an unknown one after as
    long as a refusal takes, see REFUSAL_CLOCK, so that the time does not tell them apart.)
    """
    if credentials is None:
        return SecretCheck(ok=False)
    started = time.perf_counter()
    if verify(credentials.secret_hash, secret):
        if credentials.revoked:
            verify(_dummy_hash(), secret)
            return SecretCheck(ok=False)
        rehashed = hash_secret(secret) if HASHER.check_needs_rehash(credentials.secret_hash) else None
        return SecretCheck(ok=True, rehashed=rehashed)
    expires = credentials.previous_secret_expires_at
    in_grace = credentials.previous_secret_hash is not None and expires is not None and now < expires
    previous = credentials.previous_secret_hash if in_grace and credentials.previous_secret_hash else _dummy_hash()
    # No rehash of a previous secret: it is on its way out.
    ok = verify(previous, secret) and in_grace and not credentials.revoked
    if not ok:
        REFUSAL_CLOCK.record(time.perf_counter() - started)
    return SecretCheck(ok=ok)


def grantable_scopes() -> list[str]:
    """The scopes a partner app may be granted, sorted: the one rule, which the service checks and the
    console's form offers."""
    return sorted(s.value for s in PARTNER_SCOPES)


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes a partner app may be granted, sorted and without repeats; anything else is refused by name."""
    wanted = set(scopes)
    known = set(grantable_scopes())
    for scope in sorted(wanted):
        if scope in {s.value for s in Scope} - known:
            raise InvalidInputError("scopes", f"the scope {scope!r} cannot be granted to a partner app")
        if scope not in known:
            raise InvalidInputError(
                "scopes", f"unknown scope {scope!r}; a partner app may be granted: {', '.join(sorted(known))}"
            )
    if not wanted:
        raise InvalidInputError("scopes", "a partner app needs at least one scope")
    return sorted(wanted)


class PartnerClientService:
    """One tenant's partner clients, in the control schema, always filtered by the tenant."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def create(self, *, name: str, scopes: Iterable[str], created_by: str) -> NewSecret:
        granted = check_scopes(scopes)
        secret = new_secret()
        client = PartnerClient(
            tenant_id=self.tenant_id,
            name=name.strip(),
            client_id=new_client_id(),
            secret_hash=await in_thread(hash_secret, secret),
            scopes=granted,
            created_by=created_by,
        )
        self.session.add(client)
        await self.session.flush()
        return NewSecret(client, secret)

    async def list_clients(self, *, cursor: str | None, limit: int) -> tuple[Sequence[PartnerClient], str | None]:
        query = select(PartnerClient).where(PartnerClient.tenant_id == self.tenant_id)
        return await paginate(self.session, query, PartnerClient.id, cursor, limit)

    async def all_clients(self) -> Sequence[PartnerClient]:
        query = select(PartnerClient).where(PartnerClient.tenant_id == self.tenant_id).order_by(PartnerClient.id)
        return (await self.session.scalars(query)).all()

    async def get(self, ref: uuid.UUID | str, *, lock: bool = False) -> PartnerClient:
        """By id (the API) or by client_id (the CLI); another tenant's client does not exist here."""
        column = PartnerClient.id if isinstance(ref, uuid.UUID) else PartnerClient.client_id
        query = select(PartnerClient).where(column == ref, PartnerClient.tenant_id == self.tenant_id)
        client = await self.session.scalar(query.with_for_update() if lock else query)
        if client is None:
            raise NotFoundError(f"partner client {ref} does not exist")
        return client

    async def rotate(self, ref: uuid.UUID | str, *, grace_seconds: int) -> NewSecret:
        """A new secret; the one it replaces keeps working for `grace_seconds` (so a partner can roll
        it out without downtime), and one replaced earlier stops at once."""
        if grace_seconds < 0:
            raise InvalidInputError("grace_seconds", "grace_seconds cannot be negative")
        # Locked: two rotations at once would otherwise both keep the same "previous" secret.
        client = await self.get(ref, lock=True)
        if client.revoked_at is not None:
            raise ConflictError(f"partner client {client.client_id} is revoked; create a new one")
        secret = new_secret()
        if grace_seconds > 0:
            client.previous_secret_hash = client.secret_hash
            client.previous_secret_expires_at = datetime.now(UTC) + timedelta(seconds=grace_seconds)
        else:
            client.previous_secret_hash = None
            client.previous_secret_expires_at = None
        client.secret_hash = await in_thread(hash_secret, secret)
        await self.session.flush()
        return NewSecret(client, secret)

    async def revoke(self, ref: uuid.UUID | str, revocations: ClientRevocations) -> PartnerClient:
        """No new tokens, and the ones issued stop working at once in every API process.

        The Redis entry is written before the caller commits: should the commit fail, the client's
        tokens are cut off anyway (the safe side), and the caller sees an error and may retry.
        Revoking again is harmless and renews the Redis entry.
        """
        client = await self.get(ref, lock=True)
        if client.revoked_at is None:
            client.revoked_at = datetime.now(UTC)
            client.previous_secret_hash = None
            client.previous_secret_expires_at = None
            await self.session.flush()
        await revocations.revoke(client.client_id)
        return client


class PartnerAuthenticator:
    """Checks a client's credentials; not tied to a tenant, since the client decides the tenant."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, client_id: str) -> PartnerCredentials | None:
        if not client_id or len(client_id) > _CLIENT_ID_MAX or "\x00" in client_id:
            return None
        row = (
            await self.session.execute(
                select(PartnerClient, Tenant)
                .join(Tenant, Tenant.id == PartnerClient.tenant_id)
                .where(PartnerClient.client_id == client_id)
            )
        ).one_or_none()
        if row is None:
            return None
        client, tenant = row
        return PartnerCredentials(
            id=client.id,
            client_id=client.client_id,
            tenant=tenant_ref(tenant),
            scopes=tuple(client.scopes),
            secret_hash=client.secret_hash,
            previous_secret_hash=client.previous_secret_hash,
            previous_secret_expires_at=client.previous_secret_expires_at,
            revoked=client.revoked_at is not None,
        )

    async def authenticate(self, client_id: str, secret: str) -> PartnerCredentials:
        """The client, if `secret` is its secret (or its previous one, within the grace) and it may
        act for an active tenant."""
        credentials = await self.find(client_id)
        if credentials is None:
            await wait_like_a_refusal()
            raise PartnerAuthenticationError("the client id or secret is wrong, or the client is revoked")
        checked = await in_thread(check_secret, credentials, secret, datetime.now(UTC))
        if not checked.ok:
            raise PartnerAuthenticationError("the client id or secret is wrong, or the client is revoked")
        if checked.rehashed is not None:
            await self.store_rehash(credentials, checked.rehashed)
        if credentials.tenant.status != TenantStatus.ACTIVE:
            raise PartnerTenantUnavailableError(f"the client's tenant is {credentials.tenant.status.value}")
        return credentials

    async def store_rehash(self, credentials: PartnerCredentials, rehashed: str) -> None:
        # Only if the secret was not rotated meanwhile: a late rehash must not bring an old secret back.
        await self.session.execute(
            update(PartnerClient)
            .where(PartnerClient.id == credentials.id, PartnerClient.secret_hash == credentials.secret_hash)
            .values(secret_hash=rehashed)
        )


async def revoked_on_record(session: AsyncSession, client_id: str) -> bool:
    """Whether the client's record says its tokens no longer work: revoked, or gone (its tenant deleted).
    The bearer middleware asks this after Redis's revocation list (`ClientRevocations`), which says so at
    once in every process; the record says so for good, should Redis lose its entry."""
    revoked_at = await session.execute(select(PartnerClient.revoked_at).where(PartnerClient.client_id == client_id))
    row = revoked_at.one_or_none()
    return row is None or row[0] is not None
