"""Rendering faults: a broken installation (a missing font) is a clear error and writes nothing."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from designation.cli import main
from designation.report import fetcher

from .conftest import ROOT


@pytest.fixture
def static_without_bold_font(tmp_path, monkeypatch) -> Path:
    static = tmp_path / "static"
    shutil.copytree(fetcher.STATIC_DIR, static)
    (static / "fonts" / "DejaVuSans-Bold.ttf").unlink()
    monkeypatch.setattr(fetcher, "STATIC_DIR", static.resolve())
    monkeypatch.setattr(fetcher, "BASE_URL", static.resolve().as_uri() + "/")
    return static


def test_missing_font_is_a_clear_error_and_no_pdf_is_written(static_without_bold_font, tmp_path):
    out = tmp_path / "report.pdf"
    out.write_bytes(b"previous report")
    res = CliRunner().invoke(main, ["report", str(ROOT / "submissions" / "utc-westgate-national.yaml"), "-o", str(out)])
    assert res.exit_code == 1, res.output
    assert "the report asset fonts/DejaVuSans-Bold.ttf is missing from this installation" in res.output
    assert "Traceback" not in res.output
    assert out.read_bytes() == b"previous report"          # the old report is left as it was
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report.pdf")]  # no temporary file left
