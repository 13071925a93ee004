"""Tailoring: a network's values for a spec's parameters and policy figures, within the bounds
the spec allows::

    parameters:
      uec-ucc: {opening_hours_min: 18}
    policy:
      uec-ucc: {threshold: 90, validity_months: 36}
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import yamlsafe
from ..errors import InputError, Problem
from ..rules import suggest
from ..spec import Spec


@dataclass
class Tailoring:
    file: str
    sha256: str
    values: dict[str, dict[str, float]]   # spec id -> parameter -> value
    doc: yamlsafe.Document
    policy: dict[str, dict[str, float]] = field(default_factory=dict)   # spec id -> policy figure -> value

    def policy_for(self, spec: Spec) -> dict[str, float]:
        """Policy figures the network set for ``spec`` itself, checked against the spec's bounds."""
        from ..spec import FIGURE_RANGE, FIGURES, figure_problem

        out: dict[str, float] = {}
        problems: list[Problem] = []
        for name, value in self.policy.get(spec.id, {}).items():
            path = ("policy", spec.id, name)
            fig = getattr(spec.policy, name, None) if name in FIGURES else None
            if fig is None:
                hint = suggest(str(name), FIGURES)
                problems.append(self.doc.problem(path, f"unknown policy figure {name!r} for spec {spec.id!r}; "
                                                 f"{'did you mean ' + repr(hint) + '? ' if hint else ''}"
                                                 f"the figures are {', '.join(FIGURES)}", key=True))
                continue
            if not fig.tailorable:
                problems.append(self.doc.problem(path, f"policy {name}: spec {spec.id!r} does not allow a network to "
                                                 "tailor it", key=True))
                continue
            lo, hi = FIGURE_RANGE[name]
            why = figure_problem(name, value, fig.min if fig.min is not None else lo, fig.max if fig.max is not None else hi)
            if why:
                problems.append(self.doc.problem(path, why))
            else:
                out[name] = value
        if problems:
            raise InputError(problems)
        return out

    def problems(self) -> list[Problem]:
        """Every problem in the file, checking each spec's parameters against that spec."""
        from .. import spec as spec_mod

        out: list[Problem] = []
        for sid in self.values:
            try:
                self.for_spec(spec_mod.load(str(sid)), only=str(sid))
            except InputError as exc:
                out += exc.problems
        for sid in self.policy:
            try:
                self.policy_for(spec_mod.load(str(sid)))
            except InputError as exc:
                out += exc.problems
        return out

    def for_spec(self, spec: Spec, only: str | None = None) -> dict[str, float]:
        """Parameter values for ``spec`` (its own and its includes'), checked against bounds."""
        out: dict[str, float] = {}
        problems: list[Problem] = []
        ids = [only] if only else [spec.id] + [s.id for s in _all_included(spec)]
        for sid in ids:
            for name, value in self.values.get(sid, {}).items():
                path = ("parameters", sid, name)
                p = spec.parameters.get(name)
                if p is None:
                    hint = suggest(str(name), spec.parameters)
                    problems.append(self.doc.problem(path, f"unknown parameter {name!r} for spec {sid!r}"
                                                     + (f"; did you mean {hint!r}?" if hint else ""), key=True))
                    continue
                lo, hi = p.bounds()
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    problems.append(self.doc.problem(path, f"{name}: expected a number, got {value!r}"))
                elif value != value or value in (float("inf"), float("-inf")):
                    problems.append(self.doc.problem(path, f"{name}: expected a finite number, got {value}"))
                elif (lo is not None and value < lo) or (hi is not None and value > hi):
                    bounds = ("any" if lo is None else f"{lo:g}") + " to " + ("any" if hi is None else f"{hi:g}")
                    problems.append(self.doc.problem(path, f"{name}: {value} is outside the bounds the spec allows ({bounds})"))
                else:
                    out[name] = value
        if problems:
            raise InputError(problems)
        return out


def _all_included(spec: Spec) -> list[Spec]:
    out = []
    for s in spec.included:
        out += [s] + _all_included(s)
    return out


def load(path: str | Path) -> Tailoring:
    return parse(yamlsafe.load_file(path))


def parse(doc: yamlsafe.Document) -> Tailoring:
    data = doc.data
    shape = ("a tailoring file must be a mapping with parameters: {spec id: {parameter: value}} and/or "
             "policy: {spec id: {figure: value}}")
    if not isinstance(data, dict) or not data:
        raise doc.error((), shape)
    for key in data:
        if key not in ("parameters", "policy"):
            hint = suggest(str(key), ("parameters", "policy"))
            raise doc.error((key,), f"unknown key {key!r} in a tailoring file" + (f"; did you mean {hint!r}?" if hint else
                                                                                  f"; {shape}"), key=True)
        block = data[key]
        if not isinstance(block, dict) or not all(isinstance(v, dict) for v in block.values()):
            raise doc.error((key,), shape)
    from .. import spec as spec_mod

    known = spec_mod.available()
    problems = []
    for key in data:
        for sid in data[key]:
            if sid not in known:   # a typo here would silently tailor nothing
                hint = suggest(str(sid), known)
                problems.append(doc.problem((key, sid), f"unknown spec {sid!r}" + (
                    f"; did you mean {hint!r}?" if hint else f"; available: {', '.join(sorted(known))}"), key=True))
    if problems:
        raise InputError(problems)
    return Tailoring(doc.file, doc.sha256, data.get("parameters") or {}, doc, data.get("policy") or {})
