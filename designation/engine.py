"""The engine: one status per standard, with its reason, reported value and required value.

Result vocabulary (never overloaded):

``met``            the standard's ``met_when`` holds
``partially_met``  ``met_when`` fails but ``partially_met_when`` holds
``not_met``        neither holds
``not_applicable`` its ``applies_when`` is false, or an audit measure it needs has no eligible
                   cases (a zero denominator)
``not_answered``   a question it needs has no answer (counts as not met for gating)
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from .rules import Context, clause_text, format_value
from .spec import Spec, Standard, fill_params

STATUSES = ("met", "partially_met", "not_met", "not_applicable", "not_answered")
CREDIT = {"met": 1.0, "partially_met": 0.5, "not_met": 0.0, "not_answered": 0.0}


@dataclass
class StandardResult:
    standard: Standard
    status: str
    reason: str
    reported: dict[str, str]
    required: str
    flags: list[str] = field(default_factory=list)
    # why it is not met, as structured clauses (see ``rules.clause_text``); the author's own
    # sentence, when the spec gives one, is ``because``
    clauses: list[dict[str, Any]] = field(default_factory=list)
    because: Optional[str] = None

    @property
    def explanation(self) -> Optional[dict[str, Any]]:
        if not self.clauses and not self.because:
            return None
        return {"because": self.because, "clauses": self.clauses}

    @property
    def id(self) -> str:
        return self.standard.id

    @property
    def is_gap(self) -> bool:
        return self.standard.category != "developmental" and self.status in ("not_met", "partially_met", "not_answered")


def evaluate(spec: Spec, answers: Mapping[str, Any], params: Mapping[str, Any]) -> list[StandardResult]:
    """Evaluate every standard of ``spec`` against answer values (question id -> value)."""
    ctx = Context(answers, params)
    key = tuple(sorted(params.items()))
    return [evaluate_standard(st, spec, ctx, key) for st in spec.standards]


def _required(st: Standard, params: Mapping[str, Any], key: tuple | None = None) -> str:
    """The plain-English requirement; it depends only on the parameters, so it is memoised."""
    key = key if key is not None else tuple(sorted(params.items()))
    text = st.required_cache.get(key)
    if text is None:
        text = st.required_cache[key] = st.met.describe(params)  # type: ignore[union-attr]
    return text


def evaluate_standard(st: Standard, spec: Spec, ctx: Context, params_key: tuple | None = None) -> StandardResult:
    required = _required(st, ctx.params, params_key)
    answers = ctx.answers
    reported = {}
    for qid, q in st.reported_questions:
        v = answers.get(qid)
        if v is None:
            reported[q.label] = "not answered"
        elif q.type == "proportion":
            reported[q.label] = v.describe()
        else:
            reported[q.label] = format_value(v, q.type, q.unit)
    if st.applies is not None:
        applies = st.applies.evaluate(ctx)
        if applies is False:
            return StandardResult(st, "not_applicable", "applies only when "
                                  f"{st.applies.describe(ctx.params)}", reported, required)
        if applies is None:
            return StandardResult(st, "not_answered", "cannot tell whether it applies: "
                                  + "; ".join(st.applies.failures(ctx)), reported, required)
    for qid in st.proportions:
        v = answers.get(qid)
        if v is not None and v.denominator == 0:
            return StandardResult(st, "not_applicable", f"no eligible cases: {spec.questions[qid].label} has a "
                                  "denominator of 0", reported, required)
    met = st.met.evaluate(ctx)  # type: ignore[union-attr]
    if met is True:
        return StandardResult(st, "met", f"meets the requirement: {required}", reported, required)
    clauses = st.met.explain(ctx)  # type: ignore[union-attr]
    if met is None:
        return StandardResult(st, "not_answered", "; ".join(clause_text(c) for c in clauses), reported, required,
                              clauses=clauses)
    partly = st.partial is not None and st.partial.evaluate(ctx) is True
    status = "partially_met" if partly else "not_met"
    own = st.explain and (st.explain.partially_met if partly and st.explain.partially_met else st.explain.not_met)
    if own:
        because = fill_params(own, ctx.params)
        return StandardResult(st, status, f"{because}; reported: {_reported_of(clauses)}", reported, required,
                              clauses=clauses, because=because)
    failures = "; ".join(clause_text(c) for c in clauses)
    if partly:
        return StandardResult(st, status, f"partly met; to meet it in full, {failures}", reported, required,
                              clauses=clauses)
    return StandardResult(st, status, failures, reported, required, clauses=clauses)


def _reported_of(clauses: list[dict[str, Any]]) -> str:
    """What was reported for the clauses not met: ``no``, or ``label: value; label: value``."""
    leaves: list[dict[str, Any]] = []

    def walk(cs: list[dict[str, Any]]) -> None:
        for c in cs:
            if c.get("form") == "group":
                walk(c["parts"])
            elif "label" in c:
                leaves.append(c)
    walk(clauses)
    if len(leaves) == 1:
        return leaves[0].get("reported", "not answered")
    return "; ".join(f"{c['label']}: {c.get('reported', 'not answered')}" for c in leaves)


def score(results: list[StandardResult], credit_derogated: bool = False,
          derogated: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Weighted compliance (%) overall (core + expected), by category and by domain.

    ``not_applicable`` is excluded; partially met earns half; with ``credit_derogated`` a
    standard under a live derogation counts as met (the score after adjustments).
    """
    cat: dict[str, list[float]] = {}
    dom: dict[str, list[float]] = {}
    overall = [0.0, 0.0]
    for r in results:
        status = r.status
        if status == "not_applicable":
            continue
        st = r.standard
        w = st.weight
        got = w if credit_derogated and r.id in derogated else CREDIT[status] * w
        acc = cat.get(st.category)
        if acc is None:
            acc = cat[st.category] = [0.0, 0.0]
        acc[0] += got
        acc[1] += w
        acc = dom.get(st.domain)
        if acc is None:
            acc = dom[st.domain] = [0.0, 0.0]
        acc[0] += got
        acc[1] += w
        if st.category != "developmental":
            overall[0] += got
            overall[1] += w

    def pct(acc: Optional[list[float]]) -> Optional[float]:
        return None if not acc or acc[1] == 0 else round(100.0 * acc[0] / acc[1], 1)

    return {
        "overall": pct(overall),
        "by_category": {c: pct(cat.get(c)) for c in ("core", "expected", "developmental")},
        "by_domain": {d: pct(dom[d]) for d in sorted(dom) if dom[d][1]},
    }


def evidence_flags(results: list[StandardResult], answers: Mapping[str, Any], assessed_on: dt.date,
                   max_age_months: int) -> None:
    """Flag standards whose expected evidence is missing or older than the policy allows."""
    cutoff = _add_months(assessed_on, -max_age_months)
    for r in results:
        if not r.standard.evidence or r.status == "not_applicable":
            continue
        items = [e for q in r.standard.questions_used if (a := answers.get(q)) is not None for e in a.evidence]
        if not items:
            r.flags.append("evidence_missing")
        elif all(e.date is not None and e.date < cutoff for e in items):
            r.flags.append("evidence_stale")


def _add_months(day: dt.date, months: int) -> dt.date:
    import calendar

    m = day.month - 1 + months
    y, m = day.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))
