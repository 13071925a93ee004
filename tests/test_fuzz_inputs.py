"""Bad input is exit 1 (or 2 for usage), never an internal error (exit 4): fuzzed and tabled.

* ``diff`` of mutated JSON results (keys deleted, values of the wrong type, unknown statuses);
* ``template --set`` with arbitrary text (syntax errors, tags, numbers for yes/no ...);
* review files with mutated values (huge numbers, blank reasons, odd dates);
* ``report --created`` at and past the edges of the date range;
* ``assess`` with standard output closed.

The profiles of tests/test_fuzz.py apply (``HYPOTHESIS_PROFILE=dev`` for a longer local run).
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from designation import api
from designation.cli import main

from .conftest import ROOT, submission, write_yaml
from .test_fuzz import fuzz

SITE = ROOT / "submissions" / "ec-northfield-conditions.yaml"
_RESULT: dict[str, Any] = {}


def _result() -> dict[str, Any]:
    if not _RESULT:
        _RESULT.update(json.loads(json.dumps(api.assess_path(SITE).to_json())))
    return copy.deepcopy(_RESULT)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                        max_size=3), max_leaves=6)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:3]):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated_results(draw: Any) -> dict[str, Any]:
    doc = _result()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = [p for p in _paths(doc) if p and p != ("schema",)]
        path = draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        how = draw(st.sampled_from(["delete", "replace", "status"]))
        if how == "delete":
            del parent[path[-1]]
        elif how == "status":
            parent[path[-1]] = draw(st.sampled_from(["met", "great", "designated", "", None, 3]))
        else:
            parent[path[-1]] = draw(json_values)
    return doc


@fuzz(0.8)
@given(mutated_results())
def test_diff_of_a_mutated_json_result_is_exit_0_or_1(tmp_path_factory: Any, doc: dict[str, Any]) -> None:
    d = tmp_path_factory.mktemp("diff")
    good, bad = d / "good.json", d / "bad.json"
    good.write_text(json.dumps(_result()))
    bad.write_text(json.dumps(doc))
    for args in (["diff", str(good), str(bad)], ["diff", str(bad), str(good), "--format", "json"]):
        res = CliRunner().invoke(main, args)
        assert res.exit_code in (0, 1), (res.exit_code, res.output, repr(res.exception))
        assert "internal error" not in res.output


@pytest.mark.parametrize("change, says", [
    (lambda d: d.pop("outcome"), "outcome: required key is missing"),
    (lambda d: d["outcome"].__setitem__("status", "great"), "outcome.status"),
    (lambda d: d["standards"][0].__setitem__("status", "meh"), "standards.0.status"),
    (lambda d: d["standards"][0].pop("id"), "standards.0.id"),
    (lambda d: d.__setitem__("standards", "all"), "standards"),
])
def test_diff_names_the_key_that_is_wrong(tmp_path: Path, change: Any, says: str) -> None:
    doc = _result()
    change(doc)
    (tmp_path / "a.json").write_text(json.dumps(_result()))
    (tmp_path / "b.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(main, ["diff", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    assert res.exit_code == 1 and says in res.output, res.output


@fuzz(0.8)
@given(st.sampled_from(["accepts_ambulances", "mh_response_minutes", "site_type", "lead_name", "reviews",
                        "consultant_hours", "consultant_hour", "", "Accepts_Ambulances"]),
       st.text(max_size=30) | st.sampled_from(["[", "{a: ", "!!python/object/apply:os.system [ls]", "!!binary aGk=",
                                               "1", "0", "016", "1:30", "0x2d", ".nan", "yes", "*a", "&a 1", "'x'",
                                               "9" * 400, "1e400", "2026-02-30", "\x1b[31m", "=HYPERLINK(1)"]),
       st.sampled_from(["yaml", "xlsx"]))
def test_template_set_with_any_text_is_exit_0_or_2(tmp_path_factory: Any, mini_specs: Path, question: str, text: str,
                                                   fmt: str) -> None:
    """A usage error (exit 2) names --set; nothing is written unless the template is."""
    out = tmp_path_factory.mktemp("set") / f"t.{fmt}"
    res = CliRunner().invoke(main, ["template", "mini-top", "--set", f"{question}={text}", "--format", fmt,
                                    "-o", str(out)])
    assert res.exit_code in (0, 2), (res.exit_code, res.output, repr(res.exception))
    assert "internal error" not in res.output and "Traceback" not in res.output
    if res.exit_code == 2:
        assert "--set" in res.output, res.output
        assert not out.exists()
    else:
        assert out.stat().st_size > 0


review_values = st.one_of(st.integers(min_value=-10 ** 500, max_value=10 ** 500), st.floats(), st.text(max_size=12),
                          st.booleans(), st.none(), st.dates(min_value=dt.date(1, 1, 1)), json_values)


@fuzz(0.8)
@given(st.fixed_dictionaries({"value": review_values, "reason": st.text(max_size=6) | review_values}),
       st.sampled_from(["mh_response_minutes", "reviews", "accepts_ambulances", "consultant_hours", "lead_name"]),
       st.dates(min_value=dt.date(1, 1, 1)) | review_values)
def test_a_mutated_review_is_exit_0_3_or_1(tmp_path_factory: Any, mini_specs: Path, verified: dict, question: str,
                                           reviewed_on: Any) -> None:
    d = tmp_path_factory.mktemp("rv")
    site = write_yaml(d / "site.yaml", submission())
    data = {"format": 1, "site": "TST01", "reviewer": {"name": "R", "role": "Lead"}, "reviewed_on": reviewed_on,
            "verified": {question: verified}}
    try:
        (d / "review.yaml").write_text(yaml.safe_dump(data))
    except (yaml.YAMLError, OverflowError, ValueError):
        return
    res = CliRunner().invoke(main, ["assess", str(site), "--review", str(d / "review.yaml"), "--format", "json"])
    assert res.exit_code in (0, 1, 3), (res.exit_code, res.output, repr(res.exception))
    assert "internal error" not in res.output


@pytest.mark.parametrize("created", ["0001-01-01", "0001-01-01T00:00:00+14:00", "9999-12-31", "9999-12-31T23:59:59-12:00",
                                     "1899-12-31", "3000-01-01", "not a date", "2026-02-30"])
def test_report_created_at_the_edges_is_a_usage_error(tmp_path: Path, created: str) -> None:
    res = CliRunner().invoke(main, ["report", str(SITE), "-o", str(tmp_path / "r.pdf"), "--created", created])
    assert res.exit_code == 2, res.output
    assert "--created" in res.output and not (tmp_path / "r.pdf").exists()


def test_assess_with_standard_output_closed_is_a_clear_exit_1() -> None:
    res = subprocess.run([sys.executable, "-m", "designation.cli", "assess", str(SITE)], cwd=ROOT,
                         stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1), timeout=120)
    assert res.returncode == 1, res.stderr
    assert "standard output is closed" in res.stderr and "Traceback" not in res.stderr
