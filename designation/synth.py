"""Synthetic submissions generated from a spec's questions, for benchmarks and property tests.

Values are drawn within each question's type and bounds, so every generated file is valid;
``meet_bias`` tilts answers towards the spec's own meeting examples so outcomes vary.
"""
from __future__ import annotations

import datetime as dt
import random
from typing import Any

import yaml

from .spec import Question, Spec


def random_value(q: Question, rng: random.Random) -> Any:
    lo, hi = q.bounds()
    if q.type == "boolean":
        return rng.random() < 0.8
    if q.type == "choice":
        return rng.choice(q.choices or [""])
    if q.type == "date":
        return dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 365))
    if q.type == "text":
        return rng.choice(["Dr A Example", "Ms B Sample", "Named lead in post"])
    if q.type == "proportion":
        d = rng.randrange(0, 200)
        return {"numerator": rng.randrange(0, d + 1), "denominator": d}
    lo = 0 if lo is None else lo
    hi = lo + 100 if hi is None else hi
    if q.type in ("integer", "minutes"):
        return rng.randint(int(lo), int(hi))
    return round(rng.uniform(lo, hi), 1)


def random_answers(spec: Spec, rng: random.Random, meet_bias: float = 0.7) -> dict[str, Any]:
    answers = {qid: random_value(q, rng) for qid, q in spec.questions.items()}
    for st in spec.standards:
        if rng.random() < meet_bias:
            answers.update(rng.choice(st.examples.meets))
    return answers


def submission_text(spec: Spec, rng: random.Random, index: int = 0, meet_bias: float = 0.7) -> str:
    data = {
        "format": 1, "spec": spec.id, "edition": spec.edition,
        "site": {"name": f"Synthetic site {index}", "code": f"SYN{index:05d}", "organisation": "Synthetic Trust",
                 "network": "Synthetic UEC Network"},
        "assessed_on": dt.date(2026, 10, 1),
        "answers": random_answers(spec, rng, meet_bias),
    }
    if spec.ladder:
        data["claimed"] = spec.ladder.level
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
