"""``batch``, ``diff`` and ``derogations``: the network workflow."""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, Optional

import click

from ..errors import InputError, Problem
from ._shell import EXIT_INVALID, err, expand_paths, parse_created, parse_date, report_problems, main


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Folder for per-site JSON and PDF, and the network summary.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: the machine's cores).")
@click.option("--no-pdf", is_flag=True, help="Write JSON and the summary CSV only.")
@click.option("--created", help="Pin the PDF creation date (ISO 8601) for reproducible bytes.")
def batch(folder: str, outdir: str, jobs: Optional[int], no_pdf: bool, created: Optional[str]) -> None:
    """Assess and render every submission in FOLDER, then the network summary.

    Uses FOLDER's derogations.yaml, tailoring.yaml and reviews/<name>.yaml. Unchanged inputs are
    not re-rendered. Exit 1 if any input was invalid (the rest are still processed).
    """
    from ..network import batch as batch_mod

    when = parse_created(created)
    total = len(batch_mod.find_submissions(Path(folder))) if Path(folder).is_dir() else 0
    printer = _BatchProgress(total)
    try:
        with printer:
            result = batch_mod.run(folder, outdir, jobs=jobs, render=not no_pdf, created=when, progress=printer.update)
    except KeyboardInterrupt:
        err("interrupted: finished sites are kept; run the same command again to resume")
        sys.exit(130)
    for site in result.sites:
        report_problems(site.problems)
    if result.summary_problem:
        report_problems([result.summary_problem])
    counts = result.counts()
    rendered = sum(1 for s in result.sites if s.state == "rendered")
    cached = sum(1 for s in result.sites if s.state == "cached")
    parts = [f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items())]
    err(f"{len(result.sites)} sites: {', '.join(parts) or 'none assessed'}; {len(result.invalid)} invalid; "
         f"{rendered} rendered, {cached} unchanged; summary "
         f"{'failed' if result.summary_problem else 'rendered' if result.summary_rendered else 'unchanged'}; "
         f"{result.seconds:.1f}s -> {result.outdir}")
    if not result.ok:
        sys.exit(EXIT_INVALID)


class _BatchProgress:
    """A rich progress bar on a terminal; plain lines otherwise (logs, CI)."""

    def __init__(self, total: int):
        self.total = total
        self.done = 0
        self.bar: Any = None

    def __enter__(self) -> "_BatchProgress":
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("assessing", total=self.total)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, site: Any) -> None:
        self.done += 1
        status = site.status.replace("_", " ") if site.status and site.state not in ("failed", "invalid") else ""
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=Path(site.file).name)
        else:
            err(f"[{self.done}/{self.total}] {Path(site.file).name}: {site.state}" + (f" ({status})" if status else ""))


@main.command("diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def diff_cmd(old: str, new: str, fmt: str) -> None:
    """What changed between two assessments of one site (submissions or JSON results)."""
    from ..network import diff as diff_mod

    a, b = diff_mod.load_result(old), diff_mod.load_result(new)
    diff_mod.check_same_site(a, b, old, new)
    d = diff_mod.diff(a, b)
    if fmt == "json":
        click.echo(json.dumps(d, indent=2, ensure_ascii=False))
    else:
        click.echo(diff_mod.render_text(d), nl=False)


@main.group("derogations")
def derogations_group() -> None:
    """Network derogations: agreed, expiring exemptions for one standard at one site."""


@derogations_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--on", "on_date", help="Report expiry as of this date (default: today).")
@click.option("--submissions", "sub_dir", type=click.Path(file_okay=False),
              help="Also check each derogation names a site and a standard of a submission in DIR.")
def derogations_check(file: str, on_date: Optional[str], sub_dir: Optional[str]) -> None:
    """Report every problem in a derogations file; exit 1 if there is any."""
    from .. import api
    from ..inputs import derogations as derog_mod, submission

    day = parse_date(on_date) if on_date else dt.date.today()
    d = derog_mod.load(file)
    problems = list(d.problems())
    sites: dict[str, set[str]] = {}
    if sub_dir:
        for path in expand_paths((sub_dir,)):
            if api.is_settings_file(path):
                continue
            try:
                sub = submission.load(path)
            except InputError:
                continue
            sites.setdefault(sub.site.code, set()).update(s.id for s in sub.spec.standards)
    for i, entry in enumerate(d.entries):
        if entry.problems:
            continue
        state, note = entry.status_on(day, "the check date")
        if state != "applied":
            problems.append(Problem(file, f"derogation {i + 1} ({entry.site} {entry.standard}): {note}", entry.line))
        if sites:
            if entry.site not in sites:
                problems.append(Problem(file, f"derogation {i + 1}: no submission for site {entry.site!r}", entry.line))
            elif entry.standard not in sites[entry.site]:
                problems.append(Problem(file, f"derogation {i + 1}: site {entry.site} is not assessed against "
                                              f"standard {entry.standard!r}", entry.line))
    report_problems(problems)
    live = sum(1 for e in d.entries if not e.problems and e.status_on(day)[0] == "applied")
    click.echo(f"{file}: {len(d.entries)} derogations, {live} live on {day.isoformat()}, {len(problems)} problem(s)")
    if problems:
        sys.exit(EXIT_INVALID)
