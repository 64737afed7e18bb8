"""Quoting for the few statements that cannot take bind parameters (DDL, GRANT, the BEGIN-time pin).

SQLAlchemy's PostgreSQL dialect does the quoting; the names come from control.tenants, where
provisioning validated them, and are quoted all the same.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.dialects import postgresql

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
_LITERAL = String().literal_processor(_DIALECT)  # type: ignore[no-untyped-call]


def quote_identifier(name: str) -> str:
    return str(_DIALECT.identifier_preparer.quote_identifier(name))


def quote_literal(value: str) -> str:
    assert _LITERAL is not None
    return str(_LITERAL(value))
