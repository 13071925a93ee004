"""Batch: speed-up with 2 worker processes, the cache-hit re-run, and peak memory vs sites.

Goals: ``--jobs 2`` at least 1.7x faster than ``--jobs 1`` on 40 sites (PDFs rendered); a
re-run with nothing changed under 10% of the cold run; peak memory flat (< 1.5x) when the
number of sites grows tenfold (1,000 -> 10,000 submissions, ``assess --format csv`` and
``batch --no-pdf``). Run: python benchmarks/bench_batch.py
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import make_network

ROOT = Path(__file__).resolve().parent.parent
# this checkout's designation, whatever the current folder
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=False, capture_output=True, cwd=ROOT, env=ENV)
    return time.perf_counter() - t


def speedup(n: int = 40) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        net = Path(d) / "net"
        make_network(net, n)
        cmd = [sys.executable, "-m", "designation.cli", "batch", str(net), "--created", "2026-01-01"]
        t1 = _timed(cmd + ["-o", str(Path(d) / "o1"), "--jobs", "1"])
        t2 = _timed(cmd + ["-o", str(Path(d) / "o2"), "--jobs", "2"])
        again = _timed(cmd + ["-o", str(Path(d) / "o2"), "--jobs", "2"])
    return {"sites": n, "jobs1": t1, "jobs2": t2, "speedup": t1 / t2, "rerun": again, "rerun_share": again / t2}


def _peak_rss_mb(cmd: list[str]) -> float:
    """Peak resident memory of a child process, in MB (Linux reports ru_maxrss in KB)."""
    code = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
            "stderr=subprocess.DEVNULL).returncode; print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, cwd=ROOT, env=ENV,
                         check=False)
    rc, kb = out.stdout.split()
    if rc != "0":   # a failed command's memory is no figure
        raise RuntimeError(f"benchmark command failed ({rc}): {' '.join(cmd[:4])} ...")
    return int(kb) / 1024


def memory(small: int = 1000, factor: int = 10) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        net = Path(d) / "net"
        files = make_network(net, small * factor)
        few = Path(d) / "few"
        few.mkdir()
        for f in files[:small]:
            shutil.copy(f, few / f.name)
        base = [sys.executable, "-m", "designation.cli"]
        res = {}
        for label, folder in (("small", few), ("large", net)):
            res[f"assess_{label}"] = _peak_rss_mb(base + ["assess", str(folder), "--format", "csv"])
            res[f"batch_{label}"] = _peak_rss_mb(base + ["batch", str(folder), "-o", str(Path(d) / f"o-{label}"),
                                                         "--no-pdf", "--jobs", "2"])
    res["assess_ratio"] = res["assess_large"] / res["assess_small"]
    res["batch_ratio"] = res["batch_large"] / res["batch_small"]
    res["small"], res["large"] = small, small * factor
    return res


if __name__ == "__main__":
    s = speedup()
    print(f"batch of {s['sites']} sites with PDFs: --jobs 1 {s['jobs1']:.1f}s, --jobs 2 {s['jobs2']:.1f}s, "
          f"speed-up {s['speedup']:.2f}x (goal >= 1.7); cached re-run {s['rerun']:.2f}s = "
          f"{100 * s['rerun_share']:.1f}% of the cold run (goal < 10%)")
    m = memory()
    print(f"peak memory, {m['small']} vs {m['large']} submissions: assess {m['assess_small']:.0f} -> "
          f"{m['assess_large']:.0f} MB ({m['assess_ratio']:.2f}x); batch --no-pdf {m['batch_small']:.0f} -> "
          f"{m['batch_large']:.0f} MB ({m['batch_ratio']:.2f}x) (goal: flat, < 1.5x)")
