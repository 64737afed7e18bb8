"""What every portal form does with a refusal: the same problem details the API answers, turned into
{field: message} beside the field it concerns, the write undone (a savepoint) and the request's
transaction still usable to read the page again."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.errors import DomainError, InvalidInputError

# The key of a refusal that concerns the whole form rather than one field.
FORM = "form"
# msgspec names the field a value was refused for as a JSON path ("... at `$.note`").
_FIELD_PATH = re.compile(r"at `\$\.(\w+)")


def field_of(exc: msgspec.ValidationError, default: str = FORM) -> str:
    """The field a schema's validation error names, else `default`."""
    found = _FIELD_PATH.search(str(exc))
    return found.group(1) if found else default


def field_errors(exc: DomainError | msgspec.ValidationError) -> dict[str, str]:
    """The problem details the API would answer, as {field: message}: an `InvalidInputError` names its
    field, a schema's validation error its path; any other refusal concerns the whole form."""
    if isinstance(exc, InvalidInputError):
        return {exc.field: exc.detail}
    if isinstance(exc, msgspec.ValidationError):
        return {field_of(exc): str(exc)}
    return {FORM: exc.detail}


async def attempt(db: AsyncSession, write: Callable[[], Awaitable[object]]) -> dict[str, str]:
    """Runs a write in a savepoint: {} once done; else its refusal as field errors, the write undone
    and the request's transaction still usable to read the page again (answered 422)."""
    try:
        async with db.begin_nested():
            await write()
    except (DomainError, msgspec.ValidationError) as exc:
        return field_errors(exc)
    return {}
