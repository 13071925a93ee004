"""Specs that load but should not, and spec include graphs that cost too much.

* a fan-out include graph (every spec including each of the next layer's) loads each file once;
* a spec including both a spec and that spec's own include (uec-ec and the LQS) counts it once;
* includes by path (absolute, or escaping the spec folder) are refused;
* FIFOs named like a spec or given as an input are refused, never waited on;
* a weight of .inf, a bound of .nan, a file whose id differs from its name are refused;
* a changed include (the LQS) re-assesses the sites of the specs including it.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designation import spec as spec_mod
from designation.errors import InputError
from designation.inputs import yamlsafe
from designation.network import batch

from .conftest import ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "specs"

LIB = """id: {id}
title: Library {id}
edition: "1"
publisher: Test
designates: false
includes: [{includes}]
sources:
  - {{id: S-{id}, title: Source}}
questions:
  q_{qid}: {{type: boolean, label: q {qid}, prompt: Is it?}}
standards:
  - id: {sid}
    title: Standard {sid}
    domain: pathways
    requirement: Yes.
    category: core
    met_when: {{question: q_{qid}, eq: true}}
    source: {{document: S-{id}}}
    confidence: indirect
    examples:
      meets: [{{q_{qid}: true}}]
      fails: [{{q_{qid}: false}}]
"""


def _lib(folder: Path, name: str, includes: list[str]) -> None:
    qid = name.replace("-", "_")
    (folder / f"{name}.yaml").write_text(LIB.format(id=name, includes=", ".join(includes), qid=qid,
                                                    sid=name.upper().replace("-", "")[:12] + "-01"))


@settings(max_examples=8, deadline=None, derandomize=True, database=None)
@given(depth=st.integers(min_value=2, max_value=12), width=st.integers(min_value=2, max_value=4))
def test_a_fan_out_include_graph_reads_each_file_once(tmp_path_factory, depth: int, width: int) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _fan_out(tmp_path_factory.mktemp("fan"), monkeypatch, depth, width)


def _fan_out(d: Path, monkeypatch: pytest.MonkeyPatch, depth: int, width: int) -> None:
    monkeypatch.setenv("DESIGNATION_SPECS", str(d))
    layers = [[f"l{i}-n{j}" for j in range(width)] for i in range(depth)]
    for i, layer in enumerate(layers):
        for name in layer:
            _lib(d, name, layers[i + 1] if i + 1 < depth else [])
    reads: list[str] = []
    real = yamlsafe.load_file
    monkeypatch.setattr(yamlsafe, "load_file", lambda p, **k: (reads.append(str(p)), real(p, **k))[1])
    spec_mod._load_cached.cache_clear()
    s = spec_mod.load_path(d / "l0-n0.yaml")
    assert len(reads) == len(set(reads)) == 1 + (depth - 1) * width   # linear, not width ** depth
    ids = [x.id for x in s.standards]
    assert len(ids) == len(set(ids)) == 1 + (depth - 1) * width


def test_a_spec_including_a_spec_and_its_include_counts_the_include_once(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DESIGNATION_SPECS", str(tmp_path))
    _lib(tmp_path, "lib-base", [])
    _lib(tmp_path, "lib-mid", ["lib-base"])
    _lib(tmp_path, "lib-top", ["lib-mid", "lib-base"])
    s = spec_mod.load("lib-top")
    ids = [x.id for x in s.standards]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 3


@pytest.mark.parametrize("include", ["/etc/passwd", "../../outside", "sub/dir", "UPPER", "..", "lib-base.yaml"])
def test_includes_by_path_are_refused(tmp_path, monkeypatch, include: str) -> None:
    monkeypatch.setenv("DESIGNATION_SPECS", str(tmp_path))
    _lib(tmp_path, "lib-base", [])
    _lib(tmp_path, "lib-top", [json.dumps(include)])
    with pytest.raises(InputError, match="not a spec id"):
        spec_mod.load("lib-top")


def test_a_fifo_named_like_a_spec_or_given_as_an_input_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DESIGNATION_SPECS", str(tmp_path))
    os.mkfifo(tmp_path / "lib-fifo.yaml")
    with pytest.raises(InputError, match="FIFO"):
        spec_mod.load("lib-fifo")
    with pytest.raises(InputError, match="FIFO"):
        yamlsafe.load_file(tmp_path / "lib-fifo.yaml")


@pytest.mark.parametrize("edit, says", [
    (("weight: 1", "weight: .inf"), "not a finite number"),
    (("weight: 1", "weight: 1.0e+999"), "too large a number"),
    (("min: 0", "min: .nan"), "not a finite number"),
])
def test_a_spec_with_a_non_finite_number_is_refused(tmp_path, edit, says) -> None:
    text = (FIXTURES / "mini-top.yaml").read_text()
    if edit[0] == "weight: 1":
        text = text.replace("    category: core\n", "    category: core\n    weight: 1\n", 1)
    assert edit[0] in text
    (tmp_path / "mini-base.yaml").write_text((FIXTURES / "mini-base.yaml").read_text())
    (tmp_path / "mini-top.yaml").write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(InputError, match=says):
        spec_mod.load_path(tmp_path / "mini-top.yaml")


def test_a_spec_file_whose_id_is_not_its_name_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DESIGNATION_SPECS", str(tmp_path))
    shutil.copy(ROOT / "specs" / "hbpos.yaml", tmp_path / "uec-ec.yaml")
    with pytest.raises(InputError, match="declares id 'hbpos'"):
        spec_mod.load("uec-ec")


def test_a_changed_include_re_assesses_the_sites_using_it(tmp_path, monkeypatch) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    monkeypatch.setenv("DESIGNATION_SPECS", str(specs))
    net = tmp_path / "net"
    net.mkdir()
    ec = [p for p in sorted((ROOT / "submissions").glob("ec-*.yaml"))][:1]
    assert ec
    for p in ec:
        shutil.copy(p, net)
    out = tmp_path / "out"
    first = batch.run(net, out, jobs=1, render=False)
    assert [s.state for s in first.sites] == ["rendered"]
    lqs = specs / "london-quality-standards.yaml"
    lqs.write_text(lqs.read_text() + "\n# a correction to a source note\n")
    again = batch.run(net, out, jobs=1, render=False)
    assert [s.state for s in again.sites] == ["rendered"], [s.problems for s in again.sites]
    third = batch.run(net, out, jobs=1, render=False)
    assert [s.state for s in third.sites] == ["cached"]
