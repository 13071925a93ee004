"""``batch``, ``diff`` and ``derogations``: the network workflow."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any, Optional

import click

from ..errors import InputError, Problem
from ._shell import EXIT_INVALID, dump_json, err, format_option, make_console, open_output, output_option, problem_json, expand_paths, parse_created, parse_date, report_problems, main
from .reports import sign_config, sign_options


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Folder for per-site JSON and PDF, and the network summary.")
@click.option("--jobs", type=click.IntRange(min=1),
              help="Worker processes (default: the machine's cores, fewer if memory is short). "
                   "With --executor dask: tasks in flight (default: twice the cluster's threads).")
@click.option("--no-pdf", is_flag=True, help="Write JSON and the summary CSV only.")
@click.option("--created", help="Pin the PDF creation date (ISO 8601) for reproducible bytes.")
@click.option("--as-at", "as_at", metavar="DATE",
              help="Flag conditions, plans and derogations overdue on DATE (default: the --created day, else today).")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where the per-site work runs: local worker processes, or an existing Dask cluster "
                   "(needs designation[dask]; the workers must see FOLDER and the output folder at the same paths).")
@click.option("--scheduler", metavar="ADDRESS", help="The Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor dask).")
@click.option("--register", "register_path", type=click.Path(dir_okay=False),
              help="Record the run in this register (default: register.sqlite in the output folder).")
@click.option("--no-register", is_flag=True, help="Do not record the run in a register.")
@sign_options
def batch(folder: str, outdir: str, jobs: Optional[int], no_pdf: bool, created: Optional[str],
          as_at: Optional[str], executor: str, scheduler: Optional[str], register_path: Optional[str],
          no_register: bool, sign_key: Optional[str], sign_cert: Optional[str],
          timestamp_url: Optional[str]) -> None:
    """Assess and render every submission in FOLDER, then the network summary and manifest.json.

    Uses FOLDER's derogations.yaml, tailoring.yaml and reviews/<name>.yaml (a review goes with the
    submission of its file name, or else of its site code; one that goes with none is an error).
    Unchanged inputs are not re-rendered. Every run is recorded in the register (see `due` and
    `history`). Outputs of a site whose input became invalid or was removed are moved to stale/.
    manifest.json lists every document's id and the SHA-256 of its JSON and PDF, for
    `verify --manifest`; with --sign, the PDFs and the manifest are signed.

    \b
    Examples:
      designation batch submissions/ -o out/
      designation batch submissions/ -o out/ --no-pdf --jobs 4    # JSON and CSV only
      designation batch /shared/round -o /shared/out --executor dask --scheduler tcp://10.0.0.5:8786
      designation batch submissions/ -o out/ --sign network.p12   # signed PDFs and manifest

    \b
    Exit codes: 0 every site processed; 1 an input was invalid, or a review matches no submission
    (the rest are still processed); 2 usage error; 130 interrupted (finished sites are kept).
    """
    if register_path and no_register:
        raise click.UsageError("--register and --no-register do not go together")
    from ..network import batch as batch_mod

    if executor == "dask" and not scheduler:
        raise click.UsageError("--executor dask needs --scheduler ADDRESS")
    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler goes with --executor dask")
    when = parse_created(created)
    signing = sign_config(sign_key, sign_cert, timestamp_url)
    if signing is not None and no_pdf:
        raise click.UsageError("--sign signs PDFs; it cannot be used with --no-pdf")
    total = len(batch_mod.find_submissions(Path(folder))) if Path(folder).is_dir() else 0
    printer = _BatchProgress(total)
    try:
        with batch_mod.stop_on_signals(), printer:
            result = batch_mod.run(folder, outdir, jobs=jobs, render=not no_pdf, created=when, progress=printer.update,
                                   as_at=parse_date(as_at) if as_at else None, executor=executor,
                                   scheduler=scheduler, register=register_path, record=not no_register,
                                   sign=signing)
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", 2)
        err(f"{'interrupted' if signum == 2 else 'stopped'}: every worker is stopped; finished sites are kept; "
            "run the same command again to resume")
        sys.exit(128 + signum)
    report_problems(result.problems)
    for site in result.sites:
        report_problems(site.problems)
        for w in site.warnings:   # every run, cached or not: a warning is never shown only once
            err(f"warning: {w}")
    for s in result.stale:
        err(f"{s['name']}: outputs moved aside to {', '.join(s['files'])} ({s['reason']})")
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
    if result.run_id is not None:
        from ..network.register import default_path

        err(f"recorded as run {result.run_id} in {register_path or default_path(result.outdir)}")
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
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=make_console(stderr=True), transient=True)
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
@format_option("text", "json")
@output_option
@click.option("--exit-code", is_flag=True, help="Exit 1 when anything changed (like git diff --exit-code).")
def diff_cmd(old: str, new: str, fmt: str, output: Optional[str], exit_code: bool) -> None:
    """What changed between two assessments of one site (submissions or JSON results).

    \b
    Examples:
      designation diff old/northfield.yaml submissions/ec-northfield-conditions.yaml
      designation diff --exit-code last-year.json this-year.json || echo "something changed"

    \b
    Exit codes: 0 compared (with --exit-code: nothing changed); 1 an input is invalid, or with
    --exit-code something changed; 2 usage error.
    """
    from ..network import diff as diff_mod

    a, b = diff_mod.load_result(old), diff_mod.load_result(new)
    diff_mod.check_same_site(a, b, old, new)
    d = diff_mod.diff(a, b)
    with open_output(output, [Path(old), Path(new)]) as out:
        out.write(dump_json(d) + "\n" if fmt == "json" else diff_mod.render_text(d))
    changed = (d["movement"] != "same" or d["score_change"]["overall"] not in (None, 0) or
               any(d[k] for k in ("newly_met", "newly_unmet", "no_longer_applies", "other_changes", "standards_added",
                                  "standards_removed", "changed_values")))
    if exit_code and changed:
        sys.exit(EXIT_INVALID)


@main.group("derogations")
def derogations_group() -> None:
    """Network derogations: agreed, expiring exemptions for one standard at one site.

    \b
    Example:
      designation derogations check submissions/derogations.yaml --submissions submissions/

    \b
    Exit codes: 0 success; 1 a derogation has a problem (see each command); 2 usage error.
    """


def suggest(word: str, options: Any) -> Optional[str]:
    """Did-you-mean for ids: ``UCC-1`` is ``UCC-01`` with its zero dropped, before any spelling match."""
    import re

    from ..rules import suggest as nearest

    def norm(x: str) -> str:
        return re.sub(r"\d+", lambda m: str(int(m.group())), x.upper())

    same = sorted(o for o in options if norm(o) == norm(word))
    return same[0] if same else nearest(word, options)


@derogations_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--on", "on_date", help="Report expiry as of this date (default: today).")
@click.option("--submissions", "sub_dir", type=click.Path(file_okay=False),
              help="Check each derogation names the site of a submission in DIR, and a standard of that "
                   "site's spec (default: the submissions beside FILE).")
@format_option("text", "json", "jsonl", "csv")
@output_option
def derogations_check(file: str, on_date: Optional[str], sub_dir: Optional[str], fmt: str,
                      output: Optional[str]) -> None:
    """Report every problem in a derogations file, and which derogations are live or expired.

    Each standard id is checked against the spec of the site it names (with a did-you-mean
    hint); without submissions to look at, against every installed spec.

    \b
    Examples:
      designation derogations check submissions/derogations.yaml
      designation derogations check derogations.yaml --on 2027-04-01 --format csv -o expiring.csv

    \b
    Exit codes: 0 every derogation well formed and live; 1 a problem (malformed, expired, not
    yet approved, naming no submitted site, or a standard its site's spec does not have); 2 usage error.
    """
    from .. import api, spec as spec_mod
    from ..inputs import derogations as derog_mod, submission
    day = parse_date(on_date) if on_date else dt.date.today()
    d = derog_mod.load(file)
    problems = list(d.problems())
    folder = Path(sub_dir) if sub_dir else Path(file).parent
    if sub_dir and not folder.is_dir():
        raise click.BadParameter(f"{sub_dir!r} is not a folder", param_hint="--submissions")
    sites: dict[str, tuple[str, set[str]]] = {}   # site code -> (spec id, its standard ids)
    for path in expand_paths((str(folder),)):
        if api.is_settings_file(path):
            continue
        try:
            sub = submission.load(path)
        except InputError:
            continue
        sites.setdefault(sub.site.code, (sub.spec.id, {s.id for s in sub.spec.standards}))
    every: Optional[set[str]] = None
    if not sites:   # nothing to tie sites to: at least the standard must exist in some spec
        every = set()
        for sid in spec_mod.available():
            try:
                every |= {s.id for s in spec_mod.load(sid).standards}
            except InputError:
                continue
    for i, entry in enumerate(d.entries):
        if entry.problems:
            continue
        state, note = entry.status_on(day, "the check date")
        if state != "applied":
            problems.append(Problem(file, f"derogation {i + 1} ({entry.site} {entry.standard}): {note}", entry.line))
        std = str(entry.standard)
        if every is not None:
            if std not in every:
                hint = suggest(std, every)
                problems.append(Problem(file, f"derogation {i + 1}: no installed spec has a standard {std!r}"
                                              + (f"; did you mean {hint!r}?" if hint else ""), entry.line))
        elif entry.site not in sites:
            hint = suggest(str(entry.site), sites)
            problems.append(Problem(file, f"derogation {i + 1}: no submission in {folder} is for site {entry.site!r}"
                                          + (f"; did you mean {hint!r}?" if hint else ""), entry.line))
        elif std not in sites[entry.site][1]:
            spec_id, ids = sites[entry.site]
            hint = suggest(std, ids)
            problems.append(Problem(file, f"derogation {i + 1}: site {entry.site} is assessed against {spec_id}, "
                                          f"which has no standard {std!r}"
                                          + (f"; did you mean {hint!r}?" if hint else ""), entry.line))
    live = sum(1 for e in d.entries if not e.problems and e.status_on(day)[0] == "applied")
    rows = []
    for i, entry in enumerate(d.entries):
        state, note = entry.status_on(day, "the check date")
        rows.append({"n": i + 1, "line": entry.line, **entry.to_json(), "status": state, "note": note})
    with open_output(output, [Path(file)]) as out:
        if fmt == "text":
            report_problems(problems)
            out.write(f"{file}: {len(d.entries)} derogations, {live} live on {day.isoformat()}, "
                      f"{len(problems)} problem(s)\n")
        elif fmt == "json":
            out.write(dump_json({"file": file, "on": day.isoformat(), "derogations": rows,
                                 "problems": [problem_json(p) for p in problems]}) + "\n")
        elif fmt == "jsonl":
            out.writelines(dump_json(r, indent=None) + "\n" for r in rows)
        else:
            import csv

            from ..textsafe import csv_cell

            w = csv.DictWriter(out, fieldnames=["n", "line", "site", "standard", "reason", "approver", "approved_on",
                                                "expires_on", "status", "note"], lineterminator="\n")
            w.writeheader()
            w.writerows({k: csv_cell(v) for k, v in r.items()} for r in rows)
    if fmt in ("jsonl", "csv"):
        report_problems(problems)
    if problems:
        sys.exit(EXIT_INVALID)
