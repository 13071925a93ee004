"""The provider's workbook (writing it): the same questions as the YAML template, as an Excel file.

YAML stays the canonical submission; this is a generated front door for providers who will not
edit YAML (``designation template SPEC --format xlsx``). It is written with XlsxWriter, imported
only here, and read back by :mod:`.workbook_read`. The layout below is the contract between
the two: the sheets, the columns of the Answers sheet, and the hidden About sheet that records
which question each row holds, so that a workbook is read by what it says, not by guessing.

Sheets: *Instructions* (what this is, to someone who has never heard of the tool), *Site*,
*Answers* (one row per applicable question; only the answer, comment and evidence cells are
unlocked), *Action plans*, and hidden *Lists* (drop-down sources) and *About*.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from .. import __version__
from ..rules import DEFAULT_UNITS, Context
from ..spec import Question, Spec

TEMPLATE_VERSION = 1
MARKER = "designation workbook"

INSTRUCTIONS, SITE, ANSWERS, PLANS, LISTS, ABOUT = "Instructions", "Site", "Answers", "Action plans", "Lists", "About"
SHEETS = (INSTRUCTIONS, SITE, ANSWERS, PLANS, LISTS, ABOUT)

# Answers sheet columns (0-based for XlsxWriter; letters for messages and openpyxl)
COLUMNS = ("Ref", "Question", "Guidance", "Your answer", "Out of", "What to enter", "Comment",
           "Evidence: document title", "Evidence: reference", "Evidence: date", "Evidence: owner")
C_REF, C_QUESTION, C_GUIDANCE, C_ANSWER, C_OUTOF, C_UNIT, C_COMMENT, C_EV_TITLE, C_EV_REF, C_EV_DATE, C_EV_OWNER = range(11)
WIDTHS = (5, 38, 44, 13, 9, 20, 30, 24, 14, 12, 16)
HEADER_ROW = 4          # 1-based row of the Answers and Action plans column headings
FIRST_ROW = HEADER_ROW + 1
PLAN_ROWS = 40          # blank action-plan rows in a new workbook

# Site sheet: (key, label, kind, help); values in column B from row FIRST_ROW
SITE_FIELDS = (
    ("site.name", "Site name", "text", "The name of the site or service being assessed."),
    ("site.code", "Site code", "text", "Its identifier: the ODS code for NHS sites and practices, the URN "
                                       "for a school, the premises code for a pharmacy."),
    ("site.organisation", "Organisation", "text", "The organisation that runs the site."),
    ("site.network", "Network or ICB", "text", "The urgent and emergency care network or ICB assessing it."),
    ("site.address", "Address", "text", "The site's address, with postcode."),
    ("assessed_on", "Date of this assessment", "date", "The date the answers describe (usually today)."),
    ("period.start", "Period covered: from", "date", "First day of the period the counts and audits cover."),
    ("period.end", "Period covered: to", "date", "Last day of that period."),
    ("signed_off_by.name", "Signed off by: name", "text", "The senior person who confirms these answers."),
    ("signed_off_by.role", "Signed off by: role", "text", "Their job title."),
    ("signed_off_by.date", "Signed off by: date", "date", "The date they signed it off."),
)
REQUIRED_SITE = ("site.name", "site.code", "assessed_on")
PLAN_COLUMNS = ("Standard", "Action to meet it", "Owner", "Due date")
DATE_FORMAT = "yyyy-mm-dd"
MAX_TEXT = 5000


def col_letter(c: int) -> str:
    out = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        out = chr(65 + r) + out
    return out


# --------------------------------------------------------------------------------------------
# Which questions, in which rows


def applicable_questions(spec: Spec, preset: dict[str, Any]) -> tuple[list[str], dict[str, list[str]]]:
    """The questions a template asks given ``preset`` answers (the same rule as the YAML
    template), and the standards (or limiters) that use each."""
    ctx = Context(preset, spec.defaults())
    used_by: dict[str, list[str]] = {}
    for st in spec.standards:
        if st.applies is not None and st.applies.evaluate(ctx) is False:
            continue
        for q in sorted(st.questions_used):
            used_by.setdefault(q, []).append(st.id)
    for lim in spec.policy.limiters:
        for q in sorted(lim.condition.questions()):  # type: ignore[union-attr]
            used_by.setdefault(q, []).append(f"limiter {lim.id}")
    deciders = {q for s in spec.standards if s.applies for q in s.applies.questions()}
    out = []
    for qid, q in spec.questions.items():
        if q.applies is not None and q.applies.evaluate(ctx) is False:
            continue
        if qid not in preset and qid not in used_by and q.applies is None and qid not in deciders:
            continue
        out.append(qid)
    return out, used_by


@dataclass
class Prefill:
    """What ``--from`` puts in the cells: an existing submission's answers and details."""

    values: dict[str, Any] = field(default_factory=dict)         # dotted site key -> value
    answers: dict[str, Any] = field(default_factory=dict)        # qid -> Answer
    plans: list[tuple[str, Any]] = field(default_factory=list)   # (standard id, ActionPlan)

    @classmethod
    def of(cls, sub: Any) -> "Prefill":
        env = sub.envelope
        values: dict[str, Any] = {f"site.{k}": v for k, v in env.site.__dict__.items()}
        values["assessed_on"] = env.assessed_on
        if env.period:
            values["period.start"], values["period.end"] = env.period.start, env.period.end
        if env.signed_off_by:
            for k, v in env.signed_off_by.__dict__.items():
                values[f"signed_off_by.{k}"] = v
        return cls(values, dict(sub.answers), list(env.action_plans.items()))


@dataclass
class Row:
    row: int          # 1-based
    kind: str         # "answer" or "evidence" (a further evidence item for the question above)
    qid: str
    label: str


# --------------------------------------------------------------------------------------------
# Writing


def render(spec: Spec, preset: dict[str, Any], prefill: Optional[Prefill] = None,
           created: Optional[dt.datetime] = None) -> bytes:
    """The workbook's bytes. ``preset`` answers (``--set``) choose the questions as for the YAML
    template and are filled in; ``prefill`` (``--from``) fills every cell it has a value for."""
    import xlsxwriter

    prefill = prefill or Prefill()
    qids, used_by = applicable_questions(spec, preset)
    for qid in prefill.answers:           # an answered question always keeps its row
        if qid not in qids and qid in spec.questions:
            qids.append(qid)
    order = {q: i for i, q in enumerate(spec.questions)}
    qids.sort(key=order.__getitem__)
    answers = {q: prefill.answers[q] for q in qids if q in prefill.answers}
    for qid, v in preset.items():
        if qid not in answers:
            from .submission import Answer

            answers[qid] = Answer(v)

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False})
    when = created or dt.datetime(2000, 1, 1)
    wb.set_properties({"title": f"Self-assessment: {spec.title}", "subject": f"{spec.id} edition {spec.edition}",
                       "author": "designation", "comments": f"{MARKER} {TEMPLATE_VERSION}", "created": when})
    f = _Formats(wb)
    ws_i = wb.add_worksheet(INSTRUCTIONS)
    ws_s = wb.add_worksheet(SITE)
    ws_a = wb.add_worksheet(ANSWERS)
    ws_p = wb.add_worksheet(PLANS)
    ws_l = wb.add_worksheet(LISTS)
    ws_m = wb.add_worksheet(ABOUT)

    lists = _Lists(ws_l)
    rows = _answers_sheet(ws_a, f, spec, qids, used_by, answers, lists, set(preset))
    site_cells = _site_sheet(ws_s, f, spec, preset, prefill.values)
    plan_first, plan_last = _plans_sheet(ws_p, f, spec, preset, prefill.plans, lists)
    _instructions(ws_i, f, spec, len(qids))
    _about(ws_m, spec, rows, site_cells, plan_first, plan_last)
    ws_l.hide()
    ws_m.very_hidden()
    ws_i.activate()
    wb.close()
    return buf.getvalue()


class _Formats:
    def __init__(self, wb: Any):
        base = {"font_name": "Arial", "font_size": 10, "valign": "top", "text_wrap": True}
        self.title = wb.add_format({**base, "bold": True, "font_size": 16, "text_wrap": False})
        self.big = wb.add_format({**base, "bold": True, "font_size": 16})
        self.subtitle = wb.add_format({**base, "italic": True, "font_color": "#444444", "text_wrap": False})
        self.subtitle_wrap = wb.add_format({**base, "italic": True, "font_color": "#444444"})
        self.heading = wb.add_format({**base, "bold": True, "font_size": 12, "text_wrap": False})
        self.text = wb.add_format(base)
        self.bold = wb.add_format({**base, "bold": True})
        self.small = wb.add_format({**base, "font_size": 9, "font_color": "#333333"})
        self.note = wb.add_format({**base, "font_size": 9, "font_color": "#333333", "text_wrap": False})
        self.head = wb.add_format({**base, "bold": True, "bg_color": "#005EB8", "font_color": "#FFFFFF", "border": 1,
                                   "border_color": "#AAAAAA"})
        self.cell = wb.add_format({**base, "border": 1, "border_color": "#BBBBBB"})
        self.cell_bold = wb.add_format({**base, "bold": True, "border": 1, "border_color": "#BBBBBB"})
        self.guide = wb.add_format({**base, "font_size": 9, "border": 1, "border_color": "#BBBBBB"})
        self.grey = wb.add_format({**base, "bg_color": "#E8E8E8", "border": 1, "border_color": "#BBBBBB"})
        inp = {**base, "locked": False, "align": "left", "bg_color": "#FFF2AB", "border": 1, "border_color": "#888888"}
        self.input = wb.add_format(inp)
        self.input_text = wb.add_format({**inp, "num_format": "@"})
        self.input_int = wb.add_format({**inp, "num_format": "0"})
        self.input_num = wb.add_format({**inp, "num_format": "General"})
        self.input_date = wb.add_format({**inp, "num_format": DATE_FORMAT})
        self.key = wb.add_format({**inp, "text_wrap": False})
        self.fixed = wb.add_format({**base, "bg_color": "#DCE6F1", "border": 1, "border_color": "#888888",
                                    "bold": True})


class _Lists:
    """The hidden sheet the drop-downs read their choices from, one column per list."""

    def __init__(self, ws: Any):
        self.ws = ws
        self.cols: dict[tuple, str] = {}

    def ref(self, items: list[str]) -> str:
        key = tuple(items)
        if key not in self.cols:
            c = len(self.cols)
            for r, item in enumerate(items):
                self.ws.write_string(r, c, item)
            letter = col_letter(c)
            self.cols[key] = f"='{LISTS}'!${letter}$1:${letter}${len(items)}"
        return self.cols[key]


def _n(v: Any) -> str:
    return "any" if v is None else (str(int(v)) if float(v).is_integer() else str(v))




def what_to_enter(q: Question) -> str:
    if q.type == "boolean":
        return "Yes or No (pick from the list)"
    if q.type == "choice":
        return "Pick one from the list: " + ", ".join(q.choices or [])
    if q.type == "date":
        return "A date, e.g. 2026-10-01"
    if q.type == "text":
        return "Text"
    if q.type == "proportion":
        return "Two counts: how many met it (Your answer) out of how many eligible (Out of)"
    lo, hi = q.bounds()
    unit = q.unit or DEFAULT_UNITS.get(q.type, "")
    kind = "A whole number" if q.type == "integer" else "A number"
    rng = "" if lo is None and hi is None else (f", at least {_n(lo)}" if hi is None else
                                                f", at most {_n(hi)}" if lo is None else f", {_n(lo)} to {_n(hi)}")
    return f"{kind}{' in ' + unit if unit and unit != '%' else ''}{rng}{' (%, without the % sign)' if unit == '%' else ''}"


def _validation(q: Question, lists: _Lists) -> dict[str, Any]:
    """Excel data validation for the answer cell of ``q`` (the numerator for a proportion)."""
    if q.type == "boolean":
        return {"validate": "list", "source": lists.ref(["Yes", "No"]),
                "error_message": "Pick Yes or No from the list."}
    if q.type == "choice":
        return {"validate": "list", "source": lists.ref(list(q.choices or [])),
                "error_message": "Pick one of the choices from the list."}
    if q.type == "date":
        return {"validate": "date", "criteria": "between", "minimum": dt.date(1900, 1, 1),
                "maximum": dt.date(2999, 12, 31), "error_message": "Type a date, for example 2026-10-01."}
    if q.type == "text":
        return {"validate": "length", "criteria": "<=", "value": MAX_TEXT,
                "error_message": f"Keep the answer under {MAX_TEXT} characters."}
    if q.type == "proportion":
        return {"validate": "integer", "criteria": ">=", "value": 0,
                "error_message": "Type a whole number of cases, 0 or more."}
    lo, hi = q.bounds()
    kind = "integer" if q.type == "integer" else "decimal"
    msg = what_to_enter(q) + "."
    if lo is not None and hi is not None:
        return {"validate": kind, "criteria": "between", "minimum": lo, "maximum": hi, "error_message": msg}
    if lo is not None:
        return {"validate": kind, "criteria": ">=", "value": lo, "error_message": msg}
    if hi is not None:
        return {"validate": kind, "criteria": "<=", "value": hi, "error_message": msg}
    return {"validate": kind, "criteria": "between", "minimum": -1e15, "maximum": 1e15, "error_message": msg}


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _answers_sheet(ws: Any, f: _Formats, spec: Spec, qids: list[str], used_by: dict[str, list[str]],
                   answers: dict[str, Any], lists: _Lists, preset: set[str]) -> list[Row]:
    ws.write_string(0, 0, f"Answers: {spec.title}", f.title)
    ws.set_row(0, 24)
    ws.write_string(1, 0, "Answer each question in the yellow cells; click a yellow cell to see its help. "
                          "Grey cells are not used. Leave a question blank if you cannot answer it yet and say why "
                          "in the comment.", f.subtitle)
    for c, (name, width) in enumerate(zip(COLUMNS, WIDTHS)):
        ws.set_column(c, c, width)
        ws.write_string(HEADER_ROW - 1, c, name, f.head)
    ws.set_row(HEADER_ROW - 1, 30)
    ref = {q: i + 1 for i, q in enumerate(qids)}
    rows: list[Row] = []
    r = FIRST_ROW - 1   # 0-based row being written
    for qid in qids:
        q = spec.questions[qid]
        ans = answers.get(qid)
        value = ans.value if ans is not None else None
        rows.append(Row(r + 1, "answer", qid, q.label))
        guidance = _guidance(spec, q, used_by.get(qid, []), ref)
        prompt = " ".join(q.prompt.split())
        ev0 = ans.evidence[0] if ans and ans.evidence else None
        _fit(ws, r, [(q.label + "\n" + prompt, WIDTHS[C_QUESTION], 12.75), (guidance, WIDTHS[C_GUIDANCE], 11.5),
                     (what_to_enter(q), WIDTHS[C_UNIT], 11.5), ((ans.comment or "") if ans else "", WIDTHS[C_COMMENT], 12.75),
                     (ev0.title if ev0 else "", WIDTHS[C_EV_TITLE], 12.75), ((ev0.owner or "") if ev0 else "",
                                                                              WIDTHS[C_EV_OWNER], 12.75)])
        ws.write_string(r, C_REF, f"Q{ref[qid]}", f.cell)
        ws.write_rich_string(r, C_QUESTION, f.bold, _sentence(q.label), f.text, "\n" + prompt,
                             f.cell)
        ws.write_string(r, C_GUIDANCE, guidance, f.guide)
        ws.write_string(r, C_UNIT, what_to_enter(q), f.guide)
        dv = _validation(q, lists)
        dv.update(input_title=_clip(q.label[:1].upper() + q.label[1:], 32),
                  input_message=_clip(q.help or q.prompt, 255), error_title="Not a valid answer")
        fmt = {"integer": f.input_int, "proportion": f.input_int, "date": f.input_date,
               "text": f.input_text, "boolean": f.input, "choice": f.input}.get(q.type, f.input_num)
        if qid in preset:   # chose the questions of this workbook: changing it would leave the wrong ones
            fmt = f.fixed
            guidance = "Set when this workbook was made for your site; ask for a new workbook if it is wrong.\n" \
                + guidance
            ws.write_string(r, C_GUIDANCE, guidance, f.guide)
        _write_value(ws, r, C_ANSWER, q, value.numerator if q.type == "proportion" and value is not None else value, fmt)
        ws.data_validation(r, C_ANSWER, r, C_ANSWER, dv)
        if q.type == "proportion":
            _write_value(ws, r, C_OUTOF, q, value.denominator if value is not None else None, f.input_int)
            ws.data_validation(r, C_OUTOF, r, C_OUTOF, {**dv, "input_title": "Out of: eligible cases",
                                                          "input_message": "How many cases were eligible (the count "
                                                                           "the percentage is worked out of)."})
        else:
            ws.write_blank(r, C_OUTOF, None, f.grey)
        _text(ws, r, C_COMMENT, ans.comment if ans else None, f.input_text)
        ws.data_validation(r, C_COMMENT, r, C_COMMENT, {"validate": "length", "criteria": "<=", "value": MAX_TEXT,
                                                         "ignore_blank": True})
        evidence = list(ans.evidence) if ans else []
        _evidence_cells(ws, f, r, evidence[0] if evidence else None)
        for extra in evidence[1:]:
            r += 1
            rows.append(Row(r + 1, "evidence", qid, q.label))
            _fit(ws, r, [(extra.title, WIDTHS[C_EV_TITLE], 12.75), (extra.owner or "", WIDTHS[C_EV_OWNER], 12.75)])
            ws.write_blank(r, C_REF, None, f.grey)
            ws.write_string(r, C_QUESTION, f"More evidence for Q{ref[qid]}", f.grey)
            for c in (C_GUIDANCE, C_ANSWER, C_OUTOF, C_UNIT, C_COMMENT):
                ws.write_blank(r, c, None, f.grey)
            _evidence_cells(ws, f, r, extra)
        r += 1
    ws.freeze_panes(FIRST_ROW - 1, C_GUIDANCE)
    _page(ws, landscape=True, repeat=HEADER_ROW - 1, last_col=len(COLUMNS) - 1)
    _protect(ws)
    return rows


def _evidence_cells(ws: Any, f: _Formats, r: int, ev: Any) -> None:
    _text(ws, r, C_EV_TITLE, ev.title if ev else None, f.input_text)
    _text(ws, r, C_EV_REF, ev.reference if ev else None, f.input_text)
    if ev and ev.date:
        ws.write_datetime(r, C_EV_DATE, dt.datetime.combine(ev.date, dt.time()), f.input_date)
    else:
        ws.write_blank(r, C_EV_DATE, None, f.input_date)
    ws.data_validation(r, C_EV_DATE, r, C_EV_DATE, {"validate": "date", "criteria": "between",
                                                     "minimum": dt.date(1900, 1, 1), "maximum": dt.date(2999, 12, 31),
                                                     "error_message": "Type a date, for example 2026-10-01."})
    _text(ws, r, C_EV_OWNER, ev.owner if ev else None, f.input_text)


def _text(ws: Any, r: int, c: int, text: Optional[str], fmt: Any) -> None:
    """A string cell, or a blank one (XlsxWriter would otherwise store an empty string)."""
    if text:
        ws.write_string(r, c, text, fmt)
    else:
        ws.write_blank(r, c, None, fmt)


def _write_value(ws: Any, r: int, c: int, q: Question, value: Any, fmt: Any) -> None:
    if value is None:
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(r, c, "Yes" if value else "No", fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def _lines(text: str, width: float, per_unit: float = 1.15) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide, wrapping at words as
    a spreadsheet does (an estimate, on the generous side: neither XlsxWriter nor LibreOffice sizes
    rows to wrapped text when opening a file, and a line cut off hides part of the question)."""
    import textwrap

    chars = max(4, int(width * per_unit) - 2)
    return sum(max(1, len(textwrap.wrap(par, chars, break_long_words=True))) for par in text.split("\n"))


def _fit(ws: Any, r: int, cells: list[tuple[str, float, float]], minimum: float = 15) -> None:
    """Set row ``r``'s height to fit its tallest cell, plus a spare line: (text, column width,
    points per line)."""
    height = max(((_lines(t, w, 1.1) + 1) * pt for t, w, pt in cells if t), default=13)
    ws.set_row(r, max(minimum, height + 3))


def _sentence(label: str) -> str:
    return label[:1].upper() + label[1:]


def _guidance(spec: Spec, q: Question, users: list[str], ref: dict[str, int]) -> str:
    parts = []
    if q.help:   # help written for YAML says {numerator: 0, denominator: 0}; here that is two cells
        parts.append(re.sub(r"\{\s*numerator:\s*([^,{}]+?),\s*denominator:\s*([^,{}]+?)\s*\}",
                            r"\1 in Your answer and \2 in Out of", " ".join(q.help.split())))
    if q.applies is not None:
        deps = ", ".join(f"Q{ref[d]}" for d in sorted(q.applies.questions(), key=lambda d: ref.get(d, 0)) if d in ref)
        parts.append(f"Only if {q.applies.describe(spec.defaults())}"
                     + (f" (depends on your answer to {deps})" if deps else "") + "; otherwise leave it blank.")
    stds = [u for u in users if not u.startswith("limiter ")]
    if stds:
        parts.append("Used by standard" + ("s " if len(stds) > 1 else " ") + ", ".join(stds) + ".")
    elif not users:
        parts.append("Decides which standards apply to you.")
    return "\n".join(parts)


def _site_sheet(ws: Any, f: _Formats, spec: Spec, preset: dict[str, Any], values: dict[str, Any]) -> dict[str, int]:
    from .submission import SITE_IDENTIFIER, site_identifier

    ws.write_string(0, 0, "Your site", f.title)
    ws.set_row(0, 24)
    ws.write_string(1, 0, "Fill in the yellow cells. Name, code and the date of this assessment are needed; "
                          "the rest helps the network.", f.subtitle)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 2, 50)
    for c, name in enumerate(("Detail", "Your answer", "What it is")):
        ws.write_string(HEADER_ROW - 1, c, name, f.head)
    cells = {}
    for i, (key, label, kind, help_) in enumerate(SITE_FIELDS):
        r = FIRST_ROW - 1 + i
        cells[key] = r + 1
        if key == "site.code" and ("setting" in preset or "setting" not in spec.questions):
            label = f"{label} ({site_identifier(preset.get('setting'))})"
            help_ = f"Its identifier: the {site_identifier(preset.get('setting'))}."
        elif key == "site.code":
            help_ = (f"Its identifier: the {site_identifier(None)}"
                     + "".join(f"; the {v} for a {k.replace('_', ' ')}" for k, v in SITE_IDENTIFIER.items()) + ".")
        ws.write_string(r, 0, label + (" (needed)" if key in REQUIRED_SITE else ""), f.cell_bold)
        v = values.get(key)
        if kind == "date":
            if isinstance(v, dt.date):
                ws.write_datetime(r, 1, dt.datetime.combine(v, dt.time()), f.input_date)
            else:
                ws.write_blank(r, 1, None, f.input_date)
            ws.data_validation(r, 1, r, 1, {"validate": "date", "criteria": "between", "minimum": dt.date(1900, 1, 1),
                                            "maximum": dt.date(2999, 12, 31), "input_title": _clip(label, 32),
                                            "input_message": _clip(help_, 255),
                                            "error_message": "Type a date, for example 2026-10-01."})
        else:
            _text(ws, r, 1, None if v is None else str(v), f.input_text)
            ws.data_validation(r, 1, r, 1, {"validate": "length", "criteria": "<=", "value": 500,
                                            "input_title": _clip(label, 32), "input_message": _clip(help_, 255)})
        ws.write_string(r, 2, help_, f.guide)
        _fit(ws, r, [(help_, 50, 11.5), ("" if v is None else str(v), 40, 12.75), (label + " (needed)", 27, 12.75)],
             minimum=21)
    r = FIRST_ROW + len(SITE_FIELDS) + 1
    ws.write_string(r, 0, f"Assessed against: {spec.title} ({spec.id}, edition {spec.edition})", f.note)
    if spec.ladder:
        ws.write_string(r + 1, 0, f"Level claimed: {spec.ladder.level} (set by the standard this workbook is for)",
                        f.note)
    _page(ws, landscape=False, repeat=None, last_col=2)
    _protect(ws)
    return cells


def _plans_sheet(ws: Any, f: _Formats, spec: Spec, preset: dict[str, Any], plans: list[tuple[str, Any]],
                 lists: _Lists) -> tuple[int, int]:
    ws.write_string(0, 0, "Action plans", f.title)
    ws.set_row(0, 24)
    ws.write_string(1, 0, f"For each standard you do not meet yet: what you will do, who owns it and when it will be "
                          f"done. A plan due within {spec.policy.figures().action_plan_window_months} months of the assessment "
                          "date can count towards designation.", f.subtitle)
    for c, (name, width) in enumerate(zip(PLAN_COLUMNS, (16, 60, 24, 13))):
        ws.set_column(c, c, width)
        ws.write_string(HEADER_ROW - 1, c, name, f.head)
    n = max(PLAN_ROWS, len(plans) + 10)
    first = FIRST_ROW - 1
    ctx = Context(preset, spec.defaults())
    standards = [st for st in spec.standards if st.applies is None or st.applies.evaluate(ctx) is not False
                 or any(sid == st.id for sid, _ in plans)]
    ids = [st.id for st in standards]
    for i in range(n):
        r = first + i
        sid, plan = plans[i] if i < len(plans) else ("", None)
        _text(ws, r, 0, sid, f.input_text)
        _text(ws, r, 1, plan.action if plan else None, f.input_text)
        _text(ws, r, 2, plan.owner if plan else None, f.input_text)
        if plan:
            ws.write_datetime(r, 3, dt.datetime.combine(plan.due, dt.time()), f.input_date)
        else:
            ws.write_blank(r, 3, None, f.input_date)
    last = first + n - 1
    ws.data_validation(first, 0, last, 0, {"validate": "list", "source": lists.ref(ids),
                                           "input_title": "Standard", "input_message":
                                           "Pick the standard this plan is for (the list on the right says "
                                           "what each one is).", "error_message": "Pick a standard from the list."})
    ws.data_validation(first, 3, last, 3, {"validate": "date", "criteria": "between", "minimum": dt.date(1900, 1, 1),
                                           "maximum": dt.date(2999, 12, 31), "input_title": "Due date",
                                           "input_message": "When the action will be done.",
                                           "error_message": "Type a date, for example 2027-03-31."})
    # the standards, for reference, beside the plans
    ws.set_column(5, 5, 12)
    ws.set_column(6, 6, 70)
    ws.write_string(HEADER_ROW - 1, 5, "Standard", f.head)
    ws.write_string(HEADER_ROW - 1, 6, "What it asks", f.head)
    for i, st in enumerate(standards):
        ws.write_string(first + i, 5, st.id, f.cell)
        ws.write_string(first + i, 6, st.title, f.cell)
    ws.freeze_panes(FIRST_ROW - 1, 0)
    _page(ws, landscape=True, repeat=HEADER_ROW - 1, last_col=6)
    _protect(ws)
    return first + 1, last + 1


def _instructions(ws: Any, f: _Formats, spec: Spec, n_questions: int) -> None:
    ws.set_column(0, 0, 80)
    ws.hide_gridlines(2)
    pub = spec.file.publisher
    lines: list[tuple[str, Any]] = [
        (f"Self-assessment: {spec.title}", f.big),
        (f"Standards published by {pub} (edition {spec.edition})", f.subtitle_wrap),
        ("", f.text),
        ("What this workbook is", f.heading),
        (f"Your urgent and emergency care network (or integrated care board) is asking how your service "
         f"meets the {spec.title}. This workbook holds the questions. Your answers are checked against each "
         f"standard, and the network sends you a report that explains the result, standard by standard, and "
         f"what would change it. It takes most sites an hour or two; you do not need any other software.", f.text),
        ("", f.text),
        ("What to do", f.heading),
        ("1.  Site sheet: fill in your site's name and code, the date of this assessment and who signs it off.", f.text),
        (f"2.  Answers sheet: answer each of the {n_questions} questions in the yellow column 'Your answer'. Click a "
         "yellow cell to see help for that question. Yes/No and choice questions have a drop-down list.", f.text),
        ("3.  Where it helps, add a comment, and the document that shows it (title, reference, date, owner).", f.text),
        ("4.  Action plans sheet: for any standard you do not meet yet, say what you will do, who owns it and by "
         "when.", f.text),
        ("5.  Save the file (keep it as .xlsx, and keep its name or add your site's name) and send it back to the "
         "person who sent it to you.", f.text),
        ("", f.text),
        ("Good to know", f.heading),
        ("•  Only the yellow cells can be changed. The sheets are protected, without a password, so that the layout "
         "cannot be broken by accident. Please do not unprotect them, rename sheets or move rows: the answers are "
         "read back by their place.", f.text),
        ("•  A question left blank counts as not answered, and a standard that needs it counts as not met. If you "
         "cannot answer yet, leave it blank and say why in the comment.", f.text),
        ("•  Some questions only apply to some sites. Their guidance says so, and which answer they depend on; leave "
         "them blank if they do not apply to you.", f.text),
        ("•  Counts such as '18 out of 34': put the number that met the standard in 'Your answer' and the number of "
         "eligible cases in 'Out of'. The percentage is worked out for you.", f.text),
        ("•  Numbers: type the number alone, without units or a % sign. Dates: type a date, for example 2026-10-01.",
         f.text),
        ("•  Evidence is not attached to this file: name the document so a reviewer can ask for it.", f.text),
        ("", f.text),
        ("Questions about this workbook", f.heading),
        ("Ask the network or ICB that sent it to you. If the file is sent back with a list of problems, each one "
         "names the sheet and cell to correct (for example Answers!D12).", f.text),
        ("", f.text),
        (f"Made for {spec.id} edition {spec.edition} by designation {__version__} (workbook template version "
         f"{TEMPLATE_VERSION}). The network reads it with the open-source 'designation' tool: "
         "designation import FILE.xlsx", f.small),
    ]
    for r, (text, fmt) in enumerate(lines):
        if text:
            ws.write_string(r, 0, text, fmt)
            if fmt in (f.text, f.small, f.big, f.subtitle_wrap):
                _fit(ws, r, [(text, 80 * (0.55 if fmt is f.big else 1), {f.small: 11.5, f.big: 20}.get(fmt, 12.75))])
    ws.write_string(len(lines) + 1, 0, "A yellow cell like this one is for you to fill in.", f.key)
    _page(ws, landscape=False, repeat=None, last_col=0)
    _protect(ws)


def _page(ws: Any, *, landscape: bool, repeat: Optional[int], last_col: int) -> None:
    ws.set_paper(9)   # A4
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    if repeat is not None:
        ws.repeat_rows(repeat)
    ws.set_footer("&L&8&A&R&8Page &P of &N")


def _protect(ws: Any) -> None:
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True,
                    "format_rows": True})


def about_entries(spec: Spec, rows: list[Row], site_cells: dict[str, int], plan_first: int,
                  plan_last: int) -> list[tuple[str, ...]]:
    """What the About sheet records, as rows of text (its checksum covers them all)."""
    entries: list[tuple[str, ...]] = [
        ("template_version", str(TEMPLATE_VERSION)),
        ("spec", spec.id),
        ("edition", spec.edition),
        ("spec_sha256", spec.sha256),
        ("made_by", f"designation {__version__}"),
        ("plans", str(plan_first), str(plan_last)),
    ]
    entries += [("site", key, str(row)) for key, row in site_cells.items()]
    entries += [(r.kind, str(r.row), r.qid, r.label) for r in rows]
    return entries


def checksum(entries: list[tuple[str, ...]]) -> str:
    h = hashlib.sha256()
    for e in entries:
        h.update("\x1f".join(e).encode("utf-8") + b"\x1e")
    return h.hexdigest()


def _about(ws: Any, spec: Spec, rows: list[Row], site_cells: dict[str, int], plan_first: int, plan_last: int) -> None:
    entries = about_entries(spec, rows, site_cells, plan_first, plan_last)
    ws.write_string(0, 0, MARKER)
    ws.write_string(0, 1, "Do not edit: this sheet says which question each row holds.")
    for i, e in enumerate(entries):
        for c, v in enumerate(e):
            ws.write_string(i + 1, c, v)
    ws.write_string(len(entries) + 1, 0, "checksum")
    ws.write_string(len(entries) + 1, 1, checksum(entries))
    ws.protect("")
