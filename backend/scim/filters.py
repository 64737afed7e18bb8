"""SCIM filters (RFC 7644 §3.4.2.2) as SQL conditions, over a whitelist of attributes.

scim2-models parses a filter and resolves its attribute paths against the resource model; this
module maps each resolved attribute to a column and each node to SQL. Anything it does not map is
`invalidFilter` rather than a silent "matches nothing", so a client learns that we cannot answer.

Every condition is two-valued (true or false, never SQL NULL): a missing value does not equal
"x", and `not (title eq "x")` holds for someone without a title, as RFC 7644 has it.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scim2_models import InvalidFilterException, Resource, SCIMException, ScimFilter
from scim2_models.path import (
    AttributeBinding,
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
    coerce_value,
)
from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    String,
    and_,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)

from backend.framework.models import Role
from backend.identifiers import ascii_fold, ascii_folded
from backend.org.models import Employee, OrgUnit
from backend.scim.models import DirectoryGroup, DirectoryGroupMember
from backend.scim.resources import CROSSWALK_URN, ENTERPRISE_URN, GROUP_URN, USER_URN, WORK, Group, UserResource

# Long enough for any filter an identity provider sends; short enough that parsing is cheap.
MAX_FILTER_LENGTH = 2000

_USER = USER_URN + ":"
_ENTERPRISE = ENTERPRISE_URN + ":"
_CROSSWALK = CROSSWALK_URN + ":"
_GROUP = GROUP_URN + ":"


class Kind(enum.Enum):
    STRING = "string"
    BOOLEAN = "boolean"
    DATETIME = "dateTime"
    UUID = "uuid"


Wrap = Callable[[ColumnElement[bool]], ColumnElement[bool]]


@dataclass(frozen=True)
class Column:
    """Where an attribute lives. `within` wraps a condition on a row of a multi-valued attribute's
    own table into one on the resource (an EXISTS); None for attributes stored on the resource row."""

    expression: SQLColumnExpression[Any]
    kind: Kind
    within: Wrap | None = None
    # A case-insensitive `eq` spelled so that an index can answer it, where the plain form cannot.
    equals: Callable[[str], ColumnElement[bool]] | None = None


def _member_of_group(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(DirectoryGroupMember.group_id == DirectoryGroup.id, condition)


_department_name = select(OrgUnit.name).where(OrgUnit.id == Employee.org_unit_id).correlate(Employee).scalar_subquery()
_role_title = select(Role.title).where(Role.id == Employee.role_id).correlate(Employee).scalar_subquery()


def _user_name_equals(value: str) -> ColumnElement[bool]:
    # Both unique indexes (the ASCII-folded user_name, the email as stored, which is its normal form)
    # can answer this: identity providers look every user up this way before they create one.
    return or_(
        ascii_folded(Employee.user_name) == value,
        and_(Employee.user_name.is_(None), Employee.email == value),
    )


# The user's userName is its SCIM user name, or its email while it has none (an employee created
# before provisioning started): that is what lets an identity provider find and link them.
_user_name = Column(func.coalesce(Employee.user_name, Employee.email), Kind.STRING, equals=_user_name_equals)

USER_COLUMNS: dict[str, Column] = {
    _USER + "id": Column(Employee.id, Kind.UUID),
    _USER + "externalId": Column(Employee.scim_external_id, Kind.STRING),
    _USER + "userName": _user_name,
    _USER + "displayName": Column(Employee.full_name, Kind.STRING),
    _USER + "name.givenName": Column(Employee.given_name, Kind.STRING),
    _USER + "name.familyName": Column(Employee.family_name, Kind.STRING),
    _USER + "title": Column(Employee.title, Kind.STRING),
    _USER + "active": Column(Employee.active, Kind.BOOLEAN),
    # One email per employee, shown as the work address.
    _USER + "emails": Column(Employee.email, Kind.STRING),
    _USER + "emails.value": Column(Employee.email, Kind.STRING),
    _USER + "emails.type": Column(literal(WORK, String), Kind.STRING),
    _USER + "meta.created": Column(Employee.created_at, Kind.DATETIME),
    _USER + "meta.lastModified": Column(Employee.updated_at, Kind.DATETIME),
    _ENTERPRISE + "employeeNumber": Column(Employee.external_id, Kind.STRING),
    _ENTERPRISE + "department": Column(_department_name, Kind.STRING),
    _ENTERPRISE + "manager.value": Column(Employee.manager_id, Kind.UUID),
    _CROSSWALK + "role": Column(_role_title, Kind.STRING),
    # Levels are strings "1" to "10" in SCIM.
    _CROSSWALK + "level": Column(cast(Employee.level, String), Kind.STRING),
    _CROSSWALK + "jobCode": Column(Employee.job_code, Kind.STRING),
}

GROUP_COLUMNS: dict[str, Column] = {
    _GROUP + "id": Column(DirectoryGroup.id, Kind.UUID),
    _GROUP + "externalId": Column(DirectoryGroup.scim_external_id, Kind.STRING),
    _GROUP + "displayName": Column(DirectoryGroup.display_name, Kind.STRING),
    _GROUP + "members": Column(DirectoryGroupMember.employee_id, Kind.UUID, _member_of_group),
    _GROUP + "members.value": Column(DirectoryGroupMember.employee_id, Kind.UUID, _member_of_group),
    _GROUP + "meta.created": Column(DirectoryGroup.created_at, Kind.DATETIME),
    _GROUP + "meta.lastModified": Column(DirectoryGroup.updated_at, Kind.DATETIME),
}

_ORDERING = {
    CompareOperator.gt: lambda a, b: a > b,
    CompareOperator.ge: lambda a, b: a >= b,
    CompareOperator.lt: lambda a, b: a < b,
    CompareOperator.le: lambda a, b: a <= b,
}


class _SqlFilter(FilterVisitor[ColumnElement[bool]]):
    def __init__(self, scim_filter: ScimFilter[Any], columns: dict[str, Column]) -> None:
        self.filter = scim_filter
        self.columns = {urn.lower(): column for urn, column in columns.items()}
        # Inside `members[...]`, conditions are on one member row; the value path adds the EXISTS.
        self.in_value_path = False

    # -- attributes

    def _column(self, binding: AttributeBinding | None, attr_path: AttrPath) -> Column:
        column = self.columns.get(binding.urn.lower()) if binding is not None else None
        if column is None:
            raise InvalidFilterException(detail=f"filtering on '{attr_path}' is not supported")
        return column

    def _scoped(self, column: Column, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        if column.within is None or self.in_value_path:
            return condition
        return column.within(condition)

    # -- nodes

    def visit_logical_expr(self, node: LogicalExpr) -> ColumnElement[bool]:
        terms = [self.visit(term) for term in node.terms]
        return and_(*terms) if node.op == LogicalOperator.and_ else or_(*terms)

    def visit_not(self, node: Not) -> ColumnElement[bool]:
        return not_(self.visit(node.expr))

    def visit_present(self, node: Present) -> ColumnElement[bool]:
        column = self._column(self.filter.resolve(node.attr_path), node.attr_path)
        return self._scoped(column, _present(column))

    def visit_comparison(self, node: Comparison) -> ColumnElement[bool]:
        binding = self.filter.resolve_comparison(node.attr_path)
        column = self._column(binding, node.attr_path)
        assert binding is not None
        value = coerce_value(binding, node.value, node.op)
        if column.kind == Kind.STRING and isinstance(node.value, str):
            # As sent: coercing reads an email value into its NFC form, where the Kelvin sign K is a K.
            value = node.value
        if node.op == CompareOperator.ne and column.within is not None and not self.in_value_path:
            # On a multi-valued attribute, `ne` holds when no value equals the operand.
            return not_(column.within(_compare(column, CompareOperator.eq, value, binding.case_exact)))
        return self._scoped(column, _compare(column, node.op, value, binding.case_exact))

    def visit_value_path(self, node: ValuePath) -> ColumnElement[bool]:
        outer = self.filter.resolve(node.attr_path)
        if outer is None or not outer.is_multivalued or self.in_value_path:
            raise InvalidFilterException(detail=f"'{node.attr_path}[...]' is not a filter on a multi-valued attribute")
        self.in_value_path = True
        try:
            inner = _Prefixed(node.attr_path).visit(node.val_filter)
            condition = self.visit(inner)
        finally:
            self.in_value_path = False
        column = self._column(outer, node.attr_path)
        return column.within(condition) if column.within is not None else condition


class _Prefixed(FilterVisitor[FilterNode]):
    """Rewrite the sub-attribute filter of `emails[type eq "work"]` as `emails.type eq "work"`,
    so the inner terms resolve against the resource like any other attribute path."""

    def __init__(self, outer: AttrPath) -> None:
        self.outer = outer

    def _path(self, path: AttrPath) -> AttrPath:
        if path.sub_attr is not None or path.uri is not None:
            raise InvalidFilterException(detail=f"'{path}' cannot be filtered inside '{self.outer}[...]'")
        return AttrPath(attr=self.outer.attr, sub_attr=path.attr, uri=self.outer.uri)

    def visit_comparison(self, node: Comparison) -> FilterNode:
        return Comparison(attr_path=self._path(node.attr_path), op=node.op, value=node.value)

    def visit_present(self, node: Present) -> FilterNode:
        return Present(attr_path=self._path(node.attr_path))

    def visit_not(self, node: Not) -> FilterNode:
        return Not(expr=self.visit(node.expr))

    def visit_logical_expr(self, node: LogicalExpr) -> FilterNode:
        return LogicalExpr(op=node.op, terms=tuple(self.visit(term) for term in node.terms))

    def visit_value_path(self, node: ValuePath) -> FilterNode:
        raise InvalidFilterException(detail="value filters cannot be nested")


def _present(column: Column) -> ColumnElement[bool]:
    if column.within is not None:
        return true()
    if column.kind == Kind.STRING:
        return and_(column.expression.is_not(None), column.expression != "")
    return column.expression.is_not(None)


def _compare(column: Column, op: CompareOperator, value: Any, case_exact: bool) -> ColumnElement[bool]:
    expression = column.expression
    if value is None:
        if op == CompareOperator.eq:
            return expression.is_(None)
        if op == CompareOperator.ne:
            return expression.is_not(None)
        raise InvalidFilterException(detail=f"'{op.value}' cannot compare with null")
    if column.kind == Kind.UUID:
        if op in (CompareOperator.eq, CompareOperator.ne):
            try:
                wanted = uuid.UUID(str(value))
            except ValueError:
                # Not an id at all: equal to none of ours.
                return false() if op == CompareOperator.eq else expression.is_not(None)
            if op == CompareOperator.eq:
                return and_(expression.is_not(None), expression == wanted)
            return or_(expression.is_(None), expression != wanted)
        # Ids as text (lower-case, as Postgres writes them), for `co`, `sw` and friends.
        return _compare(Column(cast(expression, String), Kind.STRING), op, str(value), case_exact=False)
    if column.kind == Kind.BOOLEAN:
        if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail="a boolean attribute is compared with eq or ne and true or false")
        if op == CompareOperator.eq:
            return and_(expression.is_not(None), expression == value)
        return or_(expression.is_(None), expression != value)
    if column.kind == Kind.DATETIME:
        if not isinstance(value, datetime) or op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
            raise InvalidFilterException(detail="a dateTime attribute is compared with eq, ne, gt, ge, lt or le")
        return _ordered(expression, op, value)
    if not isinstance(value, str):
        raise InvalidFilterException(detail="a string attribute is compared with a string")
    # "Regardless of case" folds ASCII letters only: Unicode folding (lower()) would let a lookalike
    # (the Kelvin sign K for k) find another person's userName or another group's name.
    left: SQLColumnExpression[Any] = expression if case_exact else ascii_folded(expression)
    right = value if case_exact else ascii_fold(value)
    if op == CompareOperator.co:
        return and_(expression.is_not(None), left.contains(right, autoescape=True))
    if op == CompareOperator.sw:
        return and_(expression.is_not(None), left.startswith(right, autoescape=True))
    if op == CompareOperator.ew:
        return and_(expression.is_not(None), left.endswith(right, autoescape=True))
    if op == CompareOperator.eq and column.equals is not None and not case_exact:
        return column.equals(right)
    return _ordered(left, op, right)


def _ordered(expression: SQLColumnExpression[Any], op: CompareOperator, value: Any) -> ColumnElement[bool]:
    if op == CompareOperator.eq:
        return and_(expression.is_not(None), expression == value)
    if op == CompareOperator.ne:
        return or_(expression.is_(None), expression != value)
    return and_(expression.is_not(None), _ORDERING[op](expression, value))


def _compile(text: str, model: type[Resource[Any]], columns: dict[str, Column]) -> ColumnElement[bool]:
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilterException(detail=f"a filter is at most {MAX_FILTER_LENGTH} characters")
    try:
        # Subscripted through the call the syntax stands for: mypy reads `ScimFilter[model]` as a type.
        scim_filter: ScimFilter[Any] = ScimFilter.__class_getitem__(model)(text)
        return _SqlFilter(scim_filter, columns).visit(scim_filter.ast)
    except SCIMException as exc:
        if isinstance(exc, InvalidFilterException):
            raise
        raise InvalidFilterException(detail=exc.detail) from exc
    except (ValueError, TypeError, RecursionError) as exc:
        raise InvalidFilterException(detail=f"the filter cannot be read: {exc}") from exc


def user_filter(text: str) -> ColumnElement[bool]:
    """`text` as a condition on Employee; raises InvalidFilterException (400 invalidFilter)."""
    return _compile(text, UserResource, USER_COLUMNS)


def group_filter(text: str) -> ColumnElement[bool]:
    """`text` as a condition on DirectoryGroup; raises InvalidFilterException (400 invalidFilter)."""
    return _compile(text, Group, GROUP_COLUMNS)
