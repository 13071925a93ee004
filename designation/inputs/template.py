"""Self-assessment skeletons: every question with its prompt, unit and bounds, as comments."""
from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from ..rules import DEFAULT_UNITS, Context
from ..spec import Question, Spec


def _bounds(q: Question) -> str:
    if q.type == "boolean":
        return "yes or no"
    if q.type == "choice":
        return "one of: " + ", ".join(q.choices or [])
    if q.type == "date":
        return "a date, e.g. 2026-10-01"
    if q.type == "text":
        return "text, in quotes"
    if q.type == "proportion":
        return "counts: {numerator: N, denominator: M}; the percentage is worked out for you"
    lo, hi = q.bounds()
    unit = q.unit or DEFAULT_UNITS.get(q.type, "")
    rng = "" if lo is None and hi is None else f", {_n(lo)} to {_n(hi)}"
    return f"{'whole number' if q.type == 'integer' else 'number'}{' in ' + unit if unit else ''}{rng}"


def _n(v: Any) -> str:
    return "any" if v is None else (str(int(v)) if float(v).is_integer() else str(v))


def _parse_preset(q: Question, text: str) -> Any:
    """A ``--set`` value read like the same answer in a submission: the safe loader (no tags,
    numbers read as a person reads them) then the question's type, so the skeleton never
    carries a value a submission would refuse. Raises ValueError with the reason."""
    from ..errors import InputError
    from ..textsafe import shown
    from . import yamlsafe
    from .submission import BadAnswer, read_value

    raw: Any = text
    if q.type != "text" and text.strip():
        try:
            raw = yamlsafe.load_text(text, f"--set {q.id}").data
        except InputError as exc:
            raise ValueError(f"--set {q.id}={shown(text)}: " + "; ".join(p.message for p in exc.problems)) from None
    elif q.type != "text":
        raw = None
    try:
        return read_value(q, raw)
    except BadAnswer as exc:
        raise ValueError(f"--set {q.id}={shown(text)}: {exc}") from None


def render_template(spec: Spec, given: dict[str, str]) -> str:
    """The skeleton; ``given`` pre-answers questions and drops those that then do not apply."""
    preset: dict[str, Any] = {}
    for qid, text in given.items():
        if qid not in spec.questions:
            from ..rules import suggest

            hint = suggest(qid, spec.questions)
            raise ValueError(f"--set {qid}: spec {spec.id!r} has no question {qid!r}"
                             + (f"; did you mean {hint!r}?" if hint else ""))
        preset[qid] = _parse_preset(spec.questions[qid], text)
    ctx = Context(preset, spec.defaults())
    used_by: dict[str, list[str]] = {}
    for st in spec.standards:
        applies = st.applies.evaluate(ctx) if st.applies is not None else True
        if applies is False:
            continue
        for q in sorted(st.questions_used):
            used_by.setdefault(q, []).append(st.id)
    for lim in spec.policy.limiters:
        for q in sorted(lim.condition.questions()):  # type: ignore[union-attr]
            used_by.setdefault(q, []).append(f"limiter {lim.id}")
    lines = [
        f"# Self-assessment: {spec.title} ({spec.id}, edition {spec.edition})",
        "# Answer every question. Leave ~ where you cannot answer yet: the standards that need it",
        "# are then reported as 'not answered', which counts as not met.",
        "# An answer may also be written as {value: ..., comment: ..., evidence: [{title: ..., reference: ...,",
        "# date: ..., owner: ...}]}. Check the file with: designation validate FILE",
        "format: 1",
        f"spec: {spec.id}",
        f'edition: "{spec.edition}"',
        "# Replace every REPLACE: placeholder; a file that still has one does not validate.",
        "site:",
        '  name: "REPLACE: site name"',
        f'  code: "REPLACE: {_identifier(spec, preset)}"',
        '  organisation: "REPLACE: organisation"',
        '  network: "REPLACE: UEC network or ICB"',
        '  address: "REPLACE: postal address"',
    ]
    if spec.ladder:
        lines.append(f"claimed: {spec.ladder.level}")
    lines += [
        "# The day the assessment was made, and the period its figures cover (dates as YYYY-MM-DD)",
        f"assessed_on: {dt.date.today().isoformat()}",
        'period: {start: "REPLACE: first day, YYYY-MM-DD", end: "REPLACE: last day, YYYY-MM-DD"}',
        "# Who signs the self-assessment off for the organisation",
        "signed_off_by:",
        '  name: "REPLACE: name"',
        '  role: "REPLACE: role, e.g. Medical Director"',
        '  date: "REPLACE: date signed, YYYY-MM-DD"',
        "answers:",
    ]
    for qid, q in spec.questions.items():
        if q.applies is not None and q.applies.evaluate(ctx) is False:
            continue
        if qid not in preset and qid not in used_by and q.applies is None and not any(
                qid in (s.applies.questions() if s.applies else ()) for s in spec.standards):
            continue
        lines.append("")
        for chunk in _wrap(q.prompt):
            lines.append(f"  # {chunk}")
        if q.help:
            for chunk in _wrap(q.help):
                lines.append(f"  #   {chunk}")
        users = ", ".join(used_by.get(qid, [])) or "deciding which standards apply"
        lines.append(f"  #   Answer: {_bounds(q)}. Used by: {users}")
        value = preset.get(qid)
        if value is None:
            shown = "~"
        elif isinstance(value, bool):
            shown = "true" if value else "false"
        else:
            shown = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
        lines.append(f"  {qid}: {shown}")
    lines += ["", "# Action plans for standards not yet met: standard id -> action, owner, due date",
              "action_plans: {}", ""]
    return "\n".join(lines)


def _identifier(spec: Spec, preset: dict[str, Any]) -> str:
    """The site identifier the setting uses: ODS code, school URN or pharmacy F-code."""
    from .submission import SITE_IDENTIFIER, site_identifier

    setting = preset.get("setting")
    q = spec.questions.get("setting")
    if setting is not None or q is None:
        return site_identifier(setting)
    others = [f"{label} for a {key.replace('_', ' ')}" for key, label in SITE_IDENTIFIER.items()
              if key in (q.choices or [])]
    return site_identifier(None) + (f" ({'; '.join(others)})" if others else "")


def _wrap(text: str) -> list[str]:
    import textwrap

    return textwrap.wrap(" ".join(text.split()), 92) or [""]
