"""The portal's catalogues: every string of its templates and code is in messages.pot, and the Dutch
catalogue translates every one of them (plural forms included), keeping their placeholders."""

from __future__ import annotations

from pathlib import Path

from backend.portal import i18n
from tests.catalogues import assert_translated, entries, extracted

PORTAL = Path(i18n.__file__).parent


def test_every_string_is_in_the_dutch_catalogue_and_translated() -> None:
    strings = extracted(PORTAL)
    assert len(strings) > 30
    assert_translated(strings, entries(i18n.po_path("nl"), "nl"), "the Dutch catalogue (docs/portal.md)")


def test_the_english_catalogue_and_the_template_have_the_same_strings() -> None:
    strings = extracted(PORTAL)
    assert set(entries(i18n.po_path("en"), "en")) == strings
    assert set(entries(PORTAL / "locales" / "messages.pot")) == strings


def test_the_languages_are_chosen_by_switch_then_claim_then_browser() -> None:
    languages = i18n.Languages()
    assert languages.choose("nl", "en-GB", "en").code == "nl"
    assert languages.choose(None, "nl-NL", "en").code == "nl"
    assert languages.choose("xx", "de-DE", "de, nl-BE;q=0.8, en;q=0.5").code == "nl"
    assert languages.choose(None, None, "fr, *;q=0.1").code == "en"
    assert languages.get("nl").percent(0.734) == "73%"
    assert languages.get("nl").points(0.1234) == "12,3%"
