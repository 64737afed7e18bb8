"""What a tenant slug may be: it becomes a schema name and part of a role name, so it is strict."""

from __future__ import annotations

import re

from sqlalchemy.dialects.postgresql.base import RESERVED_WORDS

SLUG_MAX_LENGTH = 30
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# Names that would read as part of the platform in URLs, logs or the console.
_PLATFORM_WORDS = frozenset(
    {
        "admin",
        "api",
        "auth",
        # The console's sign-in realm shares the SSO's namespace of realms with tenant slugs.
        "console",
        "control",
        "public",
        "system",
        "crosswalk",
        "health",
        "ready",
        "metrics",
        "docs",
        "schema",
        "scim",
        "oauth",
        "static",
        "www",
        "default",
        "template",
    }
)


class InvalidSlugError(ValueError):
    pass


def validate_slug(slug: str) -> str:
    if not slug:
        raise InvalidSlugError("tenant slug is empty")
    if len(slug) > SLUG_MAX_LENGTH:
        raise InvalidSlugError(f"tenant slug {slug!r} is longer than {SLUG_MAX_LENGTH} characters")
    if not SLUG_PATTERN.fullmatch(slug):
        raise InvalidSlugError(f"tenant slug {slug!r} must start with a lowercase letter and hold only a-z, 0-9 and _")
    if slug.endswith("_") or "__" in slug:
        raise InvalidSlugError(f"tenant slug {slug!r} may not end with _ or contain __")
    if slug in RESERVED_WORDS or slug in _PLATFORM_WORDS or slug.startswith("pg_"):
        raise InvalidSlugError(f"tenant slug {slug!r} is a reserved word")
    return slug


def schema_for(slug: str) -> str:
    return f"t_{slug}"
