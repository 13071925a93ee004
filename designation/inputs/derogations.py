"""Derogations: network-agreed exemptions for one standard at one site, with an expiry.

They fail closed: an expired, malformed or unapproved derogation never applies, and the result
lists it with the reason, so the report can say so. A file that cannot be read at all is an
input error; a bad entry inside a readable file only disables that entry.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from . import yamlsafe
from ..errors import Problem

FIELDS = ("site", "standard", "reason", "approver", "approved_on", "expires_on")


@dataclass
class Derogation:
    site: Optional[str]
    standard: Optional[str]
    reason: Optional[str]
    approver: Optional[str]
    approved_on: Optional[dt.date]
    expires_on: Optional[dt.date]
    problems: list[Problem]          # why it can never apply (malformed), located
    line: Optional[int] = None

    def status_on(self, day: dt.date, what: str = "the assessment date") -> tuple[str, str]:
        """("applied" | "expired" | "invalid" | "not_yet_approved", explanation) on ``day``."""
        if self.problems:
            return "invalid", "; ".join(p.message for p in self.problems) + " (treated as expired)"
        from ..rules import day as words

        if self.approved_on and self.approved_on > day:
            return "not_yet_approved", f"approved on {words(self.approved_on)}, after {what}, {words(day)}"
        if self.expires_on and self.expires_on < day:
            return "expired", f"expired on {words(self.expires_on)}, before {what}, {words(day)}"
        return "applied", f"agreed by {self.approver} until {words(self.expires_on)}"

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in
                ((f, getattr(self, f)) for f in FIELDS)}


@dataclass
class DerogationFile:
    file: str
    sha256: str
    entries: list[Derogation]

    def problems(self) -> list[Problem]:
        return [p for d in self.entries for p in d.problems]

    def for_site(self, code: str) -> list[Derogation]:
        return [d for d in self.entries if d.site == code]


def load(path: str | Path) -> DerogationFile:
    return parse(yamlsafe.load_file(path))


def parse(doc: yamlsafe.Document, standard_ids: Optional[set[str]] = None) -> DerogationFile:
    data = doc.data
    if not isinstance(data, dict) or set(data) != {"derogations"} or not isinstance(data["derogations"], list):
        raise doc.error((), "a derogations file must be a mapping with one key, 'derogations', holding a list")
    entries = []
    for i, raw in enumerate(data["derogations"]):
        path = ("derogations", i)
        probs: list[Problem] = []
        if not isinstance(raw, dict):
            probs.append(doc.problem(path, f"derogation {i + 1} must be a mapping"))
            raw = {}
        for k in raw:
            if k not in FIELDS:
                probs.append(doc.problem(path + (k,), f"derogation {i + 1}: unknown key {k!r}", key=True))
        vals: dict[str, Any] = {}
        for f in FIELDS:
            v = raw.get(f)
            if f.endswith("_on"):
                if isinstance(v, dt.datetime):
                    v = v.date()
                if not isinstance(v, dt.date):
                    probs.append(doc.problem(path + (f,), f"derogation {i + 1}: {f} must be a date such as 2027-03-31"
                                             + (f", got {v!r}" if v is not None else ", and is missing")))
                    v = None
            elif not isinstance(v, str) or not v.strip():
                probs.append(doc.problem(path + (f,), f"derogation {i + 1}: {f} is missing"))
                v = v if isinstance(v, str) else None
            vals[f] = v
        if standard_ids is not None and vals["standard"] and vals["standard"] not in standard_ids:
            probs.append(doc.problem(path + ("standard",), f"derogation {i + 1}: unknown standard {vals['standard']!r}"))
        if vals["approved_on"] and vals["expires_on"] and vals["expires_on"] < vals["approved_on"]:
            probs.append(doc.problem(path + ("expires_on",), f"derogation {i + 1}: expires before it was approved"))
        entries.append(Derogation(**vals, problems=probs, line=doc.where(path)[0]))
    return DerogationFile(doc.file, doc.sha256, entries)
