"""A stopped batch leaves no worker running and a folder the next run resumes from.

Real processes: ``designation batch`` is started, its workers are found through /proc, then its
main process gets SIGTERM or SIGKILL (kill -9) while they are busy. Every worker must be gone
soon after (they are not left re-parented to init, still writing PDFs), every cache key must
stand beside complete outputs, and the next run must finish the round.
"""
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

from designation.network import batch

from .conftest import ROOT, child_pids

SUBMISSIONS = ROOT / "submissions"
pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find workers")


def _alive(pid: int, started: str) -> bool:
    """The process still runs (and is the same process: its start time matches), not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0] != "Z" and fields[19] == started


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}


def _start_time(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "kill -9"])
def test_a_stopped_batch_leaves_no_worker_and_the_next_run_resumes(tmp_path: Path, sig: int) -> None:
    network = tmp_path / "net"
    network.mkdir()
    for f in sorted(SUBMISSIONS.glob("*.yaml"))[:6]:
        shutil.copy(f, network)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "designation.cli", "batch", str(network), "-o", str(out),
                             "--jobs", "2"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(workers) < 2:   # both workers started
            workers = child_pids(proc.pid)
            time.sleep(0.05)
        assert workers, "no worker process started"
        started = {w: _start_time(w) for w in workers}
        time.sleep(1.5)   # busy assessing or rendering
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=90)
        after_stop = _snapshot(out)
        # every worker goes: with its batch (SIGTERM) or on its own when the batch was killed
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(_alive(w, t) for w, t in started.items()):
            time.sleep(0.1)
        assert not [w for w, t in started.items() if _alive(w, t)], "a worker outlived its batch"
        assert _snapshot(out) == after_stop, "files were written after the batch had stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
    if sig == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM, err
        assert "every worker is stopped" in err and "Traceback" not in err
    else:
        assert proc.returncode == -signal.SIGKILL
    # consistent: a cache key only ever stands beside the complete outputs it vouches for
    for key in out.glob(".*.key"):
        stem = key.name[1:-4]
        if stem == "network-summary":
            assert (out / "network-summary.csv").is_file()
            continue
        json.loads((out / f"{stem}.json").read_text())
        assert (out / f"{stem}.pdf").is_file(), f"{stem}: key without its PDF"
    # the next run resumes: finished sites are reused, the rest done, temporary files gone
    finished = {k.name[1:-4] for k in out.glob(".*.key")} - {"network-summary"}
    again = batch.run(network, out, jobs=2, render=True)
    assert {Path(s.file).stem for s in again.sites if s.state == "cached"} == finished
    assert all((out / f"{Path(s.file).stem}.pdf").is_file() for s in again.sites if s.state != "invalid")
    assert (out / "network-summary.pdf").is_file()
    assert not list(out.glob(".*.part"))
