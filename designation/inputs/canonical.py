"""The canonical YAML of a submission: what ``designation import`` writes for a workbook.

Any door (the workbook today; a web form or an ``.ods`` file later) builds a
:class:`~designation.inputs.submission.Submission`; this turns it into the YAML that a provider
could have written by hand, in the spec's question order, so that the YAML stays the one
canonical submission and ``validate``/``assess``/``report`` read it like any other.
"""
from __future__ import annotations

from typing import Any

import yaml


def to_data(sub: Any) -> dict[str, Any]:
    from .submission import Proportion

    env = sub.envelope
    out: dict[str, Any] = {"format": env.format, "spec": env.spec, "edition": env.edition,
                           "site": {k: v for k, v in env.site.__dict__.items() if v is not None}}
    if env.claimed is not None:
        out["claimed"] = env.claimed
    out["assessed_on"] = env.assessed_on
    if env.period:
        out["period"] = {"start": env.period.start, "end": env.period.end}
    if env.signed_off_by:
        out["signed_off_by"] = {k: v for k, v in env.signed_off_by.__dict__.items() if v is not None}
    order = {q: i for i, q in enumerate(sub.spec.questions)}
    answers: dict[str, Any] = {}
    for qid in sorted(sub.answers, key=lambda q: order.get(q, len(order))):
        a = sub.answers[qid]
        value = a.value
        if isinstance(value, Proportion):
            value = {"numerator": value.numerator, "denominator": value.denominator}
        if a.comment is None and not a.evidence:
            if value is not None:       # an unanswered question is left out, as a provider's YAML does
                answers[qid] = value
            continue
        item: dict[str, Any] = {"value": value}
        if a.comment is not None:
            item["comment"] = a.comment
        if a.evidence:
            item["evidence"] = [{k: v for k, v in e.__dict__.items() if v is not None} for e in a.evidence]
        answers[qid] = item
    out["answers"] = answers
    if env.action_plans:
        out["action_plans"] = {sid: {"action": p.action, "owner": p.owner, "due": p.due}
                               for sid, p in env.action_plans.items()}
    return out


def to_yaml(sub: Any, source: str = "") -> str:
    head = (f"# Imported by designation import from {source}.\n"
            "# This YAML is the canonical submission; check it with: designation validate FILE\n") if source else ""
    return head + yaml.safe_dump(to_data(sub), sort_keys=False, allow_unicode=True, default_flow_style=False,
                                 width=100)
