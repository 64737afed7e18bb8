"""Reading ESCO concept files (skills or occupations) in the official ESCO CSV layout.

The same reader serves the catalogue bundled with Crosswalk (``data/esco_*.csv.gz``, derived by
``infra/esco/derive_taxonomy.py``) and a full ESCO download (``skills_en.csv``, ``occupations_en.csv``),
so columns are found by header name and any columns we do not use are ignored.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

DATA_DIR = Path(__file__).resolve().parent / "data"
BUNDLED_SKILLS = DATA_DIR / "esco_skills.csv.gz"
BUNDLED_OCCUPATIONS = DATA_DIR / "esco_occupations.csv.gz"

# Without these a row cannot become a catalogue entry; everything else is optional, because the
# trimmed ESCO exports that circulate often drop columns and an absent value is just empty.
REQUIRED_COLUMNS = ("conceptUri", "preferredLabel")
OPTIONAL_COLUMNS = ("conceptType", "altLabels", "description")

_SPACES = re.compile(r"\s+")
_NEWLINES = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class EscoConcept:
    uri: str
    preferred_label: str
    alt_labels: tuple[str, ...]
    description: str
    concept_type: str


class EscoFormatError(ValueError):
    """A file that is not a usable ESCO CSV; the message is one line naming the file and line."""


def read_esco_csv(path: Path) -> Iterator[EscoConcept]:
    """Yield the concepts of an ESCO CSV (``.csv`` or ``.csv.gz``), validating as it goes.

    Errors surface while iterating, so a caller that consumes the whole iterator inside one
    transaction imports either every row or none.
    """
    name = path.name
    try:
        with _open_text(path) as handle:
            yield from _parse(handle, name)
    except UnicodeDecodeError as exc:
        raise EscoFormatError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise EscoFormatError(f"{name}: damaged gzip data ({exc})") from None


def _open_text(path: Path) -> IO[str]:
    # utf-8-sig: spreadsheet tools re-save ESCO files with a byte-order mark that would otherwise
    # stick to the first header name.
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _parse(handle: IO[str], name: str) -> Iterator[EscoConcept]:
    reader = csv.reader(handle, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise EscoFormatError(f"{name} line 1: {exc}") from None
    if header is None:
        raise EscoFormatError(f"{name}: empty file, expected an ESCO CSV header")
    columns = {column.strip(): index for index, column in reversed(list(enumerate(header)))}
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise EscoFormatError(f"{name} line 1: missing column(s): {', '.join(missing)}")
    uri_at, label_at = columns["conceptUri"], columns["preferredLabel"]
    type_at, alt_at, description_at = (columns.get(column) for column in OPTIONAL_COLUMNS)

    first_seen: dict[str, int] = {}
    # A quoted field may span lines, so a record starts one line after the previous one ended.
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise EscoFormatError(f"{name} line {line}: {exc}") from None
        if row is None:
            return
        start, line = line, reader.line_num + 1
        if not row:
            continue
        if len(row) != len(header):
            raise EscoFormatError(f"{name} line {start}: expected {len(header)} fields, found {len(row)}")

        uri = row[uri_at].strip()
        if not uri:
            raise EscoFormatError(f"{name} line {start}: missing conceptUri")
        if not _is_http_uri(uri):
            raise EscoFormatError(f"{name} line {start}: conceptUri is not an http(s) URI: {_short(uri)}")
        if uri in first_seen:
            # The importer upserts a whole batch in one statement, which PostgreSQL refuses when
            # the same key occurs twice; better to name the line than to fail deep in the database.
            raise EscoFormatError(f"{name} line {start}: duplicate conceptUri {uri} (first on line {first_seen[uri]})")
        first_seen[uri] = start

        preferred = _SPACES.sub(" ", row[label_at]).strip()
        if not preferred:
            raise EscoFormatError(f"{name} line {start}: missing preferredLabel")
        yield EscoConcept(
            uri=uri,
            preferred_label=preferred,
            alt_labels=_alt_labels(row[alt_at] if alt_at is not None else "", preferred),
            description=row[description_at].strip() if description_at is not None else "",
            concept_type=row[type_at].strip() if type_at is not None else "",
        )


def _alt_labels(field: str, preferred: str) -> tuple[str, ...]:
    # Case-insensitive: a label differing from another only in case adds nothing to search.
    seen = {preferred.casefold()}
    labels: list[str] = []
    for raw in _NEWLINES.split(field):
        label = _SPACES.sub(" ", raw).strip()
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            labels.append(label)
    return tuple(labels)


def _is_http_uri(value: str) -> bool:
    if any(character.isspace() for character in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _short(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")
