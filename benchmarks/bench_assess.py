"""Assess throughput against parsing alone, and what non-rendering commands import.

Goal (issue 2): assessing 1,000 submissions costs at most 2x parsing the same files with
PyYAML's C loader. Both are measured in the same run, best of three, so the ratio holds on a
noisy machine. Run: python benchmarks/bench_assess.py [N]
"""
from __future__ import annotations

import random
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from _common import best_of as best
from designation import api, spec as spec_mod, synth


def main(n: int = 1000, spec_id: str = "uec-ec") -> dict[str, float]:
    spec = spec_mod.load(spec_id)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as d:
        files = []
        for i in range(n):
            p = Path(d) / f"site{i:05d}.yaml"
            p.write_text(synth.submission_text(spec, rng, i))
            files.append(p)

        def parse() -> None:
            for p in files:
                with open(p, "rb") as fh:
                    yaml.load(fh.read(), Loader=yaml.CSafeLoader)

        def assess() -> None:
            for p in files:
                api.assess_path(p, discover=False).to_json()

        # interleaved, best of five each, so that drift on a noisy machine hits both alike
        t_parse = t_assess = float("inf")
        for _ in range(5):
            t_parse = min(t_parse, best(parse, 1))
            t_assess = min(t_assess, best(assess, 1))
    startup = subprocess.run([sys.executable, "-X", "importtime", "-c", "import designation.cli, designation.api"],
                             capture_output=True, text=True).stderr
    imports_weasy = "weasyprint" in startup
    ratio = t_assess / t_parse
    print(f"spec {spec_id}: {len(spec.standards)} standards, {len(spec.questions)} questions, {n} submissions")
    print("| measure | seconds | per file (ms) |\n|---|---|---|")
    print(f"| parse only (PyYAML CSafeLoader) | {t_parse:.3f} | {1000 * t_parse / n:.2f} |")
    print(f"| assess (load, validate, evaluate, decide, JSON) | {t_assess:.3f} | {1000 * t_assess / n:.2f} |")
    print(f"ratio assess/parse: {ratio:.2f} (goal <= 2.0)")
    print(f"weasyprint imported by designation.cli/api: {imports_weasy} (goal: False)")
    return {"parse": t_parse, "assess": t_assess, "ratio": ratio}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
