"""Run every benchmark and write benchmarks/RESULTS.md.

Each goal is a ratio of two things measured in the same run (these machines are noisy), with
the absolute times alongside as context. A benchmark that fails is written as a failed row (with
its error) and the run goes on, so the table always has every goal.

Run: python benchmarks/run_all.py [--quick] [--out FILE] [--runs N] [--no-context] [--memory-json FILE]

The full run takes about 15 to 20 minutes on a quiet 2-core machine (the 200-report worker
memory row is a third of it); ``--quick`` (smaller corpora, fewer runs: a check that everything
runs, not figures to quote) about a third of that. ``--out`` writes the table elsewhere (a quick
run should not replace the recorded one); the notes below the marker are kept either way.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This checkout's designation, before any installed copy (every benchmark imports it in process too).
sys.path[:0] = [str(HERE.parent), str(HERE)]

import bench_assess  # noqa: E402
import bench_cli  # noqa: E402
import bench_batch  # noqa: E402
import bench_report  # noqa: E402
import bench_sign  # noqa: E402
import bench_startup  # noqa: E402
from designation.network import executors  # noqa: E402


def main(quick: bool = False, context: bool = True, runs: int | None = None, memory_json: str | None = None,
         out: Path | None = None) -> None:
    rows: list[tuple[str, str, str, str, str]] = []
    started = time.perf_counter()

    def add(name: str, value: str, goal: str, ok: bool | None, context: str) -> None:
        rows.append((name, value, goal, "met" if ok else ("missed" if ok is False else "n/a"), context))
        print(f"{name}: {value} (goal {goal}) {context}", flush=True)

    def section(title: str, fn, *failed_rows: tuple[str, str]) -> None:
        """Run one benchmark; if it fails, each of its goal rows says so (with the error) and the run goes on."""
        t = time.perf_counter()
        print(f"--- {title}", flush=True)
        try:
            fn()
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure is a row, not the end of the run
            traceback.print_exc()
            why = " ".join(str(exc).split())[:200] or type(exc).__name__
            for name, goal in failed_rows:
                add(name, "-", goal, False, f"the benchmark failed: {type(exc).__name__}: {why}")
        print(f"--- {title}: {time.perf_counter() - t:.0f}s", flush=True)

    n = 300 if quick else 1000
    runs = runs or (3 if quick else 5)
    sites = 20 if quick else 40
    large = 40 if quick else 200
    section("assess and validate vs the C-YAML parse", lambda: _assess_rows(add, n, runs),
            (f"`assess --format json` of {n} realistic submissions vs a C-YAML parse of the same files", "<= 1.5x"),
            ("`assess --format jsonl` of the same", "<= 1.4x"), ("`validate` of the same", "<= 1.3x"))
    section("report vs WeasyPrint", lambda: _report_row(add, runs),
            ("`designation report` vs a WeasyPrint process rendering the same HTML", "<= 1.10x"))
    section("batch scaling", lambda: _batch_rows(add, sites),
            (f"`batch --jobs 2` vs `--jobs 1`, {sites} sites with PDFs", ">= 1.9x"),
            ("`batch --executor dask` on a 2-worker local cluster vs `--jobs 2`", "<= 1.15x, outputs byte-identical"),
            ("batch re-run with nothing changed vs the cold run", "< 10%"))
    section("worker memory", lambda: _memory_rows(add, large, memory_json),
            (f"peak memory of a process rendering as a batch worker does, after {large} reports vs after 10",
             "<= 1.2x"))
    if context:
        for title, fn, goals in context_sections(add, quick):
            section(title, fn, *goals)
    minutes = (time.perf_counter() - started) / 60
    print(f"run_all took {minutes:.1f} min", flush=True)
    write(rows, quick, out or HERE / "RESULTS.md", minutes)


def _assess_rows(add, n: int, runs: int) -> None:
    """The goals: whole processes through the CLI, realistic submissions (bench_cli)."""
    c = bench_cli.assess_validate(n, runs)
    note = f"median of {runs} interleaved runs, CPU time; parse {c['t_parse']:.2f}s"
    add(f"`assess --format json` of {n} realistic submissions vs a C-YAML parse of the same files",
        f"{c['json']:.2f}x", "<= 1.5x", c["json"] <= 1.5, f"{note}, assess {c['t_json']:.2f}s")
    if "jsonl" in c:
        add("`assess --format jsonl` of the same", f"{c['jsonl']:.2f}x", "<= 1.4x", c["jsonl"] <= 1.4,
            f"assess {c['t_jsonl']:.2f}s")
    else:
        add("`assess --format jsonl` of the same", "-", "<= 1.4x", False, "this version has no --format jsonl")
    add("`validate` of the same", f"{c['validate']:.2f}x", "<= 1.3x", c["validate"] <= 1.3,
        f"validate {c['t_validate']:.2f}s")


def _report_row(add, runs: int) -> None:
    r = bench_cli.report_vs_weasyprint(runs)
    add("`designation report` vs a WeasyPrint process rendering the same HTML", f"{r['ratio']:.3f}x", "<= 1.10x",
        r["ratio"] <= 1.10, f"median of {runs} interleaved runs, CPU time; ours {r['ours']:.2f}s, "
                            f"WeasyPrint {r['weasyprint']:.2f}s")


def _batch_rows(add, sites: int) -> None:
    load_before = os.getloadavg()[0]
    b = bench_cli.batch_scaling(sites, dask=_has_dask())
    load = f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    add(f"`batch --jobs 2` vs `--jobs 1`, {b['sites']} sites with PDFs", f"{b['speedup']:.2f}x", ">= 1.9x",
        b["speedup"] >= 1.9, f"wall time; --jobs 1 {b['jobs1']:.1f}s, --jobs 2 {b['jobs2']:.1f}s and "
                             f"{b['jobs2_again']:.1f}s; {load}")
    if "dask" in b:
        add("`batch --executor dask` on a 2-worker local cluster vs `--jobs 2`", f"{b['dask_ratio']:.2f}x",
            "<= 1.15x, outputs byte-identical", b["dask_ratio"] <= 1.15 and b["identical"],
            f"wall time; dask {b['dask']:.1f}s; byte-identical: {b['identical']}; {load}")
    else:
        add("`batch --executor dask` on a 2-worker local cluster vs `--jobs 2`", "-",
            "<= 1.15x, outputs byte-identical", None, "not measured: the dask extra (distributed) is not installed")
    add("batch re-run with nothing changed vs the cold run", f"{100 * b['rerun_share']:.1f}%", "< 10%",
        b["rerun_share"] < 0.10, f"re-run {b['rerun']:.2f}s")


def _has_dask() -> bool:
    import importlib.util

    return importlib.util.find_spec("distributed") is not None


def _memory_rows(add, large: int, memory_json: str | None) -> None:
    if memory_json:  # measured separately (python benchmarks/bench_cli.py memory 10 200 > FILE)
        import json

        text = Path(memory_json).read_text() if Path(memory_json).is_file() else ""
        m = json.loads(text) if text.strip() else None
    else:
        m = bench_cli.worker_memory(10, large)
    if m is None:
        add(f"peak memory of a process rendering as a batch worker does, after {large} reports vs after 10", "-",
            "<= 1.2x", None, "not measured in this run")
    else:
        _memory_row(add, m)


def _memory_row(add, m: dict) -> None:
    add(f"peak memory of a process rendering as a batch worker does, after {m['large']} reports vs after "
        f"{m['small']}", f"{m['ratio']:.2f}x", "<= 1.2x", m["ratio"] <= 1.2,
        f"{m['rss_few']:.0f} MB -> {m['rss_big']:.0f} MB without recycling; batch workers are replaced after "
        f"{executors.RECYCLE_AFTER} reports each")


def context_sections(add, quick: bool) -> list[tuple[str, object, tuple[tuple[str, str], ...]]]:
    """The earlier in-process figures, kept as context: (title, run, its goal rows if it fails)."""
    n = 300 if quick else 1000

    def assess() -> None:
        a = bench_assess.main(n)
        add(f"(in process) assess {n} synthetic submissions vs parsing them", f"{a['ratio']:.2f}x", "(context)",
            None, f"assess {a['assess']:.2f}s, parse {a['parse']:.2f}s")

    def startup() -> None:
        s = bench_startup.startup()
        add("`designation validate` start-up vs importing WeasyPrint alone",
            f"{s['validate'] / s['import_weasyprint']:.2f}x", "< 1.0x, and WeasyPrint never imported",
            s["validate"] < s["import_weasyprint"] and not s["validate_imports_weasyprint"],
            f"validate {s['validate']:.2f}s, import weasyprint {s['import_weasyprint']:.2f}s, python alone "
            f"{s['python']:.2f}s; imports WeasyPrint: {s['validate_imports_weasyprint']}")
        l = bench_startup.spec_loading()
        add(f"loading all {l['specs']} specs cold vs parsing them", f"{l['ratio']:.1f}x", "(context)", None,
            f"load and check {l['load'] * 1000:.0f} ms, parse {l['parse'] * 1000:.0f} ms")

    def report() -> None:
        r = bench_report.measure(repeat=2 if quick else 3)
        add("(in process) site report (`write_pdf`) vs WeasyPrint rendering the same HTML", f"{r['ratio']:.3f}x",
            "(context)", None, f"ours {r['ours']:.2f}s, WeasyPrint {r['weasyprint']:.2f}s")
        add("pages for a 150-standard report", str(r["pages_150"]), "< 15", r["pages_150"] < 15, "typical mix")

    def sign() -> None:
        try:
            g = bench_sign.measure(repeat=2 if quick else 3)
        except ImportError:  # pyHanko is the optional sign extra
            add("signing a site report (PAdES B-B) vs rendering it", "-", "< 5%", None,
                "not measured: the sign extra (pyHanko) is not installed")
            return
        add("signing a site report (PAdES B-B) vs rendering it", f"{100 * g['overhead']:.1f}%", "< 5%",
            g["overhead"] < 0.05, f"sign {g['sign_only'] * 1000:.0f} ms, render {g['plain']:.2f}s, "
            f"verify of the signed report {g['verify']:.2f}s")

    def memory() -> None:
        m = bench_batch.memory(200, 10)  # context only: 2,000 vs 200 keeps the run short
        add(f"peak memory, `assess` of {m['large']} vs {m['small']} submissions", f"{m['assess_ratio']:.2f}x",
            "flat (< 1.5x)", m["assess_ratio"] < 1.5, f"{m['assess_small']:.0f} MB -> {m['assess_large']:.0f} MB")
        add(f"peak memory, `batch --no-pdf` of {m['large']} vs {m['small']} submissions",
            f"{m['batch_ratio']:.2f}x", "flat (< 1.5x)", m["batch_ratio"] < 1.5,
            f"{m['batch_small']:.0f} MB -> {m['batch_large']:.0f} MB")

    return [("(context) assess in process", assess, ()),
            ("(context) start-up and spec loading", startup,
             (("`designation validate` start-up vs importing WeasyPrint alone",
               "< 1.0x, and WeasyPrint never imported"),)),
            ("(context) report in process, 150 standards", report, (("pages for a 150-standard report", "< 15"),)),
            ("(context) signing", sign, (("signing a site report (PAdES B-B) vs rendering it", "< 5%"),)),
            ("(context) assess and batch memory", memory,
             (("peak memory, `assess` of 2000 vs 200 submissions", "flat (< 1.5x)"),
              ("peak memory, `batch --no-pdf` of 2000 vs 200 submissions", "flat (< 1.5x)")))]


NOTES = "<!-- notes: kept when run_all.py rewrites the table above -->"


def write(rows: list[tuple[str, str, str, str, str]], quick: bool, out: Path, minutes: float = 0.0) -> None:
    lines = ["# Benchmark results", "",
             f"Measured {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}, by `python benchmarks/run_all.py{' --quick' if quick else ''}` "
             f"({minutes:.0f} minutes). Each figure is "
             "a ratio of two measurements taken in the same run; absolute times are context only. Load average "
             f"when the table was written: {os.getloadavg()[0]:.1f} (a wall-time ratio means little when the "
             "machine's cores are already busy with other work).", "",
             "| measure | result | goal | | context |", "|---|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in
              ((a, b, c, d, e.replace("|", "/").replace("\n", " ")) for a, b, c, d, e in rows)]
    # notes written by hand below the marker (profiles, why a goal is missed) are kept
    source = out if out.is_file() else HERE / "RESULTS.md"
    old = source.read_text("utf-8") if source.is_file() else ""
    notes = old[old.index(NOTES):] if NOTES in old else NOTES + "\n"
    out.write_text("\n".join(lines) + "\n\n" + notes, "utf-8")
    print(f"wrote {out}")


def _arg(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None


if __name__ == "__main__":
    args = sys.argv[1:]
    main("--quick" in args, context="--no-context" not in args,
         runs=int(_arg(args, "--runs")) if _arg(args, "--runs") else None,
         memory_json=_arg(args, "--memory-json"),
         out=Path(_arg(args, "--out")).resolve() if _arg(args, "--out") else None)
