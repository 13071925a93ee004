"""Self-assessments: the provider's YAML file, checked against its specification.

Structure is checked by pydantic (unknown keys rejected with a suggestion); answers are checked
here against each question's type, unit, bounds and closed choices, with YAML 1.1 surprises
(``no`` read as false in a text answer) caught by the type rather than silently accepted.
Every problem names ``file:line:col``; all of a file's problems are reported at once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .. import spec as spec_mod
from . import yamlsafe
from ..errors import InputError, Problem
from ..rules import NUMERIC, format_value, suggest
from ..spec import Question, Spec

FORMAT = 1
MIN_YEAR, MAX_YEAR = 1900, 2999  # a plausible assessment date


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Site(_Model):
    name: str = Field(min_length=1)
    code: str = Field(min_length=1)
    organisation: Optional[str] = None
    network: Optional[str] = None
    address: Optional[str] = None


class Period(_Model):
    start: dt.date
    end: dt.date


class SignOff(_Model):
    name: str
    role: str
    date: Optional[dt.date] = None


class Evidence(_Model):
    title: str
    reference: Optional[str] = None
    date: Optional[dt.date] = None
    owner: Optional[str] = None

    @field_validator("title")
    @classmethod
    def _titled(cls, v: str) -> str:
        if not v.strip():   # an untitled item would silence the evidence_missing flag
            raise ValueError("evidence needs a title")
        return v

    @field_validator("reference", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


class ActionPlan(_Model):
    action: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    due: dt.date


class Envelope(_Model):
    format: int = FORMAT
    spec: str
    edition: str
    site: Site
    claimed: Optional[str] = None
    assessed_on: dt.date
    period: Optional[Period] = None
    signed_off_by: Optional[SignOff] = None
    answers: dict[str, Any] = {}
    action_plans: dict[str, ActionPlan] = {}

    @field_validator("edition", mode="before")
    @classmethod
    def _edition_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


@dataclass(frozen=True)
class Proportion:
    """An audit measure answered as counts; the engine works out the percentage."""

    numerator: int
    denominator: int

    @property
    def percent(self) -> Optional[float]:
        # integer true division is exact up to one rounding and cannot overflow here (n <= d);
        # 100.0 * n overflowed for counts of more than 308 digits
        return None if self.denominator == 0 else 100 * self.numerator / self.denominator

    def describe(self) -> str:
        if self.denominator == 0:
            return f"{self.numerator} of 0 (no eligible cases)"
        return f"{format_value(round(self.percent, 1), 'percentage')} ({self.numerator} of {self.denominator})"

    def to_json(self) -> dict:
        return {"numerator": self.numerator, "denominator": self.denominator, "percent": self.percent}


@dataclass
class Answer:
    value: Any
    evidence: list[Evidence] = field(default_factory=list)
    comment: Optional[str] = None


@dataclass
class Submission:
    file: str
    doc: yamlsafe.Document
    envelope: Envelope
    spec: Spec
    answers: dict[str, Answer]

    @property
    def values(self) -> dict[str, Any]:
        return {q: a.value for q, a in self.answers.items()}

    @property
    def site(self) -> Site:
        return self.envelope.site

    @property
    def claimed(self) -> Optional[str]:
        return self.envelope.claimed

    @property
    def assessed_on(self) -> dt.date:
        return self.envelope.assessed_on

    def unanswered(self) -> list[str]:
        """Questions that apply to this site (by their ``applies_when``) and have no answer."""
        from ..rules import Context

        ctx = Context(self.values, self.spec.defaults())
        return [qid for qid, q in self.spec.questions.items()
                if self.values.get(qid) is None and (q.applies is None or q.applies.evaluate(ctx) is not False)]


def load(path: str | Path, *, spec: Spec | None = None) -> Submission:
    return parse(yamlsafe.load_file(path), spec=spec)


def parse(doc: yamlsafe.Document, *, spec: Spec | None = None) -> Submission:
    data = doc.data
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({data!r})"
        raise doc.error((), f"a submission must be a YAML mapping (spec, edition, site, answers ...), not {kind}")
    try:
        env = Envelope.model_validate(data)
    except ValidationError as exc:
        raise InputError(spec_mod.pydantic_problems(exc, doc, Envelope)) from None
    problems: list[Problem] = []
    if env.format != FORMAT:
        problems.append(doc.problem(("format",), f"format {env.format} is not supported; this version reads format {FORMAT}"))
    if not MIN_YEAR <= env.assessed_on.year <= MAX_YEAR:
        # policy windows are worked out in months from this date; year 1 or 9999 overflowed them
        problems.append(doc.problem(("assessed_on",), f"assessed_on {env.assessed_on} is not a plausible assessment "
                                                      f"date (expected a year from {MIN_YEAR} to {MAX_YEAR})"))
    if spec is None:
        try:
            spec = spec_mod.load(env.spec)
        except InputError as exc:
            raise doc.error(("spec",), exc.problems[0].message) from None
    if env.edition != spec.edition:
        problems.append(doc.problem(("edition",), f"spec {spec.id!r} edition {env.edition!r} is not available; "
                                                  f"this installation has edition {spec.edition!r}"))
    if not spec.file.designates:
        problems.append(doc.problem(("spec",), f"spec {spec.id!r} is a library of standards used by other specs; "
                                               "assess against a spec that includes it"))
    if spec.ladder:
        if env.claimed is None:
            env.claimed = spec.ladder.level
        elif env.claimed != spec.ladder.level:
            problems.append(doc.problem(("claimed",), f"claimed {env.claimed!r}, but spec {spec.id!r} designates "
                                                      f"{spec.ladder.level!r}; use the spec for the level claimed"))
    answers: dict[str, Answer] = {}
    for qid, raw in env.answers.items():
        path = ("answers", qid)
        q = spec.questions.get(qid) if isinstance(qid, str) else None
        if q is None:
            hint = suggest(str(qid), spec.questions)
            problems.append(doc.problem(path, f"unknown question {qid!r}" + (f"; did you mean {hint!r}?" if hint else ""), key=True))
            continue
        ans = _answer(q, raw, path, doc, problems)
        if ans is not None:
            answers[qid] = ans
    for sid, plan in env.action_plans.items():
        path = ("action_plans", sid)
        if spec.standard(sid) is None:
            hint = suggest(str(sid), [s.id for s in spec.standards])
            problems.append(doc.problem(path, f"action plan for unknown standard {sid!r}"
                                              + (f"; did you mean {hint!r}?" if hint else ""), key=True))
        elif plan.due <= env.assessed_on:
            problems.append(doc.problem(path + ("due",), f"action plan for {sid} is due on {plan.due}, "
                                                         f"not after the assessment date {env.assessed_on}"))
    if env.period and env.period.end < env.period.start:
        problems.append(doc.problem(("period", "end"), "period ends before it starts"))
    if problems:
        raise InputError(problems)
    return Submission(doc.file, doc, env, spec, answers)


_FAST = {"boolean": bool, "text": str}


def _answer(q: Question, raw: Any, path: tuple, doc: yamlsafe.Document, problems: list[Problem]) -> Optional[Answer]:
    if _FAST.get(q.type) is raw.__class__:  # the commonest answers: a bare yes/no or text
        return Answer(raw)
    evidence: list[Evidence] = []
    comment = None
    vpath = path
    if isinstance(raw, dict) and not (q.type == "proportion" and "value" not in raw):
        extra = set(raw) - {"value", "evidence", "comment"}
        for k in sorted(extra, key=str):
            hint = suggest(str(k), ["value", "evidence", "comment"])
            problems.append(doc.problem(path + (k,), f"unknown key {k!r} in answer {q.id!r}"
                                                     + (f"; did you mean {hint!r}?" if hint else ""), key=True))
        if "value" not in raw:
            problems.append(doc.problem(path, f"answer {q.id!r} has no 'value'"))
            return None
        comment = raw.get("comment")
        if comment is not None and not isinstance(comment, str):
            problems.append(doc.problem(path + ("comment",), f"comment on {q.id!r} must be text"))
        ev = raw.get("evidence", [])
        if not isinstance(ev, list):
            problems.append(doc.problem(path + ("evidence",), f"evidence for {q.id!r} must be a list"))
            ev = []
        for i, item in enumerate(ev):
            try:
                evidence.append(Evidence.model_validate(item))
            except ValidationError as exc:
                for p in spec_mod.pydantic_problems(exc, doc, Evidence, path + ("evidence", i)):
                    problems.append(Problem(doc.file, f"evidence {i + 1} for {q.id!r}: {p.message}", p.line, p.column))
        raw = raw["value"]
        vpath = path + ("value",)
    value = check_value(q, raw, vpath, doc, problems)
    if value is _INVALID:
        return None
    return Answer(value, evidence, comment)


_INVALID = object()


def check_value(q: Question, raw: Any, path: tuple, doc: yamlsafe.Document, problems: list[Problem]) -> Any:
    """The answer's value in its question's type, or _INVALID with a problem recorded."""
    def bad(msg: str) -> Any:
        problems.append(doc.problem(path, f"{q.id}: {msg}"))
        return _INVALID

    if raw is None:
        return None
    t = q.type
    if t == "boolean":
        if not isinstance(raw, bool):
            return bad(f"expected yes or no (true/false), got {raw!r}")
        return raw
    if t == "proportion":
        if not isinstance(raw, dict) or set(raw) != {"numerator", "denominator"}:
            return bad("expected counts as {numerator: N, denominator: M}")
        n, d = raw["numerator"], raw["denominator"]
        for name, v in (("numerator", n), ("denominator", d)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                return bad(f"{name} must be a whole number of 0 or more, got {v!r}")
        if n > d:
            return bad(f"numerator {n} is larger than denominator {d}")
        return Proportion(n, d)
    if t in NUMERIC:
        if isinstance(raw, bool):
            return bad(f"expected a number ({q.unit or t.replace('_', ' ')}), got {'yes' if raw else 'no'} "
                       "(YAML reads yes/no as true/false)")
        if not isinstance(raw, (int, float)):
            return bad(f"expected a number ({q.unit or t.replace('_', ' ')}), got {raw!r}")
        if t == "integer" and isinstance(raw, float):
            if not raw.is_integer():
                return bad(f"expected a whole number, got {raw}")
            raw = int(raw)
        if raw != raw or raw in (float("inf"), float("-inf")):
            return bad(f"expected a finite number, got {raw}")
        lo, hi = q.bounds()
        if (lo is not None and raw < lo) or (hi is not None and raw > hi):
            unit = q.unit or {"percentage": "%", "hours_per_day": "hours a day"}.get(t, "")
            unit = f" {unit}" if unit and unit != "%" else unit
            rng = (f"at least {_num(lo)}{unit}" if hi is None else f"at most {_num(hi)}{unit}" if lo is None
                   else f"between {_num(lo)} and {_num(hi)}{unit}")
            return bad(f"{raw} is out of bounds: must be {rng}")
        return raw
    if t == "choice":
        if not isinstance(raw, str) or raw not in (q.choices or []):
            hint = suggest(str(raw), q.choices or [])
            return bad(f"{raw!r} is not one of {', '.join(q.choices or [])}" + (f"; did you mean {hint!r}?" if hint else ""))
        return raw
    if t == "date":
        if isinstance(raw, dt.datetime):
            return raw.date()
        if not isinstance(raw, dt.date):
            return bad(f"expected a date such as 2026-10-01, got {raw!r}")
        return raw
    if t == "text":
        if isinstance(raw, bool):
            return bad(f"expected text, got {'yes' if raw else 'no'} read as a yes/no value; put the text in quotes")
        if not isinstance(raw, str):
            return bad(f"expected text, got {raw!r}; put the text in quotes")
        return raw
    return raw  # pragma: no cover - every type is handled above


def _num(v: Any) -> str:
    if v is None:
        return "any"
    return str(int(v)) if float(v).is_integer() else str(v)
