"""Speed without changing a byte: the JSON encoder, the renderer's shared state, worker pools."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from designation import api, jsonout

from .conftest import ROOT

SUBMISSIONS = ROOT / "submissions"
CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _shipped_results() -> list[dict]:
    return [api.assess_path(p).to_json() for p in sorted(SUBMISSIONS.glob("*.yaml")) if not api.is_settings_file(p)]


def test_json_output_is_byte_for_byte_what_the_standard_library_wrote():
    results = _shipped_results()
    assert len(results) >= 10
    for r in results:
        assert jsonout.dumps(r) == json.dumps(r, indent=2, ensure_ascii=False)
        assert jsonout.dumps(r, sort_keys=True) == json.dumps(r, indent=2, ensure_ascii=False, sort_keys=True)


def test_json_output_falls_back_for_values_orjson_refuses():
    huge = {"reported": 10**30, "name": "Ælfgifu’s"}
    assert json.loads(jsonout.dumps(huge)) == huge
    assert jsonout.dumps_bytes(huge).decode("utf-8") == json.dumps(huge, indent=2, ensure_ascii=False)


def test_a_report_rendered_with_the_shared_stylesheet_is_byte_identical(tmp_path):
    pytest.importorskip("weasyprint")
    from designation.report import html, pdf, view
    from designation.report.fetcher import StaticFetcher

    r = api.assess_path(SUBMISSIONS / "ec-southmere-derogations.yaml").to_json()
    source = html.render_html(r, created=CREATED)
    files = {"result.json": view.result_json(r)}
    shared = pdf.render_pdf_bytes(source, files, CREATED, view.document_id(r))
    again = pdf.render_pdf_bytes(source, files, CREATED, view.document_id(r))
    # a fetcher of its own makes WeasyPrint read the linked stylesheet and fonts afresh
    fresh = pdf.render_pdf_bytes(source, files, CREATED, view.document_id(r), fetcher=StaticFetcher())
    assert shared == again == fresh
    assert shared.startswith(b"%PDF")
