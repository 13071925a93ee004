"""Shared test helpers: a small fixture spec ladder (mini-base, mini-top) and file builders."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Compiled report templates (designation.report.templatecache) go to this run's own folder, not
# the user's ~/.cache; commands the tests start inherit it.
_CACHE = tempfile.mkdtemp(prefix="designation-tests-cache-")
atexit.register(shutil.rmtree, _CACHE, True)
os.environ.setdefault("DESIGNATION_CACHE_DIR", _CACHE)


@pytest.fixture
def mini_specs(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the fixture specs findable by id (alongside the shipped ones)."""
    monkeypatch.setenv("DESIGNATION_SPECS", str(FIXTURES / "specs"))
    return FIXTURES / "specs"


GOOD_ANSWERS: dict[str, Any] = {
    "consultant_hours": {"value": 16, "evidence": [{"title": "Rota", "date": "2026-09-01"}]},
    "accepts_ambulances": True,
    "single_call_mh": True,
    "mh_response_minutes": 30,
    "site_type": "co_located",
    "reviews": {"numerator": 9, "denominator": 10},
    "lead_name": "Dr Example",
    "specialist_services": 1,
}


def submission(spec: str = "mini-top", answers: dict | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": 1, "spec": spec, "edition": "2026-01",
        "site": {"name": "Test Hospital", "code": "TST01", "organisation": "Test Trust", "network": "Test Network"},
        "assessed_on": "2026-10-01",
        "answers": dict(GOOD_ANSWERS if answers is None else answers),
    }
    if spec == "mini-base":
        data["answers"].pop("specialist_services", None)
    data.update(extra)
    return data


def write_yaml(path: Path, data: Any) -> Path:
    text = yaml.safe_dump(data, sort_keys=False)
    # dates written as strings by the dumper above would be quoted; unquote ISO dates
    import re

    text = re.sub(r"'(\d{4}-\d{2}-\d{2})'", r"\1", text)
    path.write_text(text)
    return path


def child_pids(pid: int) -> list[int]:
    """The process ids of ``pid``'s children, from Linux's /proc (the batch's workers)."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return out
