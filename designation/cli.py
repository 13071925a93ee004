"""The ``designation`` command: a thin shell over :mod:`designation.api`.

Exit codes: 0 success; 1 invalid input (each problem printed as ``file:line:col: message``);
2 usage errors (click's convention); 3 an outcome at or below ``assess --fail-on``; 4 an
internal error (a bug: reported in one line, with DESIGNATION_DEBUG=1 for the traceback).
WeasyPrint is imported only by the commands that render.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Optional

import click

from . import __version__
from .errors import InputError, Problem

EXIT_INVALID = 1
EXIT_OUTCOME = 3
EXIT_BUG = 4


def _err(msg: str) -> None:
    click.echo(msg, err=True)


def _report_problems(problems: Iterable[Problem]) -> None:
    for p in problems:
        _err(str(p))


class _Main(click.Group):
    """Turns errors escaping a command into one clear line and an exit code, never a traceback:
    bad input 1 (located), a report that cannot be rendered 1, anything else 4 (a bug)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            _report_problems(exc.problems)
            ctx.exit(EXIT_INVALID)
        except OSError as exc:  # a full disk, an unwritable folder: the user's to fix, not a bug
            _err(f"{exc.filename or 'designation'}: {exc.strerror or exc}")
            ctx.exit(EXIT_INVALID)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            from .report.pdf import RenderError

            if isinstance(exc, RenderError):
                _err(f"designation: cannot render the report: {exc}; nothing was written")
                ctx.exit(EXIT_INVALID)
            if os.environ.get("DESIGNATION_DEBUG"):
                raise
            _err(f"designation: internal error: {type(exc).__name__}: {exc}\n"
                 "This is a bug; please report it with the input. Set DESIGNATION_DEBUG=1 for the traceback.")
            ctx.exit(EXIT_BUG)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="designation")
def main() -> None:
    """Designate NHS urgent and emergency care facilities against published standards.

    Specifications are YAML rule files; providers write self-assessments (YAML); this tool
    scores them standard by standard, decides the designation outcome and explains it.
    """


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
    from . import spec as spec_mod

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
    _console().print(table)
    if problems:
        _report_problems(problems)
        sys.exit(EXIT_INVALID)


def _specs_show(s: Any) -> None:
    from rich.table import Table

    con = _console()
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
    from . import examples, spec as spec_mod

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
    _report_problems(problems)
    if problems:
        _err(f"{len(problems)} problem(s)")
        sys.exit(EXIT_INVALID)
    click.echo(f"ok: {len(files)} spec(s), {total} examples run")


# --------------------------------------------------------------------------------------------
# template


@main.command()
@click.argument("spec_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
@click.option("--setting", help="Shorthand for --set setting=VALUE (asthma-cyp: gp_practice, school, ...).")
@click.option("--set", "preset", multiple=True, metavar="QUESTION=VALUE",
              help="Pre-answer a question; questions that then do not apply are left out.")
def template(spec_id: str, output: Optional[str], setting: Optional[str], preset: tuple[str, ...]) -> None:
    """Write a commented self-assessment skeleton for SPEC_ID."""
    from . import spec as spec_mod
    from .template import render_template

    s = spec_mod.load(spec_id)
    given: dict[str, str] = {}
    for item in preset:
        if "=" not in item:
            raise click.BadParameter(f"{item!r} is not QUESTION=VALUE", param_hint="--set")
        k, v = item.split("=", 1)
        given[k.strip()] = v.strip()
    if setting:
        given["setting"] = setting
    try:
        text = render_template(s, given)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if output:
        from .atomic import write_text

        write_text(output, text)
        _err(f"wrote {output}")
    else:
        click.echo(text, nl=False)


# --------------------------------------------------------------------------------------------
# validate / assess


def _expand(files: tuple[str, ...]) -> list[Path]:
    out = []
    for f in files:
        p = Path(f)
        out += sorted(x for x in p.glob("*.yaml") if x.is_file()) if p.is_dir() else [p]
    return out


@main.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check submissions (and derogations.yaml / tailoring.yaml) for schema and type errors."""
    from . import derogations, submission, tailoring

    bad = 0
    for path in _expand(files):
        try:
            if path.name == "derogations.yaml":
                d = derogations.load(path)
                if d.problems():
                    raise InputError(d.problems())
                click.echo(f"ok: {path} ({len(d.entries)} derogations)")
            elif path.name == "tailoring.yaml":
                t = tailoring.load(path)
                click.echo(f"ok: {path} (parameters for {', '.join(t.values) or 'no spec'})")
            else:
                sub = submission.load(path)
                missing = sub.unanswered()
                click.echo(f"ok: {path} ({sub.spec.id} {sub.spec.edition}, {len(sub.answers)} answers"
                           f"{', ' + str(len(missing)) + ' questions not answered' if missing else ''})")
        except InputError as exc:
            _report_problems(exc.problems)
            bad += 1
    if bad:
        sys.exit(EXIT_INVALID)


_FAIL_ON = {"not_designated": 0, "conditions": 1}


def _overlay_opts(f: Any) -> Any:
    f = click.option("--tailoring", type=click.Path(), help="Network parameter values (default: tailoring.yaml beside the submission).")(f)
    f = click.option("--derogations", type=click.Path(), help="Network derogations (default: derogations.yaml beside the submission).")(f)
    f = click.option("--review", type=click.Path(), help="The network's verification of this submission.")(f)
    return f


@main.command()
@click.argument("files", nargs=-1, required=True)
@_overlay_opts
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(["not_designated", "conditions"]),
              help="Exit 3 if any outcome is at or below this level.")
def assess(files: tuple[str, ...], review: Optional[str], derogations: Optional[str], tailoring: Optional[str],
           fmt: str, fail_on: Optional[str]) -> None:
    """Score submissions, decide their designation outcome and explain it."""
    from . import api

    paths = [p for p in _expand(files) if not api.is_settings_file(p)]
    if review and len(paths) != 1:
        raise click.UsageError("--review goes with exactly one submission")
    single = len(files) == 1 and Path(files[0]).is_file()
    # Results are written as they come and not kept, so memory stays flat however many files.
    from .textout import csv_rows, CSV_FIELDS, print_text

    out = click.get_text_stream("stdout")
    writer = None
    if fmt == "csv":
        import csv as csv_mod

        writer = csv_mod.writer(out, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
    elif fmt == "json" and not single:
        out.write("[")
    console = _console() if fmt == "text" else None
    bad = written = 0
    worst = 2
    for path in paths:
        try:
            a = api.assess_path(path, review=review, derogations=derogations, tailoring=tailoring)
        except InputError as exc:
            _report_problems(exc.problems)
            bad += 1
            continue
        _report_problems(a.warnings)
        worst = min(worst, _RANK[a.status])
        if fmt == "json":
            text = json.dumps(a.to_json(), indent=2, ensure_ascii=False)
            out.write(text if single else ("\n" if not written else ",\n") + text)
        elif writer is not None:
            writer.writerows(csv_rows(a))
        else:
            print_text([a], console)
        written += 1
    if fmt == "json":
        out.write("\n" if single else ("\n]\n" if written else "]\n"))
    out.flush()
    if bad:
        sys.exit(EXIT_INVALID)
    if fail_on and written and worst <= _FAIL_ON[fail_on]:
        sys.exit(EXIT_OUTCOME)


_RANK = {"not_designated": 0, "designated_with_conditions": 1, "designated": 2}


def _console() -> Any:
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 110, soft_wrap=False, highlight=False)


# --------------------------------------------------------------------------------------------
# report / verify


@main.command()
@click.argument("file", required=False)
@_overlay_opts
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The PDF to write.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False), help="Also write a self-contained HTML page.")
@click.option("--network", type=click.Path(file_okay=False), help="Write the network summary for every submission in DIR.")
@click.option("--created", help="Pin the PDF creation date (ISO 8601) for reproducible bytes.")
def report(file: Optional[str], review: Optional[str], derogations: Optional[str], tailoring: Optional[str],
           output: str, html_out: Optional[str], network: Optional[str], created: Optional[str]) -> None:
    """Render the designation report for FILE (or a network summary with --network DIR)."""
    from . import api

    when = _parse_created(created)
    if bool(file) == bool(network):
        raise click.UsageError("give either a submission FILE or --network DIR")
    from . import report as report_mod

    if network:
        results, bad = [], 0
        for path in _expand((network,)):
            if api.is_settings_file(path):
                continue
            try:
                results.append(api.assess_path(path, derogations=derogations, tailoring=tailoring).to_json())
            except InputError as exc:
                _report_problems(exc.problems)
                bad += 1
        if not results:
            _err(f"{network}: no valid submissions to summarise")
            sys.exit(EXIT_INVALID)
        report_mod.write_network_pdf(results, output, created=when)
        csv_path = Path(output).with_suffix(".csv")
        from .atomic import write_text

        write_text(csv_path, report_mod.network_matrix_csv(results))
        _err(f"wrote {output} and {csv_path} ({len(results)} sites)")
        if bad:
            sys.exit(EXIT_INVALID)
        return
    a = api.assess_path(file, review=review, derogations=derogations, tailoring=tailoring)  # type: ignore[arg-type]
    _report_problems(a.warnings)
    api.write_report(a, output, html=html_out, created=when)
    _err(f"wrote {output}" + (f" and {html_out}" if html_out else "") + f": {a.decision.label}")


def _parse_created(created: Optional[str]) -> Optional[dt.datetime]:
    if not created:
        return None
    try:
        when = dt.datetime.fromisoformat(created)
    except ValueError:
        raise click.BadParameter(f"{created!r} is not an ISO 8601 date or date-time", param_hint="--created") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


@main.command()
@click.argument("pdf", type=click.Path(dir_okay=False))
def verify(pdf: str) -> None:
    """Re-score the inputs embedded in a report and confirm its outcome (exit 1 if it differs)."""
    from .report.verify import verify_pdf

    ok, differences = verify_pdf(pdf)
    if ok:
        click.echo(f"ok: {pdf}: the embedded inputs give the recorded outcome")
        return
    for d in differences:
        _err(f"{pdf}: {d}")
    sys.exit(EXIT_INVALID)


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
    from . import batch as batch_mod

    when = _parse_created(created)
    total = len(batch_mod.find_submissions(Path(folder))) if Path(folder).is_dir() else 0
    printer = _BatchProgress(total)
    try:
        with printer:
            result = batch_mod.run(folder, outdir, jobs=jobs, render=not no_pdf, created=when, progress=printer.update)
    except KeyboardInterrupt:
        _err("interrupted: finished sites are kept; run the same command again to resume")
        sys.exit(130)
    for site in result.sites:
        _report_problems(site.problems)
    if result.summary_problem:
        _report_problems([result.summary_problem])
    counts = result.counts()
    rendered = sum(1 for s in result.sites if s.state == "rendered")
    cached = sum(1 for s in result.sites if s.state == "cached")
    parts = [f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items())]
    _err(f"{len(result.sites)} sites: {', '.join(parts) or 'none assessed'}; {len(result.invalid)} invalid; "
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
            _err(f"[{self.done}/{self.total}] {Path(site.file).name}: {site.state}" + (f" ({status})" if status else ""))


@main.command("diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def diff_cmd(old: str, new: str, fmt: str) -> None:
    """What changed between two assessments of one site (submissions or JSON results)."""
    from . import diff as diff_mod

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
    from . import api, derogations as derog_mod, submission

    day = _parse_date(on_date) if on_date else dt.date.today()
    d = derog_mod.load(file)
    problems = list(d.problems())
    sites: dict[str, set[str]] = {}
    if sub_dir:
        for path in _expand((sub_dir,)):
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
    _report_problems(problems)
    live = sum(1 for e in d.entries if not e.problems and e.status_on(day)[0] == "applied")
    click.echo(f"{file}: {len(d.entries)} derogations, {live} live on {day.isoformat()}, {len(problems)} problem(s)")
    if problems:
        sys.exit(EXIT_INVALID)


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date such as 2026-10-01") from None


if __name__ == "__main__":  # pragma: no cover
    main()
