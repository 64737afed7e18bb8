"""The portal's catalogues: every string of its templates and code is in messages.pot, and the Dutch
catalogue translates every one of them (plural forms included), keeping their placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from backend.portal import i18n

PORTAL = Path(i18n.__file__).parent
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def extracted() -> set[str | tuple[str, ...]]:
    with (PORTAL / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[str | tuple[str, ...]] = set()
    for _, _, message, _, _ in extract_from_dir(str(PORTAL), method_map, options_map):
        found.add(message if isinstance(message, str) else tuple(m for m in message if m))
    return found


def catalogue(language: str) -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    with i18n.po_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    return {
        (m.id if isinstance(m.id, str) else tuple(m.id)): (m.string if isinstance(m.string, str) else tuple(m.string))
        for m in catalog
        if m.id
    }


def test_every_string_is_in_the_dutch_catalogue_and_translated() -> None:
    dutch = catalogue("nl")
    strings = extracted()
    assert len(strings) > 30
    missing = sorted(str(s) for s in strings - dutch.keys())
    assert not missing, f"not in the Dutch catalogue (pybabel update, see docs/portal.md): {missing}"
    for msgid in strings:
        translation = dutch[msgid]
        forms = translation if isinstance(translation, tuple) else (translation,)
        assert all(forms), f"untranslated in Dutch: {msgid!r}"
        source = msgid if isinstance(msgid, str) else msgid[-1]
        for form in forms:
            assert set(_PLACEHOLDER.findall(form)) <= set(_PLACEHOLDER.findall(source)) | {"num"}, (msgid, form)


def test_the_english_catalogue_and_the_template_have_the_same_strings() -> None:
    strings = extracted()
    assert catalogue("en").keys() == strings
    with (PORTAL / "locales" / "messages.pot").open("rb") as pot:
        template = {(m.id if isinstance(m.id, str) else tuple(m.id)) for m in read_po(pot) if m.id}
    assert template == strings


def test_the_languages_are_chosen_by_switch_then_claim_then_browser() -> None:
    languages = i18n.Languages()
    assert languages.choose("nl", "en-GB", "en").code == "nl"
    assert languages.choose(None, "nl-NL", "en").code == "nl"
    assert languages.choose("xx", "de-DE", "de, nl-BE;q=0.8, en;q=0.5").code == "nl"
    assert languages.choose(None, None, "fr, *;q=0.1").code == "en"
    assert languages.get("nl").percent(0.734) == "73%"
    assert languages.get("nl").points(0.1234) == "12,3%"
