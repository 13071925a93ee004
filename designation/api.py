"""The library API: load → validate → evaluate → decide, and the JSON result.

The CLI is a thin shell over these functions, and the tests call them directly::

    from designation import api
    a = api.assess_path("submissions/ec-northfield-conditions.yaml")
    a.decision.status, a.to_json()["outcome"]
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from . import __version__, engine

from .inputs import derogations as derog_mod, review as review_mod, submission as sub_mod
from .inputs import tailoring as tailor_mod, yamlsafe
from .designate import Cover, Decision, decide
from .engine import StandardResult
from .errors import InputError, Problem
from .rules import article, day
from .spec import CONFIDENCE_TEXT, EffectivePolicy, Spec
from .inputs.submission import Submission

SCHEMA = "designation.assessment/1"
SETTINGS_FILES = ("derogations.yaml", "tailoring.yaml")
Source = tuple[str, bytes]  # (name, raw bytes): an input as read, so a report can embed it
T = TypeVar("T")


@dataclass
class Inputs:
    """The raw inputs of one assessment, kept so that reports can embed them for ``verify``."""

    submission: Source
    review: Optional[Source] = None
    derogations: Optional[Source] = None
    tailoring: Optional[Source] = None
    canonical: Optional[bytes] = None   # the YAML imported from a workbook submission

    @property
    def workbook(self) -> bool:
        return _is_workbook(self.submission)

    def submission_yaml(self) -> bytes:
        """The canonical YAML of the submission (imported again if it came from a workbook)."""
        if not self.workbook:
            return self.submission[1]
        if self.canonical is None:
            from .inputs import workbook_read

            self.canonical = workbook_read.parse_bytes(self.submission[1], self.submission[0]).yaml.encode("utf-8")
        return self.canonical


@dataclass
class Assessment:
    submission: Submission
    spec: Spec
    inputs: Inputs
    results: list[StandardResult]
    before: list[StandardResult]
    decision: Decision
    qualifies_for: Optional[str]
    params: dict[str, float]
    tailored: dict[str, float]
    policy: EffectivePolicy
    review: Optional[review_mod.Review]
    changes: list[review_mod.Change]
    derogation_status: list[dict[str, Any]]
    covers: dict[str, Cover]
    plan_notes: dict[str, dict[str, Any]]
    warnings: list[Problem] = field(default_factory=list)
    applied: Optional[dict[str, Optional[str]]] = None   # which overlay files were used, as a reader names them
    _json: Optional[dict] = None

    @property
    def status(self) -> str:
        return self.decision.status

    def to_json(self) -> dict[str, Any]:
        if self._json is None:
            self._json = _to_json(self)
        return self._json


def is_settings_file(path: str | Path) -> bool:
    """Network settings that sit beside submissions and are never submissions themselves."""
    return Path(path).name in SETTINGS_FILES


def _read(path: str | Path | None) -> Optional[Source]:
    if path is None:
        return None
    return (str(path), yamlsafe.read_bytes(path))


def overlays_for(path: str | Path, *, review: str | Path | None = None, derogations: str | Path | None = None,
             tailoring: str | Path | None = None) -> dict[str, Any]:
    """The overlays that go with a submission, found as ``batch`` finds them: ``reviews/<name>.yaml``
    (or the review naming its site code), ``derogations.yaml`` and ``tailoring.yaml`` in its folder,
    unless given explicitly. Returns {"review", "derogations", "tailoring": path or None,
    "review_match": "given" | "file name" | "site code" | None}."""
    p = Path(path)
    how = "given" if review is not None else None
    if review is None:
        m = review_mod.find(p)
        review, how = m.review, m.how
    if derogations is None and (p.parent / "derogations.yaml").is_file():
        derogations = p.parent / "derogations.yaml"
    if tailoring is None and (p.parent / "tailoring.yaml").is_file():
        tailoring = p.parent / "tailoring.yaml"
    return {"review": review, "derogations": derogations, "tailoring": tailoring, "review_match": how}


def assess_path(path: str | Path, *, review: str | Path | None = None, derogations: str | Path | None = None,
                tailoring: str | Path | None = None, discover: bool = True,
                review_match: Optional[str] = None) -> Assessment:
    """Assess one submission file. With ``discover`` (the default), the folder's review,
    derogations and tailoring are used unless given explicitly (see :func:`overlays_for`); the
    result names the files it applied (``inputs.files``)."""
    p = Path(path)
    if discover:
        found = overlays_for(p, review=review, derogations=derogations, tailoring=tailoring)
        review, derogations, tailoring, review_match = (found["review"], found["derogations"], found["tailoring"],
                                                        found["review_match"])
    elif review is not None and review_match is None:
        review_match = "given"
    a = assess_sources(submission=_read(p), review=_read(review), derogations=_read(derogations),  # type: ignore[arg-type]
                       tailoring=_read(tailoring))
    a.applied = {"review": _shown(review, p), "derogations": _shown(derogations, p),
                 "tailoring": _shown(tailoring, p), "review_match": review_match if review is not None else None}
    return a


def _shown(path: str | Path | None, sub: Path) -> Optional[str]:
    """A file as a reader names it: relative to the submission's folder when inside it (so the
    JSON does not depend on where the folder sits), else as given."""
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(sub.resolve().parent).as_posix()
    except ValueError:
        return str(path)


def _parsed(src: Source, parse: Callable[[yamlsafe.Document], T]) -> T:
    """``parse`` of a YAML input. A file not saved as UTF-8 is still read, so that its other
    problems come in the same round as the encoding one (first: it may explain the others)."""
    name, raw = src
    text, encoding = yamlsafe.decode_lenient(raw, name)
    try:
        doc = yamlsafe.load_text(text, name)
        doc.sha256 = hashlib.sha256(raw).hexdigest()
        out = parse(doc)
    except InputError as exc:
        if encoding is not None:
            raise InputError([encoding, *exc.problems]) from None
        raise
    if encoding is not None:
        raise InputError(encoding)
    return out


def assess_sources(*, submission: Source, review: Optional[Source] = None, derogations: Optional[Source] = None,
                   tailoring: Optional[Source] = None) -> Assessment:
    """Assess from raw inputs (name, bytes); used by ``assess_path`` and by ``verify``."""
    for src in (submission, review, derogations, tailoring):
        if src is not None and len(src[1]) > yamlsafe.MAX_BYTES:
            raise InputError.at(src[0], f"file is over the size limit of {yamlsafe.MAX_BYTES:,} bytes")
    canonical = None
    if _is_workbook(submission):
        from .inputs import workbook_read

        imported = workbook_read.parse_bytes(submission[1], submission[0])
        sub, canonical = imported.submission, imported.yaml.encode("utf-8")
    else:
        sub = _parsed(submission, sub_mod.parse)
    spec = sub.spec
    assessed_on = sub.assessed_on
    params = dict(spec.defaults())
    tailored: dict[str, float] = {}
    tailor = None
    if tailoring is not None:
        tailor = _parsed(tailoring, tailor_mod.parse)
        tailored = tailor.for_spec(spec)
        params.update(tailored)
    policy = spec.policy.figures(tailor.policy_for(spec) if tailor else None)

    self_values = sub.values
    values = dict(self_values)
    rev = None
    changes: list[review_mod.Change] = []
    if review is not None:
        rev = _parsed(review, lambda doc: review_mod.parse(doc, spec, sub.site.code))
        for qid, v in rev.values.items():
            changes.append(review_mod.Change.of(spec.questions[qid], self_values.get(qid), v,
                                                rev.data.verified[qid].reason))
            values[qid] = v

    results = engine.evaluate(spec, values, params)
    before = engine.evaluate(spec, self_values, params) if rev is not None else results
    engine.evidence_flags(results, sub.answers, assessed_on, spec.policy.evidence_max_age_months)
    if rev is not None:
        changed = {c.question for c in changes if not c.agrees}
        confirmed = {c.question for c in changes} - changed
        for r in results:
            if r.standard.questions_used & changed:
                r.flags.append("overridden")
            elif r.standard.questions_used & confirmed:
                r.flags.append("verified")

    warnings: list[Problem] = list(sub.notes)
    covers: dict[str, Cover] = {}
    derog_status: list[dict[str, Any]] = []
    if derogations is not None:
        dfile = _parsed(derogations, lambda doc: derog_mod.parse(doc, {s.id for s in spec.standards}))
        for d in dfile.for_site(sub.site.code):
            state, note = d.status_on(assessed_on)
            if state != "applied":
                warnings.append(Problem(dfile.file, f"derogation for {d.standard} at {d.site} does not apply: {note}", d.line))
            elif d.standard and spec.standard(d.standard) is not None:
                covers[d.standard] = Cover("derogation", d.expires_on, d.reason or "", d.approver or "")  # type: ignore[arg-type]
                for r in results:
                    if r.id == d.standard:
                        r.flags.append("derogated")
            derog_status.append({**d.to_json(), "status": state, "note": note})
        # malformed entries that cannot be tied to this site are still worth a warning
        for d in dfile.entries:
            if d.site is None and d.problems:
                warnings.append(Problem(dfile.file, "; ".join(p.message for p in d.problems), d.line))

    window = policy.action_plan_window_months
    window_end = engine._add_months(assessed_on, window)
    plan_notes: dict[str, dict[str, Any]] = {}
    for sid, plan in sub.envelope.action_plans.items():
        within = plan.due <= window_end
        plan_notes[sid] = {"action": plan.action, "owner": plan.owner, "due": plan.due.isoformat(), "covers": within,
                           "note": None if within else f"due after {day(window_end)}, the end of the "
                                                       f"{window}-month action-plan window, so it does not count"}
        if within and sid not in covers:
            covers[sid] = Cover("action_plan", plan.due, plan.action, plan.owner)

    decision = decide(spec, policy, results, values, params, covers, assessed_on, tailored)
    qualifies, q_spec = _qualifies_for(spec, decision, results, values, params, covers, assessed_on, tailored, tailor)
    if spec.ladder and qualifies != spec.ladder.level:
        what = (q_spec.ladder.title or q_spec.ladder.level) if q_spec is not None and q_spec.ladder else None
        held = [lim for lim in decision.limiters if lim["holds"]]
        if held and what and decision.reasons:
            # "Not an ECSS: hosts none of the specialist services; qualifies as an emergency centre."
            decision.reasons[0] = f"{held[0]['description'].rstrip('.')}; qualifies as {what}."
        if not (held and what and decision.reasons):
            own = spec.ladder.title or spec.ladder.level
            decision.reasons.append(f"Claimed {sub.claimed}; " + (
                f"qualifies as {_as_level(spec, qualifies)}." if qualifies
                else f"it does not qualify as {article(own)}, nor at any lower level."))
    return Assessment(sub, spec, Inputs(submission, review, derogations, tailoring, canonical), results, before,
                      decision, qualifies, params, tailored, policy, rev, changes, derog_status, covers, plan_notes,
                      warnings)


def _is_workbook(src: Source) -> bool:
    """A workbook by its first bytes (a zip, or an encrypted OLE file) or its name. Imported
    lazily, so that YAML never loads the workbook modules."""
    name, raw = src
    if raw[:4] == b"PK\x03\x04" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return True
    return Path(name).suffix.lower() in (".xlsx", ".xlsm", ".xls")


def _qualifies_for(spec: Spec, decision: Decision, results, values, params, covers, assessed_on, tailored,
                   tailor) -> tuple[Optional[str], Optional[Spec]]:
    """The highest ladder level this site qualifies for (and its spec), trying each fallback in turn."""
    while spec.ladder:
        if decision.status != "not_designated":
            return spec.ladder.level, spec
        fb_id = spec.ladder.falls_back_to
        fb = next((s for s in spec.included if s.id == fb_id), None)
        if fb is None:
            return None, None
        ids = {s.id for s in fb.standards}
        results = [r for r in results if r.id in ids]
        fb_policy = fb.policy.figures(tailor.policy_for(fb) if tailor else None)
        decision = decide(fb, fb_policy, results, values, params, {k: v for k, v in covers.items() if k in ids},
                          assessed_on, tailored)
        spec = fb
    return None, None


def identifier_label(spec: Spec, values: Any) -> str:
    """What a site's code is called: ODS, or per setting (a school's URN, a pharmacy's F-code)."""
    voc = spec.file.vocabulary
    if voc.identifier_by is not None:
        answer = values.get(voc.identifier_by.question)
        if isinstance(answer, str) and answer in voc.identifier_by.values:
            return voc.identifier_by.values[answer]
    return voc.identifier


def ladder_title(spec: Spec, level: Optional[str]) -> Optional[str]:
    """A ladder level in words ("emergency centre"), looked up along the ladder's fall-backs."""
    while level and spec is not None:
        if spec.ladder and spec.ladder.level == level:
            return spec.ladder.title or level
        fb = spec.ladder.falls_back_to if spec.ladder else None
        spec = next((s for s in spec.included if s.id == fb), None)  # type: ignore[assignment]
    return level


def _as_level(spec: Spec, level: str) -> str:
    title = ladder_title(spec, level) or level
    return article(title) if title != level else title


def _counts(results: list[StandardResult]) -> dict[str, int]:
    counts = {s: 0 for s in engine.STATUSES}
    for r in results:
        counts[r.status] += 1
    return counts


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def _to_json(a: Assessment) -> dict[str, Any]:
    sub, spec, d = a.submission, a.spec, a.decision
    env = sub.envelope
    derogated = frozenset(k for k, c in a.covers.items() if c.kind == "derogation")
    after = engine.score(a.results, credit_derogated=True, derogated=derogated)
    before = engine.score(a.before) if (derogated or a.review is not None) else after
    changes_by_q = {c.question: c for c in a.changes}
    applied = {x["standard"]: x for x in a.derogation_status if x["status"] == "applied"}
    ev_by_q = {q: [{"title": e.title, "reference": e.reference, "date": _iso(e.date), "owner": e.owner}
                   for e in ans.evidence] for q, ans in sub.answers.items() if ans.evidence}
    comment_by_q = {q: ans.comment for q, ans in sub.answers.items() if ans.comment}
    plan_notes = a.plan_notes
    gating = d.gating
    standards = []
    for r in a.results:
        st = r.standard
        if not st.static_json:  # the parts that never change between submissions
            st.static_json = {"id": st.id, "title": st.title, "domain": st.domain, "category": st.category,
                              "weight": st.weight, "requirement": st.requirement, "source": st.source.model_dump(),
                              "confidence": st.confidence, "confidence_note": st.confidence_note, "spec": st.spec_id,
                              "questions": sorted(st.questions_used),
                              "parameters": sorted(set().union(*(c.parameters() for c in (st.met, st.partial, st.applies)
                                                                 if c is not None)))}
        used = st.static_json["questions"]
        ev = [e for q in used if q in ev_by_q for e in ev_by_q[q]] if ev_by_q else []
        comment = " ".join(comment_by_q[q] for q in used if q in comment_by_q) if comment_by_q else ""
        standards.append({
            **st.static_json,
            **({"title": st.worded("title", a.params), "requirement": st.worded("requirement", a.params)}
               if st.templates else {}),
            "explanation": r.explanation,
            "status": r.status, "reason": r.reason, "reported": r.reported,
            "required": r.required, "flags": sorted(set(r.flags)) if r.flags else [], "evidence": ev,
            "comment": comment or None,
            "action_plan": plan_notes.get(st.id),
            "derogation": applied.get(st.id),
            "gating": gating.get(st.id) is None and st.category != "developmental",
            "advisory_reason": gating.get(st.id),
            "review": [{"question": c.question, "label": c.label, "self_assessed": c.self_assessed,
                        "verified": c.verified, "reason": c.reason, "agrees": c.agrees, "difference": c.difference}
                       for q in used if (c := changes_by_q.get(q))] if changes_by_q else [],
        })
    rev = None
    if a.review is not None:
        rd = a.review.data
        rev = {"reviewer": rd.reviewer.name, "role": rd.reviewer.role, "reviewed_on": rd.reviewed_on.isoformat(),
               "changes": [dict(c.__dict__) for c in a.changes],
               "checked": len(a.changes),
               "disagreements": sum(1 for c in a.changes if not c.agrees)}

    def sha(src: Optional[Source]) -> Optional[str]:
        return hashlib.sha256(src[1]).hexdigest() if src else None

    if spec.json is None:
        spec.json = {"id": spec.id, "edition": spec.edition, "title": spec.title, "publisher": spec.file.publisher,
                     "summary": spec.file.summary,
                     "sources": [s.model_dump() for s in spec.sources.values()],
                     "gaps": [g.model_dump() for g in spec.gaps],
                     "labels": spec.policy.labels.model_dump(),
                     "confidence_vocabulary": CONFIDENCE_TEXT,
                     "policy": spec.policy.figures().to_json(),
                     "vocabulary": {"identifier": spec.file.vocabulary.identifier,
                                    "derogations": spec.file.vocabulary.derogations},
                     "ladder": ({"name": spec.ladder.name, "level": spec.ladder.level, "title": spec.ladder.title,
                                 "rank": spec.ladder.rank}
                                if spec.ladder else None)}
    titles = {r.id: t for r in a.results if r.standard.templates
              for t in [r.standard.worded("title", a.params)]}
    conditions = [{**c, "title": titles.get(c["standard"], c["title"])} for c in d.conditions]
    to_change = [{**c, "title": titles.get(c["id"], c["title"])} for c in d.to_change]
    site = dict(env.site.__dict__)
    site["code_label"] = identifier_label(spec, sub.values)
    return {
        "schema": SCHEMA,
        "spec": dict(spec.json),  # top level copied; the lists inside are shared and read-only
        "site": site,
        "submission_file": Path(sub.file).name,
        "claimed": env.claimed,
        "assessed_on": env.assessed_on.isoformat(),
        "period": {k: _iso(v) for k, v in env.period.__dict__.items()} if env.period else None,
        "signed_off_by": {k: _iso(v) for k, v in env.signed_off_by.__dict__.items()} if env.signed_off_by else None,
        "outcome": {"status": d.status, "label": d.label, "qualifies_for": a.qualifies_for,
                    "qualifies_title": ladder_title(spec, a.qualifies_for), "reasons": d.reasons,
                    "conditions": conditions, "to_change_outcome": to_change, "to_change_target": d.to_change_target,
                    "limiters": d.limiters, "recommendations": d.recommendations, "advisory": d.advisory,
                    "denominators": d.denominators, "valid_until": d.valid_until,
                    **({"rating": d.rating} if d.rating is not None else {})},
        "policy": a.policy.to_json(),
        "score": {**after, "before_adjustments": before},
        "counts": _counts(a.results),
        "standards": standards,
        "derogations": a.derogation_status,
        "review": rev,
        "parameters": {k: {"value": a.params[k], "default": p.default, "tailored": k in a.tailored,
                           "description": p.description, "confidence": p.confidence}
                       for k, p in sorted(spec.parameters.items())},
        "warnings": [str(w) for w in a.warnings],
        # the same, for a reader: no file names or line numbers
        "notes": [w.message[:1].upper() + w.message[1:] for w in a.warnings],
        "inputs": _inputs_json(a, spec, sha),
    }


def _inputs_json(a: Assessment, spec: Spec, sha: Any) -> dict[str, Any]:
    """The hashes of what was assessed. A workbook submission is hashed twice: the canonical
    YAML imported from it (``submission_sha256``, what was scored) and the workbook itself."""
    out = {"submission_sha256": sha(a.inputs.submission), "spec_sha256": spec.sha256,
           "review_sha256": sha(a.inputs.review), "derogations_sha256": sha(a.inputs.derogations),
           "tailoring_sha256": sha(a.inputs.tailoring), "engine_version": __version__}
    if a.inputs.canonical is not None:
        out["submission_sha256"] = hashlib.sha256(a.inputs.canonical).hexdigest()
        out["workbook_sha256"] = sha(a.inputs.submission)
    if a.applied is not None:
        out["files"] = a.applied
    return out


def report_attachments(inputs: Inputs) -> dict[str, bytes]:
    """The inputs a report embeds so that ``designation verify`` can re-score it."""
    files = {"submission.yaml": inputs.submission_yaml()}
    if inputs.workbook:
        files["submission.xlsx"] = inputs.submission[1]
    for name, src in (("review.yaml", inputs.review), ("derogations.yaml", inputs.derogations),
                      ("tailoring.yaml", inputs.tailoring)):
        if src is not None:
            files[name] = src[1]
    return files


def write_report(a: Assessment, pdf: str | Path, *, html: str | Path | None = None,
                 created: Optional[dt.datetime] = None, as_at: Optional[dt.date] = None, sign: Any = None) -> None:
    """Render the site's designation report as PDF (and, if asked, self-contained HTML).

    ``as_at`` is the day overdue conditions are judged on (default: the day it is rendered);
    ``sign`` (``report.sign.signer_for(config)``) signs the PDF."""
    from . import report

    result = a.to_json()
    report.write_pdf(result, pdf, attachments=report_attachments(a.inputs), created=created, as_at=as_at,
                     sign=sign)
    if html is not None:
        from .atomic import write_text

        write_text(html, report.render_html(result, created=created, standalone=True, as_at=as_at))
