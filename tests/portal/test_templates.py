"""The portal's templates: every macro they import takes the page's context, since macros write their
words through gettext, which reads the page's language from it (an import without it fails only when
the macro is first called with words to write, e.g. a list's second page); and every region that may
scroll sideways (a wide table on a tablet or a phone) can be reached and scrolled by keyboard."""

from __future__ import annotations

import re

from backend.portal.site import TEMPLATES

_IMPORT = re.compile(r"{%-?\s*(from\s+\S+\s+import|import\s+\S+\s+as)\b[^%]*%}")


def test_every_macro_import_takes_the_pages_context() -> None:
    imports = [
        (path.name, match.group(0))
        for path in sorted(TEMPLATES.glob("*.html"))
        for match in _IMPORT.finditer(path.read_text())
    ]
    assert imports, "no template imports a macro: the pattern no longer finds them"
    without = [(name, text) for name, text in imports if "with context" not in text]
    assert not without, f"imported without the page's context: {without}"


_SCROLLING = re.compile(r"<div[^>]*\btable-responsive\b[^>]*>")


def test_every_region_that_scrolls_sideways_takes_the_keyboard_and_has_a_name() -> None:
    regions = [
        (path.name, match.group(0))
        for path in sorted(TEMPLATES.glob("*.html"))
        for match in _SCROLLING.finditer(path.read_text())
    ]
    assert regions, "no template has a scrolling table: the pattern no longer finds them"
    unreachable = [
        (name, tag)
        for name, tag in regions
        if 'tabindex="0"' not in tag or 'role="region"' not in tag or "aria-label" not in tag
    ]
    assert not unreachable, f"scrolls without the keyboard or a name: {unreachable}"
