"""``template``, ``validate`` and ``assess``: what a provider runs on a self-assessment."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from ..errors import InputError
from ._shell import (EXIT_INVALID, EXIT_OUTCOME, STDIN, dump_json, err, expand_paths, require_submissions, format_option,
                     main, make_console, guard_outputs, open_output, output_option, overlay_options, quiet_option,
                     read_source,
                     report_problems)


# --------------------------------------------------------------------------------------------
# template


@main.command()
@click.argument("spec_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--setting", help="Shorthand for --set setting=VALUE (asthma-cyp: gp_practice, school, ...).")
@click.option("--set", "preset", multiple=True, metavar="QUESTION=VALUE",
              help="Pre-answer a question; questions that then do not apply are left out.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "xlsx"]), default="yaml", show_default=True,
              help="yaml: a commented skeleton; xlsx: an Excel workbook for providers (needs -o).")
@click.option("--from", "from_file", type=click.Path(dir_okay=False),
              help="With --format xlsx: fill the workbook in from an existing submission (last year's answers).")
def template(spec_id: str, output: Optional[str], setting: Optional[str], preset: tuple[str, ...], fmt: str,
             from_file: Optional[str]) -> None:
    """Write a self-assessment skeleton for SPEC_ID: commented YAML, or an Excel workbook.

    Every question that applies, with its prompt, unit and bounds; the site block (with the
    identifier the setting uses: ODS code, school URN or pharmacy F-code), the assessment
    period and the sign-off. Replace each REPLACE: placeholder; validate says which are left.
    With --format xlsx, the same questions as a protected Excel workbook a provider fills in
    (read it back with designation import, or give the .xlsx to any command).

    \b
    Examples:
      designation template uec-ec -o northfield.yaml
      designation template asthma-cyp --setting school -o riverbank.yaml
      designation template asthma-cyp --format xlsx --setting school -o riverbank.xlsx
      designation template asthma-cyp --format xlsx --from submissions/asthma-school-riverbank.yaml -o riverbank.xlsx

    \b
    Exit codes: 0 written; 1 unknown spec; 2 usage error (an unknown question or value in --set).
    """
    from .. import spec as spec_mod
    from ..inputs.template import render_template

    guard_outputs({"-o": output}, [from_file])
    s = spec_mod.load(spec_id)
    given: dict[str, str] = {}
    for item in preset:
        if "=" not in item:
            raise click.BadParameter(f"{item!r} is not QUESTION=VALUE", param_hint="--set")
        k, v = item.split("=", 1)
        given[k.strip()] = v.strip()
    if setting:
        given["setting"] = setting
    if fmt == "xlsx":
        from .workbook import write_template

        write_template(s, given, output, from_file)
        return
    if from_file:
        raise click.UsageError("--from goes with --format xlsx")
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
@format_option("text", "json", "jsonl")
@output_option
@quiet_option("Print nothing: the exit code alone says whether every file is valid.")
def validate(files: tuple[str, ...], fmt: str, output: Optional[str], quiet: bool) -> None:
    """Check input files, whatever they are, and report every problem with its remedy.

    Each FILE (or every .yaml file in a folder; - reads standard input) is recognised by its
    content: a self-assessment is checked against its spec; a review against the submission for
    its site; a derogations file's sites and standards, and a tailoring file's specs and
    parameters, against the submissions and specs they name. Unknown names get "did you mean".

    \b
    Examples:
      designation validate submissions/ec-northfield-conditions.yaml
      designation validate submissions/               # every file in the folder
      cat site.yaml | designation validate -
      designation validate --format jsonl submissions/ | jq -c 'select(.valid | not)'

    \b
    Exit codes: 0 every file valid; 1 a file is invalid (each problem as file:line:col:
    message, on standard error in text format); 2 usage error.
    """
    from ..inputs.checks import Neighbours, check

    require_submissions(files)
    paths = expand_paths(files)
    neighbours = Neighbours()
    bad = 0
    with open_output(output, paths) as out:
        if fmt == "json":
            out.write("[")
        for i, path in enumerate(paths):
            try:
                name, raw = read_source(path)
                c = check(name, raw, None if path == STDIN else path.resolve().parent, neighbours)
            except InputError as exc:
                from ..inputs.checks import Checked

                c = Checked(str(path), "submission", exc.problems)
            bad += not c.valid
            if quiet:
                continue
            if fmt == "json":
                out.write(("\n" if i == 0 else ",\n") + dump_json(c.to_json()))
            elif fmt == "jsonl":
                out.write(dump_json(c.to_json(), indent=None) + "\n")
            else:
                report_problems(c.problems + c.notes)
                if c.valid:
                    out.write(f"ok: {c.file} ({c.kind}{', ' + c.summary if c.summary else ''})\n")
                    if c.not_answered:
                        out.write(f"{c.file}: not answered: {', '.join(c.not_answered)}\n")
        if fmt == "json" and not quiet:
            out.write("\n]\n" if paths else "]\n")
    if bad:
        sys.exit(EXIT_INVALID)


_FAIL_ON = {"not_designated": 0, "conditions": 1}


@main.command()
@click.argument("files", nargs=-1, required=True)
@overlay_options
@format_option("text", "json", "jsonl", "csv")
@output_option
@quiet_option("Print only one outcome line per submission.")
@click.option("--fail-on", type=click.Choice(["not_designated", "conditions"]),
              help="Exit 3 if any outcome is at or below this level.")
@click.option("--all", "show_all", is_flag=True,
              help="Text: also list the standards that do not apply (hidden by default; gaps come first).")
@click.option("--record", "record", type=click.Path(dir_okay=False), metavar="REGISTER",
              help="Also record these assessments in a register (created if missing).")
def assess(files: tuple[str, ...], review: Optional[str], derogations: Optional[str], tailoring: Optional[str],
           fmt: str, output: Optional[str], quiet: bool, fail_on: Optional[str], show_all: bool,
           record: Optional[str]) -> None:
    """Score submissions, decide their designation outcome and explain it.

    FILES are submissions, or folders of them; - reads one submission from standard input. The
    folder's reviews/<name>.yaml, derogations.yaml and tailoring.yaml are used as batch uses
    them (never assessed), unless given, and the output says which it applied.

    \b
    Examples:
      designation assess submissions/ec-northfield-conditions.yaml
      designation assess --format csv submissions/ -o network.csv
      designation assess --format jsonl submissions/ | jq -r '[.site.code, .outcome.status] | @tsv'
      designation assess -q --fail-on not_designated submissions/    # in CI: exit 3 on a failure
      designation assess submissions/northfield.yaml --record register.sqlite

    \b
    Exit codes: 0 assessed; 1 an input is invalid (the rest are still assessed; with -o, nothing
    is written); 2 usage error; 3 an outcome at or below --fail-on.
    """
    from .. import api
    from ..textout import CSV_FIELDS, csv_rows, print_text

    require_submissions(files, lambda p: not api.is_settings_file(p))
    reg = None
    records: list = []
    if record:   # opened first: a register that cannot be written fails before any output
        from ..network import register as reg_mod

        reg = reg_mod.open_register(record)

    paths = [p for p in expand_paths(files) if p == STDIN or not api.is_settings_file(p)]
    if review and len(paths) != 1:
        raise click.UsageError("--review goes with exactly one submission")
    single = len(files) == 1 and (files[0] == "-" or Path(files[0]).is_file())
    overlays = [Path(x) for x in (review, derogations, tailoring) if x]
    bad = written = 0
    worst = 2
    # Results are written as they come and not kept, so memory stays flat however many files.
    with open_output(output, paths + overlays) as out:
        writer = None
        if quiet:
            pass
        elif fmt == "csv":
            import csv as csv_mod

            writer = csv_mod.writer(out, lineterminator="\n")
            writer.writerow(CSV_FIELDS)
        elif fmt == "json" and not single:
            out.write("[")
        console = make_console(out if output else None) if fmt == "text" and not quiet else None
        for path in paths:
            try:
                if path == STDIN:
                    src = read_source(path)
                    a = api.assess_sources(submission=src, review=_source(review), derogations=_source(derogations),
                                           tailoring=_source(tailoring))
                else:
                    a = api.assess_path(path, review=review, derogations=derogations, tailoring=tailoring)
            except InputError as exc:
                report_problems(exc.problems)
                bad += 1
                if reg is not None:
                    records.append(reg_mod.SiteRecord(Path(str(path)).name, "invalid",
                                                      problems=[str(p) for p in exc.problems]))
                continue
            # -q keeps quiet about the submission's own notes, never about a derogation or review
            # that was not applied: that changes the outcome the line reports.
            report_problems(a.warnings if not quiet else [w for w in a.warnings if w.file != a.submission.file])
            if reg is not None:
                records.append(reg_mod.SiteRecord(Path(a.submission.file).name, "assessed", result=a.to_json))
            worst = min(worst, _RANK[a.status])
            if quiet:
                site = a.submission.site
                out.write(f"{a.submission.file}: {site.name} ({site.code}): {a.decision.label}\n")
            elif fmt == "json":
                text = dump_json(a.to_json())
                out.write(text if single else ("\n" if not written else ",\n") + text)
            elif fmt == "jsonl":
                out.write(dump_json(a.to_json(), indent=None) + "\n")
            elif writer is not None:
                writer.writerows(csv_rows(a))
            else:
                print_text([a], console, show_all=show_all)
            written += 1
        if fmt == "json" and not quiet:
            out.write("\n" if single else ("\n]\n" if written else "]\n"))
        out.flush()
        if reg is not None:
            with reg:
                run_id = reg.record_run("assess", records, source=", ".join(files))
            err(f"recorded as run {run_id} in {record}")
        if bad:
            if output:
                err(f"{output}: not written, because an input is invalid")
            sys.exit(EXIT_INVALID)
    if fail_on and written and worst <= _FAIL_ON[fail_on]:
        sys.exit(EXIT_OUTCOME)


def _source(path: Optional[str]) -> Optional[tuple[str, bytes]]:
    return read_source(Path(path)) if path else None


_RANK = {"not_designated": 0, "designated_with_conditions": 1, "designated": 2}
