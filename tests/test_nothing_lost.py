"""Nothing silently lost: every path that used to drop a network's decision without a word.

Each test here failed on the code before the register issue: assess and report ignored the
folder's review; a review named after no submission was skipped; derogations check passed a
standard that does not exist; a cached site's warnings were shown on the cold run only; and a
site whose input became invalid or was removed kept its old outputs, looking current.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from designation.cli import main
from designation.network import batch

from .conftest import ROOT

SUBMISSIONS = ROOT / "submissions"
RIVERSIDE_REVIEW = ("format: 1\nsite: {code}\nreviewer: {{name: Dr R Viewer, role: Network clinical lead}}\n"
                    "reviewed_on: 2026-10-20\nverified:\n"
                    "  opening_hours_per_day: {{value: 12, reason: Rota shows 08:00-20:00}}\n")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def round_(tmp_path: Path) -> Path:
    folder = tmp_path / "round"
    folder.mkdir()
    for name in ("ucc-riverside-colocated", "ucc-hillcrest-standalone", "ec-southmere-derogations",
                 "ec-northfield-conditions"):
        shutil.copy(SUBMISSIONS / f"{name}.yaml", folder)
    shutil.copy(SUBMISSIONS / "derogations.yaml", folder)
    return folder


def add_review(folder: Path, file_name: str, code: str = "ZZR01") -> Path:
    (folder / "reviews").mkdir(exist_ok=True)
    path = folder / "reviews" / file_name
    path.write_text(RIVERSIDE_REVIEW.format(code=code))
    return path


def test_assess_and_report_apply_the_folders_review_as_batch_does_and_say_so(round_, tmp_path):
    add_review(round_, "ucc-riverside-colocated.yaml")
    sub = str(round_ / "ucc-riverside-colocated.yaml")
    res = run("assess", sub)
    assert res.exit_code == 0, res.output
    assert "Not designated" in res.output
    assert "Applied: review reviews/ucc-riverside-colocated.yaml (matched by file name); " \
           "derogations derogations.yaml; no tailoring" in res.output
    data = json.loads(run("assess", sub, "--format", "json").output)
    assert data["outcome"]["status"] == "not_designated"
    assert data["inputs"]["files"] == {"review": "reviews/ucc-riverside-colocated.yaml",
                                       "derogations": "derogations.yaml", "tailoring": None,
                                       "review_match": "file name"}
    batch.run(round_, tmp_path / "out", jobs=1, render=False)
    from_batch = json.loads((tmp_path / "out" / "ucc-riverside-colocated.json").read_text())
    assert from_batch["outcome"] == data["outcome"]
    assert from_batch["inputs"]["files"] == data["inputs"]["files"]
    html = tmp_path / "r.html"
    res = run("report", sub, "-o", str(tmp_path / "r.pdf"), "--html", str(html))
    assert res.exit_code == 0, res.output
    page = html.read_text()
    assert "Review (reviews/ucc-riverside-colocated.yaml) SHA-256" in page
    assert "Derogations (derogations.yaml) SHA-256" in page
    assert "not designated" in res.output.lower()


def test_a_review_named_after_no_submission_is_matched_by_site_code(round_, tmp_path):
    add_review(round_, "ucc-riverside.yaml")   # renamed; its content names ZZR01
    res = run("batch", str(round_), "-o", str(tmp_path / "out"), "--no-pdf")
    data = json.loads((tmp_path / "out" / "ucc-riverside-colocated.json").read_text())
    assert data["outcome"]["status"] == "not_designated", res.output
    assert data["inputs"]["files"]["review"] == "reviews/ucc-riverside.yaml"
    assert data["inputs"]["files"]["review_match"] == "site code"
    assessed = json.loads(run("assess", str(round_ / "ucc-riverside-colocated.yaml"), "--format", "json").output)
    assert assessed["outcome"] == data["outcome"]


def test_a_review_matching_no_submission_fails_the_batch(round_, tmp_path):
    orphan = add_review(round_, "ucc-somewhere.yaml", code="ZZQ99")
    res = run("batch", str(round_), "-o", str(tmp_path / "out"), "--no-pdf")
    assert res.exit_code == 1, res.output
    assert f"{orphan}:2:" in res.output and "review matches no submission" in res.output
    assert "ZZQ99" in res.output and "Traceback" not in res.output


def test_a_review_matching_by_name_but_not_code_fails_that_site(round_, tmp_path):
    add_review(round_, "ucc-riverside-colocated.yaml", code="ZZH01")
    res = run("batch", str(round_), "-o", str(tmp_path / "out"), "--no-pdf")
    assert res.exit_code == 1
    assert "review is for site 'ZZH01', but the submission is for 'ZZR01'" in res.output
    assert not (tmp_path / "out" / "ucc-riverside-colocated.json").exists()


def test_derogations_check_catches_a_standard_the_sites_spec_does_not_have(tmp_path):
    shutil.copy(SUBMISSIONS / "ucc-riverside-colocated.yaml", tmp_path)
    f = tmp_path / "derogations.yaml"
    f.write_text("derogations:\n  - {site: ZZR01, standard: UCC-1, reason: r, approver: Board,"
                 " approved_on: 2026-01-01, expires_on: 2099-01-01}\n")
    res = run("derogations", "check", str(f), "--on", "2026-06-01")
    assert res.exit_code == 1, res.output
    assert "has no standard 'UCC-1'; did you mean 'UCC-01'?" in res.output
    f.write_text(f.read_text().replace("UCC-1,", "UCC-01,").replace("ZZR01", "ZZR1"))
    res = run("derogations", "check", str(f), "--on", "2026-06-01", "--submissions", str(tmp_path))
    assert res.exit_code == 1
    assert "no submission" in res.output and "for site 'ZZR1'; did you mean 'ZZR01'?" in res.output
    f.write_text(f.read_text().replace("ZZR1", "ZZR01"))
    assert run("derogations", "check", str(f), "--on", "2026-06-01").exit_code == 0
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "derogations.yaml").write_text(f.read_text().replace("UCC-01,", "UCC-1,"))
    res = run("derogations", "check", str(alone / "derogations.yaml"), "--on", "2026-06-01")
    assert res.exit_code == 1 and "did you mean 'UCC-01'?" in res.output


def test_a_cached_sites_warnings_are_printed_on_every_run(round_, tmp_path):
    out = tmp_path / "out"
    first = run("batch", str(round_), "-o", str(out), "--no-pdf")
    assert first.exit_code == 0, first.output
    expired = "derogation for LQS-ED-02 at ZZS01 does not apply: expired on"
    assert expired in first.output
    second = run("batch", str(round_), "-o", str(out), "--no-pdf")
    assert "4 unchanged" in second.output
    assert expired in second.output


def test_outputs_of_an_invalid_or_removed_site_are_moved_aside(round_, tmp_path):
    out = tmp_path / "out"
    assert run("batch", str(round_), "-o", str(out), "--no-pdf").exit_code == 0
    assert (out / "ucc-hillcrest-standalone.json").is_file()
    (round_ / "ucc-riverside-colocated.yaml").write_text("spec: uec-ucc\nsite: [unclosed\n")
    (round_ / "ucc-hillcrest-standalone.yaml").unlink()
    res = run("batch", str(round_), "-o", str(out), "--no-pdf")
    assert res.exit_code == 1
    for name in ("ucc-riverside-colocated", "ucc-hillcrest-standalone"):
        assert not (out / f"{name}.json").exists()
        assert (out / "stale" / f"{name}.json").is_file()
        assert f"{name}: outputs moved aside to stale/{name}.json" in res.output
    assert "its input is invalid" in res.output and "its submission was removed" in res.output
    summary = (out / "network-summary.csv").read_text()
    assert "ZZR01" not in summary and "ZZH01" not in summary and "ZZN01" in summary
