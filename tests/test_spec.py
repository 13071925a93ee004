"""Spec loading: structure and meaning are checked at load time, faults located in the file."""
from __future__ import annotations

from pathlib import Path

import pytest

from designation import spec as spec_mod
from designation.errors import InputError

from .conftest import FIXTURES

BASE = (FIXTURES / "specs" / "mini-base.yaml").read_text()


def load_text(tmp_path: Path, text: str, name: str = "mini-base") -> spec_mod.Spec:
    p = tmp_path / f"{name}.yaml"
    p.write_text(text)
    return spec_mod.load_path(p)


def fault(tmp_path: Path, text: str, name: str = "mini-base") -> str:
    with pytest.raises(InputError) as exc:
        load_text(tmp_path, text, name)
    return str(exc.value)


def test_fixture_spec_loads_with_includes_merged(mini_specs):
    s = spec_mod.load("mini-top")
    assert [st.id for st in s.standards] == ["MB-01", "MB-02", "MB-03", "MB-04", "MT-01"]
    assert "consultant_hours" in s.questions and "specialist_services" in s.questions
    assert [lim.id for lim in s.policy.limiters] == ["no-ambulances"]
    assert s.standard("MB-01").located[1] == 56


def test_boolean_compared_with_a_number_does_not_load(tmp_path):
    text = BASE.replace("met_when: {question: consultant_hours, gte: {param: hours_min}}",
                        "met_when: {question: accepts_ambulances, gte: 16}")
    msg = fault(tmp_path, text)
    assert ":61:51: standard MB-01: 'accepts_ambulances' is a yes/no question" in msg


def test_duplicate_standard_id(tmp_path):
    msg = fault(tmp_path, BASE.replace("- id: MB-02", "- id: MB-01"))
    assert "standard MB-01: duplicate standard id" in msg


def test_unknown_key_suggests_the_nearest(tmp_path):
    msg = fault(tmp_path, BASE.replace("    requirement: A consultant", "    requirment: A consultant"))
    assert "unknown key 'requirment' in standards.0; did you mean 'requirement'?" in msg
    assert ":59:5:" in msg


def test_every_standard_needs_meeting_and_failing_examples(tmp_path):
    msg = fault(tmp_path, BASE.replace("      fails: [{consultant_hours: 8}]\n", ""))
    assert "standards.0.examples.fails: required key is missing" in msg
    msg = fault(tmp_path, BASE.replace("      fails: [{consultant_hours: 8}]", "      fails: []"))
    assert "standards.0.examples.fails" in msg and "at least 1 item" in msg


def test_example_with_unknown_question(tmp_path):
    msg = fault(tmp_path, BASE.replace("meets: [{consultant_hours: 16}]", "meets: [{consultant_hrs: 16}]"))
    assert "standard MB-01: example uses unknown question 'consultant_hrs'; did you mean 'consultant_hours'?" in msg


def test_missing_source_and_confidence(tmp_path):
    msg = fault(tmp_path, BASE.replace("    confidence: predecessor\n", "", 1))
    assert "standards.1.confidence: required key is missing" in msg
    msg = fault(tmp_path, BASE.replace("confidence: predecessor", "confidence: probably"))
    assert "'probably' is not allowed; expected 'verified', 'indirect'" in msg
    msg = fault(tmp_path, BASE.replace("source: {document: SRC, section: p.1}", "source: {document: SCR}"))
    assert "unknown source document 'SCR'; did you mean 'SRC'?" in msg


def test_include_cycle_is_reported(tmp_path):
    (tmp_path / "a.yaml").write_text("id: a\ntitle: A\nedition: '1'\npublisher: p\nincludes: [b]\n")
    (tmp_path / "b.yaml").write_text("id: b\ntitle: B\nedition: '1'\npublisher: p\nincludes: [a]\n")
    with pytest.raises(InputError, match="include cycle: a -> b -> a"):
        spec_mod.load_path(tmp_path / "a.yaml")


def test_parameter_default_outside_its_bounds(tmp_path):
    msg = fault(tmp_path, BASE.replace("    default: 16\n", "    default: 30\n"))
    assert "parameter 'hours_min': default 30.0 is outside its bounds (12.0 to 24.0)" in msg


def test_faulty_example_is_reported_by_specs_check(tmp_path):
    from designation import examples
    s = load_text(tmp_path, BASE.replace("meets: [{consultant_hours: 16}]", "meets: [{consultant_hours: 15}]"))
    ran, problems = examples.run(s)
    assert ran == 11
    assert len(problems) == 1
    assert "standard MB-01: meets example 1 is partially_met, expected met" in str(problems[0])
