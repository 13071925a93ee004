"""The network's sites x standards matrix as CSV (the network summary PDF embeds it too)."""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Mapping

from . import view

FIXED_COLUMNS = ("site_code", "site_name", "organisation", "network", "spec", "edition", "claimed",
                 "outcome", "qualifies_for", "score")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """Text for one cell. A value a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.1f}".rstrip("0").rstrip(".")
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def network_matrix_csv(results: Iterable[Mapping[str, Any]]) -> str:
    """One row per site; after the site columns, one column per standard id holding its status.

    Standards are in specification order (specs by id), each id once; a blank cell means the
    standard is not part of that site's specification. Rows are ordered like the network summary.
    """
    rs = sorted((view.normalise(r) for r in results), key=view.site_key)
    columns: dict[str, None] = {}
    for spec_id in sorted({r["spec"]["id"] for r in rs}):
        for r in rs:
            if r["spec"]["id"] == spec_id:
                for st in r["standards"]:
                    columns.setdefault(st["id"], None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIXED_COLUMNS + tuple(columns))
    for r in rs:
        statuses = {st["id"]: st["status"] for st in r["standards"]}
        writer.writerow([_cell(v) for v in (
            r["site"]["code"], r["site"]["name"], r["site"]["organisation"], r["site"]["network"],
            r["spec"]["id"], r["spec"]["edition"], r["claimed"], r["outcome"]["status"],
            r["outcome"]["qualifies_for"], r["score"]["overall"],
        )] + [_cell(statuses.get(sid)) for sid in columns])
    return out.getvalue()
