"""The designation policy: ordered rules, data per spec, the first that matches decides.

1. ``not_designated`` when a limiter holds, or a core standard is a gap with neither a live
   derogation nor an action plan due within the policy's window;
2. ``designated`` when no core standard is a gap and the share of expected standards met (by
   weight, ``not_applicable`` excluded) reaches the threshold;
3. ``designated_with_conditions`` when every core gap is covered (plan or derogation) and the
   expected share reaches the threshold or every expected gap is covered too;
4. otherwise ``not_designated``.

A *gap* is a core or expected standard that is not met, partially met or not answered.
The decision is traced as plain-English reasons, and the smallest set of standards whose
fixing would change the outcome is worked out for the reader.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from .engine import CREDIT, StandardResult, _add_months
from .rules import Context
from .spec import Policy, Spec

RANK = {"not_designated": 0, "designated_with_conditions": 1, "designated": 2}


@dataclass
class Cover:
    kind: str            # "action_plan" | "derogation"
    due: dt.date
    action: str
    owner: str


@dataclass
class Decision:
    status: str
    label: str
    reasons: list[str]
    conditions: list[dict[str, Any]]
    to_change: list[dict[str, str]]
    to_change_target: Optional[str]
    limiters: list[dict[str, Any]] = field(default_factory=list)
    expected_share: Optional[float] = None


def decide(spec: Spec, policy: Policy, results: list[StandardResult], answers: Mapping[str, Any],
           params: Mapping[str, Any], covers: Mapping[str, Cover], assessed_on: dt.date) -> Decision:
    """Apply ``policy`` to ``results``; ``covers`` maps standard id -> a valid plan/derogation."""
    window_end = _add_months(assessed_on, policy.action_plan_window_months)
    ctx = Context(answers, params)
    limiters = []
    for lim in policy.limiters:
        holds = lim.condition.evaluate(ctx) is True  # type: ignore[union-attr]
        limiters.append({"id": lim.id, "description": lim.description, "holds": holds})
    gaps = [r for r in results if r.is_gap]
    core_gaps = [r for r in gaps if r.standard.category == "core"]
    exp_gaps = [r for r in gaps if r.standard.category == "expected"]
    uncovered_core = [r for r in core_gaps if r.id not in covers]
    uncovered_exp = [r for r in exp_gaps if r.id not in covers]
    share = expected_share(results)
    threshold = policy.threshold
    labels = policy.labels
    reasons: list[str] = []

    def gap_text(r: StandardResult) -> str:
        return f"{r.id} {r.standard.title} ({r.standard.category}, {r.status.replace('_', ' ')}): {r.reason}"

    held = [lim for lim in limiters if lim["holds"]]
    share_ok = share is None or share >= threshold - 1e-9
    share_txt = "no expected standards apply" if share is None else \
        f"{share:g}% of expected standards are met by weight (threshold {threshold:g}%)"

    if held:
        status = "not_designated"
        reasons += [f"Limiter: {lim['description']}." for lim in held]
    elif uncovered_core:
        status = "not_designated"
        reasons.append(f"{len(uncovered_core)} core standard(s) not met with no live derogation and no action "
                       f"plan due by {window_end.isoformat()}:")
        reasons += [gap_text(r) for r in uncovered_core]
    elif not core_gaps and share_ok:
        status = "designated"
        n_core = sum(1 for r in results if r.standard.category == "core" and r.status != "not_applicable")
        reasons.append(f"All {n_core} applicable core standards are met and {share_txt}.")
    elif share_ok or not uncovered_exp:
        status = "designated_with_conditions"
        reasons.append(f"Every gap is covered by an action plan due by {window_end.isoformat()} or a live "
                       f"derogation; {share_txt}.")
    else:
        status = "not_designated"
        reasons.append(f"Core standards are met or covered, but {share_txt} and {len(uncovered_exp)} expected "
                       "standard(s) have no action plan or derogation:")
        reasons += [gap_text(r) for r in uncovered_exp]

    conditions = []
    if status == "designated_with_conditions":
        for r in gaps:
            c = covers.get(r.id)
            if c is not None:
                conditions.append({"standard": r.id, "title": r.standard.title, "kind": c.kind,
                                   "action": c.action, "owner": c.owner, "due": c.due.isoformat()})
        conditions.sort(key=lambda c: (c["due"], c["standard"]))

    to_change, target = _to_change(status, held, core_gaps, uncovered_core, exp_gaps, uncovered_exp,
                                   results, threshold, share_ok)
    return Decision(status, getattr(labels, status), reasons, conditions, to_change, target, limiters, share)


def expected_share(results: list[StandardResult]) -> Optional[float]:
    got = total = 0.0
    for r in results:
        if r.standard.category == "expected" and r.status != "not_applicable":
            got += CREDIT[r.status] * r.standard.weight
            total += r.standard.weight
    return None if total == 0 else round(100.0 * got / total, 1)


def _to_change(status, held, core_gaps, uncovered_core, exp_gaps, uncovered_exp, results, threshold, share_ok):
    """The smallest set of standards (and limiters) whose fixing changes the outcome upwards."""
    def item(r: StandardResult) -> dict[str, str]:
        return {"id": r.id, "title": r.standard.title, "required": r.required}

    if status == "designated":
        return [], None
    if status == "designated_with_conditions":
        # to be designated outright: meet every core gap and enough expected ones
        return [item(r) for r in core_gaps] + [item(r) for r in _enough(exp_gaps, results, threshold)], "designated"
    out = [{"id": lim["id"], "title": lim["description"], "required": "this limiter must no longer hold"} for lim in held]
    out += [item(r) for r in uncovered_core]
    if not share_ok and uncovered_exp:
        need = _enough(exp_gaps, results, threshold)
        if len(need) > len(uncovered_exp):
            need = uncovered_exp
        out += [item(r) for r in need]
    return out, "designated_with_conditions"


def _enough(exp_gaps: list[StandardResult], results: list[StandardResult], threshold: float) -> list[StandardResult]:
    """Fewest expected gaps to meet so the expected share reaches the threshold (heaviest first)."""
    got = total = 0.0
    for r in results:
        if r.standard.category == "expected" and r.status != "not_applicable":
            got += CREDIT[r.status] * r.standard.weight
            total += r.standard.weight
    chosen = []
    for r in sorted(exp_gaps, key=lambda r: (-(1 - CREDIT[r.status]) * r.standard.weight, r.id)):
        if total == 0 or 100.0 * got / total >= threshold - 1e-9:
            break
        got += (1 - CREDIT[r.status]) * r.standard.weight
        chosen.append(r)
    return chosen
