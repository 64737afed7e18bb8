"""The HR workspace's policy and settings (`/hr/settings`): the company's mobility policy, the weights of
the matching factors, its identity provider, its partner apps and its SCIM tokens, through the services
and scopes of the API's routes, with the same principal.

- `/hr/settings`: the sections, each with what is set now.
- `/hr/settings/policy`: when an applicant's manager is told and the release deadline
  (`MobilityPolicyService`, as `GET`/`PUT /api/v1/mobility-policy`).
- `/hr/settings/weights`: the factors' weights, their versions (who set each, when), what a recompute
  is, and asking for one (`MatchingSettingsService`, `MatchingService.start_recompute`, as
  `/api/v1/matching/weights`, `/weights/versions` and `/recompute`).
- `/hr/settings/sso`: the identity provider (`IdentityProviderService`, as `/api/v1/identity-provider`):
  never its client secret, a field to replace it (left empty it is kept), the issuer checked by discovery.
- `/hr/settings/partners`: partner apps (`PartnerClientService`, as `/api/v1/partner-clients`): create with
  scopes from `grantable_scopes` only, rotate the secret, revoke.
- `/hr/settings/scim`: SCIM tokens (`ScimTokenService`, as `/api/v1/scim-tokens`): create, revoke.

A new secret (a partner app's, a SCIM token) is shown once, in the answer to the POST that made it (200,
`Cache-Control: no-store`), never in a redirect's address, never again: the services keep only its hash.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import MAX_LIMIT
from backend.auth.principal import Scope
from backend.auth.revocations import ClientRevocations
from backend.auth.secretbox import SecretBox
from backend.auth.tokens import TOKEN_PATH
from backend.errors import InvalidInputError, NotFoundError
from backend.marketplace.applications import MobilityPolicyService
from backend.marketplace.models import ManagerNotice
from backend.marketplace.schemas import MobilityPolicySet
from backend.matching.engine import Factor
from backend.matching.schemas import MatchingWeights
from backend.matching.service import MIN_WEIGHT, MatchingService, MatchingSettingsService
from backend.matching.serving import freshness
from backend.org.service import OrgService
from backend.partners.schemas import MAX_GRACE_SECONDS, PartnerClientCreate, SecretRotate
from backend.partners.service import PartnerClientService, grantable_scopes
from backend.portal.forms import FORM, Refused, attempt, field_errors, field_of
from backend.portal.hr import AREAS
from backend.portal.i18n import N_, Language
from backend.portal.lists import every
from backend.portal.routes import Visit
from backend.scim.routes import SCIM_PATH
from backend.scim.schemas import ScimTokenCreate
from backend.scim.tokens import ScimTokenService
from backend.sso.oidc import RelyingParty
from backend.sso.routes import provider_read
from backend.sso.schemas import IdentityProviderRead, IdentityProviderWrite
from backend.sso.service import IdentityProviderService

SETTINGS = "/hr/settings"
_HTML = MediaType.HTML
# A page that shows a secret must not be kept by the browser or anything between.
_NO_STORE = {"Cache-Control": "no-store"}

# What each scope a partner app may be granted lets it do (marked here, translated by the template).
SCOPE_WORDS: dict[str, str] = {
    "org:read": N_("Read the departments and teams"),
    "org:write": N_("Change the departments and teams"),
    "employees:read": N_("Read the people"),
    "employees:write": N_("Add and change people"),
    "taxonomy:read": N_("Read the skill library"),
    "taxonomy:write": N_("Change the skill library"),
    "skills:read": N_("Read people's skills"),
    "skills:write": N_("Rate people's skills"),
    "roles:read": N_("Read the roles and the skills they ask for"),
    "roles:write": N_("Change the roles and the skills they ask for"),
    "opportunities:read": N_("Read the openings"),
    "opportunities:write": N_("Post and change openings"),
    "training:read": N_("Read the courses"),
    "training:write": N_("Change the courses and record completions"),
    "jobs:read": N_("Follow the jobs its changes start"),
}

# The factors, in the engine's order, with what each one weighs (translated by the template).
FACTOR_WORDS: dict[str, tuple[str, str]] = {
    Factor.REQUIRED.value: (
        N_("Required skills"),
        N_("How much of what the opening asks for the person has, at the level asked, weighted by importance."),
    ),
    Factor.NICE.value: (
        N_("Nice-to-have skills"),
        N_("The skills the opening would like but does not require."),
    ),
    Factor.ADJACENT.value: (
        N_("Adjacent skills"),
        N_("Skills close to the missing ones (often held together, or of the same category): a shorter way to learn."),
    ),
    Factor.ASPIRATION.value: (
        N_("Aspirations"),
        N_("The person aims at this role or these skills. Counted only where their open-to-move choice allows."),
    ),
    Factor.LEVEL.value: (
        N_("Level fit"),
        N_("How close the opening's level is to the person's: a step up or sideways fits better than a leap."),
    ),
    Factor.LOCATION.value: (
        N_("Location fit"),
        N_("The same location, or remote work allowed."),
    ),
}
FACTORS = tuple(FACTOR_WORDS)
POLICY_FIELDS = ("manager_notice", "release_days")
NOTICES = tuple(n.value for n in ManagerNotice)
SSO_FIELDS = (
    "issuer",
    "client_id",
    "client_secret",
    "allowed_domains",
    "groups_claim",
    "manager_groups",
    "hr_admin_groups",
    "provider_verifies_emails",
    "enabled",
)
# The form's names of the role mapping's lists.
_GROUPS = {"manager": "manager_groups", "hr_admin": "hr_admin_groups"}
# What the person types to remove the provider.
REMOVE_WORD = "REMOVE"
_SECONDS_PER_HOUR = 3600
_FIELD_PATH = re.compile(r"at `\$\.(\w+)(?:\.(\w+))?")


@dataclass(frozen=True)
class Shown:
    """A secret just made, for this one answer: what it opens, and the secret itself."""

    name: str
    secret: str
    client_id: str | None = None


def _lines(text: str) -> list[str]:
    """A list typed one item a line (commas too), blanks left out."""
    return [item.strip() for line in text.splitlines() for item in line.split(",") if item.strip()]


async def actor_name(db: AsyncSession, language: Language, actor: str | None, employee_id: uuid.UUID | None) -> str:
    """Who set something, as a person reads it: the employee's name for a person's sign-in, else what
    kind of caller it was (a partner app, the command line, a consultant, Crosswalk's defaults)."""
    if actor is None:
        return language.gettext("nobody yet: Crosswalk's defaults")
    kind, _, rest = actor.partition(":")
    if employee_id is None and kind in ("sso", "employee"):
        try:
            employee_id = uuid.UUID(rest)
        except ValueError:
            employee_id = None
    if employee_id is not None:
        try:
            return (await OrgService(db).get_employee(employee_id)).full_name
        except NotFoundError:
            return language.gettext("a person no longer in the directory")
    if kind == "partner":
        return language.gettext("the partner app %(client)s") % {"client": rest}
    if kind == "crosswalk":
        return language.gettext("Crosswalk's defaults")
    if kind == "cli":
        return language.gettext("a consultant, on the command line")
    if kind == "console":
        return language.gettext("a consultant (%(email)s)") % {"email": rest}
    return language.gettext("HR, through the API")


def policy_words(language: Language) -> Callable[[Refused], dict[str, str]]:
    def words(exc: Refused) -> dict[str, str]:
        found: dict[str, str] = {}
        for field in field_errors(exc):
            if field == "manager_notice":
                found[field] = language.gettext("Choose when an applicant's manager is told.")
            elif field == "release_days":
                found[field] = language.gettext("Give a whole number of days, from 1 to 90.")
            else:
                found[FORM] = language.gettext("Only HR sets the mobility policy.")
        return found

    return words


def weights_words(language: Language) -> Callable[[Refused], dict[str, str]]:
    def words(exc: Refused) -> dict[str, str]:
        found: dict[str, str] = {}
        for field in field_errors(exc):
            if field in FACTORS:
                found[field] = language.gettext(
                    "Give a number from 0 to 100: 0 turns the factor off; otherwise at least %(min)s."
                ) % {"min": language.number(MIN_WEIGHT)}
            elif field == "weights":
                found[FORM] = language.gettext(
                    "At least one factor needs a weight above 0: with every weight 0 no ranking would mean anything."
                )
            else:
                found[FORM] = language.gettext("Only HR sets the matching weights.")
        return found

    return words


def _sso_field(exc: Refused) -> str:
    """The form's field a refusal of the provider's settings concerns."""
    if isinstance(exc, InvalidInputError):
        head, _, tail = exc.field.partition(".")
        return _GROUPS.get(tail, head) if head == "role_mapping" else head
    if isinstance(exc, msgspec.ValidationError):
        found = _FIELD_PATH.search(str(exc))
        if found is None:
            return FORM
        head, tail = found.group(1), found.group(2)
        return _GROUPS.get(tail or "", "manager_groups") if head == "role_mapping" else head
    return FORM


def sso_words(language: Language) -> Callable[[Refused], dict[str, str]]:
    messages = {
        "issuer": N_(
            "Crosswalk could not read this provider's OpenID configuration. Give the issuer exactly as the "
            "provider names itself (an https address; its /.well-known/openid-configuration must name it)."
        ),
        "client_id": N_("Give the client id the provider gave Crosswalk: 1 to 255 visible characters, no spaces."),
        "client_secret": N_(
            "Give the client secret the provider gave Crosswalk (up to 2,000 characters): it is needed the first time."
        ),
        "allowed_domains": N_(
            "Give from 1 to 50 email domains, one a line, such as example.com: only people whose address "
            "ends in one of them may sign in."
        ),
        "groups_claim": N_("Give the name of the claim that lists a person's groups, such as groups."),
        "manager_groups": N_("Give one group name a line, without control characters."),
        "hr_admin_groups": N_("Give one group name a line, without control characters."),
    }

    def words(exc: Refused) -> dict[str, str]:
        field = _sso_field(exc)
        if field == "issuer" and isinstance(exc, msgspec.ValidationError):
            return {field: language.gettext("Give the issuer as a web address, such as https://login.example.com.")}
        if field in messages:
            return {field: language.gettext(messages[field])}
        return {FORM: language.gettext("These settings were not saved: %(reason)s") % {"reason": exc}}

    return words


def _sso_write(typed: dict[str, str]) -> IdentityProviderWrite:
    """The form's fields as the API's body: an empty secret keeps the stored one."""
    body: dict[str, Any] = {
        "issuer": typed["issuer"].strip(),
        "client_id": typed["client_id"].strip(),
        "allowed_domains": _lines(typed["allowed_domains"]),
        "groups_claim": typed["groups_claim"].strip(),
        "role_mapping": {role: _lines(typed[name]) for role, name in _GROUPS.items()},
        "provider_verifies_emails": typed["provider_verifies_emails"] == "yes",
        "enabled": typed["enabled"] == "yes",
    }
    if typed["client_secret"]:
        body["client_secret"] = typed["client_secret"]
    return msgspec.convert(body, IdentityProviderWrite)


def _sso_typed(read: IdentityProviderRead | None) -> dict[str, str]:
    """The form filled in with the stored settings (the secret field always empty)."""
    if read is None:
        return {**dict.fromkeys(SSO_FIELDS, ""), "groups_claim": "groups", "enabled": "yes"}
    return {
        "issuer": read.issuer,
        "client_id": read.client_id,
        "client_secret": "",
        "allowed_domains": "\n".join(read.allowed_domains),
        "groups_claim": read.groups_claim,
        "manager_groups": "\n".join(read.role_mapping.manager),
        "hr_admin_groups": "\n".join(read.role_mapping.hr_admin),
        "provider_verifies_emails": "yes" if read.provider_verifies_emails else "",
        "enabled": "yes" if read.enabled else "",
    }


def _typed(form: Any, names: Sequence[str]) -> dict[str, str]:
    return {name: str(form.get(name, "")) for name in names}


class HRSettingsController(Controller):
    path = SETTINGS
    include_in_schema = False

    # -- the overview

    @get("/", opt={"scope": Scope.IDENTITY_ADMIN}, name="portal:hr-settings")
    async def overview(
        self,
        visit: NamedDependency[Visit],
        control_db: NamedDependency[AsyncSession],
        secretbox: NamedDependency[SecretBox],
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        service = MatchingSettingsService(visit.db)
        versions = await every(lambda c: service.versions(visit.principal, c, MAX_LIMIT))
        provider = await IdentityProviderService(control_db, visit.principal.tenant.id, secretbox).find()
        partners = await PartnerClientService(control_db, visit.principal.tenant.id).all_clients()
        tokens = await _scim_tokens(control_db, visit)
        return await visit.page(
            "hr_settings.html",
            areas=AREAS,
            policy=await MobilityPolicyService(visit.db).get(),
            weights_version=versions[-1].version if versions else None,
            provider=provider,
            partners_active=sum(1 for p in partners if p.revoked_at is None),
            tokens_active=sum(1 for t in tokens if t.revoked_at is None),
        )

    # -- the mobility policy

    @get("/policy", opt={"scope": Scope.APPLICATIONS_READ}, name="portal:hr-settings-policy")
    async def policy(self, visit: NamedDependency[Visit], saved: FromQuery[bool] = False) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await _policy_page(visit, saved=saved)

    @post("/policy", opt={"scope": Scope.APPLICATIONS_WRITE}, name="portal:hr-settings-policy-save", media_type=_HTML)
    async def save_policy(self, visit: NamedDependency[Visit]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        typed = _typed(await visit.form(*POLICY_FIELDS), POLICY_FIELDS)

        async def write() -> object:
            data = msgspec.convert(typed, MobilityPolicySet, strict=False)
            return await MobilityPolicyService(visit.db).set(visit.principal, data)

        refused = await visit.attempt(write, policy_words(visit.language))
        if refused:
            return await _policy_page(visit, errors=refused, typed=typed, status=refused.status)
        return Redirect(f"{SETTINGS}/policy?saved=true", status_code=303)

    # -- the matching weights

    @get("/weights", opt={"scope": Scope.MATCHING_READ}, name="portal:hr-settings-weights")
    async def weights(
        self, visit: NamedDependency[Visit], saved: FromQuery[bool] = False, recompute: FromQuery[bool] = False
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await _weights_page(visit, saved=saved, recompute=recompute)

    @post("/weights", opt={"scope": Scope.MATCHING_WRITE}, name="portal:hr-settings-weights-save", media_type=_HTML)
    async def save_weights(self, visit: NamedDependency[Visit]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        typed = _typed(await visit.form(*FACTORS), FACTORS)

        async def write() -> object:
            data = msgspec.convert(typed, MatchingWeights, strict=False)
            return await MatchingSettingsService(visit.db).set(visit.principal, msgspec.structs.asdict(data))

        refused = await visit.attempt(write, weights_words(visit.language))
        if refused:
            return await _weights_page(visit, errors=refused, typed=typed, status=refused.status)
        return Redirect(f"{SETTINGS}/weights?saved=true", status_code=303)

    @post(
        "/weights/recompute",
        opt={"scope": Scope.MATCHING_WRITE},
        name="portal:hr-settings-recompute",
        media_type=_HTML,
    )
    async def start_recompute(self, visit: NamedDependency[Visit]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        await visit.form()
        await MatchingService(visit.db).start_recompute(visit.principal)
        return Redirect(f"{SETTINGS}/weights?recompute=true#recompute", status_code=303)

    # -- the identity provider

    @get("/sso", opt={"scope": Scope.IDENTITY_ADMIN}, name="portal:hr-settings-sso")
    async def sso(
        self,
        visit: NamedDependency[Visit],
        control_db: NamedDependency[AsyncSession],
        secretbox: NamedDependency[SecretBox],
        saved: FromQuery[bool] = False,
        removed: FromQuery[bool] = False,
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await _sso_page(visit, control_db, secretbox, saved=saved, removed=removed)

    @post("/sso", opt={"scope": Scope.IDENTITY_ADMIN}, name="portal:hr-settings-sso-save", media_type=_HTML)
    async def save_sso(
        self,
        visit: NamedDependency[Visit],
        control_db: NamedDependency[AsyncSession],
        secretbox: NamedDependency[SecretBox],
        relying_party: NamedDependency[RelyingParty],
    ) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        typed = _typed(await visit.form(*SSO_FIELDS), SSO_FIELDS)
        service = IdentityProviderService(control_db, visit.principal.tenant.id, secretbox)

        async def write() -> object:
            return await service.configure(_sso_write(typed), relying_party)

        refused = await attempt(control_db, write, sso_words(visit.language))
        if refused:
            # The secret typed is never sent back: the field is empty again.
            kept = {**typed, "client_secret": ""}
            return await _sso_page(visit, control_db, secretbox, errors=refused, typed=kept, status=refused.status)
        return Redirect(f"{SETTINGS}/sso?saved=true", status_code=303)

    @post("/sso/remove", opt={"scope": Scope.IDENTITY_ADMIN}, name="portal:hr-settings-sso-remove", media_type=_HTML)
    async def remove_sso(
        self,
        visit: NamedDependency[Visit],
        control_db: NamedDependency[AsyncSession],
        secretbox: NamedDependency[SecretBox],
    ) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        confirm = str((await visit.form("confirm")).get("confirm", "")).strip()
        if confirm != REMOVE_WORD:
            message = visit.language.gettext("Type %(word)s to remove the settings; nothing was removed.") % {
                "word": REMOVE_WORD
            }
            return await _sso_page(visit, control_db, secretbox, errors={"confirm": message}, status=422)
        refused = await attempt(
            control_db, IdentityProviderService(control_db, visit.principal.tenant.id, secretbox).remove
        )
        if refused:
            message = visit.language.gettext("There are no sign-in settings to remove.")
            return await _sso_page(visit, control_db, secretbox, errors={"confirm": message}, status=refused.status)
        return Redirect(f"{SETTINGS}/sso?removed=true", status_code=303)

    # -- partner apps

    @get("/partners", opt={"scope": Scope.IDENTITY_ADMIN}, name="portal:hr-settings-partners")
    async def partners(
        self, visit: NamedDependency[Visit], control_db: NamedDependency[AsyncSession], revoked: FromQuery[bool] = False
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await _partners_page(visit, control_db, revoked=revoked)

    @post("/partners", opt={"scope": Scope.IDENTITY_ADMIN}, name="portal:hr-settings-partner-create", media_type=_HTML)
    async def create_partner(self, visit: NamedDependency[Visit], control_db: NamedDependency[AsyncSession]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        form = await visit.form("name", repeated=("scopes",))
        typed = {"name": str(form.get("name", ""))}
        scopes = [str(s) for s in form.getall("scopes")] if "scopes" in form else []
        made: list[Shown] = []
        language = visit.language

        async def write() -> object:
            data = msgspec.convert({"name": typed["name"], "scopes": scopes}, PartnerClientCreate)
            new = await PartnerClientService(control_db, visit.principal.tenant.id).create(
                name=data.name, scopes=data.scopes, created_by=visit.principal.subject
            )
            made.append(Shown(new.client.name, new.secret, new.client.client_id))
            return new

        def words(exc: Refused) -> dict[str, str]:
            if field_of_refusal(exc) == "scopes":
                return {"scopes": language.gettext("Choose at least one of the scopes listed.")}
            return {"name": language.gettext("Give the app a name, up to 200 characters.")}

        refused = await attempt(control_db, write, words)
        if refused:
            return await _partners_page(
                visit, control_db, errors=refused, typed=typed, chosen=scopes, status=refused.status
            )
        return await _partners_page(visit, control_db, shown=made[0])

    @post(
        "/partners/{client:uuid}/rotate",
        opt={"scope": Scope.IDENTITY_ADMIN},
        name="portal:hr-settings-partner-rotate",
        media_type=_HTML,
    )
    async def rotate_partner(
        self, visit: NamedDependency[Visit], control_db: NamedDependency[AsyncSession], client: FromPath[uuid.UUID]
    ) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        typed = {"grace_hours": str((await visit.form("grace_hours")).get("grace_hours", "")).strip()}
        made: list[Shown] = []
        language = visit.language

        async def write() -> object:
            partners = PartnerClientService(control_db, visit.principal.tenant.id)
            # An app that is not the company's is not found, whatever was typed.
            await partners.get(client)
            try:
                hours = float(typed["grace_hours"])
            except ValueError:
                raise InvalidInputError("grace_hours", "not a number") from None
            # float() reads "nan" and "inf" too: numbers no grace can be.
            if not math.isfinite(hours):
                raise InvalidInputError("grace_hours", "not a number")
            data = msgspec.convert({"grace_seconds": round(hours * _SECONDS_PER_HOUR)}, SecretRotate)
            new = await partners.rotate(client, grace_seconds=data.grace_seconds or 0)
            made.append(Shown(new.client.name, new.secret, new.client.client_id))
            return new

        def words(exc: Refused) -> dict[str, str]:
            if isinstance(exc, InvalidInputError | msgspec.ValidationError):
                message = language.gettext("Give a number of hours from 0 to %(most)s.") % {
                    "most": language.number(MAX_GRACE_SECONDS // _SECONDS_PER_HOUR)
                }
                return {"grace_hours": message}
            return {"grace_hours": language.gettext("This app is revoked: register a new one instead.")}

        try:
            refused = await attempt(control_db, write, words, not_found_raises=True)
        except NotFoundError:
            return await _partner_not_found(visit)
        if refused:
            return await _partners_page(
                visit, control_db, errors=refused, typed=typed, refused=client, status=refused.status
            )
        return await _partners_page(visit, control_db, shown=made[0])

    @post(
        "/partners/{client:uuid}/revoke",
        opt={"scope": Scope.IDENTITY_ADMIN},
        name="portal:hr-settings-partner-revoke",
        media_type=_HTML,
    )
    async def revoke_partner(
        self,
        visit: NamedDependency[Visit],
        control_db: NamedDependency[AsyncSession],
        revocations: NamedDependency[ClientRevocations],
        client: FromPath[uuid.UUID],
    ) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        service = PartnerClientService(control_db, visit.principal.tenant.id)
        return await _revoke(
            visit, control_db, lambda: service.revoke(client, revocations), "partners", N_("Back to the partner apps")
        )

    # -- SCIM tokens

    @get("/scim", opt={"scope": Scope.IDENTITY_ADMIN}, name="portal:hr-settings-scim")
    async def scim(
        self, visit: NamedDependency[Visit], control_db: NamedDependency[AsyncSession], revoked: FromQuery[bool] = False
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await _scim_page(visit, control_db, revoked=revoked)

    @post("/scim", opt={"scope": Scope.IDENTITY_ADMIN}, name="portal:hr-settings-scim-create", media_type=_HTML)
    async def create_scim_token(self, visit: NamedDependency[Visit], control_db: NamedDependency[AsyncSession]) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        typed = {"name": str((await visit.form("name")).get("name", ""))}
        made: list[Shown] = []
        language = visit.language

        async def write() -> object:
            data = msgspec.convert(typed, ScimTokenCreate)
            issued = await ScimTokenService(control_db, visit.principal.tenant.id).create(
                data.name, visit.principal.subject
            )
            made.append(Shown(issued.row.name, issued.token))
            return issued

        def words(exc: Refused) -> dict[str, str]:
            return {"name": language.gettext("Give the token a name, up to 200 characters, such as Okta production.")}

        refused = await attempt(control_db, write, words)
        if refused:
            return await _scim_page(visit, control_db, errors=refused, typed=typed, status=refused.status)
        return await _scim_page(visit, control_db, shown=made[0])

    @post(
        "/scim/{token:uuid}/revoke",
        opt={"scope": Scope.IDENTITY_ADMIN},
        name="portal:hr-settings-scim-revoke",
        media_type=_HTML,
    )
    async def revoke_scim_token(
        self, visit: NamedDependency[Visit], control_db: NamedDependency[AsyncSession], token: FromPath[uuid.UUID]
    ) -> Any:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        service = ScimTokenService(control_db, visit.principal.tenant.id)
        return await _revoke(visit, control_db, lambda: service.revoke(token), "scim", N_("Back to the SCIM tokens"))


def field_of_refusal(exc: Refused) -> str:
    """The field a refusal names (an `InvalidInputError`'s, a schema's path), else the whole form."""
    if isinstance(exc, InvalidInputError):
        return exc.field
    if isinstance(exc, msgspec.ValidationError):
        return field_of(exc)
    return FORM


async def _revoke(
    visit: Visit, control_db: AsyncSession, revoke: Callable[[], Awaitable[object]], section: str, back_label: str
) -> Any:
    """A revoking form of one button (any field refused): the revocation, then 303 back to the section's
    list saying so; one not of this company, or none, is the refusal page (404), as in the API."""
    await visit.form()
    try:
        await attempt(control_db, revoke, not_found_raises=True)
    except NotFoundError:
        return await visit.refused(404, f"{SETTINGS}/{section}", visit.language.gettext(back_label))
    return Redirect(f"{SETTINGS}/{section}?revoked=true", status_code=303)


async def _partner_not_found(visit: Visit) -> Template:
    return await visit.refused(404, f"{SETTINGS}/partners", visit.language.gettext("Back to the partner apps"))


async def _scim_tokens(control_db: AsyncSession, visit: Visit) -> list[Any]:
    service = ScimTokenService(control_db, visit.principal.tenant.id)
    return await every(lambda c: service.list(c, MAX_LIMIT))


async def _policy_page(
    visit: Visit,
    *,
    saved: bool = False,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    policy = await MobilityPolicyService(visit.db).get()
    shown = typed or {"manager_notice": policy.manager_notice.value, "release_days": str(policy.release_days)}
    return await visit.page(
        "hr_settings_policy.html",
        status=status,
        areas=AREAS,
        policy=policy,
        set_by=await actor_name(visit.db, visit.language, policy.updated_by, None),
        notices=NOTICES,
        typed=shown,
        errors=errors or {},
        saved=saved,
    )


async def _weights_page(
    visit: Visit,
    *,
    saved: bool = False,
    recompute: bool = False,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    service = MatchingSettingsService(visit.db)
    weights = (await service.get()).as_dict()
    versions = list(await every(lambda c: service.versions(visit.principal, c, MAX_LIMIT)))
    versions.reverse()
    names = {v.version: await actor_name(visit.db, visit.language, v.set_by, v.set_by_employee_id) for v in versions}
    computed_at, pending, run_version = await freshness(visit.db)
    total = sum(weights.values()) or 1.0
    return await visit.page(
        "hr_settings_weights.html",
        status=status,
        areas=AREAS,
        factors=FACTOR_WORDS,
        weights=weights,
        shares={factor: value / total for factor, value in weights.items()},
        typed=typed or {factor: f"{value:g}" for factor, value in weights.items()},
        versions=versions,
        names=names,
        computed_at=computed_at,
        pending=pending,
        run_version=run_version,
        errors=errors or {},
        saved=saved,
        recompute=recompute,
    )


async def _sso_page(
    visit: Visit,
    control_db: AsyncSession,
    secretbox: SecretBox,
    *,
    saved: bool = False,
    removed: bool = False,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    provider = await IdentityProviderService(control_db, visit.principal.tenant.id, secretbox).find()
    read = provider_read(provider, visit.principal.tenant, visit.settings.base_url) if provider is not None else None
    return await visit.page(
        "hr_settings_sso.html",
        status=status,
        areas=AREAS,
        provider=read,
        typed=typed or _sso_typed(read),
        errors=errors or {},
        saved=saved,
        removed=removed,
        remove_word=REMOVE_WORD,
    )


async def _partners_page(
    visit: Visit,
    control_db: AsyncSession,
    *,
    shown: Shown | None = None,
    revoked: bool = False,
    refused: uuid.UUID | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    chosen: Sequence[str] = (),
    status: int = 200,
) -> Template:
    clients = await PartnerClientService(control_db, visit.principal.tenant.id).all_clients()
    creators = {c.created_by: await actor_name(visit.db, visit.language, c.created_by, None) for c in clients}
    response = await visit.page(
        "hr_settings_partners.html",
        status=status,
        areas=AREAS,
        clients=sorted(clients, key=lambda c: (c.revoked_at is not None, c.name.casefold())),
        creators=creators,
        scopes=grantable_scopes(),
        scope_words=SCOPE_WORDS,
        chosen=list(chosen),
        shown=shown,
        revoked=revoked,
        refused=refused,
        errors=errors or {},
        typed=typed or {},
        grace_hours=f"{visit.settings.partner_secret_grace_seconds / _SECONDS_PER_HOUR:g}",
        token_url=visit.settings.base_url + TOKEN_PATH,
        here=f"{SETTINGS}/partners",
    )
    return _no_store(response)


async def _scim_page(
    visit: Visit,
    control_db: AsyncSession,
    *,
    shown: Shown | None = None,
    revoked: bool = False,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    tokens = await _scim_tokens(control_db, visit)
    creators = {t.created_by: await actor_name(visit.db, visit.language, t.created_by, None) for t in tokens}
    response = await visit.page(
        "hr_settings_scim.html",
        status=status,
        areas=AREAS,
        tokens=sorted(tokens, key=lambda t: (t.revoked_at is not None, t.name.casefold())),
        creators=creators,
        shown=shown,
        revoked=revoked,
        errors=errors or {},
        typed=typed or {},
        scim_url=visit.settings.base_url + SCIM_PATH,
        here=f"{SETTINGS}/scim",
    )
    return _no_store(response)


def _no_store(response: Template) -> Template:
    response.headers.update(_NO_STORE)
    return response
