"""What users run, measured whole-process through the CLI (issue 16's goals).

Every figure is a ratio of two things measured in the same run, interleaved (A B A B ...), the
median quoted, so that a loaded machine slows both sides alike. CPU time (user + system of the
process and its children) is used where one process does the work; wall time where the point
is parallelism (``--jobs``, Dask).

The submissions are realistic: copies of the shipped examples (evidence, comments, action
plans; each copy with its own site code) and synthetic ones of the same size (evidence and a
comment on some answers). Run: python benchmarks/bench_cli.py [--quick]
"""
from __future__ import annotations

import atexit
import datetime as dt
import filecmp
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PY = sys.executable
CLI = [PY, "-m", "designation.cli"]
CREATED = "2026-01-01T00:00:00Z"
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
# As installed: pip compiles a package's bytecode when it installs it, so a user's process loads
# designation's modules compiled. A checkout run with PYTHONDONTWRITEBYTECODE (as CI and these
# machines are) would compile its thirty-odd modules from source in every process (about 0.07 s,
# 2% of a report), a cost no user pays. The bytecode goes to a folder of this run's own, for every
# process measured alike, and each command is run once before it is timed, so every process
# (ours and the floors) starts with its bytecode, and ours with its compiled report templates
# (designation.report.templatecache, kept per user), as a user's second run does.
_SCRATCH = tempfile.mkdtemp(prefix="designation-bench-")
atexit.register(shutil.rmtree, _SCRATCH, True)
ENV.pop("PYTHONDONTWRITEBYTECODE", None)
ENV.update(PYTHONPYCACHEPREFIX=os.path.join(_SCRATCH, "pyc"), DESIGNATION_CACHE_DIR=os.path.join(_SCRATCH, "cache"))
ENV.pop("DESIGNATION_NO_CACHE", None)

# The floor: a process that reads the same files and parses them with PyYAML's C loader.
PARSE = ("import sys, glob, yaml\n"
         "for p in sorted(glob.glob(sys.argv[1] + '/*.yaml')):\n"
         "    if p.endswith(('/derogations.yaml', '/tailoring.yaml')): continue\n"
         "    with open(p, 'rb') as fh: yaml.load(fh.read(), Loader=yaml.CSafeLoader)\n")


# ------------------------------------------------------------------------------ submissions


def shipped() -> list[Path]:
    return sorted(p for p in (ROOT / "submissions").glob("*.yaml") if p.name not in ("derogations.yaml",
                                                                                      "tailoring.yaml"))


def _recode(text: str, code: str) -> str:
    return re.sub(r"(?m)^(  code:\s*)\S+", lambda m: m.group(1) + code, text, count=1)


def _synthetic(spec, rng: random.Random, i: int) -> str:
    """A synthetic submission the size of a shipped one: evidence and comments on some answers."""
    import yaml

    from designation import synth

    from designation.rules import Context

    answers = synth.random_answers(spec, rng)
    ctx = Context(answers, spec.defaults())  # as a provider would: no answers to questions that do not apply
    answers = {q: v for q, v in answers.items()
               if spec.questions[q].applies is None or spec.questions[q].applies.evaluate(ctx) is not False}
    for n, qid in enumerate(list(answers)):
        if n % 4 == 0 and answers[qid] is not None:
            answers[qid] = {"value": answers[qid],
                            "evidence": [{"title": f"Rota and audit {n}", "reference": f"DOC-{i}-{n}",
                                          "date": dt.date(2026, 5, 31), "owner": "Clinical director"}]}
            if n % 8 == 0:
                answers[qid]["comment"] = "Reviewed at the quarterly governance meeting; the figure is the median."
    data = {"format": 1, "spec": spec.id, "edition": spec.edition,
            "site": {"name": f"Synthetic site {i}", "code": f"SYN{i:05d}", "organisation": "Synthetic NHS Trust",
                     "network": "Synthetic UEC Network", "address": "1 Example Road, London"},
            "assessed_on": dt.date(2026, 10, 1), "answers": answers}
    if spec.ladder:
        data["claimed"] = spec.ladder.level
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def make_corpus(folder: Path, n: int, seed: int = 16) -> list[Path]:
    """``n`` valid submissions: half copies of the shipped examples, half synthetic ones."""
    from designation import spec as spec_mod

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    examples = [(p.stem, p.read_text("utf-8")) for p in shipped()]
    specs = [spec_mod.load(s) for s in ("uec-ucc", "uec-ec", "uec-ecss", "utc-national", "hbpos", "asthma-cyp")]
    files = []
    for i in range(n):
        if i % 2 == 0:
            stem, text = examples[(i // 2) % len(examples)]
            p = folder / f"site{i:05d}-{stem}.yaml"
            p.write_text(_recode(text, f"ZC{i:05d}"), "utf-8")
        else:
            s = specs[(i // 2) % len(specs)]
            p = folder / f"site{i:05d}-syn-{s.id}.yaml"
            p.write_text(_synthetic(s, rng, i), "utf-8")
        files.append(p)
    return files


# ------------------------------------------------------------------------------ measuring


def run(cmd: list[str], *, cwd: Path = ROOT, stdout=subprocess.DEVNULL) -> dict[str, float]:
    """Run ``cmd`` to the end: its wall time, CPU time (with its children) and peak RSS (MB)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024,
            "rc": proc.returncode}


def run_tree(cmd: list[str], *, cwd: Path = ROOT) -> dict[str, float]:
    """Like :func:`run`, for a command with worker processes: CPU and peak RSS over the whole tree
    (a wrapper process waits for it, so every descendant's usage is counted)."""
    code = ("import os, resource, subprocess, sys, time, json\n"
            "t = time.perf_counter()\n"
            "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
            "w = time.perf_counter() - t\n"
            "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
            "print(json.dumps({'wall': w, 'cpu': u.ru_utime + u.ru_stime, 'rss': u.ru_maxrss / 1024, 'rc': rc}))\n")
    import json

    out = subprocess.run([PY, "-c", code, *cmd], cwd=cwd, env=ENV, capture_output=True, text=True)
    return json.loads(out.stdout)


def interleaved(cmds: dict[str, list[str]], runs: int, key: str = "cpu") -> dict[str, float]:
    """Median of ``runs`` runs of each command, taken in turn (A B C A B C ...)."""
    seen: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):
        for k, cmd in cmds.items():
            seen[k].append(run(cmd)[key])
    return {k: statistics.median(v) for k, v in seen.items()}


# ------------------------------------------------------------------------------ the goals


def assess_validate(n: int = 1000, runs: int = 5) -> dict[str, float]:
    """assess --format json / jsonl and validate of ``n`` submissions vs the C-YAML parse floor."""
    from designation.cli import main as cli_main  # noqa: F401  (fail early if the CLI is broken)

    with tempfile.TemporaryDirectory() as d:
        net = Path(d) / "net"
        make_corpus(net, n)
        cmds = {"parse": [PY, "-c", PARSE, str(net)],
                "json": CLI + ["assess", str(net), "--format", "json"],
                "validate": CLI + ["validate", str(net)]}
        if _has_jsonl():
            cmds["jsonl"] = CLI + ["assess", str(net), "--format", "jsonl"]
        for cmd in cmds.values():   # each must succeed, or the figure means nothing
            rc = run(cmd)["rc"]
            if rc != 0:
                raise SystemExit(f"benchmark command failed ({rc}): {' '.join(cmd)}")
        m = interleaved(cmds, runs)
    res = {"n": n, "runs": runs, **{f"t_{k}": v for k, v in m.items()}}
    for k in ("json", "jsonl", "validate"):
        if k in m:
            res[k] = m[k] / m["parse"]
    return res


def _has_jsonl() -> bool:
    out = subprocess.run(CLI + ["assess", "--help"], cwd=ROOT, env=ENV, capture_output=True, text=True).stdout
    return "jsonl" in out


def report_vs_weasyprint(runs: int = 5) -> dict[str, float]:
    """``designation report`` of a shipped submission vs a process that renders the same HTML."""
    from designation import api
    from designation.report import html

    sub = ROOT / "submissions" / "ec-northfield-conditions.yaml"
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        net = d / "site"
        net.mkdir()
        shutil.copy(sub, net)
        shutil.copytree(html.STATIC, d / "static")
        page = d / "static" / "report.html"
        created = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        page.write_text(html.render_html(api.assess_path(net / sub.name).to_json(), created=created), "utf-8")
        plain = ("import sys\nfrom weasyprint import HTML\n"
                 "HTML(filename=sys.argv[1]).write_pdf(sys.argv[2], pdf_tags=True, custom_metadata=True)\n")
        cmds = {"ours": CLI + ["report", str(net / sub.name), "-o", str(d / "ours.pdf"), "--created", CREATED],
                "weasyprint": [PY, "-c", plain, str(page), str(d / "plain.pdf")]}
        for cmd in cmds.values():
            if run(cmd)["rc"] != 0:
                raise SystemExit(f"benchmark command failed: {' '.join(cmd)}")
        m = interleaved(cmds, runs)
    return {"ours": m["ours"], "weasyprint": m["weasyprint"], "ratio": m["ours"] / m["weasyprint"], "runs": runs}


_NO_DASK_PROFILE = "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"


def batch_scaling(n: int = 40, dask: bool = True) -> dict[str, float]:
    """Wall time of ``batch`` (PDFs) with --jobs 1, --jobs 2 and on a 2-worker local Dask cluster;
    the Dask outputs compared byte for byte with the local ones."""
    res: dict[str, float] = {"sites": n}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        net = d / "net"
        make_corpus(net, n)
        base = CLI + ["batch", str(net), "--created", CREATED]
        res["jobs2"] = run(base + ["-o", str(d / "o2"), "--jobs", "2"])["wall"]
        res["jobs1"] = run(base + ["-o", str(d / "o1"), "--jobs", "1"])["wall"]
        res["jobs2_again"] = run(base + ["-o", str(d / "o2b"), "--jobs", "2"])["wall"]
        res["rerun"] = run(base + ["-o", str(d / "o2"), "--jobs", "2"])["wall"]
        j2 = statistics.median([res["jobs2"], res["jobs2_again"]])
        res["speedup"] = res["jobs1"] / j2
        res["rerun_share"] = res["rerun"] / j2
        if dask:
            # Workers as the README asks an operator to start them: without Dask's statistical
            # profiler, which samples each task thread's stack every 10 ms (10 to 15% of a report).
            # A LocalCluster hands its own configuration to its workers, so it is set here too,
            # not only in the environment they inherit.
            os.environ[_NO_DASK_PROFILE] = "False"
            import dask as dask_mod
            from distributed import LocalCluster

            dask_mod.config.set({"distributed.worker.profile.enabled": False})
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address=None) as cluster:
                dcmd = base + ["--executor", "dask", "--scheduler", cluster.scheduler_address]
                # warm, as a live cluster is: its workers have rendered before (a --no-pdf warm-up
                # left the measured run 1.3x slower, a rendering one at parity: RESULTS.md)
                run(dcmd + ["-o", str(d / "warm")])
                # interleaved with --jobs 2 (J D J D J D): two-core wall times drift by 10 to 20%
                # between runs, so the pair is compared only with runs taken beside it
                pairs = [(run(base + ["-o", str(d / f"oj{i}"), "--jobs", "2"])["wall"],
                          run(dcmd + ["-o", str(d / ("od" if i == 0 else f"od{i}"))])["wall"]) for i in range(3)]
                res["dask_runs"] = [b for _, b in pairs]
                res["jobs2_beside_dask"] = [a for a, _ in pairs]
                res["dask"] = statistics.median(res["dask_runs"])
            res["dask_ratio"] = res["dask"] / statistics.median(res["jobs2_beside_dask"])
            res["identical"] = _same_tree(d / "o2b", d / "od")  # o2 also holds the re-run in its register
    return res


def _same_tree(a: Path, b: Path) -> bool:
    """Every file byte for byte; the register (it records when each run was made) by its rows."""
    names = sorted(p.name for p in a.iterdir())
    if names != sorted(p.name for p in b.iterdir()):
        return False
    files = [x for x in names if not x.startswith("register.sqlite")]
    rows_same = _rows(a / "register.sqlite") == _rows(b / "register.sqlite")
    return rows_same and all(filecmp.cmp(a / x, b / x, shallow=False) for x in files)


def _rows(path: Path) -> dict:
    import sqlite3

    if not path.is_file():
        return {}
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = {}
        for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'runs'"):
            cols = [c[1] for c in con.execute(f'PRAGMA table_info("{t}")') if not c[1].endswith("_at")]
            out[t] = sorted(con.execute(f'SELECT {", ".join(cols)} FROM "{t}"').fetchall(), key=repr)
        return out
    finally:
        con.close()


WORKER = """
import datetime as dt, sys, time
from pathlib import Path
from designation import api
def peak_mb():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) / 1024 for l in fh if l.startswith("VmHWM:"))
files, out, small = sorted(Path(sys.argv[1]).glob("*.yaml")), Path(sys.argv[2]), int(sys.argv[3])
created = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
for i, sub in enumerate(files, 1):
    api.write_report(api.assess_path(sub), out / (sub.stem + ".pdf"), created=created)
    if i == small:
        print(peak_mb(), flush=True)
print(peak_mb())
"""


def worker_memory(small: int = 10, large: int = 200) -> dict[str, float]:
    """Peak resident memory of one process rendering reports as a batch worker does (assess, then
    render), after ``large`` reports vs after ``small``. No recycling here: this is the growth that
    recycling (every ``executors.RECYCLE_AFTER`` reports) bounds."""
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        make_corpus(d / "net", large)
        (d / "out").mkdir()
        out = subprocess.run([PY, "-c", WORKER, str(d / "net"), str(d / "out"), str(small)], cwd=ROOT, env=ENV,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"worker memory benchmark failed: {out.stderr[-2000:]}")
        after_small, after_large = map(float, out.stdout.split())
    return {"small": small, "large": large, "rss_few": after_small, "rss_big": after_large,
            "ratio": after_large / after_small}


if __name__ == "__main__":
    import json

    if sys.argv[1:2] == ["memory"]:   # a figure that load does not distort: run it on its own
        print(json.dumps(worker_memory(int(sys.argv[2]), int(sys.argv[3]))))
        raise SystemExit(0)
    quick = "--quick" in sys.argv
    print(assess_validate(300 if quick else 1000, 3 if quick else 5))
    print(report_vs_weasyprint(3 if quick else 5))
    print(batch_scaling(10 if quick else 40))
    print(worker_memory(10, 40 if quick else 200))
