"""What changed between two assessments of one site: outcome, standards, values, scores.

Either side may be a submission (assessed now, with the folder's settings) or a saved JSON
result (``assess --format json``, or a batch's per-site JSON).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError

RANK = {"not_designated": 0, "designated_with_conditions": 1, "designated": 2}


def load_result(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if p.suffix.lower() == ".json":
        from ..inputs import yamlsafe

        raw = yamlsafe.read_bytes(p)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            col = getattr(exc, "colno", None)
            raise InputError.at(str(p), f"not a JSON result: {exc.args[0] if exc.args else exc}", line, col) from None
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if not isinstance(data, dict) or data.get("schema") != "designation.assessment/1":
            raise InputError.at(str(p), "not a designation assessment (schema designation.assessment/1)")
        _check_shape(data, str(p))
        return data
    from .. import api

    return api.assess_path(p).to_json()


def _models() -> Any:
    """The part of a JSON result that ``diff`` reads, as pydantic models (built on first use)."""
    from typing import Literal, Optional, Union

    from pydantic import BaseModel, ConfigDict, Field

    from ..engine import STATUSES

    Status = Literal[STATUSES]  # type: ignore[valid-type]
    Number = Optional[Union[int, float]]

    class _M(BaseModel):
        model_config = ConfigDict(extra="allow", strict=True)

    class Site(_M):
        name: str
        code: str

    class Spec(_M):
        id: str
        edition: str

    class Outcome(_M):
        status: Literal[tuple(RANK)]  # type: ignore[valid-type]
        label: str
        qualifies_for: Optional[str] = None

    class Score(_M):
        overall: Number
        by_category: dict[str, Number]

    class Standard(_M):
        id: str
        title: str
        status: Status
        reason: str
        reported: dict[str, Union[str, int, float, bool, None]]

    class Result(_M):
        site: Site
        spec: Spec
        assessed_on: Optional[str]
        outcome: Outcome
        score: Score
        standards: list[Standard] = Field(max_length=100_000)

    return Result


def _check_shape(data: dict[str, Any], name: str) -> None:
    """A JSON result missing a key, with an unknown status or a value of the wrong type is an
    input error naming the key (diff read them blindly: KeyError, TypeError)."""
    from pydantic import ValidationError

    from ..errors import Problem
    from ..textsafe import shown

    try:
        _models().model_validate(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors()[:20]:
            where = ".".join(str(x) for x in e["loc"]) or "the top level"
            if e["type"] == "missing":
                problems.append(Problem(name, f"{where}: required key is missing; is this a result of "
                                              "'designation assess --format json'?"))
            else:
                problems.append(Problem(name, f"{where}: {e['msg'].lower()}, got {shown(e.get('input'))}"))
        raise InputError(problems) from None


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A structured comparison; ``movement`` says whether the outcome went up, down or stayed."""
    o_old, o_new = old["outcome"], new["outcome"]
    s_old = {s["id"]: s for s in old["standards"]}
    s_new = {s["id"]: s for s in new["standards"]}
    newly_met, newly_unmet, no_longer, changed, added, removed = [], [], [], [], [], []
    for sid, sn in s_new.items():
        so = s_old.get(sid)
        if so is None:
            added.append({"id": sid, "title": sn["title"], "status": sn["status"]})
            continue
        if so["status"] == sn["status"]:
            continue
        row = {"id": sid, "title": sn["title"], "from": so["status"], "to": sn["status"], "reason": sn["reason"]}
        if sn["status"] == "met":
            newly_met.append(row)
        elif so["status"] == "met" and sn["status"] == "not_applicable":
            no_longer.append(row)
        elif so["status"] == "met":
            newly_unmet.append(row)
        else:
            changed.append(row)
    removed = [{"id": sid, "title": so["title"]} for sid, so in s_old.items() if sid not in s_new]
    values_old = {k: v for s in old["standards"] for k, v in s["reported"].items()}
    values_new = {k: v for s in new["standards"] for k, v in s["reported"].items()}
    values = [{"question": k, "from": values_old.get(k, "not asked"), "to": values_new.get(k, "not asked")}
              for k in sorted(set(values_old) | set(values_new)) if values_old.get(k) != values_new.get(k)]
    r_old, r_new = RANK[o_old["status"]], RANK[o_new["status"]]

    def delta(a: Any, b: Any) -> Any:
        return None if a is None or b is None else round(b - a, 1)

    return {
        "schema": "designation.diff/1",
        "site": new["site"],
        "old": {"assessed_on": old["assessed_on"], "spec": f"{old['spec']['id']} {old['spec']['edition']}",
                "outcome": o_old["status"], "label": o_old["label"], "qualifies_for": o_old.get("qualifies_for"),
                "score": old["score"]["overall"]},
        "new": {"assessed_on": new["assessed_on"], "spec": f"{new['spec']['id']} {new['spec']['edition']}",
                "outcome": o_new["status"], "label": o_new["label"], "qualifies_for": o_new.get("qualifies_for"),
                "score": new["score"]["overall"]},
        "movement": "up" if r_new > r_old else "down" if r_new < r_old else "same",
        "score_change": {"overall": delta(old["score"]["overall"], new["score"]["overall"]),
                         "by_category": {c: delta(old["score"]["by_category"].get(c), v)
                                         for c, v in new["score"]["by_category"].items()}},
        "newly_met": newly_met, "newly_unmet": newly_unmet, "no_longer_applies": no_longer, "other_changes": changed,
        "standards_added": added, "standards_removed": removed, "changed_values": values,
    }


def check_same_site(old: dict[str, Any], new: dict[str, Any], old_name: str, new_name: str) -> None:
    if old["site"]["code"] != new["site"]["code"]:
        raise InputError.at(new_name, f"is for site {new['site']['code']}, but {old_name} is for "
                                      f"{old['site']['code']}; diff compares two assessments of one site")


def render_text(d: dict[str, Any]) -> str:
    """For people: assessment dates as the reports print them; ``--format json`` keeps ISO dates."""
    from ..report.view import long_date

    arrow = {"up": "▲ improved", "down": "▼ worsened", "same": "= unchanged"}[d["movement"]]
    o, n = d["old"], d["new"]
    lines = [f"{d['site']['name']} ({d['site']['code']})",
             f"Outcome: {o['label']} ({long_date(o['assessed_on'])}) -> {n['label']} "
             f"({long_date(n['assessed_on'])})  {arrow}"]
    if o["qualifies_for"] != n["qualifies_for"]:
        lines.append(f"Qualifies for: {o['qualifies_for'] or 'none'} -> {n['qualifies_for'] or 'none'}")
    ch = d["score_change"]["overall"]
    lines.append(f"Score: {o['score']}% -> {n['score']}%" + (f" ({ch:+g} points)" if ch is not None else ""))
    for title, key, sym in (("Newly met", "newly_met", "✓"), ("Newly not met", "newly_unmet", "✗"),
                            ("No longer applies", "no_longer_applies", "–"),
                            ("Other status changes", "other_changes", "~")):
        if d.get(key):
            lines.append(f"{title}:")
            lines += [f"  {sym} {r['id']} {r['title']}: {r['from'].replace('_', ' ')} -> {r['to'].replace('_', ' ')}"
                      for r in d[key]]
    if d["changed_values"]:
        lines.append("Changed values:")
        lines += [f"  {v['question']}: {v['from']} -> {v['to']}" for v in d["changed_values"]]
    if not (d["newly_met"] or d["newly_unmet"] or d.get("no_longer_applies") or d["other_changes"] or d["changed_values"]):
        lines.append("No standard or value changed.")
    return "\n".join(lines) + "\n"
