"""The register: two rounds remembered, conditions followed up (text, CSV, JSON, iCalendar),
history with what changed, transactional writes, and every bad register a clear error."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from designation.cli import main
from designation.errors import InputError
from designation.network import batch, register as reg_mod

from .conftest import ROOT

SUBMISSIONS = ROOT / "submissions"
REVIEW = ("format: 1\nsite: ZZR01\nreviewer: {{name: Dr R Viewer, role: Network clinical lead}}\n"
          "reviewed_on: 2026-10-20\nverified:\n  opening_hours_per_day: {{value: {hours}, reason: Rota checked}}\n")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def copy_round(folder: Path) -> Path:
    shutil.copytree(SUBMISSIONS, folder)
    (folder / "reviews").mkdir()
    (folder / "reviews" / "ucc-riverside-colocated.yaml").write_text(REVIEW.format(hours=24))
    return folder


@pytest.fixture(scope="module")
def two_rounds(tmp_path_factory) -> dict:
    """Round 1 on the shipped examples; round 2 after changing two submissions and a review."""
    base = tmp_path_factory.mktemp("rounds")
    folder, out = copy_round(base / "round"), base / "out"
    first = run("batch", str(folder), "-o", str(out), "--no-pdf")
    assert first.exit_code == 0, first.output
    shutil.copy(out / "register.sqlite", base / "after-round-1.sqlite")
    north = folder / "ec-northfield-conditions.yaml"
    north.write_text(north.read_text().replace("ed_consultant_hours_weekend:\n    value: 12",
                                               "ed_consultant_hours_weekend:\n    value: 16", 1)
                     .replace("assessed_on: 2026-06-15", "assessed_on: 2026-11-20")
                     .replace("due: 2026-10-01", "due: 2027-01-31"))   # the therapy plan rescheduled
    east = folder / "ec-eastbridge-not-designated.yaml"
    east.write_text(east.read_text().replace("assessed_on: 2026-09-07", "assessed_on: 2026-11-07"))
    (folder / "reviews" / "ucc-riverside-colocated.yaml").write_text(REVIEW.format(hours=12))
    second = run("batch", str(folder), "-o", str(out), "--no-pdf")
    assert second.exit_code == 0, second.output
    return {"folder": folder, "out": out, "round1": base / "after-round-1.sqlite", "first": first.output,
            "second": second.output}


def test_batch_records_every_run_and_reuses_unchanged_assessments(two_rounds):
    assert "recorded as run 1" in two_rounds["first"] and "recorded as run 2" in two_rounds["second"]
    con = sqlite3.connect(two_rounds["out"] / "register.sqlite")
    n_sites = len(batch.find_submissions(two_rounds["folder"]))
    assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
    states = dict(con.execute("SELECT state, COUNT(*) FROM run_sites WHERE run_id = 2 GROUP BY state").fetchall())
    assert states == {"assessed": 3, "cached": n_sites - 3}
    assert con.execute("SELECT COUNT(*) FROM assessments").fetchone()[0] == n_sites + 3
    run_row = con.execute("SELECT kind, run_by, engine_version, sites, invalid FROM runs WHERE id = 2").fetchone()
    assert run_row[0] == "batch" and run_row[1] and run_row[3] == n_sites and run_row[4] == 0
    a = con.execute("SELECT spec_id, spec_edition, status, score_overall, core_met, core_of, expected_of, "
                    "document_id, submission_sha256, derogations_file, engine_version FROM assessments "
                    "WHERE site_code = 'ZZN01' ORDER BY id").fetchall()
    assert [x[2] for x in a] == ["designated_with_conditions", "designated"]
    assert a[0][0] == "uec-ec" and a[0][1] == "2017-11" and a[0][5] and len(a[0][7]) == 12
    assert a[0][9] == "derogations.yaml" and len(a[0][8]) == 64
    result = json.loads((two_rounds["out"] / "ec-northfield-conditions.json").read_text())
    from designation.report import document_id
    assert a[1][7] == document_id(result)
    assert con.execute("SELECT COUNT(*) FROM standards s JOIN assessments a ON a.id = s.assessment_id "
                       "WHERE a.site_code = 'ZZN01'").fetchone()[0] == 2 * len(result["standards"])
    derog = con.execute("SELECT d.standard, d.expires_on, d.status FROM derogations d JOIN assessments a "
                        "ON a.id = d.assessment_id WHERE a.site_code = 'ZZS01' ORDER BY d.standard").fetchall()
    assert ("EC-22", "2027-01-31", "applied") in derog and ("LQS-ED-02", "2026-03-31", "expired") in derog
    assert con.execute("SELECT COUNT(*) FROM evidence WHERE stale_on IS NOT NULL").fetchone()[0] > 0
    version = con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    assert version == reg_mod.SCHEMA_VERSION


def test_history_shows_both_rounds_and_what_changed(two_rounds):
    reg = str(two_rounds["out"] / "register.sqlite")
    res = run("history", "ZZN01", "--register", reg)
    assert res.exit_code == 0, res.output
    assert "2 recorded assessments" in res.output
    assert "assessed 15 June 2026" in res.output   # dates for people, as the reports print them
    assert "(15 June 2026) -> " in res.output and not re.search(r"\d{4}-\d{2}-\d{2}\)", res.output)
    assert "Round 1" in res.output and "Round 2" in res.output and "Changes since round 1" in res.output
    assert "LQS-ED-01" in res.output and "12 hours a day -> 16 hours a day" in res.output
    assert "▲ improved" in res.output
    h = json.loads(run("history", "ZZN01", "--register", reg, "--format", "json").output)
    assert [r["outcome"]["status"] for r in h["rounds"]] == ["designated_with_conditions", "designated"]
    assert h["rounds"][0]["changes"] is None
    assert h["rounds"][1]["changes"]["movement"] == "up"
    assert [x["id"] for x in h["rounds"][1]["changes"]["newly_met"]] == ["LQS-ED-01"]
    review = json.loads(run("history", "ZZR01", "--register", reg, "--format", "json").output)
    assert len(review["rounds"]) == 2 and review["rounds"][1]["changes"]["movement"] == "down"
    assert review["rounds"][1]["inputs_changed"] == ["review"] and h["rounds"][1]["inputs_changed"] == ["submission"]
    text = run("history", "ZZR01", "--register", reg).output
    assert "inputs changed: review (reviews/ucc-riverside-colocated.yaml)" in text
    assert review["rounds"][1]["inputs"]["review_file"] == "reviews/ucc-riverside-colocated.yaml"
    east = json.loads(run("history", "ZZE01", "--register", reg, "--format", "json").output)
    assert [r["assessed_on"] for r in east["rounds"]] == ["2026-09-07", "2026-11-07"]
    same = json.loads(run("history", "ZZW01", "--register", reg, "--format", "json").output)
    assert len(same["rounds"]) == 1 and same["rounds"][0]["runs"] == [1, 2]
    missing = run("history", "ZZN1", "--register", reg)
    assert missing.exit_code == 1 and "did you mean 'ZZN01'?" in missing.output


def test_due_lists_northfields_overdue_items_grouped_by_site_and_owner(two_rounds):
    reg = str(two_rounds["round1"])
    res = run("due", reg, "--on", "2026-12-01")
    assert res.exit_code == 0, res.output
    block = res.output.split("(ZZN01)", 1)[1].split("\n\n", 1)[0]
    overdue = [line.strip() for line in block.splitlines() if "OVERDUE" in line]
    assert len(overdue) == 2
    assert any("30 November 2026" in x and "condition LQS-ED-01" in x for x in overdue)
    assert any("1 October 2026" in x and "EC-25" in x for x in overdue)
    assert "Head of Therapies" in block and "Clinical Director for Emergency Medicine" in block
    assert "1 December 2026 (due today)" in block and "EC-26" in block
    assert not re.search(r"\d{4}-\d{2}-\d{2}", res.output)   # text is for people; JSON, CSV, ics keep ISO
    assert run("due", reg, "--on", "2026-12-01", "--fail-on", "overdue").exit_code == 3
    assert run("due", reg, "--on", "2026-01-01", "--within", "7d", "--fail-on", "overdue").exit_code == 0
    d = json.loads(run("due", reg, "--on", "2026-12-01", "--format", "json").output)
    north = [i for i in d["items"] if i["site_code"] == "ZZN01"]
    assert {(i["kind"], i["standard"], i["state"]) for i in north} == {
        ("condition", "LQS-ED-01", "overdue"), ("recommendation", "EC-25", "overdue"),
        ("recommendation", "EC-26", "due today")}
    rows = list(csv.DictReader(io.StringIO(run("due", reg, "--on", "2026-12-01", "--format", "csv").output)))
    assert {r["standard"] for r in rows if r["site_code"] == "ZZN01"} == {"LQS-ED-01", "EC-25", "EC-26"}
    later = json.loads(run("due", reg, "--on", "2026-12-01", "--within", "3m", "--format", "json").output)
    kinds = {i["kind"] for i in later["items"]}
    assert "derogation expires" in kinds   # Southmere's EC-22 runs out on 2027-01-31


def test_due_ics_imports_into_a_calendar_parser_with_the_right_dates_and_reminders(two_rounds, tmp_path):
    import datetime as dt

    from icalendar import Calendar

    out = tmp_path / "due.ics"
    res = run("due", str(two_rounds["round1"]), "--on", "2026-12-01", "--format", "ics", "-o", str(out))
    assert res.exit_code == 0, res.output
    cal = Calendar.from_ical(out.read_bytes())
    events = [e for e in cal.walk("VEVENT") if str(e.get("summary")).startswith("ZZN01")]
    by_std = {str(e.get("summary")).split()[2]: e for e in events}
    assert by_std["LQS-ED-01"].decoded("dtstart") == dt.date(2026, 11, 30)
    assert by_std["EC-25"].decoded("dtstart") == dt.date(2026, 10, 1)
    assert by_std["EC-26"].decoded("dtstart") == dt.date(2026, 12, 1)
    for e in events:
        triggers = sorted(a.decoded("trigger") for a in e.walk("VALARM"))
        assert triggers == [dt.timedelta(days=-30), dt.timedelta(days=-7), dt.timedelta(days=-1)]
    assert len({str(e.get("uid")) for e in cal.walk("VEVENT")}) == len(cal.walk("VEVENT"))


def test_due_on_a_folder_of_submissions_assesses_them_now(tmp_path):
    res = run("due", str(SUBMISSIONS), "--on", "2026-12-01", "--format", "json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert {"LQS-ED-01", "EC-25"} <= {i["standard"] for i in d["items"] if i["state"] == "overdue"}


def test_assess_record_adds_a_run_to_a_register(tmp_path):
    reg = tmp_path / "reg.sqlite"
    res = run("assess", str(SUBMISSIONS / "ec-northfield-conditions.yaml"), "--format", "json", "--record", str(reg))
    assert res.exit_code == 0, res.output
    con = sqlite3.connect(reg)
    assert con.execute("SELECT kind FROM runs").fetchall() == [("assess",)]
    assert con.execute("SELECT site_code, status FROM assessments").fetchall() == [
        ("ZZN01", "designated_with_conditions")]
    again = run("assess", str(SUBMISSIONS / "ec-northfield-conditions.yaml"), "--record", str(reg))
    assert again.exit_code == 0
    assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
    assert con.execute("SELECT COUNT(*) FROM assessments").fetchone()[0] == 1   # same inputs, one assessment


def test_invalid_and_removed_sites_are_stale_in_the_register(tmp_path):
    folder = tmp_path / "round"
    folder.mkdir()
    for name in ("ec-northfield-conditions", "ucc-hillcrest-standalone"):
        shutil.copy(SUBMISSIONS / f"{name}.yaml", folder)
    out = tmp_path / "out"
    assert run("batch", str(folder), "-o", str(out), "--no-pdf").exit_code == 0
    (folder / "ec-northfield-conditions.yaml").write_text("spec: uec-ec\n")
    (folder / "ucc-hillcrest-standalone.yaml").unlink()
    assert run("batch", str(folder), "-o", str(out), "--no-pdf").exit_code == 1
    con = sqlite3.connect(out / "register.sqlite")
    cur = dict(con.execute("SELECT submission_file, state FROM current_sites WHERE stale").fetchall())
    assert cur == {"ec-northfield-conditions.yaml": "invalid", "ucc-hillcrest-standalone.yaml": "removed"}
    res = run("due", str(out), "--on", "2026-12-01")
    assert "ZZN01)  ec-northfield" not in res.output
    assert "ec-northfield-conditions.yaml (ZZN01) has no current assessment (its input is invalid" in res.output
    h = run("history", "ZZN01", "--register", str(out))
    assert "was invalid" in h.output and "is stale" in h.output


def test_a_site_code_changed_between_rounds_is_linked_by_file_name(tmp_path):
    folder = tmp_path / "round"
    folder.mkdir()
    sub = folder / "ucc-hillcrest-standalone.yaml"
    shutil.copy(SUBMISSIONS / sub.name, sub)
    out = tmp_path / "out"
    assert run("batch", str(folder), "-o", str(out), "--no-pdf").exit_code == 0
    sub.write_text(sub.read_text().replace("code: ZZH01", "code: ZZH02"))
    assert run("batch", str(folder), "-o", str(out), "--no-pdf").exit_code == 0
    for code in ("ZZH01", "ZZH02"):
        h = json.loads(run("history", code, "--register", str(out), "--format", "json").output)
        assert [r["site"]["code"] for r in h["rounds"]] == ["ZZH01", "ZZH02"]
        assert any("site code changed from ZZH01 to ZZH02" in n and "by file name" in n for n in h["notes"])


# -- bad registers -----------------------------------------------------------------------------

def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path):
    bad = tmp_path / "register.sqlite"
    bad.write_text("name,outcome\n")
    res = run("history", "ZZN01", "--register", str(bad))
    assert res.exit_code == 1 and "not an SQLite database" in res.output and "Traceback" not in res.output
    res = run("batch", str(SUBMISSIONS), "-o", str(tmp_path), "--no-pdf")
    assert res.exit_code == 1 and "not an SQLite database" in res.output
    assert not list(tmp_path.glob("*.json"))   # refused before any work
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    res = run("due", str(other))
    assert res.exit_code == 1 and "not a designation register" in res.output


def test_a_register_from_a_newer_designation_is_refused(tmp_path):
    path = tmp_path / "r.sqlite"
    reg_mod.open_register(path).close()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO schema_version VALUES (?, '2099-01-01', 'future', '9.9')", (reg_mod.SCHEMA_VERSION + 1,))
    con.commit()
    con.close()
    res = run("assess", str(SUBMISSIONS / "ec-northfield-conditions.yaml"), "--record", str(path))
    assert res.exit_code == 1 and "newer designation" in res.output
    assert run("due", str(path)).exit_code == 1


def test_a_read_only_register_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "r.sqlite"
    reg_mod.open_register(path).close()
    real = os.access
    monkeypatch.setattr(reg_mod.os, "access", lambda p, mode: False if Path(p) == path and mode == os.W_OK
                        else real(p, mode))
    res = run("assess", str(SUBMISSIONS / "ec-northfield-conditions.yaml"), "--record", str(path))
    assert res.exit_code == 1 and "read-only" in res.output
    assert run("due", str(path), "--on", "2026-12-01").exit_code == 0   # reading it is fine


def test_a_register_locked_by_another_writer_waits_then_fails_clearly(tmp_path, monkeypatch):
    path = tmp_path / "r.sqlite"
    reg_mod.open_register(path).close()
    monkeypatch.setattr(reg_mod, "LOCK_WAIT_SECONDS", 0.3)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")   # another writer mid-transaction: reading still works
    try:
        with reg_mod.open_register(path) as reg, pytest.raises(InputError) as exc:
            reg.record_run("assess", [])
        assert "locked by another batch" in str(exc.value)
        holder.execute("COMMIT")
        holder.execute("BEGIN EXCLUSIVE")   # one that holds it whole: even opening waits, then says so
        res = run("assess", str(SUBMISSIONS / "ec-northfield-conditions.yaml"), "--record", str(path))
        assert res.exit_code == 1 and "locked by another batch" in res.output
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with reg_mod.open_register(path) as reg:
        assert reg.record_run("assess", []) == 1


def test_two_batches_on_one_output_folder_one_waits_then_refuses(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with batch.OutputLock(out, wait=0):
        with pytest.raises(InputError) as exc:
            batch.run(SUBMISSIONS, out, render=False, lock_wait=0.3)
    assert "another batch is writing this output folder" in str(exc.value)
    assert not list(out.glob("*.json"))
    assert batch.run(SUBMISSIONS, out, render=False).ok


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_batch_killed_mid_run_leaves_the_register_unchanged_or_complete(tmp_path):
    """Kill batches at different moments (while assessing, while recording); after each kill the
    register holds only whole runs: every run has all its sites, or the run is not there."""
    folder = tmp_path / "round"
    folder.mkdir()
    subs = [p for p in sorted(SUBMISSIONS.glob("*.yaml")) if p.name != "derogations.yaml"]
    for i in range(4):   # enough sites that recording takes a moment (each its own site: codes differ)
        for p in subs:
            code = yaml.safe_load(p.read_text())["site"]["code"]
            text = re.sub(r"(code:\s*[\"']?)" + re.escape(str(code)), rf"\g<1>{code}{i}", p.read_text(), count=1)
            (folder / f"{i}-{p.name}").write_text(text)
    n = len(list(folder.glob("*.yaml")))
    out = tmp_path / "out"
    reg = out / "register.sqlite"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def whole_runs() -> list[int]:
        con = sqlite3.connect(reg)
        try:
            rows = con.execute("SELECT r.id, r.sites, COUNT(s.submission_file) FROM runs r LEFT JOIN run_sites s "
                               "ON s.run_id = r.id GROUP BY r.id").fetchall()
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            con.close()
        for _, sites, linked in rows:
            assert sites == n and linked == n, rows
        return [r[0] for r in rows]

    assert subprocess.run([sys.executable, "-m", "designation.cli", "batch", str(folder), "-o", str(out),
                           "--no-pdf", "--jobs", "1"], cwd=ROOT, env=env, capture_output=True).returncode == 0
    assert whole_runs() == [1]
    for p in sorted(folder.glob("*.yaml")):   # every site changes: every one is recorded anew
        p.write_text(p.read_text() + "\n# round 2\n")
    outcomes = []
    for when in ("assessing", "recording", "recording", "recording"):
        proc = subprocess.Popen([sys.executable, "-m", "designation.cli", "batch", str(folder), "-o", str(out),
                                 "--no-pdf", "--jobs", "1"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        journal = reg.with_name(reg.name + "-journal")
        deadline = time.monotonic() + 120
        if when == "assessing":
            proc.stderr.readline()     # the first site is done
        else:
            while time.monotonic() < deadline and not journal.exists() and proc.poll() is None:
                time.sleep(0.0005)     # the write transaction has begun
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        runs = whole_runs()
        outcomes.append(len(runs))
        assert runs[0] == 1 and len(runs) <= 2
        if len(runs) == 2:
            break
    assert outcomes[0] == 1   # killed while assessing: the register is as before the run
    assert subprocess.run([sys.executable, "-m", "designation.cli", "batch", str(folder), "-o", str(out),
                           "--no-pdf", "--jobs", "1"], cwd=ROOT, env=env, capture_output=True).returncode == 0
    assert whole_runs()[-1] == whole_runs()[0] + len(whole_runs()) - 1 and len(whole_runs()) >= 2


# -- browsing ------------------------------------------------------------------------------------

def test_datasette_opens_the_register_read_only_with_the_canned_queries(two_rounds):
    datasette_app = pytest.importorskip("datasette.app", reason="Datasette is the optional 'browse' extra")
    import asyncio

    path = two_rounds["round1"]
    meta = json.loads(run("browse", str(path), "--print-metadata").output)
    db = path.stem
    assert {"sites_by_outcome", "conditions_overdue", "sites_closest_to_a_change"} <= set(meta["databases"][db]["queries"])
    before = path.read_bytes()

    async def fetch(query: str) -> list[dict]:
        ds = datasette_app.Datasette(immutables=[str(path)], metadata=meta)
        res = await ds.client.get(f"/{db}/{query}")
        assert res.status_code == 200, res.text
        return res.json()

    by_outcome = asyncio.run(fetch("sites_by_outcome.json?_shape=array"))
    assert by_outcome[0]["status"] == "not_designated"
    assert {r["site_code"] for r in by_outcome} >= {"ZZN01", "ZZE01", "ZZR01"}
    overdue = asyncio.run(fetch("conditions_overdue.json?_shape=array&on=2026-12-01"))
    assert [(r["site_code"], r["standard"], r["days_overdue"]) for r in overdue] == [("ZZN01", "LQS-ED-01", 1)]
    closest = asyncio.run(fetch("sites_closest_to_a_change.json?_shape=array"))
    counts = [r["standards_to_fix"] for r in closest]
    assert counts == sorted(counts) and any(r["site_code"] == "ZZE01" for r in closest)
    refused = asyncio.run(_post_write(datasette_app, path, meta, db))
    assert refused != 200
    assert path.read_bytes() == before   # nothing Datasette did changed the register


async def _post_write(datasette_app, path, meta, db) -> int:
    ds = datasette_app.Datasette(immutables=[str(path)], metadata=meta)
    res = await ds.client.get(f"/{db}.json?sql=delete+from+runs")
    return res.status_code
