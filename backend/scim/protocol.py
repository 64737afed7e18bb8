"""What SCIM 2.0 itself says (RFC 7643/7644), for Users and Groups alike: the provider's configuration
and policy, reading documents and PATCH operations, SCIM errors, ETags, index paging, discovery, and the
store both resources' services build on (`ScimStore`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import ValidationError
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    Error,
    ETag,
    Filter,
    InvalidPathException,
    InvalidSyntaxException,
    InvalidValueException,
    Meta,
    Pagination,
    Patch,
    PatchOp,
    Path,
    PreconditionFailedException,
    Resource,
    ResourceType,
    Schema,
    SCIMException,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    UniquenessException,
)
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.identifiers import IdentifierError
from backend.org.models import Employee
from backend.scim.models import DirectoryGroup
from backend.scim.resources import CROSSWALK_URN, CrosswalkUser, EnterpriseUser, Group, User, UserResource

R = TypeVar("R", bound=Resource[Any])
DEFAULT_COUNT = 100
MAX_COUNT = 500

# What we tolerate from identity providers: attributes we do not keep are ignored (Entra and Okta
# send locale, phone numbers, custom extensions), Entra removes members with a value list, and it
# replaces `emails[type eq "work"].value` on a user who has no work address yet.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

PROVIDER = ScimProvider(
    models=[User, EnterpriseUser, CrosswalkUser, Group],
    resource_types=[ResourceType.from_resource(UserResource), ResourceType.from_resource(Group)],
    config=ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_COUNT),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="SCIM bearer token",
                description="A token from POST /api/v1/scim-tokens or `crosswalk scim tokens create`, "
                "sent as `Authorization: Bearer <token>`.",
                primary=True,
            )
        ],
        pagination=Pagination(
            cursor=False,
            index=True,
            default_pagination_method=Pagination.DefaultPaginationMethod.index,
            default_page_size=DEFAULT_COUNT,
            max_page_size=MAX_COUNT,
        ),
    ),
    policy=POLICY,
)

# Column sizes of the rows the documents land in; longer values are refused with invalidValue.
# Column sizes of the rows the documents land in; longer values are refused with invalidValue.
# RFC 7643's externalId, which every resource has.
EXTERNAL_ID_MAX = 255


class UnsupportedMediaTypeException(SCIMException):
    """415: the body is neither application/scim+json nor application/json (RFC 7644 §3.1)."""

    status = 415
    _default_detail = "request bodies are application/scim+json or application/json"


@dataclass(frozen=True)
class Listing(Generic[R]):
    """One page of a SCIM list: RFC 7644's totalResults, startIndex and Resources."""

    total: int
    start_index: int
    resources: list[R]


# -- ETags


def version_of(resource: Resource[Any]) -> str:
    """meta.version of a user: a weak ETag over everything the representation says (its department's
    name and its manager included), so any change a client could see gives a new version."""
    shown = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    shown.pop("meta", None)
    digest = hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()
    return f'W/"{digest[:24]}"'


def etag_matches(header: str, version: str | None) -> bool:
    """Whether an If-Match/If-None-Match header names this version ("*" names any). Weak comparison:
    SCIM clients send back the W/"..." tags they were given (RFC 7644 §3.14)."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or (version is not None and version.removeprefix("W/") in tags)


def check_if_match(if_match: str | None, resource: Resource[Any]) -> None:
    if if_match is not None and not etag_matches(if_match, resource.meta.version if resource.meta else None):
        raise PreconditionFailedException(detail="the resource has changed since that version; read it again")


# -- reading SCIM documents


def _one_line(detail: str) -> str:
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    return "; ".join(line for line in lines if not line.startswith("For further information"))


def scim_error(exc: ValidationError) -> SCIMException:
    """The first problem of a document as the SCIM error RFC 7644 §3.12 defines for it."""
    errors = Error.from_validation_errors(exc)
    error = errors[0] if errors else Error(status=400, scim_type="invalidValue", detail=str(exc))
    if error.detail:
        error.detail = _one_line(error.detail)
    return SCIMException.from_error(error)


def parse_document(model: type[R], payload: Any, context: Context) -> R:
    if not isinstance(payload, dict):
        raise InvalidSyntaxException(detail="the body must be a JSON object")
    try:
        return model.model_validate(payload, scim_ctx=context, scim_policy=POLICY)
    except ValidationError as exc:
        raise scim_error(exc) from None


def patch_document(model: type[R], payload: Any, resource: R) -> R:
    """`resource` with the PATCH operations of `payload` applied (a copy; the original is kept)."""
    if not isinstance(payload, dict):
        raise InvalidSyntaxException(detail="the body must be a JSON object")
    patched = resource.model_copy(deep=True)
    try:
        operations = PatchOp.__class_getitem__(model).model_validate(
            payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
        )
        for operation in operations.operations or []:
            _refuse_unknown_path(model, operation.path)
        operations.patch(patched, scim_policy=POLICY)
    except ValidationError as exc:
        raise scim_error(exc) from None
    except SCIMException as exc:
        raise SCIMException.from_error(
            Error(status=exc.status, scim_type=exc.scim_type or None, detail=_one_line(exc.detail))
        ) from None
    return patched


def names_an_attribute(model: type[Resource[Any]], text: str) -> bool:
    """Whether `text` is the path of an attribute of `model` (or one of its extensions) that we keep."""
    path = Path.__class_getitem__(model)(text)
    return path.model is not None or path.resolve() is not None


def _refuse_unknown_path(model: type[Resource[Any]], text: Any) -> None:
    """An operation's path must name an attribute we keep. POLICY ignores unknown attributes, which
    suits the documents identity providers send whole (Entra adds `roles`, Okta a `password`), but
    an operation on an attribute by its path would otherwise succeed and change nothing."""
    if text is not None and not names_an_attribute(model, str(text)):
        raise InvalidPathException(
            path=str(text), detail=f"'{text}' is not an attribute Crosswalk keeps (see /Schemas)"
        )


def text_value(value: str | None, attribute: str, max_length: int) -> str | None:
    """A string attribute as stored: trimmed, empty as absent, within its column's size."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > max_length or "\x00" in value:
        raise InvalidValueException(
            attribute=attribute, detail=f"{attribute} is at most {max_length} characters (and has no NUL)"
        )
    return value or None


def identifier_value(check: Callable[[str], str], value: str, attribute: str) -> str:
    """`value` through one of the identifier rules (backend/identifiers.py), refused as invalidValue."""
    try:
        return check(value)
    except IdentifierError as exc:
        raise InvalidValueException(attribute=attribute, detail=str(exc)) from None


class ScimStore:
    """What the services of both resources share: the tenant's pinned session, the SCIM base
    (`<PUBLIC_URL>/scim/v2`, which locations and `$ref`s start with), paging, and the flush that turns
    what the database refuses into SCIM errors."""

    def __init__(self, session: AsyncSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url
        # Employees whose access changed (deactivated, deprovisioned, or their groups, which map to
        # roles): the caller ends their portal sessions.
        self.access_changed: set[uuid.UUID] = set()

    def location(self, endpoint: str, resource_id: Any) -> str:
        return f"{self.base_url}/{endpoint}/{resource_id}"

    async def _page(
        self, model: type[Employee] | type[DirectoryGroup], condition: ColumnElement[bool], start_index: int, count: int
    ) -> tuple[int, Sequence[Any]]:
        """How many rows match, and `count` of them from the `start_index`th (1-based) on."""
        total = await self.session.scalar(select(func.count()).select_from(model).where(condition))
        rows: Sequence[Any] = []
        if count > 0 and start_index <= (total or 0):
            # Ids are UUIDv7: by id is by creation, a stable order for startIndex paging.
            query = select(model).where(condition).order_by(model.id).offset(start_index - 1).limit(count)
            rows = (await self.session.scalars(query)).all()
        return int(total or 0), rows

    async def _flush(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise refused(exc) from exc


def refused(exc: IntegrityError) -> SCIMException:
    """What the database refused, as a SCIM error. Everything is checked before it is written; the
    database has the last word when two requests race."""
    if getattr(exc.orig, "sqlstate", None) == "23505":
        return UniquenessException(detail="a value that must be unique is already in use")
    return InvalidValueException(detail="the request refers to something that does not exist")


# -- discovery (RFC 7644 §4)


def service_provider_config(base_url: str) -> ServiceProviderConfig:
    config = PROVIDER.config
    assert config is not None
    shown = config.model_copy(deep=True)
    shown.meta = Meta(resource_type="ServiceProviderConfig", location=f"{base_url}/ServiceProviderConfig")
    return shown


def resource_types(base_url: str) -> list[ResourceType]:
    shown = []
    for resource_type in PROVIDER.resource_types:
        copy = resource_type.model_copy(deep=True)
        copy.meta = Meta(resource_type="ResourceType", location=f"{base_url}/ResourceTypes/{resource_type.id}")
        shown.append(copy)
    return shown


# The discovery resources' own schemas (RFC 7643 §8.7.2), published with those of the resources.
_DISCOVERY_SCHEMAS = tuple(model.to_schema() for model in (ServiceProviderConfig, ResourceType, Schema))


def schemas(base_url: str, role_titles: Sequence[str]) -> list[Schema]:
    """The schemas of what is stored; the Crosswalk extension's role lists the company's role titles."""
    shown = []
    for schema in (*PROVIDER.schemas, *_DISCOVERY_SCHEMAS):
        copy = schema.model_copy(deep=True)
        copy.meta = Meta(resource_type="Schema", location=f"{base_url}/Schemas/{schema.id}")
        if str(copy.id) == CROSSWALK_URN:
            if role_titles:
                copy["role"].canonical_values = list(role_titles)
            else:
                # A company without a framework (or only with titles two job families share) has no
                # role a user could be given.
                copy.attributes = [attribute for attribute in copy.attributes or [] if attribute.name != "role"]
        shown.append(copy)
    return shown
