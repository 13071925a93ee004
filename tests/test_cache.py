"""No cached output survives a change of anything it was made from.

A sequence of batch runs (with or without PDFs, with or without a pinned --created, with inputs
changed in between) is generated; after every run each site's PDF, if present, must be the one
its current JSON and --created give, and the summary must list the current results.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designation.network import batch
from designation.report.pdf import read_attachments

from .conftest import submission, write_yaml

RUNS = st.lists(st.tuples(st.booleans(),                                   # render PDFs
                          st.sampled_from([None, "2026-11-01", "2026-12-01"]),  # --created
                          st.sampled_from([None, 10, 12, 20])),              # a changed answer first
                min_size=2, max_size=3)


def _check(out: Path, render: bool, created: str | None) -> None:
    for js in (p for p in out.glob("*.json") if p.stem != "manifest"):
        result = json.loads(js.read_text())
        pdf = js.with_suffix(".pdf")
        if render:
            assert pdf.is_file(), f"{pdf.name} missing after a run with PDFs"
        if pdf.is_file():
            embedded = json.loads(read_attachments(pdf)["result.json"])
            embedded.pop("report", None)   # what the report itself adds (its kind, its pages)
            result.pop("report", None)
            assert embedded == result, f"{pdf.name} is stale: it does not show the current result"
            if render and created:
                from pypdf import PdfReader

                meta = PdfReader(str(pdf)).metadata
                assert meta.creation_date.date() == dt.date.fromisoformat(created), "--created not applied"
    csv = (out / "network-summary.csv").read_text()
    for js in (p for p in out.glob("*.json") if p.stem != "manifest"):
        assert json.loads(js.read_text())["outcome"]["status"] in csv


@settings(max_examples=3, deadline=None, derandomize=True, database=None)
@given(RUNS)
def test_no_stale_output_is_served_as_current(tmp_path_factory, runs) -> None:
    with pytest.MonkeyPatch.context() as mp:
        from .conftest import FIXTURES

        mp.setenv("DESIGNATION_SPECS", str(FIXTURES / "specs"))
        net = tmp_path_factory.mktemp("net")
        out = net / "out"
        data = submission()
        write_yaml(net / "site.yaml", data)
        for render, created, hours in runs:
            if hours is not None:
                data["answers"]["consultant_hours"] = {"value": hours}
                write_yaml(net / "site.yaml", data)
            when = dt.datetime.fromisoformat(created).replace(tzinfo=dt.timezone.utc) if created else None
            res = batch.run(net, out, jobs=1, render=render, created=when)
            assert res.ok, [s.problems for s in res.sites]
            _check(out, render, created)


def test_no_pdf_then_pdf_after_a_change_renders_again(tmp_path: Path, mini_specs: Path) -> None:
    net, out = tmp_path / "net", tmp_path / "out"
    net.mkdir()
    data = submission()
    write_yaml(net / "site.yaml", data)
    assert batch.run(net, out, jobs=1).ok
    data["answers"]["consultant_hours"] = {"value": 10}
    write_yaml(net / "site.yaml", data)
    batch.run(net, out, jobs=1, render=False)
    again = batch.run(net, out, jobs=1)
    assert [s.state for s in again.sites] == ["rendered"]
    _check(out, True, None)


def test_a_changed_created_date_renders_again(tmp_path: Path, mini_specs: Path) -> None:
    net, out = tmp_path / "net", tmp_path / "out"
    net.mkdir()
    write_yaml(net / "site.yaml", submission())
    day = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    batch.run(net, out, jobs=1, created=day)
    same = batch.run(net, out, jobs=1, created=day)
    assert [s.state for s in same.sites] == ["cached"]
    other = batch.run(net, out, jobs=1, created=day + dt.timedelta(days=30))
    assert [s.state for s in other.sites] == ["rendered"] and other.summary_rendered
    _check(out, True, "2026-12-01")
