"""A spec is tested like code: every standard's examples must give the status they claim.

``meets`` examples must be ``met``, ``fails`` must be ``not_met``, ``partial`` must be
``partially_met`` and ``not_applicable`` must be ``not_applicable``. Example answers are
checked against the questions' types exactly as a submission's would be.
"""
from __future__ import annotations

from .engine import evaluate_standard
from .errors import Problem
from .rules import Context
from .spec import Spec
from .inputs.submission import _INVALID, check_value

EXPECT = {"meets": "met", "fails": "not_met", "partial": "partially_met", "not_applicable": "not_applicable"}


def run(spec: Spec) -> tuple[int, list[Problem]]:
    """Run every example of every standard the spec itself defines; return (examples run, problems)."""
    problems: list[Problem] = []
    ran = 0
    params = spec.defaults()
    for st in spec.standards:
        if st.spec_id != spec.id:
            continue  # an included spec's standards are checked with that spec
        doc, path = spec.docs[st.id]
        for kind, expected in EXPECT.items():
            for j, example in enumerate(getattr(st.examples, kind)):
                epath = path + ("examples", kind, j)
                values = {}
                for qid, raw in example.items():
                    v = check_value(spec.questions[qid], raw, epath + (qid,), doc, problems)
                    if v is not _INVALID:
                        values[qid] = v
                ran += 1
                got = evaluate_standard(st, spec, Context(values, params))
                if got.status != expected:
                    problems.append(doc.problem(epath, f"standard {st.id}: {kind} example {j + 1} is "
                                                       f"{got.status}, expected {expected} ({got.reason})"))
    return ran, problems
