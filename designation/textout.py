"""Terminal and CSV views of assessments (the JSON view is ``Assessment.to_json``)."""
from __future__ import annotations

import csv
import io
from typing import Any

from . import textsafe

SYMBOL = {"met": "✓", "partially_met": "◐", "not_met": "✗", "not_applicable": "–", "not_answered": "?"}
STYLE = {"met": "green", "partially_met": "yellow", "not_met": "red", "not_applicable": "dim", "not_answered": "magenta"}
OUTCOME_STYLE = {"designated": "bold green", "designated_with_conditions": "bold yellow", "not_designated": "bold red"}
OUTCOME_SYMBOL = {"designated": "✓", "designated_with_conditions": "◐", "not_designated": "✗"}


GAP_FIRST = {"not_met": 0, "not_answered": 1, "partially_met": 2, "met": 3, "not_applicable": 4}


def print_text(assessments: list[Any], console: Any, show_all: bool = False) -> None:
    """A readable summary per site: the headline, why, conditions, what would change it, then the
    standards, gaps first; standards that do not apply are counted, and listed with ``show_all``."""
    from rich.table import Table
    from rich.text import Text

    from .report.view import headline
    from .rules import day

    def say(text: str) -> None:  # Text: never read as markup, whatever the console's settings
        console.print(Text(text))

    for a in assessments:
        j = textsafe.deep(a.to_json(), textsafe.terminal)   # the data cannot drive the terminal
        o = j["outcome"]
        site = j["site"]
        code = f"{site.get('code_label') or 'ODS'} {site['code']}"
        console.rule(Text(f"{site['name']} ({code})", style="bold"))
        say(f"Specification: {j['spec']['title']} ({j['spec']['id']}, edition {j['spec']['edition']})")
        applied = applied_line(j)
        if applied:
            console.print(Text(applied), soft_wrap=True)
        head = headline(j)
        console.print(Text(f"Outcome: {OUTCOME_SYMBOL.get(o['status'], '?')} {head.text}",
                           style="bold yellow" if head.detail else OUTCOME_STYLE.get(o["status"], "bold")))
        if head.detail:
            say(f"  {head.detail}: {o['label'].lower()}.")
        sc = j["score"]
        before = sc["before_adjustments"]["overall"]
        say(f"Score: {_pct(sc['overall'])} of core and expected standards met"
            + (f" (before review and derogations: {_pct(before)})" if before != sc["overall"] else ""))
        den = o.get("denominators")
        if den:
            say(denominators_text(den))
        if o.get("rating"):
            rt = o["rating"]
            whole = None if rt["percent"] is None else int(rt["percent"] + 1e-9)   # the bands use whole %, rounded down
            say(f"Rating: {rt['band']} ({_pct(whole)} of {rt['of']} applicable gating standards fully met)")
        c = j["counts"]
        say("  ".join(f"{SYMBOL[k]} {k.replace('_', ' ')}: {v}" for k, v in c.items()))
        say("Why:")
        for r in o["reasons"]:
            say(f"  • {r}")
        if o["conditions"]:
            say("Conditions:")
            for cond in o["conditions"]:
                kind = "action plan" if cond["kind"] == "action_plan" else "derogation"
                say(f"  • {cond['standard']} by {day(cond['due'])} ({kind}, {cond['owner']}): {cond['action']}")
        if o.get("recommendations"):
            say("Recommendations (within the threshold; not conditions):")
            for rec in o["recommendations"]:
                plan = ("" if not rec.get("due") else
                        f" (derogation until {day(rec['due'])}, agreed by {rec['owner']})" if rec.get("kind") == "derogation"
                        else f" (plan due {day(rec['due'])}, {rec['owner']})")
                say(f"  • {rec['standard']} {rec['title']}{plan}")
        if o.get("advisory"):
            say("For the panel's judgement (do not change the outcome):")
            for adv in o["advisory"]:
                say(f"  • {adv['standard']} {adv['title']} ({adv['status'].replace('_', ' ')}): {adv['why']}")
        if o["to_change_outcome"]:
            target = (j["spec"].get("labels") or {}).get(o["to_change_target"]) or \
                (o["to_change_target"] or "").replace("_", " ")
            say(f"What would change the outcome to \"{target}\":")
            for x in o["to_change_outcome"]:
                fix = x.get("fix")
                say(f"  • {x['id']} {x['title']}" + (f": {fix}" if fix else ""))
        table = Table(show_header=True, header_style="bold", expand=False, pad_edge=False)
        table.add_column("Status", no_wrap=True)
        table.add_column("Standard", no_wrap=True)
        table.add_column("Title", ratio=2, overflow="fold")
        table.add_column("Category", no_wrap=True)
        table.add_column("Why", ratio=3, overflow="fold")
        rows = sorted(j["standards"], key=lambda s: GAP_FIRST.get(s["status"], 9))  # stable: spec order within
        hidden = 0
        for s in rows:
            st = s["status"]
            if st == "not_applicable" and not show_all:
                hidden += 1
                continue
            flags = f" [{', '.join(f.replace('_', ' ') for f in s['flags'])}]" if s["flags"] else ""
            why = "" if st == "met" else s["reason"]
            table.add_row(Text(f"{SYMBOL[st]} {st.replace('_', ' ')}", style=STYLE[st]), Text(s["id"]), Text(s["title"]),
                          Text(s["category"]), Text(why + flags))
        console.print(table)
        if hidden:
            console.print(f"{hidden} standard{'s' if hidden != 1 else ''} that do{'es' if hidden == 1 else ''} not apply "
                          "to this site are not listed (--all lists them).")


def denominators_text(den: dict) -> str:
    """"x of y applicable core standards met, x of y expected (z% by weight)"."""
    core, exp = den["core"], den["expected"]
    text = f"{core['met']} of {core['of']} applicable core standards met, {exp['met']} of {exp['of']} expected"
    before, share = exp.get("share_before_covers"), exp.get("share")
    if before is not None:
        text += f" ({_pct(before)} by weight" + ("" if share == before else f", {_pct(share)} counting agreed plans") + ")"
    if den.get("advisory"):
        text += f"; {den['advisory']} advisory, not counted"
    return text


def applied_line(j: dict) -> str:
    """Which review, derogations and tailoring files an assessment applied, in one line."""
    files = (j.get("inputs") or {}).get("files")
    if files is None:
        return ""
    how = files.get("review_match")
    parts = [f"review {files['review']}" + (f" (matched by {how})" if how in ("file name", "site code") else "")
             if files.get("review") else "no review"]
    parts.append(f"derogations {files['derogations']}" if files.get("derogations") else "no derogations")
    parts.append(f"tailoring {files['tailoring']}" if files.get("tailoring") else "no tailoring")
    return "Applied: " + "; ".join(parts)


def _pct(v: Any) -> str:
    return "n/a" if v is None else f"{v:g}%"


CSV_FIELDS = ["site_code", "site_name", "spec", "edition", "claimed", "outcome", "qualifies_for", "standard", "title",
              "domain", "category", "status", "reason", "reported", "required", "flags", "confidence"]


def csv_rows(a: Any) -> list[list[Any]]:
    """One row per standard of one assessment, in CSV_FIELDS order."""
    j = a.to_json()
    return [[textsafe.cell(v) for v in row] for row in _rows(j)]


def _rows(j: dict) -> list[list[Any]]:
    return [[j["site"]["code"], j["site"]["name"], j["spec"]["id"], j["spec"]["edition"], j["claimed"] or "",
             j["outcome"]["status"], j["outcome"]["qualifies_for"] or "", s["id"], s["title"], s["domain"],
             s["category"], s["status"], s["reason"], "; ".join(f"{k}: {v}" for k, v in s["reported"].items()),
             s["required"], " ".join(s["flags"]), s["confidence"]] for s in j["standards"]]


def to_csv(assessments: list[Any]) -> str:
    """One row per site and standard, for spreadsheets."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for a in assessments:
        w.writerows(csv_rows(a))
    return out.getvalue()
