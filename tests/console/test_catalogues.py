"""The console's catalogues: every string of its templates and code is in messages.pot, the Dutch
catalogue translates every one of them (plural forms included) keeping their placeholders, and every
string of SQLAdmin's own templates has its Dutch (SQLAdmin ships none)."""

from __future__ import annotations

from pathlib import Path

import sqladmin

from admin import i18n
from tests.catalogues import assert_translated, entries, extracted

ADMIN = Path(i18n.__file__).parent
SQLADMIN_POT = Path(sqladmin.__file__).parent / "translations" / "admin.pot"


def test_every_string_is_in_the_dutch_catalogue_and_translated() -> None:
    strings = extracted(ADMIN)
    assert len(strings) > 50
    assert_translated(strings, entries(i18n.po_path("nl"), "nl"), "the Dutch catalogue (docs/console.md)")


def test_sqladmins_own_strings_have_their_dutch() -> None:
    strings = set(entries(SQLADMIN_POT))
    assert len(strings) > 30
    dutch = entries(ADMIN / "locales" / "nl" / "LC_MESSAGES" / "sqladmin.po", "nl")
    assert_translated(strings, dutch, "admin/locales/nl/LC_MESSAGES/sqladmin.po")


def test_the_english_catalogue_and_the_template_have_the_same_strings() -> None:
    strings = extracted(ADMIN)
    assert set(entries(i18n.po_path("en"), "en")) == strings
    assert set(entries(ADMIN / "locales" / "messages.pot")) == strings


def test_the_language_is_the_switch_then_the_browser_then_english() -> None:
    languages = i18n.ConsoleLanguages()
    assert languages.choose("nl", "en").code == "nl"
    assert languages.choose("xx", "de-DE, nl-BE;q=0.8, en;q=0.5").code == "nl"
    assert languages.choose(None, "fr, *;q=0.1").code == "en"
    dutch = languages.get("nl")
    assert dutch.gettext("Open opportunities") == "Openstaande kansen"
    # SQLAdmin's strings, from the console's sqladmin.po.
    assert dutch.gettext("Save and continue editing") == "Opslaan en verder bewerken"
    assert languages.get("en").gettext("Save") == "Save"
