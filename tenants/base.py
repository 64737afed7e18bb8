"""Declarative bases: control-plane tables live in the `control` schema, tenant tables in none.

Tenant tables carry no schema on purpose: the session's transaction-scoped `search_path` picks the
tenant, so the SQL text is the same for every tenant and prepared-statement caches stay small.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import uuid_utils
from sqlalchemy import DateTime, Enum, MetaData, func, literal_column
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Uuid

CONTROL_SCHEMA = "control"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    # UUIDv7 ids grow with time, so ordering by id is ordering by creation: that is what the
    # cursor pagination of every list relies on, and it keeps b-tree inserts local.
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


def new_id_sql() -> ColumnElement[uuid.UUID]:
    """`new_id` in SQL, for the rows one statement makes (INSERT ... SELECT): a UUIDv7 (RFC 9562) of the
    clock's milliseconds and random bits, so those rows sort among the others by creation too.
    PostgreSQL 15 has no `uuidv7()`: a random (v4) uuid gets the time in its first 6 bytes and its
    version nibble turned from 4 into 7."""
    return literal_column(
        "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
        "substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) "
        "from 1 for 6), 52, 1), 53, 1), 'hex')::uuid",
        Uuid(),
    )


def str_enum(enum_type: type[enum.StrEnum], name: str) -> Enum:
    """A string column checked against the enum's values; a new value needs no ALTER TYPE."""
    return Enum(
        enum_type,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


class ControlBase(DeclarativeBase):
    metadata = MetaData(schema=CONTROL_SCHEMA, naming_convention=NAMING_CONVENTION)


class TenantBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    # Fetch server-set timestamps with RETURNING at flush: async sessions cannot lazy-load them later.
    __mapper_args__ = {"eager_defaults": True}

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )
