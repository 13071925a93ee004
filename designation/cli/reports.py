"""``report`` and ``verify``: the site report, the network summary and checking a report."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from ..errors import InputError
from ._shell import (EXIT_INVALID, dump_json, err, expand_paths, format_option, main, open_output, output_option,
                     overlay_options, parse_created, parse_date, quiet_option, report_problems)


# --------------------------------------------------------------------------------------------
# report / verify


@main.command()
@click.argument("file", required=False)
@overlay_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The PDF to write.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False), help="Also write a self-contained HTML page.")
@click.option("--network", type=click.Path(file_okay=False), help="Write the network summary for every submission in DIR.")
@click.option("--created", help="Pin the PDF creation date (ISO 8601) for reproducible bytes.")
@click.option("--as-at", "as_at", metavar="DATE",
              help="Flag conditions, plans and derogations overdue on DATE (default: the day it is rendered).")
def report(file: Optional[str], review: Optional[str], derogations: Optional[str], tailoring: Optional[str],
           output: str, html_out: Optional[str], network: Optional[str], created: Optional[str],
           as_at: Optional[str]) -> None:
    """Render the designation report for FILE (or a network summary with --network DIR).

    \b
    Examples:
      designation report submissions/ec-northfield-conditions.yaml -o northfield.pdf
      designation report site.yaml --review reviews/site.yaml -o site.pdf
      designation report --network submissions/ -o network.pdf      # and network.csv beside it
      designation report submissions/northfield.yaml --as-at 2026-12-01 -o northfield.pdf  # overdue on that day

    \b
    Exit codes: 0 written; 1 an input is invalid or the report cannot be rendered (nothing is
    written); 2 usage error.
    """
    from .. import api

    when = parse_created(created)
    day = parse_date(as_at) if as_at else None
    if bool(file) == bool(network):
        raise click.UsageError("give either a submission FILE or --network DIR")
    from .. import report as report_mod

    if network:
        results, bad = [], 0
        for path in expand_paths((network,)):
            if api.is_settings_file(path):
                continue
            try:
                results.append(api.assess_path(path, derogations=derogations, tailoring=tailoring).to_json())
            except InputError as exc:
                report_problems(exc.problems)
                bad += 1
        if not results:
            err(f"{network}: no valid submissions to summarise")
            sys.exit(EXIT_INVALID)
        report_mod.write_network_pdf(results, output, created=when, as_at=day)
        csv_path = Path(output).with_suffix(".csv")
        from ..atomic import write_text

        write_text(csv_path, report_mod.network_matrix_csv(results))
        err(f"wrote {output} and {csv_path} ({len(results)} sites)")
        if bad:
            sys.exit(EXIT_INVALID)
        return
    a = api.assess_path(file, review=review, derogations=derogations, tailoring=tailoring)  # type: ignore[arg-type]
    report_problems(a.warnings)
    api.write_report(a, output, html=html_out, created=when, as_at=day)
    err(f"wrote {output}" + (f" and {html_out}" if html_out else "") + f": {a.decision.label}")




@main.command()
@click.argument("pdf", type=click.Path(dir_okay=False))
@format_option("text", "json")
@output_option
@quiet_option("Print nothing: the exit code alone says whether the report is genuine.")
def verify(pdf: str, fmt: str, output: Optional[str], quiet: bool) -> None:
    """Re-score the inputs embedded in a report and confirm its outcome.

    \b
    Examples:
      designation verify northfield.pdf
      designation verify --format json northfield.pdf -o check.json

    \b
    Exit codes: 0 the embedded inputs give the recorded outcome; 1 they do not, or the file is
    not a readable report; 2 usage error.
    """
    from ..report.verify import verify_pdf

    ok, differences = verify_pdf(pdf)
    with open_output(output, [Path(pdf)]) as out:
        if quiet:
            pass
        elif fmt == "json":
            out.write(dump_json({"file": pdf, "ok": ok, "differences": differences}) + "\n")
        elif ok:
            out.write(f"ok: {pdf}: the embedded inputs give the recorded outcome\n")
        else:
            for d in differences:
                err(f"{pdf}: {d}")
    if not ok:
        sys.exit(EXIT_INVALID)
