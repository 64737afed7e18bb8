"""The portal's one write flow: every form's write runs in `attempt`, in a savepoint. A refusal (the same
problem details the API answers) becomes {field: message} beside the field it concerns, in the page's
words when it has a translator, with the status the API would answer; the write is undone and the
request's transaction still usable to read the page again."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeAlias, TypeVar

import msgspec
from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.exceptions import ValidationException
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.problems import domain_status
from backend.errors import DomainError, InvalidInputError, NotFoundError

# The shape of a form a page reads (`read_form`).
FormShape = TypeVar("FormShape", bound=msgspec.Struct)

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


# A refusal: the service's (or the API's schema's) reason a write was not done.
Refused: TypeAlias = DomainError | msgspec.ValidationError
# A page's translator: a refusal as {field: message} in the person's words.
Words: TypeAlias = Callable[[Refused], dict[str, str]]


class Refusal(dict[str, str]):
    """Field errors ({} once the write is done), with the status the API would answer the refused write
    with (`status`) and the refusal itself (`error`, None once done)."""

    status: int = 422
    error: Refused | None = None


async def attempt(
    db: AsyncSession,
    write: Callable[[], Awaitable[object]],
    words: Words | None = None,
    *,
    not_found_raises: bool = False,
) -> Refusal:
    """Runs a write in a savepoint: an empty `Refusal` once done; else its refusal as field errors (the
    API's, or the page's words from `words`) with the API's status, nothing of the write kept and the
    request's transaction still usable to read the page again. `not_found_raises`: a missing object
    (the API's 404) is left to the caller, which shows its not-found page."""
    try:
        async with db.begin_nested():
            await write()
    except (DomainError, msgspec.ValidationError) as exc:
        if not_found_raises and isinstance(exc, NotFoundError):
            raise
        refusal = Refusal((words or field_errors)(exc))
        refusal.status = domain_status(exc) if isinstance(exc, DomainError) else 422
        refusal.error = exc
        return refusal
    return Refusal()


async def read_fields(
    request: Request[Any, Any, Any], names: Collection[str], *, repeated: Collection[str] = ()
) -> FormMultiDict:
    """A form whose fields a page picks by name (`form.get`, `form.getall`), read only after the
    same-origin wall (so another site's form is refused before anything of it is parsed): a field not in
    `names` (the fields the page's form sends: hidden inputs, named buttons, checkboxes, htmx-only
    fields), or one given twice that is not in `repeated` (a multiple select, a row of a list), is
    refused (400), as an unknown query parameter is. A field left out is the form's own business (an
    unticked checkbox sends nothing): the page reads it as empty."""
    form = await request.form()
    if unknown := sorted(set(form) - set(names) - set(repeated)):
        raise ValidationException(f"unknown form fields: {unknown}")
    if twice := sorted(name for name in set(form) - set(repeated) if len(form.getall(name)) > 1):
        raise ValidationException(f"form fields given more than once: {twice}")
    return form


async def read_form(request: Request[Any, Any, Any], shape: type[FormShape]) -> FormShape:
    """A form's fields as `shape`, read only after the same-origin wall (so another site's form is
    refused before anything of it is parsed): a field the form does not have, one given twice or a
    missing one is refused (400), as an unknown query parameter is."""
    fields = await read_fields(request, shape.__struct_fields__)
    try:
        return msgspec.convert({name: str(fields[name]) for name in fields}, shape)
    except msgspec.ValidationError as exc:
        raise ValidationException(str(exc)) from exc
