"""JSON output: orjson, with the standard library as the fallback for what orjson refuses.

The standard library's pretty encoder (``json.dumps(..., indent=2)``) is pure Python and was
half the time of ``assess --format json`` (benchmarks/RESULTS.md). orjson writes the same
bytes for our results (2-space indent, ``": "``, UTF-8 unescaped, keys optionally sorted) at
about 35x the speed. Where it refuses a value (an integer beyond 64 bits, a non-string key that
cannot be sorted) the standard library writes it instead, so output never fails for a value
the old encoder accepted. The one visible difference: floats with an exponent are written
``1e-07`` by the standard library and ``1e-7`` by orjson (the same number to any JSON reader).
"""
from __future__ import annotations

import json
from typing import Any, Callable, Optional

import orjson

_PLAIN = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps_bytes(obj: Any, *, sort_keys: bool = False, indent: bool = True,
                default: Optional[Callable[[Any], Any]] = None) -> bytes:
    """``obj`` as UTF-8 JSON: pretty (2-space indent) unless ``indent=False`` (one line, no spaces).

    ``default`` converts what JSON has no type for, as in ``json.dumps``; dates, times and
    dataclasses go to it too, so the bytes are what the standard library writes.
    """
    option = _PLAIN | (orjson.OPT_INDENT_2 if indent else 0) | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    try:
        return orjson.dumps(obj, default=default, option=option)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(obj, indent=2 if indent else None, separators=None if indent else (",", ":"),
                          ensure_ascii=False, sort_keys=sort_keys, default=default).encode("utf-8")


def dumps(obj: Any, *, sort_keys: bool = False, indent: bool = True,
          default: Optional[Callable[[Any], Any]] = None) -> str:
    """:func:`dumps_bytes` as text."""
    return dumps_bytes(obj, sort_keys=sort_keys, indent=indent, default=default).decode("utf-8")
