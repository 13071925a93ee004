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
@click.option("--trust", "trust", multiple=True, type=click.Path(dir_okay=False),
              help="A certificate (PEM or DER) the report must be signed with, or issued by. Repeatable.")
@click.option("--manifest", type=click.Path(dir_okay=False),
              help="The manifest.json a batch published: the PDF must be the file it lists.")
@format_option("text", "json")
@output_option
@quiet_option("Print nothing: the exit code alone says whether the report is genuine.")
def verify(pdf: str, trust: tuple[str, ...], manifest: Optional[str], fmt: str, output: Optional[str],
           quiet: bool) -> None:
    """Check a report: every page prints what its embedded result says, the embedded inputs
    re-score to it, and its signature (or a published manifest) proves it unchanged.

    Prints the site, identifier, specification and edition, outcome and assessment date it
    confirmed, so you can compare them with the page in front of you. An unsigned report checked
    without --manifest passes with a warning: only a signature or a published manifest proves
    it was not regenerated.

    \b
    Examples:
      designation verify northfield.pdf
      designation verify northfield.pdf --trust network-ca.pem
      designation verify out/northfield.pdf --manifest out/manifest.json
      designation verify --format json northfield.pdf -o check.json

    \b
    Exit codes: 0 genuine; 1 a mismatch, a sign of tampering, a signature that is invalid,
    untrusted or expired, or a file that is not a readable report; 2 usage error.
    """
    from ..report.verify import verify_report

    v = verify_report(pdf, trust=trust, manifest=manifest)
    name = click.format_filename(pdf)
    with open_output(output, [Path(pdf)] + [Path(t) for t in trust] + ([Path(manifest)] if manifest else [])) as out:
        if quiet:
            pass
        elif fmt == "json":
            out.write(dump_json({"file": pdf, "ok": v.ok, "kind": v.kind, "confirmed": v.facts if v.ok else None,
                                 "document_id": v.document_id, "signer": v.signer,
                                 "differences": v.problems + v.notes, "warnings": v.warnings}) + "\n")
        elif v.ok:
            out.write(f"ok: {name}: {v.facts}\n")
            if v.signer:
                out.write(f"  signed by {v.signer}\n")
            for w in v.warnings:
                err(f"warning: {name}: {w}")
        else:
            for d in v.problems + v.notes:
                err(f"{name}: {d}")
    if not v.ok:
        sys.exit(EXIT_INVALID)
