"""Reports: HTML (golden), PDF (read back with pypdf), attachments, verify, network, security.

PDFs are slow to lay out, so each is rendered once per module (fixtures) and every test reads
the same bytes. WeasyPrint's log is captured while rendering: any warning (a missing font,
image or stylesheet, an ignored CSS property) fails the test that rendered it.

Regenerate the golden HTML after an intended template change with
``DESIGNATION_UPDATE_GOLDEN=1 python3 -m pytest tests/test_report.py -k golden``, and read
the diff.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from designation.report import html, network_matrix_csv, pdf, render_html, render_network_html, view, vocab
from designation.report.verify import verify_pdf

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
SUBMISSIONS = ROOT / "submissions"
CREATED = dt.datetime(2026, 10, 20, 9, 0, tzinfo=dt.timezone.utc)
SITE = "ec-northfield-conditions.yaml"

api = pytest.importorskip("designation.api")


# -- helpers ----------------------------------------------------------------------------------

@contextlib.contextmanager
def weasyprint_log():
    """Collect what WeasyPrint logs at WARNING or above while the block runs."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("weasyprint")
    handler = Keep(level=logging.WARNING)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def render(result: dict, out: Path, **kwargs) -> bytes:
    """Render a site PDF, failing on any WeasyPrint warning; return its bytes."""
    with weasyprint_log() as records:
        pdf.write_pdf(result, out, created=CREATED, **kwargs)
    assert not records, [r.getMessage() for r in records]
    return out.read_bytes()


def text_of(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def squash(text: str) -> str:
    """PDF text with line breaks and runs of spaces folded, for phrase searches."""
    return re.sub(r"\s+", " ", text)


def reader(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data))


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample() -> dict:
    return json.loads((GOLDEN / "sample_result.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def assessment():
    return api.assess_path(SUBMISSIONS / SITE)


@pytest.fixture(scope="module")
def site_pdf(assessment, tmp_path_factory) -> tuple[dict, bytes, Path]:
    """The Northfield report, rendered from the real engine's result with its inputs attached."""
    result = assessment.to_json()
    out = tmp_path_factory.mktemp("site") / "northfield.pdf"
    data = render(result, out, attachments=api.report_attachments(assessment.inputs))
    return result, data, out


@pytest.fixture(scope="module")
def all_results() -> list[dict]:
    return [api.assess_path(p).to_json() for p in sorted(SUBMISSIONS.glob("*.yaml")) if not api.is_settings_file(p)]


@pytest.fixture(scope="module")
def network_pdf(all_results, tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("network") / "network.pdf"
    with weasyprint_log() as records:
        pdf.write_network_pdf(all_results, out, created=CREATED)
    assert not records, [r.getMessage() for r in records]
    return out.read_bytes()


# -- HTML -------------------------------------------------------------------------------------

def test_render_html_matches_golden(sample):
    page = render_html(sample, created=CREATED)
    golden = GOLDEN / "sample_report.html"
    if os.environ.get("DESIGNATION_UPDATE_GOLDEN"):
        golden.write_text(page, "utf-8")
    assert page == golden.read_text("utf-8"), "HTML changed: DESIGNATION_UPDATE_GOLDEN=1 and review the diff"


def test_network_html_matches_golden(sample):
    other = json.loads(json.dumps(sample))
    other["site"].update(name="Riverside Emergency Centre", code="RZZ02")
    other["outcome"].update(status="designated", label="Designated as an Emergency Centre", conditions=[],
                            to_change_outcome=[], to_change_target=None)
    page = render_network_html([sample, other], created=CREATED)
    golden = GOLDEN / "sample_network.html"
    if os.environ.get("DESIGNATION_UPDATE_GOLDEN"):
        golden.write_text(page, "utf-8")
    assert page == golden.read_text("utf-8"), "HTML changed: DESIGNATION_UPDATE_GOLDEN=1 and review the diff"


def test_render_html_is_deterministic_and_does_not_change_its_input(sample):
    before = json.dumps(sample, sort_keys=True)
    assert render_html(sample, created=CREATED) == render_html(sample, created=CREATED)
    assert json.dumps(sample, sort_keys=True) == before


def test_html_carries_the_metadata_weasyprint_maps_to_the_pdf(sample):
    page = render_html(sample, created=CREATED)
    title = "Designation report: Northfield Hospital Emergency Centre (London Emergency Centre (2017-11))"
    assert f"<title>{title}</title>" in page
    assert '<meta name="dcterms.created" content="2026-10-20T09:00:00+00:00">' in page
    assert f'<meta name="designation-document-id" content="{view.document_id(sample)}">' in page
    assert '<html lang="en-GB">' in page


def test_every_status_is_a_word_and_a_symbol_never_colour_alone(sample):
    page = render_html(sample, created=CREATED)
    for term in vocab.STATUSES.values():
        assert f'<span class="sym" aria-hidden="true">{term.symbol}</span> {term.word}</span>' in page


def test_standalone_html_inlines_css_and_fonts(sample):
    page = render_html(sample, created=CREATED, standalone=True)
    assert 'href="report.css"' not in page and "url(fonts/" not in page
    assert page.count("url(data:font/ttf;base64,") == 4
    assert len(page) < 600_000  # fonts are subset to the page's characters
    assert page == render_html(sample, created=CREATED, standalone=True)


def test_report_without_optional_parts_renders(sample):
    bare = {k: sample[k] for k in ("schema", "spec", "site", "claimed", "assessed_on", "outcome", "score",
                                   "counts", "standards", "inputs")}
    bare["spec"] = {k: sample["spec"][k] for k in ("id", "edition", "title")}
    bare["standards"] = [{k: s[k] for k in ("id", "title", "domain", "category", "status", "reason", "reported",
                                            "required", "flags", "evidence", "source", "confidence")}
                         for s in sample["standards"]]
    page = render_html(bare, created=CREATED)
    assert "The specification declares no gaps." in page


@pytest.mark.parametrize("reported, required, expected", [
    ({"hours": "12 hours a day"}, "hours is at least 16 hours a day",
     [("hours", "12 hours a day", "≥ 16 hours a day")]),
    ({"site admits": "yes", "wait": "9 minutes"}, "wait is 10 minutes",  # applies-when context
     [("site admits", "yes", None), ("wait", "9 minutes", "10 minutes")]),
    ({"a": "yes", "b": "no"}, "a; and it is not the case that b", [("a", "yes", "yes"), ("b", "no", "no")]),
    ({"a": "yes"}, "at least one of: a; b", None),
    ({"a": "1", "b": "2"}, "a is 1; and c is 2", None),
])
def test_reported_values_pair_with_their_requirement_only_when_unambiguous(reported, required, expected):
    pairs = view.pair_values(reported, required)
    assert (None if pairs is None else [(p["label"], p["value"], p["required"]) for p in pairs]) == expected


# -- PDF --------------------------------------------------------------------------------------

def test_pdf_pages_text_and_gaps(site_pdf):
    result, data, _ = site_pdf
    pages = reader(data).pages
    assert 4 <= len(pages) <= 15
    text = squash(text_of(data))
    assert result["site"]["name"] in text
    assert result["outcome"]["label"] in text
    gaps = [s["id"] for s in result["standards"] if s["status"] in vocab.GAP_STATUSES]
    assert gaps
    for sid in gaps:
        assert sid in text
    first = squash(pages[0].extract_text())
    assert result["site"]["name"] in first and view.headline_text(result) in first  # the headline on the cover
    assert re.search(r"Page 1 of \d+", first)
    assert f"Document {view.document_id(result)}" in first


def test_pdf_metadata_tags_and_fonts(site_pdf):
    result, data, _ = site_pdf
    r = reader(data)
    info = r.metadata
    assert info["/Title"].startswith(f"Designation report: {result['site']['name']}")
    assert info["/Author"] == result["site"]["network"]
    assert info["/Subject"] == result["outcome"]["label"]
    assert "uec-ec" in info["/Keywords"] and result["site"]["code"] in info["/Keywords"]
    assert info["/CreationDate"] == info["/ModDate"] and info["/CreationDate"].startswith("D:20261020090000+00'00")
    assert info["/designationdocumentid"] == view.document_id(result)
    catalog = r.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in catalog  # tagged PDF
    assert catalog["/Lang"] == "en-GB"
    fonts = set()
    for page in r.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts and all("+Report-" in f for f in fonts), fonts  # our fonts only, never the system's


def test_pdf_embeds_inputs_and_result(site_pdf, assessment):
    result, _, path = site_pdf
    files = pdf.read_attachments(path)
    assert files["submission.yaml"] == (SUBMISSIONS / SITE).read_bytes()
    embedded = json.loads(files["result.json"])
    assert embedded.pop("report") == {"kind": "site", "pages": len(reader(site_pdf[1]).pages)}
    assert embedded == json.loads(json.dumps(result))
    assert files["result.json"] == view.result_json(pdf.with_pages(result, "site", embedded_pages(files)))
    assert set(files) == {"result.json"} | set(api.report_attachments(assessment.inputs))


def test_pdf_bytes_are_identical_for_a_pinned_creation_date(site_pdf, assessment, tmp_path):
    result, data, _ = site_pdf
    again = render(result, tmp_path / "again.pdf", attachments=api.report_attachments(assessment.inputs))
    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(data).hexdigest()


def test_write_is_atomic_and_leaves_no_partial_file(sample, tmp_path, monkeypatch):
    out = tmp_path / "report.pdf"
    out.write_bytes(b"previous report")

    def broken(*args, **kwargs):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(pdf, "render_pdf_bytes", broken)
    with pytest.raises(RuntimeError):
        pdf.write_pdf(sample, out, created=CREATED)
    assert out.read_bytes() == b"previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]


def test_importing_the_cli_and_report_does_not_import_weasyprint():
    code = ("import sys, designation.cli, designation.report, designation.report.pdf, designation.report.verify; "
            "import designation.report.html; assert 'weasyprint' not in sys.modules, 'weasyprint imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# -- verify -----------------------------------------------------------------------------------

def test_verify_confirms_an_untouched_report(site_pdf):
    assert verify_pdf(site_pdf[2]) == (True, [])


def test_verify_finds_a_report_whose_outcome_was_edited(site_pdf, assessment, tmp_path):
    result, _, _ = site_pdf
    forged = json.loads(json.dumps(result))
    target = next(s for s in forged["standards"] if s["status"] == "met")
    forged["outcome"]["status"] = "designated"
    target["status"] = "not_met"
    forged["score"]["overall"] = 100.0
    out = tmp_path / "forged.pdf"
    render(forged, out, attachments=api.report_attachments(assessment.inputs))
    ok, differences = verify_pdf(out)
    assert not ok
    assert "outcome: the report says designated, re-scoring gives designated with conditions" in differences
    assert f"{target['id']}: the report says not met, re-scoring gives met" in differences
    assert any(d.startswith("score overall:") for d in differences)


def test_verify_finds_a_swapped_input(site_pdf, assessment, tmp_path, monkeypatch):
    result, data, _ = site_pdf
    files = api.report_attachments(assessment.inputs)
    files["submission.yaml"] = files["submission.yaml"].replace(b"value: 12", b"value: 16", 1)

    def same_pdf(source, attached, created, doc_id, fetcher=None, recorded=None):  # reuse the layout, swap the file
        assert set(attached) >= {"submission.yaml"}
        return _rewrite_attachment(data, "submission.yaml", attached["submission.yaml"])

    monkeypatch.setattr(pdf, "render_pdf_bytes", same_pdf)
    out = tmp_path / "swapped.pdf"
    pdf.write_pdf(result, out, attachments=files, created=CREATED)
    ok, differences = verify_pdf(out)
    assert not ok
    assert differences[0].startswith("the attached submission.yaml is not the file the result was computed from")


def _rewrite_attachment(data: bytes, name: str, content: bytes) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=reader(data))
    names = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    for i in range(0, len(names), 2):
        if names[i] == name:
            stream = names[i + 1].get_object()["/EF"]["/F"].get_object()
            stream.set_data(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def embedded_pages(files: dict) -> int:
    return json.loads(files["result.json"])["report"]["pages"]


def test_verify_rejects_a_pdf_without_inputs(tmp_path):
    out = tmp_path / "plain.pdf"
    out.write_bytes(b"%PDF-1.7\nnot really\n")
    ok, differences = verify_pdf(out)
    assert not ok and len(differences) == 1


# -- network ----------------------------------------------------------------------------------

def test_network_pdf_lists_every_site_with_a_landscape_matrix(network_pdf, all_results):
    r = reader(network_pdf)
    text = squash(text_of(network_pdf))
    for result in all_results:
        assert result["site"]["name"] in text
    first = squash(r.pages[0].extract_text())
    assert "Designation outcomes" in first and f"{len(all_results)} sites assessed" in first
    assert "Sites nearest to a change of outcome" in text and "Standards by status and domain" in text
    shapes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in r.pages]
    assert shapes[0][0] < shapes[0][1]  # the overview is portrait
    assert any(w > h for w, h in shapes)  # the matrix is landscape
    assert "network-matrix.csv" in r.attachments


def test_network_summary_renders_from_slim_batch_results(all_results):
    batch = pytest.importorskip("designation.network.batch")
    slim = [batch.slim(r) for r in all_results]
    page = render_network_html(slim, created=CREATED)
    assert all(r["site"]["name"].replace("'", "&#39;") in page for r in slim)


def test_network_matrix_csv(all_results):
    text = network_matrix_csv(all_results)
    rows = list(csv.reader(io.StringIO(text)))
    head = rows[0]
    assert head[:10] == ["site_code", "site_name", "organisation", "network", "spec", "edition", "claimed",
                         "outcome", "qualifies_for", "score"]
    assert len(rows) == len(all_results) + 1
    by_code = {row[0]: dict(zip(head, row)) for row in rows[1:]}
    for result in all_results:
        row = by_code[result["site"]["code"]]
        assert row["outcome"] == result["outcome"]["status"]
        for st in result["standards"]:
            assert row[st["id"]] == st["status"]
    assert network_matrix_csv(list(reversed(all_results))) == text  # order-independent


def test_csv_cells_cannot_become_spreadsheet_formulas(sample):
    evil = json.loads(json.dumps(sample))
    evil["site"]["name"] = '=HYPERLINK("http://example.com","click")'
    row = list(csv.reader(io.StringIO(network_matrix_csv([evil]))))[1]
    assert row[1] == "'" + evil["site"]["name"]


# -- security ---------------------------------------------------------------------------------

HOSTILE = ['<img src="file:///etc/passwd">', "<link rel=stylesheet href=http://example.com/x.css>",
           "</style>", "{{ 7*7 }}"]
PAYLOAD = " ".join(HOSTILE)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The Northfield submission with markup and a template expression in its free text."""
    data = yaml.safe_load((SUBMISSIONS / SITE).read_text("utf-8"))
    data["site"]["name"] = "Evil " + PAYLOAD
    answer = data["answers"]["ed_consultant_hours_weekend"]
    answer["comment"] = "Comment " + PAYLOAD
    answer["evidence"][0]["title"] = "Rota " + PAYLOAD
    raw = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")
    result = api.assess_sources(submission=("hostile.yaml", raw)).to_json()

    from designation.report.fetcher import StaticFetcher

    fetcher = StaticFetcher()
    with weasyprint_log() as records:
        data = pdf.render_pdf_bytes(html.render_html(result, created=CREATED), {"result.json": b"{}"},
                                    CREATED, "hostile", fetcher=fetcher)
    assert not records, [r.getMessage() for r in records]
    return result, data, fetcher


def test_hostile_text_is_escaped_in_html(hostile):
    result, _, _ = hostile
    page = render_html(result, created=CREATED)
    for prefix in ("Evil ", "Comment ", "Rota "):
        assert prefix + ('&lt;img src=&#34;file:///etc/passwd&#34;&gt; &lt;link rel=stylesheet '
                         'href=http://example.com/x.css&gt; &lt;/style&gt; {{ 7*7 }}') in page
    assert "<img" not in page and "http://example.com/x.css>" not in page
    assert not re.search(r"Evil [^<]*49", page)
    standalone = render_html(result, created=CREATED, standalone=True)
    assert standalone.count("</style>") == 1  # only ours: the payload's is escaped


def test_hostile_text_is_plain_text_in_the_pdf(hostile):
    _, data, _ = hostile
    text = squash(text_of(data))
    bare = re.sub(r"\s+", "", text)  # a wrapped line may split the payload anywhere
    for prefix in ("Evil", "Comment", "Rota"):
        assert re.sub(r"\s+", "", prefix + PAYLOAD) in bare
    assert "Evil 49" not in text and "{{ 49 }}" not in text


def test_the_fetcher_was_only_asked_for_our_own_assets(hostile):
    _, _, fetcher = hostile
    from designation.report.fetcher import STATIC_DIR

    assert fetcher.requested and not fetcher.refused
    for url in fetcher.requested:
        assert url.startswith(STATIC_DIR.as_uri() + "/"), url
    assert not any("passwd" in u or "example.com" in u for u in fetcher.requested)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://example.com/x.css",
    "https://example.com/font.ttf",
    "data:text/css,body{}",
    "ftp://example.com/x",
    "STATIC/../fetcher.py",
    "STATIC/fonts/../../view.py",
    "STATIC/report.css?x=1",
    "file://evil.example.com/STATIC_PATH/report.css",
])
def test_the_fetcher_refuses_anything_but_package_assets(url):
    from designation.report.fetcher import STATIC_DIR, RefusedURL, StaticFetcher

    url = url.replace("STATIC_PATH", str(STATIC_DIR).lstrip("/")).replace("STATIC", STATIC_DIR.as_uri())
    fetcher = StaticFetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_the_fetcher_does_not_follow_a_symlink_out_of_static(tmp_path, monkeypatch):
    from designation.report import fetcher as mod

    static = tmp_path / "static"
    static.mkdir()
    (tmp_path / "secret.css").write_text("body { color: red }")
    (static / "ok.css").write_text("p {}")
    (static / "link.css").symlink_to(tmp_path / "secret.css")
    monkeypatch.setattr(mod, "STATIC_DIR", static.resolve())
    f = mod.StaticFetcher()
    assert f.fetch((static / "ok.css").as_uri()).read() == b"p {}"
    with pytest.raises(mod.RefusedURL):
        f.fetch((static / "link.css").as_uri())


def test_markup_that_reached_the_renderer_still_cannot_fetch(tmp_path):
    """Defence in depth: even unescaped markup cannot make WeasyPrint read a file or the network."""
    source = ('<html><body><p>x</p><img src="file:///etc/passwd">'
              '<link rel="stylesheet" href="http://example.com/x.css"></body></html>')
    with pytest.raises(pdf.RenderError, match="refused"):
        pdf.render_pdf_bytes(source, {}, CREATED, "x")
