"""SCIM Users (RFC 7643/7644): a User is an employee.

scim2-models reads and writes the SCIM documents (validation, PATCH, filters) through the models of
`resources.py`, which declare only what is stored; this module maps them onto the employees and back.

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

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scim2_models import Context, InvalidValueException, Meta, NotFoundException, Reference, UniquenessException
from sqlalchemy import ColumnElement, and_, delete, false, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from backend.crud import lock_hierarchy
from backend.errors import ConflictError, InvalidInputError
from backend.framework.models import JobFamily, Role
from backend.identifiers import (
    ascii_fold,
    ascii_folded,
    check_group_name,
    check_user_name,
    normalise_email,
    same_identifier,
)
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.org.service import EmployeeWriter
from backend.scim.filters import user_filter
from backend.scim.models import DirectoryGroup, DirectoryGroupMember
from backend.scim.protocol import (
    EXTERNAL_ID_MAX,
    Listing,
    ScimStore,
    check_if_match,
    identifier_value,
    parse_document,
    patch_document,
    refused,
    text_value,
    version_of,
)
from backend.scim.resources import (
    ENTERPRISE_URN,
    LEVELS,
    WORK,
    CrosswalkUser,
    EnterpriseUser,
    User,
    UserManager,
    UserName,
    UserResource,
    WorkEmail,
)

# Column sizes of the rows the documents land in; longer values are refused with invalidValue.
_USER_NAME_MAX = 320
_EMAIL_MAX = 320
_FULL_NAME_MAX = 200
_NAME_PART_MAX = 100
_TITLE_MAX = 200
_EMPLOYEE_NUMBER_MAX = 200
_DEPARTMENT_MAX = 200
_ROLE_TITLE_MAX = 200
_JOB_CODE_MAX = 200


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
    email = text_value(str(chosen.value), "emails.value", _EMAIL_MAX)
    if email is None:
        raise InvalidValueException(attribute="emails", detail="emails is required: a user needs an email address")
    # Its normal form (ASCII only, one @, ASCII letters lower-cased): stored and compared as is.
    return identifier_value(normalise_email, email, "emails")


def _level(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    if value.strip() not in LEVELS:
        raise InvalidValueException(attribute="level", detail=f'level is "1" to "10", not {value!r}')
    return int(value)


def _person(user: UserResource, *, patching: bool = False) -> _Person:
    """Read a User document (for a PATCH, the resource with the operations applied)."""
    user_name = text_value(user.user_name, "userName", _USER_NAME_MAX)
    if user_name is None:
        raise InvalidValueException(attribute="userName", detail="userName is required")
    user_name = identifier_value(check_user_name, user_name, "userName")
    full_name = text_value(user.display_name, "displayName", _FULL_NAME_MAX)
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
        given_name=text_value(name.given_name, "name.givenName", _NAME_PART_MAX),
        family_name=text_value(name.family_name, "name.familyName", _NAME_PART_MAX),
        scim_external_id=text_value(user.external_id, "externalId", EXTERNAL_ID_MAX),
        title=text_value(user.title, "title", _TITLE_MAX),
        active=user.active,
        enterprise=None
        if enterprise is None
        else _Enterprise(
            employee_number=text_value(enterprise.employee_number, "employeeNumber", _EMPLOYEE_NUMBER_MAX),
            department=_department_name(text_value(enterprise.department, "department", _DEPARTMENT_MAX)),
            manager=text_value(enterprise.manager.value if enterprise.manager else None, "manager.value", 64),
        ),
        framework=None
        if framework is None
        else _Framework(
            role=text_value(framework.role, "role", _ROLE_TITLE_MAX),
            level=_level(framework.level),
            job_code=text_value(framework.job_code, "jobCode", _JOB_CODE_MAX),
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
            identifier_value(normalise_email, value, "emails")


def _department_name(name: str | None) -> str | None:
    """A department name is matched against the org units' names: one that could pass for another is refused."""
    if name is None:
        return None
    return identifier_value(lambda value: check_group_name(value, "the department"), name, "department")


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


class ScimUsers(ScimStore):
    """The Users of one tenant: SCIM's reading and showing of them; the org's writer of employees
    writes them."""

    def __init__(self, session: AsyncSession, base_url: str) -> None:
        super().__init__(session, base_url)
        self.employees = EmployeeWriter(session)

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
        user = parse_document(
            UserResource, _normalize_manager(payload, self.base_url), Context.RESOURCE_CREATION_REQUEST
        )
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
        employee = await self._write(employee, wanted, None, {"deprovisioned_at": None})
        return (await self._render_users([employee]))[0]

    async def replace_user(self, user_id: str, payload: Any, if_match: str | None) -> UserResource:
        await self._lock_tree_for(payload)
        employee = await self._employee(user_id, lock=True)
        before = (await self._render_users([employee]))[0]
        check_if_match(if_match, before)
        _check_raw_emails(payload)
        user = parse_document(
            UserResource, _normalize_manager(payload, self.base_url), Context.RESOURCE_REPLACEMENT_REQUEST
        )
        # RFC 7644 §3.5.1: read-only attributes come from the resource, immutable ones must not change.
        user.replace(before)
        await self._write(employee, _person(user), await self._current(employee), {})
        if not employee.active:
            self.access_changed.add(employee.id)
        return (await self._render_users([employee]))[0]

    async def patch_user(self, user_id: str, payload: Any, if_match: str | None) -> UserResource:
        await self._lock_tree_for(payload)
        employee = await self._employee(user_id, lock=True)
        before = (await self._render_users([employee]))[0]
        check_if_match(if_match, before)
        _check_raw_emails(payload)
        after = patch_document(UserResource, _normalize_manager(payload, self.base_url), before)
        await self._write(employee, _person(after, patching=True), await self._current(employee), {})
        if not employee.active:
            self.access_changed.add(employee.id)
        return (await self._render_users([employee]))[0]

    async def delete_user(self, user_id: str, if_match: str | None) -> None:
        """Deprovision: the employee turns inactive and leaves SCIM's view and its groups; their
        history stays, and provisioning the same userName again brings them back."""
        employee = await self._employee(user_id, lock=True)
        if if_match is not None:
            check_if_match(if_match, (await self._render_users([employee]))[0])
        deprovisioned = {
            "active": False,
            "deprovisioned_at": await self._now(),
            # Kept, so that the same userName finds this employee again (it may have been the email).
            "user_name": employee.user_name or employee.email,
        }
        try:
            await self.employees.update(employee, deprovisioned)
        except IntegrityError as exc:
            raise refused(exc) from exc
        self.access_changed.add(employee.id)
        member_of = select(DirectoryGroupMember.group_id).where(DirectoryGroupMember.employee_id == employee.id)
        await self.session.execute(
            update(DirectoryGroup).where(DirectoryGroup.id.in_(member_of)).values(updated_at=func.now())
        )
        await self.session.execute(delete(DirectoryGroupMember).where(DirectoryGroupMember.employee_id == employee.id))
        await self._flush()

    async def role_titles(self) -> list[str]:
        """The titles that name one role of the company's framework, the values the Crosswalk
        extension's role takes."""
        rows = await self.session.scalars(
            select(Role.title).group_by(Role.title).having(func.count() == 1).order_by(Role.title)
        )
        return list(rows.all())

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

    async def _write(
        self, employee: Employee | None, wanted: _Person, current: _Person | None, values: dict[str, Any]
    ) -> Employee:
        """Write what `wanted` changes against `current` (None: a new or returning employee, so all of it),
        with `values`, through the org's writer of employees; a new employee when `employee` is None."""

        def changed(field: str) -> bool:
            return current is None or getattr(wanted, field) != getattr(current, field)

        await self._ensure_unique(employee.id if employee is not None else None, wanted, current)
        # The extensions' attributes are looked up by name (a department may be created) before the
        # employee's row changes at all.
        if wanted.enterprise is not None:
            values |= await self._enterprise_values(wanted.enterprise, current.enterprise if current else None)
        if wanted.framework is not None:
            values |= await self._framework_values(wanted.framework, current.framework if current else None)
        # Deactivation keeps everything else: skills, aspirations and history stay as they are.
        for field in ("email", "full_name", "given_name", "family_name", "scim_external_id", "title", "active"):
            if changed(field):
                values[field] = getattr(wanted, field)
        if changed("user_name") or employee is None or employee.user_name is None:
            # Pinned at the first SCIM write: an employee shown with their email as userName keeps that
            # userName if the email changes later, as the identity provider expects.
            values["user_name"] = wanted.user_name
        try:
            if employee is None:
                employee = await self.employees.create(values)
            else:
                await self.employees.update(employee, values)
        except IntegrityError as exc:
            raise refused(exc) from exc
        except InvalidInputError as exc:
            # The ids were looked up above: what the writer can still refuse is a loop in the reporting line.
            if exc.field == "manager_id":
                raise InvalidValueException(
                    attribute="manager", detail="a user cannot report to themselves, directly or not"
                ) from None
            raise InvalidValueException(detail=exc.detail) from None
        await self.session.refresh(employee)
        return employee

    async def _enterprise_values(self, wanted: _Enterprise, current: _Enterprise | None) -> dict[str, Any]:
        # A department or manager is looked up only when the document changes it: repeating the name
        # of the unit HR placed someone in (a team, say) must not move them to a namesake department.
        values: dict[str, Any] = {}
        if current is None or not same_identifier(wanted.department or "", current.department or ""):
            values["org_unit_id"] = await self._department(wanted.department) if wanted.department else None
        if current is None or wanted.manager != current.manager:
            values["manager_id"] = await self._manager(wanted.manager) if wanted.manager else None
        if current is None or wanted.employee_number != current.employee_number:
            values["external_id"] = wanted.employee_number
        return values

    async def _framework_values(self, wanted: _Framework, current: _Framework | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if current is None or wanted.role != current.role:
            values["role_id"] = await self._role(wanted.role) if wanted.role else None
        if current is None or wanted.level != current.level:
            values["level"] = wanted.level
        if current is None or wanted.job_code != current.job_code:
            values["job_code"] = wanted.job_code
        return values

    async def _role(self, title: str) -> uuid.UUID:
        """The role of the company's framework with this title, compared exactly (a title shared by
        roles of two job families names neither)."""
        rows = (
            await self.session.execute(
                # The rows, not their ids: the writer's check that the role exists then finds it loaded.
                select(Role, JobFamily.name)
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
        role: Role = rows[0][0]
        return role.id

    async def _lock_tree_for(self, payload: Any) -> None:
        """Before the first query of a write that may move someone: the org tree's lock, then the
        manager chain's (the order every writer of employees takes them in)."""
        if _may_move_in_the_tree(payload):
            await self.employees.lock_tree(org_units=True, managers=True)

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

    async def _manager(self, value: str) -> uuid.UUID:
        """The user `value` names, who must not be deprovisioned (the writer checks the reporting line)."""
        invalid = InvalidValueException(
            attribute="manager", detail=f"manager {value!r} is not a user of this directory"
        )
        try:
            manager_id = uuid.UUID(value)
        except ValueError:
            raise invalid from None
        # The row, not its id: the writer's check that the manager exists then finds it loaded.
        found = await self.session.scalar(
            select(Employee).where(Employee.id == manager_id, Employee.deprovisioned_at.is_(None))
        )
        if found is None:
            raise invalid
        return manager_id

    async def _ensure_unique(self, own_id: uuid.UUID | None, wanted: _Person, current: _Person | None) -> None:
        """The identifiers a document changes must be free, reported by their SCIM attribute, in this order."""
        # Identifiers compare exactly but for the case of ASCII letters, never through lower() (which
        # folds Unicode lookalikes into the letters they imitate).
        if current is None or not same_identifier(wanted.user_name, current.user_name):
            name = ascii_folded(func.coalesce(Employee.user_name, Employee.email)) == ascii_fold(wanted.user_name)
            await self._refuse_taken("userName", wanted.user_name, name, own_id)
        if current is None or wanted.email != current.email:
            try:
                await self.employees.ensure_email_free(wanted.email, own_id)
            except ConflictError:
                raise _taken("emails", wanted.email) from None
        if wanted.scim_external_id and (current is None or wanted.scim_external_id != current.scim_external_id):
            condition = Employee.scim_external_id == wanted.scim_external_id
            await self._refuse_taken("externalId", wanted.scim_external_id, condition, own_id)
        number = wanted.enterprise.employee_number if wanted.enterprise else None
        if number and (current is None or current.enterprise is None or number != current.enterprise.employee_number):
            await self._refuse_taken("employeeNumber", number, Employee.external_id == number, own_id)

    async def _refuse_taken(
        self, attribute: str, value: str, condition: ColumnElement[bool], own_id: uuid.UUID | None
    ) -> None:
        query = select(Employee.id).where(condition)
        if own_id is not None:
            query = query.where(Employee.id != own_id)
        if await self.session.scalar(query.limit(1)) is not None:
            raise _taken(attribute, value)


def _taken(attribute: str, value: str) -> UniquenessException:
    return UniquenessException(attribute=attribute, detail=f"{attribute} {value!r} is already in use")
