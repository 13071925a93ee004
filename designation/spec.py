"""Specifications: the YAML rule files in ``specs/``, their schema, loading and static checks.

A spec loads in three steps: safe YAML (``yamlsafe``), structure (the pydantic models below,
unknown keys rejected with a suggestion), then meaning (references, types, includes, examples'
shape), with every fault reported as ``file:line:col: message`` naming the standard.
"""
from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .inputs import yamlsafe
from .errors import InputError, Problem
from .rules import NUMERIC, Compiler, Condition, suggest

QuestionType = Literal["boolean", "integer", "number", "percentage", "hours_per_day", "minutes",
                       "choice", "date", "text", "proportion"]
Category = Literal["core", "expected", "developmental"]
Confidence = Literal["verified", "indirect", "predecessor", "national", "local", "unverified"]
DOMAINS = ("access", "staffing", "senior review", "diagnostics", "pathways", "mental health",
           "children and young people", "information", "governance", "environment")
Domain = Literal[DOMAINS]  # type: ignore[valid-type]
CONFIDENCE_TEXT = {
    "verified": "read in the source",
    "indirect": "reported by a third party; the source's wording was not seen",
    "predecessor": "from an earlier London standard this one replaced",
    "national": "a national standard, used where the London text is unknown",
    "local": "a locally set default; no published London figure",
    "unverified": "not confirmed in any source read; check before relying on it",
}
TYPE_BOUNDS = {"percentage": (0, 100), "proportion": (0, 100), "hours_per_day": (0, 24), "minutes": (0, None)}
ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
MAX_SPEC_FILES = 100   # distinct spec files one spec may pull in through its includes
SPEC_ID_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PLACEHOLDER_RE = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def fill_params(text: str, params: Any) -> str:
    """``Open at least {opening_hours_min} hours a day`` with the applied value: ``... 18 hours a day``."""
    def one(m: re.Match) -> str:
        v = params.get(m.group(1)) if hasattr(params, "get") else None
        if v is None:
            return m.group(0)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v)
    return PLACEHOLDER_RE.sub(one, text)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, arbitrary_types_allowed=True)


class Source(_Model):
    id: str
    title: str
    publisher: Optional[str] = None
    date: Optional[str] = None
    url: Optional[str] = None

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, v: Any) -> Any:
        return v.isoformat() if isinstance(v, dt.date) else v


class Gap(_Model):
    id: str
    title: str
    detail: str
    source: Optional[str] = None


class Parameter(_Model):
    type: Literal["integer", "number", "percentage", "hours_per_day", "minutes"]
    default: float
    min: Optional[float] = None
    max: Optional[float] = None
    description: str
    confidence: Confidence
    source: Optional[str] = None
    term: str = "figure"   # what the figure is called in sentences: "the 90% target", "the 0 closures tolerance"

    def bounds(self) -> tuple[Optional[float], Optional[float]]:
        lo, hi = TYPE_BOUNDS.get(self.type, (None, None))
        return (self.min if self.min is not None else lo, self.max if self.max is not None else hi)


class Question(_Model):
    id: str = ""
    type: QuestionType
    label: str
    prompt: str
    help: Optional[str] = None
    unit: Optional[str] = None
    min: Optional[float] = None
    max: Optional[float] = None
    choices: Optional[list[str]] = None
    applies_when: Optional[dict[str, Any]] = None
    applies: Optional[Condition] = Field(default=None, exclude=True)

    def bounds(self) -> tuple[Optional[float], Optional[float]]:
        lo, hi = TYPE_BOUNDS.get(self.type, (None, None))
        return (self.min if self.min is not None else lo, self.max if self.max is not None else hi)


class SourceRef(_Model):
    document: str
    section: Optional[str] = None
    url: Optional[str] = None


class Examples(_Model):
    meets: list[dict[str, Any]] = Field(min_length=1)
    fails: list[dict[str, Any]] = Field(min_length=1)
    partial: list[dict[str, Any]] = []
    not_applicable: list[dict[str, Any]] = []


class Standard(_Model):
    id: str
    title: str
    domain: Domain
    requirement: str
    rationale: Optional[str] = None
    category: Category
    weight: float = Field(default=1, gt=0)
    applies_when: Optional[dict[str, Any]] = None
    met_when: dict[str, Any]
    partially_met_when: Optional[dict[str, Any]] = None
    evidence: list[str] = []
    source: SourceRef
    confidence: Confidence
    confidence_note: Optional[str] = None
    explain: Optional["Explain"] = None
    examples: Examples
    # compiled, filled in by the loader
    spec_id: str = Field(default="", exclude=True)
    defined_at: Optional[tuple] = Field(default=None, exclude=True)  # (spec document, path) of the standard
    applies: Optional[Condition] = Field(default=None, exclude=True)
    met: Optional[Condition] = Field(default=None, exclude=True)
    partial: Optional[Condition] = Field(default=None, exclude=True)
    questions_used: frozenset[str] = Field(default=frozenset(), exclude=True)
    params_used: tuple = Field(default=(), exclude=True)          # parameters met/partially_met compare with
    required_cache: dict = Field(default_factory=dict, exclude=True)
    reported_questions: tuple = Field(default=(), exclude=True)   # (qid, Question) in label order
    proportions: tuple = Field(default=(), exclude=True)          # proportion questions met_when uses
    static_json: dict = Field(default_factory=dict, exclude=True)
    templates: dict = Field(default_factory=dict, exclude=True)   # title/requirement with {param} kept

    @property
    def located(self) -> tuple:
        """(file, line, column) where the standard is defined, worked out when asked (errors only)."""
        if self.defined_at is None:
            return ("", None, None)
        doc, path = self.defined_at
        return (doc.file, *doc.where(path))

    def worded(self, field: str, params: Any) -> str:
        """``title`` or ``requirement`` with the figures actually applied (tailored values included)."""
        template = self.templates.get(field)
        if template is None:
            return getattr(self, field)
        return fill_params(template, params)


class Explain(_Model):
    """A spec author's own words for a standard that is not met, in place of the generic ones.

    ``not_met`` (and ``partially_met``) is what must be true, as a clinician would say it, e.g.
    "Children are seen, so a practitioner with paediatric life support must be on duty whenever
    the centre is open"; the report adds what was reported. ``{param}`` takes the applied figure.
    """
    not_met: Optional[str] = None
    partially_met: Optional[str] = None


Standard.model_rebuild()


class Limiter(_Model):
    """A defining feature of the facility type: when ``when`` holds the site is not designated,
    and no action plan or derogation covers it."""
    id: str
    description: str
    when: dict[str, Any]
    source: Optional[SourceRef] = None
    confidence: Optional[Confidence] = None
    confidence_note: Optional[str] = None
    formerly: list[str] = []   # standard ids this limiter replaced (a pre-v2 submission may still name them)
    condition: Optional[Condition] = Field(default=None, exclude=True)


class Labels(_Model):
    designated: str = "Designated"
    designated_with_conditions: str = "Designated with conditions"
    not_designated: str = "Not designated"


LOW_CONFIDENCE = ("local", "unverified")
CCQI = ("RCPsych CCQI accreditation practice: every essential (Type 1) standard and about 80% of "
        "expected (Type 2) standards")


class PolicyFigure(_Model):
    """One figure of the designation policy, with where it comes from and how far a network may
    tailor it (``tailoring.yaml``, ``policy:``). ``value`` null means "none" (no validity period)."""
    value: Optional[float] = None
    source: str
    confidence: Confidence
    min: Optional[float] = None
    max: Optional[float] = None
    tailorable: bool = True

    @field_validator("value", "min", "max", mode="before")
    @classmethod
    def _finite(cls, v: Any) -> Any:
        if isinstance(v, bool) or (v is not None and not isinstance(v, (int, float))):
            raise ValueError("expected a number")
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            raise ValueError("expected a finite number, not NaN or infinity")
        return v


def _figure(value: Optional[float], source: str, confidence: str, lo: float, hi: float):
    return Field(default_factory=lambda: PolicyFigure(value=value, source=source, confidence=confidence,  # type: ignore[arg-type]
                                                      min=lo, max=hi))


class RatingBand(_Model):
    label: str
    min: int = Field(ge=0, le=100)
    max: int = Field(ge=0, le=100)


class Rating(_Model):
    """Optional rating bands reported beside the outcome (never deciding it), by the whole
    percentage (rounded down) of applicable gating core and expected standards fully met."""
    source: str
    confidence: Confidence
    bands: list[RatingBand] = Field(min_length=1)

    def band(self, pct: Optional[float]) -> Optional[str]:
        if pct is None:
            return None
        whole = int(pct + 1e-9)
        return next((b.label for b in self.bands if b.min <= whole <= b.max), None)


FIGURES = ("threshold", "action_plan_window_months", "validity_months")


class Policy(_Model):
    """Designation policy version 2 (see docs/spec-format.md)."""
    version: Literal[2] = 2
    threshold: PolicyFigure = _figure(80, CCQI, "local", 50, 100)
    action_plan_window_months: PolicyFigure = _figure(6, "designation default: an action plan counts only when due "
                                                         "within six months of the assessment", "local", 1, 12)
    validity_months: PolicyFigure = _figure(None, "designation default: no validity period unless the network "
                                                  "sets one", "local", 6, 60)
    evidence_max_age_months: int = Field(default=12, ge=1, le=120)
    limiters: list[Limiter] = []
    rating: Optional[Rating] = None
    labels: Labels = Labels()

    def figures(self, tailored: Optional[dict[str, float]] = None) -> "EffectivePolicy":
        return EffectivePolicy(self, dict(tailored or {}))


@dataclass
class EffectivePolicy:
    """A spec's policy with the network's tailored figures applied."""
    policy: "Policy"
    tailored: dict[str, float]

    def value(self, name: str) -> Optional[float]:
        return self.tailored[name] if name in self.tailored else getattr(self.policy, name).value

    @property
    def threshold(self) -> float:
        return float(self.value("threshold") or 0)

    @property
    def action_plan_window_months(self) -> int:
        return int(self.value("action_plan_window_months") or 0)

    @property
    def validity_months(self) -> Optional[int]:
        v = self.value("validity_months")
        return None if v is None else int(v)

    @property
    def limiters(self) -> list[Limiter]:
        return self.policy.limiters

    @property
    def labels(self) -> Labels:
        return self.policy.labels

    @property
    def rating(self) -> Optional[Rating]:
        return self.policy.rating

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in FIGURES:
            f: PolicyFigure = getattr(self.policy, name)
            v = self.value(name)
            out[name] = {"value": None if v is None else (int(v) if float(v).is_integer() else v),
                         "source": "network tailoring" if name in self.tailored else f.source,
                         "confidence": f.confidence, "tailored": name in self.tailored,
                         "default": f.value, "default_source": f.source,
                         "min": f.min, "max": f.max, "tailorable": f.tailorable}
        return out


class Ladder(_Model):
    name: str
    level: str
    title: Optional[str] = None       # the level in a sentence: "an emergency centre"
    rank: int
    falls_back_to: Optional[str] = None


class IdentifierBy(_Model):
    question: str
    values: dict[str, str]


class Vocabulary(_Model):
    """How a spec's reports speak: the identifier a site is known by (per setting where it varies)
    and whether the spec's network agrees derogations at all."""
    identifier: str = "ODS"
    identifier_by: Optional[IdentifierBy] = None
    derogations: bool = True


class SpecFile(_Model):
    id: str
    title: str
    edition: str
    publisher: str
    summary: Optional[str] = None
    designates: bool = True
    ladder: Optional[Ladder] = None
    includes: list[str] = []
    sources: list[Source] = []
    gaps: list[Gap] = []
    parameters: dict[str, Parameter] = {}
    questions: dict[str, Question] = {}
    standards: list[Standard] = []
    policy: Policy = Policy()
    vocabulary: Vocabulary = Vocabulary()

    @field_validator("edition", mode="before")
    @classmethod
    def _edition_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


class Spec:
    """A loaded, checked specification with its includes merged in."""

    def __init__(self, file: SpecFile, path: Path, sha256: str):
        self.file = file
        self.path = path
        self.id = file.id
        self.title = file.title
        self.edition = file.edition
        self.sha256 = sha256
        self.questions: dict[str, Question] = {}
        self.parameters: dict[str, Parameter] = {}
        self.standards: list[Standard] = []
        self.sources: dict[str, Source] = {}
        self.gaps: list[Gap] = []
        self.included: list[Spec] = []
        self.files: list[tuple[str, Optional[tuple[int, int]]]] = []   # this file, then every include: (path, stamp)
        self.json: Optional[dict] = None  # the spec part of every result, built once
        self._defaults: Optional[dict[str, float]] = None
        self.docs: dict[str, tuple[yamlsafe.Document, tuple]] = {}  # standard id -> (its file, path)

    @property
    def policy(self) -> Policy:
        return self.file.policy

    @property
    def ladder(self) -> Optional[Ladder]:
        return self.file.ladder

    def standard(self, sid: str) -> Optional[Standard]:
        return self._by_id.get(sid)

    def index(self) -> None:
        self._by_id = {s.id: s for s in self.standards}

    def defaults(self) -> dict[str, float]:
        """Parameter defaults (a shared dict: copy it before changing it)."""
        if self._defaults is None:
            self._defaults = {k: p.default for k, p in self.parameters.items()}
        return self._defaults

    def defaults_of(self, names: Any) -> dict[str, float]:
        return {n: self.parameters[n].default for n in names if n in self.parameters}

    def __repr__(self) -> str:
        return f"<Spec {self.id} {self.edition}: {len(self.standards)} standards>"


# ---------------------------------------------------------------------------------------------
# Finding specs


def spec_dirs() -> list[Path]:
    """Where specs are found: $DESIGNATION_SPECS (os.pathsep-separated), the wheel's bundled
    copy, then the checkout's ``specs/`` beside the package."""
    dirs: list[Path] = []
    env = os.environ.get("DESIGNATION_SPECS")
    if env:
        dirs += [Path(p) for p in env.split(os.pathsep) if p]
    return dirs + _BUNDLED


_HERE = Path(__file__).resolve().parent
_BUNDLED = [d for d in (_HERE / "_specs", _HERE.parent / "specs") if d.is_dir()]


def available() -> dict[str, Path]:
    """Spec id -> file, first directory wins (cached while the folders are unchanged)."""
    dirs = spec_dirs()
    key = tuple((str(d), d.stat().st_mtime_ns) for d in dirs)
    return dict(_available(key))


@lru_cache(maxsize=16)
def _available(key: tuple) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for d, _mtime in key:
        for p in sorted(Path(d).glob("*.yaml")):
            found.setdefault(p.stem, p)
    return found


def load(spec_id: str) -> Spec:
    """Load a spec by id (cached: specs are immutable once loaded, reloaded if the file changes)."""
    paths = available()
    if spec_id not in paths:
        hint = suggest(spec_id, paths)
        raise InputError.at("<spec>", f"unknown spec {spec_id!r}" + (f"; did you mean {hint!r}?" if hint
                            else f"; available: {', '.join(sorted(paths))}"))
    spec = load_path(paths[spec_id])
    if spec.id != spec_id:
        raise InputError.at(str(paths[spec_id]), f"this file is found as spec {spec_id!r} but declares id {spec.id!r}; "
                                                 "a spec file is named after its id")
    return spec


def load_path(path: str | os.PathLike) -> Spec:
    p = os.path.abspath(path)
    st = _stat(p)
    if st is None:
        raise InputError.at(str(path), "no such spec file")
    spec = _load_cached(p, *st)
    if any(_stat(f) != stamp for f, stamp in spec.files[1:]):
        # an included spec (the LQS under uec-ec) changed since this one was loaded: load again
        _load_cached.cache_clear()
        spec = _load_cached(p, *st)
    return spec


def _stat(path: str) -> Optional[tuple[int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


@lru_cache(maxsize=64)
def _load_cached(path: str, _mtime: int, _size: int) -> Spec:
    spec = _Loader().load(Path(path), ())
    # A loaded spec lives as long as the process, and is tens of thousands of objects that the
    # cyclic collector would otherwise walk on every full collection: assessing 1,000 submissions
    # spent a tenth of its time there (benchmarks/RESULTS.md). Freezing moves what exists now out
    # of the collector's reach; reference counting still frees it when it is dropped.
    gc.freeze()
    return spec


class _Loader:
    def __init__(self) -> None:
        self.docs: dict[str, tuple[yamlsafe.Document, tuple]] = {}
        self.loaded: dict[str, Spec] = {}   # each file once, however often it is included (fan-out)

    def load(self, path: Path, chain: tuple[str, ...]) -> Spec:
        key = str(path)
        if key in self.loaded:
            return self.loaded[key]
        if len(self.loaded) >= MAX_SPEC_FILES:
            raise InputError.at(key, f"more than {MAX_SPEC_FILES} spec files are included; refusing to load more")
        spec = self._load(path, chain)
        self.loaded[key] = spec
        return spec

    def _load(self, path: Path, chain: tuple[str, ...]) -> Spec:
        doc = yamlsafe.load_file(path)
        name = str(path)
        if not isinstance(doc.data, dict):
            raise doc.error((), "a spec must be a YAML mapping with id, title, edition, questions, standards")
        try:
            sf = SpecFile.model_validate(doc.data)
        except ValidationError as exc:
            raise InputError(pydantic_problems(exc, doc, SpecFile)) from None
        problems: list[Problem] = []
        if not SPEC_ID_RE.match(sf.id):
            problems.append(doc.problem(("id",), f"spec id {sf.id!r} must be lower-case kebab-case"))
        if sf.id in chain:
            raise doc.error(("includes",), f"include cycle: {' -> '.join(chain + (sf.id,))}")
        spec = Spec(sf, path, "")
        spec.files = [(str(path), _stat(str(path)))]
        hashes = [doc.sha256]
        merged: set[int] = set()   # standards and gaps already taken in (a diamond: EC and the LQS)
        # includes first, so that own questions and standards can refer to theirs
        for i, inc in enumerate(sf.includes):
            try:
                if not SPEC_ID_RE.match(inc):
                    raise doc.error(("includes", i), f"include {inc!r} is not a spec id; includes name specs by id "
                                                     "(such as london-quality-standards), never by path")
                sub_path = available().get(inc) or path.parent / f"{inc}.yaml"
                if not sub_path.exists():
                    raise doc.error(("includes", i), f"included spec {inc!r} not found")
                sub = self.load(sub_path.resolve(), chain + (sf.id,))
                if sub.id != inc:
                    raise doc.error(("includes", i), f"included spec {inc!r} is the file {sub_path.name}, which "
                                                     f"declares id {sub.id!r}")
            except InputError as exc:
                problems += exc.problems
                continue
            if any(sub is other for other in spec.included):
                problems.append(doc.problem(("includes", i), f"spec {inc!r} is included twice"))
                continue
            spec.included.append(sub)
            spec.files += [f for f in sub.files if f not in spec.files]
            hashes.append(sub.sha256)
            for qid, q in sub.questions.items():
                spec.questions.setdefault(qid, q)
            spec.parameters.update(sub.parameters)
            spec.standards += [st for st in sub.standards if id(st) not in merged]
            merged.update(id(st) for st in sub.standards)
            spec.sources.update(sub.sources)
            spec.gaps += [g for g in sub.gaps if id(g) not in merged]
            merged.update(id(g) for g in sub.gaps)
        if problems:
            raise InputError(problems)
        spec.sha256 = hashlib.sha256("".join(hashes).encode()).hexdigest()
        own_sources = {s.id: s for s in sf.sources}
        spec.sources.update(own_sources)
        for qid, q in sf.questions.items():
            q.id = qid
            if qid in spec.questions:
                problems.append(doc.problem(("questions", qid), f"question {qid!r} is already defined by an included spec", key=True))
            spec.questions[qid] = q
        for pid, p in sf.parameters.items():
            lo, hi = p.bounds()
            if (lo is not None and p.default < lo) or (hi is not None and p.default > hi):
                problems.append(doc.problem(("parameters", pid, "default"),
                                            f"parameter {pid!r}: default {p.default} is outside its bounds ({lo} to {hi})"))
            spec.parameters[pid] = p
        compiler = Compiler(name, spec.questions, spec.parameters, doc.where)
        for q in sf.questions.values():
            self._check_question(q, doc, compiler, problems)
        seen = {s.id for s in spec.standards}
        for i, st in enumerate(sf.standards):
            self._check_standard(st, i, sf, spec, doc, compiler, seen, problems)
            spec.standards.append(st)
        for i, lim in enumerate(sf.policy.limiters):
            lim.condition = compiler.compile(lim.when, ("policy", "limiters", i, "when"), f"limiter {lim.id}")
            if lim.source is not None and lim.source.document not in spec.sources:
                problems.append(doc.problem(("policy", "limiters", i, "source", "document"),
                                            f"limiter {lim.id}: unknown source document {lim.source.document!r}"))
        problems += check_policy(sf.policy, doc)
        # limiters are inherited: an ECSS that takes no ambulances fails as an EC would
        own_ids = {lim.id for lim in sf.policy.limiters}
        inherited = [lim for sub in spec.included for lim in sub.policy.limiters if lim.id not in own_ids]
        sf.policy.limiters = list({lim.id: lim for lim in inherited}.values()) + sf.policy.limiters
        for i, gap in enumerate(sf.gaps):
            if gap.source and gap.source not in spec.sources:
                problems.append(doc.problem(("gaps", i, "source"), f"gap {gap.id}: unknown source {gap.source!r}"))
        spec.gaps += sf.gaps
        if sf.ladder and sf.ladder.falls_back_to and sf.ladder.falls_back_to not in sf.includes:
            problems.append(doc.problem(("ladder", "falls_back_to"),
                                        f"ladder falls back to {sf.ladder.falls_back_to!r}, which this spec does not include"))
        problems += compiler.problems
        if problems:
            raise InputError(problems)
        spec.index()
        spec.docs = dict(self.docs)
        return spec

    def _check_question(self, q: Question, doc: yamlsafe.Document, compiler: Compiler, problems: list[Problem]) -> None:
        path = ("questions", q.id)
        if q.type == "choice" and not q.choices:
            problems.append(doc.problem(path, f"question {q.id!r}: a choice question needs 'choices'"))
        if q.type != "choice" and q.choices:
            problems.append(doc.problem(path + ("choices",), f"question {q.id!r}: only choice questions take 'choices'"))
        if (q.min is not None or q.max is not None) and q.type not in NUMERIC - {"proportion"}:
            problems.append(doc.problem(path, f"question {q.id!r}: only numeric questions take min/max"))
        lo, hi = q.bounds()
        if lo is not None and hi is not None and lo > hi:
            problems.append(doc.problem(path, f"question {q.id!r}: min {lo} is above max {hi}"))
        if q.applies_when is not None:
            q.applies = compiler.compile(q.applies_when, path + ("applies_when",), f"question {q.id}")

    def _check_standard(self, st: Standard, i: int, sf: SpecFile, spec: Spec, doc: yamlsafe.Document,
                        compiler: Compiler, seen: set[str], problems: list[Problem]) -> None:
        path = ("standards", i)
        owner = f"standard {st.id}"
        st.spec_id = sf.id
        st.defined_at = (doc, path)
        self.docs[st.id] = (doc, path)
        if not ID_RE.match(st.id):
            problems.append(doc.problem(path + ("id",), f"{owner}: id must look like EC-02 (capitals, digits, hyphens)"))
        if st.id in seen:
            problems.append(doc.problem(path + ("id",), f"{owner}: duplicate standard id"))
        seen.add(st.id)
        if st.source.document not in spec.sources:
            hint = suggest(st.source.document, spec.sources)
            problems.append(doc.problem(path + ("source", "document"), f"{owner}: unknown source document "
                                        f"{st.source.document!r}" + (f"; did you mean {hint!r}?" if hint else "")))
        for field in ("title", "requirement"):
            text = getattr(st, field)
            names = PLACEHOLDER_RE.findall(text)
            if not names:
                continue
            unknown = [n for n in names if n not in spec.parameters]
            if unknown:
                problems.append(doc.problem(path + (field,), f"{owner}: {field} names unknown parameter "
                                            f"{{{unknown[0]}}}; placeholders must name a parameter"))
                continue
            st.templates[field] = text
            setattr(st, field, fill_params(text, spec.defaults_of(names)))
        if st.explain is not None:
            for field in ("not_met", "partially_met"):
                text = getattr(st.explain, field) or ""
                unknown = [n for n in PLACEHOLDER_RE.findall(text) if n not in spec.parameters]
                if unknown:
                    problems.append(doc.problem(path + ("explain", field), f"{owner}: explain names unknown "
                                                f"parameter {{{unknown[0]}}}"))
        st.met = compiler.compile(st.met_when, path + ("met_when",), owner)
        if st.applies_when is not None:
            st.applies = compiler.compile(st.applies_when, path + ("applies_when",), owner)
        if st.partially_met_when is not None:
            st.partial = compiler.compile(st.partially_met_when, path + ("partially_met_when",), owner)
        used: set[str] = set()
        for c in (st.met, st.applies, st.partial):
            if c is not None:
                used |= c.questions()
        st.questions_used = frozenset(used)
        st.params_used = tuple(sorted(_params_in(st.met_when) | _params_in(st.partially_met_when)))
        st.reported_questions = tuple((q, spec.questions[q]) for q in sorted(used) if q in spec.questions)
        if st.met is not None:
            st.proportions = tuple(q for q in sorted(st.met.questions())
                                   if q in spec.questions and spec.questions[q].type == "proportion")
        for kind in ("meets", "fails", "partial", "not_applicable"):
            for j, ex in enumerate(getattr(st.examples, kind)):
                for qid in ex:
                    if qid not in spec.questions:
                        hint = suggest(str(qid), spec.questions)
                        problems.append(doc.problem(path + ("examples", kind, j, qid),
                                                    f"{owner}: example uses unknown question {qid!r}"
                                                    + (f"; did you mean {hint!r}?" if hint else ""), key=True))


def _params_in(raw: Any) -> set[str]:
    """Names of the parameters a raw condition compares with ({param: name} anywhere in it)."""
    if isinstance(raw, dict):
        if set(raw) == {"param"} and isinstance(raw["param"], str):
            return {raw["param"]}
        return set().union(*(_params_in(v) for v in raw.values())) if raw else set()
    if isinstance(raw, list):
        return set().union(*(_params_in(v) for v in raw)) if raw else set()
    return set()


FIGURE_RANGE = {"threshold": (0, 100), "action_plan_window_months": (0, 60), "validity_months": (1, 120)}


def figure_problem(name: str, value: Any, lo: Optional[float], hi: Optional[float]) -> Optional[str]:
    """Why ``value`` cannot be policy figure ``name`` within ``lo``..``hi`` (None when it can)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{name}: expected a number, got {value!r}"
    if value != value or value in (float("inf"), float("-inf")):
        return f"{name}: expected a finite number, got {value}"
    if name != "threshold" and not float(value).is_integer():
        return f"{name}: expected a whole number of months, got {value}"
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return f"{name}: {value:g} is outside the bounds the spec allows ({lo:g} to {hi:g})"
    return None


def check_policy(policy: Policy, doc: yamlsafe.Document) -> list[Problem]:
    """Static checks of a spec's policy: figures inside their bounds, rating bands that tile 0-100."""
    problems: list[Problem] = []
    for name in FIGURES:
        f: PolicyFigure = getattr(policy, name)
        lo, hi = FIGURE_RANGE[name]
        path = ("policy", name)
        if f.min is not None and f.max is not None and f.min > f.max:
            problems.append(doc.problem(path, f"policy {name}: min {f.min:g} is above max {f.max:g}"))
            continue
        for key in ("min", "max"):
            b = getattr(f, key)
            if b is not None and not lo <= b <= hi:
                problems.append(doc.problem(path + (key,), f"policy {name}: {key} {b:g} is outside {lo:g} to {hi:g}"))
        if f.value is not None:
            why = figure_problem(name, f.value, f.min if f.min is not None else lo, f.max if f.max is not None else hi)
            if why:
                problems.append(doc.problem(path + ("value",), f"policy {why}"))
        elif name != "validity_months":
            problems.append(doc.problem(path, f"policy {name}: a value is required"))
        if f.tailorable and (f.min is None or f.max is None):
            problems.append(doc.problem(path, f"policy {name}: a tailorable figure needs min and max bounds"))
    if policy.rating is not None:
        bands = sorted(enumerate(policy.rating.bands), key=lambda ib: ib[1].min)
        expect = 0
        for i, b in bands:
            where = ("policy", "rating", "bands", i)
            if b.min > b.max:
                problems.append(doc.problem(where, f"rating band {b.label!r}: min {b.min} is above max {b.max}"))
            elif b.min < expect:
                problems.append(doc.problem(where, f"rating band {b.label!r} ({b.min}-{b.max}%) overlaps the band below it"))
            elif b.min > expect:
                missing = f"{expect}%" if b.min - 1 == expect else f"{expect}-{b.min - 1}%"
                problems.append(doc.problem(where, f"rating bands leave a gap: no band covers {missing}"))
            expect = max(expect, b.max + 1)
        if expect <= 100 and not problems:
            missing = "100%" if expect == 100 else f"{expect}-100%"
            problems.append(doc.problem(("policy", "rating", "bands"), f"rating bands leave a gap: no band covers {missing}"))
    return problems


def pydantic_problems(exc: ValidationError, doc: yamlsafe.Document, root: type[BaseModel],
                      prefix: tuple = ()) -> list[Problem]:
    """Turn pydantic's errors into located, readable problems (with "did you mean" for keys).
    ``prefix`` is where the validated value sits in the document."""
    out: list[Problem] = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        # pydantic puts tagged-union/dict markers in loc; keep only real path parts
        loc = tuple(x for x in loc if not (isinstance(x, str) and x.startswith("function-")))
        where = ".".join(str(x) for x in loc) or "top level"
        if err["type"] == "extra_forbidden":
            model = _model_at(root, loc[len(prefix):-1])
            hint = suggest(str(loc[-1]), model.model_fields) if model else None
            msg = f"unknown key {loc[-1]!r} in {'.'.join(str(x) for x in loc[:-1]) or 'top level'}"
            if hint:
                msg += f"; did you mean {hint!r}?"
            out.append(doc.problem(loc, msg, key=True))
        elif err["type"] == "missing":
            out.append(doc.problem(loc[:-1], f"{where}: required key is missing"))
        elif err["type"] == "literal_error":
            allowed = err.get("ctx", {}).get("expected", "")
            out.append(doc.problem(loc, f"{where}: {err['input']!r} is not allowed; expected {allowed}"))
        elif err["type"] == "dict_type":
            what = "question: value" if loc[-1:] == ("answers",) else "key: value"
            out.append(doc.problem(loc, f"{where} must be a mapping of {what} (got {err.get('input')!r})"))
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")   # pydantic's wrapper, not the user's business
            out.append(doc.problem(loc, f"{where}: {msg} (got {err.get('input')!r})"))
    return out


def _model_at(root: type[BaseModel], loc: tuple) -> Optional[type[BaseModel]]:
    """The pydantic model class found by following ``loc`` from ``root`` (for key hints)."""
    import typing

    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            # a dict's key: stay on the dict's value type
            continue
        ann = field.annotation
        for _ in range(3):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                break
            ann = args[-1] if args else ann
        model = ann
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None
