"""``verify`` of a genuine report with a few bytes changed reports damage (exit 1) or agrees
(exit 0, when the change fell where nothing is read); it never fails with an internal error.

The profiles of tests/test_fuzz.py apply (``HYPOTHESIS_PROFILE=dev`` for a longer local run).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from designation import api
from designation.cli import main

from .conftest import ROOT
from .test_fuzz import fuzz
from .test_fuzz_inputs import _paths, json_values

SITE = ROOT / "submissions" / "ucc-riverside-colocated.yaml"
_PDF: dict[str, bytes] = {}


def _genuine(tmp: Path) -> bytes:
    if "pdf" not in _PDF:
        out = tmp / "genuine.pdf"
        api.write_report(api.assess_path(SITE), out, created=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc))
        _PDF["pdf"] = out.read_bytes()
    return _PDF["pdf"]


@fuzz(0.6)
@given(st.lists(st.tuples(st.floats(min_value=0, max_value=1, exclude_max=True), st.integers(0, 255)),
                min_size=1, max_size=6))
def test_verify_of_a_mutated_report_is_exit_0_or_1(tmp_path_factory, changes) -> None:
    d = tmp_path_factory.mktemp("verify")
    data = bytearray(_genuine(d))
    for where, byte in changes:
        data[int(where * len(data))] = byte
    pdf = d / "mutated.pdf"
    pdf.write_bytes(bytes(data))
    res = CliRunner().invoke(main, ["verify", str(pdf)])
    assert res.exit_code in (0, 1), (res.exit_code, res.output, repr(res.exception))
    assert "internal error" not in res.output and "Traceback" not in res.output


def test_damage_met_deep_in_the_walk_is_reported_not_an_internal_error(tmp_path, monkeypatch) -> None:
    # pypdf resolves objects lazily, so a damaged object can surface as a plain AttributeError
    # (seen: "property 'indirect_reference' of 'IndirectObject' object has no setter") while the
    # page texts are read, long after the file opened cleanly.
    from designation.report import verify

    pdf = tmp_path / "genuine.pdf"
    pdf.write_bytes(_genuine(tmp_path))

    def damaged(*_a, **_k):
        raise AttributeError("property 'indirect_reference' of 'IndirectObject' object has no setter")

    monkeypatch.setattr(verify, "_page_texts", damaged)
    res = CliRunner().invoke(main, ["verify", str(pdf)])
    assert res.exit_code == 1, res.output
    assert "damaged" in res.output and "internal error" not in res.output


# -- the embedded result.json replaced: wrong types, keys gone, nested very deep ------------------

def _with_result(data: bytes, result: bytes) -> bytes:
    """The genuine report with its attached result.json replaced (everything else kept)."""
    import io

    from pypdf import PdfReader, PdfWriter

    from designation.report.pdf import read_attachments

    files = read_attachments(io.BytesIO(data))
    files["result.json"] = result
    w = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    del w._root_object["/Names"]["/EmbeddedFiles"]
    for name, content in sorted(files.items()):
        w.add_attachment(name, content)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


_RESULTS: dict[str, dict] = {}


def _genuine_result(tmp) -> dict:
    import io
    import json

    from designation.report.pdf import read_attachments

    if "r" not in _RESULTS:
        _RESULTS["r"] = json.loads(read_attachments(io.BytesIO(_genuine(tmp)))["result.json"])
    return _RESULTS["r"]


@fuzz(0.4)
@given(st.data())
def test_verify_of_a_report_whose_result_json_has_wrong_types_is_exit_1(tmp_path_factory, data) -> None:
    import copy
    import json

    d = tmp_path_factory.mktemp("verify-json")
    doc = copy.deepcopy(_genuine_result(d))
    for _ in range(data.draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        path = data.draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        if data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(json_values | st.sampled_from(["met", "designated", "", None, 3, [], {}]))
    pdf = d / "forged.pdf"
    pdf.write_bytes(_with_result(_genuine(d), json.dumps(doc).encode()))
    before = pdf.read_bytes()
    res = CliRunner().invoke(main, ["verify", str(pdf)])
    assert res.exit_code == 1, (res.exit_code, res.output, repr(res.exception))
    assert "internal error" not in res.output and "Traceback" not in res.output
    assert res.output.startswith(str(pdf)) or str(pdf) in res.output.splitlines()[0], res.output
    assert pdf.read_bytes() == before


@pytest.mark.parametrize("result, says", [
    (b"[" * 200_000 + b"]" * 200_000, "result.json"),
    (b'{"a":' * 200_000 + b"1" + b"}" * 200_000, "result.json"),
    (b"[]", "result.json"),
    (b'{"schema": 1, "site": [], "outcome": "designated"}', "result.json"),
    (b"\xff\xfe not json", "result.json"),
    (b"NaN", "result.json"),
], ids=["200,000 lists deep", "200,000 objects deep", "a list", "wrong types", "not UTF-8", "NaN"])
def test_verify_of_a_report_whose_result_json_is_hostile_names_it(tmp_path, result: bytes, says: str) -> None:
    pdf = tmp_path / "forged.pdf"
    pdf.write_bytes(_with_result(_genuine(tmp_path), result))
    res = CliRunner().invoke(main, ["verify", str(pdf)])
    assert res.exit_code == 1, res.output
    assert says in res.output and "internal error" not in res.output, res.output


def test_verify_of_a_3_gb_file_is_refused_unread(tmp_path) -> None:
    big = tmp_path / "big.pdf"
    with open(big, "wb") as fh:      # sparse: takes no disk space
        fh.truncate(3 * 2 ** 30)
    res = CliRunner().invoke(main, ["verify", str(big)])
    assert res.exit_code == 1
    assert f"{big}: the file is 3072 MB; a report is never over 128 MB" in res.output, res.output
