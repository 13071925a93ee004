"""``designation verify``: re-score the inputs a report embeds and confirm what it says.

A site report carries its inputs (``submission.yaml`` and, when used, ``review.yaml``,
``derogations.yaml``, ``tailoring.yaml``) and the result it was rendered from
(``result.json``). Verifying means:

1. the attached inputs are the ones the result names (their SHA-256 match ``inputs``);
2. ``result.json`` is the one the report was rendered from (the document id in the PDF's
   metadata is derived from it);
3. assessing the attached inputs again gives the same outcome (status, label, qualifies for),
   the same status for every standard, and the same scores.

A report rendered with an older specification or engine may legitimately re-score
differently; when it does, the differences say so.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from typing import Any, Mapping

INPUT_FILES = (("submission.yaml", "submission_sha256"), ("submission.xlsx", "workbook_sha256"),
               ("review.yaml", "review_sha256"), ("derogations.yaml", "derogations_sha256"),
               ("tailoring.yaml", "tailoring_sha256"))
METADATA_ID = "/designationdocumentid"


def verify_pdf(path: str | os.PathLike) -> tuple[bool, list[str]]:
    """``(True, [])`` when the report's embedded inputs re-score to what it records; else
    ``(False, differences)``, one plain-English line per difference."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    from .pdf import read_attachments
    from .view import document_id

    try:
        files = read_attachments(path)
        info = PdfReader(str(path)).metadata or {}
    except (OSError, ValueError, PyPdfError) as exc:
        return False, [f"cannot read the report: {exc}"]
    missing = [name for name in ("submission.yaml", "result.json") if name not in files]
    if missing:
        return False, [f"the report has no {' or '.join(missing)} attached, so it cannot be re-scored"]
    try:
        recorded = json.loads(files["result.json"].decode("utf-8"))
        if not isinstance(recorded, dict):
            raise ValueError("not a JSON object")
    except (UnicodeDecodeError, ValueError) as exc:
        return False, [f"the attached result.json is not readable: {exc}"]

    differences: list[str] = []
    stated_id = info.get(METADATA_ID)
    if stated_id is not None and str(stated_id) != document_id(recorded):
        differences.append(f"the attached result.json is not the one the report was rendered from "
                           f"(document {stated_id}, attachment gives {document_id(recorded)})")
    inputs = recorded.get("inputs") or {}
    for name, key in INPUT_FILES:
        want, data = inputs.get(key), files.get(name)
        got = hashlib.sha256(data).hexdigest() if data is not None else None
        if want != got:
            if data is None:
                differences.append(f"{name} was used for the result but is not attached")
            elif want is None:
                differences.append(f"{name} is attached but the result did not use one")
            else:
                differences.append(f"the attached {name} is not the file the result was computed from "
                                   f"(sha256 {got[:12]}, result names {str(want)[:12]})")
    if differences:
        return False, differences

    from .. import api
    from ..errors import InputError

    def source(name: str) -> tuple[str, bytes] | None:
        return (name, files[name]) if name in files else None

    # A workbook submission is re-scored from the workbook itself, so the import is checked too: it
    # must still give the canonical YAML attached beside it (compared through the hashes below).
    if "submission.xlsx" in files:
        submission = (recorded.get("submission_file") or "submission.xlsx", files["submission.xlsx"])
    else:
        submission = (_yaml_name(recorded.get("submission_file")), files["submission.yaml"])
    try:
        fresh = api.assess_sources(
            submission=submission,
            review=source("review.yaml"), derogations=source("derogations.yaml"),
            tailoring=source("tailoring.yaml"),
        ).to_json()
    except InputError as exc:
        return False, [f"the attached inputs no longer assess: {p}" for p in exc.problems]

    differences = compare(recorded, fresh)
    if "submission.xlsx" in files and (fresh.get("inputs") or {}).get("submission_sha256") != inputs.get("submission_sha256"):
        differences.append("the attached workbook no longer imports to the attached submission.yaml "
                           "(the importer has changed since the report, or a file was replaced)")
    if differences:
        differences += _context(recorded, fresh)
    return not differences, differences


def _yaml_name(name: Any) -> str:
    name = str(name or "submission.yaml")
    return name if name.endswith((".yaml", ".yml")) else "submission.yaml"


def compare(recorded: Mapping[str, Any], fresh: Mapping[str, Any]) -> list[str]:
    """What differs between a report's result and a fresh one, for the parts that decide it."""
    out: list[str] = []
    old_o, new_o = recorded.get("outcome") or {}, fresh.get("outcome") or {}
    for key, what in (("status", "outcome"), ("label", "outcome label"), ("qualifies_for", "qualifies for")):
        if old_o.get(key) != new_o.get(key):
            out.append(f"{what}: the report says {_show(old_o.get(key))}, re-scoring gives {_show(new_o.get(key))}")
    old_s = {s.get("id"): s.get("status") for s in recorded.get("standards") or []}
    new_s = {s.get("id"): s.get("status") for s in fresh.get("standards") or []}
    for sid in old_s:
        if sid not in new_s:
            out.append(f"{sid}: in the report but no longer in the specification")
        elif old_s[sid] != new_s[sid]:
            out.append(f"{sid}: the report says {_show(old_s[sid])}, re-scoring gives {_show(new_s[sid])}")
    for sid in new_s:
        if sid not in old_s:
            out.append(f"{sid}: in the specification now but not in the report")
    out += _scores("score", recorded.get("score") or {}, fresh.get("score") or {})
    return out


def _scores(where: str, old: Any, new: Any) -> list[str]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out = []
        for key in list(old) + [k for k in new if k not in old]:
            out += _scores(f"{where} {key}".replace("_", " "), old.get(key), new.get(key))
        return out
    if _same_number(old, new):
        return []
    return [f"{where}: the report says {_show(old)}, re-scoring gives {_show(new)}"]


def _same_number(a: Any, b: Any) -> bool:
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
    if numbers:
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-6)
    return a == b


def _context(recorded: Mapping[str, Any], fresh: Mapping[str, Any]) -> list[str]:
    """Why a re-score may legitimately differ: a changed specification or engine."""
    old_i, new_i = recorded.get("inputs") or {}, fresh.get("inputs") or {}
    notes = []
    if old_i.get("spec_sha256") != new_i.get("spec_sha256"):
        notes.append(f"note: the specification has changed since the report (sha256 "
                     f"{str(old_i.get('spec_sha256'))[:12]} then, {str(new_i.get('spec_sha256'))[:12]} now)")
    if old_i.get("engine_version") != new_i.get("engine_version"):
        notes.append(f"note: the report was made by designation {old_i.get('engine_version')}, "
                     f"this is {new_i.get('engine_version')}")
    return notes


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value.replace("_", " ") if value.islower() and " " not in value else f"“{value}”"
    return str(value)
