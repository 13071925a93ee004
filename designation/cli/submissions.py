"""``template``, ``validate`` and ``assess``: what a provider runs on a self-assessment."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import click

from ..errors import InputError
from ._shell import EXIT_INVALID, EXIT_OUTCOME, make_console, err, expand_paths, overlay_options, report_problems, main


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
    from .. import spec as spec_mod
    from ..inputs.template import render_template

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
        from ..atomic import write_text

        write_text(output, text)
        err(f"wrote {output}")
    else:
        click.echo(text, nl=False)



# --------------------------------------------------------------------------------------------
# validate / assess


@main.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check submissions (and derogations.yaml / tailoring.yaml) for schema and type errors."""
    from ..inputs import derogations, submission, tailoring

    bad = 0
    for path in expand_paths(files):
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
                report_problems(sub.notes)
                missing = sub.unanswered()
                click.echo(f"ok: {path} ({sub.spec.id} {sub.spec.edition}, {len(sub.answers)} answers"
                           f"{', ' + str(len(missing)) + ' questions not answered' if missing else ''})")
                if missing:
                    click.echo(f"{path}: not answered: {', '.join(missing)}")
        except InputError as exc:
            report_problems(exc.problems)
            bad += 1
    if bad:
        sys.exit(EXIT_INVALID)


_FAIL_ON = {"not_designated": 0, "conditions": 1}


@main.command()
@click.argument("files", nargs=-1, required=True)
@overlay_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(["not_designated", "conditions"]),
              help="Exit 3 if any outcome is at or below this level.")
def assess(files: tuple[str, ...], review: Optional[str], derogations: Optional[str], tailoring: Optional[str],
           fmt: str, fail_on: Optional[str]) -> None:
    """Score submissions, decide their designation outcome and explain it."""
    from .. import api

    paths = [p for p in expand_paths(files) if not api.is_settings_file(p)]
    if review and len(paths) != 1:
        raise click.UsageError("--review goes with exactly one submission")
    single = len(files) == 1 and Path(files[0]).is_file()
    # Results are written as they come and not kept, so memory stays flat however many files.
    from ..textout import csv_rows, CSV_FIELDS, print_text

    out = sys.stdout
    writer = None
    if fmt == "csv":
        import csv as csv_mod

        writer = csv_mod.writer(out, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
    elif fmt == "json" and not single:
        out.write("[")
    console = make_console() if fmt == "text" else None
    bad = written = 0
    worst = 2
    for path in paths:
        try:
            a = api.assess_path(path, review=review, derogations=derogations, tailoring=tailoring)
        except InputError as exc:
            report_problems(exc.problems)
            bad += 1
            continue
        report_problems(a.warnings)
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
