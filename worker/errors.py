"""Which failures a retry can fix. Everything not named transient here fails the job at once: a bug or
bad input fails the same way every time, and retrying it would only delay the dead letter."""

from __future__ import annotations

import asyncpg
import redis.exceptions
from dramatiq.middleware import MiddlewareError
from sqlalchemy.exc import DBAPIError, OperationalError


class PoisonMessageError(Exception):
    """A message that can never succeed: no tenant, no such job, arguments that do not fit."""


class TransientJobError(Exception):
    """Raised by a job body for a condition that passes by itself (a partner API rate-limited us...)."""


class JobStoppedError(Exception):
    """Raised in the thread of a platform job's blocking work once the job was given up (its time limit,
    a shutdown), so that the work stops at its next step instead of running on unobserved."""


class JobBusyError(TransientJobError):
    """Another delivery of the same message is running right now; retry once it has finished."""


class TenantLookupError(MiddlewareError, TransientJobError):
    """The message's tenant could not be looked up for now. A MiddlewareError, so that Dramatiq does
    not run the actor regardless and treats it as the failure of this attempt."""


_TRANSIENT_SQLSTATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
    "57P01",  # admin_shutdown
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now
    "53300",  # too_many_connections
}


def is_transient(exception: BaseException) -> bool:
    if isinstance(exception, TransientJobError | ConnectionError | TimeoutError | redis.exceptions.ConnectionError):
        return True
    if isinstance(exception, asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
        return True
    if isinstance(exception, OperationalError) or (
        isinstance(exception, DBAPIError) and exception.connection_invalidated
    ):
        return True
    if isinstance(exception, DBAPIError):
        return getattr(exception.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES
    return isinstance(exception, OSError)
