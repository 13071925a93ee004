"""Speed without changing a byte: the JSON encoder, the renderer's shared state, worker pools."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from designation import api, jsonout

from .conftest import ROOT

SUBMISSIONS = ROOT / "submissions"
CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _shipped_results() -> list[dict]:
    return [api.assess_path(p).to_json() for p in sorted(SUBMISSIONS.glob("*.yaml")) if not api.is_settings_file(p)]


def test_json_output_is_byte_for_byte_what_the_standard_library_wrote():
    results = _shipped_results()
    assert len(results) >= 10
    for r in results:
        assert jsonout.dumps(r) == json.dumps(r, indent=2, ensure_ascii=False)
        assert jsonout.dumps(r, sort_keys=True) == json.dumps(r, indent=2, ensure_ascii=False, sort_keys=True)


def test_json_output_falls_back_for_values_orjson_refuses():
    huge = {"reported": 10**30, "name": "Ælfgifu’s"}
    assert json.loads(jsonout.dumps(huge)) == huge
    assert jsonout.dumps_bytes(huge).decode("utf-8") == json.dumps(huge, indent=2, ensure_ascii=False)


def test_a_report_rendered_with_the_shared_stylesheet_is_byte_identical(tmp_path):
    pytest.importorskip("weasyprint")
    from designation.report import html, pdf, view
    from designation.report.fetcher import StaticFetcher

    r = api.assess_path(SUBMISSIONS / "ec-southmere-derogations.yaml").to_json()
    source = html.render_html(r, created=CREATED)
    files = {"result.json": view.result_json(r)}
    shared = pdf.render_pdf_bytes(source, files, CREATED, view.document_id(r))
    again = pdf.render_pdf_bytes(source, files, CREATED, view.document_id(r))
    # a fetcher of its own makes WeasyPrint read the linked stylesheet and fonts afresh
    fresh = pdf.render_pdf_bytes(source, files, CREATED, view.document_id(r), fetcher=StaticFetcher())
    assert shared == again == fresh
    assert shared.startswith(b"%PDF")


# --------------------------------------------------------------------------------------------
# batch on a Dask cluster: the same files as a local run, and a worker killed mid-run


SMALL = ("utc-westgate-national", "asthma-pharmacy-kennington", "ucc-riverside-colocated",
         "hbpos-hollybank-ward-staffed")


REGISTER = "register.sqlite"


def _outputs(folder) -> dict[str, bytes]:
    """Every output's bytes; the register (which records when and by whom each run was made) as
    its rows about the sites, which must be the same."""
    out = {p.name: p.read_bytes() for p in sorted(folder.iterdir())
           if p.is_file() and not p.name.endswith(".part") and not p.name.startswith(REGISTER)}
    if (folder / REGISTER).is_file():
        out[REGISTER] = repr(_register_rows(folder / REGISTER)).encode()
    return out


def _register_rows(path) -> dict[str, list]:
    import sqlite3

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'runs'")]
        rows = {}
        for t in sorted(tables):  # every column but the times things were done at
            cols = [c[1] for c in con.execute(f'PRAGMA table_info("{t}")') if not c[1].endswith("_at")]
            rows[t] = sorted(con.execute(f'SELECT {", ".join(cols)} FROM "{t}"').fetchall(), key=repr)
        return rows
    finally:
        con.close()


@pytest.fixture(scope="module")
def small_network(tmp_path_factory):
    import shutil

    folder = tmp_path_factory.mktemp("net") / "round"
    folder.mkdir()
    for name in SMALL:
        shutil.copy(SUBMISSIONS / f"{name}.yaml", folder)
    (folder / "broken.yaml").write_text("spec: uec-ucc\nsite: {name: X\n")  # reported, never lost
    return folder


@pytest.fixture(scope="module")
def local_outputs(small_network, tmp_path_factory):
    from designation.network import batch

    out = tmp_path_factory.mktemp("local")
    res = batch.run(small_network, out, jobs=2, created=CREATED)
    assert [s.state for s in res.sites].count("rendered") == len(SMALL)
    return _outputs(out)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason="the Dask extra (designation[dask]) is not installed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as c:
        yield c


def test_batch_on_a_dask_cluster_writes_byte_identical_outputs(cluster, small_network, local_outputs, tmp_path):
    from click.testing import CliRunner

    from designation.cli import main

    out = tmp_path / "dask"
    r = CliRunner().invoke(main, ["batch", str(small_network), "-o", str(out), "--created", "2026-01-01T00:00:00Z",
                                  "--executor", "dask", "--scheduler", cluster.scheduler_address])
    assert r.exit_code == 1, r.output  # the broken file, as in the local run
    assert "broken.yaml" in r.output and "Traceback" not in r.output
    got = _outputs(out)
    assert sorted(got) == sorted(local_outputs)
    assert [n for n in got if got[n] != local_outputs[n]] == []
    assert f"{len(SMALL)} rendered" in r.output


def test_a_dask_worker_killed_mid_run_is_retried_and_nothing_is_lost_or_duplicated(cluster, small_network,
                                                                                    local_outputs, tmp_path):
    import os
    import signal
    import threading
    import time

    from distributed import Client

    from designation.network import batch

    out = tmp_path / "dask-killed"
    done: dict[str, batch.BatchResult] = {}
    runner = threading.Thread(target=lambda: done.setdefault("r", batch.run(
        small_network, out, executor="dask", scheduler=cluster.scheduler_address, created=CREATED)))
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        pids = client.run(os.getpid)
        runner.start()
        victim = None
        deadline = time.monotonic() + 120
        while victim is None and time.monotonic() < deadline:   # a worker holding a report to render
            victim = next((w for w, keys in client.processing().items()
                           if any(str(k).startswith("_phase2") for k in keys)), None)
            time.sleep(0.02)
        assert victim is not None, "no report was ever sent to a worker"
        os.kill(pids[victim], signal.SIGKILL)
        killed_while_running = runner.is_alive()
        runner.join(300)
    assert killed_while_running and not runner.is_alive()
    res = done["r"]
    names = [os.path.basename(s.file) for s in res.sites]
    assert sorted(names) == sorted(set(names)) == sorted([f"{n}.yaml" for n in SMALL] + ["broken.yaml"])
    assert {s.state for s in res.sites if s.file.endswith("broken.yaml")} == {"invalid"}
    assert all(s.state == "rendered" for s in res.sites if not s.file.endswith("broken.yaml"))
    got = _outputs(out)
    assert sorted(got) == sorted(local_outputs)
    assert [n for n in got if got[n] != local_outputs[n]] == []


def test_dask_executor_needs_a_scheduler():
    from click.testing import CliRunner

    from designation.cli import main

    r = CliRunner().invoke(main, ["batch", str(SUBMISSIONS), "-o", "/tmp/never", "--executor", "dask"])
    assert r.exit_code == 2 and "--scheduler" in r.output


# --------------------------------------------------------------------------------------------
# local workers: recycled after many reports, sized by memory


def _pid(_item: int) -> int:
    import os

    return os.getpid()


def test_local_workers_are_replaced_after_their_share_of_reports():
    from designation.network.batch import _Workers
    from designation.network.executors import LocalPool

    with _Workers(LocalPool(2, recycle_after=2)) as workers:
        workers.pool.counting = True
        pids = [value for _, failure, value in workers._run(_pid, range(12), wrap=True) if not failure]
    assert len(pids) == 12
    per_worker = {p: pids.count(p) for p in set(pids)}
    assert len(per_worker) >= 3                      # fresh processes took over
    assert max(per_worker.values()) <= 2 * 2         # none outlived its pool's share


def test_default_jobs_is_bounded_by_memory_when_rendering(monkeypatch):
    from designation.network import executors

    monkeypatch.setattr(executors, "cores", lambda: 8)
    monkeypatch.setattr(executors, "available_mb", lambda: 2.5 * executors.WORKER_MB)
    assert executors.default_jobs(render=True) == 2
    assert executors.default_jobs(render=False) == 8
    monkeypatch.setattr(executors, "available_mb", lambda: 10.0)
    assert executors.default_jobs(render=True) == 1
    monkeypatch.setattr(executors, "available_mb", lambda: None)
    assert executors.default_jobs(render=True) == 8


def test_one_line_json_is_what_the_standard_library_writes():
    r = _shipped_results()[0]
    assert jsonout.dumps(r, indent=False) == json.dumps(r, ensure_ascii=False, separators=(",", ":"))
    when = {"at": dt.datetime(2026, 1, 1, 9, 30, tzinfo=dt.timezone.utc), "on": dt.date(2026, 1, 1)}
    assert jsonout.dumps(when, default=str) == json.dumps(when, indent=2, default=str)


def test_a_long_single_job_batch_still_renders_in_a_recycled_worker():
    from designation.network import executors

    assert executors.make("local", jobs=1, render=True, sites=1) is None
    assert executors.make("local", jobs=1, render=False, sites=500) is None
    assert executors.make("local", jobs=1, render=True, sites=3, recycle_after=50) is None
    pool = executors.make("local", jobs=1, render=True, sites=500, recycle_after=50)
    try:
        assert isinstance(pool, executors.LocalPool) and pool.jobs == 1
    finally:
        pool.close(cancel=True)
