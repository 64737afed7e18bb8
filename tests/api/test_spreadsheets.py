"""Every CSV the product hands out writes its cells through `safe_cell`: text a spreadsheet would run as
a formula is made plain text; numbers and other text stay as they are."""

from __future__ import annotations

import csv
import io

from backend.api.spreadsheets import safe_cell


def test_text_that_would_start_a_formula_is_written_as_text() -> None:
    for formula in ('=HYPERLINK("http://x")', "+1+cmd", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"):
        assert safe_cell(formula) == "'" + formula
    # What a spreadsheet reads back: the apostrophe keeps it text.
    out = io.StringIO()
    csv.writer(out).writerow([safe_cell("=1+1"), safe_cell("Ana"), safe_cell("-0.25"), safe_cell(3)])
    assert out.getvalue() == "'=1+1,Ana,-0.25,3\r\n"


def test_names_numbers_and_empty_cells_stay_as_they_are() -> None:
    for value in ("Ana Lima", "", "0.34", "-1", "12", 7, 0.5, None, "Data & Analytics"):
        assert safe_cell(value) == value
