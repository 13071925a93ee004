"""Every kind of bad input gets one clear, located error line, exit 1, and no traceback.

Each case runs through the CLI in-process (``validate``) and checks the input is unchanged.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from designation.inputs import yamlsafe
from designation.cli import main
from designation.errors import InputError

from .conftest import submission, write_yaml

HEADER = 'format: 1\nspec: mini-top\nedition: "2026-01"\nsite: {name: X, code: X1}\nassessed_on: 2026-10-01\n'

CASES = {
    "empty": ("", "file is empty"),
    "top-level list": ("- a\n- b\n", "must be a YAML mapping"),
    "scalar": ("just text\n", "must be a YAML mapping"),
    "syntax error": ("a: [1, 2\nb: 3\n", ":2:2: YAML syntax error: did not find expected"),
    "duplicate key deep": (HEADER + "answers:\n  consultant_hours: 16\n  consultant_hours: 12\n",
                           ":8:3: duplicate key 'consultant_hours' (first defined on line 7)"),
    "duplicate top key": ("spec: a\nspec: b\n", ":2:1: duplicate key 'spec'"),
    "python tag": ("a: !!python/object/apply:os.system ['echo hi']\n", ":1:4: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    "core tag on a value it does not fit": ("a: !!bool\nb: !!timestamp soon\n", ":1:4: cannot read value '' as bool"),
    "custom tag": ("a: !include other.yaml\n", "tag '!include' is not allowed"),
    "alias bomb": ("a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                   "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                   "f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n", "alias bomb"),
    "deep nesting": ("a: " + "[" * 200 + "]" * 200 + "\n", "nested more than 50 levels"),
    "deep block nesting": ("- " * 5000 + "x\n", "nested more than 50 levels"),
    "wrong type for hours": (HEADER + "answers:\n  consultant_hours: sixteen\n", ":7:21: consultant_hours: expected a number"),
    "yes where a number is due": (HEADER + "answers:\n  consultant_hours: yes\n", "got yes (YAML reads yes/no as true/false)"),
    "no where text is due": (HEADER + "answers:\n  lead_name: no\n", ":7:14: lead_name: expected text, got no"),
    "25 hours a day": (HEADER + "answers:\n  consultant_hours: 25\n", "25 is out of bounds: must be between 0 and 24 hours a day"),
    "120 percent": (None, "120.0 is out of bounds"),
    "unknown spec": ('format: 1\nspec: uec-nope\nedition: "1"\nsite: {name: X, code: X1}\nassessed_on: 2026-10-01\n', ":2:7: unknown spec 'uec-nope'"),
    "unknown edition": (HEADER.replace("2026-01", "2015-11"), ":3:10: spec 'mini-top' edition '2015-11' is not available"),
    "unknown question": (HEADER + "answers:\n  consultant_hrs: 16\n", ":7:3: unknown question 'consultant_hrs'; did you mean 'consultant_hours'?"),
    "unknown top-level key": (HEADER + "answer: {}\n", ":6:1: unknown key 'answer' in top level; did you mean 'answers'?"),
    "unknown standard in plan": (HEADER + "action_plans:\n  MT-09: {action: a, owner: b, due: 2027-01-01}\n", "action plan for unknown standard 'MT-09'; did you mean 'MT-01'?"),
    "plan without owner": (HEADER + "action_plans:\n  MT-01: {action: a, due: 2027-01-01}\n", "action_plans.MT-01.owner: required key is missing"),
    "plan without date": (HEADER + "action_plans:\n  MT-01: {action: a, owner: b}\n", "action_plans.MT-01.due: required key is missing"),
    "plan due before assessment": (HEADER + "action_plans:\n  MT-01: {action: a, owner: b, due: 2026-01-01}\n", "is due on 2026-01-01, not after the assessment date"),
    "choice not listed": (HEADER + "answers:\n  site_type: colocated\n", "'colocated' is not one of co_located, standalone; did you mean 'co_located'?"),
    "numerator over denominator": (HEADER + "answers:\n  reviews: {numerator: 5, denominator: 4}\n", "numerator 5 is larger than denominator 4"),
    "claimed wrong level": (HEADER + "claimed: BASE\n", "claimed 'BASE', but spec 'mini-top' designates 'TOP'"),
    # a provider gets the remedy, not the parser's words
    "day-first date": (HEADER.replace("2026-10-01", "01/10/2026"),
                       ":5:14: assessed_on: write dates as YYYY-MM-DD, e.g. 2026-10-01 (01/10/2026 is ambiguous"),
    "unambiguous day-first date": (HEADER.replace("2026-10-01", "25/09/2026"), "'25/09/2026' is probably 2026-09-25"),
    "percent sign": (HEADER + "answers:\n  mh_response_minutes: 30%\n", ":7:24: mh_response_minutes: write 30, without the % sign"),
    "percentage for counts": (HEADER + "answers:\n  reviews: 85\n", "reviews: got 85; give the two counts; the percentage is worked out for you"),
    "Y for yes": (HEADER + "answers:\n  accepts_ambulances: Y\n", ":7:23: accepts_ambulances: 'Y' is not yes or no; did you mean yes?"),
    "N/A": (HEADER + "answers:\n  single_call_mh: N/A\n", "'N/A' is not an answer; leave the question unanswered (~) and say why in a comment"),
    "units in a number": (HEADER + "answers:\n  consultant_hours: 16 hours\n", "write the number alone, 16"),
    "tab indentation": (HEADER + "answers:\n\tconsultant_hours: 16\n", ":7:1: YAML syntax error"),
    "template never filled in": (HEADER.replace("name: X,", 'name: "REPLACE: site name",'),
                                 ":4:14: site.name still holds the template's placeholder 'REPLACE: site name'"),
    "identifier read as a number": (HEADER.replace("code: X1", "code: 109999"), ":4:23: site.code: write 109999 in quotes"),
    "assessed in the future": (HEADER.replace("2026-10-01", "2990-10-01"), ":5:14: assessed_on 2990-10-01 is in the future"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_submission_gets_one_located_error_and_exit_1(name: str, mini_specs: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    text, expected = CASES[name]
    f = tmp_path / "site.yaml"
    if text is None:  # a percentage question, built from the fixture with an extra question
        spec_dir = tmp_path / "specs"
        spec_dir.mkdir()
        base = (mini_specs / "mini-base.yaml").read_text()
        base = base.replace("questions:\n", "questions:\n  pct:\n    type: percentage\n    label: p\n    prompt: p?\n", 1)
        (spec_dir / "mini-base.yaml").write_text(base)
        (spec_dir / "mini-top.yaml").write_text((mini_specs / "mini-top.yaml").read_text())
        monkeypatch.setenv("DESIGNATION_SPECS", str(spec_dir))
        text = HEADER + "answers:\n  pct: 120.0\n"
    f.write_bytes(text.encode())
    before = hashlib.sha256(f.read_bytes()).hexdigest()
    result = CliRunner().invoke(main, ["validate", str(f)])
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert hashlib.sha256(f.read_bytes()).hexdigest() == before


def test_invalid_utf8_and_nul_bytes_are_located(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(InputError, match=r"bad.yaml:2:7: file is not valid UTF-8 \(byte 0xe9.*'é'.*save it as UTF-8"):
        yamlsafe.load_file(f)
    f.write_bytes(b"a: 1\nb: \x00\n")
    with pytest.raises(InputError, match=r"bad.yaml:2: file contains a NUL byte"):
        yamlsafe.load_file(f)


def test_size_limit_directory_and_missing_path(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * (yamlsafe.MAX_BYTES + 10) + b"\n")
    with pytest.raises(InputError, match="the limit is 5,242,880 bytes"):
        yamlsafe.load_file(big)
    with pytest.raises(InputError, match="is a directory"):
        yamlsafe.load_file(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        yamlsafe.load_file(tmp_path / "missing.yaml")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1 and "missing.yaml: no such file" in result.output


def test_every_problem_in_a_file_is_reported_at_once(mini_specs: Path, tmp_path: Path) -> None:
    f = tmp_path / "two.yaml"
    f.write_text(HEADER + "answers:\n  consultant_hours: 25\n  lead_name: no\n")
    result = CliRunner().invoke(main, ["validate", str(f)])
    assert result.exit_code == 1
    assert "two.yaml:7:21:" in result.output and "two.yaml:8:14:" in result.output


def test_a_tab_says_so_and_windows_1252_names_the_character(mini_specs: Path, tmp_path: Path) -> None:
    f = tmp_path / "tab.yaml"
    f.write_text(HEADER + "answers:\n\tconsultant_hours: 16\n")
    res = CliRunner().invoke(main, ["validate", str(f)])
    assert res.exit_code == 1 and "a tab is used for indentation" in res.output, res.output
    f = tmp_path / "word.yaml"
    f.write_bytes((HEADER + "answers:\n  lead_name: Dr O").encode() + b"\x92Brien\n")
    res = CliRunner().invoke(main, ["validate", str(f)])
    assert res.exit_code == 1, res.output
    assert "word.yaml:7:18: file is not valid UTF-8 (byte 0x92, a curly apostrophe" in res.output
    assert "save it as UTF-8" in res.output


@pytest.mark.parametrize("command", ["validate", "assess"])
def test_a_file_saved_as_windows_1252_gets_its_other_errors_in_the_same_round(mini_specs: Path, tmp_path: Path,
                                                                               command: str) -> None:
    f = tmp_path / "word.yaml"
    raw = (HEADER + "answers:\n  lead_name: Dr O").encode() + b"\x92Brien\n" + b"  consultant_hrs: 16\n"
    f.write_bytes(raw)
    res = CliRunner().invoke(main, [command, str(f)])
    assert res.exit_code == 1, res.output
    lines = [x for x in res.output.splitlines() if "word.yaml" in x]
    assert "word.yaml:7:18: file is not valid UTF-8" in lines[0], res.output   # the cause, first
    assert any(":8:3: unknown question 'consultant_hrs'" in x for x in lines), res.output
    assert f.read_bytes() == raw
    # and with nothing else wrong, the encoding alone still refuses the file
    f.write_bytes((HEADER + "answers:\n  lead_name: Dr O").encode() + b"\x92Brien\n")
    res = CliRunner().invoke(main, [command, str(f)])
    assert res.exit_code == 1 and "not valid UTF-8" in res.output, res.output


def test_a_bad_plan_date_does_not_hide_a_plan_for_an_unknown_standard(mini_specs: Path, tmp_path: Path) -> None:
    f = tmp_path / "plans.yaml"
    f.write_text(HEADER + "action_plans:\n  MT-01: {action: a, owner: b, due: 01/02/2027}\n"
                          "  MT-09: {action: a, owner: b, due: 2027-01-01}\n")
    res = CliRunner().invoke(main, ["validate", str(f)])
    assert res.exit_code == 1, res.output
    assert "write dates as YYYY-MM-DD" in res.output and "action plan for unknown standard 'MT-09'" in res.output, res.output


def test_schema_and_answer_errors_come_in_one_round(mini_specs: Path, tmp_path: Path) -> None:
    f = tmp_path / "round.yaml"
    f.write_text(HEADER.replace("code: X1", "kode: X1").replace("2026-10-01", "1/10/2026")
                 + "answers:\n  consultant_hours: 16 hours\n  accepts_ambulances: Y\n  reviews: 85%\n")
    res = CliRunner().invoke(main, ["validate", str(f)])
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 6, res.output   # unknown key, missing code, date, and three answers
    for part in ("unknown key 'kode'", "site.code: required key is missing", "write dates as YYYY-MM-DD",
                 ":7:21: consultant_hours: write the number alone", "did you mean yes?", "give the two counts"):
        assert part in res.output, part


def test_answers_to_questions_that_do_not_apply_are_reported_as_ignored(tmp_path: Path) -> None:
    from .conftest import ROOT

    src = (ROOT / "submissions" / "asthma-school-riverbank.yaml").read_text()
    f = tmp_path / "school.yaml"
    f.write_text(src.replace("answers:\n", "answers:\n  review_minutes: 20\n", 1))
    res = CliRunner().invoke(main, ["validate", str(f)])
    assert res.exit_code == 0, res.output
    assert "answer to 'review_minutes' ignored: the question applies only when" in res.output
    res = CliRunner().invoke(main, ["assess", "--format", "json", str(f)])
    assert "review_minutes' ignored" in res.stderr


def test_valid_submission_validates(mini_specs: Path, tmp_path: Path) -> None:
    f = write_yaml(tmp_path / "ok.yaml", submission())
    result = CliRunner().invoke(main, ["validate", str(f)])
    assert result.exit_code == 0, result.output
    assert "ok:" in result.output and "mini-top 2026-01" in result.output
