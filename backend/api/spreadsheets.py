"""Cells of the CSV files the product hands out (the console's lists and portfolio, the HR workspace's
figures), safe to open in a spreadsheet: text that a spreadsheet would read as a formula (it begins
with =, +, -, @, a tab or a carriage return) gets a leading apostrophe, as OWASP's advice on CSV
injection says, so a person's or a company's name can never run as a formula on an HR admin's or a
consultant's machine. Numbers are written as they are."""

from __future__ import annotations

from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe_cell(value: Any) -> Any:
    """`value` as a CSV cell: text that would start a formula made plain text; anything else as it is."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value
