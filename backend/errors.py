"""Errors the services raise. They know nothing of HTTP; the API maps them to problem+json."""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    """The object does not exist in this tenant, or the caller may not know that it does."""


class ConflictError(DomainError):
    """The change clashes with existing data (a duplicate, a cycle, a stale state)."""


class PermissionDeniedError(DomainError):
    """The caller is known but may not do this to this object."""


class InvalidInputError(DomainError):
    """Well-formed input that the domain rejects; names the field."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
