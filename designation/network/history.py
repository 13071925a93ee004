"""Every recorded assessment of one site, with what changed between rounds (reusing ``diff``).

A site is found by its code; when a site's code changed between rounds, its assessments are
still linked through the submission file name, and the history says so.
"""
from __future__ import annotations

import json
from typing import Any

from ..errors import InputError
from . import diff as diff_mod

SCHEMA = "designation.history/1"
INPUTS = (("submission", "submission_sha256"), ("review", "review_sha256"), ("derogations", "derogations_sha256"),
          ("tailoring", "tailoring_sha256"), ("specification", "spec_sha256"), ("engine", "engine_version"))


def _as_result(reg: Any, a: dict[str, Any]) -> dict[str, Any]:
    """The parts of a result that ``diff`` compares, rebuilt from the register's rows."""
    standards = reg.query("SELECT standard AS id, title, status, reason, reported FROM standards "
                          "WHERE assessment_id = ? ORDER BY rowid", (a["id"],))
    for s in standards:
        s["reported"] = json.loads(s["reported"] or "{}")
    by_cat = {k: a[f"score_{k}"] for k in ("core", "expected", "developmental") if a[f"score_{k}"] is not None}
    return {"site": {"name": a["site_name"], "code": a["site_code"]}, "assessed_on": a["assessed_on"],
            "spec": {"id": a["spec_id"], "edition": a["spec_edition"]},
            "outcome": {"status": a["status"], "label": a["label"], "qualifies_for": a["qualifies_for"]},
            "score": {"overall": a["score_overall"], "by_category": by_cat}, "standards": standards}


def history(reg: Any, code: str) -> dict[str, Any]:
    files = [r["submission_file"] for r in reg.query(
        "SELECT DISTINCT submission_file FROM assessments WHERE site_code = ? UNION "
        "SELECT DISTINCT submission_file FROM run_sites WHERE site_code = ? ORDER BY 1", (code, code))]
    if not files:
        from ..rules import suggest

        codes = [r["site_code"] for r in reg.query("SELECT DISTINCT site_code FROM assessments")]
        hint = suggest(code, codes)
        raise InputError.at(reg.path, f"no recorded assessment of site {code!r}"
                                      + (f"; did you mean {hint!r}?" if hint else ""))
    marks = ", ".join("?" for _ in files)
    rows = reg.query(
        f"SELECT a.*, r.finished_at AS recorded_at, r.run_by, r.kind AS run_kind FROM assessments a "  # noqa: S608
        f"JOIN runs r ON r.id = a.first_run_id WHERE a.submission_file IN ({marks}) ORDER BY a.first_run_id, a.id",
        tuple(files))
    events = reg.query(
        f"SELECT rs.run_id, r.finished_at AS at, rs.submission_file, rs.site_code, rs.state, rs.assessment_id, "  # noqa: S608
        f"rs.problems FROM run_sites rs JOIN runs r ON r.id = rs.run_id WHERE rs.submission_file IN ({marks}) "
        f"ORDER BY rs.run_id", tuple(files))
    rounds, notes = [], []
    previous: dict[str, Any] = {}      # the last assessment, per file (and overall)
    last_any = None
    for a in rows:
        runs = [e["run_id"] for e in events if e["assessment_id"] == a["id"]]
        prev = previous.get(a["submission_file"]) or last_any
        change, inputs_changed = None, []
        if prev is not None:
            change = diff_mod.diff(_as_result(reg, prev), _as_result(reg, a))
            inputs_changed = [what for what, col in INPUTS if prev[col] != a[col]]
            if prev["site_code"] != a["site_code"]:
                how = "by file name" if prev["submission_file"] == a["submission_file"] else "by site code"
                notes.append(f"site code changed from {prev['site_code']} to {a['site_code']} in "
                             f"{a['submission_file']} (run {a['first_run_id']}); history links both {how}")
        rounds.append({
            "round": len(rounds) + 1, "run": a["first_run_id"], "runs": runs, "recorded_at": a["recorded_at"],
            "run_by": a["run_by"], "run_kind": a["run_kind"], "submission_file": a["submission_file"],
            "site": {"code": a["site_code"], "name": a["site_name"], "organisation": a["organisation"],
                     "network": a["network"]},
            "spec": {"id": a["spec_id"], "edition": a["spec_edition"]}, "assessed_on": a["assessed_on"],
            "outcome": {"status": a["status"], "label": a["label"], "qualifies_for": a["qualifies_for"],
                        "rating": a["rating"]},
            "score": a["score_overall"],
            "denominators": {"core": {"met": a["core_met"], "of": a["core_of"]},
                             "expected": {"met": a["expected_met"], "of": a["expected_of"],
                                          "share": a["expected_share"]}},
            "conditions": reg.query("SELECT standard, kind, owner, due FROM conditions WHERE assessment_id = ? "
                                    "ORDER BY due, standard", (a["id"],)),
            "recommendations": reg.query("SELECT standard, owner, due FROM recommendations WHERE assessment_id = ? "
                                         "ORDER BY standard", (a["id"],)),
            "document_id": a["document_id"],
            "inputs": {"submission_sha256": a["submission_sha256"], "review_file": a["review_file"],
                       "derogations_file": a["derogations_file"], "tailoring_file": a["tailoring_file"]},
            "warnings": json.loads(a["warnings"] or "[]"),
            "changes": change,
            "inputs_changed": inputs_changed,
        })
        previous[a["submission_file"]] = a
        last_any = a
    stale = [{"run": e["run_id"], "at": e["at"], "submission_file": e["submission_file"], "state": e["state"],
              "problems": json.loads(e["problems"] or "[]")}
             for e in events if e["state"] in ("invalid", "failed", "removed")]
    latest = events[-1] if events else None
    return {"schema": SCHEMA, "site_code": code, "files": files, "notes": notes, "rounds": rounds,
            "stale_events": stale,
            "current": None if latest is None else {"run": latest["run_id"], "state": latest["state"],
                                                    "stale": latest["state"] in ("invalid", "failed", "removed")}}


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _recorded(value: Any) -> str:
    """A run's ISO timestamp as the reports print one ("1 December 2026, 22:25 UTC")."""
    import datetime as dt

    from ..report.view import timestamp

    try:
        return timestamp(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def render_text(h: dict[str, Any]) -> str:
    """For people: dates as the reports print them; ``--format json`` keeps ISO dates."""
    from ..report.view import long_date

    rounds = h["rounds"]
    name = rounds[-1]["site"]["name"] if rounds else h["site_code"]
    lines = [f"{name} ({h['site_code']}): {_n(len(rounds), 'recorded assessment')} from {', '.join(h['files'])}"]
    lines += [f"note: {n}" for n in h["notes"]]
    for r in rounds:
        runs = r["runs"]
        seen = f"; unchanged in run{'s' if len(runs) > 2 else ''} {', '.join(map(str, runs[1:]))}" if len(runs) > 1 else ""
        lines += ["", f"Round {r['round']}: recorded {_recorded(r['recorded_at'])} by {r['run_by']} ({r['run_kind']} run {r['run']}{seen})",
                  f"  {r['submission_file']}, site {r['site']['code']}, assessed {long_date(r['assessed_on'])} against "
                  f"{r['spec']['id']} {r['spec']['edition'] or ''}".rstrip(),
                  f"  Outcome: {r['outcome']['label'] or r['outcome']['status']}"
                  + (f" (rating {r['outcome']['rating']})" if r["outcome"]["rating"] else "")]
        den = r["denominators"]
        parts = [f"score {r['score']}%" if r["score"] is not None else "no score"]
        if den["core"]["of"] is not None:
            parts.append(f"{den['core']['met']} of {den['core']['of']} core met, "
                         f"{den['expected']['met']} of {den['expected']['of']} expected")
        parts.append(f"{_n(len(r['conditions']), 'condition')}, "
                     f"{_n(sum(1 for x in r['recommendations'] if x['due']), 'recommendation')} with a plan")
        parts.append(f"document {r['document_id']}")
        lines.append("  " + "; ".join(parts))
        for c in r["conditions"]:
            lines.append(f"    condition {c['standard']} due {long_date(c['due'])} ({c['owner']})")
        for w in r["warnings"]:
            lines.append(f"  warning: {w}")
        if r["changes"] is not None:
            files = {"review": r["inputs"]["review_file"], "derogations": r["inputs"]["derogations_file"],
                     "tailoring": r["inputs"]["tailoring_file"], "submission": r["submission_file"]}
            changed = [f"{w} ({files[w]})" if files.get(w) else w for w in r["inputs_changed"]]
            lines.append(f"  Changes since round {r['round'] - 1}"
                         + (f" (inputs changed: {', '.join(changed)})" if changed else "") + ":")
            lines += ["    " + x for x in diff_mod.render_text(r["changes"]).splitlines()[1:]]
    if h["stale_events"]:
        lines.append("")
    for s in h["stale_events"]:
        lines.append(f"Run {s['run']} ({_recorded(s['at'])}): {s['submission_file']} was {s['state']}"
                     + (f": {s['problems'][0]}" if s["problems"] else ""))
    if h["current"] and h["current"]["stale"]:
        lines.append("The last assessment above is stale: the site's input is now invalid or was removed.")
    from .due import _clean

    return "\n".join(_clean(x) for x in lines) + "\n"
