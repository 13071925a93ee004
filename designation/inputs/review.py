"""Reviews: the network's verification of a self-assessment.

A review file replaces self-assessed answers with verified values, each with a reason. Both
values survive into the result, so a reader sees what the provider said and what was found.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import yamlsafe
from ..errors import InputError, Problem
from ..rules import suggest
from ..spec import Spec, pydantic_problems
from .submission import _INVALID, check_value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reviewer(_Model):
    name: str = Field(min_length=1)
    role: str = Field(min_length=1)


class VerifiedValue(_Model):
    value: Any
    reason: str = Field(min_length=1)


class ReviewFile(_Model):
    format: int = 1
    site: str
    reviewer: Reviewer
    reviewed_on: dt.date
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
            return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

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
