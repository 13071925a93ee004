"""``designation specs``: list, show and check specifications."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..errors import InputError, Problem
from ._shell import EXIT_INVALID, make_console, err, report_problems, main


# --------------------------------------------------------------------------------------------
# specs


@main.command("specs")
@click.argument("args", nargs=-1)
def specs_cmd(args: tuple[str, ...]) -> None:
    """List specifications, show one, or check them.

    \b
    designation specs                 list every spec (id, edition, title, standards)
    designation specs SPEC_ID         show one spec's standards, sources and gaps
    designation specs check [PATH...] load and check specs, run every standard's examples
    """
    from .. import spec as spec_mod

    if args and args[0] == "check":
        _specs_check(args[1:])
        return
    if len(args) > 1:
        raise click.UsageError("give at most one SPEC_ID (or 'check PATH...')")
    if not args:
        _specs_list(spec_mod)
        return
    s = spec_mod.load(args[0])
    _specs_show(s)


def _specs_list(spec_mod: Any) -> None:
    from rich.table import Table

    table = Table(title="Specifications", title_justify="left")
    for col in ("id", "edition", "title", "standards", "designates"):
        table.add_column(col, overflow="fold")
    problems: list[Problem] = []
    for _sid, path in sorted(spec_mod.available().items()):
        try:
            s = spec_mod.load_path(path)
        except InputError as exc:
            problems += exc.problems
            continue
        level = s.ladder.level if s.ladder else ("yes" if s.file.designates else "no (library)")
        table.add_row(s.id, s.edition, s.title, str(len(s.standards)), level)
    make_console().print(table)
    if problems:
        report_problems(problems)
        sys.exit(EXIT_INVALID)


def _specs_show(s: Any) -> None:
    from rich.table import Table

    con = make_console()
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


def _specs_check(paths: tuple[str, ...]) -> None:
    from .. import examples, spec as spec_mod

    files: list[Path] = []
    for p in paths or [str(x) for x in spec_mod.available().values()]:
        pp = Path(p)
        files += sorted(pp.glob("*.yaml")) if pp.is_dir() else [pp]
    problems: list[Problem] = []
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
        click.echo(f"{f}: {len(own)} standards, {len(s.questions)} questions, {len(s.gaps)} declared gaps"
                   f"{'' if not probs else ', ' + str(len(probs)) + ' example fault(s)'}")
    report_problems(problems)
    if problems:
        err(f"{len(problems)} problem(s)")
        sys.exit(EXIT_INVALID)
    click.echo(f"ok: {len(files)} spec(s), {total} examples run")
