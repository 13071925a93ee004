"""Self-assessments: the provider's YAML file, checked against its specification.

Structure is checked by pydantic (unknown keys rejected with a suggestion); answers are checked
here against each question's type, unit, bounds and closed choices, with YAML 1.1 surprises
(``no`` read as false in a text answer) caught by the type rather than silently accepted.
Every problem names ``file:line:col``; all of a file's problems are reported at once.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Strict, ValidationError, field_validator
from typing_extensions import Annotated

from .. import spec as spec_mod
from . import yamlsafe
from ..errors import InputError, Problem
from ..rules import NUMERIC, format_value, suggest
from ..spec import Question, Spec

FORMAT = 1
MIN_YEAR, MAX_YEAR = 1900, 2999  # a plausible assessment date
EVIDENCE_GRACE_DAYS = 366        # evidence dated later than this after the assessment is a typo (2062 for 2026)
MAX_ANSWER = 10 ** 15             # the largest number an answer may be (counts in a proportion are not bounded)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- field types shared by every input file: a value is refused rather than coerced ---------------

def _no_number(v: Any) -> Any:
    """A date written as a number (20261001, or 1 read as 1970-01-01 plus a second) is refused."""
    if isinstance(v, (bool, int, float)):
        raise ValueError(f"expected a date such as 2026-10-01, got the number {v!r}")
    return v


def _plausible(v: dt.date) -> dt.date:
    if not MIN_YEAR <= v.year <= MAX_YEAR:
        raise ValueError(f"{v} is not a plausible date (expected a year from {MIN_YEAR} to {MAX_YEAR})")
    return v


def _non_blank(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be blank (it holds only spaces)" if v else "must not be empty")
    return v


Date = Annotated[dt.date, BeforeValidator(_no_number)]
PlausibleDate = Annotated[dt.date, BeforeValidator(_no_number), AfterValidator(_plausible)]
Text = Annotated[str, AfterValidator(_non_blank)]
FormatNumber = Annotated[int, Strict()]   # format: true, '1' or 1.0 are not format 1


class Site(_Model):
    name: Text
    code: Text
    organisation: Optional[str] = None
    network: Optional[str] = None
    address: Optional[str] = None


class Period(_Model):
    start: PlausibleDate
    end: PlausibleDate


class SignOff(_Model):
    name: Text
    role: Text
    date: Optional[PlausibleDate] = None


class Evidence(_Model):
    title: str
    reference: Optional[str] = None
    date: Optional[PlausibleDate] = None
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
    action: Text
    owner: Text
    due: PlausibleDate


class Envelope(_Model):
    format: FormatNumber = FORMAT
    spec: str
    edition: str
    site: Site
    claimed: Optional[str] = None
    assessed_on: Date
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
    notes: list[Problem] = field(default_factory=list)   # warnings: answers ignored, ...

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

        values = self.values
        ctx = Context(values, self.spec.defaults())
        return [qid for qid, q in self.spec.questions.items()
                if values.get(qid) is None and (q.applies is None or q.applies.evaluate(ctx) is not False)]


def load(path: str | Path, *, spec: Spec | None = None) -> Submission:
    """A submission from a YAML file, or from a workbook (``.xlsx``) through its own door."""
    if Path(path).suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        from . import workbook_read

        return workbook_read.load(path).submission
    return parse(yamlsafe.load_file(path), spec=spec)


SITE_IDENTIFIER = {"school": "school URN", "pharmacy": "pharmacy F-code"}


def site_identifier(setting: Optional[str]) -> str:
    """What ``site.code`` holds for a setting: an ODS code unless the setting uses its own."""
    return SITE_IDENTIFIER.get(setting or "", "ODS code")


def parse(doc: yamlsafe.Document, *, spec: Spec | None = None, today: dt.date | None = None) -> Submission:
    """Check a submission against its spec. Every problem is reported in one round: schema
    errors (missing keys, a date written 01/10/2026) and answer errors together, each located
    and saying what to write instead."""
    data = doc.data
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({data!r})"
        raise doc.error((), f"a submission must be a YAML mapping (spec, edition, site, answers ...), not {kind}")
    problems: list[Problem] = placeholders(doc)
    env: Optional[Envelope]
    try:
        env = Envelope.model_validate(data)
    except ValidationError as exc:
        problems += schema_problems(exc, doc, Envelope)
        env = None
    spec_id = env.spec if env is not None else data.get("spec")
    if spec is None and isinstance(spec_id, str) and spec_id:
        try:
            spec = spec_mod.load(spec_id)
        except InputError as exc:
            problems.append(doc.problem(("spec",), exc.problems[0].message))
    problems += _date_checks(doc, data.get("assessed_on"), today or dt.date.today())
    if env is not None:
        problems += _envelope_checks(doc, env, spec)
    elif spec is not None:
        problems += _plan_standards(doc, data.get("action_plans"), spec)
    answers: dict[str, Answer] = {}
    raw_answers = env.answers if env is not None else data.get("answers")
    if spec is not None and isinstance(raw_answers, dict):
        for qid, raw in raw_answers.items():
            path = ("answers", qid)
            q = spec.questions.get(qid) if isinstance(qid, str) else None
            if q is None:
                hint = suggest(str(qid), spec.questions)
                problems.append(doc.problem(path, f"unknown question {qid!r}" + (f"; did you mean {hint!r}?" if hint else ""), key=True))
                continue
            ans = _answer(q, raw, path, doc, problems)
            if ans is not None:
                answers[qid] = ans
    if env is not None:
        for qid, ans in answers.items():
            for i, ev in enumerate(ans.evidence):
                if ev.date is not None and (ev.date - env.assessed_on).days > EVIDENCE_GRACE_DAYS:
                    problems.append(doc.problem(("answers", qid, "evidence", i, "date"),
                                                f"evidence {i + 1} for {qid!r} is dated {ev.date}, more than a year "
                                                f"after the assessment date {env.assessed_on}; check the year"))
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0, p.column or 0)))
    assert env is not None and spec is not None
    notes = _ignore_inapplicable(doc, spec, answers)
    return Submission(doc.file, doc, env, spec, answers, notes)


def _date_checks(doc: yamlsafe.Document, day: Any, today: dt.date) -> list[Problem]:
    if isinstance(day, dt.datetime):
        day = day.date()
    if not isinstance(day, dt.date):
        return []   # missing or not a date: the schema check says so
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        # policy windows are worked out in months from this date; year 1 or 9999 overflowed them
        return [doc.problem(("assessed_on",), f"assessed_on {day} is not a plausible assessment "
                                              f"date (expected a year from {MIN_YEAR} to {MAX_YEAR})")]
    if day > today:
        return [doc.problem(("assessed_on",), f"assessed_on {day} is in the future (today is {today}); "
                                              "write the date the assessment was made")]
    return []


def _envelope_checks(doc: yamlsafe.Document, env: Envelope, spec: Optional[Spec]) -> list[Problem]:
    problems: list[Problem] = []
    if env.format != FORMAT:
        problems.append(doc.problem(("format",), f"format {env.format} is not supported; this version reads format {FORMAT}"))
    if env.period and env.period.end < env.period.start:
        problems.append(doc.problem(("period", "end"), "period ends before it starts"))
    if spec is None:
        return problems
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
    problems += _plan_standards(doc, env.action_plans, spec)
    for sid, plan in env.action_plans.items():
        if spec.standard(sid) is not None and plan.due <= env.assessed_on:
            problems.append(doc.problem(("action_plans", sid, "due"), f"action plan for {sid} is due on {plan.due}, "
                                                                      f"not after the assessment date {env.assessed_on}"))
    return problems


def _plan_standards(doc: yamlsafe.Document, plans: Any, spec: Spec) -> list[Problem]:
    """Action plans for standards the spec does not have, or for limiters (which no plan covers).
    Checked on the raw keys too, so a plan's other faults (a bad date) do not hide these."""
    problems: list[Problem] = []
    for sid in plans if isinstance(plans, dict) else ():
        path = ("action_plans", sid)
        if not isinstance(sid, str) or spec.standard(sid) is not None:
            continue
        lim = next((x for x in spec.policy.limiters if sid == x.id or sid in x.formerly), None)
        if lim is not None:
            now = f"{sid} is now the limiter {lim.id!r}" if sid != lim.id else f"{sid} is a limiter"
            problems.append(doc.problem(path, f"action plan for {sid}: {now} ({lim.description.rstrip('.')}), and no "
                                              "action plan or derogation covers a limiter; the site itself must change",
                                        key=True))
        else:
            hint = suggest(str(sid), [s.id for s in spec.standards])
            problems.append(doc.problem(path, f"action plan for unknown standard {sid!r}"
                                              + (f"; did you mean {hint!r}?" if hint else ""), key=True))
    return problems


def _ignore_inapplicable(doc: yamlsafe.Document, spec: Spec, answers: dict[str, Answer]) -> list[Problem]:
    """Drop answers to questions that do not apply to this site (their ``applies_when`` is
    false), and say so: the provider may have the wrong setting, or answered in vain."""
    from ..rules import Context

    ctx = Context({q: a.value for q, a in answers.items()}, spec.defaults())
    notes: list[Problem] = []
    for qid in list(answers):
        q = spec.questions[qid]
        if answers[qid].value is not None and q.applies is not None and q.applies.evaluate(ctx) is False:
            del answers[qid]
            notes.append(doc.problem(("answers", qid), f"answer to {qid!r} ignored: the question applies only when "
                                                      f"{q.applies.describe(ctx.params)}", key=True))
    return notes


PLACEHOLDER = "REPLACE:"


def placeholders(doc: yamlsafe.Document) -> list[Problem]:
    """Every ``REPLACE:`` placeholder a template left that was never filled in."""
    if not _mentions_placeholder(doc.data):   # the common case, without building a path per value
        return []
    out: list[Problem] = []
    stack: list[tuple[tuple, Any]] = [((), doc.data)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, dict):
            stack += [(path + (k,), x) for k, x in v.items()]
        elif isinstance(v, list):
            stack += [(path + (i,), x) for i, x in enumerate(v)]
        elif isinstance(v, str) and v.lstrip().startswith(PLACEHOLDER):
            where = ".".join(str(x) for x in path)
            out.append(doc.problem(path, f"{where} still holds the template's placeholder {v!r}; write the real value"))
    return sorted(out, key=lambda p: (p.line or 0, p.column or 0))


def _mentions_placeholder(data: Any) -> bool:
    """Whether any text in ``data`` contains the placeholder marker (a cheap superset test)."""
    stack = [data]
    while stack:
        v = stack.pop()
        cls = v.__class__
        if cls is dict:
            stack.extend(v.values())
        elif cls is list:
            stack.extend(v)
        elif cls is str and PLACEHOLDER in v:
            return True
    return False


def schema_problems(exc: ValidationError, doc: yamlsafe.Document, model: type[BaseModel], prefix: tuple = ()) -> list[Problem]:
    """pydantic's errors, located, with a remedy where pydantic's own words would puzzle a
    provider (a date written 01/10/2026)."""
    out = spec_mod.pydantic_problems(exc, doc, model, prefix)
    for i, e in enumerate(exc.errors()):
        if isinstance(e.get("input"), str) and e["input"].lstrip().startswith(PLACEHOLDER):
            out[i] = None  # type: ignore[call-overload]  # placeholders() reports it
        elif e["type"].startswith("date") or e["type"].startswith("datetime"):
            loc = prefix + tuple(e["loc"])
            where = ".".join(str(x) for x in loc)
            out[i] = doc.problem(loc, f"{where}: {date_remedy(e.get('input'))}")
        elif e["type"] == "string_type" and isinstance(e.get("input"), (int, float)) and not isinstance(e["input"], bool):
            loc = prefix + tuple(e["loc"])   # an identifier such as 109999 read as a number
            where = ".".join(str(x) for x in loc)
            out[i] = doc.problem(loc, f"{where}: write {e['input']} in quotes (\"{e['input']}\"), so it is read as text")
    return [p for p in out if p is not None]


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
                for p in schema_problems(exc, doc, Evidence, path + ("evidence", i)):
                    problems.append(Problem(doc.file, f"evidence {i + 1} for {q.id!r}: {p.message}", p.line, p.column))
        raw = raw["value"]
        vpath = path + ("value",)
    value = check_value(q, raw, vpath, doc, problems)
    if value is _INVALID:
        return None
    return Answer(value, evidence, comment)


_INVALID = object()


def check_value(q: Question, raw: Any, path: tuple, doc: yamlsafe.Document, problems: list[Problem]) -> Any:
    """The answer's value in its question's type, or _INVALID with a located problem recorded."""
    try:
        return read_value(q, raw)
    except BadAnswer as exc:
        problems.append(doc.problem(path, f"{q.id}: {exc}"))
        return _INVALID


class BadAnswer(ValueError):
    """An answer that cannot be read as its question's type; the message says what to write."""


def read_value(q: Question, raw: Any) -> Any:
    """``raw`` (as YAML or a spreadsheet cell gives it) in ``q``'s type, or BadAnswer whose
    message says what to write instead. Every door into a submission uses this, so a provider
    gets the same remedy whichever file they filled in. ``None`` is an unanswered question."""
    if raw is None:
        return None
    t = q.type
    if isinstance(raw, str) and t != "text" and not (t == "choice" and raw in (q.choices or [])):
        na = _not_applicable(raw)
        if na:
            raise BadAnswer(na)
    if t == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _YES_NO:
            meant = _YES_NO[raw.strip().lower()]
            if raw.strip().lower() in ("yes", "no", "true", "false"):
                raise BadAnswer(f"write {meant} without quotes (in quotes it is text, not a yes/no answer)")
            raise BadAnswer(f"{raw!r} is not yes or no; did you mean {meant}?")
        raise BadAnswer(f"expected yes or no (true/false), got {raw!r}")
    if t == "proportion":
        if _as_number(raw) is not None:
            raise BadAnswer(f"got {_shown(raw)}; give the two counts; the percentage is worked out for you: "
                            "{numerator: N, denominator: M} (e.g. 17 of 20 is {numerator: 17, denominator: 20})")
        if isinstance(raw, str):
            m = re.fullmatch(r"\s*(\d+)\s*(?:/|of|out of)\s*(\d+)\s*", raw)
            if m:
                raise BadAnswer(f"write the counts as {{numerator: {m[1]}, denominator: {m[2]}}}")
        if not isinstance(raw, dict) or set(raw) != {"numerator", "denominator"}:
            raise BadAnswer("expected counts as {numerator: N, denominator: M}; the percentage is worked out for you")
        n, d = raw["numerator"], raw["denominator"]
        for name, v in (("numerator", n), ("denominator", d)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise BadAnswer(f"{name} must be a whole number of 0 or more, got {v!r}")
        if n > d:
            raise BadAnswer(f"numerator {n} is larger than denominator {d}")
        return Proportion(n, d)
    if t in NUMERIC:
        kind = q.unit or {"hours_per_day": "hours a day"}.get(t, t.replace("_", " "))
        if isinstance(raw, bool):
            raise BadAnswer(f"expected a number ({kind}), got {'yes' if raw else 'no'} "
                            "(YAML reads yes/no as true/false)")
        if isinstance(raw, str):
            raise BadAnswer(_number_remedy(raw, kind))
        if not isinstance(raw, (int, float)):
            raise BadAnswer(f"expected a number ({kind}), got {raw!r}")
        if t == "integer" and isinstance(raw, float):
            if not raw.is_integer():
                raise BadAnswer(f"expected a whole number, got {raw}")
            raw = int(raw)
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise BadAnswer(f"expected a finite number, got {raw}")
        if abs(raw) > MAX_ANSWER:   # a 400-digit answer overflowed every later float() of it
            from ..textsafe import shown

            raise BadAnswer(f"{shown(raw)} is too large to be an answer (the limit is {MAX_ANSWER:,.0f})")
        lo, hi = q.bounds()
        if (lo is not None and raw < lo) or (hi is not None and raw > hi):
            unit = q.unit or {"percentage": "%", "hours_per_day": "hours a day"}.get(t, "")
            unit = f" {unit}" if unit and unit != "%" else unit
            rng = (f"at least {_num(lo)}{unit}" if hi is None else f"at most {_num(hi)}{unit}" if lo is None
                   else f"between {_num(lo)} and {_num(hi)}{unit}")
            raise BadAnswer(f"{raw} is out of bounds: must be {rng}")
        return raw
    if t == "choice":
        if not isinstance(raw, str) or raw not in (q.choices or []):
            folded = {c.lower().replace("-", "_").replace(" ", "_"): c for c in q.choices or []}
            hint = (folded.get(raw.strip().lower().replace("-", "_").replace(" ", "_")) if isinstance(raw, str) else None) \
                or suggest(str(raw), q.choices or [])
            raise BadAnswer(f"{raw!r} is not one of {', '.join(q.choices or [])}" + (f"; did you mean {hint!r}?" if hint else ""))
        return raw
    if t == "date":
        if isinstance(raw, dt.datetime):
            return raw.date()
        if not isinstance(raw, dt.date):
            raise BadAnswer(date_remedy(raw))
        return raw
    if t == "text":
        if isinstance(raw, bool):
            raise BadAnswer(f"expected text, got {'yes' if raw else 'no'} read as a yes/no value; put the text in quotes")
        if not isinstance(raw, str):
            raise BadAnswer(f"expected text, got {raw!r}; put the text in quotes")
        return raw
    return raw  # pragma: no cover - every type is handled above


_YES_NO = {"y": "yes", "yes": "yes", "true": "yes", "t": "yes", "ja": "yes", "oui": "yes", "1": "yes",
           "n": "no", "no": "no", "false": "no", "f": "no", "0": "no"}
_NA = re.compile(r"(?i)\s*(n\s*/\s*a|n\.a\.?|na|not\s+applicable|not\s+known|unknown|tbc|tbd|-+|\?+)\s*")


def _not_applicable(raw: str) -> Optional[str]:
    if _NA.fullmatch(raw):
        return (f"{raw.strip()!r} is not an answer; leave the question unanswered (~) and say why in a comment: "
                "{value: ~, comment: \"why it cannot be answered\"}")
    return None


def _shown(raw: Any) -> str:
    return repr(raw) if isinstance(raw, str) else str(raw)


def _as_number(raw: Any) -> Optional[float]:
    """A number, or a number written as text with a % sign or spaces; None otherwise."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return raw
    if isinstance(raw, str):
        m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*%?\s*", raw)
        if m:
            return float(m[1])
    return None


def _number_remedy(raw: str, kind: str) -> str:
    text = raw.strip()
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*%", text)
    if m:
        return f"write {m[1]}, without the % sign"
    m = re.fullmatch(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?", text)
    if m:
        return f"write {text.replace(',', '')}, without the commas"
    m = re.match(r"(-?\d+(?:\.\d+)?)\s*[^\d\s]", text)
    if m:
        return f"write the number alone, {m[1]} ({kind}), without {text[m.end(1):].strip()!r}"
    m = re.fullmatch(r"-?\d+(?:\.\d+)?", text)
    if m:
        return f"write {text} without quotes, as a number"
    return f"expected a number ({kind}), got {raw!r}"


_DMY = re.compile(r"\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*")


def date_remedy(raw: Any) -> str:
    """What to write when ``raw`` is not a date: ISO 8601, with the likely date where it can be
    told, and why 01/10/2026 cannot."""
    base = "write dates as YYYY-MM-DD, e.g. 2026-10-01"
    if isinstance(raw, str):
        m = _DMY.fullmatch(raw)
        if m:
            a, b, y = int(m[1]), int(m[2]), m[3]
            if a <= 12 and b <= 12 and a != b:
                return f"{base} ({raw.strip()} is ambiguous: {a} {_MONTHS[b]} or {b} {_MONTHS[a]}?)"
            if 1 <= b <= 12 and 1 <= a <= 31:
                return f"{base}; {raw.strip()!r} is probably {y}-{b:02d}-{a:02d}"
        return f"{base}, got {raw!r}"
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return f"{base}, got the number {raw}"
    if isinstance(raw, dt.datetime):
        return f"write a date without a time, e.g. {raw.date().isoformat()} (got {raw.isoformat(sep=' ')})"
    return f"{base}, got {raw!r}"


_MONTHS = ["", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


def _num(v: Any) -> str:
    if v is None:
        return "any"
    return str(int(v)) if float(v).is_integer() else str(v)
