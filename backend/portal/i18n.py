"""The portal's languages: English and Dutch catalogues (gettext, through Babel), the choice of a
person's language, and dates and numbers written the way that language writes them.

The catalogues are the `.po` files under `locales/`, read when the app starts (Babel compiles them in
memory): nothing is built before `python3 infra/dev.py run`, and a translator's edit shows on the next
start. `messages.pot` is what `pybabel extract -F babel.cfg` finds in the templates and this package.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
# Every language the portal speaks, in the order the switch offers them, each named in itself.
LANGUAGES = {"en": "English", "nl": "Nederlands"}
LANGUAGE_COOKIE = "crosswalk_language"


def N_(message: str) -> str:
    """Marks a string for the catalogues where it is defined; `Language.gettext` translates it where shown."""
    return message


# The product's default proficiency scale, which every new company starts with (the tenant schema's
# first migration seeds it, in English). A company may rename its levels (`PUT /api/v1/proficiency-
# levels/{level}`): a name it chose is its own words, shown as written; a default name it kept is the
# product's, and is translated (`Language.level_name`).
DEFAULT_LEVEL_NAMES = {
    1: N_("Novice"),
    2: N_("Advanced beginner"),
    3: N_("Competent"),
    4: N_("Proficient"),
    5: N_("Expert"),
}


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _load(language: str) -> Translations:
    with po_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@dataclass(frozen=True)
class Language:
    """One language of the portal: its translations and its ways of writing dates and numbers."""

    code: str
    translations: Translations

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.code)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def level_name(self, level: int, name: str) -> str:
        """A proficiency level's name: translated when it is the product's default name for that level,
        else the company's own name as written."""
        return self.gettext(name) if DEFAULT_LEVEL_NAMES.get(level) == name else name

    def datetime(self, moment: dt.datetime) -> str:
        """With its time zone named ("6 december 2026, 18:25:44 UTC"): the portal does not know the
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


class Languages:
    """Every catalogue, loaded once, and the rule that picks a request's language."""

    def __init__(self) -> None:
        self.by_code = {code: Language(code, _load(code)) for code in LANGUAGES}

    def get(self, code: str) -> Language:
        return self.by_code[code]

    def choose(self, chosen: str | None, claimed: str | None, accept_language: str | None) -> Language:
        """The language the person chose on the switch, else their identity provider's `locale` claim,
        else the browser's Accept-Language, else English."""
        for wanted in (chosen, claimed):
            if (code := supported(wanted)) is not None:
                return self.by_code[code]
        return self.by_code[negotiate(accept_language)]


def supported(tag: str | None) -> str | None:
    """The portal language a tag names ("nl-NL", "nl_BE", "en") or None."""
    if not tag:
        return None
    try:
        language = Locale.parse(tag.strip(), sep="-" if "-" in tag else "_").language
    except (ValueError, UnknownLocaleError):
        return None
    return language if language in LANGUAGES else None


def negotiate(accept_language: str | None) -> str:
    """The best portal language for an Accept-Language header, by its q-values (RFC 9110)."""
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
        if (code := supported(tag)) is not None:
            return code
    return DEFAULT_LANGUAGE
