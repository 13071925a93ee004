"""Text made safe for where it lands. One module, so every output path neutralises the same way.

``csv_cell``: a spreadsheet runs a cell starting with ``= + - @`` (or a tab or carriage return)
as a formula; such a cell is prefixed with an apostrophe, which spreadsheets show as text.
"""
from __future__ import annotations

from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell that a spreadsheet will not run; non-text values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
