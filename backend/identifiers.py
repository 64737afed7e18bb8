"""The rules for identifiers that name people and groups: email addresses, SCIM userNames and group names.

Identifiers decide who signs in as whom and which group grants which role, so they are compared
exactly, with ASCII-only case folding at most. Unicode case folding is what made lookalikes work:
Python's `lower()`/`casefold()` and Postgres's `lower()` turn the Kelvin sign K (U+212A) into k and
`casefold()` turns the long s (U+017F) into s, so an address or a group name that only looks like another
compared equal to it. Here:

- An email address is ASCII only, has exactly one @, a sane local part and a domain with a dot
  (email-validator, without SMTPUTF8, quoting, IP literals or DNS look-ups), and is stored and
  compared in its normal form: ASCII letters lower-cased, nothing else touched.
- A userName (SCIM) is printable ASCII without spaces, kept as sent and compared ASCII-folded; one
  that has an @ must be a well-formed email address.
- A group name may be in any language, but not a lookalike: no invisible or control characters, no
  compatibility forms (fullwidth letters, the Kelvin sign, the long s, ligatures: anything NFKC changes), and
  no mixing of scripts (a Cyrillic a, U+0430, among Latin letters), after Unicode's UTS #39 "highly restrictive"
  level. Group names compare exactly, with ASCII-only case folding.

In SQL, identifiers compare through `ascii_folded` (Postgres `translate` of A-Z only), never `lower()`,
whose result depends on the collation and folds Unicode too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from email_validator import EmailNotValidError, validate_email
from fontTools import unicodedata as scripts
from sqlalchemy import ColumnElement, func, literal_column

EMAIL_MAX_LENGTH = 320
USER_NAME_MAX_LENGTH = 320
GROUP_NAME_MAX_LENGTH = 255

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ASCII_FOLD = str.maketrans(_UPPER, _LOWER)
# The arguments of SQL's translate() that fold ASCII letters, as the unique indexes spell them.
ASCII_FOLD_ARGUMENTS = f"'{_UPPER}', '{_LOWER}'"
# Control, format (zero-width joiners, bidi overrides), surrogate, private-use, unassigned, separators.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# Common and Inherited characters (digits, punctuation, combining marks) go with any script.
_ANY_SCRIPT = {"Zyyy", "Zinh"}
# UTS #39 section 5.1: Han, Hiragana, Katakana, Hangul and Bopomofo are written together.
_AUGMENTED = {
    "Hani": {"Hanb", "Jpan", "Kore"},
    "Hira": {"Jpan"},
    "Kana": {"Jpan"},
    "Hang": {"Kore"},
    "Bopo": {"Hanb"},
}
_WITH_LATIN = {"Hanb", "Jpan", "Kore"}


class IdentifierError(ValueError):
    """An identifier that is refused; the message says why and is safe to show."""


def ascii_fold(value: str) -> str:
    """`value` with A-Z lower-cased and every other character as it is."""
    return value.translate(_ASCII_FOLD)


def same_identifier(left: str, right: str) -> bool:
    """Equal, or equal but for the case of ASCII letters."""
    return ascii_fold(left) == ascii_fold(right)


def ascii_folded(expression: Any) -> ColumnElement[str]:
    """`expression` with A-Z lower-cased, in SQL. The two alphabets are literals (not parameters) so that
    the query's expression is the one the unique indexes are built on."""
    return func.translate(expression, literal_column(f"'{_UPPER}'"), literal_column(f"'{_LOWER}'"))


def _describe(character: str) -> str:
    return f"U+{ord(character):04X} {unicodedata.name(character, 'an unnamed character')}"


def _refuse_non_ascii(value: str, what: str) -> None:
    for character in value:
        if not character.isascii():
            raise IdentifierError(
                f"{what} may only use ASCII letters, digits and symbols; {_describe(character)} is not one "
                "(lookalikes of other letters are refused)"
            )


def normalise_email(value: str, what: str = "an email address") -> str:
    """The normal form of an email address (ASCII letters lower-cased), or IdentifierError."""
    if not isinstance(value, str):
        raise IdentifierError(f"{what} must be a string")
    value = value.strip(" \t\r\n")
    _refuse_non_ascii(value, what)
    if value.count("@") != 1:
        raise IdentifierError(f"{what} must have exactly one @: {value[:100]!r}")
    if len(value) > EMAIL_MAX_LENGTH:
        raise IdentifierError(f"{what} is at most {EMAIL_MAX_LENGTH} characters")
    try:
        checked = validate_email(
            value,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            allow_empty_local=False,
            check_deliverability=False,
            # Company-internal domains (corp.local) are fine; the address is never mailed from here.
            globally_deliverable=False,
        )
    except EmailNotValidError as exc:
        raise IdentifierError(f"{value[:100]!r} is not a valid email address: {exc}") from None
    if "." not in checked.domain:
        raise IdentifierError(f"{value[:100]!r} is not a valid email address: its domain has no dot")
    return ascii_fold(checked.normalized)


def email_domain(email: str) -> str:
    """The domain of a normalised email address."""
    return email.rsplit("@", 1)[1]


def check_user_name(value: str) -> str:
    """A SCIM userName: printable ASCII without spaces (kept as sent), a well-formed email if it has an @."""
    if not value:
        raise IdentifierError("userName is empty")
    if len(value) > USER_NAME_MAX_LENGTH:
        raise IdentifierError(f"userName is at most {USER_NAME_MAX_LENGTH} characters")
    _refuse_non_ascii(value, "userName")
    if any(not "\x21" <= character <= "\x7e" for character in value):
        raise IdentifierError("userName has no spaces or control characters")
    if "@" in value:
        normalise_email(value, "a userName with an @")
    return value


def _scripts_of(character: str) -> set[str]:
    found = set(scripts.script_extension(character))
    for script in tuple(found):
        found |= _AUGMENTED.get(script, set())
    return found


def _single_script(value: str) -> bool:
    """UTS #39 5.2 "highly restrictive": all letters of one script (Han with Hiragana and Katakana, or
    with Hangul, or with Bopomofo counting as one), or Latin with one of those."""
    resolved: set[str] | None = None
    without_latin: set[str] | None = None
    for character in value:
        found = _scripts_of(character)
        if found & _ANY_SCRIPT:
            continue
        resolved = found if resolved is None else resolved & found
        if "Latn" not in found:
            without_latin = found if without_latin is None else without_latin & found
    if resolved is None or resolved:
        return True
    return without_latin is not None and bool(without_latin & _WITH_LATIN)


def check_group_name(value: str, what: str = "the group name") -> str:
    """A group name as a directory or a role mapping holds it, refused if it could pass for another.
    Department names that provisioning matches against org units follow the same rule (`what`)."""
    if not value or not value.strip():
        raise IdentifierError(f"{what} is empty")
    if len(value) > GROUP_NAME_MAX_LENGTH:
        raise IdentifierError(f"{what} is at most {GROUP_NAME_MAX_LENGTH} characters")
    if value != value.strip(" "):
        raise IdentifierError(f"{what} {value!r} starts or ends with a space")
    for character in value:
        if unicodedata.category(character) in _INVISIBLE_CATEGORIES:
            raise IdentifierError(f"{what} {value!r} has an invisible or control character ({_describe(character)})")
    if unicodedata.normalize("NFKC", value) != value:
        odd = next((c for c in value if unicodedata.normalize("NFKC", c) != c), None)
        if odd is None:
            # Every character is fine alone: a letter and its accent written apart (NFD).
            raise IdentifierError(f"{what} {value!r} is not in composed form (Unicode NFC)")
        raise IdentifierError(
            f"{what} {value!r} uses {_describe(odd)}, a variant form of "
            f"{unicodedata.normalize('NFKC', odd)!r}: write the name with ordinary characters"
        )
    if not _single_script(value):
        names = sorted(
            {
                scripts.script_name(scripts.script(c))
                for c in value
                if not _scripts_of(c) & _ANY_SCRIPT and scripts.script(c) not in _ANY_SCRIPT
            }
        )
        raise IdentifierError(
            f"{what} {value!r} mixes letters of several scripts ({', '.join(names)}); "
            "a name that can pass for another is refused"
        )
    return value


def check_group_names(values: Iterable[str]) -> list[str]:
    return [check_group_name(value) for value in values]
