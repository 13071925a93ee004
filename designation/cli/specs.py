"""``designation specs``: list, show and check specifications."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import click

from ..errors import InputError, Problem
from ..textsafe import csv_cell
from ._shell import (EXIT_INVALID, dump_json, err, format_option, main, make_console, open_output, output_option,
                     problem_json, report_problems)


# --------------------------------------------------------------------------------------------
# specs


@main.command("specs")
@click.argument("args", nargs=-1)
@format_option("text", "json", "jsonl", "csv")
@output_option
def specs_cmd(args: tuple[str, ...], fmt: str, output: Optional[str]) -> None:
    """List specifications, show one, or check them.

    \b
    designation specs                 list every spec (id, edition, title, standards)
    designation specs SPEC_ID         show one spec's standards, sources and gaps
    designation specs check [PATH...] load and check specs, run every standard's examples

    \b
    Examples:
      designation specs --format csv -o specs.csv
      designation specs uec-ec --format jsonl | jq -r 'select(.category == "core") | .id'
      designation specs check specs/my-new-spec.yaml

    \b
    Exit codes: 0 ok; 1 a spec does not load or an example fails; 2 usage error.
    """
    from .. import spec as spec_mod

    if args and args[0] == "check":
        with open_output(output, [Path(a) for a in args[1:]]) as out:
            _specs_check(args[1:], fmt, out)
        return
    if len(args) > 1:
        raise click.UsageError("give at most one SPEC_ID (or 'check PATH...')")
    with open_output(output) as out:
        if not args:
            _specs_list(spec_mod, fmt, out, output)
        else:
            _specs_show(spec_mod.load(args[0]), fmt, out, output)


def _rows(rows: list[dict[str, Any]], fmt: str, out: Any) -> None:
    """json, jsonl or csv of a list of flat records."""
    if fmt == "json":
        out.write(dump_json(rows) + "\n")
    elif fmt == "jsonl":
        out.writelines(dump_json(r, indent=None) + "\n" for r in rows)
    else:
        import csv

        w = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
        w.writeheader()
        w.writerows({k: csv_cell(v) for k, v in r.items()} for r in rows)


def _specs_list(spec_mod: Any, fmt: str, out: Any, output: Optional[str]) -> None:
    from rich.table import Table

    table = Table(title="Specifications", title_justify="left")
    for col in ("id", "edition", "title", "standards", "designates"):
        table.add_column(col, overflow="fold")
    problems: list[Problem] = []
    rows = []
    for _sid, path in sorted(spec_mod.available().items()):
        try:
            s = spec_mod.load_path(path)
        except InputError as exc:
            problems += exc.problems
            continue
        level = s.ladder.level if s.ladder else ("yes" if s.file.designates else "no (library)")
        table.add_row(s.id, s.edition, s.title, str(len(s.standards)), level)
        rows.append({"id": s.id, "edition": s.edition, "title": s.title, "standards": len(s.standards),
                     "designates": bool(s.file.designates), "level": s.ladder.level if s.ladder else None})
    if fmt == "text":
        make_console(out if output else None).print(table)
    else:
        _rows(rows, fmt, out)
    if problems:
        report_problems(problems)
        sys.exit(EXIT_INVALID)


def _specs_show(s: Any, fmt: str, out: Any, output: Optional[str]) -> None:
    from rich.table import Table

    rows = [{"id": st.id, "title": st.title, "domain": st.domain, "category": st.category,
             "confidence": st.confidence} for st in s.standards]
    if fmt == "json":
        out.write(dump_json({"id": s.id, "edition": s.edition, "title": s.title, "publisher": s.file.publisher,
                             "standards": rows, "gaps": [{"id": g.id, "title": g.title} for g in s.gaps],
                             "tailorable": [{k: v for k, v in r.items() if k != "shown"} for r in _tailorable(s)]})
                  + "\n")
        return
    if fmt != "text":
        _rows(rows, fmt, out)
        return
    con = make_console(out if output else None)
    con.print(f"[bold]{s.title}[/bold] ({s.id}, edition {s.edition}), {s.file.publisher}")
    if s.file.summary:
        con.print(s.file.summary.strip())
    table = Table(show_lines=False)
    for col in ("id", "title", "domain", "category", "confidence"):
        table.add_column(col, overflow="fold")
    for st in s.standards:
        table.add_row(st.id, st.title, st.domain, st.category, st.confidence)
    con.print(table)
    _show_tailorable(con, s)
    if s.gaps:
        con.print("[bold]Declared gaps[/bold] (parts of the source that could not be confirmed):")
        for g in s.gaps:
            con.print(f"  {g.id}: {g.title}")


def _tailorable(s: Any) -> list[dict[str, Any]]:
    """What a network may tailor (tailoring.yaml): parameters and policy figures, with bounds."""
    from ..rules import format_value
    from ..spec import FIGURE_RANGE, FIGURES

    def shown(v: Any, kind: Any) -> str:
        return "any" if v is None else format_value(v, kind) + ("" if kind else " months")

    rows = []
    for name, p in sorted(s.parameters.items()):
        lo, hi = p.bounds()
        rows.append({"block": "parameters", "name": name, "default": p.default, "min": lo, "max": hi,
                     "shown": (format_value(p.default, p.type), f"{shown(lo, p.type)} to {shown(hi, p.type)}"),
                     "confidence": p.confidence, "source": p.source, "description": p.description.strip()})
    units = {"threshold": "percentage", "action_plan_window_months": None, "validity_months": None}
    for name in FIGURES:
        f = getattr(s.policy, name)
        unit = units[name]
        lo = f.min if f.min is not None else FIGURE_RANGE[name][0]
        hi = f.max if f.max is not None else FIGURE_RANGE[name][1]
        rng = (f"{shown(lo, unit)} to {shown(hi, unit)}" if unit else f"{lo:g} to {hi:g} months") \
            if f.tailorable else "not tailorable"
        rows.append({"block": "policy", "name": name, "default": f.value, "min": lo if f.tailorable else None,
                     "max": hi if f.tailorable else None, "shown": ("none" if f.value is None else shown(f.value, unit), rng),
                     "confidence": f.confidence, "source": f.source.strip(), "description": None})
    return rows


def _show_tailorable(con: Any, s: Any) -> None:
    import textwrap

    from rich.table import Table
    from rich.text import Text

    con.print("[bold]Tailorable by the network[/bold] (tailoring.yaml: parameters: and policy: blocks, within these bounds):")
    rows = _tailorable(s)
    if con.width < 120:   # a narrow terminal, or a pipe: one entry per line, nothing cut
        for r in rows:
            head = (f"{r['block']}: {r['name']}: default {r['shown'][0]}; bounds {r['shown'][1]}; "
                    f"confidence {r['confidence']}")
            con.print(Text(textwrap.fill(head, con.width - 1, initial_indent="  ", subsequent_indent="    ",
                                         break_on_hyphens=False)))
            con.print(Text(textwrap.fill(r["description"] or r["source"] or "", con.width - 1, initial_indent=" " * 6,
                                         subsequent_indent=" " * 6)))
        return
    table = Table(show_lines=False)
    # names are what a network types into tailoring.yaml: never cut; the rest wraps to fit
    for col in ("block", "name"):
        table.add_column(col, no_wrap=True)
    for col in ("default", "bounds", "confidence"):
        table.add_column(col, overflow="fold")
    table.add_column("source or description", overflow="fold", min_width=20, ratio=1)
    for r in rows:
        table.add_row(r["block"], r["name"], r["shown"][0], r["shown"][1], r["confidence"],
                      Text(r["description"] or r["source"] or ""))
    con.print(table)


def _specs_check(paths: tuple[str, ...], fmt: str, out: Any) -> None:
    from .. import examples, spec as spec_mod

    files: list[Path] = []
    for p in paths or [str(x) for x in spec_mod.available().values()]:
        pp = Path(p)
        files += sorted(pp.glob("*.yaml")) if pp.is_dir() else [pp]
    problems: list[Problem] = []
    records: list[dict[str, Any]] = []
    total = 0
    for f in files:
        try:
            s = spec_mod.load_path(f) if f.exists() else spec_mod.load(str(f))
        except InputError as exc:
            problems += exc.problems
            continue
        own = [st for st in s.standards if st.spec_id == s.id]
        ran, probs = examples.run(s)
        problems += probs
        total += ran
        record = {"file": str(f), "id": s.id, "standards": len(own), "questions": len(s.questions),
                  "gaps": len(s.gaps), "examples": ran, "example_faults": len(probs)}
        if fmt == "text":
            out.write(f"{f}: {len(own)} standards, {len(s.questions)} questions, {len(s.gaps)} declared gaps"
                      f"{'' if not probs else ', ' + str(len(probs)) + ' example fault(s)'}\n")
        else:
            records.append(record)
    if fmt != "text":
        problems_json = [problem_json(p) for p in problems]
        if fmt == "json":
            out.write(dump_json({"ok": not problems, "specs": records, "problems": problems_json}) + "\n")
        elif fmt == "jsonl":
            out.writelines(dump_json(r, indent=None) + "\n" for r in records)
        else:
            _rows(records, "csv", out)
    report_problems(problems)
    if problems:
        err(f"{len(problems)} problem(s)")
        sys.exit(EXIT_INVALID)
    if fmt == "text":
        out.write(f"ok: {len(files)} spec(s), {total} examples run\n")
