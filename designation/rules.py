"""The condition language: a closed, declarative set of forms, compiled once per spec.

A condition is data (see ``docs/spec-format.md``). :func:`compile_condition` checks it against
the spec's questions and parameters and turns it into a small tree of objects that can

* ``evaluate(ctx)`` to ``True``, ``False`` or ``None`` (a question it needs is unanswered),
* ``describe(params)`` itself in plain English ("... is at least 16 hours a day"), and
* ``explain(ctx)`` say which parts are not met, as structured clauses (what is needed, what was
  reported), and ``failures(ctx)`` the same as sentences (see :func:`clause_text`).

Explanations have this one home: the engine keeps the clauses on each result, and the terminal,
the JSON and the PDF all print them through :func:`clause_text`.

There is no Python and no ``eval`` anywhere in it: a spec can only say what these forms say.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from .errors import Problem

NUMERIC = {"integer", "number", "percentage", "hours_per_day", "minutes", "proportion"}
COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "between")
_WORDS = {
    "eq": "is", "ne": "is not", "gt": "is more than", "gte": "is at least",
    "lt": "is less than", "lte": "is at most", "in": "is one of", "not_in": "is none of",
    "between": "is between",
}
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
    "between": lambda a, b: b[0] <= a <= b[1],
}
# what a comparison needs, as a clinician would say it: "<label> must be at least 16 hours a day"
_MUST = {
    "eq": "must be", "ne": "must not be", "gt": "must be more than", "gte": "must be at least",
    "lt": "must be less than", "lte": "must be at most", "in": "must be", "not_in": "must not be",
    "between": "must be between",
}
DEFAULT_UNITS = {
    "hours_per_day": "hours a day",
    "minutes": "minutes",
    "percentage": "%",
    "proportion": "%",
}


class Context:
    """What a condition is evaluated against: answers (question id -> value) and parameters."""

    __slots__ = ("answers", "params")

    def __init__(self, answers: Mapping[str, Any], params: Mapping[str, Any]):
        self.answers = answers
        self.params = params


def day(value: Any) -> str:
    """The one date style of every explanation, table and report: ``7 Mar 2027``."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        return "" if value is None else str(value)
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # not the locale's


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 core standard``, ``3 core standards``: never "standard(s)"."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def article(noun: str) -> str:
    """``an emergency centre``, ``a UCC``, ``an EC``."""
    noun = str(noun)
    if noun.lower().startswith(("a ", "an ", "the ")):  # already has one
        return noun
    if noun[:1].isupper() and noun[1:2].isupper():  # an abbreviation, said letter by letter
        return ("an " if noun[0] in "AEFHILMNORSX" else "a ") + noun
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def format_value(value: Any, qtype: str | None, unit: str | None = None) -> str:
    """A value as a person reads it: ``16 hours a day``, ``95%``, ``yes``, ``1 Oct 2026``."""
    if value is None:
        return "not answered"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return day(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v, qtype, None) for v in value)
    if isinstance(value, float):
        text = f"{value:.1f}".rstrip("0").rstrip(".")
    elif isinstance(value, str):
        text = value.replace("_", " ") if qtype == "choice" else value
    else:
        text = str(value)
    unit = unit if unit is not None else DEFAULT_UNITS.get(qtype or "")
    if not unit:
        return text
    if unit == "%":
        return f"{text}{unit}"
    if text == "1":  # "1 hour a day", "1 kit", not "1 hours a day"
        first, _, rest = unit.partition(" ")
        if first.endswith("s") and not first.endswith("ss") and len(first) > 2:
            unit = first[:-1] + (" " + rest if rest else "")
    return f"{text} {unit}"


def clause_text(clause: Mapping[str, Any], nested: bool = False) -> str:
    """One explanation clause as a sentence fragment (no capital, no full stop).

    Forms: ``answer`` (a question with no answer), ``compare`` (what is needed and what was
    reported; a yes/no question reads "<label>: reported no, needed yes"), ``group`` (how many
    of several are needed and how many are in place, then each part) and ``not``.
    """
    kind = clause.get("form")
    if kind == "answer":
        return f"{clause['label']} is not answered"
    if kind == "compare":
        if clause.get("boolean"):
            if nested:
                return f"{clause['label']}: {clause['reported']}"
            return f"{clause['label']}: reported {clause['reported']}, needed {clause['needed']}"
        if nested:
            return f"{clause['need']} (reported: {clause['reported']})"
        return f"{clause['need']}; reported: {clause['reported']}"
    if kind == "group":
        parts = "; ".join(clause_text(c, True) for c in clause["parts"])
        return f"{clause['need']}, {clause['have']}: {parts}"
    if kind == "not":
        return f"this must not be so: {clause['need']}"
    return str(clause.get("text", ""))


def _count_words(n: int) -> str:
    return {0: "none", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}.get(n, str(n))


class Condition:
    """Base of the compiled forms."""

    def evaluate(self, ctx: Context) -> bool | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self, params: Mapping[str, Any]) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def explain(self, ctx: Context) -> list[dict[str, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def failures(self, ctx: Context) -> list[str]:
        return [clause_text(c) for c in self.explain(ctx)]

    def questions(self) -> set[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def parameters(self) -> set[str]:
        """The parameters this condition compares with (so a report lists only those that apply)."""
        return set().union(*(p.parameters() for p in getattr(self, "parts", ())),
                           *((self.part.parameters(),) if hasattr(self, "part") else ()))


@dataclass(eq=False)
class Compare(Condition):
    question: str
    op: str
    value: Any  # literal, tuple for in/between, or ParamRef
    qtype: str
    label: str
    unit: str | None

    def __post_init__(self) -> None:
        # evaluation is the hot path: decide once what it needs
        v = self.value
        self._fn = _OPS[self.op]
        self._literal = not (isinstance(v, ParamRef) or (isinstance(v, tuple) and any(isinstance(x, ParamRef) for x in v)))
        self._proportion = self.qtype == "proportion"

    def _target(self, params: Mapping[str, Any]) -> Any:
        v = self.value
        if isinstance(v, ParamRef):
            return params[v.name]
        if isinstance(v, tuple):
            return tuple(params[x.name] if isinstance(x, ParamRef) else x for x in v)
        return v

    def evaluate(self, ctx: Context) -> bool | None:
        answer = ctx.answers.get(self.question)
        if answer is None:
            return None
        if self._proportion:
            answer = answer.percent
            if answer is None:
                return None
        return self._fn(answer, self.value if self._literal else self._target(ctx.params))

    def describe(self, params: Mapping[str, Any]) -> str:
        if self._literal:  # the same words whatever the parameters: worked out once
            text = self.__dict__.get("_text")
            if text is None:
                text = self._text = self._describe(params)
            return text
        return self._describe(params)

    def _describe(self, params: Mapping[str, Any]) -> str:
        target = self._target(params)
        if self.qtype == "boolean":
            positive = (self.op == "eq") == bool(target)
            return self.label if positive else f"it is not the case that {self.label}"
        if self.op == "between":
            lo, hi = (format_value(t, self.qtype, self.unit) for t in target)
            return f"{self.label} is between {lo} and {hi}"
        if self.op in ("in", "not_in"):
            items = " or ".join(format_value(t, self.qtype, self.unit) for t in target)
            return f"{self.label} {'is' if self.op == 'in' else 'is not'} {items}"
        return f"{self.label} {_WORDS[self.op]} {format_value(target, self.qtype, self.unit)}"

    def need(self, params: Mapping[str, Any]) -> str:
        """What the comparison needs: ``<label> must be at least 16 hours a day``."""
        target = self._target(params)
        if self.op == "between":
            lo, hi = (format_value(t, self.qtype, self.unit) for t in target)
            return f"{self.label} must be between {lo} and {hi}"
        if self.op in ("in", "not_in"):
            items = " or ".join(format_value(t, self.qtype, self.unit) for t in target)
            return f"{self.label} {_MUST[self.op]} {items}"
        if self.op == "lte" and target == 0:  # "at most 0 closures" reads as "no closures"
            return f"{self.label} must be 0"
        return f"{self.label} {_MUST[self.op]} {format_value(target, self.qtype, self.unit)}"

    def explain(self, ctx: Context) -> list[dict[str, Any]]:
        result = self.evaluate(ctx)
        if result is True:
            return []
        if result is None:
            return [{"form": "answer", "question": self.question, "label": self.label}]
        reported = ctx.answers.get(self.question)
        shown = reported.describe() if self.qtype == "proportion" else format_value(reported, self.qtype, self.unit)
        if self.qtype == "boolean":
            needed = (self.op == "eq") == bool(self._target(ctx.params))
            return [{"form": "compare", "question": self.question, "label": self.label, "boolean": True,
                     "need": self.describe(ctx.params), "needed": "yes" if needed else "no", "reported": shown}]
        return [{"form": "compare", "question": self.question, "label": self.label, "boolean": False,
                 "need": self.need(ctx.params), "reported": shown}]

    def questions(self) -> set[str]:
        return {self.question}

    def parameters(self) -> set[str]:
        v = self.value
        items = v if isinstance(v, tuple) else (v,)
        return {x.name for x in items if isinstance(x, ParamRef)}


@dataclass(eq=False)
class Answered(Condition):
    question: str
    label: str

    def evaluate(self, ctx: Context) -> bool | None:
        return ctx.answers.get(self.question) is not None

    def describe(self, params: Mapping[str, Any]) -> str:
        return f"{self.label} is answered"

    def explain(self, ctx: Context) -> list[dict[str, Any]]:
        return [] if self.evaluate(ctx) else [{"form": "answer", "question": self.question, "label": self.label}]

    def questions(self) -> set[str]:
        return {self.question}


@dataclass(eq=False)
class All(Condition):
    parts: list[Condition]

    def evaluate(self, ctx: Context) -> bool | None:
        unknown = False
        for p in self.parts:
            r = p.evaluate(ctx)
            if r is False:
                return False
            if r is None:
                unknown = True
        return None if unknown else True

    def describe(self, params: Mapping[str, Any]) -> str:
        return "; and ".join(p.describe(params) for p in self.parts)

    def explain(self, ctx: Context) -> list[dict[str, Any]]:
        return [c for p in self.parts for c in p.explain(ctx)]

    def questions(self) -> set[str]:
        return set().union(*(p.questions() for p in self.parts))


@dataclass(eq=False)
class AtLeast(Condition):
    n: int
    parts: list[Condition]

    def evaluate(self, ctx: Context) -> bool | None:
        results = [p.evaluate(ctx) for p in self.parts]
        yes = results.count(True)
        if yes >= self.n:
            return True
        if yes + results.count(None) < self.n:
            return False
        return None

    def describe(self, params: Mapping[str, Any]) -> str:
        if self.n == 1:
            head = "at least one of"
        elif self.n == len(self.parts):
            head = "all of"
        else:
            head = f"at least {self.n} of"
        return f"{head}: " + "; ".join(p.describe(params) for p in self.parts)

    def explain(self, ctx: Context) -> list[dict[str, Any]]:
        if self.evaluate(ctx) is True:
            return []
        k = len(self.parts)
        met = sum(1 for p in self.parts if p.evaluate(ctx) is True)
        if self.n == 1:
            need = "one of these is needed" if k > 1 else "this is needed"
        elif self.n == k:
            need = f"all {_count_words(k)} of these are needed"
        else:
            need = f"{_count_words(self.n)} of these {_count_words(k)} are needed"
        have = "and none is in place" if met == 0 else f"and {_count_words(met)} {'is' if met == 1 else 'are'} in place"
        parts = [c for p in self.parts for c in p.explain(ctx)]
        return [{"form": "group", "need": need, "have": have, "needed": self.n, "in_place": met, "of": k,
                 "parts": parts}]

    def questions(self) -> set[str]:
        return set().union(*(p.questions() for p in self.parts))


@dataclass(eq=False)
class Not(Condition):
    part: Condition

    def evaluate(self, ctx: Context) -> bool | None:
        r = self.part.evaluate(ctx)
        return None if r is None else not r

    def describe(self, params: Mapping[str, Any]) -> str:
        return f"not ({self.part.describe(params)})"

    def explain(self, ctx: Context) -> list[dict[str, Any]]:
        r = self.evaluate(ctx)
        if r is True:
            return []
        if r is None:
            return self.part.explain(ctx)
        return [{"form": "not", "need": self.part.describe(ctx.params)}]

    def questions(self) -> set[str]:
        return self.part.questions()


@dataclass(frozen=True)
class ParamRef:
    name: str


class Compiler:
    """Compiles raw condition data against a spec's questions and parameters.

    ``where(path)`` gives the (line, col) of a raw value, so every fault names its place.
    Faults are collected in ``problems`` rather than raised, so a spec author sees all of them.
    """

    def __init__(self, file: str, questions: Mapping[str, Any], params: Mapping[str, Any],
                 where: Callable[[tuple], tuple[int | None, int | None]]):
        self.file = file
        self.questions = questions
        self.params = params
        self.where = where
        self.problems: list[Problem] = []

    def fault(self, path: tuple, message: str) -> None:
        line, col = self.where(path)
        self.problems.append(Problem(self.file, message, line, col))

    def compile(self, raw: Any, path: tuple, owner: str) -> Condition | None:
        if not isinstance(raw, dict) or not raw:
            self.fault(path, f"{owner}: a condition must be a mapping such as "
                             "{question: q, gte: 16} or {all: [...]}")
            return None
        keys = set(raw)
        if keys == {"all"} or keys == {"any"}:
            items = raw[next(iter(keys))]
            if not isinstance(items, list) or not items:
                self.fault(path, f"{owner}: '{next(iter(keys))}' takes a non-empty list of conditions")
                return None
            parts = self._many(items, path + (next(iter(keys)),), owner)
            if parts is None:
                return None
            return All(parts) if "all" in keys else AtLeast(1, parts)
        if keys == {"not"}:
            part = self.compile(raw["not"], path + ("not",), owner)
            return Not(part) if part else None
        if keys == {"at_least", "of"}:
            n, items = raw["at_least"], raw["of"]
            if not isinstance(items, list) or not items:
                self.fault(path + ("of",), f"{owner}: 'of' takes a non-empty list of conditions")
                return None
            if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= len(items):
                self.fault(path + ("at_least",), f"{owner}: 'at_least' must be a whole number from 1 to {len(items)}")
                return None
            parts = self._many(items, path + ("of",), owner)
            return AtLeast(n, parts) if parts is not None else None
        if keys == {"answered"}:
            q = self._question(raw["answered"], path + ("answered",), owner)
            return Answered(q, self.questions[q].label) if q else None
        if "question" in keys:
            return self._comparison(raw, path, owner)
        self.fault(path, f"{owner}: unknown condition form with keys {sorted(keys, key=str)}; expected one of "
                         "question+comparison, all, any, not, at_least+of, answered")
        return None

    def _many(self, items: list, path: tuple, owner: str) -> list[Condition] | None:
        parts = [self.compile(item, path + (i,), owner) for i, item in enumerate(items)]
        return None if any(p is None for p in parts) else parts  # type: ignore[return-value]

    def _question(self, qid: Any, path: tuple, owner: str) -> str | None:
        if not isinstance(qid, str) or qid not in self.questions:
            hint = suggest(str(qid), self.questions)
            self.fault(path, f"{owner}: unknown question {qid!r}" + (f"; did you mean {hint!r}?" if hint else ""))
            return None
        return qid

    def _comparison(self, raw: dict, path: tuple, owner: str) -> Condition | None:
        ops = [k for k in raw if k != "question"]
        if len(ops) != 1 or ops[0] not in COMPARISONS:
            self.fault(path, f"{owner}: a comparison needs exactly one of {', '.join(COMPARISONS)}; got {ops}")
            return None
        op = ops[0]
        qid = self._question(raw["question"], path + ("question",), owner)
        if not qid:
            return None
        q = self.questions[qid]
        vpath = path + (op,)
        value = raw[op]
        ok = self._check_value(q, op, value, vpath, owner)
        if not ok:
            return None
        if isinstance(value, list):
            value = tuple(ParamRef(v["param"]) if isinstance(v, dict) else v for v in value)
        elif isinstance(value, dict):
            value = ParamRef(value["param"])
        return Compare(qid, op, value, q.type, q.label, q.unit)

    def _check_value(self, q: Any, op: str, value: Any, path: tuple, owner: str) -> bool:
        qid = q.id
        if q.type == "boolean":
            if op not in ("eq", "ne") or not isinstance(value, bool):
                self.fault(path, f"{owner}: {qid!r} is a yes/no question; compare it with eq/ne true or false")
                return False
            return True
        if q.type == "text" and op not in ("eq", "ne", "in", "not_in"):
            self.fault(path, f"{owner}: {qid!r} is a text question; use 'answered', eq, ne, in or not_in")
            return False
        if q.type == "choice" and op not in ("eq", "ne", "in", "not_in"):
            self.fault(path, f"{owner}: {qid!r} is a choice question; use eq, ne, in or not_in")
            return False
        if op in ("in", "not_in", "between"):
            if not isinstance(value, list) or not value or (op == "between" and len(value) != 2):
                need = "a list of two values [low, high]" if op == "between" else "a non-empty list"
                self.fault(path, f"{owner}: '{op}' takes {need}")
                return False
            ok = all(self._check_scalar(q, v, path + (i,), owner) for i, v in enumerate(value))
            if ok and op == "between" and not any(isinstance(v, dict) for v in value) and value[0] > value[1]:
                self.fault(path, f"{owner}: 'between' low value {value[0]} is above high value {value[1]}")
                return False
            return ok
        return self._check_scalar(q, value, path, owner)

    def _check_scalar(self, q: Any, value: Any, path: tuple, owner: str) -> bool:
        if isinstance(value, dict):
            if set(value) != {"param"} or not isinstance(value["param"], str) or value["param"] not in self.params:
                hint = suggest(str(value.get("param")), self.params) if isinstance(value, dict) else None
                self.fault(path, f"{owner}: unknown parameter {value.get('param')!r}"
                                 + (f"; did you mean {hint!r}?" if hint else ""))
                return False
            p = self.params[value["param"]]
            if q.type not in NUMERIC:
                self.fault(path, f"{owner}: parameters can only be compared with numeric questions; {q.id!r} is {q.type}")
                return False
            value = p.default
        if q.type in NUMERIC:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fault(path, f"{owner}: {q.id!r} is {q.type}; compare it with a number, not {value!r}")
                return False
            lo, hi = q.bounds()
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                self.fault(path, f"{owner}: {value} is outside the bounds of {q.id!r} ({lo} to {hi})")
                return False
            if q.type == "integer" and isinstance(value, float) and not value.is_integer():
                self.fault(path, f"{owner}: {q.id!r} takes whole numbers; {value} can never match")
                return False
            return True
        if q.type == "date":
            if not isinstance(value, dt.date):
                self.fault(path, f"{owner}: {q.id!r} is a date; compare it with a date such as 2026-01-31")
                return False
            return True
        if q.type == "choice":
            if value not in (q.choices or []):
                hint = suggest(str(value), q.choices or [])
                self.fault(path, f"{owner}: {value!r} is not a choice of {q.id!r}"
                                 + (f"; did you mean {hint!r}?" if hint else f" (choices: {', '.join(q.choices or [])})"))
                return False
            return True
        if q.type == "text" and not isinstance(value, str):
            self.fault(path, f"{owner}: {q.id!r} is text; compare it with a string")
            return False
        return True


def suggest(word: str, options: Iterable[str]) -> str | None:
    """The nearest valid name, for "did you mean" hints."""
    import difflib

    opts = [str(o) for o in options]
    match = difflib.get_close_matches(word, opts, n=1, cutoff=0.6)
    if match:
        return match[0]
    # a prefix or substring is a good hint too (consultant_hours -> consultant_hours_weekday)
    hits = [o for o in opts if word and (word in o or o in word)]
    return min(hits, key=len) if hits else None
