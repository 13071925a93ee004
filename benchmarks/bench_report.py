"""Report rendering benchmark.

1. Our ``write_pdf`` for one result against WeasyPrint laying out the very same HTML read from
   disk (``HTML(filename=...).write_pdf()``, same options, same fonts), in the same run: the
   ratio is what our layer costs on top of WeasyPrint (goal: <= 1.10).
2. A synthetic 150-standard result: how many pages its report takes (goal: < 15).

Run: ``python3 benchmarks/bench_report.py [RESULT.json] [--repeat N]``. Without a result
file it assesses ``submissions/ec-northfield-conditions.yaml`` (or, without the engine, uses
``tests/golden/sample_result.json``).
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from designation.report import html, pdf, view  # noqa: E402

CREATED = dt.datetime(2026, 10, 20, 9, 0, tzinfo=dt.timezone.utc)
DOMAINS = ("access", "staffing", "senior review", "diagnostics", "pathways", "mental health",
           "children and young people", "information", "governance", "environment")


def synthetic_result(base: dict, n: int = 150, profile: str = "typical") -> dict:
    """``base`` grown to ``n`` standards, with fresh ids, spread over the ten domains.

    ``typical``: 85% of standards met, one in twenty each partially met, not met, not answered
    or not applicable; one evidence item each, a confidence note on one in three, no comments
    (what a large specification's report mostly looks like).
    ``stress``: ``base``'s own standards cycled as they are, every note, comment and reviewer
    change kept (the sample is deliberately rich: 30% of its standards are gaps).
    """
    result = copy.deepcopy(base)
    pool = base["standards"]
    buckets: dict[str, list[dict]] = {}
    for st in pool:
        buckets.setdefault(st["status"], []).append(st)
    pattern = {5: "partially_met", 10: "not_met", 15: "not_answered", 18: "not_applicable"}
    seen: dict[str, int] = {}
    standards = []
    for i in range(n):
        if profile == "stress":
            st = copy.deepcopy(pool[i % len(pool)])
        else:
            want = pattern.get(i % 20, "met")
            bucket = buckets.get(want) or buckets["met"]
            st = copy.deepcopy(bucket[seen.get(want, 0) % len(bucket)])
            seen[want] = seen.get(want, 0) + 1
            st["evidence"] = st["evidence"][:1]
            st["comment"] = None
            st["review"] = []
            if i % 3:
                st["confidence_note"] = None
        st["id"] = f"SYN-{i + 1:03d}"
        st["domain"] = DOMAINS[i * len(DOMAINS) // n]
        standards.append(st)
    result["standards"] = standards
    result["counts"] = {k: sum(1 for s in standards if s["status"] == k)
                        for k in ("met", "partially_met", "not_met", "not_applicable", "not_answered")}
    gaps = [s for s in standards if s["status"] in ("not_met", "partially_met", "not_answered")
            and s["category"] != "developmental"]
    conditions = []
    for s in gaps:  # as the engine words them: each covered gap, earliest due first
        if s.get("action_plan"):
            conditions.append({"standard": s["id"], "title": s["title"], "kind": "action_plan",
                               **{k: s["action_plan"][k] for k in ("action", "owner", "due")}})
        elif s.get("derogation"):
            d = s["derogation"]
            conditions.append({"standard": s["id"], "title": s["title"], "kind": "derogation",
                               "action": d["reason"], "owner": d["approver"], "due": d["expires_on"]})
    result["outcome"]["conditions"] = sorted(conditions, key=lambda c: (c["due"], c["standard"]))
    result["outcome"]["to_change_outcome"] = [
        {"id": s["id"], "title": s["title"], "required": s["required"]} for s in gaps]
    return result


def load(path: str | None) -> tuple[dict, str]:
    if path:
        return json.loads(Path(path).read_text("utf-8")), Path(path).name
    site = ROOT / "submissions" / "ec-northfield-conditions.yaml"
    try:
        from designation import api

        return api.assess_path(site).to_json(), site.name
    except (ImportError, OSError):
        sample = ROOT / "tests" / "golden" / "sample_result.json"
        return json.loads(sample.read_text("utf-8")), sample.name


def page_count(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def measure(result_path: str | None = None, repeat: int = 3) -> dict:
    """Ours vs WeasyPrint alone (medians of interleaved runs) and the 150-standard page counts."""
    from weasyprint import HTML

    result, name = load(result_path)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # WeasyPrint alone: the same HTML on disk beside a copy of our assets, default fetcher.
        shutil.copytree(html.STATIC, tmp / "static")
        page = tmp / "static" / "report.html"
        page.write_text(html.render_html(result, created=CREATED), "utf-8")
        options = dict(pdf_tags=True, custom_metadata=True)

        ours = lambda: pdf.write_pdf(result, tmp / "ours.pdf", created=CREATED,  # noqa: E731
                                     attachments={"submission.yaml": b"format: 1\n"})
        plain = lambda: HTML(filename=str(page)).write_pdf(tmp / "plain.pdf", **options)  # noqa: E731
        ours()  # warm caches (fonts, templates) for both
        plain()
        t_ours, t_plain = [], []
        for _ in range(repeat):  # interleaved, so drift hits both alike
            t_ours += timed(ours, 1)
            t_plain += timed(plain, 1)
        big = synthetic_result(result, 150)
        t_big = timed(lambda: pdf.write_pdf(big, tmp / "big.pdf", created=CREATED), 1)[0]
        stress = synthetic_result(result, 150, "stress")
        t_stress = timed(lambda: pdf.write_pdf(stress, tmp / "stress.pdf", created=CREATED), 1)[0]
        ours_s, plain_s = statistics.median(t_ours), statistics.median(t_plain)
        return {"name": name, "document": view.document_id(result), "repeat": repeat,
                "ours": ours_s, "weasyprint": plain_s, "ratio": ours_s / plain_s,
                "pages_ours": page_count(tmp / "ours.pdf"), "pages_plain": page_count(tmp / "plain.pdf"),
                "t_150": t_big, "pages_150": page_count(tmp / "big.pdf"),
                "t_stress": t_stress, "pages_stress": page_count(tmp / "stress.pdf")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", nargs="?", help="an engine result (JSON); default: a real assessment")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    m = measure(args.result, args.repeat)
    rows = [
        ("write_pdf (ours)", f"{m['ours']:.2f} s", f"{m['pages_ours']} pages"),
        ("WeasyPrint HTML(filename)", f"{m['weasyprint']:.2f} s", f"{m['pages_plain']} pages"),
        ("ratio ours / WeasyPrint", f"{m['ratio']:.3f}", "goal <= 1.10"),
        ("150 standards, typical", f"{m['t_150']:.2f} s", f"{m['pages_150']} pages (goal < 15)"),
        ("150 standards, stress", f"{m['t_stress']:.2f} s",
         f"{m['pages_stress']} pages (every note kept, 30% gaps)"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>8}  note")
    for label, value, note in rows:
        print(f"{label:<{width}}  {value:>8}  {note}")
    print(f"(median of {m['repeat']}; {m['name']}; document {m['document']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
