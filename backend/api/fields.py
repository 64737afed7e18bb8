"""Field types shared by the request schemas.

Free text refuses NUL: Postgres cannot store it in text, and the schema says so, so that clients
(and fuzzers) learn it from the OpenAPI document rather than from a failed request.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

# Patterns avoid \s and \S: Python's (which validates) and ECMAScript's (which clients and fuzzers read)
# disagree on which control characters are white space.
NO_NUL = r"^[^\x00]*$"
NON_BLANK = r"^[^\x00]*[^\x00-\x20\x7f][^\x00]*$"

Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=NON_BLANK)]
Label = Annotated[str, Meta(min_length=1, max_length=300, pattern=NON_BLANK)]
ShortText = Annotated[str, Meta(max_length=200, pattern=NO_NUL)]
Description = Annotated[str, Meta(max_length=5000, pattern=NO_NUL)]
# ASCII only, one @, a dotted domain: the schema states what backend/identifiers.py enforces (which also
# refuses what a pattern cannot see, such as two dots in a row), so lookalike letters never get in.
_LOCAL = r"[\x21-\x3f\x41-\x7e]"
EMAIL_PATTERN = rf"^{_LOCAL}+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
Email = Annotated[str, Meta(min_length=3, max_length=320, pattern=EMAIL_PATTERN)]
HttpUrl = Annotated[str, Meta(min_length=8, max_length=2000, pattern=r"^https?://[^\x00-\x20\x7f]+$")]
