"""The SCIM resources Crosswalk serves, attribute by attribute: what is stored, and nothing else.

scim2-models' own User, EnterpriseUser and Group describe every attribute of RFC 7643; publishing
them would promise phone numbers, addresses, passwords and more that Crosswalk never keeps. These
models declare the same schema URNs with only the attributes an employee or a directory group holds,
and with the characteristics the storage has (required, unique, case-exact, read-only). Their
schemas, derived by scim2-models, are what /Schemas publishes; requests are read with them too, so
what is accepted, stored, returned and published is one list.

The Crosswalk extension carries what the career framework needs from the identity provider: the
role (by its title in the company's framework), the level and the HRIS job code. Its URN sits under
`urn:ietf:params:scim:schemas:extension:`, the only form Microsoft Entra ID accepts for a custom
extension's attributes.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field
from scim2_models import (
    URN,
    AnyExtension,
    CaseExact,
    ComplexAttribute,
    Extension,
    Mutability,
    Reference,
    Required,
    Resource,
    Uniqueness,
)

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CROSSWALK_URN = "urn:ietf:params:scim:schemas:extension:crosswalk:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"

LEVELS = tuple(str(level) for level in range(1, 11))
# The one kind of address an employee has, and the one kind of group member.
WORK = "work"
USER_TYPE = "User"


class UserName(ComplexAttribute):
    given_name: str | None = None
    """The given name (first name in most Western languages)."""

    family_name: str | None = None
    """The family name (last name in most Western languages)."""


class WorkEmail(ComplexAttribute):
    value: Annotated[str | None, Required.true, Uniqueness.server] = None
    """The employee's email address, unique in the company regardless of case, stored in lower case."""

    type: Annotated[str | None, Field(examples=[WORK])] = None
    """Always "work": one address is kept per employee."""


class User(Resource[AnyExtension]):
    """An employee of the company."""

    __schema__ = URN(USER_URN)

    user_name: Annotated[str | None, Required.true, Uniqueness.server] = None
    """The sign-in name at the identity provider, unique in the company regardless of case."""

    name: UserName | None = None
    """The parts of the employee's name."""

    display_name: Annotated[str | None, Required.true] = None
    """The employee's full name, as people in the company see it."""

    title: str | None = None
    """The job title."""

    active: Annotated[bool | None, Required.true] = None
    """Whether the employee is active; false deactivates them and keeps their history."""

    emails: Annotated[list[WorkEmail] | None, Required.true] = None
    """The employee's email address: exactly one is kept (of several, the work one, else the first)."""


class UserManager(ComplexAttribute):
    value: Annotated[str | None, Required.true, CaseExact.true] = None
    """The id of the manager, a user of the same company."""

    ref: Annotated[Reference[User[Any]] | None, Required.true] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The location of the manager's User resource."""


class EnterpriseUser(Extension):
    """What the company's system of record says about the employee (RFC 7643 §4.3)."""

    __schema__ = URN(ENTERPRISE_URN)

    employee_number: Annotated[str | None, Uniqueness.server, CaseExact.true] = None
    """The employee's id in the company's system of record (HRIS), unique in the company."""

    department: str | None = None
    """The name of the employee's org unit (a department of that name first, regardless of case)."""

    manager: UserManager | None = None
    """The employee's manager."""


class CrosswalkUser(Extension):
    """Where the employee stands in the company's career framework."""

    __schema__ = URN(CROSSWALK_URN)

    role: Annotated[str | None, CaseExact.true] = None
    """The title of the employee's role in the company's framework, exactly as spelt there (see canonicalValues)."""

    level: Annotated[str | None, Field(examples=list(LEVELS))] = None
    """The employee's level, "1" to "10"."""

    job_code: Annotated[str | None, CaseExact.true] = None
    """The job code of the company's system of record, kept as sent."""


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Required.true, Mutability.immutable, CaseExact.true] = None
    """The id of a user of the company (groups do not nest)."""

    ref: Annotated[Reference[User[Any]] | None, Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The location of the member's User resource."""

    type: Annotated[str | None, Mutability.immutable, Field(examples=[USER_TYPE])] = None
    """Always "User"."""


class Group(Resource[Any]):
    """A directory group of the company; single sign-on can map group names to roles."""

    __schema__ = URN(GROUP_URN)

    display_name: Annotated[str | None, Required.true, Uniqueness.server] = None
    """The group's name, unique in the company regardless of case."""

    members: list[GroupMember] | None = None
    """The users in the group."""


UserResource = User[Union[EnterpriseUser, CrosswalkUser]]  # noqa: UP007 - the extensions are a type-level union
