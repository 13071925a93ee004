"""Reviews: the network's verification of a self-assessment.

A review file replaces self-assessed answers with verified values, each with a reason. Both
values survive into the result, so a reader sees what the provider said and what was found.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, ValidationError

from . import yamlsafe
from ..errors import InputError, Problem
from ..rules import suggest
from ..spec import Spec, pydantic_problems
from .submission import _INVALID, FormatNumber, PlausibleDate, Text, check_value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reviewer(_Model):
    name: Text
    role: Text


class VerifiedValue(_Model):
    value: Any
    reason: Text


class ReviewFile(_Model):
    format: FormatNumber = 1
    site: Text
    reviewer: Reviewer
    reviewed_on: PlausibleDate
    verified: dict[str, VerifiedValue] = {}


@dataclass
class Change:
    """One verified answer: both values as a person reads them, and how far apart they are."""

    question: str
    label: str
    self_assessed: Any
    verified: Any
    reason: str
    agrees: bool = True
    difference: Optional[float] = None   # verified minus self-assessed, for numbers (percentages for counts)

    @classmethod
    def of(cls, question: Any, before: Any, after: Any, reason: str) -> "Change":
        from ..rules import format_value

        def num(v: Any) -> Optional[float]:
            if hasattr(v, "percent"):
                return v.percent
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                return None
            try:
                return float(v)
            except OverflowError:   # a count of 400 digits: too far apart to say by how much
                return None

        def show(v: Any) -> str:
            if question.type == "proportion":
                return v.describe() if v is not None else "not answered"
            return format_value(v, question.type, question.unit)

        a, b = num(before), num(after)
        diff = round(b - a, 2) if a is not None and b is not None else None
        return cls(question.id, question.label, show(before), show(after), reason, before == after, diff)


@dataclass
class Review:
    file: str
    sha256: str
    data: ReviewFile
    values: dict[str, Any]


def load(path: str | Path, spec: Spec, site_code: Optional[str] = None) -> Review:
    return parse(yamlsafe.load_file(path), spec, site_code)


def parse(doc: yamlsafe.Document, spec: Spec, site_code: Optional[str] = None) -> Review:
    if not isinstance(doc.data, dict):
        raise doc.error((), "a review must be a YAML mapping (site, reviewer, reviewed_on, verified)")
    try:
        rf = ReviewFile.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(pydantic_problems(exc, doc, ReviewFile)) from None
    problems: list[Problem] = []
    if site_code is not None and rf.site != site_code:
        problems.append(doc.problem(("site",), f"review is for site {rf.site!r}, but the submission is for {site_code!r}"))
    values: dict[str, Any] = {}
    for qid, vv in rf.verified.items():
        q = spec.questions.get(qid)
        if q is None:
            hint = suggest(qid, spec.questions)
            problems.append(doc.problem(("verified", qid), f"unknown question {qid!r}"
                                        + (f"; did you mean {hint!r}?" if hint else ""), key=True))
            continue
        v = check_value(q, vv.value, ("verified", qid, "value"), doc, problems)
        if v is not _INVALID:
            values[qid] = v
    if problems:
        raise InputError(problems)
    return Review(doc.file, doc.sha256, rf, values)


# -- which review goes with which submission --------------------------------------------------
#
# A folder's reviews live in ``reviews/``. A review goes with the submission of the same file
# name (and must then name that submission's site code: the parse checks it), or, when no
# submission has its file name, with the one submission whose site code it names. ``batch``,
# ``assess`` and ``report`` all use these functions, so a review is never applied by one and
# silently ignored by another.


SUBMISSION_SUFFIXES = (".yaml", ".xlsx", ".xlsm")


@dataclass
class Match:
    review: Optional[Path]
    how: Optional[str] = None        # "file name" | "site code"


def site_code_of(path: str | Path) -> Optional[str]:
    """The ``site`` code a YAML submission (``site.code``) or review (``site``) names; None if
    unreadable (a workbook submission is matched to its review by file name only)."""
    p = Path(path)
    if p.suffix != ".yaml":
        return None
    try:
        st = p.stat()
    except OSError:
        return None
    return _site_code(str(p), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8192)
def _site_code(path: str, _mtime: int, _size: int) -> Optional[str]:
    try:
        data = yamlsafe.load_file(path).data
    except InputError:
        return None
    if not isinstance(data, dict):
        return None
    site = data.get("site")
    if isinstance(site, dict):
        site = site.get("code")
    return site if isinstance(site, str) else None


def review_files(review_dir: Path) -> list[Path]:
    return sorted(p for p in review_dir.glob("*.yaml") if p.is_file()) if review_dir.is_dir() else []


def match_folder(subs: list[Path], review_dir: Path,
                 code_of: Any = None) -> tuple[dict[Path, Match], list[Problem]]:
    """Pair every review in ``review_dir`` with a submission in ``subs``; a review that goes
    with none (or is ambiguous) is a located problem, never silently skipped."""
    code_of = code_of or site_code_of
    by_name: dict[str, Path] = {}
    for p in sorted(subs, key=lambda p: p.suffix != ".yaml"):   # site.yaml before site.xlsx
        by_name.setdefault(p.stem, p)
    matches: dict[Path, Match] = {}
    problems: list[Problem] = []
    codes: Optional[dict[str, list[Path]]] = None
    rest = []
    for r in review_files(review_dir):   # file names first, so a code match never displaces one
        sub = by_name.get(r.stem)
        if sub is not None:
            matches[sub] = Match(r, "file name")
        else:
            rest.append(r)
    for r in rest:
        code = site_code_of(r)
        if code is None:
            problems.append(_located(r, "review matches no submission by file name, and its site code cannot be read"))
            continue
        if codes is None:
            codes = {}
            for p in subs:
                c = code_of(p)
                if c is not None:
                    codes.setdefault(c, []).append(p)
        cands = codes.get(code, [])
        if not cands:
            problems.append(_located(r, f"review matches no submission: none named {r.stem} and none "
                                        f"for site {code!r}"))
        elif len(cands) > 1:
            problems.append(_located(r, f"review for site {code!r} matches several submissions "
                                        f"({', '.join(p.name for p in cands)}); name it after one of them"))
        elif cands[0] in matches:
            problems.append(_located(r, f"a second review for {cands[0].name} (site {code!r}); "
                                        f"{matches[cands[0]].review.name} already applies to it"))  # type: ignore[union-attr]
        else:
            matches[cands[0]] = Match(r, "site code")
    return matches, problems


def find(sub: Path, review_dir: Optional[Path] = None) -> Match:
    """The review that goes with one submission, found exactly as ``batch`` finds it."""
    review_dir = review_dir or sub.parent / "reviews"
    if (review_dir / f"{sub.stem}.yaml").is_file():
        return Match(review_dir / f"{sub.stem}.yaml", "file name")
    # reviews named after no submission: only they can match by site code (usually there are none,
    # and then the submission is not read a second time just for its code)
    loose = [r for r in review_files(review_dir)
             if not any((sub.parent / f"{r.stem}{ext}").is_file() for ext in SUBMISSION_SUFFIXES)]
    if not loose:
        return Match(None)
    code = site_code_of(sub)
    if code is None or not any(site_code_of(r) == code for r in loose):
        return Match(None)
    # rare: a review named after no submission names this site; settle it as batch does
    from ..api import is_settings_file

    subs = sorted(p for p in sub.parent.iterdir()
                  if p.suffix in SUBMISSION_SUFFIXES and p.is_file() and not is_settings_file(p))
    matches, _ = match_folder(subs, review_dir)
    return next((m for p, m in matches.items() if p.name == sub.name), Match(None))


def _located(path: Path, message: str) -> Problem:
    try:
        doc = yamlsafe.load_file(path)
        return doc.problem(("site",), message) if isinstance(doc.data, dict) and "site" in doc.data \
            else Problem(str(path), message)
    except InputError:
        return Problem(str(path), message)
