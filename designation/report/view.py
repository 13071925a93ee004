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
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from . import vocab
from .. import textsafe

# The executive summary is one page: longer lists are cut there and given in full later on.
EVIDENCE_SHOWN = 30  # evidence items listed per standard; the rest are counted
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


def page_marks(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What every page of a site report prints in its footer, as ``(what, text)``: the site, the
    outcome headline, the assessment date and the document id. ``verify`` checks each of them on
    every page against the embedded ``result.json``, so a page cannot be swapped or restamped."""
    site = textsafe.printable(str((result.get("site") or {}).get("name") or ""))
    return [("site name", site), ("outcome headline", headline_text(result)),
            ("assessment date", f"assessed {short_date(result.get('assessed_on'))}"),
            ("document id", f"Document {document_id(result)}")]


def page_numbers(page: int, pages: int) -> str:
    """The page number as every page prints it (``@bottom-right`` in report.css says the same)."""
    return f"Page {page} of {pages}"


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
    "notes": [], "policy": None,
}
_SPEC_DEFAULTS = {"id": "", "edition": "", "title": "", "publisher": None, "summary": None,
                  "sources": [], "gaps": [], "labels": {}, "ladder": None, "vocabulary": {}, "policy": {}}
_SITE_DEFAULTS = {"name": "", "code": "", "organisation": "", "network": "", "address": None, "code_label": None}
_OUTCOME_DEFAULTS = {"status": "not_designated", "label": "", "qualifies_for": None, "qualifies_title": None,
                     "reasons": [], "conditions": [], "to_change_outcome": [], "to_change_target": None,
                     "recommendations": [], "advisory": [], "denominators": None, "rating": None}
_SCORE_DEFAULTS = {"overall": None, "by_category": {}, "by_domain": {}, "before_adjustments": None}
_STANDARD_DEFAULTS = {"id": "", "title": "", "domain": "", "category": "", "weight": 1,
                      "requirement": None, "status": "not_answered", "reason": "", "reported": {},
                      "required": "", "flags": [], "evidence": [], "comment": None, "source": None,
                      "confidence": None, "confidence_note": None, "action_plan": None,
                      "derogation": None, "review": [], "explanation": None, "parameters": None,
                      "gating": True}
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
    # Every string is made printable here, once, on its way to any page: control characters,
    # non-characters and bidi overrides removed, and very long text cut for layout with a note.
    r = _fill(textsafe.deep(dict(result), textsafe.printable), _RESULT_DEFAULTS)
    r["_normalised"] = True
    _fill(r["spec"], _SPEC_DEFAULTS)
    _fill(r["site"], _SITE_DEFAULTS)
    _fill(r["outcome"], _OUTCOME_DEFAULTS)
    _fill(r["score"], _SCORE_DEFAULTS)
    for key in vocab.STATUSES:
        r["counts"].setdefault(key, sum(1 for s in r["standards"] if s.get("status") == key))
    for st in r["standards"]:
        _fill(st, _STANDARD_DEFAULTS)
        evidence = st["evidence"]
        st["evidence"] = [_fill(dict(e), _NESTED["evidence"]) for e in evidence[:EVIDENCE_SHOWN]]
        if len(evidence) > EVIDENCE_SHOWN:  # 20,000 items would take minutes to lay out
            st["evidence"].append(_fill({"title": f"and {len(evidence) - EVIDENCE_SHOWN:,} more items, listed in "
                                                  "the embedded submission"}, _NESTED["evidence"]))
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
    """What the standards table adds to reported-against-required: the explanation, unless the
    paired values already say all of it (every clause a plain comparison or a missing answer)."""
    status, reason = st["status"], st["reason"] or ""
    if status == "met" or not reason:
        return None
    explanation = st.get("explanation") or {}
    clauses = explanation.get("clauses") or []
    if (status == "not_met" and st.get("pairs") is not None and clauses and not explanation.get("because")
            and all(c.get("form") in ("compare", "answer") for c in clauses)):
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
    label_width, bar_width, row = 170, 320, 16
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


def _hashes(inputs: Mapping[str, Any], derogations: bool = True) -> list[tuple[str, str, str]]:
    """Each input's hash. ``derogations=False`` (a specification that allows none, and none
    applied to this site) leaves out a derogations file found beside the submission: it had no
    effect, and naming it would tell the reader derogations were in play."""
    names = (("submission", "submission_sha256"), ("spec", "spec_sha256"), ("review", "review_sha256"),
             ("derogations", "derogations_sha256"), ("tailoring", "tailoring_sha256"))
    out = []
    for word, key in names:
        value = inputs.get(key)
        if word == "derogations" and not derogations:
            continue
        if value:
            out.append((word, str(value), str(value)[:8]))
    return out


def _named_hashes(inputs: Mapping[str, Any], derogations: bool = True) -> list[tuple[str, str]]:
    """Each input's hash, naming the review, derogations or tailoring file it came from."""
    files = inputs.get("files") if isinstance(inputs.get("files"), Mapping) else {}
    out = []
    for word, full, _ in _hashes(inputs, derogations):
        name = files.get(word) if word in ("review", "derogations", "tailoring") else None
        if name and word == "review" and files.get("review_match") == "site code":
            name += ", matched by site code"
        out.append((f"{word} ({name})" if name else word, full))
        if word == "submission" and inputs.get("workbook_sha256"):   # the file the assessor holds
            out.append(("workbook (.xlsx)", str(inputs["workbook_sha256"])))
    return out


@dataclass(frozen=True)
class Headline:
    """What a report says the site is, first and largest: the cover badge, the summary line and
    the running header all print it, and ``verify`` binds it to ``result.json``."""
    text: str              # "Qualifies as an emergency centre", "Does not yet meet the London standards"
    detail: str | None     # the claim that is not met, when the headline is a ladder fall-back
    term: vocab.Term       # colour and symbol (never colour alone)

    @property
    def full(self) -> str:
        return self.text + (f". {self.detail}" if self.detail else "")


def headline(result: Mapping[str, Any]) -> Headline:
    """The headline of a result, in its specification's own words.

    On a ladder the report leads with the highest level the site qualifies for: an ECSS claim
    that qualifies as an emergency centre reads "Qualifies as an emergency centre", then
    "The claim to be an emergency centre with specialist services is not met". Elsewhere it
    is the spec's outcome label ("Designated as an urgent care centre, with conditions",
    "Does not yet meet the London standards"), never a generic word the spec does not use.
    """
    r = result if result.get("_normalised") else normalise(result)
    out, spec = r["outcome"], r["spec"]
    status = out["status"]
    label = out["label"] or (spec["labels"] or {}).get(status) or vocab.outcome(status).word
    term = vocab.outcome(status)
    ladder = spec.get("ladder") or {}
    qualifies = out["qualifies_for"]
    if ladder and status == "not_designated" and qualifies and qualifies != ladder.get("level"):
        title = out.get("qualifies_title") or qualifies
        claimed = ladder.get("title") or r["claimed"] or ladder.get("level")
        return Headline(f"Qualifies as {_article(title)}",
                        f"The claim to be {_article(claimed)} is not met", vocab.QUALIFIES)
    return Headline(capitalise(label), None, term)


def headline_text(result: Mapping[str, Any]) -> str:
    """The headline as one line of plain text (what ``verify`` compares with the printed page)."""
    return headline(result).full


def _article(noun: str) -> str:
    from ..rules import article

    return article(noun)


def outcome_sentence(r: Mapping[str, Any]) -> str:
    """The outcome in plain English, in the spec's own words, for the executive summary."""
    site = r["site"]["name"] or "The site"
    spec = r["spec"]["title"] or r["spec"]["id"]
    out = r["outcome"]
    labels = r["spec"]["labels"] or {}
    designates = str(labels.get("designated", "Designated")).startswith("Designated")
    n = len(out["conditions"])
    if out["status"] == "designated":
        if not designates:
            return f"{site} {decapitalise(labels['designated'])}."
        return f"{site} meets the {spec} specification and can be designated without conditions."
    if out["status"] == "designated_with_conditions":
        actions = ("its condition is met by its due date" if n == 1
                   else f"its {n} conditions are met by their due dates")
        if not designates:
            return (f"{site} {decapitalise(labels.get('designated_with_conditions', 'meets the standards'))}, "
                    f"provided {actions}.")
        return f"{site} can be designated provided {actions}."
    head = headline(r)
    if head.detail:
        return f"{site} {decapitalise(head.text)}. {head.detail}, so it cannot be designated at that level."
    if not designates:
        return f"{site} {decapitalise(labels.get('not_designated', 'does not meet the standards'))}."
    return f"{site} does not meet the {spec} specification at present and cannot be designated."


def ladder_sentence(r: Mapping[str, Any]) -> str | None:
    """The claim beside what the site qualifies for, in words, when they differ."""
    claimed, qualifies = r["claimed"], r["outcome"]["qualifies_for"]
    if not claimed or qualifies == claimed:
        return None
    ladder = r["spec"].get("ladder") or {}
    claim = ladder.get("title") if ladder.get("level") == claimed and ladder.get("title") else claimed
    claim_text = f"{claim} ({claimed})" if claim != claimed else claimed
    if qualifies:
        title = r["outcome"]["qualifies_title"] or qualifies
        q_text = f"{title} ({qualifies})" if title != qualifies else qualifies
        return f"Claimed: {claim_text}. Qualifies as: {q_text}."
    return f"Claimed: {claim_text}. Does not qualify for any level."


def add_months(day: dt.date, months: int) -> dt.date:
    import calendar

    m = day.month - 1 + months
    y, m = day.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def policy_window(r: Mapping[str, Any]) -> tuple[int, dt.date | None]:
    """The action-plan window in months and the date it ends (from the assessment date)."""
    policy = r.get("policy") or {}
    months = policy.get("action_plan_window_months")
    if isinstance(months, Mapping):
        months = months.get("value")
    if months is None:
        months = (r["spec"].get("policy") or {}).get("action_plan_window_months", 6)
    start = parse_date(r["assessed_on"])
    return int(months), (add_months(start, int(months)) if start else None)


def overdue_on(due: Any, as_at: dt.date) -> bool:
    d = parse_date(due)
    return d is not None and d < as_at


def overdue_items(r: Mapping[str, Any], as_at: dt.date) -> list[dict[str, Any]]:
    """Every dated commitment whose date has passed on ``as_at``: conditions, action plans behind
    recommendations, and live derogations that have since expired; earliest first."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for c in r["outcome"]["conditions"]:
        if overdue_on(c.get("due"), as_at):
            word = "derogation expired" if c.get("kind") == "derogation" else "condition due"
            out.append({"standard": c["standard"], "what": word, "due": c["due"]})
            seen.add((c["standard"], c.get("kind") or "action_plan"))
    for c in r["outcome"].get("recommendations") or []:
        if c.get("due") and overdue_on(c["due"], as_at) and (c["standard"], c.get("kind") or "action_plan") not in seen:
            word = "derogation expired" if c.get("kind") == "derogation" else "action plan due"
            out.append({"standard": c["standard"], "what": word, "due": c["due"]})
            seen.add((c["standard"], c.get("kind") or "action_plan"))
    for d in r.get("derogations") or []:
        if d.get("status") == "applied" and overdue_on(d.get("expires_on"), as_at) \
                and (d.get("standard"), "derogation") not in seen:
            out.append({"standard": d["standard"], "what": "derogation expired", "due": d["expires_on"]})
    out.sort(key=lambda x: (str(x["due"]), x["standard"]))
    return out


def review_phrase(change: Mapping[str, Any], review: Mapping[str, Any] | None) -> str:
    """"self-assessed 24 hours a day, verified 14 hours a day (site visit, 9 Oct 2026)"."""
    why = [x for x in (change.get("reason"), short_date((review or {}).get("reviewed_on"))) if x]
    return (f"self-assessed {change.get('self_assessed')}, verified {change.get('verified')}"
            + (f" ({', '.join(why)})" if why else ""))


def change_action(item: Mapping[str, Any], target: str | None, window_end: dt.date | None,
                  derogations: bool, standard_ids: set[str]) -> tuple[str, str]:
    """What fixing one standard means, for "What would change the outcome": an instruction
    ("meet it, or add an action plan ...") and the same as a state ("is met, or covered by ...")."""
    if item["id"] not in standard_ids:
        return ("nothing covers this: no action plan or derogation can", "no longer holds")
    if target == "designated":
        return ("meet it in full; its condition then falls away", "is met in full (its condition then falls away)")
    due = f" due by {short_date(window_end)}" if window_end else " due within the action-plan window"
    derog = (", or agree a derogation with the network", " or a derogation agreed with the network") if derogations \
        else ("", "")
    return (f"meet it, or add an action plan with an owner{due}{derog[0]}",
            f"is met, or covered by an action plan with an owner{due}{derog[1]}")


def site_view(result: Mapping[str, Any], created: dt.datetime | None = None,
              as_at: dt.date | None = None) -> dict[str, Any]:
    """Everything ``templates/site.html`` needs.

    ``as_at`` is the day the report speaks for (default: the day it is rendered): conditions,
    action plans and derogations whose date has passed by then are flagged overdue.
    """
    r = normalise(result)
    when = pinned(created)
    today = as_at or when.date()
    standards = r["standards"]
    derogations_used = bool(r["spec"]["vocabulary"].get("derogations", True)) or bool(r["derogations"])
    review = r["review"]
    for st in standards:
        st["term"] = vocab.status(st["status"])
        st["flag_words"] = [vocab.flag_word(f) for f in st["flags"]]
        st["confidence_word"] = vocab.confidence(st["confidence"])[0]
        st["category_word"] = vocab.CATEGORIES.get(st["category"], capitalise(st["category"]))
        st["is_gap"] = st["status"] in vocab.GAP_STATUSES
        st["pairs"] = pair_values(st["reported"], st["required"])
        st["finding"] = finding(st)
        st["reviewed"] = [review_phrase(ch, review) for ch in st["review"]
                          if not ch.get("agrees", ch["self_assessed"] == ch["verified"])]
        plan, derog = st["action_plan"], st["derogation"]
        st["plan_overdue"] = bool(plan) and overdue_on(plan["due"], today)
        st["derogation_overdue"] = bool(derog) and overdue_on(derog["expires_on"], today)
    applicable = [s for s in standards if s["status"] != "not_applicable"]
    # confidence notes are often shared by many standards: number each distinct note once
    notes: dict[str, dict[str, Any]] = {}
    for st in standards:
        text = (st["confidence_note"] or "").strip()
        if text and st["status"] != "not_applicable":
            note = notes.setdefault(text, {"number": len(notes) + 1, "text": text, "standards": []})
            note["standards"].append(st["id"])
            st["note_number"] = note["number"]
        else:
            st["note_number"] = None
    gaps = sorted((s for s in standards if s["is_gap"]),
                  key=lambda s: (CATEGORY_RANK.get(s["category"], 9), STATUS_RANK.get(s["status"], 9)))
    domains, not_applicable = [], []
    for domain in vocab.domain_order(s["domain"] for s in standards):
        rows = [s for s in standards if s["domain"] == domain]
        apply = [s for s in rows if s["status"] != "not_applicable"]
        na = [s for s in rows if s["status"] == "not_applicable"]
        not_applicable += na
        domains.append({"name": domain, "label": capitalise(domain), "standards": apply, "not_applicable": len(na),
                        "score": r["score"]["by_domain"].get(domain)})
    labels = r["spec"]["labels"] or {}
    target = r["outcome"]["to_change_target"]
    edition = f"({r['spec']['edition']})" if r["spec"]["edition"] else ""
    spec_line = " ".join(x for x in (r["spec"]["title"], edition) if x)
    doc_id = document_id(result)
    confidences: dict[str, int] = {}
    for st in applicable:
        confidences[st["confidence"] or "unverified"] = confidences.get(st["confidence"] or "unverified", 0) + 1
    head = headline(r)
    window_months, window_end = policy_window(r)
    # a reason that only lists the advisory standards is said again, with why, in its own section
    advisory_ids = {a["standard"] for a in r["outcome"]["advisory"]}
    reasons = [x for x in r["outcome"]["reasons"]
               if not (advisory_ids and x.startswith("For the panel's judgement")
                       and all(re.search(rf"\b{re.escape(i)}\b", x) for i in advisory_ids))]
    out = r["outcome"]
    conditions = out["conditions"]
    for c in conditions:
        c["overdue"] = overdue_on(c["due"], today)
    ids = {s["id"] for s in standards}
    changes = [{**c, "action": act, "state": state, "limiter": c["id"] not in ids} for c in out["to_change_outcome"]
               for act, state in [change_action(c, target, window_end, derogations_used, ids)]]
    used_params = {p for s in applicable for p in (s["parameters"] or [])}
    parameters = {k: v for k, v in r["parameters"].items()
                  if all(s["parameters"] is None for s in standards) or k in used_params}
    with_evidence = sum(1 for s in applicable if s["evidence"])
    cited = {(s["source"] or {}).get("document") for s in applicable}
    sources = [x for x in r["spec"]["sources"] if x["id"] in cited or not standards]
    reviewer_changes = [{"label": capitalise(c["label"] or c["question"]), "text": review_phrase(c, review)}
                        for c in (review["changes"] if review else [])
                        if not c.get("agrees", c["self_assessed"] == c["verified"])]
    designated_gaps = [s for s in gaps if out["status"] == "designated"]
    report_name = "Designation report" if str(labels.get("designated", "Designated")).startswith("Designated") \
        else "Assessment report"
    meta_title = f"{report_name}: {r['site']['name']} ({spec_line})"
    return {
        "r": r,
        "doc_id": doc_id,
        "marks": [text for _, text in page_marks(result)],
        "header_name": header_name(r["site"]["name"]),
        "deciding_answer": None if (r["spec"]["ladder"] or r["claimed"]) else deciding_answer(r),
        "hashes": _hashes(r["inputs"], derogations_used),
        "named_hashes": _named_hashes(r["inputs"], derogations_used),
        "created": when,
        "created_w3c": w3c_datetime(when),
        "as_at": today,
        "report_name": report_name,
        "code_label": r["site"]["code_label"] or r["spec"]["vocabulary"].get("identifier") or "ODS",
        "derogations_used": derogations_used,
        # what the score before adjustments is before: only what was actually applied
        "adjusted_by": join_words([w for w, used in (
            ("derogations", any(d["status"] == "applied" for d in r["derogations"])),
            ("reviewer changes", r["review"] is not None)) if used]) or "adjustments",
        "meta": {
            "title": meta_title,
            "author": r["site"]["network"] or "designation",
            "subject": head.full,
            "keywords": [k for k in ("designation", r["spec"]["id"], r["spec"]["edition"], r["site"]["code"],
                                     r["claimed"], r["outcome"]["status"]) if k],
            "generator": f"designation {r['inputs']['engine_version'] or ''}".strip(),
        },
        "spec_line": spec_line,
        "headline": head,
        "outcome": head.term,
        "outcome_sentence": outcome_sentence(r),
        "ladder_sentence": ladder_sentence(r),
        "target_label": labels.get(target) or (vocab.outcome(target).word if target else None),
        "target_clause": target_clause(r["site"]["name"], labels.get(target)
                                       or (vocab.outcome(target).word if target else None)),
        "statuses": list(vocab.STATUSES.values()),
        "counts": [(vocab.STATUSES[k], r["counts"].get(k, 0)) for k in vocab.STATUSES],
        "gaps": gaps,
        "overdue": overdue_items(r, today),
        "notes": list(notes.values()),
        "summary": {"reasons": [_reason_item(x, gaps) for x in reasons[:SUMMARY_MAX["reasons"]]],
                    "conditions": conditions[:SUMMARY_MAX["conditions"]],
                    "changes": changes[:SUMMARY_MAX["changes"]]},
        "summary_more": {"reasons": max(0, len(reasons) - SUMMARY_MAX["reasons"]),
                         "conditions": max(0, len(conditions) - SUMMARY_MAX["conditions"]),
                         "changes": max(0, len(out["to_change_outcome"]) - SUMMARY_MAX["changes"])},
        "changes": changes,
        "window_months": window_months,
        "window_end": window_end,
        "designated_gaps": designated_gaps,
        "reviewer_changes": reviewer_changes,
        "evidence": {"with": with_evidence, "of": len(applicable),
                     "missing": sum(1 for s in applicable if "evidence_missing" in s["flags"])},
        # gaps that gate the outcome and have no cover (a not-gating one, for the panel's
        # judgement, is shown as such in the gaps table and is not counted as a warning)
        "uncovered": [s for s in gaps if not s["action_plan"] and not s["derogation"]
                      and s["category"] != "developmental" and s["gating"] is not False],
        "domains": domains,
        "not_applicable": not_applicable,
        "na_groups": _group_by_reason(not_applicable),
        "sources": sources,
        "sources_omitted": len(r["spec"]["sources"]) - len(sources),
        "parameters": parameters,
        "chart": domain_chart(applicable, r["score"]),
        "confidence_rows": [(key, vocab.CONFIDENCE[key][0],
                             _sentence(r["spec"].get("confidence_vocabulary", {}).get(key) or vocab.CONFIDENCE[key][1]),
                             confidences.get(key, 0)) for key in vocab.CONFIDENCE],
        "warnings": [_sentence(str(w)) for w in r["notes"]],
        "categories": category_meanings(derogations_used, report_name == "Designation report"),
        "flag_words": vocab.FLAGS,
        "derogation_status": vocab.DEROGATION_STATUS,
        "policy_rows": policy_rows(r, report_name == "Designation report"),
    }


def category_meanings(derogations: bool = True, designation: bool = True) -> list[tuple[str, str]]:
    """What each category means, in the spec's terms: no derogations where it allows none, and
    "to meet the standards" where its outcome is not a designation (asthma settings)."""
    out = []
    for key, word in vocab.CATEGORIES.items():
        meaning = vocab.CATEGORY_MEANING[key]
        if not derogations:
            meaning = meaning.replace("action plan or derogation", "action plan")
        if not designation:
            meaning = (meaning.replace("for any designation", "to meet the standards")
                       .replace("the designation threshold", "the threshold"))
        out.append((word, meaning))
    return out


def target_clause(site: str, label: str | None) -> tuple[str, str]:
    """How "what would change the outcome" begins: "The outcome would become | designated as ...",
    or, where the outcome is a verb phrase ("Meets the London standards ..."), "<site> would |
    meet the London standards ..." (not "would become meets")."""
    label = label or "Designated"
    if re.match(r"Meets\b", label) and site:
        return f"{site} would", "meet" + label[len("Meets"):]
    return "The outcome would become", decapitalise(label)


def deciding_answer(r: Mapping[str, Any]) -> tuple[str, str] | None:
    """The one answer every standard reports (the question that decides which standards apply,
    such as the asthma specification's care setting), as ``(label, value)``; else ``None``.
    The cover shows it where a specification has no designation to claim."""
    standards = r.get("standards") or []
    if len(standards) < 2:
        return None
    common: set[tuple[str, str]] | None = None
    for st in standards:
        items = {(str(k), str(v)) for k, v in (st.get("reported") or {}).items()}
        common = items if common is None else common & items
        if not common:
            return None
    found = sorted(common or ())
    if len(found) != 1 or found[0][1] in ("", "not answered"):
        return None
    return capitalise(found[0][0]), found[0][1]


HEADER_NAME_MAX = 72   # characters of a site's name that fit the running header's one line


def header_name(name: str, limit: int = HEADER_NAME_MAX) -> str:
    """A site's name for the running header: whole, or cut at a word with an ellipsis."""
    name = " ".join(str(name or "").split())
    if len(name) <= limit:
        return name
    cut = name[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:-·(") + "…"


def _reason_item(text: str, gaps: list[dict[str, Any]]) -> dict[str, Any]:
    """A reason that is about one gap is shown as that gap's id, title and status (its full
    explanation is in the gaps table, one click away); any other reason as written."""
    head = str(text).split(" ", 1)[0]
    st = next((g for g in gaps if g["id"] == head), None)
    if st is None:
        return {"text": text}
    return {"text": None, "id": st["id"], "title": st["title"], "term": st["term"]}


def _group_by_reason(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Standards that do not apply, grouped by why (one line per reason, in order of first use)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for st in rows:
        why = _sentence(st["reason"] or "does not apply")
        groups.setdefault(why, []).append(st)
    return list(groups.items())


def policy_rows(r: Mapping[str, Any], designation: bool = True) -> list[dict[str, Any]]:
    """The policy's figures with their source and confidence (policy version 2), for provenance."""
    policy = r.get("policy") or {}
    words = {"threshold": ("Expected-standards threshold", "%"),
             "action_plan_window_months": ("Action-plan window", " months"),
             "validity_months": ("Designation valid for" if designation else "Outcome valid for", " months")}
    rows = []
    for key, (label, unit) in words.items():
        item = policy.get(key)
        if item is None:
            continue
        if not isinstance(item, Mapping):
            item = {"value": item}
        value = item.get("value")
        default = item.get("default", value)
        rows.append({"label": label, "value": "not set" if value is None else f"{number(value)}{unit}",
                     "default": "not set" if default is None else f"{number(default)}{unit}",
                     "source": item.get("source"), "confidence": item.get("confidence"),
                     "tailored": bool(item.get("tailored"))})
    return rows


# -- the network summary ------------------------------------------------------------------------

def _count_word(r: Mapping[str, Any], status: str, n: int) -> str:
    """How a family counts an outcome in its own words: "2 designated", "6 meet the London standards"."""
    labels = r["spec"].get("labels") or {}
    label = str(labels.get(status) or "")
    if not label or label.startswith(("Designated", "Not designated")):
        return vocab.outcome(status).word.lower()
    words = decapitalise(label)
    if n != 1:  # "meets" -> "meet", "does not yet meet" -> "do not yet meet"
        words = re.sub(r"^meets\b", "meet", words)
        words = re.sub(r"^does not\b", "do not", words)
    return words


def family_key(r: Mapping[str, Any]) -> str:
    """Sites are grouped by specification family: a ladder (UCC, EC, ECSS) is one family."""
    ladder = r["spec"].get("ladder") or {}
    return f"ladder:{ladder['name']}" if ladder.get("name") else f"spec:{r['spec']['id']}"


def site_key(r: Mapping[str, Any]) -> tuple:
    return (r["site"]["network"] or "", r["site"]["name"] or "", r["site"]["code"] or "", r["spec"]["id"] or "")


def network_view(results: Iterable[Mapping[str, Any]], created: dt.datetime | None = None,
                 sites_per_table: int = 16, as_at: dt.date | None = None) -> dict[str, Any]:
    """Everything ``templates/network.html`` needs."""
    originals = list(results)
    rs = sorted((normalise(r) for r in originals), key=site_key)
    when = pinned(created)
    networks = sorted({r["site"]["network"] for r in rs if r["site"]["network"]})
    network = networks[0] if len(networks) == 1 else ("Several networks" if networks else "")
    today = as_at or when.date()
    sites = []
    for r in rs:
        head = headline(r)
        overdue = overdue_items(r, today)
        sites.append({"r": r, "outcome": vocab.outcome(r["outcome"]["status"]), "headline": head,
                      "overdue": overdue, "family": family_key(r),
                      "code_label": r["site"]["code_label"] or (r["spec"].get("vocabulary") or {}).get("identifier")
                      or "ODS",
                      "gaps": sum(r["counts"].get(k, 0) for k in vocab.GAP_STATUSES)})
    outcome_counts = [(t, sum(1 for s in sites if s["outcome"].key == key)) for key, t in vocab.OUTCOMES.items()]

    # sites grouped by specification family (a ladder such as UCC / EC / ECSS is one family),
    # each family in its own words
    families = []
    for key in sorted({s["family"] for s in sites}, key=lambda k: (k.startswith("spec:"), k)):
        members = [s for s in sites if s["family"] == key]
        members.sort(key=lambda s: (-((s["r"]["spec"].get("ladder") or {}).get("rank") or 0), site_key(s["r"])))
        specs = list(dict.fromkeys((s["r"]["spec"]["id"], s["r"]["spec"]["title"] or s["r"]["spec"]["id"])
                                   for s in members))
        families.append({"key": key, "title": "; ".join(t for _, t in specs), "spec_ids": [i for i, _ in specs],
                         "sites": members,
                         "counts": [(vocab.outcome(k), n, _count_word(members[0]["r"], k, n)) for k in vocab.OUTCOMES
                                    for n in [sum(1 for s in members if s["r"]["outcome"]["status"] == k)] if n]})
    overdue_total = sum(len(s["overdue"]) for s in sites)

    # the matrix: one per family, standards as rows, sites as columns (in chunks)
    matrices = []
    for fam in families:
        group = [s["r"] for s in fam["sites"]]
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
        spec = dict(group[0]["spec"])
        if len(fam["spec_ids"]) > 1:
            spec.update(id=", ".join(fam["spec_ids"]), title=fam["title"], edition="")
        matrices.append({"spec": spec, "chunks": chunks, "family": fam})
    # the biggest matrix first, so the smaller ones pack onto the pages it leaves part-filled
    matrices.sort(key=lambda mx: -sum(len(ch["rows"]) for ch in mx["chunks"]))

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
        ids = {st["id"] for st in s["r"]["standards"]}
        s["changes"] = [{**c, "limiter": c["id"] not in ids} for c in s["r"]["outcome"]["to_change_outcome"]]
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
    plain = all(str((s["r"]["spec"].get("labels") or {}).get("designated", "Designated")).startswith("Designated")
                for s in sites)
    overall_words = {k: t.word.lower() for k, t in vocab.OUTCOMES.items()} if plain else {
        "designated": "designated or meeting the standards",
        "designated_with_conditions": "with conditions or an agreed action plan",
        "not_designated": "not designated or not yet meeting the standards"}
    return {
        "overall_words": overall_words,
        "families": families,
        "as_at": today,
        "overdue_total": overdue_total,
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
