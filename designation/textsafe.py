"""Neutralise untrusted text for where it lands: a terminal, a CSV or spreadsheet cell, a report.

Every string a provider, a reviewer or a network wrote is hostile until it has passed one of
these functions on its way out. Each is pure, total (any input, never an exception) and cheap
on ordinary text (a fast path returns the string untouched when nothing needs doing).

* :func:`terminal` - for text printed to a terminal: control characters (ANSI/CSI escapes, OSC 8
  hyperlinks, BEL, backspace, carriage return ...) become visible ``\\x1b``-style escapes, bidi
  overrides are removed, and the result is bounded (:data:`TERMINAL_MAX` characters).
  Rich markup is not interpreted because the console is made with ``markup=False``; use
  :func:`rich_escape` when text must go through a markup-interpreting call.
* :func:`cell` - for a CSV or spreadsheet cell: the above, and a leading formula trigger
  (``= + - @``, tab, CR, also after leading spaces or non-breaking spaces) gets a ``'`` so a
  spreadsheet shows it as text rather than running it.
* :func:`printable` - for HTML and PDF: line and paragraph separators become line breaks,
  control characters, non-characters (U+FFFE, U+FFFF ...) and bidi overrides are removed, and
  very long text is cut for layout with a note saying so (:data:`PRINT_MAX` characters).
* :func:`shown` - a value echoed inside an error message: one line, at most
  :data:`SHOWN_MAX` characters, the rest counted ("... (2,097,152 characters)").
"""
from __future__ import annotations

import re
from typing import Any

TERMINAL_MAX = 4_000   # characters of one printed value or message
PRINT_MAX = 2_000      # characters of one text shown in a report (the full text stays embedded)
SHOWN_MAX = 60         # characters of a value echoed in an error message
CELL_MAX = 32_000      # characters of one CSV or spreadsheet cell (spreadsheets hold at most 32,767)

# Bidirectional embeddings, overrides and isolates: they make a reader see words in an order the
# data does not have ("Trojan source"). Marks (LRM/RLM/ALM) only nudge neutral characters: kept.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_SEPARATORS = frozenset("\u2028\u2029\x85\x0b\x0c")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_LEADING_SPACE = " \u00a0\u2007\u202f\u3000\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\ufeff"

_C0_C1 = "".join(chr(c) for c in list(range(32)) + list(range(0x7F, 0xA0)))
# Anything that is not plain printable text, for the fast path (one regex search per string).
_SUSPECT = re.compile("[" + re.escape(_C0_C1) + "\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
                      "\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]|[\U0001fffe\U0001ffff\U0010fffe\U0010ffff]")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?\Z")


def _noncharacter(ch: str) -> bool:
    c = ord(ch)
    return 0xFDD0 <= c <= 0xFDEF or (c & 0xFFFE) == 0xFFFE or 0xD800 <= c <= 0xDFFF


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def terminal(value: Any, *, limit: int = TERMINAL_MAX, one_line: bool = False) -> str:
    """``value`` as text that cannot drive a terminal (no escapes, bells, hyperlinks, overrides).

    Newlines and tabs are kept unless ``one_line``; every other control character is shown as
    its escape (``\\x1b``), so what was hidden becomes visible rather than silently lost.
    """
    text = _text(value)
    if len(text) > limit:
        text = text[:limit] + f"… ({len(text):,} characters; the rest is not shown)"
    if not _SUSPECT.search(text):
        return text
    out = []
    for ch in text:
        if ch in BIDI_CONTROLS or _noncharacter(ch):
            continue
        if ch == "\n" or ch == "\t":
            out.append(" " if one_line else ch)
        elif ch in LINE_SEPARATORS:
            out.append(" " if one_line else "\n")
        elif ch < " " or "\x7f" <= ch < "\xa0":
            out.append(f"\\x{ord(ch):02x}")
        elif ch == "\ufeff":
            continue
        else:
            out.append(ch)
    return "".join(out)


def cell(value: Any, *, limit: int = CELL_MAX) -> Any:
    """``value`` for one CSV or spreadsheet cell. Numbers (int/float) pass through as numbers;
    text that a spreadsheet would run as a formula gets a leading ``'``. Spreadsheets hold at
    most 32,767 characters in a cell: longer text is cut with a note."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = terminal(value, limit=limit, one_line=False)
    if text.startswith(FORMULA_TRIGGERS) or (text[:1] in _LEADING_SPACE and text.lstrip(_LEADING_SPACE)
                                               .startswith(FORMULA_TRIGGERS)):
        if _NUMBER.match(text):   # a negative number written as text is not a formula
            return text
        return "'" + text
    return text


def printable(value: Any, *, limit: int = PRINT_MAX) -> str:
    """``value`` for an HTML page or a PDF: no control characters, non-characters or bidi
    overrides; line and paragraph separators as newlines; at most ``limit`` characters, then a
    note that the text was cut for the report (the full text stays in the embedded input)."""
    text = _text(value)
    total = len(text)
    if total > limit:   # cut first, so an 800 KB comment costs no more than a short one
        text = text[:limit]
    if _SUSPECT.search(text):
        text = text.replace("\r\n", "\n")
        out = []
        for ch in text:
            if ch in BIDI_CONTROLS or _noncharacter(ch) or ch == "\ufeff":
                continue
            if ch in LINE_SEPARATORS or ch == "\r":
                out.append("\n")
            elif ch == "\t":
                out.append(" ")
            elif ch < " " and ch != "\n" or "\x7f" <= ch < "\xa0":
                continue
            else:
                out.append(ch)
        text = "".join(out)
    if total > limit:
        text += (f" […] (shortened for the report: {total:,} characters in all; "
                 "the full text is in the embedded input)")
    return text


def shown(value: Any, limit: int = SHOWN_MAX) -> str:
    """A value as it is quoted in an error message: ``repr``-like, one line, bounded."""
    if isinstance(value, str):
        if len(value) > limit:
            return repr(terminal(value[:limit], one_line=True)) + f"… ({len(value):,} characters)"
        return repr(terminal(value, one_line=True))
    if isinstance(value, int) and not isinstance(value, bool):
        digits = len(str(abs(value))) if value.bit_length() < 20_000 else None
        if digits is None or digits > limit:
            return f"a number of {digits:,} digits" if digits else "a number of more than 6,000 digits"
        return str(value)
    text = repr(value)
    if len(text) > limit:
        return terminal(text[:limit], one_line=True) + f"… ({len(text):,} characters)"
    return terminal(text, one_line=True)


def rich_escape(value: Any) -> str:
    """Text for a rich call that interprets markup (``[bold]``, ``[/]``): markup shown literally."""
    from rich.markup import escape

    return escape(terminal(value))


def deep(value: Any, fn: Any) -> Any:
    """``fn`` applied to every string inside ``value`` (dicts, lists, tuples), keys left alone."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: deep(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(deep(v, fn) for v in value)
    return value


def csv_cell(value: Any) -> Any:
    """The name other modules use for :func:`cell` (one CSV neutraliser)."""
    return cell(value)
