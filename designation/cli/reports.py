"""``report`` and ``verify``: the site report, the network summary and checking a report."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional

import click

from ..errors import InputError
from ._shell import (EXIT_INVALID, dump_json, err, expand_paths, format_option, guard_outputs, main, open_output,
                     output_option, overlay_options, parse_created, parse_date, quiet_option, report_problems)


# --------------------------------------------------------------------------------------------
# signing options (report and batch)


def sign_options(f: Any) -> Any:
    f = click.option("--timestamp-url", help="A timestamp server (RFC 3161) for PAdES B-T signatures.")(f)
    f = click.option("--cert", "sign_cert", type=click.Path(dir_okay=False),
                     help="The signing certificate (PEM), with a PEM --sign key.")(f)
    f = click.option("--sign", "sign_key", type=click.Path(dir_okay=False),
                     help="Sign the PDF (PAdES) with KEY.p12, or KEY.pem with --cert. The passphrase comes from "
                          "$DESIGNATION_SIGN_PASSPHRASE or a prompt, never an argument.")(f)
    return f


def sign_config(key: Optional[str], cert: Optional[str], timestamp_url: Optional[str]) -> Any:
    """The signing settings, checked now (before anything renders); None when not signing."""
    if not key:
        if cert or timestamp_url:
            raise click.UsageError("--cert and --timestamp-url need --sign KEY")
        return None
    from ..report.sign import PASSPHRASE_ENV, SignConfig, SignError, load_signer, needs_passphrase

    try:
        if not Path(key).is_file():
            raise SignError(f"{key}: no such key file")
        passphrase = os.environ.get(PASSPHRASE_ENV)
        if passphrase is None and needs_passphrase(key):
            if not sys.stdin.isatty():
                raise SignError(f"{key} is protected by a passphrase: set ${PASSPHRASE_ENV}")
            passphrase = click.prompt(f"Passphrase for {key}", hide_input=True, err=True)
        config = SignConfig(key, cert, passphrase.encode("utf-8") if passphrase is not None else None, timestamp_url)
        load_signer(config)
    except (SignError, OSError) as exc:
        err(str(exc))
        sys.exit(EXIT_INVALID)
    return config


def _signer(config: Any) -> Any:
    if config is None:
        return None
    from ..report.sign import signer_for

    return signer_for(config)


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
@sign_options
def report(file: Optional[str], review: Optional[str], derogations: Optional[str], tailoring: Optional[str],
           output: str, html_out: Optional[str], network: Optional[str], created: Optional[str],
           as_at: Optional[str], sign_key: Optional[str], sign_cert: Optional[str], timestamp_url: Optional[str]) -> None:
    """Render the designation report for FILE (or a network summary with --network DIR).

    \b
    Examples:
      designation report submissions/ec-northfield-conditions.yaml -o northfield.pdf
      designation report site.yaml --review reviews/site.yaml -o site.pdf
      designation report --network submissions/ -o network.pdf      # and network.csv beside it
      designation report submissions/northfield.yaml --as-at 2026-12-01 -o northfield.pdf  # overdue on that day
      designation report submissions/northfield.yaml -o northfield.pdf --sign network.p12

    \b
    Exit codes: 0 written; 1 an input is invalid or the report cannot be rendered (nothing is
    written); 2 usage error.
    """
    from .. import api

    when = parse_created(created)
    day = parse_date(as_at) if as_at else None
    signing = sign_config(sign_key, sign_cert, timestamp_url)
    if bool(file) == bool(network):
        raise click.UsageError("give either a submission FILE or --network DIR")
    from .. import report as report_mod
    from ..report.pdf import settle_for_one_report

    if network:
        subs = expand_paths((network,))
        csv_out = Path(output).with_suffix(".csv")
        guard_outputs({"-o": output, "the CSV beside -o": csv_out, "--html": html_out},
                      inputs=[*subs, derogations, tailoring, review])
        results, bad = [], 0
        for path in subs:
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
        settle_for_one_report()
        report_mod.write_network_pdf(results, output, created=when, as_at=day, sign=_signer(signing))
        csv_path = Path(output).with_suffix(".csv")
        from ..atomic import write_text

        write_text(csv_path, report_mod.network_matrix_csv(results))
        err(f"wrote {output} and {csv_path} ({len(results)} sites)")
        if bad:
            sys.exit(EXIT_INVALID)
        return
    beside = Path(file).parent  # type: ignore[arg-type]
    guard_outputs({"-o": output, "--html": html_out},
                  inputs=[file, review, derogations, tailoring, beside / "derogations.yaml", beside / "tailoring.yaml"])
    a = api.assess_path(file, review=review, derogations=derogations, tailoring=tailoring)  # type: ignore[arg-type]
    report_problems(a.warnings)
    settle_for_one_report()
    api.write_report(a, output, html=html_out, created=when, as_at=day, sign=_signer(signing))
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
                                 "timestamp": v.timestamp.isoformat() if v.timestamp else None,
                                 "differences": v.problems + v.notes, "warnings": v.warnings}) + "\n")
        elif v.ok:
            out.write(f"ok: {name}: {v.facts}\n")
            if v.signer:
                when = f", timestamped {v.timestamp:%d %b %Y %H:%M} UTC" if v.timestamp else ""
                out.write(f"  signed by {v.signer}{when}\n")
            for w in v.warnings:
                err(f"warning: {name}: {w}")
        else:
            for d in v.problems + v.notes:
                err(f"{name}: {d}")
    if not v.ok:
        sys.exit(EXIT_INVALID)
