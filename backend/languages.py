"""Languages shared by the portal and the consultants' console: gettext catalogues (`.po` files, which
Babel compiles in memory when an app starts), the choice of a request's language by the Accept-Language
header, and dates and numbers written the way a language writes them.

Each app keeps its own catalogue (backend/portal/locales, admin/locales) and its own rule for the
language a person chose; what is here is pure: no request, no app.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:
    """Marks a string for the catalogues where it is defined; `Language.gettext` translates it where shown."""
    return message


def po_path(locales: Path, language: str) -> Path:
    return locales / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(locales: Path, language: str) -> Translations:
    """One language's catalogue, compiled in memory from its `.po` file."""
    return load_po(po_path(locales, language), language)


def load_po(path: Path, language: str) -> Translations:
    """A `.po` file, compiled in memory."""
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@dataclass(frozen=True)
class Language:
    """One language: its translations and its ways of writing dates and numbers."""

    code: str
    translations: Translations

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.code)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def datetime(self, moment: dt.datetime) -> str:
        """With its time zone named ("6 december 2026, 18:25:44 UTC"): the app does not know the
        person's own."""
        return format_datetime(moment, format="long", locale=self.code)

    def date(self, moment: dt.date) -> str:
        return format_date(moment, format="long", locale=self.code)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.code)

    def money(self, amount: float, currency: str) -> str:
        """An amount with its currency, as the language writes it ("€1,250.00" / "€ 1.250,00")."""
        return format_currency(amount, currency, locale=self.code)

    def percent(self, fraction: float) -> str:
        return format_percent(fraction, format="#,##0%", locale=self.code)

    def points(self, fraction: float) -> str:
        """A factor's share of a score, in percentage points with one decimal ("12.5" / "12,5")."""
        return format_percent(fraction, format="#,##0.0%", locale=self.code)


L = TypeVar("L", bound=Language)


class Catalogues(Generic[L]):
    """An app's catalogues, loaded once, and the first language a request asks for that it speaks."""

    def __init__(self, locales: Path, codes: Mapping[str, str], make: Callable[[str, Translations], L]) -> None:
        self.codes = codes
        self.by_code = {code: make(code, load(locales, code)) for code in codes}

    def get(self, code: str) -> L:
        return self.by_code[code]

    def first(self, *wanted: str | None, accept_language: str | None = None) -> L:
        """The first wanted language spoken here (a switch's choice, a claim), else the browser's
        Accept-Language, else English."""
        for tag in wanted:
            if (code := supported(tag, self.codes)) is not None:
                return self.by_code[code]
        return self.by_code[negotiate(accept_language, self.codes)]


def supported(tag: str | None, codes: Mapping[str, str]) -> str | None:
    """The language of `codes` a tag names ("nl-NL", "nl_BE", "en") or None."""
    if not tag:
        return None
    try:
        language = Locale.parse(tag.strip(), sep="-" if "-" in tag else "_").language
    except (ValueError, UnknownLocaleError):
        return None
    return language if language in codes else None


def negotiate(accept_language: str | None, codes: Mapping[str, str]) -> str:
    """The best language of `codes` for an Accept-Language header, by its q-values (RFC 9110)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        if (code := supported(tag, codes)) is not None:
            return code
    return DEFAULT_LANGUAGE
