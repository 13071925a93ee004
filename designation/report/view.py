"""What a report shows, worked out from the engine's JSON result (a plain dict).

The templates only lay out; every grouping, ordering, count and sentence is decided here, in
plain Python that a test can call. The input is treated as untrusted text: nothing here
builds markup, and the templates escape everything they print.
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from . import vocab

# The executive summary is one page: longer lists are cut there and given in full later on.
SUMMARY_MAX = {"reasons": 6, "conditions": 10, "changes": 6}
CATEGORY_RANK = {"core": 0, "expected": 1, "developmental": 2}
STATUS_RANK = {"not_met": 0, "not_answered": 1, "partially_met": 2, "met": 3, "not_applicable": 4}


# -- identity ---------------------------------------------------------------------------------

def result_json(result: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a result: what a report embeds as ``result.json``."""
    return (json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def document_id(result: Mapping[str, Any]) -> str:
    """A report's id: the first 12 hex digits of the SHA-256 of :func:`result_json`."""
    return hashlib.sha256(result_json(result)).hexdigest()[:12]


def network_id(results: Iterable[Mapping[str, Any]]) -> str:
    digest = hashlib.sha256()
    for r in results:
        digest.update(result_json(r))
    return digest.hexdigest()[:12]


# -- text helpers (also registered as template filters) ----------------------------------------

def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def long_date(value: Any) -> str:
    """``2026-10-01`` as ``1 October 2026``; anything else as given ('' for none)."""
    d = parse_date(value)
    if d is None:
        return "" if value is None else str(value)
    return f"{d.day} {d:%B %Y}"


def short_date(value: Any) -> str:
    d = parse_date(value)
    if d is None:
        return "" if value is None else str(value)
    return f"{d.day} {d:%b %Y}"


def timestamp(value: dt.datetime) -> str:
    value = value.astimezone(dt.timezone.utc) if value.tzinfo else value
    return f"{value.day} {value:%B %Y, %H:%M} UTC"


def percent(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return "–"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def number(value: Any) -> str:
    """``12.0`` as ``12``, ``12.5`` as ``12.5``; anything else as given."""
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return "–" if value is None else str(value)


def w3c_datetime(value: dt.datetime) -> str:
    """The form WeasyPrint reads from ``<meta name=dcterms.created>``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    value = value.astimezone(dt.timezone.utc).replace(microsecond=0)
    return value.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def pinned(created: dt.datetime | None) -> dt.datetime:
    """The creation time a report records: ``created`` when pinned, else now (UTC, to the second)."""
    if created is None:
        created = dt.datetime.now(dt.timezone.utc)
    elif created.tzinfo is None:
        created = created.replace(tzinfo=dt.timezone.utc)
    return created.astimezone(dt.timezone.utc).replace(microsecond=0)


def capitalise(text: Any) -> str:
    text = "" if text is None else str(text)
    return text[:1].upper() + text[1:]


def decapitalise(text: Any) -> str:
    """``Designated as ...`` as ``designated as ...``, for use mid-sentence; ``UTC ...`` stays."""
    text = "" if text is None else str(text)
    if text[1:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def _sentence(text: str) -> str:
    text = capitalise(text.strip())
    return text if text.endswith((".", "!", "?")) else text + "."


def join_words(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# -- normalising the input ---------------------------------------------------------------------

_RESULT_DEFAULTS: dict[str, Any] = {
    "spec": {}, "site": {}, "submission_file": None, "claimed": None, "assessed_on": None,
    "period": None, "signed_off_by": None, "outcome": {}, "score": {}, "counts": {},
    "standards": [], "derogations": [], "review": None, "parameters": {}, "inputs": {},
}
_SPEC_DEFAULTS = {"id": "", "edition": "", "title": "", "publisher": None, "summary": None,
                  "sources": [], "gaps": [], "labels": {}}
_SITE_DEFAULTS = {"name": "", "code": "", "organisation": "", "network": "", "address": None}
_OUTCOME_DEFAULTS = {"status": "not_designated", "label": "", "qualifies_for": None, "reasons": [],
                     "conditions": [], "to_change_outcome": [], "to_change_target": None,
                     "recommendations": [], "advisory": [], "denominators": None, "rating": None}
_SCORE_DEFAULTS = {"overall": None, "by_category": {}, "by_domain": {}, "before_adjustments": None}
_STANDARD_DEFAULTS = {"id": "", "title": "", "domain": "", "category": "", "weight": 1,
                      "requirement": None, "status": "not_answered", "reason": "", "reported": {},
                      "required": "", "flags": [], "evidence": [], "comment": None, "source": None,
                      "confidence": None, "confidence_note": None, "action_plan": None,
                      "derogation": None, "review": []}
_NESTED = {
    "evidence": {"title": "", "reference": None, "date": None, "owner": None},
    "source": {"document": "", "section": None, "url": None},
    "action_plan": {"action": "", "owner": None, "due": None, "covers": True, "note": None},
    "derogation": {"reason": "", "approver": None, "approved_on": None, "expires_on": None},
    "review": {"question": "", "label": "", "self_assessed": None, "verified": None, "reason": None},
    "condition": {"standard": "", "title": "", "kind": "action_plan", "action": "", "owner": None, "due": None},
    "change": {"id": "", "title": "", "required": ""},
    "recommendation": {"standard": "", "title": "", "status": "", "kind": None, "action": None, "owner": None,
                       "due": None},
    "advisory": {"standard": "", "title": "", "status": "", "why": ""},
    "spec_source": {"id": "", "title": "", "publisher": None, "date": None, "url": None},
    "gap": {"id": "", "title": "", "detail": "", "source": None},
    "register": {"standard": "", "status": "", "reason": None, "approver": None, "expires_on": None, "note": None},
    "parameter": {"value": None, "default": None, "tailored": False, "description": "", "confidence": None},
    "reviewer": {"reviewer": None, "role": None, "reviewed_on": None, "changes": []},
    "signed": {"name": None, "role": None, "date": None},
    "period": {"start": None, "end": None},
}
_INPUT_KEYS = ("submission_sha256", "spec_sha256", "review_sha256", "derogations_sha256",
               "tailoring_sha256", "engine_version")


def _fill(target: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in defaults.items():
        if target.get(key) is None and value is not None:
            target[key] = copy.copy(value)
        else:
            target.setdefault(key, value)
    return target


def normalise(result: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``result`` with every optional key present, so templates can be strict."""
    r = _fill(copy.deepcopy(dict(result)), _RESULT_DEFAULTS)
    _fill(r["spec"], _SPEC_DEFAULTS)
    _fill(r["site"], _SITE_DEFAULTS)
    _fill(r["outcome"], _OUTCOME_DEFAULTS)
    _fill(r["score"], _SCORE_DEFAULTS)
    for key in vocab.STATUSES:
        r["counts"].setdefault(key, sum(1 for s in r["standards"] if s.get("status") == key))
    for st in r["standards"]:
        _fill(st, _STANDARD_DEFAULTS)
        st["evidence"] = [_fill(dict(e), _NESTED["evidence"]) for e in st["evidence"]]
        st["review"] = [_fill(dict(e), _NESTED["review"]) for e in st["review"]]
        for key in ("source", "action_plan", "derogation"):
            if st[key] is not None:
                st[key] = _fill(dict(st[key]), _NESTED[key])
    out = r["outcome"]
    out["conditions"] = [_fill(dict(c), _NESTED["condition"]) for c in out["conditions"]]
    out["to_change_outcome"] = [_fill(dict(c), _NESTED["change"]) for c in out["to_change_outcome"]]
    out["recommendations"] = [_fill(dict(c), _NESTED["recommendation"]) for c in out["recommendations"]]
    out["advisory"] = [_fill(dict(c), _NESTED["advisory"]) for c in out["advisory"]]
    if out["denominators"] is not None:
        from ..textout import denominators_text
        out["denominators_text"] = denominators_text(out["denominators"])
    else:
        out["denominators_text"] = None
    r["spec"]["sources"] = [_fill(dict(x), _NESTED["spec_source"]) for x in r["spec"]["sources"]]
    r["spec"]["gaps"] = [_fill(dict(x), _NESTED["gap"]) for x in r["spec"]["gaps"]]
    r["derogations"] = [_fill(dict(x), _NESTED["register"]) for x in r["derogations"]]
    r["parameters"] = {k: _fill(dict(v) if isinstance(v, Mapping) else {"value": v}, _NESTED["parameter"])
                       for k, v in r["parameters"].items()}
    for key, nested in (("review", "reviewer"), ("signed_off_by", "signed"), ("period", "period")):
        if r[key] is not None:
            r[key] = _fill(dict(r[key]), _NESTED[nested])
    if r["review"] is not None:
        r["review"]["changes"] = [_fill(dict(c), _NESTED["review"]) for c in r["review"]["changes"] or []]
    for key in _INPUT_KEYS:
        r["inputs"].setdefault(key, None)
    return r


# -- reported against required -----------------------------------------------------------------

def pair_values(reported: Mapping[str, Any], required: str) -> list[dict[str, Any]] | None:
    """Each reported value beside the part of ``required`` that is about it, when that is clear.

    The engine words a condition as ``<label> is at least 16 hours a day; and <label> ...``.
    When every part names exactly one reported question, the report can say
    "<label>: **12 hours a day** (required: at least 16 hours a day)" instead of repeating each
    label twice. Reported values no part names (a question that only decides whether the
    standard applies) are listed plainly. Anything less regular returns ``None`` and the
    report prints reported and required in full.
    """
    if not reported or not required:
        return None
    parts = [p.strip() for p in required.split("; and ")]
    labels = sorted(reported, key=len, reverse=True)  # longest first: labels may prefix others
    wanted: dict[str, str] = {}
    for part in parts:
        for label in labels:
            if label in wanted:
                continue
            if part == label:
                wanted[label] = "yes"
            elif part == f"it is not the case that {label}":
                wanted[label] = "no"
            elif part.startswith(label + " is "):
                wanted[label] = _compact(part[len(label) + 4:])
            else:
                continue
            break
        else:
            return None
    return [{"label": label, "value": value, "required": wanted.get(label)} for label, value in reported.items()]


_COMPARISONS = (("at least ", "≥ "), ("at most ", "≤ "), ("more than ", "> "), ("less than ", "< "))


def _compact(requirement: str) -> str:
    """``at least 16 hours a day`` as ``≥ 16 hours a day``, for the dense standards table."""
    for words, sign in _COMPARISONS:
        if requirement.startswith(words):
            return sign + requirement[len(words):]
    return requirement


def finding(st: Mapping[str, Any]) -> str | None:
    """What the standards table adds to reported-against-required: the engine's reason, less
    whatever the paired values already say."""
    reason, status = st["reason"] or "", st["status"]
    if status == "met" or not reason:
        return None
    if st["pairs"] is None:
        return reason
    if status == "partially_met" and reason.startswith("partly meets it (") and "); " in reason:
        return reason[: reason.index("); ") + 1]
    if status in ("not_met", "not_answered") and all(
            part.startswith("required: ") or part.endswith(" is not answered") or part.startswith("reported: ")
            for part in reason.split("; ")):
        return None
    return reason


# -- the site report ----------------------------------------------------------------------------

@dataclass
class Bar:
    domain: str
    label: str
    score: float | None
    before: float | None
    counts: dict[str, int]
    marks: list[tuple[float, str]]
    y: float
    width: float
    before_x: float | None


@dataclass
class Chart:
    width: int
    height: int
    label_width: int
    bar_width: int
    bars: list[Bar]
    has_before: bool
    description: str


def domain_chart(standards: list[dict[str, Any]], score: Mapping[str, Any]) -> Chart:
    """Compliance by domain as horizontal bars (drawn by ``templates/chart.svg``)."""
    by_domain = score.get("by_domain") or {}
    before = (score.get("before_adjustments") or {}).get("by_domain") or {}
    domains = vocab.domain_order([s["domain"] for s in standards] + list(by_domain))
    label_width, bar_width, row = 170, 320, 18
    bars = []
    for i, domain in enumerate(domains):
        counts = {k: 0 for k in vocab.STATUSES}
        for s in standards:
            if s["domain"] == domain and s["status"] in counts:
                counts[s["status"]] += 1
        value, prior = by_domain.get(domain), before.get(domain)
        width = 0.0 if value is None else round(bar_width * max(0.0, min(100.0, float(value))) / 100, 1)
        before_x = None
        if prior is not None and value is not None and abs(float(prior) - float(value)) >= 0.05:
            before_x = round(label_width + bar_width * max(0.0, min(100.0, float(prior))) / 100, 1)
        marks, x = [], label_width + bar_width + 56
        for key, term in vocab.STATUSES.items():
            if counts[key]:
                text = f"{term.symbol} {counts[key]}"
                marks.append((x, text))
                x += 6.2 * len(text) + 9
        bars.append(Bar(domain, capitalise(domain), value, prior, counts, marks, 8 + i * row, width, before_x))
    description = "; ".join(f"{b.label}: {percent(b.score)}" for b in bars)
    return Chart(label_width + bar_width + 190, 8 + len(bars) * row + 18, label_width, bar_width, bars,
                 any(b.before_x is not None for b in bars), "Compliance by domain. " + description)


def _hashes(inputs: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    names = (("submission", "submission_sha256"), ("spec", "spec_sha256"), ("review", "review_sha256"),
             ("derogations", "derogations_sha256"), ("tailoring", "tailoring_sha256"))
    out = []
    for word, key in names:
        value = inputs.get(key)
        if value:
            out.append((word, str(value), str(value)[:8]))
    return out


def outcome_sentence(r: Mapping[str, Any]) -> str:
    """The outcome in plain English, for the first line of the executive summary."""
    site = r["site"]["name"] or "The site"
    spec = r["spec"]["title"] or r["spec"]["id"]
    out = r["outcome"]
    n = len(out["conditions"])
    if out["status"] == "designated":
        return f"{site} meets the {spec} specification and can be designated without conditions."
    if out["status"] == "designated_with_conditions":
        actions = "its condition is" if n == 1 else f"its {n} conditions are"
        return (f"{site} can be designated provided {actions} met by their due dates. Every gap is "
                "covered by an agreed action plan or derogation.")
    return f"{site} does not meet the {spec} specification at present and cannot be designated."


def ladder_sentence(r: Mapping[str, Any]) -> str | None:
    claimed, qualifies = r["claimed"], r["outcome"]["qualifies_for"]
    if not claimed:
        return None
    if qualifies == claimed:
        return f"Claimed {claimed}; qualifies as {qualifies}."
    if qualifies:
        return f"Claimed {claimed}; qualifies as {qualifies} only."
    return f"Claimed {claimed}; does not qualify for any level."


def site_view(result: Mapping[str, Any], created: dt.datetime | None = None) -> dict[str, Any]:
    """Everything ``templates/site.html`` needs."""
    r = normalise(result)
    when = pinned(created)
    standards = r["standards"]
    for st in standards:
        st["term"] = vocab.status(st["status"])
        st["flag_words"] = [vocab.flag_word(f) for f in st["flags"]]
        st["confidence_word"] = vocab.confidence(st["confidence"])[0]
        st["category_word"] = vocab.CATEGORIES.get(st["category"], capitalise(st["category"]))
        st["is_gap"] = st["status"] in vocab.GAP_STATUSES
        st["pairs"] = pair_values(st["reported"], st["required"])
        st["finding"] = finding(st)
    # confidence notes are often shared by many standards: number each distinct note once
    notes: dict[str, dict[str, Any]] = {}
    for st in standards:
        text = (st["confidence_note"] or "").strip()
        if text:
            note = notes.setdefault(text, {"number": len(notes) + 1, "text": text, "standards": []})
            note["standards"].append(st["id"])
            st["note_number"] = note["number"]
        else:
            st["note_number"] = None
    gaps = sorted((s for s in standards if s["is_gap"]),
                  key=lambda s: (CATEGORY_RANK.get(s["category"], 9), STATUS_RANK.get(s["status"], 9)))
    domains = []
    for domain in vocab.domain_order(s["domain"] for s in standards):
        rows = [s for s in standards if s["domain"] == domain]
        domains.append({"name": domain, "label": capitalise(domain), "standards": rows,
                        "score": r["score"]["by_domain"].get(domain)})
    labels = r["spec"]["labels"] or {}
    target = r["outcome"]["to_change_target"]
    edition = f"({r['spec']['edition']})" if r["spec"]["edition"] else ""
    spec_line = " ".join(x for x in (r["spec"]["title"], edition) if x)
    doc_id = document_id(result)
    confidences = {}
    for st in standards:
        confidences[st["confidence"] or "unverified"] = confidences.get(st["confidence"] or "unverified", 0) + 1
    meta_title = f"Designation report: {r['site']['name']} ({spec_line})"
    return {
        "r": r,
        "doc_id": doc_id,
        "hashes": _hashes(r["inputs"]),
        "created": when,
        "created_w3c": w3c_datetime(when),
        "meta": {
            "title": meta_title,
            "author": r["site"]["network"] or "designation",
            "subject": r["outcome"]["label"] or vocab.outcome(r["outcome"]["status"]).word,
            "keywords": [k for k in ("designation", r["spec"]["id"], r["spec"]["edition"], r["site"]["code"],
                                     r["claimed"], r["outcome"]["status"]) if k],
            "generator": f"designation {r['inputs']['engine_version'] or ''}".strip(),
        },
        "spec_line": spec_line,
        "outcome": vocab.outcome(r["outcome"]["status"]),
        "outcome_sentence": outcome_sentence(r),
        "ladder_sentence": ladder_sentence(r),
        "target_label": labels.get(target) or (vocab.outcome(target).word if target else None),
        "statuses": list(vocab.STATUSES.values()),
        "counts": [(vocab.STATUSES[k], r["counts"].get(k, 0)) for k in vocab.STATUSES],
        "gaps": gaps,
        "notes": list(notes.values()),
        "summary": {key: r["outcome"][field][:SUMMARY_MAX[key]] for key, field in
                    (("reasons", "reasons"), ("conditions", "conditions"), ("changes", "to_change_outcome"))},
        "summary_more": {key: max(0, len(r["outcome"][field]) - SUMMARY_MAX[key]) for key, field in
                         (("reasons", "reasons"), ("conditions", "conditions"), ("changes", "to_change_outcome"))},
        # every standard to change already has a row (with its title) in the conditions table
        "change_ids_only": bool(r["outcome"]["to_change_outcome"])
        and {c["id"] for c in r["outcome"]["to_change_outcome"]} <= {c["standard"] for c in r["outcome"]["conditions"]},
        # every standard to change is already named under "Why": say so in a sentence, not a second list
        "change_named_in_reasons": bool(r["outcome"]["to_change_outcome"]) and all(
            any(c["id"] in reason for reason in r["outcome"]["reasons"][:SUMMARY_MAX["reasons"]])
            for c in r["outcome"]["to_change_outcome"]),
        "uncovered": [s for s in gaps if not s["action_plan"] and not s["derogation"]
                      and s["category"] != "developmental"],
        "domains": domains,
        "chart": domain_chart(standards, r["score"]),
        "confidence_rows": [(key, vocab.CONFIDENCE[key][0],
                             _sentence(r["spec"].get("confidence_vocabulary", {}).get(key) or vocab.CONFIDENCE[key][1]),
                             confidences.get(key, 0)) for key in vocab.CONFIDENCE],
        "warnings": [str(w) for w in (r.get("warnings") or [])],
        "categories": [(vocab.CATEGORIES[k], vocab.CATEGORY_MEANING[k]) for k in vocab.CATEGORIES],
        "flag_words": vocab.FLAGS,
        "derogation_status": vocab.DEROGATION_STATUS,
    }


# -- the network summary ------------------------------------------------------------------------

def site_key(r: Mapping[str, Any]) -> tuple:
    return (r["site"]["network"] or "", r["site"]["name"] or "", r["site"]["code"] or "", r["spec"]["id"] or "")


def network_view(results: Iterable[Mapping[str, Any]], created: dt.datetime | None = None,
                 sites_per_table: int = 16) -> dict[str, Any]:
    """Everything ``templates/network.html`` needs."""
    originals = list(results)
    rs = sorted((normalise(r) for r in originals), key=site_key)
    when = pinned(created)
    networks = sorted({r["site"]["network"] for r in rs if r["site"]["network"]})
    network = networks[0] if len(networks) == 1 else ("Several networks" if networks else "")
    sites = []
    for r in rs:
        sites.append({"r": r, "outcome": vocab.outcome(r["outcome"]["status"]),
                      "gaps": sum(r["counts"].get(k, 0) for k in vocab.GAP_STATUSES)})
    outcome_counts = [(t, sum(1 for s in sites if s["outcome"].key == key)) for key, t in vocab.OUTCOMES.items()]

    # the matrix: one per specification, standards as rows, sites as columns (in chunks)
    matrices = []
    for spec_id in sorted({r["spec"]["id"] for r in rs}):
        group = [r for r in rs if r["spec"]["id"] == spec_id]
        order: dict[str, dict[str, Any]] = {}
        for r in group:
            for st in r["standards"]:
                order.setdefault(st["id"], {"id": st["id"], "title": st["title"], "domain": st["domain"],
                                            "category": st["category"]})
        rows = list(order.values())
        domain_rank = {d: i for i, d in enumerate(vocab.domain_order(row["domain"] for row in rows))}
        rows.sort(key=lambda row: domain_rank[row["domain"]])
        covered = {id(r): {c["standard"] for c in r["outcome"]["conditions"]} for r in group}
        chunks = []
        for start in range(0, len(group), sites_per_table):
            part = group[start:start + sites_per_table]
            cells = []
            for row in rows:
                line = []
                for r in part:
                    st = next((s for s in r["standards"] if s["id"] == row["id"]), None)
                    if st is None:
                        line.append(None)
                    else:
                        line.append({"term": vocab.status(st["status"]),
                                     "covered": st["status"] in vocab.GAP_STATUSES
                                     and (st["id"] in covered[id(r)] or "derogated" in st["flags"])})
                cells.append((row, line))
            chunks.append({"sites": part, "rows": cells})
        spec = group[0]["spec"]
        matrices.append({"spec": spec, "chunks": chunks})

    # counts by status and by domain, across every site
    by_domain: dict[str, dict[str, int]] = {}
    for r in rs:
        for st in r["standards"]:
            row = by_domain.setdefault(st["domain"], {k: 0 for k in vocab.STATUSES})
            if st["status"] in row:
                row[st["status"]] += 1
    domain_rows = [(capitalise(d), by_domain[d]) for d in vocab.domain_order(by_domain)]
    totals = {k: sum(row[k] for _, row in domain_rows) for k in vocab.STATUSES}

    # nearest to a change of outcome: fewest standards to fix
    nearest = [s for s in sites if s["r"]["outcome"]["to_change_outcome"]]
    nearest.sort(key=lambda s: (len(s["r"]["outcome"]["to_change_outcome"]), site_key(s["r"])))
    for s in nearest:
        target = s["r"]["outcome"]["to_change_target"]
        labels = s["r"]["spec"]["labels"] or {}
        s["target_label"] = labels.get(target) or (vocab.outcome(target).word if target else "")
    # self-assessment against the network's verification: how often and how far they differ
    reviewed = []
    for s in sites:
        rv = s["r"]["review"]
        if not rv or not rv["changes"]:
            continue
        changes = rv["changes"]
        differ = [c for c in changes if not c.get("agrees", c["self_assessed"] == c["verified"])]
        numeric = [c for c in differ if c.get("difference") is not None]
        largest = max(numeric, key=lambda c: abs(c["difference"]), default=differ[0] if differ else None)
        reviewed.append({"r": s["r"], "checked": len(changes), "differ": len(differ),
                         "overstated": sum(1 for c in numeric if c["difference"] < 0), "largest": largest})
    review_totals = {"sites": len(reviewed), "checked": sum(x["checked"] for x in reviewed),
                     "differ": sum(x["differ"] for x in reviewed),
                     "overstated": sum(x["overstated"] for x in reviewed)}
    return {
        "reviewed": reviewed,
        "review_totals": review_totals,
        "sites": sites,
        "network": network,
        "several_networks": len(networks) > 1,
        "doc_id": network_id(originals),
        "created": when,
        "created_w3c": w3c_datetime(when),
        "meta": {
            "title": f"Network designation summary: {network}" if network else "Network designation summary",
            "author": network or "designation",
            "subject": f"Designation outcomes for {len(sites)} site{'s' if len(sites) != 1 else ''}",
            "keywords": ["designation", "network summary"] + sorted({r["spec"]["id"] for r in rs if r["spec"]["id"]}),
        },
        "outcome_counts": outcome_counts,
        "matrices": matrices,
        "statuses": list(vocab.STATUSES.values()),
        "domain_rows": domain_rows,
        "totals": totals,
        "nearest": nearest[:12],
        "engines": sorted({str(r["inputs"]["engine_version"]) for r in rs if r["inputs"]["engine_version"]}),
    }
