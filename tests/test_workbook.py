"""The provider's workbook: template --format xlsx, import, and every command reading .xlsx.

Round trips (YAML -> workbook with --from -> import gives the same submission) for every shipped
submission (every designating spec and every asthma setting) and for generated ones; a workbook
filled in the way a provider would; LibreOffice re-saving; and the Bad input list of issue 11,
each a clear located error, exit 1, nothing written and the workbook unchanged.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from designation import api
from designation.cli import main
from designation.inputs import canonical, submission as sub_mod, workbook, workbook_read, yamlsafe
from designation.inputs.workbook import ANSWERS, C_ANSWER, C_COMMENT, C_OUTOF, FIRST_ROW

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p for p in (ROOT / "submissions").glob("*.yaml") if not api.is_settings_file(p))


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def norm(sub) -> dict:
    """A submission as data, with unanswered questions (no value, comment or evidence) dropped:
    ``q: ~`` in YAML and a blank row in a workbook say the same thing."""
    data = canonical.to_data(sub)
    data["answers"] = {q: v for q, v in data["answers"].items() if v is not None}
    return data


def make_workbook(tmp_path: Path, src: Path, name: str = "site.xlsx") -> Path:
    out = tmp_path / name
    res = run("template", sub_mod.load(src).spec.id, "--format", "xlsx", "--from", src, "-o", out)
    assert res.exit_code == 0, res.output
    return out


def cell(row: int, col: int) -> str:
    return f"{workbook.col_letter(col)}{row}"


def row_of(path: Path, qid: str) -> int:
    """The Answers row of a question, as the About sheet records it."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        for r in wb[workbook.ABOUT].iter_rows(values_only=True):
            if r[0] == "answer" and r[2] == qid:
                return int(r[1])
    finally:
        wb.close()
    raise KeyError(qid)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("src", SHIPPED, ids=lambda p: p.stem)
def test_shipped_submission_round_trips_through_a_workbook(src: Path, tmp_path: Path) -> None:
    xlsx = make_workbook(tmp_path, src)
    out = tmp_path / "imported.yaml"
    res = run("import", xlsx, "-o", out)
    assert res.exit_code == 0, res.output
    assert norm(sub_mod.load(out)) == norm(sub_mod.load(src))
    # and it scores the same, straight from the workbook
    a, b = api.assess_path(xlsx, discover=False).to_json(), api.assess_path(src, discover=False).to_json()
    assert a["outcome"] == b["outcome"] and a["score"] == b["score"]


_TEXT = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=40).filter(str.strip)
_SPECS = [("asthma-cyp", "gp_practice"), ("asthma-cyp", "school"), ("uec-ucc", None), ("hbpos", None)]


@st.composite
def submissions(draw):
    from designation import spec as spec_mod

    sid, setting = draw(st.sampled_from(_SPECS))
    spec = spec_mod.load(sid)
    assessed = draw(st.dates(dt.date(2020, 1, 1), dt.date.today()))
    answers: dict = {}
    if setting:
        answers["setting"] = setting
    qids = [q for q in spec.questions if q != "setting"]
    for qid in draw(st.lists(st.sampled_from(qids), max_size=12, unique=True)):
        q = spec.questions[qid]
        lo, hi = q.bounds()
        if q.type == "boolean":
            v = draw(st.booleans())
        elif q.type == "choice":
            v = draw(st.sampled_from(q.choices))
        elif q.type == "proportion":
            d = draw(st.integers(0, 5000))
            v = {"numerator": draw(st.integers(0, d)), "denominator": d}
        elif q.type == "integer":
            v = draw(st.integers(int(lo or 0), int(hi if hi is not None else 10_000)))
        else:
            v = draw(st.integers(int((lo or 0) * 100), int((hi if hi is not None else 1000) * 100))) / 100
        if draw(st.booleans()):
            item = {"value": draw(st.none() | st.just(v)) if q.type != "proportion" else v}
            if draw(st.booleans()):
                item["comment"] = draw(_TEXT | st.just('=HYPERLINK("http://x.example","click")'))
            item["evidence"] = [{"title": draw(_TEXT), **({"reference": draw(_TEXT)} if draw(st.booleans()) else {}),
                                 **({"date": draw(st.dates(dt.date(2019, 1, 1), assessed))}
                                    if draw(st.booleans()) else {})}
                                for _ in range(draw(st.integers(0, 3)))]
            v = item
        answers[qid] = v
    plans = {}
    for s in draw(st.lists(st.sampled_from([s.id for s in spec.standards]), max_size=3, unique=True)):
        plans[s] = {"action": draw(_TEXT), "owner": draw(_TEXT),
                    "due": assessed + dt.timedelta(days=draw(st.integers(1, 900)))}
    data = {"format": 1, "spec": sid, "edition": spec.edition,
            "site": {"name": draw(_TEXT), "code": draw(_TEXT), "address": draw(st.none() | _TEXT)},
            "assessed_on": assessed, "answers": answers, "action_plans": plans}
    data["site"] = {k: v for k, v in data["site"].items() if v is not None}
    if draw(st.booleans()):
        data["signed_off_by"] = {"name": draw(_TEXT), "role": draw(_TEXT)}
    return data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_generated_submissions_round_trip(data: dict) -> None:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    sub = sub_mod.parse(yamlsafe.load_text(text, "gen.yaml"))
    preset = {"setting": sub.values["setting"]} if sub.values.get("setting") else {}
    raw = workbook.render(sub.spec, preset, workbook.Prefill.of(sub))
    back = workbook_read.parse_bytes(raw, "gen.xlsx")
    assert norm(back.submission) == norm(sub)
    # the canonical YAML reads back to the same submission too
    assert norm(sub_mod.parse(yamlsafe.load_text(back.yaml, "back.yaml"))) == norm(sub)


# --------------------------------------------------------------------------------------------
# What the provider gets


def test_template_workbook_has_the_designed_sheets_and_protection(tmp_path: Path) -> None:
    out = tmp_path / "school.xlsx"
    res = run("template", "asthma-cyp", "--format", "xlsx", "--setting", "school", "-o", out)
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == list(workbook.SHEETS)
    assert wb.active.title == "Instructions"
    assert wb["Lists"].sheet_state == "hidden" and wb["About"].sheet_state == "veryHidden"
    ws = wb[ANSWERS]
    assert ws.protection.sheet and not ws.protection.password
    assert int(ws.page_setup.paperSize) == 9
    r = row_of(out, "school_asthma_register")
    answer, question = ws.cell(r, C_ANSWER + 1), ws.cell(r, 2)
    assert answer.protection.locked is False and question.protection.locked is True
    # every answer cell has a data validation with the question's help as its input message
    validated = {str(c) for dv in ws.data_validations.dataValidation for rng in dv.sqref.ranges
                 for c in [rng.coord]}
    about = [r for r in wb["About"].iter_rows(values_only=True) if r[0] == "answer"]
    for _, row, qid, _label in about:
        assert cell(int(row), C_ANSWER) in validated, qid
    yes_no = next(dv for dv in ws.data_validations.dataValidation if cell(r, C_ANSWER) in str(dv.sqref))
    assert yes_no.type == "list" and "Lists" in yes_no.formula1 and yes_no.prompt
    # a question that depends on another answer says so
    guidance = ws.cell(r, 3).value
    assert "depends on your answer to Q1" in guidance
    # the setting the workbook was made for is filled in and cannot be changed by accident
    setting = ws.cell(row_of(out, "setting"), C_ANSWER + 1)
    assert setting.value == "school" and setting.protection.locked is True
    # the action-plan standard column is a drop-down of the spec's standard ids
    plans = wb["Action plans"]
    assert any(dv.type == "list" and "A5" in str(dv.sqref) for dv in plans.data_validations.dataValidation)
    # only questions that apply to a school are asked
    qids = {row[2] for row in about}
    assert "school_asthma_register" in qids and "cyp_reviewed_12m" not in qids


def test_template_xlsx_usage_errors(tmp_path: Path) -> None:
    src = ROOT / "submissions" / "asthma-school-riverbank.yaml"
    assert run("template", "asthma-cyp", "--format", "xlsx").exit_code == 2            # no -o
    assert run("template", "asthma-cyp", "--from", src).exit_code == 2                 # --from needs xlsx
    copy = tmp_path / "site.xlsx"
    copy.write_bytes(b"not yet")
    assert run("template", "asthma-cyp", "--format", "xlsx", "--from", copy, "-o", copy).exit_code == 2
    assert copy.read_bytes() == b"not yet"


def _fill_like_a_provider(path: Path, out: Path) -> None:
    """What a provider does in Excel: drop-down values, typed dates, counts, a comment, a plan."""
    wb = openpyxl.load_workbook(path)
    site = wb["Site"]
    site["B5"], site["B6"], site["B10"] = "Brookmill Surgery", "F84999", dt.datetime(2026, 10, 20)
    site["B13"], site["B14"] = "Dr A Patel", "Asthma lead GP"
    ws = wb[ANSWERS]
    about = [r for r in wb["About"].iter_rows(values_only=True) if r[0] == "answer"]
    for _, row, qid, _ in about:
        q = sub_mod.spec_mod.load("asthma-cyp").questions[qid]
        r = int(row)
        if q.type == "boolean":
            ws.cell(r, C_ANSWER + 1).value = "Yes" if hash(qid) % 3 else "No"
        elif q.type == "proportion":
            ws.cell(r, C_ANSWER + 1).value, ws.cell(r, C_OUTOF + 1).value = 41, 50
        elif q.type in ("integer", "minutes", "number"):
            ws.cell(r, C_ANSWER + 1).value = 2
    r = int(about[1][1])
    ws.cell(r, C_COMMENT + 1).value = "Lead named in the practice's asthma policy"
    ws.cell(r, workbook.C_EV_TITLE + 1).value = "Practice asthma policy"
    ws.cell(r, workbook.C_EV_DATE + 1).value = dt.datetime(2026, 4, 1)
    plans = wb["Action plans"]
    plans["A5"], plans["B5"], plans["C5"], plans["D5"] = "AST-PC-01", "Recall every child", "Practice manager", \
        dt.datetime(2027, 1, 31)
    wb.save(out)


def test_a_workbook_filled_in_by_a_provider_validates_assesses_and_renders(tmp_path: Path) -> None:
    blank = tmp_path / "blank.xlsx"
    assert run("template", "asthma-cyp", "--format", "xlsx", "--setting", "gp_practice", "-o", blank).exit_code == 0
    filled = tmp_path / "brookmill.xlsx"
    _fill_like_a_provider(blank, filled)
    before = sha(filled)
    res = run("validate", filled)
    assert res.exit_code == 0 and "ok:" in res.output, res.output
    res = run("assess", filled, "--format", "json")
    assert res.exit_code == 0, res.output
    result = json.loads(res.output)
    assert result["site"]["code"] == "F84999" and result["assessed_on"] == "2026-10-20"
    assert result["inputs"]["workbook_sha256"] == before
    assert any(s["action_plan"] for s in result["standards"])
    assert any(s["comment"] == "Lead named in the practice's asthma policy" for s in result["standards"])
    pdf = tmp_path / "brookmill.pdf"
    res = run("report", filled, "-o", pdf)
    assert res.exit_code == 0, res.output
    from designation.report.pdf import read_attachments

    files = read_attachments(pdf)
    assert files["submission.xlsx"] == filled.read_bytes()
    assert b"F84999" in files["submission.yaml"]
    res = run("verify", pdf)
    assert res.exit_code == 0, res.output
    assert sha(filled) == before


def test_verify_notices_a_workbook_that_no_longer_gives_its_yaml(tmp_path: Path) -> None:
    """The report's workbook and YAML are bound by their hashes in result.json."""
    src = ROOT / "submissions" / "asthma-school-riverbank.yaml"
    xlsx = make_workbook(tmp_path, src)
    a = api.assess_path(xlsx)
    result = a.to_json()
    other = make_workbook(tmp_path, ROOT / "submissions" / "asthma-pharmacy-kennington.yaml", "other.xlsx")
    from designation.report import pdf as pdf_mod
    from designation.report.verify import verify_pdf

    files = api.report_attachments(a.inputs)
    files["submission.xlsx"] = other.read_bytes()
    out = tmp_path / "tampered.pdf"
    pdf_mod.write_pdf(result, out, attachments=files)
    ok, diffs = verify_pdf(out)
    assert not ok and any("submission.xlsx" in d for d in diffs)


def test_every_problem_is_reported_at_once_by_cell_with_a_remedy(tmp_path: Path) -> None:
    src = ROOT / "submissions" / "ucc-riverside-colocated.yaml"
    xlsx = make_workbook(tmp_path, src)
    spec = sub_mod.load(src).spec
    by_type: dict[str, list[str]] = {}
    for qid in spec.questions:
        by_type.setdefault(spec.questions[qid].type, []).append(qid)
    wb = openpyxl.load_workbook(xlsx)
    ws = wb[ANSWERS]
    rows = {}
    rows["text_in_number"] = row_of(xlsx, by_type["integer"][0])
    rows["percent_sign"] = row_of(xlsx, by_type["percentage"][0])
    rows["bad_bool"] = row_of(xlsx, by_type["boolean"][0])
    rows["bad_choice"] = row_of(xlsx, by_type["choice"][0])
    ws.cell(rows["text_in_number"], C_ANSWER + 1).value = "12 staff"
    ws.cell(rows["percent_sign"], C_ANSWER + 1).value = "85%"
    ws.cell(rows["bad_bool"], C_ANSWER + 1).value = "maybe"
    ws.cell(rows["bad_choice"], C_ANSWER + 1).value = "colocatd"
    if "proportion" in by_type:
        rows["half_pair"] = row_of(xlsx, by_type["proportion"][0])
        ws.cell(rows["half_pair"], C_ANSWER + 1).value = 5
        ws.cell(rows["half_pair"], C_OUTOF + 1).value = None
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    out = tmp_path / "out.yaml"
    res = run("import", bad, "-o", out)
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == len(rows), res.output
    for key, r in rows.items():
        assert any(f"{bad}!Answers!D{r} (" in line or f"{bad}!Answers!E{r} (" in line for line in lines), key
    text = res.output
    assert "write the number alone" in text and "without the % sign" in text and "pick Yes or No" in text
    assert "did you mean 'co-located'? Pick one from the drop-down" in text and "?;" not in text
    assert not out.exists()
    assert run("assess", bad).exit_code == 1


def test_an_over_long_cell_and_values_outside_every_table_are_located_not_ignored(tmp_path: Path) -> None:
    src = ROOT / "submissions" / "ucc-riverside-colocated.yaml"
    xlsx = make_workbook(tmp_path, src)
    qid = next(iter(sub_mod.load(src).spec.questions))
    r = row_of(xlsx, qid)
    wb = openpyxl.load_workbook(xlsx)
    wb[ANSWERS].cell(r, C_COMMENT + 1).value = "LONGCOMMENT"
    wb[ANSWERS]["M5"] = "an answer typed beside the table"
    wb["Site"]["F6"] = "RVR01"
    wb["Action plans"]["B900"] = "Recruit a second consultant"
    wb.save(tmp_path / "edited.xlsx")
    # Excel (and openpyxl) stop at 32,767 characters a cell; another program may not
    edited = tmp_path / "edited.xlsx"
    bad = _zip_edit(edited, tmp_path / "bad.xlsx",
                    {_answers_part(edited): lambda b: b.replace(b"LONGCOMMENT", b"x" * 40_000)})
    res = run("import", bad, "-o", tmp_path / "out.yaml")
    assert res.exit_code == 1
    out = res.output
    assert f"{bad}!Answers!{cell(r, C_COMMENT)} ({qid}): the cell holds 40,000 characters" in out, out
    assert f"{bad}!Answers!M5: this cell is outside the answer table" in out, out
    assert f"{bad}!Site!F6: this cell is outside the site details" in out, out
    assert f"{bad}!Action plans!B900: this cell is outside the action plans table" in out, out
    assert len(out.strip().splitlines()) == 4, out


def test_a_percentage_typed_with_its_sign_is_read_as_excel_shows_it(tmp_path: Path) -> None:
    src = ROOT / "submissions" / "ucc-riverside-colocated.yaml"
    xlsx = make_workbook(tmp_path, src)
    spec = sub_mod.load(src).spec
    qid = next(q for q, x in spec.questions.items() if x.type == "percentage")
    wb = openpyxl.load_workbook(xlsx)
    c = wb[ANSWERS].cell(row_of(xlsx, qid), C_ANSWER + 1)
    c.value, c.number_format = 0.85, "0%"       # what Excel stores when 85% is typed
    wb.save(xlsx)
    assert workbook_read.load(xlsx).submission.values[qid] == 85


def test_formulas_answer_by_cached_value_or_are_refused_and_text_formulas_stay_text(tmp_path: Path) -> None:
    src = ROOT / "submissions" / "asthma-school-riverbank.yaml"
    xlsx = make_workbook(tmp_path, src)
    wb = openpyxl.load_workbook(xlsx)
    ws = wb[ANSWERS]
    r_count = row_of(xlsx, "emergency_inhaler_kits")
    r_lead = row_of(xlsx, "named_asthma_lead")
    ws.cell(r_count, C_ANSWER + 1).value = "=1+1"      # openpyxl saves no cached result
    link = '=HYPERLINK("http://evil.example/x","Click me")'
    ws.cell(r_lead, C_COMMENT + 1).value = link
    wb.save(xlsx)
    res = run("import", xlsx)
    assert res.exit_code == 1
    assert f"Answers!D{r_count} (emergency_inhaler_kits)" in res.output and "formula" in res.output
    # with the formula gone, the text formula is read as its own text, never evaluated
    wb = openpyxl.load_workbook(xlsx)
    wb[ANSWERS].cell(r_count, C_ANSWER + 1).value = 2
    wb.save(xlsx)
    imported = workbook_read.load(xlsx)
    assert imported.submission.answers["named_asthma_lead"].comment == link
    # and written back into a workbook it is a string, not a formula
    again = tmp_path / "again.yaml"
    again.write_text(imported.yaml)
    out = tmp_path / "again.xlsx"
    assert run("template", "asthma-cyp", "--format", "xlsx", "--from", again, "-o", out).exit_code == 0
    c = openpyxl.load_workbook(out)[ANSWERS].cell(row_of(out, "named_asthma_lead"), C_COMMENT + 1)
    assert c.data_type == "s" and c.value == link


def test_yaml_commands_do_not_import_the_workbook_libraries() -> None:
    code = ("import sys; from click.testing import CliRunner; from designation.cli import main; "
            "r = CliRunner().invoke(main, ['assess', 'submissions/ucc-riverside-colocated.yaml']); "
            "r2 = CliRunner().invoke(main, ['validate', 'submissions/ucc-riverside-colocated.yaml']); "
            "assert r.exit_code == 0 and r2.exit_code == 0; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('openpyxl', 'xlsxwriter')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_batch_on_a_mixed_folder_gives_the_same_network_summary(tmp_path: Path) -> None:
    yaml_dir, mixed = tmp_path / "yaml", tmp_path / "mixed"
    yaml_dir.mkdir()
    mixed.mkdir()
    picks = [p for p in SHIPPED if p.stem.startswith(("asthma-", "ucc-"))]
    for i, p in enumerate(picks):
        shutil.copy(p, yaml_dir / p.name)
        if i % 2:
            make_workbook(mixed, p, p.stem + ".xlsx")
        else:
            shutil.copy(p, mixed / p.name)
    assert any(mixed.glob("*.xlsx")) and any(mixed.glob("*.yaml"))
    for d in (yaml_dir, mixed):
        res = run("batch", d, "-o", tmp_path / f"out-{d.name}", "--no-pdf", "--jobs", "1")
        assert res.exit_code == 0, res.output
    a = (tmp_path / "out-yaml" / "network-summary.csv").read_text()
    b = (tmp_path / "out-mixed" / "network-summary.csv").read_text()
    assert a == b
    res = run("assess", mixed, "--format", "json")
    assert res.exit_code == 0
    assert sorted(r["site"]["code"] for r in json.loads(res.output)) == \
        sorted(sub_mod.load(p).site.code for p in picks)


def test_batch_refuses_a_workbook_and_a_yaml_of_the_same_name(tmp_path: Path) -> None:
    folder = tmp_path / "subs"
    folder.mkdir()
    src = ROOT / "submissions" / "asthma-school-riverbank.yaml"
    shutil.copy(src, folder / "riverbank.yaml")
    make_workbook(folder, src, "riverbank.xlsx")
    res = run("batch", folder, "-o", tmp_path / "out", "--no-pdf", "--jobs", "1")
    assert res.exit_code == 1
    assert "same name as riverbank.xlsx" in res.output
    assert (tmp_path / "out" / "riverbank.json").is_file()


# --------------------------------------------------------------------------------------------
# A real client opens it: LibreOffice


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _resave(files: list[Path], outdir: Path, tmp_path: Path) -> None:
    outdir.mkdir()
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to",
                    "xlsx", "--outdir", str(outdir)] + [str(f) for f in files],
                   check=True, capture_output=True, timeout=600)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs "
                                            "libreoffice-calc-nogui, or run: apt-get install libreoffice-calc-nogui")
def test_libreoffice_resaved_workbooks_import_to_the_same_submission(tmp_path: Path) -> None:
    made = tmp_path / "made"
    made.mkdir()
    files = [make_workbook(made, p, p.stem + ".xlsx") for p in SHIPPED]
    blank = made / "blank.xlsx"
    assert run("template", "asthma-cyp", "--format", "xlsx", "--setting", "gp_practice", "-o", blank).exit_code == 0
    filled = made / "filled.xlsx"
    _fill_like_a_provider(blank, filled)
    files.append(filled)
    _resave(files, tmp_path / "resaved", tmp_path)
    for f in files:
        again = tmp_path / "resaved" / f.name
        assert again.is_file(), f.name
        assert again.read_bytes() != f.read_bytes()
        assert norm(workbook_read.load(again).submission) == norm(workbook_read.load(f).submission), f.name
    a, b = api.assess_path(filled).to_json(), api.assess_path(tmp_path / "resaved" / "filled.xlsx").to_json()
    assert a["outcome"] == b["outcome"] and [s["status"] for s in a["standards"]] == \
        [s["status"] for s in b["standards"]]


# --------------------------------------------------------------------------------------------
# Bad input: a clear located error, exit 1, nothing written, the workbook unchanged


def _zip_edit(src: Path, dst: Path, edits: dict, add: dict | None = None, drop: tuple = ()) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info.filename)
            if info.filename in edits:
                data = edits[info.filename](data)
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def _answers_part(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        wbxml = z.read("xl/workbook.xml").decode()
    assert 'name="Answers"' in wbxml
    return "xl/worksheets/sheet3.xml"   # XlsxWriter numbers the parts in sheet order


def _about_rewritten(path: Path, dst: Path, change) -> Path:
    """Rewrite the About sheet's entries (keeping a valid checksum unless told otherwise)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[workbook.ABOUT]
    rows = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    entries = [tuple(str(v) for v in r if v is not None) for r in rows if r[0] != "checksum"]
    entries = change(entries)
    ws.delete_rows(2, ws.max_row)
    for i, e in enumerate(entries):
        for c, v in enumerate(e):
            ws.cell(i + 2, c + 1).value = v
    ws.cell(len(entries) + 2, 1).value = "checksum"
    ws.cell(len(entries) + 2, 2).value = workbook.checksum(entries)
    wb.save(dst)
    return dst


def _bad_cases(tmp_path: Path, good: Path) -> dict:
    cases: dict = {}
    p = tmp_path / "plain.xlsx"
    p.write_text("site: not a workbook\n")
    cases["not a zip"] = (p, "not an Excel workbook")
    p = tmp_path / "notbook.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "hi")
    cases["zip, not a workbook"] = (p, "not an Excel workbook")
    bomb = _zip_edit(good, tmp_path / "bomb.xlsx", {}, add={"xl/worksheets/sheet9.xml": b"\0" * (30 * 1024 * 1024)})
    cases["zip bomb"] = (bomb, "refusing to inflate")
    million = _zip_edit(good, tmp_path / "million.xlsx", {_answers_part(good): lambda b: b.replace(
        b"</sheetData>", b'<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
        .replace(re.search(rb'<dimension ref="[A-Z0-9:]+"', b).group(0), b'<dimension ref="A1:K1000000"')})
    cases["a value far outside the table"] = (million, "Answers!A1000000: this cell is outside the answer table")
    empty = _zip_edit(good, tmp_path / "empty.xlsx", {_answers_part(good): lambda b: re.sub(
        rb'<dimension ref="[A-Z0-9:]+"/>', b"", b).replace(
        b"</sheetData>", b"".join(b'<row r="%d"/>' % i for i in range(100, 1_000_100)) + b"</sheetData>")})
    raw = bytearray(good.read_bytes())   # the first part's deflate stream broken: zlib.error, once an internal error
    raw[30 + int.from_bytes(raw[26:28], "little") + int.from_bytes(raw[28:30], "little")] = 0
    (tmp_path / "deflate.xlsx").write_bytes(bytes(raw))
    cases["a damaged compressed part"] = (tmp_path / "deflate.xlsx", "is not a readable workbook")
    cases["a million empty rows"] = (empty, "empty.xlsx!Answers: the sheet has 1,000,0")   # and no <dimension>
    renamed = _zip_edit(good, tmp_path / "renamed.xlsx", {"xl/workbook.xml": lambda b: b.replace(
        b'name="Answers"', b'name="Answerz"')})
    cases["renamed sheet"] = (renamed, "rename it back to 'Answers'")
    wb = openpyxl.load_workbook(good)
    del wb[ANSWERS]
    wb.save(tmp_path / "deleted.xlsx")
    cases["deleted sheet"] = (tmp_path / "deleted.xlsx", "'Answers' is missing")
    wb = openpyxl.load_workbook(good)
    wb[workbook.ABOUT]["C30"] = "named_asthma_lead"
    wb.save(tmp_path / "about-edited.xlsx")
    cases["About edited"] = (tmp_path / "about-edited.xlsx", "About sheet has been edited")
    wb = openpyxl.load_workbook(good)
    del wb[workbook.ABOUT]
    wb.save(tmp_path / "about-removed.xlsx")
    cases["About removed"] = (tmp_path / "about-removed.xlsx", "About sheet")
    wb = openpyxl.load_workbook(good)
    ws = wb[ANSWERS]
    for c in range(1, len(workbook.COLUMNS) + 1):   # sort two rows the other way round
        a, b = ws.cell(FIRST_ROW, c), ws.cell(FIRST_ROW + 1, c)
        a.value, b.value = b.value, a.value
    wb.save(tmp_path / "moved.xlsx")
    cases["rows moved"] = (tmp_path / "moved.xlsx", "rows were moved")
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(good, "rb") as fh, open(tmp_path / "encrypted.xlsx", "wb") as out:
        OOXMLFile(fh).encrypt("secret", out)
    cases["encrypted"] = (tmp_path / "encrypted.xlsx", "password-protected")
    newer = _about_rewritten(good, tmp_path / "newer.xlsx",
                             lambda es: [("template_version", "99") if e[0] == "template_version" else e for e in es])
    cases["newer template version"] = (newer, "upgrade designation")
    other = _about_rewritten(good, tmp_path / "edition.xlsx",
                             lambda es: [("edition", "2019-01") if e[0] == "edition" else e for e in es])
    cases["other edition"] = (other, "edition '2019-01'")
    return cases


BAD = ["not a zip", "zip, not a workbook", "zip bomb", "a value far outside the table", "a million empty rows",
       "a damaged compressed part", "renamed sheet", "deleted sheet", "About edited", "About removed", "rows moved",
       "encrypted", "newer template version", "other edition"]


@pytest.fixture(scope="module")
def bad_cases(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("bad")
    good = make_workbook(tmp, ROOT / "submissions" / "asthma-school-riverbank.yaml", "good.xlsx")
    return _bad_cases(tmp, good)


@pytest.mark.parametrize("case", BAD)
def test_bad_workbook_is_one_clear_located_error(case: str, bad_cases: dict, tmp_path: Path) -> None:
    path, words = bad_cases[case]
    before = sha(path)
    out = tmp_path / "out.yaml"
    res = run("import", path, "-o", out)
    assert res.exit_code == 1, res.output
    assert res.output.startswith(str(path)), res.output
    assert words in res.output, res.output
    assert "Traceback" not in res.output
    assert not out.exists()
    res = run("assess", path)
    assert res.exit_code == 1 and res.output.startswith(str(path)) and "Traceback" not in res.output
    assert sha(path) == before


def test_macros_are_never_run_and_the_user_is_told(tmp_path: Path) -> None:
    good = make_workbook(tmp_path, ROOT / "submissions" / "asthma-school-riverbank.yaml", "good.xlsx")
    xlsm = _zip_edit(good, tmp_path / "macro.xlsm", {}, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not run"})
    res = run("import", xlsm)
    assert res.exit_code == 0, res.output
    assert "macros" in res.output and "not run" in res.output
    assert "Riverbank Primary School" in res.output


def test_n_a_in_a_count_cell_says_to_leave_it_blank_and_comment(tmp_path: Path) -> None:
    xlsx = make_workbook(tmp_path, ROOT / "submissions" / "asthma-school-riverbank.yaml")
    wb = openpyxl.load_workbook(xlsx)
    r = row_of(xlsx, "pupils_with_plan")
    wb[ANSWERS].cell(r, C_ANSWER + 1).value = "N/A"
    wb.save(xlsx)
    res = run("import", xlsx)
    assert res.exit_code == 1
    assert f"Answers!D{r} (pupils_with_plan)" in res.output and "leave the answer blank" in res.output


def test_action_plans_sheet_states_the_window_in_months(tmp_path: Path) -> None:
    out = tmp_path / "school.xlsx"
    assert run("template", "asthma-cyp", "--format", "xlsx", "--setting", "school", "-o", out).exit_code == 0
    text = openpyxl.load_workbook(out)["Action plans"]["A2"].value
    months = sub_mod.spec_mod.load("asthma-cyp").policy.figures().action_plan_window_months
    assert f"within {months} months of the assessment" in text
    assert "source=" not in text and "value=" not in text


def test_answer_rows_are_tall_enough_for_their_wrapped_question_and_guidance(tmp_path: Path) -> None:
    """A row cut short hides the end of a question (the school's Q11 lost "hold?")."""
    import textwrap

    xlsx = make_workbook(tmp_path, ROOT / "submissions" / "asthma-school-riverbank.yaml")
    ws = openpyxl.load_workbook(xlsx)[ANSWERS]
    width = {c: ws.column_dimensions[workbook.col_letter(c)].width for c in (1, 2)}
    for _, row, qid, _ in (r for r in openpyxl.load_workbook(xlsx)["About"].iter_rows(values_only=True)
                           if r[0] == "answer"):
        r = int(row)
        height = ws.row_dimensions[r].height
        for c, pt in ((1, 12), (2, 11)):
            text = str(ws.cell(r, c + 1).value or "")
            lines = sum(max(1, len(textwrap.wrap(p, int(width[c] * 1.1)))) for p in text.split("\n"))
            assert height >= lines * pt, (qid, c, lines, height)


def test_template_refuses_a_setting_that_contradicts_the_from_submission(tmp_path: Path) -> None:
    src = ROOT / "submissions" / "asthma-school-riverbank.yaml"
    out = tmp_path / "mixed.xlsx"
    res = run("template", "asthma-cyp", "--format", "xlsx", "--setting", "pharmacy", "--from", src, "-o", out)
    assert res.exit_code == 2, res.output
    assert "setting is school" in res.output and "drop --setting" in res.output
    assert not out.exists()
    res = run("template", "asthma-cyp", "--format", "xlsx", "--setting", "school", "--from", src, "-o", out)
    assert res.exit_code == 0, res.output


def test_import_refuses_a_workbook_output_name_and_a_yaml_input(tmp_path: Path) -> None:
    xlsx = make_workbook(tmp_path, ROOT / "submissions" / "asthma-school-riverbank.yaml")
    out = tmp_path / "b.xlsx"
    res = run("import", xlsx, "-o", out)
    assert res.exit_code == 2 and ".yaml" in res.output and not out.exists()
    res = run("import", ROOT / "submissions" / "asthma-school-riverbank.yaml")
    assert res.exit_code == 2 and "not a workbook" in res.output and "needs no import" in res.output


def test_remedies_are_said_in_spreadsheet_terms(tmp_path: Path) -> None:
    xlsx = make_workbook(tmp_path, ROOT / "submissions" / "asthma-school-riverbank.yaml")
    wb = openpyxl.load_workbook(xlsx)
    ws = wb[ANSWERS]
    ws.cell(row_of(xlsx, "named_asthma_lead"), C_ANSWER + 1).value = "TRUE"
    ws.cell(row_of(xlsx, "school_asthma_register"), C_ANSWER + 1).value = dt.datetime(2026, 1, 2)
    r = row_of(xlsx, "pupils_with_plan")
    ws.cell(r, C_ANSWER + 1).value, ws.cell(r, C_OUTOF + 1).value = 50, 45
    ws.cell(row_of(xlsx, "emergency_inhaler_kits"), C_ANSWER + 1).value = "two"
    wb["Site"]["B10"] = "yesterday"
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    res = run("import", bad)
    assert res.exit_code == 1
    text = res.output
    assert "TRUE" in text and "pick Yes or No from the drop-down" in text and "quotes" not in text
    assert "datetime" not in text and "the date 2026-01-02" in text
    assert f"(50, Answers!D{r}) cannot be more than the number out of (45, Answers!E{r})" in text
    assert "write the number in figures, e.g. 2" in text
    assert "Site!B10 (date of this assessment):" in text
    wb = openpyxl.load_workbook(xlsx)
    wb[ANSWERS].title = "Sheet1"
    renamed = tmp_path / "renamed.xlsx"
    wb.save(renamed)
    res = run("import", renamed)
    assert res.exit_code == 1 and "rename it back to 'Answers'" in res.output


def test_a_decimal_comma_is_not_read_as_a_whole_number(tmp_path: Path) -> None:
    src = ROOT / "submissions" / "ucc-riverside-colocated.yaml"
    xlsx = make_workbook(tmp_path, src)
    spec = sub_mod.load(src).spec
    qid = next(q for q, x in spec.questions.items() if x.type in ("number", "minutes", "hours") and
               q in {r[2] for r in openpyxl.load_workbook(xlsx)["About"].iter_rows(values_only=True)})
    wb = openpyxl.load_workbook(xlsx)
    wb[ANSWERS].cell(row_of(xlsx, qid), C_ANSWER + 1).value = "16,5"
    wb.save(xlsx)
    res = run("import", xlsx)
    assert res.exit_code == 1 and "write 16.5 with a decimal point" in res.output


def test_batch_reads_an_upper_case_xlsx_and_reports_xls_and_ods(tmp_path: Path) -> None:
    folder = tmp_path / "subs"
    folder.mkdir()
    make_workbook(folder, ROOT / "submissions" / "asthma-school-riverbank.yaml", "RIVERBANK.XLSX")
    (folder / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    (folder / "calc.ods").write_bytes(b"PK\x03\x04 ods")
    res = run("batch", folder, "-o", tmp_path / "out", "--no-pdf", "--jobs", "1")
    assert res.exit_code == 1, res.output
    assert "old.xls" in res.output and "calc.ods" in res.output and "save it as .xlsx" in res.output
    assert (tmp_path / "out" / "RIVERBANK.json").exists() or "RIVERBANK" in \
        (tmp_path / "out" / "network-summary.csv").read_text()


def test_a_report_from_a_workbook_prints_the_workbooks_hash(tmp_path: Path) -> None:
    xlsx = make_workbook(tmp_path, ROOT / "submissions" / "asthma-school-riverbank.yaml")
    pdf = tmp_path / "r.pdf"
    res = run("report", xlsx, "-o", pdf)
    assert res.exit_code == 0, res.output
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(str(pdf)).pages).replace("\n", "")
    assert sha(xlsx) in text


def test_import_gives_back_the_yaml_the_workbook_was_made_from_without_blank_entries(tmp_path: Path) -> None:
    src = ROOT / "submissions" / "asthma-school-riverbank.yaml"
    xlsx = make_workbook(tmp_path, src)
    text = workbook_read.load(xlsx).yaml
    back = yaml.safe_load(text)
    orig = yaml.safe_load(src.read_text())
    assert None not in back["answers"].values()
    assert back.get("action_plans", {}) == (orig.get("action_plans") or {})
    assert ("action_plans" in back) == bool(orig.get("action_plans"))
    assert canonical.to_data(sub_mod.parse(yamlsafe.load_text(text, "back.yaml"))) == \
        canonical.to_data(sub_mod.load(src))


def test_plan_and_count_problems_are_all_reported_in_one_round(tmp_path: Path) -> None:
    xlsx = make_workbook(tmp_path, ROOT / "submissions" / "asthma-school-riverbank.yaml")
    spec = sub_mod.spec_mod.load("asthma-cyp")
    wb = openpyxl.load_workbook(xlsx)
    plans = wb["Action plans"]
    plans["A20"], plans["B20"], plans["C20"], plans["D20"] = "AST-SCH-1O", "Do it", None, "soon"
    r = row_of(xlsx, "pupils_with_plan")
    wb[ANSWERS].cell(r, C_ANSWER + 1).value, wb[ANSWERS].cell(r, C_OUTOF + 1).value = "lots", None
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    res = run("import", bad)
    assert res.exit_code == 1
    text = res.output
    assert "Action plans!C20" in text and "Action plans!D20" in text and "Action plans!A20" in text, text
    assert f"Answers!D{r}" in text and f"Answers!E{r}" in text, text
    hint = re.search(r"did you mean '([^']+)'", text.split("Action plans!A20", 1)[1])
    school = {st.id for st in spec.standards if st.id.startswith("AST-SCH")}
    assert hint and hint.group(1) in school, text
