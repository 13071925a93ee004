"""``validate``'s view of any input file: what it is (by its content, whatever its name) and
every problem in it, checked against its neighbours.

A submission is checked against its spec; a review against the submission for its site; a
derogations file's sites and standards against the submissions in its folder; a tailoring
file's spec ids and parameters against the installed specs. Unknown names get "did you mean".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from pydantic import ValidationError

from . import derogations as derog_mod, review as review_mod, submission as sub_mod, tailoring as tailor_mod
from . import yamlsafe
from ..errors import InputError, Problem
from ..rules import suggest

KINDS = ("submission", "review", "derogations", "tailoring")


@dataclass
class Checked:
    file: str
    kind: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)      # warnings: the file is still valid
    summary: str = ""
    not_answered: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        def pj(p: Problem) -> dict[str, Any]:
            return {"file": p.file, "line": p.line, "column": p.column, "message": p.message}

        return {"file": self.file, "kind": self.kind, "valid": self.valid, "summary": self.summary,
                "problems": [pj(p) for p in self.problems], "warnings": [pj(p) for p in self.notes],
                "not_answered": self.not_answered}


def kind_of(data: Any) -> str:
    """What a parsed file is, by its keys (a submission always has ``answers`` or ``spec``)."""
    if isinstance(data, dict) and not ({"answers", "spec"} & set(data)):
        if "derogations" in data:
            return "derogations"
        if "parameters" in data or "policy" in data:
            return "tailoring"
        if "reviewer" in data or "verified" in data or "reviewed_on" in data:
            return "review"
    return "submission"


class Neighbours:
    """The submissions beside a file (and, for a file in ``reviews/``, in the folder above),
    by site code; loaded once per folder, invalid ones skipped."""

    def __init__(self) -> None:
        self._by_folder: dict[Path, dict[str, list[sub_mod.Submission]]] = {}

    def sites(self, folder: Optional[Path]) -> dict[str, list[sub_mod.Submission]]:
        if folder is None:
            return {}
        out: dict[str, list[sub_mod.Submission]] = {}
        for f in (folder, folder.parent):
            for code, subs in self._load(f.resolve()).items():
                out.setdefault(code, []).extend(subs)
            if out:
                break
        return out

    def _load(self, folder: Path) -> dict[str, list[sub_mod.Submission]]:
        if folder not in self._by_folder:
            found: dict[str, list[sub_mod.Submission]] = {}
            for p in sorted(folder.glob("*.xlsx")) if folder.is_dir() else []:
                try:
                    sub = sub_mod.load(p)
                except InputError:
                    continue
                found.setdefault(sub.site.code, []).append(sub)
            for p in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
                try:
                    doc = yamlsafe.load_file(p)
                    if kind_of(doc.data) != "submission":
                        continue
                    sub = sub_mod.parse(doc)
                except InputError:
                    continue
                found.setdefault(sub.site.code, []).append(sub)
            self._by_folder[folder] = found
        return self._by_folder[folder]


def check(name: str, raw: bytes, folder: Optional[Path], neighbours: Neighbours) -> Checked:
    """Every problem in one input file (given as bytes), whatever kind of file it is."""
    from . import workbook_read

    if workbook_read.is_workbook(name, raw):   # a provider's workbook: always a submission
        out = Checked(name, "submission")
        try:
            imported = workbook_read.parse_bytes(raw, name)
        except InputError as exc:
            out.problems += exc.problems
            return out
        _summarise(imported.submission, out)
        out.notes = [Problem(name, f"note: {n}") for n in imported.notes] + out.notes
        return out
    # a file not saved as UTF-8 is still read, so its other problems come in the same round
    text, encoding = yamlsafe.decode_lenient(raw, name)
    first = [encoding] if encoding is not None else []
    try:
        doc = yamlsafe.load_text(text, name)
    except InputError as exc:
        return Checked(name, "submission", first + exc.problems)
    kind = kind_of(doc.data)
    out = Checked(name, kind, first)
    try:
        {"submission": _submission, "review": _review, "derogations": _derogations,
         "tailoring": _tailoring}[kind](doc, out, folder, neighbours)
    except InputError as exc:
        out.problems += exc.problems
    return out


def _submission(doc: yamlsafe.Document, out: Checked, folder: Optional[Path], neighbours: Neighbours) -> None:
    _summarise(sub_mod.parse(doc), out)


def _summarise(sub: sub_mod.Submission, out: Checked) -> None:
    out.notes += sub.notes
    out.not_answered = sub.unanswered()
    out.summary = (f"{sub.spec.id} {sub.spec.edition}, {len(sub.answers)} answers"
                   + (f", {len(out.not_answered)} questions not answered" if out.not_answered else ""))


def _site_hint(code: Any, sites: dict[str, Any]) -> str:
    hint = suggest(str(code), sites)
    return f"; did you mean {hint!r}?" if hint else ""


def _review(doc: yamlsafe.Document, out: Checked, folder: Optional[Path], neighbours: Neighbours) -> None:
    code = doc.data.get("site") if isinstance(doc.data, dict) else None
    sites = neighbours.sites(folder)
    subs = sites.get(code) if isinstance(code, str) else None
    if not subs:
        where = (f"in {folder} or {folder.parent}" if folder is not None
                 else "beside it (it was read from standard input)")
        out.problems.append(doc.problem(("site",), f"review is for site {code!r}, but no valid submission {where} "
                                                   f"is for that site{_site_hint(code, sites)}"))
        try:   # still report what can be checked without the submission
            review_mod.ReviewFile.model_validate(doc.data)
        except ValidationError as exc:
            out.problems += sub_mod.schema_problems(exc, doc, review_mod.ReviewFile)
        return
    rev = review_mod.parse(doc, subs[0].spec, code)
    out.summary = f"review of {code} ({subs[0].file}), {len(rev.values)} verified values"


def _derogations(doc: yamlsafe.Document, out: Checked, folder: Optional[Path], neighbours: Neighbours) -> None:
    d = derog_mod.parse(doc)
    out.problems += d.problems()
    sites = neighbours.sites(folder)
    for i, e in enumerate(d.entries):
        if e.problems or not sites:
            continue
        path = ("derogations", i)
        if e.site not in sites:
            out.problems.append(doc.problem(path + ("site",), f"derogation {i + 1}: no submission in {folder} is for "
                                                              f"site {e.site!r}{_site_hint(e.site, sites)}"))
            continue
        ids = {s.id for sub in sites[e.site] for s in sub.spec.standards}   # type: ignore[index]
        if e.standard not in ids:
            hint = suggest(str(e.standard), ids)
            out.problems.append(doc.problem(path + ("standard",), f"derogation {i + 1}: site {e.site} is not assessed "
                                            f"against a standard {e.standard!r}" + (f"; did you mean {hint!r}?" if hint else "")))
    live = sum(1 for e in d.entries if not e.problems)
    out.summary = f"{len(d.entries)} derogations, {live} well formed" + (
        f", checked against {sum(len(v) for v in sites.values())} submissions" if sites else "")


def _tailoring(doc: yamlsafe.Document, out: Checked, folder: Optional[Path], neighbours: Neighbours) -> None:
    t = tailor_mod.parse(doc)
    out.problems += t.problems()
    parts = ([f"parameters for {', '.join(map(str, t.values))}"] if t.values else []) + (
        [f"policy for {', '.join(map(str, t.policy))}"] if t.policy else [])
    out.summary = "; ".join(parts) or "parameters for no spec"
