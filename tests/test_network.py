"""The network workflow: batch (cache, bad files, resume), reviews, derogations check, diff."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from designation.network import batch
from designation.cli import main

from .conftest import ROOT, child_pids

SUBMISSIONS = ROOT / "submissions"


@pytest.fixture
def network(tmp_path: Path) -> Path:
    folder = tmp_path / "round"
    shutil.copytree(SUBMISSIONS, folder)
    (folder / "broken.yaml").write_text("spec: uec-ec\nsite: {name: X\n")
    return folder


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def states(result: batch.BatchResult) -> dict[str, str]:
    return {Path(s.file).name: s.state for s in result.sites}


def test_batch_assesses_every_site_reports_the_broken_one_and_caches(network, tmp_path):
    out = tmp_path / "out"
    res = run("batch", str(network), "-o", str(out), "--jobs", "2", "--no-pdf")
    assert res.exit_code == 1
    assert "broken.yaml:3:1: YAML syntax error" in res.output
    n_sites = len(list(SUBMISSIONS.glob("*.yaml"))) - 1  # less derogations.yaml
    assert f"{n_sites + 1} sites" in res.output and "1 invalid" in res.output
    assert len([p for p in out.glob("*.json") if p.name != "manifest.json"]) == n_sites
    assert (out / "manifest.json").is_file()
    assert (out / "network-summary.csv").is_file()
    data = json.loads((out / "ec-northfield-conditions.json").read_text())
    assert data["outcome"]["status"] == "designated_with_conditions"

    again = batch.run(network, out, jobs=2, render=False)
    st = states(again)
    assert st.pop("broken.yaml") == "invalid"
    assert set(st.values()) == {"cached"}
    assert again.summary_rendered is False

    text = (network / "ucc-riverside-colocated.yaml").read_text()
    (network / "ucc-riverside-colocated.yaml").write_text(text.replace("assessed_on:", "# changed\nassessed_on:", 1))
    third = batch.run(network, out, jobs=2, render=False)
    st = states(third)
    assert st["ucc-riverside-colocated.yaml"] == "rendered"
    assert sum(1 for v in st.values() if v == "rendered") == 1
    assert third.summary_rendered is True


def test_changing_the_derogations_file_reassesses_every_site(network, tmp_path):
    out = tmp_path / "out"
    batch.run(network, out, jobs=1, render=False)
    (network / "derogations.yaml").write_text((network / "derogations.yaml").read_text() + "\n# touched\n")
    again = batch.run(network, out, jobs=1, render=False)
    assert {s.state for s in again.sites if not s.file.endswith("broken.yaml")} == {"rendered"}


def test_batch_uses_reviews_folder_and_review_downgrades_a_met(network, tmp_path):
    (network / "reviews").mkdir()
    (network / "reviews" / "ucc-riverside-colocated.yaml").write_text(
        "format: 1\nsite: ZZR01\nreviewer: {name: Dr R Viewer, role: Network clinical lead}\n"
        "reviewed_on: 2026-10-20\nverified:\n  opening_hours_per_day: {value: 12, reason: Rota shows 08:00-20:00}\n")
    code = json.loads(run("assess", str(network / "ucc-riverside-colocated.yaml"), "--format", "json").output)["site"]["code"]
    assert code == "ZZR01"
    out = tmp_path / "out"
    batch.run(network, out, jobs=1, render=False)
    data = json.loads((out / "ucc-riverside-colocated.json").read_text())
    assert data["review"]["disagreements"] == 1
    changed = [s for s in data["standards"] if "overridden" in s["flags"]]
    assert changed and changed[0]["review"][0]["self_assessed"] != changed[0]["review"][0]["verified"]
    assert data["outcome"]["status"] == "not_designated"
    assert data["score"]["before_adjustments"]["overall"] > data["score"]["overall"]
    from designation import report
    summary = report.render_network_html([batch.slim(json.loads(p.read_text())) for p in sorted(out.glob("*.json"))
                                           if p.name != "manifest.json"])
    assert "1 site reviewed by the network: 1 of 1 answers checked differed" in summary
    assert "24 hours a day → <b>12 hours a day</b>" in summary


def test_interrupted_batch_leaves_no_partial_file_and_resumes(tmp_path):
    network = tmp_path / "small"
    network.mkdir()
    for name in ("utc-westgate-national", "ucc-riverside-colocated", "asthma-pharmacy-kennington",
                 "asthma-community-eastway"):
        shutil.copy(SUBMISSIONS / f"{name}.yaml", network)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "designation.cli", "batch", str(network), "-o", str(out),
                             "--jobs", "1"], stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
                            start_new_session=True)
    line = proc.stderr.readline()           # the first site is done: kill the whole group mid-batch
    assert line.startswith("[1/")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    done_before = {p.stem for p in out.glob("*.pdf")}
    assert 1 <= len(done_before) < 4
    res = batch.run(network, out, jobs=2, render=True)
    assert not list(out.glob(".*.part")) and not list(out.glob(".*.tmp"))
    st = states(res)
    assert all(st[f"{name}.yaml"] == "cached" for name in done_before if f"{name}.yaml" in st)
    valid = [s for s in res.sites if s.state != "invalid"]
    assert all((out / f"{Path(s.file).stem}.pdf").stat().st_size > 1000 for s in valid)
    assert (out / "network-summary.pdf").is_file()


def test_unwritable_output_folder_is_a_clear_error(network, tmp_path):
    target = tmp_path / "file-not-folder"
    target.write_text("x")
    res = run("batch", str(network), "-o", str(target / "sub"), "--no-pdf")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "cannot create the output folder" in res.output


def test_derogations_check(tmp_path):
    res = run("derogations", "check", str(SUBMISSIONS / "derogations.yaml"), "--on", "2026-10-01",
              "--submissions", str(SUBMISSIONS))
    assert res.exit_code == 1
    assert "expired on 31 Mar 2026" in res.output
    f = tmp_path / "derogations.yaml"
    f.write_text("derogations:\n  - {site: ZZS01, standard: EC-22, reason: r, approver: '', approved_on: 2026-01-01,"
                 " expires_on: soon}\n")
    res = run("derogations", "check", str(f))
    assert res.exit_code == 1
    assert "approver is missing" in res.output and "expires_on must be a date" in res.output
    f.write_text("derogations:\n  - {site: ZZS01, standard: EC-22, reason: r, approver: Board, approved_on: 2026-01-01,"
                 " expires_on: 2099-01-01}\n")
    assert run("derogations", "check", str(f)).exit_code == 0


def test_diff_between_two_rounds(tmp_path):
    old = tmp_path / "old.yaml"
    text = (SUBMISSIONS / "ec-northfield-conditions.yaml").read_text()
    old.write_text(text.replace("  ed_consultant_hours_weekday:\n    value: 16", "  ed_consultant_hours_weekday:\n    value: 10", 1))
    res = run("diff", str(old), str(SUBMISSIONS / "ec-northfield-conditions.yaml"))
    assert res.exit_code == 0, res.output
    assert "= unchanged" in res.output   # still designated with conditions (the plan covers it)
    assert "LQS-ED-01" in res.output and "not met -> partially met" in res.output
    assert "10 hours a day -> 16 hours a day" in res.output
    d = json.loads(run("diff", str(old), str(SUBMISSIONS / "ec-northfield-conditions.yaml"), "--format", "json").output)
    assert d["movement"] == "same" and d["score_change"]["overall"] > 0
    worse = tmp_path / "worse.yaml"
    worse.write_text(text.replace("assessed_on: 2026-06-15", "assessed_on: 2026-01-15"))
    res = run("diff", str(worse), str(SUBMISSIONS / "ec-northfield-conditions.yaml"))
    assert "▲ improved" in res.output, res.output
    saved = tmp_path / "new.json"
    saved.write_text(run("assess", str(SUBMISSIONS / "ec-northfield-conditions.yaml"), "--format", "json").output)
    assert run("diff", str(saved), str(saved)).output.endswith("No standard or value changed.\n")
    other = run("diff", str(old), str(SUBMISSIONS / "ec-eastbridge-not-designated.yaml"))
    assert other.exit_code == 1 and "diff compares two assessments of one site" in other.output


def test_diff_files_a_standard_that_no_longer_applies_under_its_own_heading(tmp_path):
    d = json.loads(run("assess", str(SUBMISSIONS / "ec-northfield-conditions.yaml"), "--format", "json").output)
    old = tmp_path / "old.json"
    old.write_text(json.dumps(d))
    met = next(s for s in d["standards"] if s["status"] == "met")
    met["status"] = "not_applicable"
    new = tmp_path / "new.json"
    new.write_text(json.dumps(d))
    out = run("diff", str(old), str(new)).output
    assert "No longer applies:" in out and f"{met['id']} " in out.split("No longer applies:")[1]
    assert "Newly not met" not in out


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find the worker processes")
def test_a_killed_worker_is_reported_and_the_rest_of_the_batch_completes(tmp_path):
    network = tmp_path / "small"
    network.mkdir()
    for f in sorted(SUBMISSIONS.glob("*.yaml"))[:8]:
        shutil.copy(f, network)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "designation.cli", "batch", str(network), "-o", str(out),
                             "--jobs", "2"], stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:   # wait until both workers are busy
        workers = child_pids(proc.pid)
        time.sleep(0.05)
    assert workers, "no worker process started"
    time.sleep(1.0)
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    assert "a worker process died while processing this; run the batch again to resume" in err
    assert "Traceback" not in err
    assert not list(out.glob(".*.part"))
    # the next run resumes: only what was lost is redone, and then everything is there
    first_run_pdfs = {p.stem for p in out.glob("*.pdf")} - {"network-summary"}
    again = batch.run(network, out, jobs=2, render=True)
    assert again.ok
    assert {Path(s.file).stem for s in again.sites if s.state == "cached"} == first_run_pdfs
    assert all((out / f"{Path(s.file).stem}.pdf").is_file() for s in again.sites)
    assert (out / "network-summary.pdf").is_file()
