"""Platform users (consultants, superadmins), their tenants, and how they prove who they are.

Sign-in is through the platform's own OpenID provider (the person's verified email names the platform
user) or, for the dev run, a password and a TOTP code. Nothing here knows of HTTP or SQLAdmin.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.models import ConsultantAssignment, PlatformRole, PlatformUser
from backend.auth.hashing import HASHER, in_thread, verify
from backend.auth.secretbox import SecretBox
from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.identifiers import IdentifierError, normalise_email
from tenants.models import Tenant, TenantStatus
from tenants.registry import tenant_ref
from tenants.sessions import TenantRef

MIN_PASSWORD_LENGTH = 12
TOTP_ISSUER = "Crosswalk console"


@dataclass(frozen=True)
class Consultant:
    """Who is acting in the console, and which tenants they may see and change."""

    id: uuid.UUID
    email: str
    name: str
    role: PlatformRole
    # Every tenant this person may act for (all of them for a superadmin), by slug.
    tenants: dict[str, TenantRef]

    @property
    def is_superadmin(self) -> bool:
        return self.role == PlatformRole.SUPERADMIN

    def may_act_for(self, tenant_id: uuid.UUID) -> bool:
        return any(t.id == tenant_id for t in self.tenants.values())


@dataclass(frozen=True)
class NewPlatformUser:
    user: PlatformUser
    # Shown once to the person creating the account (the CLI), never stored in clear.
    totp_uri: str | None


class SignInError(Exception):
    """A sign-in that failed; the message is safe to show (it never says which factor was wrong)."""


class PlatformUserService:
    def __init__(self, session: AsyncSession, secretbox: SecretBox) -> None:
        self.session = session
        self.secretbox = secretbox

    async def create(self, email: str, name: str, role: PlatformRole, password: str | None = None) -> NewPlatformUser:
        email = _normal_email(email)
        if not name.strip():
            raise InvalidInputError("name", "name is empty")
        if await self.session.scalar(select(PlatformUser.id).where(PlatformUser.email == email)) is not None:
            raise ConflictError(f"a platform user {email} already exists")
        user = PlatformUser(email=email, name=name.strip(), role=role, active=True)
        totp_uri = None
        if password is not None:
            totp_uri = await self._set_password(user, password)
        self.session.add(user)
        await self.session.flush()
        return NewPlatformUser(user, totp_uri)

    async def set_password(self, email: str, password: str) -> str:
        """A new password and a new TOTP seed; returns the seed's otpauth:// URI (shown once)."""
        user = await self.by_email(email)
        return await self._set_password(user, password)

    async def _set_password(self, user: PlatformUser, password: str) -> str:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInputError("password", f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
        seed = pyotp.random_base32()
        user.password_hash = await in_thread(HASHER.hash, password)
        user.totp_secret_encrypted = self.secretbox.encrypt(seed)
        user.totp_last_step = None
        return pyotp.TOTP(seed).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)

    async def by_email(self, email: str) -> PlatformUser:
        user = await self.session.scalar(select(PlatformUser).where(PlatformUser.email == _normal_email(email)))
        if user is None:
            raise NotFoundError(f"no platform user {email}")
        return user

    async def verify_password(self, email: str, password: str, code: str) -> PlatformUser:
        """The user, if the password and the current TOTP code are right; each code works once."""
        refused = SignInError("the email, password or code is not right")
        user = await self.session.scalar(
            select(PlatformUser).where(PlatformUser.email == _normal_email(email)).with_for_update()
        )
        if user is None or not user.active or not user.password_hash or not user.totp_secret_encrypted:
            # Same work as a real check, so that timing does not tell which emails exist.
            await in_thread(HASHER.hash, password)
            raise refused
        if not await in_thread(verify, user.password_hash, password):
            raise refused
        totp = pyotp.TOTP(self.secretbox.decrypt(user.totp_secret_encrypted))
        now = datetime.now(UTC)
        step = _matching_step(totp, code.strip(), now)
        if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
            raise refused
        user.totp_last_step = step
        user.last_sign_in_at = now
        return user

    async def by_verified_email(self, email: str) -> PlatformUser:
        """The active platform user an identity provider's verified email names."""
        user = await self.session.scalar(select(PlatformUser).where(PlatformUser.email == _normal_email(email)))
        if user is None or not user.active:
            raise SignInError(f"{email} is not a platform user of this console")
        user.last_sign_in_at = datetime.now(UTC)
        return user

    async def consultant(self, user_id: uuid.UUID) -> Consultant | None:
        """The person as the console sees them now, or None if they may no longer sign in."""
        user = await self.session.get(PlatformUser, user_id)
        if user is None or not user.active:
            return None
        query = select(Tenant).where(Tenant.status != TenantStatus.PROVISIONING).order_by(Tenant.name)
        if user.role != PlatformRole.SUPERADMIN:
            query = query.join(ConsultantAssignment, ConsultantAssignment.tenant_id == Tenant.id).where(
                ConsultantAssignment.platform_user_id == user.id
            )
        tenants = {t.slug: tenant_ref(t) for t in await self.session.scalars(query)}
        return Consultant(id=user.id, email=user.email, name=user.name, role=user.role, tenants=tenants)

    async def assign(self, email: str, tenant_id: uuid.UUID, by: str) -> ConsultantAssignment:
        user = await self.by_email(email)
        existing = await self.session.scalar(
            select(ConsultantAssignment).where(
                ConsultantAssignment.platform_user_id == user.id, ConsultantAssignment.tenant_id == tenant_id
            )
        )
        if existing is not None:
            return existing
        assignment = ConsultantAssignment(platform_user_id=user.id, tenant_id=tenant_id, created_by=by)
        self.session.add(assignment)
        await self.session.flush()
        return assignment

    async def deactivate(self, email: str) -> None:
        """No new sign-in, and the live sessions stop at their next request (authentication re-reads
        the user every time)."""
        user = await self.by_email(email)
        user.active = False
        await self.session.flush()


def _normal_email(email: str) -> str:
    try:
        return normalise_email(email)
    except IdentifierError as exc:
        raise InvalidInputError("email", str(exc)) from None


def _matching_step(totp: pyotp.TOTP, code: str, now: datetime) -> int | None:
    """The time step whose code this is, allowing one step of clock drift either way."""
    if not code.isdigit():
        return None
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None
