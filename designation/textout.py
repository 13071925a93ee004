"""Terminal and CSV views of assessments (the JSON view is ``Assessment.to_json``)."""
from __future__ import annotations

import csv
import io
from typing import Any

SYMBOL = {"met": "✓", "partially_met": "◐", "not_met": "✗", "not_applicable": "–", "not_answered": "?"}
STYLE = {"met": "green", "partially_met": "yellow", "not_met": "red", "not_applicable": "dim", "not_answered": "magenta"}
OUTCOME_STYLE = {"designated": "bold green", "designated_with_conditions": "bold yellow", "not_designated": "bold red"}
OUTCOME_SYMBOL = {"designated": "✓", "designated_with_conditions": "◐", "not_designated": "✗"}


def print_text(assessments: list[Any], console: Any) -> None:
    """A readable summary per site: outcome, why, conditions, what would change it, standards."""
    from rich.table import Table
    from rich.text import Text

    for a in assessments:
        j = a.to_json()
        o = j["outcome"]
        site = j["site"]
        console.rule(Text(f"{site['name']} ({site['code']})", style="bold"))
        console.print(f"Specification: {j['spec']['title']} ({j['spec']['id']}, edition {j['spec']['edition']})")
        if j["claimed"]:
            q = o["qualifies_for"]
            console.print(f"Claimed: {j['claimed']}" + ("" if q == j["claimed"] else
                                                         f"   Qualifies for: {q or 'no level of this ladder'}"))
        console.print(Text(f"Outcome: {OUTCOME_SYMBOL[o['status']]} {o['label']}", style=OUTCOME_STYLE[o["status"]]))
        sc = j["score"]
        before = sc["before_adjustments"]["overall"]
        console.print(f"Score: {_pct(sc['overall'])} of core and expected standards met"
                      + (f" (before review and derogations: {_pct(before)})" if before != sc["overall"] else ""))
        den = o.get("denominators")
        if den:
            console.print(denominators_text(den))
        if o.get("rating"):
            rt = o["rating"]
            console.print(f"Rating: {rt['band']} ({_pct(rt['percent'])} of {rt['of']} applicable gating standards fully met)")
        c = j["counts"]
        console.print("  ".join(f"{SYMBOL[k]} {k.replace('_', ' ')}: {v}" for k, v in c.items()))
        console.print("Why:")
        for r in o["reasons"]:
            console.print(f"  • {r}")
        if o["conditions"]:
            console.print("Conditions:")
            for cond in o["conditions"]:
                kind = "action plan" if cond["kind"] == "action_plan" else "derogation"
                console.print(f"  • {cond['standard']} by {cond['due']} ({kind}, {cond['owner']}): {cond['action']}")
        if o.get("recommendations"):
            console.print("Recommendations (within the threshold; not conditions):")
            for rec in o["recommendations"]:
                plan = f" (plan due {rec['due']}, {rec['owner']})" if rec.get("due") else ""
                console.print(f"  • {rec['standard']} {rec['title']}{plan}")
        if o.get("advisory"):
            console.print("For the panel's judgement (do not change the outcome):")
            for adv in o["advisory"]:
                console.print(f"  • {adv['standard']} {adv['title']} ({adv['status'].replace('_', ' ')}): {adv['why']}")
        if o["to_change_outcome"]:
            target = (o["to_change_target"] or "").replace("_", " ")
            console.print(f"To be {target}: " + ", ".join(x["id"] for x in o["to_change_outcome"]))
        table = Table(show_header=True, header_style="bold", expand=False, pad_edge=False)
        table.add_column("Status", no_wrap=True)
        table.add_column("Standard", no_wrap=True)
        table.add_column("Title", ratio=2, overflow="fold")
        table.add_column("Category", no_wrap=True)
        table.add_column("Why", ratio=3, overflow="fold")
        for s in j["standards"]:
            st = s["status"]
            flags = f" [{', '.join(s['flags'])}]" if s["flags"] else ""
            table.add_row(Text(f"{SYMBOL[st]} {st.replace('_', ' ')}", style=STYLE[st]), s["id"], s["title"],
                          s["category"], s["reason"] + flags)
        console.print(table)


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


def _pct(v: Any) -> str:
    return "n/a" if v is None else f"{v:g}%"


CSV_FIELDS = ["site_code", "site_name", "spec", "edition", "claimed", "outcome", "qualifies_for", "standard", "title",
              "domain", "category", "status", "reason", "reported", "required", "flags", "confidence"]


def csv_rows(a: Any) -> list[list[Any]]:
    """One row per standard of one assessment, in CSV_FIELDS order."""
    j = a.to_json()
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
