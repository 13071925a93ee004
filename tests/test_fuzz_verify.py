"""``verify`` of a genuine report with a few bytes changed reports damage (exit 1) or agrees
(exit 0, when the change fell where nothing is read); it never fails with an internal error.

The profiles of tests/test_fuzz.py apply (``HYPOTHESIS_PROFILE=dev`` for a longer local run).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from designation import api
from designation.cli import main

from .conftest import ROOT
from .test_fuzz import fuzz

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
