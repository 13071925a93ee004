"""``due`` and ``history``: reading the register a batch keeps (see :mod:`designation.network.register`)."""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, Optional

import click

from ..errors import InputError
from ._shell import (EXIT_OUTCOME, _guard_output, dump_json, err, main, open_output, output_option, parse_date,
                     report_problems)


def _open_source(source: str) -> tuple[Any, str]:
    """A register from a file, a batch output folder (its register.sqlite), or a folder of
    submissions (assessed now, into a register in memory). Returns (register, what it is)."""
    from ..network import register as reg_mod

    p = Path(source)
    if p.is_dir():
        if (p / reg_mod.FILENAME).is_file():
            return reg_mod.open_register(p / reg_mod.FILENAME, readonly=True), str(p / reg_mod.FILENAME)
        from .. import api
        from ..network.batch import find_submissions

        subs = find_submissions(p)
        if not subs:
            raise InputError.at(str(p), f"has neither a {reg_mod.FILENAME} nor submissions to assess")
        reg = reg_mod.open_register(":memory:")
        sites, problems = [], []
        for sub in subs:
            try:
                result = api.assess_path(sub).to_json()
            except InputError as exc:
                problems += exc.problems
                sites.append(reg_mod.SiteRecord(sub.name, "invalid", problems=[str(x) for x in exc.problems]))
                continue
            sites.append(reg_mod.SiteRecord(sub.name, "assessed", result=lambda r=result: r))
        report_problems(problems)
        reg.record_run("assess", sites, source=str(p.resolve()))
        return reg, f"{p} (assessed now)"
    return reg_mod.open_register(p, readonly=True), str(p)


@main.command()
@click.argument("source", default=".", metavar="[DIR|REGISTER]")
@click.option("--within", default="30d", show_default=True,
              help="How far ahead to look: 30d, 4w, 3m (30-day months) or a number of days.")
@click.option("--on", "on_date", help="The day to count from, YYYY-MM-DD (default: today).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json", "ics"]), default="text", show_default=True)
@output_option
@click.option("--fail-on", type=click.Choice(["overdue"]), help="Exit 3 if anything is overdue (for a scheduled job).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code says whether anything is overdue.")
def due(source: str, within: str, on_date: Optional[str], fmt: str, output: Optional[str],
        fail_on: Optional[str], quiet: bool) -> None:
    """What falls due or is overdue: conditions, recommendations with plans, derogations expiring,
    evidence going stale and re-designations, grouped by site and owner.

    SOURCE is a register, a batch output folder (its register.sqlite) or a folder of submissions
    (assessed now). Sites whose latest input is invalid or removed are named, not listed as
    current. --format ics writes one calendar event per item with reminders 30, 7 and 1 days
    before.

    \b
    Examples:
      designation due out/ --on 2026-12-01
      designation due out/register.sqlite --within 90d --format ics -o due.ics
      designation due out/ --fail-on overdue -q    # a scheduled job: exit 3 when anything is overdue

    \b
    Exit codes: 0 listed; 1 the register or a submission is invalid; 2 usage error; 3 something
    is overdue and --fail-on overdue was given.
    """
    from ..network import due as due_mod

    try:
        days = due_mod.parse_within(within)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--within") from None
    on = parse_date(on_date) if on_date else dt.date.today()
    reg, _what = _open_source(source)
    with reg:
        d = due_mod.items(reg, on, days)
    data: bytes
    if fmt == "json":
        data = (dump_json(d) + "\n").encode("utf-8")
    elif fmt == "csv":
        data = due_mod.render_csv(d).encode("utf-8")
    elif fmt == "ics":
        data = due_mod.render_ics(d)
    else:
        data = due_mod.render_text(d).encode("utf-8")
    if quiet:
        pass
    elif output and output != "-":
        from ..atomic import write_bytes

        _guard_output(output, [Path(source)])
        write_bytes(output, data)
        err(f"wrote {output}: {len(d['items'])} item(s), {d['overdue']} overdue")
    else:
        with open_output(None) as out:
            out.write(data.decode("utf-8"))
            out.flush()
    if fmt != "text" and not quiet:
        for s in d["stale_sites"]:
            err(f"note: {s['submission_file']} has no current assessment (input {s['state']}); its items are not listed")
    if fail_on == "overdue" and d["overdue"]:
        sys.exit(EXIT_OUTCOME)


@main.command()
@click.argument("site_code")
@click.option("--register", "register_path", default="register.sqlite", show_default=True,
              type=click.Path(), help="The register, or a batch output folder holding one.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def history(site_code: str, register_path: str, fmt: str) -> None:
    """Every recorded assessment of one site: outcome, score, and what changed since the one before.

    A site whose code changed between rounds is followed through its submission file name.

    \b
    Examples:
      designation history ZZN01 --register out/
      designation history ZZN01 --register out/register.sqlite --format json

    \b
    Exit codes: 0 shown; 1 no such site in the register, or the register is invalid; 2 usage error.
    """
    from ..network import history as history_mod, register as reg_mod

    p = Path(register_path)
    if p.is_dir():
        p = p / reg_mod.FILENAME
    with reg_mod.open_register(p, readonly=True) as reg:
        h = history_mod.history(reg, site_code)
    if fmt == "json":
        click.echo(dump_json(h))
    else:
        click.echo(history_mod.render_text(h), nl=False)


@main.command()
@click.argument("source", default=".", metavar="[DIR|REGISTER]")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.option("--print-metadata", is_flag=True, help="Print the Datasette metadata (canned queries) and exit.")
def browse(source: str, port: int, print_metadata: bool) -> None:
    """Browse a register read-only in Datasette (pip install 'designation[browse]'), with canned
    queries: sites by outcome, conditions overdue, everything due, sites closest to a change.

    \b
    Examples:
      designation browse out/                      # then open http://127.0.0.1:8001/
      designation browse out/ --print-metadata > metadata.json

    \b
    Exit codes: 0 Datasette stopped; 1 the register is invalid or Datasette is not installed;
    2 usage error.
    """
    import importlib.util
    import subprocess
    import tempfile

    from ..network import register as reg_mod

    p = Path(source)
    if p.is_dir():
        p = p / reg_mod.FILENAME
    reg_mod.open_register(p, readonly=True).close()   # a clear error for a bad register, before Datasette
    meta = reg_mod.datasette_metadata(p)
    if print_metadata:
        click.echo(json.dumps(meta, indent=2))
        return
    if importlib.util.find_spec("datasette") is None:
        err("designation browse needs Datasette: pip install 'designation[browse]'")
        sys.exit(1)
    with tempfile.TemporaryDirectory() as tmp:
        meta_file = Path(tmp) / "metadata.json"
        meta_file.write_text(json.dumps(meta), "utf-8")
        err(f"Datasette on http://127.0.0.1:{port}/ (read-only: --immutable); Ctrl-C to stop")
        try:
            code = subprocess.call([sys.executable, "-m", "datasette", "serve", "--immutable", str(p),
                                    "--metadata", str(meta_file), "--port", str(port), "--host", "127.0.0.1"])
        except KeyboardInterrupt:
            code = 0
    sys.exit(code)
