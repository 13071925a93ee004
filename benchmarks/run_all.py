"""Run every benchmark and write benchmarks/RESULTS.md.

Each goal is a ratio of two things measured in the same run (these machines are noisy), with
the absolute times alongside as context. Run: python benchmarks/run_all.py [--quick]
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_assess  # noqa: E402
import bench_batch  # noqa: E402
import bench_report  # noqa: E402
import bench_startup  # noqa: E402


def main(quick: bool = False) -> None:
    rows: list[tuple[str, str, str, str, str]] = []

    def add(name: str, value: str, goal: str, ok: bool | None, context: str) -> None:
        rows.append((name, value, goal, "met" if ok else ("missed" if ok is False else "n/a"), context))
        print(f"{name}: {value} (goal {goal}) {context}", flush=True)

    n = 300 if quick else 1000
    a = bench_assess.main(n)
    add(f"assess {n} submissions vs parsing them (PyYAML C loader)", f"{a['ratio']:.2f}x", "<= 2.0x",
        a["ratio"] <= 2.0, f"assess {a['assess']:.2f}s, parse {a['parse']:.2f}s")

    s = bench_startup.startup()
    add("`designation validate` start-up vs importing WeasyPrint alone",
        f"{s['validate'] / s['import_weasyprint']:.2f}x", "< 1.0x, and WeasyPrint never imported",
        s["validate"] < s["import_weasyprint"] and not s["validate_imports_weasyprint"],
        f"validate {s['validate']:.2f}s, import weasyprint {s['import_weasyprint']:.2f}s, python alone "
        f"{s['python']:.2f}s; imports WeasyPrint: {s['validate_imports_weasyprint']}")
    l = bench_startup.spec_loading()
    add(f"loading all {l['specs']} specs cold vs parsing them", f"{l['ratio']:.1f}x", "(context)", None,
        f"load and check {l['load'] * 1000:.0f} ms, parse {l['parse'] * 1000:.0f} ms")

    r = bench_report.measure(repeat=2 if quick else 3)
    add("site report (`write_pdf`) vs WeasyPrint rendering the same HTML from disk", f"{r['ratio']:.3f}x",
        "<= 1.10x", r["ratio"] <= 1.10, f"ours {r['ours']:.2f}s, WeasyPrint {r['weasyprint']:.2f}s")
    add("pages for a 150-standard report", str(r["pages_150"]), "< 15", r["pages_150"] < 15, "typical mix")

    b = bench_batch.speedup(20 if quick else 40)
    add(f"batch of {b['sites']} sites with PDFs: --jobs 2 vs --jobs 1", f"{b['speedup']:.2f}x", ">= 1.7x",
        b["speedup"] >= 1.7, f"--jobs 1 {b['jobs1']:.1f}s, --jobs 2 {b['jobs2']:.1f}s on {os.cpu_count()} cores")
    add("batch re-run with nothing changed vs the cold run", f"{100 * b['rerun_share']:.1f}%", "< 10%",
        b["rerun_share"] < 0.10, f"re-run {b['rerun']:.2f}s")

    m = bench_batch.memory(200 if quick else 1000, 10)
    add(f"peak memory, `assess` of {m['large']} vs {m['small']} submissions", f"{m['assess_ratio']:.2f}x",
        "flat (< 1.5x)", m["assess_ratio"] < 1.5, f"{m['assess_small']:.0f} MB -> {m['assess_large']:.0f} MB")
    add(f"peak memory, `batch --no-pdf` of {m['large']} vs {m['small']} submissions", f"{m['batch_ratio']:.2f}x",
        "flat (< 1.5x)", m["batch_ratio"] < 1.5, f"{m['batch_small']:.0f} MB -> {m['batch_large']:.0f} MB")

    lines = ["# Benchmark results", "",
             f"Measured {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}, by `python benchmarks/run_all.py{' --quick' if quick else ''}`. Each figure is "
             "a ratio of two measurements taken in the same run; absolute times are context only.", "",
             "| measure | result | goal | | context |", "|---|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main("--quick" in sys.argv)
