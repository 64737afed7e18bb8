"""Single sign-on for a tenant's portal: its identity-provider settings and the login itself.

A login is only ever completed for the tenant it was started for, with the state, nonce and PKCE
verifier stored server-side (used once) and bound to the browser that started it. Nothing is
written (no employee, no session) until every check on the provider's answer has passed.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import msgspec
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.portal_sessions import PortalSession
from backend.auth.principal import UserRole, scopes_for
from backend.auth.secretbox import SecretBox
from backend.errors import DomainError, InvalidInputError, NotFoundError
from backend.identifiers import IdentifierError, ascii_fold, check_group_names, email_domain, normalise_email
from backend.org.models import Employee
from backend.org.service import EmployeeWriter
from backend.scim.groups import directory_group_names
from backend.sso.models import EmployeeIdentity, IdentityProvider
from backend.sso.oidc import ClientCredentials, OidcError, ProviderMetadata, RelyingParty
from backend.sso.schemas import IdentityProviderWrite
from tenants.sessions import TenantRef

LOGIN_TTL_SECONDS = 600
# Where a sign-in ends when it was not started from a page: the portal's home page.
DEFAULT_RETURN_TO = "/home"
# The longest language tag kept from the `locale` claim (BCP 47 tags in use are far shorter).
_LOCALE_LENGTH = 35
_PENDING_PREFIX = "crosswalk:sso-login:"


class LoginFailure(enum.Enum):
    """Why a login stopped; the API turns each into a status code."""

    BAD_REQUEST = "bad_request"
    BAD_TOKEN = "bad_token"  # noqa: S105 - a failure kind
    REFUSED = "refused"
    NOT_CONFIGURED = "not_configured"
    PROVIDER_DOWN = "provider_down"


class LoginError(DomainError):
    def __init__(self, failure: LoginFailure, detail: str) -> None:
        super().__init__(detail)
        self.failure = failure


def callback_url(base_url: str, slug: str) -> str:
    return f"{base_url}/auth/{slug}/callback"


def logged_out_url(base_url: str, slug: str) -> str:
    return f"{base_url}/auth/{slug}/logged-out"


def login_url(base_url: str, slug: str) -> str:
    return f"{base_url}/auth/{slug}/login"


def roles_from_groups(groups: Iterable[str], mapping: Mapping[str, Iterable[str]]) -> frozenset[UserRole]:
    """Everyone who signs in is an employee; a group named in the mapping adds that role.
    Group names compare exactly but for the case of ASCII letters (identity providers differ in how
    they send those): never by Unicode case folding, which lets a lookalike pass for the real name."""
    held = {ascii_fold(g) for g in groups}
    roles = {UserRole.EMPLOYEE}
    for role in (UserRole.MANAGER, UserRole.HR_ADMIN):
        if any(ascii_fold(g) in held for g in mapping.get(role.value, ())):
            roles.add(role)
    return frozenset(roles)


def email_is_verified(claims: Mapping[str, Any], *, provider_verifies_emails: bool) -> bool:
    """`email_verified: true`. Without that claim: Entra ID's optional claim `xms_edov: true` (the
    address's domain is one its tenant verified owning), or HR's declaration that the provider issues
    verified addresses only. Anything else (false, null, "true" as a string) is not a verified address."""
    if "email_verified" in claims:
        return claims["email_verified"] is True
    return claims.get("xms_edov") is True or provider_verifies_emails


def safe_return_to(value: str | None) -> str:
    """Only a path on this site: an open redirect after login would hand the session's first page to
    whoever crafted the link."""
    if not value:
        return DEFAULT_RETURN_TO
    refused = LoginError(LoginFailure.BAD_REQUEST, "return_to must be a path on this site")
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        raise refused
    try:
        parts = urlsplit(value)
    except ValueError:
        raise refused from None
    if parts.scheme or parts.netloc:
        raise refused
    return value


class IdentityProviderService:
    """A tenant's OIDC provider settings, in the control schema, always filtered by the tenant."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID, secretbox: SecretBox) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.secretbox = secretbox

    async def find(self) -> IdentityProvider | None:
        return await self.session.scalar(select(IdentityProvider).where(IdentityProvider.tenant_id == self.tenant_id))

    async def get(self) -> IdentityProvider:
        provider = await self.find()
        if provider is None:
            raise NotFoundError("this tenant has no identity provider configured")
        return provider

    async def configure(self, data: IdentityProviderWrite, relying_party: RelyingParty) -> IdentityProvider:
        """Store the settings after checking the issuer's discovery document (which also checks that
        every URL of the provider is one the server may fetch)."""
        # Kept exactly as entered: the discovery document and every id_token must name this same string
        # (some providers' issuers end in a slash).
        issuer = data.issuer
        for role, names in (("manager", data.role_mapping.manager), ("hr_admin", data.role_mapping.hr_admin)):
            try:
                check_group_names(names)
            except IdentifierError as exc:
                raise InvalidInputError(f"role_mapping.{role}", str(exc)) from None
        try:
            await relying_party.discover(issuer, refresh=True)
        except OidcError as exc:
            raise InvalidInputError("issuer", str(exc)) from exc
        provider = await self.find()
        if provider is None:
            if not isinstance(data.client_secret, str):
                raise InvalidInputError("client_secret", "client_secret is required when SSO is first configured")
            provider = IdentityProvider(tenant_id=self.tenant_id)
            self.session.add(provider)
        provider.issuer = issuer
        provider.client_id = data.client_id
        if isinstance(data.client_secret, str):
            provider.client_secret_encrypted = self.secretbox.encrypt(data.client_secret)
        provider.allowed_domains = sorted({ascii_fold(d) for d in data.allowed_domains})
        provider.groups_claim = data.groups_claim
        provider.role_mapping = msgspec.to_builtins(data.role_mapping)
        provider.provider_verifies_emails = data.provider_verifies_emails
        provider.enabled = data.enabled
        await self.session.flush()
        return provider

    async def remove(self) -> None:
        await self.session.delete(await self.get())
        await self.session.flush()


class PendingLogin(msgspec.Struct, frozen=True):
    # What the login is for: a tenant's slug (its portal), or the console.
    realm: str
    issuer: str
    nonce: str
    code_verifier: str
    return_to: str
    # SHA-256 of a random value kept in a cookie of the browser that started the login: a callback
    # URL sent to somebody else (login CSRF) does not sign them in as the sender.
    browser_binding: str


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class LoginStart:
    redirect_url: str
    browser_binding: str


@dataclass(frozen=True)
class CompletedLogin:
    session: PortalSession
    return_to: str


@dataclass(frozen=True)
class VerifiedLogin:
    """A provider's answer that passed every check: the id_token's claims, and the token itself (for
    RP-initiated logout)."""

    claims: dict[str, Any]
    id_token: str
    issuer: str
    return_to: str


@dataclass(frozen=True)
class CallbackParams:
    code: str | None
    state: str | None
    iss: str | None
    error: str | None
    error_description: str | None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> CallbackParams:
        """From the callback's query string (read by hand: `state` is a name web frameworks reserve)."""
        return cls(
            code=query.get("code"),
            state=query.get("state"),
            iss=query.get("iss"),
            error=query.get("error"),
            error_description=query.get("error_description"),
        )


class OidcLogins:
    """The protocol half of a login through an OpenID provider, for any of our relying-party clients
    (each tenant's portal, and the consultants' console): state, nonce and PKCE verifier kept
    server-side and used once, the browser binding, the RFC 9207 issuer check, the code exchange and
    the id_token's checks. What the verified claims then mean is the caller's business."""

    def __init__(self, redis: Redis, relying_party: RelyingParty) -> None:
        self.redis = redis
        self.relying_party = relying_party

    async def metadata(self, issuer: str) -> ProviderMetadata:
        try:
            return await self.relying_party.discover(issuer)
        except OidcError as exc:
            raise LoginError(LoginFailure.PROVIDER_DOWN, str(exc)) from exc

    async def begin(self, realm: str, issuer: str, client: ClientCredentials, return_to: str | None) -> LoginStart:
        target = safe_return_to(return_to)
        metadata = await self.metadata(issuer)
        request = await self.relying_party.authorization_request(metadata, client)
        binding = secrets.token_urlsafe(32)
        pending = PendingLogin(
            realm=realm,
            issuer=issuer,
            nonce=request.nonce,
            code_verifier=request.code_verifier,
            return_to=target,
            browser_binding=_digest(binding),
        )
        await self.redis.set(
            _PENDING_PREFIX + _digest(request.state), msgspec.json.encode(pending), ex=LOGIN_TTL_SECONDS
        )
        return LoginStart(redirect_url=request.url, browser_binding=binding)

    async def finish(
        self,
        realm: str,
        issuer: str,
        client: ClientCredentials,
        params: CallbackParams,
        browser_binding: str | None,
    ) -> VerifiedLogin:
        if params.error:
            detail = f"the identity provider refused the login: {params.error}"
            if params.error_description:
                detail += f" ({params.error_description[:200]})"
            raise LoginError(LoginFailure.REFUSED, detail)
        if not params.state:
            raise LoginError(LoginFailure.BAD_REQUEST, "the login response has no state; start the login again")
        # GETDEL: a state is good for one callback, whatever its outcome.
        raw = await self.redis.getdel(_PENDING_PREFIX + _digest(params.state))
        if raw is None:
            raise LoginError(LoginFailure.BAD_REQUEST, "the login state is unknown or expired; start the login again")
        try:
            pending = msgspec.json.decode(raw, type=PendingLogin)
        except msgspec.ValidationError:
            # A login started before a deploy that changed what is kept of it.
            raise LoginError(
                LoginFailure.BAD_REQUEST, "the login state is out of date; start the login again"
            ) from None
        if pending.realm != realm or pending.issuer != issuer:
            raise LoginError(LoginFailure.BAD_REQUEST, "the login state belongs to another login")
        if browser_binding is None or not secrets.compare_digest(_digest(browser_binding), pending.browser_binding):
            raise LoginError(LoginFailure.BAD_REQUEST, "the login was started in another browser; start it again")
        metadata = await self.metadata(issuer)
        # RFC 9207: a provider that announces the iss parameter must send it, and it must be our
        # provider; this stops a response from another provider (mix-up) before the code is used.
        if (params.iss is not None or metadata.iss_parameter_supported) and params.iss != metadata.issuer:
            raise LoginError(LoginFailure.BAD_REQUEST, "the login response comes from another identity provider")
        if not params.code:
            raise LoginError(LoginFailure.BAD_REQUEST, "the login response has no authorization code")
        try:
            id_token = await self.relying_party.exchange_code(
                metadata, client, code=params.code, code_verifier=pending.code_verifier
            )
            claims = await self.relying_party.verify_id_token(
                metadata, id_token, client_id=client.client_id, nonce=pending.nonce
            )
        except OidcError as exc:
            raise LoginError(LoginFailure.BAD_TOKEN, str(exc)) from exc
        return VerifiedLogin(claims=claims, id_token=id_token, issuer=metadata.issuer, return_to=pending.return_to)

    async def logout_url(self, issuer: str, client_id: str, id_token: str, done: str) -> str:
        """Where the browser goes after the local session ended: the provider's end_session_endpoint
        (RP-initiated logout) when it has one, else `done`."""
        try:
            metadata = await self.relying_party.discover(issuer)
        except OidcError:
            return done
        if not metadata.end_session_endpoint:
            return done
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": done,
                "client_id": client_id,
                "state": secrets.token_urlsafe(16),
            }
        )
        return f"{metadata.end_session_endpoint}?{query}"


class SsoLogins:
    """A tenant's portal login: the protocol through OidcLogins, then the employee it names."""

    def __init__(self, redis: Redis, relying_party: RelyingParty, secretbox: SecretBox, base_url: str) -> None:
        self.oidc = OidcLogins(redis, relying_party)
        self.secretbox = secretbox
        self.base_url = base_url

    def _client(self, tenant: TenantRef, provider: IdentityProvider) -> ClientCredentials:
        return ClientCredentials(
            client_id=provider.client_id,
            client_secret=self.secretbox.decrypt(provider.client_secret_encrypted),
            redirect_uri=callback_url(self.base_url, tenant.slug),
        )

    async def begin(self, tenant: TenantRef, provider: IdentityProvider, return_to: str | None) -> LoginStart:
        return await self.oidc.begin(tenant.slug, provider.issuer, self._client(tenant, provider), return_to)

    async def complete(
        self,
        tenant: TenantRef,
        provider: IdentityProvider,
        params: CallbackParams,
        browser_binding: str | None,
        session: AsyncSession,
    ) -> CompletedLogin:
        """Check the provider's answer, then link or create the employee; returns the session to open."""
        login = await self.oidc.finish(
            tenant.slug, provider.issuer, self._client(tenant, provider), params, browser_binding
        )
        claims = login.claims
        employee = await link_employee(
            session,
            issuer=login.issuer,
            claims=claims,
            allowed_domains=provider.allowed_domains,
            provider_verifies_emails=provider.provider_verifies_emails,
        )
        groups = _claim_strings(claims.get(provider.groups_claim))
        groups += await directory_group_names(session, employee.id)
        roles = roles_from_groups(groups, provider.role_mapping)
        portal = PortalSession(
            subject=f"sso:{employee.id}",
            tenant_slug=tenant.slug,
            tenant_id=tenant.id,
            employee_id=employee.id,
            roles=tuple(sorted(roles)),
            scopes=tuple(sorted(scopes_for(roles))),
            issuer=login.issuer,
            id_token=login.id_token,
            locale=_claim_locale(claims.get("locale")),
        )
        return CompletedLogin(session=portal, return_to=login.return_to)

    async def logout_redirect(self, tenant: TenantRef, provider: IdentityProvider | None, id_token: str) -> str:
        done = logged_out_url(self.base_url, tenant.slug)
        if provider is None:
            return done
        return await self.oidc.logout_url(provider.issuer, provider.client_id, id_token, done)


def _claim_locale(value: Any) -> str | None:
    """The `locale` claim (OpenID Connect's standard profile claim) when it is a plausible language tag."""
    if isinstance(value, str) and 0 < len(value.strip()) <= _LOCALE_LENGTH:
        return value.strip()
    return None


def _claim_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


async def link_employee(
    session: AsyncSession,
    *,
    issuer: str,
    claims: Mapping[str, Any],
    allowed_domains: Iterable[str],
    provider_verifies_emails: bool,
) -> Employee:
    """The employee this identity is: by (issuer, subject), else by verified email within the allowed
    domains, else a new employee (just-in-time, for a verified email only)."""
    claimed = claims.get("email")
    if not isinstance(claimed, str) or not claimed:
        raise LoginError(LoginFailure.REFUSED, "the identity provider did not share an email address")
    try:
        email = normalise_email(claimed, "the email address")
    except IdentifierError as exc:
        raise LoginError(LoginFailure.REFUSED, f"the identity provider's email address is refused: {exc}") from None
    domain = email_domain(email)
    if domain not in {ascii_fold(d) for d in allowed_domains}:
        raise LoginError(LoginFailure.REFUSED, f"sign-in with an address at {domain} is not allowed for this company")
    subject = str(claims["sub"])
    now = datetime.now(UTC)
    identity = await session.scalar(
        select(EmployeeIdentity).where(EmployeeIdentity.issuer == issuer, EmployeeIdentity.subject == subject)
    )
    if identity is not None:
        # Linked at an earlier sign-in: the subject names the person, whatever the email says now.
        employee = await session.get_one(Employee, identity.employee_id)
    else:
        # An email links to an existing employee, or makes a new one, only if it is verified: otherwise
        # anyone able to type a colleague's address at the provider would become that colleague.
        if not email_is_verified(claims, provider_verifies_emails=provider_verifies_emails):
            detail = "the email address is not verified at the identity provider"
            if "email_verified" not in claims:
                detail += (
                    " (it sends no email_verified claim; HR can declare that this provider issues"
                    " verified addresses only)"
                )
            raise LoginError(LoginFailure.REFUSED, detail)
        # Emails are stored in their normal form: compared as stored, never through lower().
        found = await session.scalar(select(Employee).where(Employee.email == email))
        if found is not None and await session.scalar(
            select(EmployeeIdentity.id).where(
                EmployeeIdentity.employee_id == found.id, EmployeeIdentity.issuer == issuer
            )
        ):
            # The employee already signs in as another account of this provider: an email match must
            # not hand their record to a second account.
            raise LoginError(LoginFailure.REFUSED, "this email address belongs to another account of the provider")
        employee = found if found is not None else await EmployeeWriter(session).create(_new_employee(email, claims))
        identity = EmployeeIdentity(employee_id=employee.id, issuer=issuer, subject=subject)
        session.add(identity)
    if not employee.active or employee.deprovisioned_at is not None:
        raise LoginError(LoginFailure.REFUSED, "this account is deactivated")
    identity.last_login_at = now
    await session.flush()
    return employee


def _new_employee(email: str, claims: Mapping[str, Any]) -> dict[str, Any]:
    """What a just-in-time sign-up knows of the new employee: the email and the names the provider sent."""
    given, family = claims.get("given_name"), claims.get("family_name")
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [p for p in (given, family) if isinstance(p, str) and p.strip()]
        name = " ".join(parts) or email.split("@", 1)[0]
    return {
        "email": email,
        "full_name": name.strip()[:200],
        "given_name": given[:100] if isinstance(given, str) else None,
        "family_name": family[:100] if isinstance(family, str) else None,
    }
