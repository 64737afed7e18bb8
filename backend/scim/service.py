"""SCIM 2.0 provisioning (RFC 7643/7644) over the tenant's own tables.

A SCIM User is an employee; a SCIM Group is a directory group. scim2-models reads and writes the
SCIM documents (validation, PATCH, filters) through the models of `resources.py`, which declare only
what is stored; this module maps them onto the rows and back.

How identity providers behave decides a few things here:
- Every employee that has not been deleted over SCIM is a User, also one created before
  provisioning started: its userName is then its email, so the provider's first lookup
  (`userName eq "..."`) finds and links it instead of creating a duplicate.
- Changes are applied attribute by attribute, only where the document differs from what we show:
  a PUT or PATCH that repeats a department or manager leaves the employee where HR put them.
- A PUT without an extension (enterprise: employee number, department, manager; Crosswalk: role,
  level, job code) leaves its attributes as they are: providers send one only when it is mapped.
- Attributes we do not keep are ignored in documents sent whole (Entra sends `roles`, Okta a
  `password`), and refused when a PATCH operation names them by path (`invalidPath`).
- Entra sends the enterprise `manager` as a plain string, and removes group members with a value
  list; both are read as it means them (see POLICY and `_normalize_manager`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
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
    InvalidFilterException,
    InvalidPathException,
    InvalidSyntaxException,
    InvalidValueException,
    Meta,
    NotFoundException,
    Pagination,
    Patch,
    PatchOp,
    Path,
    PreconditionFailedException,
    Reference,
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
from sqlalchemy import ColumnElement, and_, delete, false, func, insert, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from backend.core.changes import note_change
from backend.crud import lock_hierarchy, would_cycle
from backend.framework.models import JobFamily, Role
from backend.identifiers import (
    IdentifierError,
    ascii_fold,
    ascii_folded,
    check_group_name,
    check_user_name,
    normalise_email,
    same_identifier,
)
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.scim.filters import group_filter, user_filter
from backend.scim.models import DirectoryGroup, DirectoryGroupMember
from backend.scim.resources import (
    CROSSWALK_URN,
    ENTERPRISE_URN,
    LEVELS,
    USER_TYPE,
    WORK,
    CrosswalkUser,
    EnterpriseUser,
    Group,
    GroupMember,
    User,
    UserManager,
    UserName,
    UserResource,
    WorkEmail,
)

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
_USER_NAME_MAX = 320
_EMAIL_MAX = 320
_FULL_NAME_MAX = 200
_NAME_PART_MAX = 100
_TITLE_MAX = 200
_EXTERNAL_ID_MAX = 255
_EMPLOYEE_NUMBER_MAX = 200
_DEPARTMENT_MAX = 200
_GROUP_NAME_MAX = 255
_ROLE_TITLE_MAX = 200
_JOB_CODE_MAX = 200


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


def _group_version(group: DirectoryGroup) -> str:
    # From the row, not the members: a list without members (Entra asks for that) still carries the
    # version, and every membership change touches the group's updated_at.
    digest = hashlib.sha256(f"{group.id}:{group.updated_at.isoformat()}".encode()).hexdigest()
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


def _parse(model: type[R], payload: Any, context: Context) -> R:
    if not isinstance(payload, dict):
        raise InvalidSyntaxException(detail="the body must be a JSON object")
    try:
        return model.model_validate(payload, scim_ctx=context, scim_policy=POLICY)
    except ValidationError as exc:
        raise scim_error(exc) from None


def _patch(model: type[R], payload: Any, resource: R) -> R:
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


def _is_manager_key(key: Any, prefix: str = "") -> bool:
    return isinstance(key, str) and key.lower() == (prefix + "manager").lower()


def _manager_object(value: Any, base_url: str) -> Any:
    """Entra's plain-string manager as the complex value RFC 7643 defines; an empty one as none."""
    if isinstance(value, str):
        value = {"value": value}
    if isinstance(value, dict):
        manager_id = value.get("value")
        if manager_id in ("", None):
            return None
        # `$ref` is required by the schema but sent by no provider; it follows from the id.
        value = {"$ref": f"{base_url}/Users/{manager_id}", **value}
    return value


def _may_move_in_the_tree(payload: Any) -> bool:
    """Whether a User document (or PatchOp) may set a department or a manager, judged from its raw text
    before anything is read: such a write takes the org-tree and manager-chain locks before its first
    query, so that, waiting for them, it holds no pooled connection. Any mention counts: taking the
    locks for nothing only serialises a write that did not need it."""
    text = json.dumps(payload).lower()
    return "department" in text or "manager" in text


def _normalize_manager(payload: Any, base_url: str) -> Any:
    """Rewrite the manager wherever a user document or PATCH body can carry it."""
    if not isinstance(payload, dict):
        return payload
    payload = dict(payload)
    for key, value in list(payload.items()):
        if isinstance(key, str) and key.lower() == ENTERPRISE_URN.lower() and isinstance(value, dict):
            payload[key] = {k: _manager_object(v, base_url) if _is_manager_key(k) else v for k, v in value.items()}
        elif _is_manager_key(key, ENTERPRISE_URN + ":"):
            payload[key] = _manager_object(value, base_url)
        elif isinstance(key, str) and key.lower() == "operations" and isinstance(value, list):
            payload[key] = [_normalize_operation(operation, base_url) for operation in value]
    return payload


def _normalize_operation(operation: Any, base_url: str) -> Any:
    if not isinstance(operation, dict):
        return operation
    path = operation.get("path")
    value = operation.get("value")
    if isinstance(path, str) and _is_manager_key(path, ENTERPRISE_URN + ":") and value is not None:
        if str(operation.get("op", "")).lower() == "remove":
            # Entra may name the manager it removes; there is only one.
            return {"op": "remove", "path": path}
        managed = _manager_object(value, base_url)
        return {**operation, "value": managed} if managed is not None else {"op": "remove", "path": path}
    if path is None or (isinstance(path, str) and path.lower() == ENTERPRISE_URN.lower()):
        if isinstance(value, dict) and path is not None:
            return {**operation, "value": _normalize_manager({ENTERPRISE_URN: value}, base_url)[ENTERPRISE_URN]}
        return {**operation, "value": _normalize_manager(value, base_url)}
    return operation


def _text(value: str | None, attribute: str, max_length: int) -> str | None:
    """A string attribute as stored: trimmed, empty as absent, within its column's size."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > max_length or "\x00" in value:
        raise InvalidValueException(
            attribute=attribute, detail=f"{attribute} is at most {max_length} characters (and has no NUL)"
        )
    return value or None


def _identifier(check: Callable[[str], str], value: str, attribute: str) -> str:
    """`value` through one of the identifier rules (backend/identifiers.py), refused as invalidValue."""
    try:
        return check(value)
    except IdentifierError as exc:
        raise InvalidValueException(attribute=attribute, detail=str(exc)) from None


# -- the employee a SCIM User describes


@dataclass(frozen=True)
class _Person:
    """What a SCIM User says about an employee, in the employee's terms."""

    user_name: str
    email: str
    full_name: str
    given_name: str | None
    family_name: str | None
    scim_external_id: str | None
    title: str | None
    active: bool
    # None: the document does not speak about the extension at all (its attributes are kept as they are).
    enterprise: _Enterprise | None
    framework: _Framework | None


@dataclass(frozen=True)
class _Enterprise:
    employee_number: str | None
    department: str | None
    manager: str | None


@dataclass(frozen=True)
class _Framework:
    """The Crosswalk extension: the role by its title, the level, the job code."""

    role: str | None
    level: int | None
    job_code: str | None


def _email_of(user: UserResource) -> str:
    """The one address kept: the work one, else the first."""
    emails = [email for email in user.emails or [] if email.value]
    chosen = next((e for e in emails if e.type is not None and e.type.lower() == WORK), None) or (
        emails[0] if emails else None
    )
    if chosen is None or chosen.value is None:
        raise InvalidValueException(attribute="emails", detail="emails is required: a user needs an email address")
    email = _text(str(chosen.value), "emails.value", _EMAIL_MAX)
    if email is None:
        raise InvalidValueException(attribute="emails", detail="emails is required: a user needs an email address")
    # Its normal form (ASCII only, one @, ASCII letters lower-cased): stored and compared as is.
    return _identifier(normalise_email, email, "emails")


def _level(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    if value.strip() not in LEVELS:
        raise InvalidValueException(attribute="level", detail=f'level is "1" to "10", not {value!r}')
    return int(value)


def _person(user: UserResource, *, patching: bool = False) -> _Person:
    """Read a User document (for a PATCH, the resource with the operations applied)."""
    user_name = _text(user.user_name, "userName", _USER_NAME_MAX)
    if user_name is None:
        raise InvalidValueException(attribute="userName", detail="userName is required")
    user_name = _identifier(check_user_name, user_name, "userName")
    full_name = _text(user.display_name, "displayName", _FULL_NAME_MAX)
    if full_name is None:
        raise InvalidValueException(attribute="displayName", detail="displayName is required")
    if user.active is None:
        raise InvalidValueException(attribute="active", detail="active is required")
    name = user.name or UserName()
    enterprise = user[EnterpriseUser]
    framework = user[CrosswalkUser]
    if patching:
        # A PATCH that removed a whole extension cleared its attributes.
        enterprise = enterprise or EnterpriseUser()
        framework = framework or CrosswalkUser()
    return _Person(
        user_name=user_name,
        email=_email_of(user),
        full_name=full_name,
        given_name=_text(name.given_name, "name.givenName", _NAME_PART_MAX),
        family_name=_text(name.family_name, "name.familyName", _NAME_PART_MAX),
        scim_external_id=_text(user.external_id, "externalId", _EXTERNAL_ID_MAX),
        title=_text(user.title, "title", _TITLE_MAX),
        active=user.active,
        enterprise=None
        if enterprise is None
        else _Enterprise(
            employee_number=_text(enterprise.employee_number, "employeeNumber", _EMPLOYEE_NUMBER_MAX),
            department=_department_name(_text(enterprise.department, "department", _DEPARTMENT_MAX)),
            manager=_text(enterprise.manager.value if enterprise.manager else None, "manager.value", 64),
        ),
        framework=None
        if framework is None
        else _Framework(
            role=_text(framework.role, "role", _ROLE_TITLE_MAX),
            level=_level(framework.level),
            job_code=_text(framework.job_code, "jobCode", _JOB_CODE_MAX),
        ),
    )


def _raw_email_values(payload: Any) -> Iterator[Any]:
    """The email addresses of a User document or PatchOp as sent, before the SCIM models read them."""

    def of_resource(document: Any) -> Iterator[Any]:
        if isinstance(document, dict):
            for key, value in document.items():
                if isinstance(key, str) and key.lower() == "emails":
                    yield from of_list(value)

    def of_list(values: Any) -> Iterator[Any]:
        for item in values if isinstance(values, list) else [values]:
            if isinstance(item, dict):
                yield from (v for k, v in item.items() if isinstance(k, str) and k.lower() == "value")

    yield from of_resource(payload)
    operations = (
        next((v for k, v in payload.items() if str(k).lower() == "operations"), None)
        if isinstance(payload, dict)
        else None
    )
    for operation in operations if isinstance(operations, list) else []:
        if not isinstance(operation, dict):
            continue
        path = next((v for k, v in operation.items() if str(k).lower() == "path"), None)
        value = next((v for k, v in operation.items() if str(k).lower() == "value"), None)
        if not isinstance(path, str):
            yield from of_resource(value)
        elif path.lower().startswith("emails"):
            yield from ([value] if path.lower().endswith(".value") else of_list(value))


def _check_raw_emails(payload: Any) -> None:
    """The SCIM models read an email into its NFC form (the Kelvin sign K becomes a K), which would hide
    a lookalike from the identifier rules: they see each address as it was sent."""
    for value in _raw_email_values(payload):
        if isinstance(value, str):
            _identifier(normalise_email, value, "emails")


def _department_name(name: str | None) -> str | None:
    """A department name is matched against the org units' names: one that could pass for another is refused."""
    if name is None:
        return None
    return _identifier(lambda value: check_group_name(value, "the department"), name, "department")


def _current(employee: Employee, department: str | None, role: str | None) -> _Person:
    """What the employee's row says, in the same terms, to see what a document changes (`department`
    and `role` are the names of the employee's org unit and role)."""
    return _Person(
        user_name=employee.user_name or employee.email,
        email=employee.email,
        full_name=employee.full_name,
        given_name=employee.given_name,
        family_name=employee.family_name,
        scim_external_id=employee.scim_external_id,
        title=employee.title,
        active=employee.active,
        enterprise=_Enterprise(
            employee_number=employee.external_id,
            department=department,
            manager=str(employee.manager_id) if employee.manager_id else None,
        ),
        framework=_Framework(role=role, level=employee.level, job_code=employee.job_code),
    )


def _member_ids(members: Iterable[GroupMember] | None) -> set[uuid.UUID]:
    ids: set[uuid.UUID] = set()
    for member in members or ():
        if member.type is not None and str(member.type) != USER_TYPE:
            raise InvalidValueException(
                attribute="members", detail="group members are users (nested groups are not kept)"
            )
        try:
            ids.add(uuid.UUID(str(member.value)))
        except ValueError:
            raise InvalidValueException(attribute="members", detail=f"no user {member.value!r}") from None
    return ids


class ScimService:
    """Users and Groups of one tenant, on its pinned session. `base_url` is the SCIM base
    (`<PUBLIC_URL>/scim/v2`), which locations and `$ref`s start with."""

    def __init__(self, session: AsyncSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url
        # Employees whose access changed (deactivated, deprovisioned, or their groups, which map to
        # roles): the caller ends their portal sessions.
        self.access_changed: set[uuid.UUID] = set()

    def location(self, endpoint: str, resource_id: Any) -> str:
        return f"{self.base_url}/{endpoint}/{resource_id}"

    # -- Users

    async def list_users(self, filter_text: str | None, start_index: int, count: int) -> Listing[UserResource]:
        condition: ColumnElement[bool] = Employee.deprovisioned_at.is_(None)
        if filter_text:
            condition = and_(condition, user_filter(filter_text))
        total, employees = await self._page(Employee, condition, start_index, count)
        return Listing(total, start_index, await self._render_users(employees))

    async def get_user(self, user_id: str) -> UserResource:
        return (await self._render_users([await self._employee(user_id)]))[0]

    async def create_user(self, payload: Any) -> UserResource:
        await self._lock_tree_for(payload)
        _check_raw_emails(payload)
        user = _parse(UserResource, _normalize_manager(payload, self.base_url), Context.RESOURCE_CREATION_REQUEST)
        wanted = _person(user)
        # Deleted over SCIM and provisioned again: the same employee comes back, with their history. It is
        # found by any of its unique keys (the userName, the email or the provider's id may have changed
        # in between), in that order; otherwise a hidden row would block the new user as a duplicate.
        employee = None
        for matches in (
            ascii_folded(Employee.user_name) == ascii_fold(wanted.user_name),
            Employee.email == wanted.email,
            Employee.scim_external_id == wanted.scim_external_id if wanted.scim_external_id else false(),
        ):
            employee = await self.session.scalar(
                select(Employee).where(matches, Employee.deprovisioned_at.is_not(None)).with_for_update()
            )
            if employee is not None:
                break
        if employee is None:
            employee = Employee()
        employee.deprovisioned_at = None
        await self._write(employee, wanted, None)
        return (await self._render_users([employee]))[0]

    async def replace_user(self, user_id: str, payload: Any, if_match: str | None) -> UserResource:
        await self._lock_tree_for(payload)
        employee = await self._employee(user_id, lock=True)
        before = (await self._render_users([employee]))[0]
        check_if_match(if_match, before)
        _check_raw_emails(payload)
        user = _parse(UserResource, _normalize_manager(payload, self.base_url), Context.RESOURCE_REPLACEMENT_REQUEST)
        # RFC 7644 §3.5.1: read-only attributes come from the resource, immutable ones must not change.
        user.replace(before)
        await self._write(employee, _person(user), await self._current(employee))
        if not employee.active:
            self.access_changed.add(employee.id)
        return (await self._render_users([employee]))[0]

    async def patch_user(self, user_id: str, payload: Any, if_match: str | None) -> UserResource:
        await self._lock_tree_for(payload)
        employee = await self._employee(user_id, lock=True)
        before = (await self._render_users([employee]))[0]
        check_if_match(if_match, before)
        _check_raw_emails(payload)
        after = _patch(UserResource, _normalize_manager(payload, self.base_url), before)
        await self._write(employee, _person(after, patching=True), await self._current(employee))
        if not employee.active:
            self.access_changed.add(employee.id)
        return (await self._render_users([employee]))[0]

    async def delete_user(self, user_id: str, if_match: str | None) -> None:
        """Deprovision: the employee turns inactive and leaves SCIM's view and its groups; their
        history stays, and provisioning the same userName again brings them back."""
        employee = await self._employee(user_id, lock=True)
        if if_match is not None:
            check_if_match(if_match, (await self._render_users([employee]))[0])
        employee.active = False
        employee.deprovisioned_at = await self._now()
        await note_change(self.session, "employee.deprovisioned")
        self.access_changed.add(employee.id)
        # Kept, so that the same userName finds this employee again (it may have been the email).
        employee.user_name = employee.user_name or employee.email
        member_of = select(DirectoryGroupMember.group_id).where(DirectoryGroupMember.employee_id == employee.id)
        await self.session.execute(
            update(DirectoryGroup).where(DirectoryGroup.id.in_(member_of)).values(updated_at=func.now())
        )
        await self.session.execute(delete(DirectoryGroupMember).where(DirectoryGroupMember.employee_id == employee.id))
        await self._flush()

    async def search(self, filter_text: str | None, start_index: int, count: int) -> Listing[Resource[Any]]:
        """Users, then groups, as one list: the root query of RFC 7644 §3.4.2.1 (`POST /.search`). A
        filter on an attribute that only one resource type has is false for the other."""
        users: ColumnElement[bool] | None = Employee.deprovisioned_at.is_(None)
        groups: ColumnElement[bool] | None = true()
        if filter_text:
            users, groups, refused = None, None, None
            try:
                users = and_(Employee.deprovisioned_at.is_(None), user_filter(filter_text))
            except InvalidFilterException as exc:
                refused = exc
            try:
                groups = group_filter(filter_text)
            except InvalidFilterException as exc:
                refused = refused or exc
            if users is None and groups is None:
                assert refused is not None
                raise refused
        user_total, employees = await self._page(Employee, users if users is not None else false(), start_index, count)
        # The groups continue the list where the users end.
        group_start = max(1, start_index - user_total)
        group_total, rows = await self._page(
            DirectoryGroup, groups if groups is not None else false(), group_start, count - len(employees)
        )
        found: list[Resource[Any]] = [*await self._render_users(employees), *await self._render_groups(rows)]
        return Listing(user_total + group_total, start_index, found)

    async def role_titles(self) -> list[str]:
        """The titles that name one role of the company's framework, the values the Crosswalk
        extension's role takes."""
        rows = await self.session.scalars(
            select(Role.title).group_by(Role.title).having(func.count() == 1).order_by(Role.title)
        )
        return list(rows.all())

    # -- Groups

    async def list_groups(
        self, filter_text: str | None, start_index: int, count: int, *, with_members: bool = True
    ) -> Listing[Group]:
        condition: ColumnElement[bool] = true()
        if filter_text:
            condition = group_filter(filter_text)
        total, groups = await self._page(DirectoryGroup, condition, start_index, count)
        return Listing(total, start_index, await self._render_groups(groups, with_members=with_members))

    async def get_group(self, group_id: str, *, with_members: bool = True) -> Group:
        return (await self._render_groups([await self._group(group_id)], with_members=with_members))[0]

    async def create_group(self, payload: Any) -> Group:
        document = _parse(Group, payload, Context.RESOURCE_CREATION_REQUEST)
        group = DirectoryGroup()
        await self._write_group(group, document, set())
        return (await self._render_groups([group]))[0]

    async def replace_group(self, group_id: str, payload: Any, if_match: str | None) -> Group:
        group = await self._group(group_id, lock=True)
        before = (await self._render_groups([group]))[0]
        check_if_match(if_match, before)
        document = _parse(Group, payload, Context.RESOURCE_REPLACEMENT_REQUEST)
        document.replace(before)
        await self._write_group(group, document, _member_ids(before.members))
        return (await self._render_groups([group]))[0]

    async def patch_group(self, group_id: str, payload: Any, if_match: str | None) -> Group:
        group = await self._group(group_id, lock=True)
        before = (await self._render_groups([group]))[0]
        check_if_match(if_match, before)
        after = _patch(Group, payload, before)
        await self._write_group(group, after, _member_ids(before.members))
        return (await self._render_groups([group]))[0]

    async def delete_group(self, group_id: str, if_match: str | None) -> None:
        group = await self._group(group_id, lock=True)
        if if_match is not None:
            check_if_match(if_match, (await self._render_groups([group], with_members=False))[0])
        members = await self.session.scalars(
            select(DirectoryGroupMember.employee_id).where(DirectoryGroupMember.group_id == group.id)
        )
        self.access_changed.update(members.all())
        # Its memberships go with it (ON DELETE CASCADE).
        await self.session.execute(delete(DirectoryGroup).where(DirectoryGroup.id == group.id))

    # -- loading

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

    async def _employee(self, user_id: str, *, lock: bool = False) -> Employee:
        try:
            employee_id = uuid.UUID(user_id)
        except ValueError:
            raise NotFoundException(detail=f"User {user_id} not found") from None
        query = select(Employee).where(Employee.id == employee_id, Employee.deprovisioned_at.is_(None))
        # Edits lock the row, so that two concurrent PATCHes apply one after the other.
        employee = await self.session.scalar(query.with_for_update() if lock else query)
        if employee is None:
            raise NotFoundException(detail=f"User {user_id} not found")
        return employee

    async def _group(self, group_id: str, *, lock: bool = False) -> DirectoryGroup:
        try:
            key = uuid.UUID(group_id)
        except ValueError:
            raise NotFoundException(detail=f"Group {group_id} not found") from None
        query = select(DirectoryGroup).where(DirectoryGroup.id == key)
        group = await self.session.scalar(query.with_for_update() if lock else query)
        if group is None:
            raise NotFoundException(detail=f"Group {group_id} not found")
        return group

    async def _current(self, employee: Employee) -> _Person:
        department = role = None
        if employee.org_unit_id is not None:
            department = await self.session.scalar(select(OrgUnit.name).where(OrgUnit.id == employee.org_unit_id))
        if employee.role_id is not None:
            role = await self.session.scalar(select(Role.title).where(Role.id == employee.role_id))
        return _current(employee, department, role)

    async def _now(self) -> datetime:
        now = await self.session.scalar(select(func.now()))
        assert isinstance(now, datetime)
        return now

    # -- rendering

    async def _render_users(self, employees: Sequence[Employee]) -> list[UserResource]:
        units = await self._names(OrgUnit.id, OrgUnit.name, {e.org_unit_id for e in employees if e.org_unit_id})
        roles = await self._names(Role.id, Role.title, {e.role_id for e in employees if e.role_id})
        users = []
        for employee in employees:
            manager = None
            if employee.manager_id is not None:
                manager = UserManager(
                    value=str(employee.manager_id),
                    ref=Reference[User[Any]](self.location("Users", employee.manager_id)),
                )
            name = None
            if employee.given_name or employee.family_name:
                name = UserName(given_name=employee.given_name, family_name=employee.family_name)
            user = UserResource(
                id=str(employee.id),
                external_id=employee.scim_external_id,
                user_name=employee.user_name or employee.email,
                name=name,
                display_name=employee.full_name,
                title=employee.title,
                active=employee.active,
                emails=[WorkEmail(value=employee.email, type=WORK)],
                meta=Meta(
                    resource_type="User",
                    created=employee.created_at,
                    last_modified=employee.updated_at,
                    location=self.location("Users", employee.id),
                ),
            )
            enterprise = EnterpriseUser(
                employee_number=employee.external_id,
                department=units.get(employee.org_unit_id) if employee.org_unit_id else None,
                manager=manager,
            )
            if enterprise.employee_number or enterprise.department or enterprise.manager:
                user[EnterpriseUser] = enterprise
            framework = CrosswalkUser(
                role=roles.get(employee.role_id) if employee.role_id else None,
                level=str(employee.level) if employee.level is not None else None,
                job_code=employee.job_code,
            )
            if framework.role or framework.level or framework.job_code:
                user[CrosswalkUser] = framework
            assert user.meta is not None
            user.meta.version = version_of(user)
            users.append(user)
        return users

    async def _names(
        self, key: InstrumentedAttribute[uuid.UUID], name: InstrumentedAttribute[str], ids: set[uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        """The names of the rows with these ids (org units, roles), in one query."""
        if not ids:
            return {}
        rows = await self.session.execute(select(key, name).where(key.in_(ids)))
        return {row_id: row_name for row_id, row_name in rows}

    async def _render_groups(self, groups: Sequence[DirectoryGroup], *, with_members: bool = True) -> list[Group]:
        members: dict[uuid.UUID, list[GroupMember]] = {group.id: [] for group in groups}
        if with_members and groups:
            rows = await self.session.execute(
                select(DirectoryGroupMember.group_id, DirectoryGroupMember.employee_id)
                .where(DirectoryGroupMember.group_id.in_(members))
                .order_by(DirectoryGroupMember.group_id, DirectoryGroupMember.employee_id)
            )
            for group_id, employee_id in rows:
                members[group_id].append(
                    GroupMember(
                        value=str(employee_id),
                        ref=Reference[User[Any]](self.location("Users", employee_id)),
                        type=USER_TYPE,
                    )
                )
        return [
            Group(
                id=str(group.id),
                external_id=group.scim_external_id,
                display_name=group.display_name,
                members=members[group.id] if with_members else None,
                meta=Meta(
                    resource_type="Group",
                    created=group.created_at,
                    last_modified=group.updated_at,
                    location=self.location("Groups", group.id),
                    version=_group_version(group),
                ),
            )
            for group in groups
        ]

    # -- writing

    async def _write(self, employee: Employee, wanted: _Person, current: _Person | None) -> None:
        """Apply what `wanted` changes against `current` (None: a new or returning employee, so all of it)."""

        def changed(field: str) -> bool:
            return current is None or getattr(wanted, field) != getattr(current, field)

        await self._ensure_unique(employee.id, wanted, current)
        # The enterprise attributes first: they query (and may create a department), and the row
        # should not be flushed half-changed by those queries.
        if wanted.enterprise is not None:
            await self._write_enterprise(employee, wanted.enterprise, current.enterprise if current else None)
        if wanted.framework is not None:
            await self._write_framework(employee, wanted.framework, current.framework if current else None)
        for field in ("email", "full_name", "given_name", "family_name", "scim_external_id", "title"):
            if changed(field):
                setattr(employee, field, getattr(wanted, field))
        if changed("active"):
            # Deactivation keeps everything else: skills, aspirations and history stay as they are.
            employee.active = wanted.active
        if changed("user_name") or employee.user_name is None:
            # Pinned at the first SCIM write: an employee shown with their email as userName keeps that
            # userName if the email changes later, as the identity provider expects.
            employee.user_name = wanted.user_name
        if employee not in self.session:
            self.session.add(employee)
        await self._flush()
        await self.session.refresh(employee)
        # Department, manager, role, level, activity: what matching reads may have changed.
        await note_change(self.session, "employee.provisioned")

    async def _write_enterprise(self, employee: Employee, wanted: _Enterprise, current: _Enterprise | None) -> None:
        # A department or manager is looked up only when the document changes it: repeating the name
        # of the unit HR placed someone in (a team, say) must not move them to a namesake department.
        if current is None or not same_identifier(wanted.department or "", current.department or ""):
            employee.org_unit_id = await self._department(wanted.department) if wanted.department else None
        if current is None or wanted.manager != current.manager:
            employee.manager_id = await self._manager(wanted.manager, employee) if wanted.manager else None
        if current is None or wanted.employee_number != current.employee_number:
            employee.external_id = wanted.employee_number

    async def _write_framework(self, employee: Employee, wanted: _Framework, current: _Framework | None) -> None:
        if current is None or wanted.role != current.role:
            employee.role_id = await self._role(wanted.role) if wanted.role else None
        if current is None or wanted.level != current.level:
            employee.level = wanted.level
        if current is None or wanted.job_code != current.job_code:
            employee.job_code = wanted.job_code

    async def _role(self, title: str) -> uuid.UUID:
        """The role of the company's framework with this title, compared exactly (a title shared by
        roles of two job families names neither)."""
        rows = (
            await self.session.execute(
                select(Role.id, JobFamily.name)
                .join(JobFamily, JobFamily.id == Role.job_family_id)
                .where(Role.title == title)
                .order_by(JobFamily.name)
            )
        ).all()
        if not rows:
            raise InvalidValueException(
                attribute="role",
                detail=f"role {title!r} is not the title of a role of this company's framework "
                "(the Crosswalk extension's schema lists them as canonicalValues)",
            )
        if len(rows) > 1:
            families = ", ".join(repr(family) for _, family in rows)
            raise InvalidValueException(
                attribute="role", detail=f"role {title!r} names roles of several job families ({families})"
            )
        return uuid.UUID(str(rows[0][0]))

    async def _lock_tree_for(self, payload: Any) -> None:
        """Before the first query of a write that may move someone: the org tree's lock, then the
        manager chain's (always in that order, as `_write_enterprise` takes them)."""
        if _may_move_in_the_tree(payload):
            await lock_hierarchy(self.session, "org_units")
            await lock_hierarchy(self.session, "managers")

    async def _department(self, name: str) -> uuid.UUID:
        """The org unit named `name` (a department first, then a top-level one); a new top-level
        department when there is none, so provisioning never stops for a missing unit."""
        # Serialised with every other change to the org tree, so two requests cannot both create it.
        await lock_hierarchy(self.session, "org_units")
        unit = await self.session.scalar(
            select(OrgUnit)
            .where(ascii_folded(OrgUnit.name) == ascii_fold(name))
            .order_by(OrgUnit.kind != OrgUnitKind.DEPARTMENT, OrgUnit.parent_id.is_not(None), OrgUnit.id)
            .limit(1)
        )
        if unit is None:
            unit = OrgUnit(name=name, kind=OrgUnitKind.DEPARTMENT, parent_id=None)
            self.session.add(unit)
            await self._flush()
        return unit.id

    async def _manager(self, value: str, employee: Employee) -> uuid.UUID:
        invalid = InvalidValueException(
            attribute="manager", detail=f"manager {value!r} is not a user of this directory"
        )
        try:
            manager_id = uuid.UUID(value)
        except ValueError:
            raise invalid from None
        found = await self.session.scalar(
            select(Employee.id).where(Employee.id == manager_id, Employee.deprovisioned_at.is_(None))
        )
        if found is None:
            raise invalid
        if employee.id is not None:
            await lock_hierarchy(self.session, "managers")
            if await would_cycle(self.session, Employee, "manager_id", employee.id, manager_id):
                raise InvalidValueException(
                    attribute="manager", detail="a user cannot report to themselves, directly or not"
                )
        return manager_id

    async def _ensure_unique(self, own_id: uuid.UUID | None, wanted: _Person, current: _Person | None) -> None:
        checks: list[tuple[str, str, ColumnElement[bool]]] = []
        # Identifiers compare exactly but for the case of ASCII letters, never through lower() (which
        # folds Unicode lookalikes into the letters they imitate).
        if current is None or not same_identifier(wanted.user_name, current.user_name):
            name = ascii_fold(wanted.user_name)
            checks.append(
                (
                    "userName",
                    wanted.user_name,
                    ascii_folded(func.coalesce(Employee.user_name, Employee.email)) == name,
                )
            )
        if current is None or wanted.email != current.email:
            checks.append(("emails", wanted.email, Employee.email == wanted.email))
        if wanted.scim_external_id and (current is None or wanted.scim_external_id != current.scim_external_id):
            checks.append(("externalId", wanted.scim_external_id, Employee.scim_external_id == wanted.scim_external_id))
        number = wanted.enterprise.employee_number if wanted.enterprise else None
        if number and (current is None or current.enterprise is None or number != current.enterprise.employee_number):
            checks.append(("employeeNumber", number, Employee.external_id == number))
        for attribute, value, condition in checks:
            query = select(Employee.id).where(condition)
            if own_id is not None:
                query = query.where(Employee.id != own_id)
            if await self.session.scalar(query.limit(1)) is not None:
                raise UniquenessException(attribute=attribute, detail=f"{attribute} {value!r} is already in use")

    async def _write_group(self, group: DirectoryGroup, document: Group, current_members: set[uuid.UUID]) -> None:
        display_name = _text(document.display_name, "displayName", _GROUP_NAME_MAX)
        if display_name is None:
            raise InvalidValueException(attribute="displayName", detail="displayName is required")
        # Group names map to roles: one that could pass for another group's name is refused.
        display_name = _identifier(check_group_name, display_name, "displayName")
        external_id = _text(document.external_id, "externalId", _EXTERNAL_ID_MAX)
        for attribute, value, condition in (
            ("displayName", display_name, ascii_folded(DirectoryGroup.display_name) == ascii_fold(display_name)),
            ("externalId", external_id, DirectoryGroup.scim_external_id == external_id),
        ):
            if value is None:
                continue
            query = select(DirectoryGroup.id).where(condition)
            if group.id is not None:
                query = query.where(DirectoryGroup.id != group.id)
            if await self.session.scalar(query.limit(1)) is not None:
                raise UniquenessException(attribute=attribute, detail=f"a group with {attribute} {value!r} exists")
        wanted_members = _member_ids(document.members)
        added = wanted_members - current_members
        removed = current_members - wanted_members
        if added:
            known = set(
                (
                    await self.session.scalars(
                        select(Employee.id).where(Employee.id.in_(added), Employee.deprovisioned_at.is_(None))
                    )
                ).all()
            )
            if unknown := added - known:
                raise InvalidValueException(attribute="members", detail=f"no user {sorted(map(str, unknown))[0]}")
        renamed = group.id is not None and not same_identifier(group.display_name, display_name)
        # Group names map to roles: a renamed group changes its members' roles, a membership its member's.
        self.access_changed.update(added | removed | (current_members if renamed else set()))
        group.display_name = display_name
        group.scim_external_id = external_id
        if group not in self.session:
            self.session.add(group)
        await self._flush()
        if added:
            await self.session.execute(
                insert(DirectoryGroupMember), [{"group_id": group.id, "employee_id": member} for member in added]
            )
        if removed:
            await self.session.execute(
                delete(DirectoryGroupMember).where(
                    DirectoryGroupMember.group_id == group.id, DirectoryGroupMember.employee_id.in_(removed)
                )
            )
        if added or removed:
            # Membership is part of the group: its lastModified (and version) move with it.
            await self.session.execute(
                update(DirectoryGroup).where(DirectoryGroup.id == group.id).values(updated_at=func.now())
            )
        await self.session.refresh(group)

    async def _flush(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            # Checked above; the database has the last word when two requests race.
            if getattr(exc.orig, "sqlstate", None) == "23505":
                raise UniquenessException(detail="a value that must be unique is already in use") from exc
            raise InvalidValueException(detail="the request refers to something that does not exist") from exc


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


# -- for single sign-on


async def directory_group_names(session: AsyncSession, employee_id: uuid.UUID) -> list[str]:
    """The display names of the directory groups the employee is in (SSO maps them to roles)."""
    rows = await session.scalars(
        select(DirectoryGroup.display_name)
        .join(DirectoryGroupMember, DirectoryGroupMember.group_id == DirectoryGroup.id)
        .where(DirectoryGroupMember.employee_id == employee_id)
        .order_by(DirectoryGroup.display_name)
    )
    return list(rows.all())
