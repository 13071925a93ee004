"""The network's sites x standards matrix as CSV (the network summary PDF embeds it too)."""
from __future__ import annotations

import csv
import io
from typing import Any, Callable, Iterable, Mapping, TextIO

from . import view
from .. import textsafe

FIXED_COLUMNS = ("site_code", "site_name", "organisation", "network", "spec", "edition", "claimed",
                 "outcome", "qualifies_for", "score")


def _cell(value: Any) -> Any:
    """Text for one cell, neutralised (:func:`designation.textsafe.cell`)."""
    if isinstance(value, float):
        value = f"{value:.1f}".rstrip("0").rstrip(".")
    return textsafe.cell(value)


def network_matrix_csv(results: Iterable[Mapping[str, Any]]) -> str:
    """One row per site; after the site columns, one column per standard id holding its status.

    Standards are in specification order (specs by id), each id once; a blank cell means the
    standard is not part of that site's specification. Rows are ordered like the network summary.
    """
    rs = list(results)
    out = io.StringIO()
    write_matrix_csv(lambda: iter(rs), out)
    return out.getvalue()


def write_matrix_csv(results: Callable[[], Iterable[Mapping[str, Any]]], out: TextIO) -> None:
    """:func:`network_matrix_csv`, streamed: ``results()`` is read twice, one site at a time, so
    a network of any size needs memory for one site plus one short line per site."""
    by_spec: dict[str, dict[str, None]] = {}
    for r in results():  # pass 1: the columns
        r = view.normalise(r)
        cols = by_spec.setdefault(r["spec"]["id"], {})
        for st in r["standards"]:
            cols.setdefault(st["id"], None)
    columns: dict[str, None] = {}
    for spec_id in sorted(by_spec):
        columns.update(by_spec[spec_id])
    lines: list[tuple[tuple, str]] = []
    line = io.StringIO()
    writer = csv.writer(line, lineterminator="\n")
    for r in results():  # pass 2: each site's row, kept as text until they are sorted
        r = view.normalise(r)
        statuses = {st["id"]: st["status"] for st in r["standards"]}
        writer.writerow([_cell(v) for v in (
            r["site"]["code"], r["site"]["name"], r["site"]["organisation"], r["site"]["network"],
            r["spec"]["id"], r["spec"]["edition"], r["claimed"], r["outcome"]["status"],
            r["outcome"]["qualifies_for"], r["score"]["overall"],
        )] + [_cell(statuses.get(sid)) for sid in columns])
        lines.append((view.site_key(r), line.getvalue()))
        line.seek(0)
        line.truncate()
    csv.writer(out, lineterminator="\n").writerow(FIXED_COLUMNS + tuple(columns))
    for _, text in sorted(lines, key=lambda item: item[0]):
        out.write(text)
