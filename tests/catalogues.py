"""What the portal's and the console's catalogue tests share: the strings `pybabel extract` finds, a
`.po` file's entries, and the check that a catalogue translates every string keeping its placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

Key = str | tuple[str, ...]
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def extracted(root: Path) -> set[Key]:
    """Every string of the templates and code under `root`, as its babel.cfg maps them."""
    with (root / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[Key] = set()
    for _, _, message, _, _ in extract_from_dir(str(root), method_map, options_map):
        found.add(message if isinstance(message, str) else tuple(m for m in message if m))
    return found


def entries(path: Path, language: str | None = None) -> dict[Key, Key]:
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    return {
        (m.id if isinstance(m.id, str) else tuple(m.id)): (m.string if isinstance(m.string, str) else tuple(m.string))
        for m in catalog
        if m.id
    }


def assert_translated(strings: set[Key], catalogue: dict[Key, Key], where: str) -> None:
    """Every string is in the catalogue, translated (each plural form), with no placeholder of its own."""
    missing = sorted(str(s) for s in strings - catalogue.keys())
    assert not missing, f"not in {where} (pybabel update): {missing}"
    for msgid in strings:
        translation = catalogue[msgid]
        forms = translation if isinstance(translation, tuple) else (translation,)
        assert all(forms), f"untranslated in {where}: {msgid!r}"
        source = msgid if isinstance(msgid, str) else msgid[-1]
        for form in forms:
            assert set(_PLACEHOLDER.findall(form)) <= set(_PLACEHOLDER.findall(source)) | {"num"}, (msgid, form)
