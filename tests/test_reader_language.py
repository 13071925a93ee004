"""Reports in the reader's language (issue 12): explanations, headlines, vocabulary, as-at dates,
less paper and accessibility.

The executive summary of every shipped example is pinned as text in ``tests/golden/summaries``
and was read once by a person. After an intended wording change, regenerate with
``DESIGNATION_UPDATE_GOLDEN=1 python -m pytest tests/test_reader_language.py -k golden`` and
read the diff before committing it.
"""
from __future__ import annotations

import datetime as dt
import html as htmllib
import io
import os
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from designation import api
from designation.cli import main
from designation.report import pdf, render_html, view

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "submissions"
GOLDEN = ROOT / "tests" / "golden" / "summaries"
CREATED = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)
EXAMPLES = sorted(p for p in SUBMISSIONS.glob("*.yaml") if not api.is_settings_file(p))
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
FILE_LINE = re.compile(r"\b[\w.-]+\.(?:ya?ml|json|xlsx|csv):\d+")


def _result(name: str, **kwargs) -> dict:
    return api.assess_path(SUBMISSIONS / name, **kwargs).to_json()


def section_text(page: str, section_id: str) -> str:
    """The words of one section of a rendered report, one block (paragraph, item, row) a line."""
    start = page.index(">", page.index(f'id="{section_id}"')) + 1
    body = page[start:page.index("</section>", start)]
    body = re.sub(r"<(svg|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"</(p|li|h2|h3|tr|div)>|<br>", "\n", body)
    body = re.sub(r"</t[dh]>", " ", body)
    body = htmllib.unescape(re.sub(r"<[^>]+>", "", body))
    lines = (re.sub(r"\s+", " ", line).strip() for line in body.splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def summary_of(path: Path, as_at: dt.date = dt.date(2026, 12, 1)) -> str:
    page = render_html(api.assess_path(path).to_json(), created=CREATED, as_at=as_at)
    return section_text(page, "summary")


# -- the executive summary of every shipped example, pinned and read once -------------------

@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_executive_summary_matches_golden(path: Path):
    text = summary_of(path)
    golden = GOLDEN / f"{path.stem}.txt"
    if os.environ.get("DESIGNATION_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, "utf-8")
    assert text == golden.read_text("utf-8"), "summary wording changed: regenerate and read the diff"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_executive_summary_speaks_plainly(path: Path):
    result = api.assess_path(path).to_json()
    page = render_html(result, created=CREATED, as_at=dt.date(2026, 12, 1))
    text = section_text(page, "summary")
    assert "(s)" not in text
    assert not re.search(r"\bhold\b", text), "the engine's 'n of m hold' must not reach a reader"
    assert not ISO_DATE.search(text), ISO_DATE.search(text)
    assert not FILE_LINE.search(page), "no file names or line numbers in a report"
    assert view.headline_text(result).split(". ")[0] in text
    if result["spec"]["id"] == "asthma-cyp":
        # the asthma settings' own vocabulary: never "designated", never a derogation
        assert "designat" not in text.lower()
        assert "derogation" not in text.lower()


def test_headline_leads_with_the_ladder_level_the_site_qualifies_for():
    kingsgate = _result("ecss-kingsgate-claims-ecss.yaml")
    head = view.headline(kingsgate)
    assert head.text == "Qualifies as an emergency centre"
    assert head.detail == "The claim to be an emergency centre with specialist services is not met"
    assert view.headline_text(kingsgate).startswith("Qualifies as an emergency centre.")
    northfield = _result("ec-northfield-conditions.yaml")
    assert view.headline_text(northfield) == "Designated as an emergency centre, with conditions"


def test_headline_and_identifier_in_each_settings_words():
    school = _result("asthma-school-riverbank.yaml")
    assert view.headline_text(school) == "Does not yet meet the London standards"
    assert school["site"]["code_label"] == "URN"
    assert _result("asthma-pharmacy-kennington.yaml")["site"]["code_label"] == "F-code"
    assert _result("ec-northfield-conditions.yaml")["site"]["code_label"] == "ODS"
    page = render_html(school, created=CREATED)
    assert f"URN {school['site']['code']}" in page and f"ODS {school['site']['code']}" not in page


def test_a_setting_without_a_ladder_or_derogations_is_not_told_about_them():
    # the asthma specification has no designation ladder and allows no derogations; the
    # derogations.yaml beside the examples is found but names no school, so it changes nothing
    school = _result("asthma-school-riverbank.yaml")
    assert school["inputs"]["derogations_sha256"]
    page = render_html(school, created=CREATED)
    cover = section_text(page, "cover")
    footer = page[page.index('class="running-footer"'):page.index("</div>", page.index('class="running-footer"'))]
    assert "Designation claimed" not in cover and "none stated" not in cover
    assert "The organisation's care setting school" in cover   # what decides its standards, instead
    assert "derogation" not in cover.lower() and "derogation" not in footer.lower()
    assert "derogations" not in section_text(page, "provenance").lower()
    assert "derogation" not in section_text(page, "gaps").lower()
    assert "derogation" not in section_text(page, "standards").lower()   # the categories' key too
    # a ladder spec still states its claim, and names its derogations file
    ec = render_html(_result("ec-southmere-derogations.yaml"), created=CREATED)
    assert "Designation claimed" in section_text(ec, "cover")
    assert "derogations" in ec[ec.index('class="running-footer"'):ec.index("</section>")]


# -- explanations: structured, in one place -------------------------------------------------

def test_explanations_are_structured_and_the_reason_is_their_sentence():
    from designation.rules import clause_text

    result = _result("ucc-hillcrest-standalone.yaml")
    st = next(s for s in result["standards"] if s["id"] == "UCC-20")
    clauses = st["explanation"]["clauses"]
    assert clauses[0]["form"] == "group" and clauses[0]["in_place"] == 0 and clauses[0]["needed"] == 1
    assert st["reason"] == "; ".join(clause_text(c) for c in clauses)
    assert st["reason"].startswith("one of these is needed, and none is in place: ")


def test_a_spec_author_can_word_a_standard_as_a_clinician_would(tmp_path):
    sub = yaml.safe_load((SUBMISSIONS / "ucc-riverside-colocated.yaml").read_text())
    sub["answers"]["pils_practitioner_all_hours"] = False
    sub["answers"]["age_policy"] = "all_ages"
    path = tmp_path / "ucc.yaml"
    path.write_text(yaml.safe_dump(sub, sort_keys=False))
    st = next(s for s in api.assess_path(path).to_json()["standards"] if s["id"] == "UCC-18")
    assert st["status"] == "not_met"
    assert st["reason"].startswith("At all opening hours a practitioner with intermediate life support must be on duty")
    assert "reported: " in st["reason"] and "paediatric" in st["reason"]


def test_titles_print_the_figure_actually_applied(tmp_path):
    sub = SUBMISSIONS / "ucc-hillcrest-standalone.yaml"
    (tmp_path / sub.name).write_bytes(sub.read_bytes())
    (tmp_path / "tailoring.yaml").write_text("parameters:\n  uec-ucc:\n    opening_hours_min: 18\n")
    try:
        result = api.assess_path(tmp_path / sub.name).to_json()
    except Exception as exc:  # pragma: no cover - shows the tailoring format if it changed
        pytest.fail(f"tailoring fixture no longer loads: {exc}")
    ucc01 = next(s for s in result["standards"] if s["id"] == "UCC-01")
    assert ucc01["title"] == "Open at least 18 hours a day, every day"
    assert "18 hours" in ucc01["requirement"]
    default = next(s for s in _result("ucc-hillcrest-standalone.yaml")["standards"] if s["id"] == "UCC-01")
    assert default["title"] == "Open at least 16 hours a day, every day"


# -- as-at dates ------------------------------------------------------------------------------

def test_northfield_as_at_1_december_flags_its_two_overdue_commitments():
    text = summary_of(SUBMISSIONS / "ec-northfield-conditions.yaml", dt.date(2026, 12, 1))
    note = next(line for line in text.splitlines() if "overdue on 1 Dec 2026:" in line)
    assert note.startswith("! 2 overdue on 1 Dec 2026:")
    assert "LQS-ED-01" in note and "30 Nov 2026" in note and "EC-25" in note and "1 Oct 2026" in note
    assert "EC-26" not in note  # due on the day itself: not yet overdue


def test_northfield_as_at_1_september_flags_nothing():
    page = render_html(_result("ec-northfield-conditions.yaml"), created=CREATED, as_at=dt.date(2026, 9, 1))
    assert "overdue" not in page


def test_cover_shows_assessment_as_at_and_render_dates_and_evidence_coverage():
    result = _result("ec-northfield-conditions.yaml")
    cover = section_text(render_html(result, created=CREATED, as_at=dt.date(2026, 11, 15)), "cover")
    assert "15 Jun 2026 · report as at 15 Nov 2026, rendered 1 Dec 2026" in cover
    applicable = [s for s in result["standards"] if s["status"] != "not_applicable"]
    with_evidence = sum(1 for s in applicable if s["evidence"])
    assert f"Evidence attached for {with_evidence} of {len(applicable)} applicable standards" in cover


def test_reviewer_changes_reach_the_summary_and_the_gaps_table(tmp_path):
    review = {"site": "ZZN01", "reviewer": {"name": "Dr A Reviewer", "role": "Network clinical lead"},
              "reviewed_on": "2026-10-09",
              "verified": {"ed_consultant_hours_weekday": {"value": 14, "reason": "site visit"}}}
    path = tmp_path / "review.yaml"
    path.write_text(yaml.safe_dump(review, sort_keys=False))
    try:
        result = _result("ec-northfield-conditions.yaml", review=path)
    except Exception as exc:  # pragma: no cover - shows the review format if it changed
        pytest.fail(f"review fixture no longer loads: {exc}")
    page = render_html(result, created=CREATED)
    summary, gaps = section_text(page, "summary"), section_text(page, "gaps")
    phrase = "verified 14 hours a day (site visit, 9 Oct 2026)"
    assert phrase in summary and phrase in gaps
    assert "self-assessed" in summary


# -- less paper -------------------------------------------------------------------------------

def _pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def test_school_report_is_at_most_four_pages(tmp_path):
    a = api.assess_path(SUBMISSIONS / "asthma-school-riverbank.yaml")
    out = tmp_path / "school.pdf"
    pdf.write_pdf(a.to_json(), out, attachments=api.report_attachments(a.inputs), created=CREATED)
    assert _pages(out.read_bytes()) <= 4


def test_not_applicable_standards_collapse_and_only_applicable_parameters_are_listed():
    result = _result("asthma-school-riverbank.yaml")
    v = view.site_view(result, CREATED)
    na = [s for s in result["standards"] if s["status"] == "not_applicable"]
    assert len(v["not_applicable"]) == len(na) > 20
    assert sum(len(rows) for _, rows in v["na_groups"]) == len(na)
    assert len(v["na_groups"]) < len(na) / 3  # grouped by why, one line each
    assert all(s["status"] != "not_applicable" for d in v["domains"] for s in d["standards"])
    assert {b.domain for b in v["chart"].bars} == {s["domain"] for s in result["standards"]
                                                   if s["status"] != "not_applicable"}
    assert 0 < len(v["parameters"]) < len(result["parameters"])


def test_network_summary_groups_families_and_is_short(tmp_path):
    results = [api.assess_path(p).to_json() for p in EXAMPLES]
    v = view.network_view(results, CREATED)
    keys = [f["key"] for f in v["families"]]
    assert "ladder:uec-facility" in keys and len(keys) == len(set(keys))
    assert sum(len(f["sites"]) for f in v["families"]) == len(results)  # nothing dropped
    uec = next(f for f in v["families"] if f["key"] == "ladder:uec-facility")
    assert {"uec-ucc", "uec-ec", "uec-ecss"} <= set(uec["spec_ids"])
    out = tmp_path / "network.pdf"
    pdf.write_network_pdf(results, out, created=CREATED)
    assert _pages(out.read_bytes()) <= 7


def test_assess_text_lists_gaps_first_and_hides_not_applicable_unless_all():
    runner = CliRunner()
    path = str(SUBMISSIONS / "asthma-school-riverbank.yaml")
    res = runner.invoke(main, ["assess", path], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "AST-COM-01" not in res.output and "do not apply to this site are not listed" in res.output
    assert res.output.index("AST-SCH-01") < res.output.index("AST-SCH-06")  # not met before met
    full = runner.invoke(main, ["assess", "--all", path], env={"COLUMNS": "200"})
    assert "AST-COM-01" in full.output


def test_provenance_prints_source_dates_as_the_rest_of_the_report_does():
    text = section_text(render_html(_result("ec-northfield-conditions.yaml"), created=CREATED), "provenance")
    assert "(Evening Standard, 26 Feb 2013)" in text
    sources = text[:text.index("How sure we are")]
    assert not ISO_DATE.search(sources)


def _contents(name: str) -> str:
    page = render_html(_result(name), created=CREATED)
    nav = page[page.index('<nav class="toc"'):page.index("</nav>")]
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", nav)).split())


def test_contents_count_only_gaps_that_need_cover():
    # Ashdown's one gap is for the panel's judgement (not gating): no red "without an action plan"
    ashdown = _contents("asthma-gp_practice-ashdown-advisory.yaml")
    assert "Gaps and actions (1 standard)" in ashdown and "without an action plan" not in ashdown
    # Kennington has no gap at all: the contents say so in words
    assert "Gaps and actions (none)" in _contents("asthma-pharmacy-kennington.yaml")
    # Riverbank's two uncovered core or expected gaps are still counted
    assert "2 without an action plan" in _contents("asthma-school-riverbank.yaml")


def test_a_very_long_site_name_keeps_the_footer_on_the_page_and_verifies(tmp_path):
    from pypdf import PdfReader

    name = ("Northfield University Hospital Emergency Department and Major Trauma Unit, incorporating the "
            "Paediatric Emergency Department and the Urgent Treatment Centre")
    src = (SUBMISSIONS / "ec-northfield-conditions.yaml").read_text("utf-8")
    sub = tmp_path / "ec-longname.yaml"
    sub.write_text(re.sub(r"(?m)^  name: .*$", f"  name: {name}", src, count=1), "utf-8")
    a = api.assess_path(sub)
    out = tmp_path / "long.pdf"
    pdf.write_pdf(a.to_json(), out, attachments=api.report_attachments(a.inputs), created=CREATED)
    res = CliRunner().invoke(main, ["verify", str(out)])
    assert res.exit_code == 0, res.output   # the footer, which verify reads, prints the name in full
    page = PdfReader(str(out)).pages[2]
    lines: list[tuple[str, float]] = []
    page.extract_text(visitor_text=lambda text, cm, tm, fd, fs: lines.append((text, cm[3] * tm[5] + cm[5])))
    footer_last = [y for text, y in lines if text.startswith("Inputs:")]
    assert footer_last and min(footer_last) > 2, "the footer's last line runs off the bottom of the page"
    header = [text for text, y in lines if y > float(page.mediabox.height) - 40 and text.strip()]
    assert any(t.startswith("Northfield University Hospital") and t.rstrip().endswith("…") for t in header)
    assert view.header_name("Riverbank Primary School") == "Riverbank Primary School"


# -- accessibility of the tagged PDF ----------------------------------------------------------

def test_tagged_pdf_is_accessible(tmp_path):
    import pikepdf

    a = api.assess_path(SUBMISSIONS / "ec-northfield-conditions.yaml")
    out = tmp_path / "northfield.pdf"
    pdf.write_pdf(a.to_json(), out, attachments=api.report_attachments(a.inputs), created=CREATED)
    with pikepdf.open(out) as doc:
        root = doc.Root
        assert str(root.Lang) == "en-GB"
        assert bool(root.MarkInfo.Marked)
        assert bool(root.ViewerPreferences.DisplayDocTitle)
        assert "Northfield" in str(doc.docinfo["/Title"])
        headings, figures, links = [], [], 0

        def walk(node):
            if isinstance(node, pikepdf.Array):
                for k in node:
                    walk(k)
            elif isinstance(node, pikepdf.Dictionary):
                kind = str(node.get("/S") or "")
                if re.fullmatch(r"/H\d", kind):
                    headings.append(int(kind[2:]))
                if kind == "/Figure":
                    figures.append(str(node.get("/Alt") or ""))
                if node.get("/K") is not None:
                    walk(node.K)

        walk(root.StructTreeRoot.K)
        assert headings[0] == 1
        assert all(b <= a + 1 for a, b in zip(headings, headings[1:])), headings  # no skipped level
        assert figures and all(alt.startswith("Compliance by domain.") for alt in figures)
        for page in doc.pages:
            for annot in page.get("/Annots") or []:
                if annot.get("/Subtype") == "/Link":
                    links += 1
                    assert annot.get("/Contents") is not None
        assert links
