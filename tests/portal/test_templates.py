"""The portal's templates: every macro they import takes the page's context, since macros write their
words through gettext, which reads the page's language from it (an import without it fails only when
the macro is first called with words to write, e.g. a list's second page)."""

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
