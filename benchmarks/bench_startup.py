"""Start-up and spec loading: commands that do not render never import WeasyPrint.

Measures, in one run: the interpreter alone; ``designation validate`` on one file; importing
WeasyPrint alone (what every command would pay if it were imported eagerly); and loading every
shipped spec cold (parse, check, compile) against parsing the same files with the C loader.
Run: python benchmarks/bench_startup.py
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent


def _run(cmd: list[str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def startup() -> dict[str, float]:
    py = sys.executable
    sample = str(ROOT / "submissions" / "ec-northfield-conditions.yaml")
    res = {
        "python": _run([py, "-c", "pass"]),
        "validate": _run([py, "-m", "designation.cli", "validate", sample]),
        "import_weasyprint": _run([py, "-c", "import weasyprint"]),
    }
    out = subprocess.run([py, "-c", "import sys; from designation.cli import main; from click.testing import CliRunner;"
                          f"CliRunner().invoke(main, ['validate', {sample!r}]); print('weasyprint' in sys.modules)"],
                         capture_output=True, text=True, cwd=ROOT)
    res["validate_imports_weasyprint"] = out.stdout.strip() == "True"
    return res


def spec_loading() -> dict[str, float]:
    code = ("import time, glob, yaml; from designation import spec;"
            "t=time.perf_counter(); [spec.load_path(p) for p in sorted(glob.glob('specs/*.yaml'))];"
            "a=time.perf_counter()-t; t=time.perf_counter();"
            "[yaml.load(open(p,'rb').read(), Loader=yaml.CSafeLoader) for p in sorted(glob.glob('specs/*.yaml'))];"
            "print(a, time.perf_counter()-t)")
    runs = [tuple(map(float, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                            cwd=ROOT).stdout.split())) for _ in range(5)]
    load = min(r[0] for r in runs)
    parse = min(r[1] for r in runs)
    return {"specs": len(list((ROOT / "specs").glob("*.yaml"))), "load": load, "parse": parse, "ratio": load / parse}


if __name__ == "__main__":
    s = startup()
    print(f"python alone {s['python']:.3f}s; designation validate {s['validate']:.3f}s; import weasyprint alone "
          f"{s['import_weasyprint']:.3f}s; validate imports weasyprint: {s['validate_imports_weasyprint']}")
    l = spec_loading()
    print(f"loading {l['specs']} specs cold {l['load']:.3f}s vs parsing them {l['parse']:.3f}s ({l['ratio']:.1f}x)")
