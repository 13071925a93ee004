"""The CLI, in-process: commands, formats, exit codes (0 ok, 1 invalid, 2 usage, 3 outcome)."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from designation.cli import main

from .conftest import GOOD_ANSWERS, ROOT, submission, write_yaml

CONTRACT_KEYS = {"schema", "spec", "site", "claimed", "assessed_on", "outcome", "score", "counts", "standards", "inputs"}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def site(mini_specs, tmp_path) -> Path:
    return write_yaml(tmp_path / "site.yaml", submission())


@pytest.fixture
def failing_site(mini_specs, tmp_path) -> Path:
    return write_yaml(tmp_path / "failing.yaml", submission(answers={**GOOD_ANSWERS, "consultant_hours": 8}))


def test_version_and_help():
    assert run("--version").output.startswith("designation, version ")
    out = run("--help").output
    for cmd in ("specs", "template", "validate", "assess", "report", "verify"):
        assert cmd in out


def test_specs_lists_and_shows(mini_specs):
    out = run("specs").output
    assert "mini-top" in out and "2026-01" in out
    shown = run("specs", "mini-top")
    assert shown.exit_code == 0
    assert "MT-01" in shown.output and "GAP-TOP-1" in shown.output


def test_specs_check_passes_and_fails(mini_specs, tmp_path):
    ok = run("specs", "check", str(mini_specs))
    assert ok.exit_code == 0, ok.output
    assert "ok: 2 spec(s), 13 examples run" in ok.output
    bad = tmp_path / "mini-base.yaml"
    bad.write_text((mini_specs / "mini-base.yaml").read_text().replace("meets: [{consultant_hours: 16}]",
                                                                      "meets: [{consultant_hours: 3}]"))
    res = run("specs", "check", str(bad))
    assert res.exit_code == 1
    assert "standard MB-01: meets example 1 is not_met, expected met" in res.output


def test_unknown_spec_is_invalid_input(mini_specs):
    res = run("specs", "nope")
    assert res.exit_code == 1 and "unknown spec 'nope'" in res.output


def test_assess_json_matches_contract(site):
    res = run("assess", str(site), "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert CONTRACT_KEYS <= set(data)
    assert data["schema"] == "designation.assessment/1"
    assert set(data["outcome"]) >= {"status", "label", "qualifies_for", "reasons", "conditions", "to_change_outcome"}
    assert set(data["score"]) >= {"overall", "by_category", "by_domain", "before_adjustments"}
    assert set(data["counts"]) == {"met", "partially_met", "not_met", "not_applicable", "not_answered"}
    for s in data["standards"]:
        assert set(s) >= {"id", "title", "domain", "category", "status", "reason", "reported", "required", "flags",
                          "evidence", "source", "confidence"}
    assert set(data["inputs"]) >= {"submission_sha256", "spec_sha256", "review_sha256", "engine_version"}


def test_assess_several_files_gives_a_list_and_text_and_csv(site, failing_site):
    res = run("assess", str(site), str(failing_site), "--format", "json")
    assert [d["outcome"]["status"] for d in json.loads(res.output)] == ["designated", "not_designated"]
    text = run("assess", str(site), str(failing_site)).output
    assert "Outcome: ✓ Designated" in text and "Outcome: ✗ Not designated" in text
    assert "✗ not met" in text and "MB-01" in text
    rows = list(csv.DictReader(io.StringIO(run("assess", str(failing_site), "--format", "csv").output)))
    assert len(rows) == 5
    assert rows[0]["standard"] == "MB-01" and rows[0]["status"] == "not_met"


def test_fail_on_exit_codes(site, failing_site):
    assert run("assess", str(site), "--fail-on", "not_designated").exit_code == 0
    assert run("assess", str(site), str(failing_site), "--fail-on", "not_designated").exit_code == 3
    assert run("assess", str(site), "--fail-on", "conditions").exit_code == 0


def test_invalid_file_among_valid_ones_exits_1_but_reports_the_rest(site, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("spec: [\n")
    res = run("assess", str(site), str(bad), "--format", "json")
    assert res.exit_code == 1
    assert "bad.yaml:2:1: YAML syntax error" in res.output
    assert '"status": "designated"' in res.output


def test_usage_errors_exit_2(site):
    assert run("assess").exit_code == 2
    assert run("assess", str(site), "--format", "xml").exit_code == 2
    assert run("assess", str(site), "--fail-on", "sometimes").exit_code == 2
    assert run("nonsense").exit_code == 2
    assert run("template").exit_code == 2


def test_template_lists_every_question_and_validates(mini_specs, tmp_path):
    out = tmp_path / "skeleton.yaml"
    res = run("template", "mini-top", "-o", str(out))
    assert res.exit_code == 0, res.output
    text = out.read_text()
    for qid in ("consultant_hours", "accepts_ambulances", "site_type", "reviews", "specialist_services"):
        assert f"  {qid}: ~" in text
    assert "Answer: number in hours a day, 0 to 24. Used by: MB-01" in text
    assert "one of: co_located, standalone" in text
    for key in ("address:", "period:", "signed_off_by:", 'code: "REPLACE: ODS code"'):
        assert key in text
    res = run("validate", str(out))   # a template never filled in is an error, each placeholder named
    assert res.exit_code == 1, res.output
    assert "site.name still holds the template's placeholder" in res.output
    assert "signed_off_by.role still holds" in res.output
    filled = text.replace("REPLACE: first day, YYYY-MM-DD", "2026-04-01").replace("REPLACE: last day, YYYY-MM-DD", "2026-09-30")
    filled = filled.replace("REPLACE: date signed, YYYY-MM-DD", "2026-10-02").replace("REPLACE: ", "")
    out.write_text(filled)
    res = run("validate", str(out))
    assert res.exit_code == 0, res.output
    assert "questions not answered" in res.output
    assert "not answered: consultant_hours, " in res.output   # each named


@pytest.mark.parametrize("setting, label", [("school", "school URN"), ("pharmacy", "pharmacy F-code"),
                                            ("gp_practice", "ODS code")])
def test_template_labels_the_site_identifier_for_the_setting(setting, label):
    text = run("template", "asthma-cyp", "--setting", setting).output
    assert f'code: "REPLACE: {label}"' in text


def test_template_set_drops_questions_that_do_not_apply(mini_specs):
    text = run("template", "mini-top", "--set", "site_type=standalone").output
    assert "site_type: standalone" in text
    assert "reviews:" not in text   # MB-03 applies only to co-located sites
    assert run("template", "mini-top", "--set", "site_type=moon").exit_code == 2


def test_settings_files_are_not_taken_for_submissions(site, tmp_path):
    (tmp_path / "derogations.yaml").write_text("derogations: []\n")
    res = run("assess", str(tmp_path), "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)[0]["site"]["code"] == "TST01"
    assert run("validate", str(tmp_path)).exit_code == 0


def test_commands_that_do_not_render_never_import_weasyprint(site):
    code = ("import sys; from designation.cli import main; from click.testing import CliRunner;"
            f"r = CliRunner().invoke(main, ['assess', {str(site)!r}, '--format', 'json']);"
            "assert r.exit_code == 0, r.output;"
            "print('weasyprint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**__import__('os').environ})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("command", ["assess", "validate"])
def test_a_folder_with_no_submissions_is_an_error_not_silence(tmp_path, command):
    empty = tmp_path / "empty"
    empty.mkdir()
    res = CliRunner().invoke(main, [command, str(empty)])
    assert res.exit_code == 1 and f"no submissions found in {empty}" in res.output
    settings_only = tmp_path / "settings"
    settings_only.mkdir()
    (settings_only / "derogations.yaml").write_text("derogations: []\n")
    res = CliRunner().invoke(main, ["assess", str(settings_only)])
    assert res.exit_code == 1 and "no submissions found" in res.output


def test_quiet_assess_still_warns_that_a_derogation_does_not_apply_and_names_a_derogation_as_one():
    sub = str(ROOT / "submissions" / "ec-southmere-derogations.yaml")
    res = CliRunner().invoke(main, ["assess", "-q", sub])
    assert "derogation for LQS-ED-02 at ZZS01 does not apply" in res.output
    text = CliRunner().invoke(main, ["assess", sub]).output
    line = next(x for x in text.splitlines() if "EC-22" in x and "31 Jan 2027" in x)
    assert "derogation until 31 Jan 2027, agreed by" in line and "plan due" not in line


def test_rating_prints_the_whole_per_cent_its_band_uses():
    import json as json_mod
    import math

    for f in sorted((ROOT / "submissions").glob("asthma-*.yaml")):
        j = json_mod.loads(CliRunner().invoke(main, ["assess", str(f), "--format", "json"]).output)
        rt = j["outcome"].get("rating")
        if not rt or rt["percent"] is None:
            continue
        text = CliRunner().invoke(main, ["assess", str(f)]).output
        assert f"Rating: {rt['band']} ({math.floor(rt['percent'])}% of" in text, text


def test_derogations_group_help_gives_exit_codes():
    assert "Exit codes:" in CliRunner().invoke(main, ["derogations", "--help"]).output


def test_machine_formats_lose_no_character_on_a_cp1252_stdout(tmp_path):
    import json as json_mod
    import os
    import re
    import subprocess
    import sys

    text = (ROOT / "submissions" / "ucc-riverside-colocated.yaml").read_text(encoding="utf-8")
    sub = tmp_path / "welsh.yaml"
    sub.write_text(re.sub(r"(\n  name: )[^\n]*", r"\1Ysbyty Ŵyn → Test", text, count=1), encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}

    def out(fmt: str) -> bytes:
        return subprocess.run([sys.executable, "-m", "designation.cli", "assess", str(sub), "--format", fmt],
                              capture_output=True, env=env, cwd=ROOT).stdout

    assert json_mod.loads(out("json").decode("cp1252"))["site"]["name"] == "Ysbyty Ŵyn → Test"
    assert json_mod.loads(out("jsonl").decode("cp1252").splitlines()[0])["site"]["name"] == "Ysbyty Ŵyn → Test"
    assert "Ysbyty Ŵyn → Test" in out("csv").decode("utf-8")
    assert "Ysbyty ?yn -> Test" in out("text").decode("cp1252")   # text falls back to plain symbols


@pytest.mark.parametrize("key", ["ECSS-10", "no-specialist-service"])
def test_an_action_plan_for_a_limiter_says_no_plan_covers_a_limiter(tmp_path, key):
    text = (ROOT / "submissions" / "ecss-kingsgate-claims-ecss.yaml").read_text(encoding="utf-8").rstrip("\n")
    sub = tmp_path / "pre-v2.yaml"
    sub.write_text(text + f"\naction_plans:\n  {key}:\n    action: Open a stroke unit\n    owner: Medical Director\n"
                          "    due: 2026-09-30\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(sub)])
    assert res.exit_code == 1
    assert "no-specialist-service" in res.output and "no action plan or derogation covers a limiter" in res.output
    assert "did you mean" not in res.output


def test_provider_mistakes_get_plain_words_not_library_internals(tmp_path):
    sub = tmp_path / "site.yaml"
    sub.write_text("spec: uec-ucc\nassessed_on: 2026-11-01 10:00:00\nanswers: [1]\n")
    out = CliRunner().invoke(main, ["validate", str(sub)]).output
    assert "answers must be a mapping of question: value" in out and "valid dictionary" not in out
    assert "write a date without a time, e.g. 2026-11-01" in out and "datetime.datetime" not in out
    for encoding in ("utf-16", "utf-16-le"):
        wide = tmp_path / f"{encoding}.yaml"
        wide.write_bytes("spec: uec-ucc\n".encode(encoding))
        res = CliRunner().invoke(main, ["validate", str(wide)])
        assert res.exit_code == 1 and "saved as UTF-16; save it as UTF-8" in res.output


def test_specs_tailorable_names_are_never_cut_when_piped():
    import json as json_mod

    rows = json_mod.loads(CliRunner().invoke(main, ["specs", "uec-ucc", "--format", "json"]).output)["tailorable"]
    text = CliRunner().invoke(main, ["specs", "uec-ucc"]).output
    section = text.split("Tailorable by the network")[1].split("Declared gaps")[0]
    for r in rows:
        assert f"{r['block']}: {r['name']}:" in section
        assert " ".join((r["description"] or r["source"]).split()[:4]) in " ".join(section.split())
