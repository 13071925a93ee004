"""Tailoring: a network's values for a spec's parameters, within the bounds the spec allows."""
from __future__ import annotations

from dataclasses import dataclass
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

    def for_spec(self, spec: Spec) -> dict[str, float]:
        """Parameter values for ``spec`` (its own and its includes'), checked against bounds."""
        out: dict[str, float] = {}
        problems: list[Problem] = []
        ids = [spec.id] + [s.id for s in _all_included(spec)]
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
    if (not isinstance(data, dict) or set(data) != {"parameters"} or not isinstance(data["parameters"], dict)
            or not all(isinstance(v, dict) for v in data["parameters"].values())):
        raise doc.error((), "a tailoring file must be a mapping: parameters: {spec id: {parameter: value}}")
    return Tailoring(doc.file, doc.sha256, data["parameters"], doc)
