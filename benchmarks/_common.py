"""Helpers shared by the benchmarks: synthetic networks and timing in one run."""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's designation, not an installed one

from designation import spec as spec_mod, synth  # noqa: E402

# A realistic mix of facility types for a network (weights: how many sites of each).
MIX = [("uec-ucc", 4), ("uec-ec", 2), ("uec-ecss", 1), ("utc-national", 2), ("hbpos", 1), ("asthma-cyp", 4)]


def make_network(folder: Path, n: int, seed: int = 1) -> list[Path]:
    """Write ``n`` valid synthetic submissions across the shipped specs into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    specs = [spec_mod.load(sid) for sid, w in MIX for _ in range(w)]
    files = []
    for i in range(n):
        s = specs[i % len(specs)]
        p = folder / f"site{i:05d}-{s.id}.yaml"
        p.write_text(synth.submission_text(s, rng, i))
        files.append(p)
    return files


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)
