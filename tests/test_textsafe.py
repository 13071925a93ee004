"""Text from the data is neutralised wherever it lands: terminal, CSV/spreadsheet cell, report.

Property tests generate hostile strings (escapes, formula triggers behind spaces, separators,
non-characters, bidi overrides, markup) and check what a user would see in each place; end to
end tests push the same strings through ``assess`` (text and CSV) and the HTML report.
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from designation import textsafe
from designation.cli import main

from .conftest import submission, write_yaml

HOSTILE = ["\x1b[31m", "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\", "\x07", "\x08", "\r",
           "\u2028", "\u2029", "\ufffe", "\uffff", "\u202e", "\u2066", "\x85", "\x9b", "[/]", "[bold]",
           "=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\u00a0=1", " =1", "\u3000+1",
           "/*designation:inline-css*/", "\x00", "\ud800"]
pieces = st.sampled_from(HOSTILE) | st.text(max_size=8)
hostile_text = st.lists(pieces, min_size=1, max_size=6).map("".join)

CI = settings(max_examples=200, deadline=None, derandomize=True, database=None)
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")


def _controls(text: str) -> list[str]:
    return [c for c in text if (c < " " and c not in "\n\t") or "\x7f" <= c < "\xa0"
            or c in textsafe.BIDI_CONTROLS or c in "\ufffe\uffff\u2028\u2029"]


@CI
@given(hostile_text)
def test_terminal_text_has_no_control_characters_or_overrides(text: str) -> None:
    out = textsafe.terminal(text)
    assert _controls(out) == []
    assert "\x1b" not in out and "\x07" not in out
    assert textsafe.terminal(text, one_line=True).count("\n") == 0


@CI
@given(hostile_text)
def test_a_cell_never_starts_a_formula_even_behind_spaces(text: str) -> None:
    out = textsafe.cell(text)
    stripped = out.lstrip(" \u00a0\u2007\u202f\u3000\ufeff")
    if stripped.startswith(_FORMULA):
        assert textsafe._NUMBER.match(out), out   # only a plain negative number may start with '-'
    assert _controls(out.replace("\\x", "")) == [] or out.startswith("'")


def test_numbers_stay_numbers_in_cells() -> None:
    assert textsafe.cell(-3) == -3 and textsafe.cell(2.5) == 2.5
    assert textsafe.cell("-3") == "-3"
    assert textsafe.cell("-3+1") == "'-3+1"
    assert textsafe.cell("\u00a0@SUM(A1)") == "'\u00a0@SUM(A1)"


@CI
@given(hostile_text)
def test_printable_text_has_no_separators_noncharacters_or_overrides(text: str) -> None:
    out = textsafe.printable(text)
    assert _controls(out) == []


@CI
@given(st.integers(min_value=0, max_value=3).flatmap(lambda k: st.text(min_size=1, max_size=3).map(lambda t: t * (10 ** k * 3))))
def test_long_text_is_cut_with_a_note_saying_so(text: str) -> None:
    out = textsafe.printable(text, limit=500)
    if len(text) > 500:
        assert out.startswith(textsafe.printable(text[:500]))
        assert "shortened for the report" in out and f"{len(text):,}" in out
        assert len(out) < 700
    else:
        assert out == textsafe.printable(text, limit=10_000)


def test_a_value_echoed_in_an_error_is_short_and_one_line() -> None:
    huge = "9" * 2_000_000
    assert len(textsafe.shown(huge)) < 120
    assert len(textsafe.shown(int("9" * 400))) < 120
    assert "\n" not in textsafe.shown("a\nb\x1b[2J")


# -- end to end -------------------------------------------------------------------------------

NAME = "\u00a0=HYPERLINK(\"http://evil.example\",\"x\") \x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\\x07 [/] \u202eevil\u202c"


def _site(tmp_path: Path, mini_specs: Path) -> Path:
    data = submission(action_plans={})
    data["site"]["name"] = NAME
    data["site"]["organisation"] = "@SUM(A1:A9)"
    data["answers"]["lead_name"] = {"value": "[/]", "comment": "line\u2028para\u2029x\ufffe\uffff [bold]"}
    return write_yaml(tmp_path / "site.yaml", data)


def test_assess_text_output_carries_no_escapes_and_survives_markup(tmp_path: Path, mini_specs: Path) -> None:
    site = _site(tmp_path, mini_specs)
    res = CliRunner().invoke(main, ["assess", str(site)])
    assert res.exit_code in (0, 3), res.output
    assert "\x1b" not in res.output and "\x07" not in res.output and "\u202e" not in res.output
    assert "HYPERLINK" in res.output   # shown, as text


def test_assess_csv_cells_are_neutralised(tmp_path: Path, mini_specs: Path) -> None:
    site = _site(tmp_path, mini_specs)
    res = CliRunner().invoke(main, ["assess", str(site), "--format", "csv"])
    assert res.exit_code in (0, 3), res.output
    rows = list(csv.reader(io.StringIO(res.stdout)))
    for row in rows[1:]:
        for value in row:
            assert not value.lstrip(" \u00a0").startswith(("=", "+", "@")), value
            assert "\x1b" not in value and "\x07" not in value
    assert rows[1][1].startswith("'")


def test_report_html_shows_the_words_without_controls(tmp_path: Path, mini_specs: Path) -> None:
    site = _site(tmp_path, mini_specs)
    from designation import api
    from designation.report.html import render_html

    result = api.assess_path(site).to_json()
    page = render_html(result, standalone=True)
    assert _controls(page.replace("\n", "")) == []
    assert "evil" in page and "\u202e" not in page
    # the stylesheet is inlined where the template put it, not where a name quoted its marker
    head = page.split("</head>", 1)[0]
    assert "@font-face" in head or "font-family" in head
    assert json.loads(json.dumps(result))["site"]["name"] == NAME  # the data itself is untouched


def test_a_report_of_huge_and_hostile_text_is_short_and_stays_on_the_page(tmp_path: Path, mini_specs: Path) -> None:
    """A 4 MB comment, 20,000 evidence items, a 3,000-character word and a right-to-left override:
    the PDF is a few pages, every word is inside the page, and the report says what it cut."""
    import datetime as dt
    import subprocess

    from designation import api

    word = "Unbroken" * 375                                   # 3,000 characters, no space
    data = submission(action_plans={})
    data["site"]["name"] = "Test \u202eHospital"
    data["answers"]["consultant_hours"] = {"value": 16, "comment": "a long comment " * 270_000,   # 4 MB
                                           "evidence": [{"title": f"Rota {i}"} for i in range(20_000)]}
    data["answers"]["lead_name"] = {"value": "Dr Example", "comment": word + " line\u2028para\u2029x\ufffe\uffff\x85y"}
    site = write_yaml(tmp_path / "site.yaml", data)
    assert 4_000_000 < site.stat().st_size < 5 * 2 ** 20
    out = tmp_path / "r.pdf"
    api.write_report(api.assess_path(site), out, created=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc))
    bbox = subprocess.run(["pdftotext", "-bbox", str(out), "-"], capture_output=True, text=True, check=True).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)"', bbox)
    assert 0 < len(pages) <= 20, f"{len(pages)} pages"
    width = float(pages[0][0])
    words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', bbox)
    off = [(w, x1, x2) for x1, x2, w in words if float(x1) < 0 or float(x2) > width]
    assert not off, f"words off the page: {off[:3]}"
    assert max(len(w) for _, _, w in words) < 200          # the long word was broken to fit its column
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "shortened for the report" in " ".join(text.split())
    assert "19,970 more items" in text
    assert "\u202e" not in text


def test_rich_markup_in_an_action_plan_is_printed_as_written(tmp_path: Path, mini_specs: Path) -> None:
    import datetime as dt

    from .conftest import GOOD_ANSWERS

    data = submission(answers={**GOOD_ANSWERS, "consultant_hours": 10})     # MB-01, a core gap the plan covers
    data["action_plans"] = {"MB-01": {"action": "[/] close [bold]tag", "owner": "[/]", "due": dt.date(2027, 1, 1)}}
    res = CliRunner().invoke(main, ["assess", str(write_yaml(tmp_path / "site.yaml", data))])
    assert res.exit_code == 0 and "internal error" not in res.output, res.output
    assert "(action plan, [/]): [/] close [bold]tag" in res.output, res.output
