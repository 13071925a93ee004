"""``template --format xlsx`` and ``import``: the provider's workbook, out and back in.

XlsxWriter and openpyxl are imported only here (through :mod:`designation.inputs.workbook`
and :mod:`designation.inputs.workbook_read`), so ``validate`` and ``assess`` of YAML never load them.
"""
from __future__ import annotations

import os
from typing import Optional

import click

from ..errors import InputError
from ._shell import err, main, report_problems


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def write_template(spec, given: dict[str, str], output: Optional[str], from_file: Optional[str]) -> None:
    """The body of ``template --format xlsx`` (the option parsing is shared with YAML)."""
    from ..inputs import submission, workbook
    from ..inputs.template import _parse_preset

    if not output:
        raise click.UsageError("a workbook is binary: give -o FILE.xlsx")
    if not output.lower().endswith(".xlsx"):
        raise click.UsageError(f"{output!r}: the workbook's name must end in .xlsx", )
    if from_file and _same_file(output, from_file):
        raise click.UsageError("-o must not be the --from file: inputs are never overwritten")
    preset = {}
    for qid, text in given.items():
        if qid not in spec.questions:
            from ..rules import suggest

            hint = suggest(qid, spec.questions)
            raise click.UsageError(f"--set {qid}: spec {spec.id!r} has no question {qid!r}"
                                   + (f"; did you mean {hint!r}?" if hint else ""))
        try:
            preset[qid] = _parse_preset(spec.questions[qid], text)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    prefill = None
    if from_file:
        sub = submission.load(from_file)
        if sub.spec.id != spec.id:
            raise InputError.at(from_file, f"is a submission for spec {sub.spec.id!r}, not {spec.id!r}")
        for qid, v in preset.items():     # a workbook asks one setting's questions: never mix two
            have = sub.values.get(qid)
            if have is not None and have != v:
                opt = "--setting" if qid == "setting" else f"--set {qid}=..."
                raise click.UsageError(f"the submission's {qid} is {have}, not {v}; drop {opt} or give a "
                                       f"--from submission whose {qid} is {v}")
        prefill = workbook.Prefill.of(sub)
        if "setting" in spec.questions and "setting" not in preset and sub.values.get("setting") is not None:
            preset["setting"] = sub.values["setting"]   # the setting decides which questions the workbook asks
    data = workbook.render(spec, preset, prefill)
    from ..atomic import write_bytes

    write_bytes(output, data)
    err(f"wrote {output}")


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the YAML here instead of stdout.")
def import_cmd(file: str, output: Optional[str]) -> None:
    """Turn a filled-in workbook (from template --format xlsx) into the canonical YAML submission.

    Every problem is reported at once, as FILE.xlsx!Sheet!Cell (question): what to do. The
    workbook is only read, never changed; formulas are never evaluated and macros never run.
    Every other command (validate, assess, report, batch) also takes the .xlsx directly.

    \b
    Examples:
      designation import riverbank.xlsx -o riverbank.yaml
      designation import riverbank.xlsx | less

    \b
    Exit codes: 0 imported; 1 the workbook has problems (each located by sheet and cell) or
    cannot be read; 2 usage error.
    """
    from ..inputs import workbook_read

    from ._shell import guard_outputs

    guard_outputs({"-o": output}, [file])
    if output and output.lower().endswith((".xlsx", ".xlsm")):
        raise click.UsageError(f"{output!r}: import writes a YAML submission; give -o a name ending in .yaml")
    if file.lower().endswith((".yaml", ".yml")):
        raise click.UsageError(f"{file!r} is not a workbook but a YAML submission: it needs no import; "
                               "give it to validate, assess or report directly")
    try:
        result = workbook_read.load(file)
    except InputError as exc:
        report_problems(exc.problems)
        raise SystemExit(1) from None
    for note in result.notes:
        err(f"{file}: note: {note}")
    report_problems(result.submission.notes)
    text = result.yaml
    if output:
        from ..atomic import write_text

        write_text(output, text)
        sub = result.submission
        err(f"wrote {output} ({sub.spec.id} {sub.spec.edition}, {sum(1 for a in sub.answers.values() if a.value is not None)}"
            f" answers)")
    else:
        click.echo(text, nl=False)



