"""The command line behaves like the tools people like: output that never crashes, -o and
--format everywhere it makes sense, - for standard input, --quiet, diff --exit-code, help with
examples and exit codes, and validate that knows every kind of file it is given."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from designation import clidocs
from designation.cli import main

from .conftest import ROOT

SUBS = ROOT / "submissions"
NORTHFIELD = SUBS / "ec-northfield-conditions.yaml"
CONTRACT_KEYS = {"schema", "spec", "site", "claimed", "assessed_on", "outcome", "score", "counts", "standards", "inputs"}


def run(*args: str, input: bytes | str | None = None, env: dict | None = None):
    return CliRunner().invoke(main, list(args), input=input, env=env)


def cli(*args: str, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **kw.pop("env", {})}
    env.pop("DESIGNATION_SPECS", None)
    return subprocess.run([sys.executable, "-m", "designation.cli", *args], cwd=ROOT, env=env, capture_output=True, **kw)


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# -- output that never crashes ---------------------------------------------------------------

def test_a_cp1252_console_or_file_gets_readable_plain_symbols_not_a_crash():
    # submissions/*.yaml, as a shell expands it (derogations.yaml included: it is a setting, not a site)
    res = cli("assess", *sorted(str(p.relative_to(ROOT)) for p in SUBS.glob("*.yaml")),
              env={"PYTHONIOENCODING": "cp1252"})
    assert res.returncode == 0, res.stderr.decode("cp1252")
    text = res.stdout.decode("cp1252")
    assert "Outcome: " in text and "Northfield" in text
    assert "+ met" in text and "x not met" in text     # ✓ and ✗ written as plain symbols
    assert "internal error" not in res.stderr.decode("cp1252")


def test_a_closed_pipe_ends_quietly_with_exit_0():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for fmt in ("csv", "text"):
        proc = subprocess.Popen([sys.executable, "-m", "designation.cli", "assess", "--format", fmt, "submissions"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = proc.stdout.readline()        # like `| head -1`
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait() == 0, err
        assert first
        assert "Broken pipe" not in err and "Traceback" not in err and "Exception ignored" not in err


def test_colour_follows_the_flag_then_no_color_then_the_terminal():
    plain = run("assess", str(NORTHFIELD))
    assert "\x1b[" not in plain.output                        # not a terminal: no colour
    assert "\x1b[" in run("--color", "assess", str(NORTHFIELD)).output
    forced = {"FORCE_COLOR": "1"}
    assert "\x1b[" in run("assess", str(NORTHFIELD), env=forced).output
    assert "\x1b[" not in run("assess", str(NORTHFIELD), env={**forced, "NO_COLOR": "1"}).output
    assert "\x1b[" not in run("--no-color", "assess", str(NORTHFIELD), env=forced).output


# -- -o, --format, -, --quiet ---------------------------------------------------------------

def test_jsonl_is_one_contract_object_per_line_and_json_keeps_its_shape(tmp_path):
    out = tmp_path / "all.jsonl"
    res = run("assess", "--format", "jsonl", str(SUBS), "-o", str(out))
    assert res.exit_code == 0, res.output
    lines = out.read_text().splitlines()
    assert len(lines) == len([p for p in SUBS.glob("*.yaml") if p.name != "derogations.yaml"])
    for line in lines:
        assert CONTRACT_KEYS <= set(json.loads(line))
    one = json.loads(run("assess", "--format", "json", str(NORTHFIELD)).output)
    assert CONTRACT_KEYS <= set(one) and one["site"]["code"] == "ZZN01"


def test_a_submission_can_come_from_standard_input():
    res = run("assess", "--format", "json", "-", input=NORTHFIELD.read_bytes())
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["site"]["code"] == "ZZN01"
    res = run("validate", "-", input=NORTHFIELD.read_bytes())
    assert res.exit_code == 0 and "ok: <stdin> (submission" in res.output


@pytest.mark.parametrize("data, message", [(b"", "<stdin>: file is empty"),
                                           (b"\x7fELF\x02\x01\x01\x00\x00\x00", "<stdin>:1: file contains a NUL byte"),
                                           (b"\xff\xfe\x00a", "<stdin>:1")])
def test_empty_or_binary_standard_input_is_one_located_error(data, message):
    for cmd in ("validate", "assess"):
        res = run(cmd, "-", input=data)
        assert res.exit_code == 1, res.output
        assert message in res.stderr and "Traceback" not in res.output
        assert res.stderr.count("\n") == 1


def test_output_never_goes_over_an_input_or_into_a_folder(tmp_path):
    site = tmp_path / "site.yaml"
    shutil.copy(NORTHFIELD, site)
    before = sha(site)
    res = run("assess", str(site), "-o", str(site))
    assert res.exit_code == 2 and "is one of the inputs" in res.output
    assert sha(site) == before
    res = run("assess", str(site), "-o", str(tmp_path / "derogations.yaml"))   # a settings file it would read
    assert res.exit_code == 2 and not (tmp_path / "derogations.yaml").exists()
    res = run("assess", str(site), "-o", str(tmp_path))
    assert res.exit_code == 2 and "is a directory" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site.yaml"]


def test_with_an_invalid_input_the_output_file_is_not_written(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("spec: uec-ec\n")
    out = tmp_path / "out.csv"
    res = run("assess", "--format", "csv", str(NORTHFIELD), str(bad), "-o", str(out))
    assert res.exit_code == 1
    assert "not written" in res.stderr and not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]   # no temporary file left either


def test_quiet_prints_one_outcome_line_per_site_and_nothing_for_validate():
    res = run("assess", "-q", str(SUBS))
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    sites = [p for p in SUBS.glob("*.yaml") if p.name not in ("derogations.yaml", "tailoring.yaml")]
    assert len(lines) == len(sites) and any("ZZN01" in x and "with conditions" in x for x in lines)
    # only what changes the outcome reported: the derogation that does not apply (it expired)
    assert [x for x in res.stderr.splitlines() if x] == [x for x in res.stderr.splitlines() if "does not apply" in x]
    assert "derogation for LQS-ED-02 at ZZS01 does not apply" in res.stderr
    res = run("validate", "--quiet", str(SUBS))
    assert res.exit_code == 0 and res.output == ""
    bad = run("validate", "--quiet", "-", input=b"spec: [")
    assert bad.exit_code == 1 and bad.output == ""


def test_validate_json_lists_every_file_with_its_kind_and_problems(tmp_path):
    res = run("validate", "--format", "json", str(SUBS))
    records = json.loads(res.stdout)
    assert {r["kind"] for r in records} == {"submission", "derogations"}
    assert all(r["valid"] for r in records)
    res = run("validate", "--format", "jsonl", "-", input=b"spec: uec-ec\n")
    rec = json.loads(res.stdout)
    assert res.exit_code == 1 and rec["valid"] is False and rec["problems"][0]["line"] is not None


def test_specs_and_derogations_check_speak_json_jsonl_and_csv(tmp_path):
    listed = json.loads(run("specs", "--format", "json").stdout)
    assert {"uec-ec", "asthma-cyp"} <= {s["id"] for s in listed}
    core = [json.loads(x) for x in run("specs", "uec-ec", "--format", "jsonl").stdout.splitlines()]
    assert any(s["id"] == "LQS-ED-01" for s in core)
    out = tmp_path / "specs.csv"
    assert run("specs", "--format", "csv", "-o", str(out)).exit_code == 0
    assert out.read_text().startswith("id,edition,title")
    res = run("derogations", "check", str(SUBS / "derogations.yaml"), "--on", "2026-03-01", "--format", "json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["derogations"]
    assert [r["status"] for r in rows] == ["applied", "applied"]
    res = run("derogations", "check", str(SUBS / "derogations.yaml"), "--on", "2026-12-01", "--format", "csv")
    assert res.exit_code == 1 and "expired" in res.stdout.splitlines()[2]


def test_diff_exit_code_says_whether_anything_changed(tmp_path):
    assert run("diff", "--exit-code", str(NORTHFIELD), str(NORTHFIELD)).exit_code == 0
    changed = tmp_path / "changed.yaml"
    text = NORTHFIELD.read_text()
    changed.write_text(text.replace("accepts_ambulances: true", "accepts_ambulances: false", 1))
    assert changed.read_text() != text
    res = run("diff", "--exit-code", str(NORTHFIELD), str(changed))
    assert res.exit_code == 1 and "worsened" in res.stdout
    assert run("diff", str(NORTHFIELD), str(changed)).exit_code == 0


def test_every_help_has_an_example_and_the_exit_codes():
    for path in [[]] + clidocs._commands(main, []):
        text = run(*path, "--help").output
        assert "Example" in text, path
        if path != ["derogations"]:
            assert "Exit codes" in text, path


def test_shell_completion_is_documented():
    readme = (ROOT / "README.md").read_text()
    assert "_DESIGNATION_COMPLETE=bash_source designation" in readme
    assert "zsh_source" in readme and "fish_source" in readme


# -- validate knows every file it is given ----------------------------------------------------

@pytest.fixture
def folder(tmp_path):
    for name in ("ec-northfield-conditions.yaml", "ucc-hillcrest-standalone.yaml"):
        shutil.copy(SUBS / name, tmp_path / name)
    (tmp_path / "reviews").mkdir()
    return tmp_path


def test_a_review_is_checked_against_the_submission_for_its_site(folder):
    review = folder / "reviews" / "visit-notes.yaml"
    review.write_text("site: ZZN01\nreviewer: {name: A Reviewer, role: Network lead}\nreviewed_on: 2026-07-01\n"
                      "verified:\n  ed_consultant_hours_weekdy: {value: 12, reason: rota seen}\n")
    res = run("validate", str(review))
    assert res.exit_code == 1
    assert "visit-notes.yaml:5:3: unknown question 'ed_consultant_hours_weekdy'; did you mean" in res.stderr
    review.write_text(review.read_text().replace("weekdy", "weekday"))
    res = run("validate", str(review))
    assert res.exit_code == 0, res.output
    assert "(review, review of ZZN01" in res.stdout


def test_a_review_whose_site_matches_no_submission_is_an_error(folder):
    review = folder / "reviews" / "r.yaml"
    review.write_text("site: ZZN10\nreviewer: {name: A, role: B}\nreviewed_on: 2026-07-01\n")
    before = sha(review)
    res = run("validate", str(review))
    assert res.exit_code == 1
    assert "r.yaml:1:7: review is for site 'ZZN10', but no valid submission" in res.stderr
    assert "did you mean 'ZZN01'?" in res.stderr
    assert sha(review) == before


def test_derogations_by_content_with_sites_and_standards_checked_against_the_folder(folder):
    f = folder / "agreed-exemptions.yaml"
    f.write_text("derogations:\n"
                 "  - {site: ZZN0l, standard: EC-22, reason: r, approver: a, approved_on: 2026-01-01, expires_on: 2027-06-01}\n"
                 "  - {site: ZZN01, standard: EC-2, reason: r, approver: a, approved_on: 2026-01-01, expires_on: 2027-06-01}\n")
    res = run("validate", str(f))
    assert res.exit_code == 1
    assert "agreed-exemptions.yaml:2:12: derogation 1: no submission in" in res.stderr
    assert "did you mean 'ZZN01'?" in res.stderr
    assert ":3:29: derogation 2: site ZZN01 is not assessed against a standard 'EC-2'; did you mean" in res.stderr


def test_a_tailoring_file_with_a_typo_in_its_spec_id_is_an_error(folder):
    f = folder / "network-settings.yaml"
    f.write_text("parameters:\n  uec-ecc:\n    ed_consultant_hours_min: 14\n")
    res = run("validate", str(f))
    assert res.exit_code == 1
    assert "network-settings.yaml:2:3: unknown spec 'uec-ecc'; did you mean 'uec-ec'?" in res.stderr
    res = run("assess", str(folder / "ec-northfield-conditions.yaml"), "--tailoring", str(f))
    assert res.exit_code == 1 and "unknown spec 'uec-ecc'" in res.stderr
    f.write_text("parameters:\n  uec-ec:\n    ed_consultant_hours_mn: 14\n")
    res = run("validate", str(f))
    assert res.exit_code == 1 and "did you mean 'ed_consultant_hours_min'?" in res.stderr


def test_template_set_suggests_the_question_or_value_meant():
    res = run("template", "asthma-cyp", "--set", "settting=school")
    assert res.exit_code == 2 and "did you mean 'setting'?" in res.output
    res = run("template", "asthma-cyp", "--setting", "shool")
    assert res.exit_code == 2 and "did you mean 'school'?" in res.output
