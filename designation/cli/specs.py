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
                             "standards": rows, "gaps": [{"id": g.id, "title": g.title} for g in s.gaps]}) + "\n")
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
    if s.gaps:
        con.print("[bold]Declared gaps[/bold] (parts of the source that could not be confirmed):")
        for g in s.gaps:
            con.print(f"  {g.id}: {g.title}")


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
