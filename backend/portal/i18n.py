"""The portal's languages: English and Dutch catalogues (gettext, through Babel), the choice of a
person's language, and dates and numbers written the way that language writes them.

The catalogues are the `.po` files under `locales/`, read when the app starts (Babel compiles them in
memory): nothing is built before `python3 infra/dev.py run`, and a translator's edit shows on the next
start. `messages.pot` is what `pybabel extract -F babel.cfg` finds in the templates and this package.
"""

from __future__ import annotations

from pathlib import Path

from backend import languages
from backend.languages import DEFAULT_LANGUAGE, DOMAIN, N_

__all__ = ["DEFAULT_LANGUAGE", "DOMAIN", "LANGUAGES", "LANGUAGE_COOKIE", "N_", "Language", "Languages"]

LOCALES_DIR = Path(__file__).parent / "locales"
# Every language the portal speaks, in the order the switch offers them, each named in itself.
LANGUAGES = {"en": "English", "nl": "Nederlands"}
LANGUAGE_COOKIE = "crosswalk_language"

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
    return languages.po_path(LOCALES_DIR, language)


class Language(languages.Language):
    """One language of the portal (backend/languages.py), and the names of the default proficiency levels."""

    def level_name(self, level: int, name: str) -> str:
        """A proficiency level's name: translated when it is the product's default name for that level,
        else the company's own name as written."""
        return self.gettext(name) if DEFAULT_LEVEL_NAMES.get(level) == name else name


class Languages(languages.Catalogues[Language]):
    """The portal's catalogues, loaded once, and the rule that picks a request's language."""

    def __init__(self) -> None:
        super().__init__(LOCALES_DIR, LANGUAGES, Language)

    def choose(self, chosen: str | None, claimed: str | None, accept_language: str | None) -> Language:
        """The language the person chose on the switch, else their identity provider's `locale` claim,
        else the browser's Accept-Language, else English."""
        return self.first(chosen, claimed, accept_language=accept_language)


def supported(tag: str | None) -> str | None:
    """The portal language a tag names ("nl-NL", "nl_BE", "en") or None."""
    return languages.supported(tag, LANGUAGES)


def negotiate(accept_language: str | None) -> str:
    """The best portal language for an Accept-Language header, by its q-values (RFC 9110)."""
    return languages.negotiate(accept_language, LANGUAGES)
