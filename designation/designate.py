"""The designation policy (version 2): ordered rules, data per spec, the first that matches decides.

Every standard is first sorted into *gating* or *advisory*. It is advisory when its deciding
figure (a parameter it compares with, or, with none, the standard itself) has confidence
``local`` or ``unverified`` and the network has not set that figure by tailoring. An advisory
gap never changes the outcome; it is listed for the panel's judgement with the reason.

1. ``not_designated`` when a limiter holds (nothing covers a limiter), or a gating core standard
   is a gap with no cover (a live derogation, or an action plan with owner and due date within
   the window), or the share of gating expected standards met, counting covered ones as met and
   partially met as half, is below the threshold;
2. ``designated_with_conditions`` when a gating core gap is covered, or covered expected gaps are
   needed to reach the threshold; each such cover becomes a condition with its date;
3. ``designated`` otherwise.

Expected gaps the threshold tolerates become *recommendations* (with their plan and date where
one exists), never conditions. The outcome is monotone: meeting a standard, adding a valid cover
or removing a limiter never makes it worse. The decision is traced as plain-English reasons,
and the smallest set of standards whose fixing would change the outcome is worked out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from .engine import CREDIT, StandardResult, _add_months
from .rules import Context, count, day, format_value
from .spec import LOW_CONFIDENCE, EffectivePolicy, Spec, Standard

RANK = {"not_designated": 0, "designated_with_conditions": 1, "designated": 2}
WEAK = {"local": "a local default with no published figure",
        "unverified": "not confirmed in any source read"}
EPS = 1e-9


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
    recommendations: list[dict[str, Any]] = field(default_factory=list)
    advisory: list[dict[str, Any]] = field(default_factory=list)
    denominators: dict[str, Any] = field(default_factory=dict)
    rating: Optional[dict[str, Any]] = None
    gating: dict[str, Optional[str]] = field(default_factory=dict)   # standard id -> advisory reason (None: gating)
    valid_until: Optional[str] = None


def advisory_reason(st: Standard, spec: Spec, tailored: Mapping[str, Any]) -> Optional[str]:
    """Why ``st`` is advisory (its deciding figure has no published source and the network did
    not set it), or None when it gates."""
    weak = []
    for name in st.params_used:
        p = spec.parameters.get(name)
        if p is None or name in tailored or p.confidence not in LOW_CONFIDENCE:
            continue
        shown = format_value(p.default, p.type)
        weak.append(f"the {p.term.format(value=shown)} is {WEAK[p.confidence]}")
    if weak:
        return "; ".join(weak)
    if st.confidence in LOW_CONFIDENCE and not any(n in tailored for n in st.params_used):
        return f"the requirement itself is {WEAK[st.confidence]}"
    return None


def gating_map(spec: Spec, tailored: Mapping[str, Any]) -> dict[str, Optional[str]]:
    """Standard id -> advisory reason (None: gating); it depends only on which parameters the
    network tailored, so it is worked out once per spec and set of tailored names."""
    cache = spec.__dict__.setdefault("_gating_cache", {})
    key = frozenset(tailored)
    out = cache.get(key)
    if out is None:
        out = cache[key] = {st.id: advisory_reason(st, spec, tailored) for st in spec.standards}
    return out


def _gates(r: StandardResult, gating: Mapping[str, Optional[str]]) -> bool:
    return r.standard.category != "developmental" and gating.get(r.id) is None


def _share(rs: list[StandardResult], covers: Mapping[str, Cover] | None) -> Optional[float]:
    """Weighted % of ``rs`` met; partially met earns half; with ``covers`` a covered gap counts as met."""
    got = total = 0.0
    for r in rs:
        w = r.standard.weight
        got += w if covers is not None and r.id in covers and r.is_gap else CREDIT[r.status] * w
        total += w
    return None if total == 0 else round(100.0 * got / total, 1)


def decide(spec: Spec, policy: EffectivePolicy, results: list[StandardResult], answers: Mapping[str, Any],
           params: Mapping[str, Any], covers: Mapping[str, Cover], assessed_on: dt.date,
           tailored_params: Mapping[str, Any] | None = None) -> Decision:
    """Apply ``policy`` to ``results``; ``covers`` maps standard id -> a valid plan/derogation."""
    window = policy.action_plan_window_months
    window_end = _add_months(assessed_on, window)
    gating = gating_map(spec, tailored_params or {})
    ctx = Context(answers, params)
    limiters = []
    for lim in policy.limiters:
        holds = lim.condition.evaluate(ctx) is True  # type: ignore[union-attr]
        limiters.append({"id": lim.id, "description": lim.description, "holds": holds,
                         "source": lim.source.model_dump() if lim.source else None, "confidence": lim.confidence})
    held = [lim for lim in limiters if lim["holds"]]

    applicable = [r for r in results if r.status != "not_applicable"]
    core = [r for r in applicable if r.standard.category == "core" and _gates(r, gating)]
    expected = [r for r in applicable if r.standard.category == "expected" and _gates(r, gating)]
    core_gaps = [r for r in core if r.is_gap]
    uncovered_core = [r for r in core_gaps if r.id not in covers]
    covered_core = [r for r in core_gaps if r.id in covers]
    exp_gaps = [r for r in expected if r.is_gap]
    uncovered_exp = [r for r in exp_gaps if r.id not in covers]
    covered_exp = [r for r in exp_gaps if r.id in covers]
    share_plain = _share(expected, None)
    share = _share(expected, covers)
    threshold = policy.threshold
    plain_ok = share_plain is None or share_plain >= threshold - EPS
    share_ok = share is None or share >= threshold - EPS
    reasons: list[str] = []
    # derogation wording only where the spec's network agrees derogations at all
    derogs = spec.file.vocabulary.derogations or any(c.kind == "derogation" for c in covers.values())
    no_cover = "no live derogation and no action plan" if derogs else "no action plan"
    plans = "agreed plans and derogations" if derogs else "agreed action plans"

    def gap_text(r: StandardResult) -> str:
        return f"{r.id} {r.standard.title} ({r.standard.category}, {r.status.replace('_', ' ')}): {r.reason}"

    def share_text(s: Optional[float], with_covers: bool) -> str:
        if s is None:
            return "no gating expected standards apply"
        how = f"counting {plans} as met and partly met as half" if with_covers \
            else "partly met counting as half"
        return f"{s:g}% of gating expected standards are met by weight ({how}; threshold {threshold:g}%)"

    if held:
        status = "not_designated"
        reasons += [f"{lim['description'].rstrip('.')}: a defining feature of this facility type, which no action "
                    f"plan{' or derogation' if derogs else ''} can cover." for lim in held]
    elif uncovered_core or not share_ok:
        status = "not_designated"
        if uncovered_core:
            reasons.append(f"{count(len(uncovered_core), 'core standard')} not met, with {no_cover} "
                           f"due by {day(window_end)}:")
            reasons += [gap_text(r) for r in uncovered_core]
        if not share_ok:
            reasons.append(f"Below the expected threshold: {share_text(share, True)}. Expected standards not met "
                           "and not covered:")
            reasons += [gap_text(r) for r in uncovered_exp]
    elif covered_core or not plain_ok:
        status = "designated_with_conditions"
        if covered_core:
            reasons.append(f"{count(len(covered_core), 'core standard')} not met "
                           f"{'is' if len(covered_core) == 1 else 'are'} covered by an action plan due by "
                           f"{day(window_end)}{' or a live derogation' if derogs else ''}; each is a condition.")
        if not plain_ok:
            reasons.append(f"The expected threshold is reached only with the {plans}: "
                           f"{share_text(share_plain, False)}, {share:g}% with them; each is a condition.")
        else:
            reasons.append(f"{share_text(share_plain, False).capitalize()}.")
    else:
        status = "designated"
        every = "The one applicable gating core standard is met" if len(core) == 1 else \
            f"All {len(core)} applicable gating core standards are met"
        reasons.append(f"{every} and {share_text(share_plain, False)}.")

    conditions = []
    if status == "designated_with_conditions":
        conditioned = covered_core + (covered_exp if not plain_ok else [])
        for r in conditioned:
            c = covers[r.id]
            conditions.append({"standard": r.id, "title": r.standard.title, "category": r.standard.category,
                               "kind": c.kind, "action": c.action, "owner": c.owner, "due": c.due.isoformat()})
        conditions.sort(key=lambda c: (c["due"], c["standard"]))
    in_conditions = {c["standard"] for c in conditions}

    recommendations = []
    if share_ok:
        for r in exp_gaps:
            if r.id in in_conditions:
                continue
            c = covers.get(r.id)
            recommendations.append({"standard": r.id, "title": r.standard.title, "status": r.status,
                                    "required": r.required, "kind": c.kind if c else None,
                                    "action": c.action if c else None, "owner": c.owner if c else None,
                                    "due": c.due.isoformat() if c else None})
        if recommendations and status != "not_designated":
            n = len(recommendations)
            reasons.append(f"{count(n, 'expected standard')} not fully met {'is' if n == 1 else 'are'} within the "
                           f"threshold and {'is a recommendation' if n == 1 else 'are recommendations'}, not "
                           f"{'a condition' if n == 1 else 'conditions'}: "
                           + ", ".join(x["standard"] for x in recommendations) + ".")

    advisory = []
    for r in applicable:
        why = gating.get(r.id)
        if why is None or not r.is_gap:
            continue
        c = covers.get(r.id)
        advisory.append({"standard": r.id, "title": r.standard.title, "category": r.standard.category,
                         "status": r.status, "reason": r.reason, "required": r.required, "why": why,
                         "kind": c.kind if c else None, "due": c.due.isoformat() if c else None})
    if advisory:
        reasons.append("For the panel's judgement, not changing the outcome: "
                       + "; ".join(f"{x['standard']} ({x['why']})" for x in advisory) + ".")

    n_adv = sum(1 for r in applicable if r.standard.category != "developmental" and gating.get(r.id) is not None)
    denominators = {
        "core": {"met": sum(1 for r in core if r.status == "met"), "of": len(core), "covered": len(covered_core)},
        "expected": {"met": sum(1 for r in expected if r.status == "met"), "of": len(expected), "share": share,
                     "share_before_covers": share_plain, "covered": len(covered_exp)},
        "advisory": n_adv,
    }
    rating = None
    if policy.rating is not None:
        both = core + expected
        met = sum(1 for r in both if r.status == "met")
        pct = None if not both else round(100.0 * met / len(both), 1)
        rating = {"band": policy.rating.band(pct), "percent": pct, "met": met, "of": len(both),
                  "measure": "applicable gating core and expected standards fully met (whole %, rounded down)",
                  "source": policy.rating.source, "confidence": policy.rating.confidence,
                  "bands": [b.model_dump() for b in policy.rating.bands]}

    to_change, target = _to_change(status, held, covered_core, uncovered_core, expected, covers, threshold,
                                   plain_ok, share_ok, window_end, derogs)
    validity = policy.validity_months
    valid_until = (_add_months(assessed_on, validity).isoformat()
                   if validity is not None and status != "not_designated" else None)
    return Decision(status, getattr(policy.labels, status), reasons, conditions, to_change, target, limiters, share,
                    recommendations, advisory, denominators, rating, gating, valid_until)


def expected_share(results: list[StandardResult]) -> Optional[float]:
    """Weighted % of applicable expected standards met (partially met as half), gating or not."""
    return _share([r for r in results if r.standard.category == "expected" and r.status != "not_applicable"], None)


def _to_change(status, held, covered_core, uncovered_core, expected, covers, threshold, plain_ok, share_ok,
               window_end, derogs=True):
    """The smallest set of standards (and limiters) whose fixing changes the outcome upwards,
    each saying what fixing means."""
    due = day(window_end)

    def item(r: StandardResult, fix: str) -> dict[str, str]:
        return {"id": r.id, "title": r.standard.title, "required": r.required, "fix": fix}

    if status == "designated":
        return [], None
    if status == "designated_with_conditions":
        out = [item(r, f"meet it (a plan{' or derogation' if derogs else ''} keeps it a condition)") for r in covered_core]
        if not plain_ok:
            out += [item(r, "meet it") for r in _enough(expected, threshold, None)]
        return out, "designated"
    out = [{"id": lim["id"], "title": lim["description"], "required": "this limiter must no longer hold",
            "fix": f"no plan{' or derogation' if derogs else ''} covers a limiter; the site itself must change"}
           for lim in held]
    cover_fix = (f"meet it, or agree an action plan with an owner due by {due}"
                 + (", or a derogation" if derogs else ""))
    out += [item(r, cover_fix) for r in uncovered_core]
    if not share_ok:
        out += [item(r, cover_fix) for r in _enough(expected, threshold, covers)]
    # Only limiters stand in the way and nothing else is a condition: fixing them designates outright.
    only_limiters = held and not uncovered_core and share_ok and not covered_core and plain_ok
    return out, "designated" if only_limiters else "designated_with_conditions"


def _enough(expected: list[StandardResult], threshold: float, covers) -> list[StandardResult]:
    """Fewest expected gaps to meet (or cover) so the share reaches the threshold (heaviest first)."""
    def credit(r: StandardResult) -> float:
        return 1.0 if covers is not None and r.id in covers and r.is_gap else CREDIT[r.status]

    got = sum(credit(r) * r.standard.weight for r in expected)
    total = sum(r.standard.weight for r in expected)
    gaps = [r for r in expected if credit(r) < 1]
    chosen = []
    for r in sorted(gaps, key=lambda r: (-(1 - credit(r)) * r.standard.weight, r.id)):
        if total == 0 or round(100.0 * got / total, 1) >= threshold - EPS:
            break
        got += (1 - credit(r)) * r.standard.weight
        chosen.append(r)
    return chosen
