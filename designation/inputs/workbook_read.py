"""The provider's workbook (reading it back): cells to the same :class:`Submission` as the YAML door.

The workbook is hostile input like any other. Before openpyxl sees it: the size limit, a zip
check (an encrypted workbook is an OLE file, not a zip, and is named as such), a bound on the
number of parts and on every part's inflated size (zip bombs are refused before inflating, from
the sizes the zip declares, which Python's zipfile never reads past), no DTDs in any XML
part, and every sheet's rows, cells and XML elements counted from its bytes (a sheet that does
not state its size is otherwise read in full by openpyxl just to size it). openpyxl then reads it read-only and values-only, from memory: the provider's file is never
opened for writing, formulas are never evaluated (a cached result is used for an answer; in a
text cell the formula's text is the text) and macros never run.

Cells are found through the hidden About sheet, which records the spec, edition, template
version and the question behind each row, with a checksum; a row whose question text no longer
matches (rows moved or sorted) is refused rather than read as another question's answer, and a
value written outside the tables (Answers!D1048576) is reported, never silently left unread.
Every problem is reported at once as ``FILE.xlsx!Answers!D12 (question_id): message``, and the
answers are then checked by :func:`designation.inputs.submission.parse`, the YAML door's own
checks, so the remedies are the same.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..errors import InputError, Problem
from . import workbook as W
from . import yamlsafe

SUFFIXES = (".xlsx", ".xlsm")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAX_PARTS = 1000
MAX_PART_BYTES = 20 * 1024 * 1024      # one inflated part (a sheet's XML)
MAX_TOTAL_BYTES = 60 * 1024 * 1024     # all parts together, inflated
MAX_RATIO = 200                         # inflated / compressed, for parts over 1 MB
MAX_ROWS = 5000                         # rows (row elements) in one sheet; a template has a few hundred
MAX_CELLS = 100_000                     # cells (c elements) in one sheet; a template has a few thousand
MAX_TAGS = 400_000                      # XML elements in one part (a sheet, the shared strings, the styles)
MAX_CELL_CHARS = 32_767                 # characters in one cell: Excel's own limit
TEXT_KINDS = ("text",)


def is_workbook(name: str | Path, raw: bytes | None = None) -> bool:
    """Whether an input is (or claims to be) a workbook: its name, or its first bytes."""
    if raw is not None and (raw.startswith(ZIP_MAGIC) or raw.startswith(OLE_MAGIC)):
        return True
    return Path(str(name)).suffix.lower() in SUFFIXES + (".xls",)


@dataclass
class Imported:
    submission: Any                      # designation.inputs.submission.Submission
    yaml: str                            # the canonical YAML submission
    notes: list[str] = field(default_factory=list)


def load(path: str | Path) -> Imported:
    return parse_bytes(yamlsafe.read_bytes(path), str(path))


# --------------------------------------------------------------------------------------------
# The container: refuse what is not a plain workbook before anything inflates it


def check_container(raw: bytes, name: str) -> list[str]:
    """Refuse a file that is not a safe .xlsx; return notes (macros present, not run)."""
    if raw.startswith(OLE_MAGIC):
        raise InputError.at(name, "is a password-protected (encrypted) workbook or an old .xls file, which cannot be "
                                  "read: remove the password (File > Info > Protect Workbook > Encrypt with Password, "
                                  "clear it) and save it as an Excel Workbook (.xlsx)")
    if not raw.startswith(ZIP_MAGIC):
        raise InputError.at(name, "is not an Excel workbook (an .xlsx file is a zip archive; this is not one): "
                                  "save it from Excel as 'Excel Workbook (.xlsx)'")
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise InputError.at(name, f"is not a readable workbook (damaged zip archive: {exc}); save it again from "
                                  "Excel as .xlsx") from None
    if len(infos) > MAX_PARTS:
        raise InputError.at(name, f"has {len(infos):,} parts; a workbook has a few dozen; refusing to read it")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > MAX_PART_BYTES or (info.file_size > 1024 * 1024 and ratio > MAX_RATIO):
            raise InputError.at(name, f"part {info.filename!r} would inflate to {info.file_size:,} bytes "
                                      f"({ratio:,.0f} times its packed size); refusing to inflate it (a zip bomb?)")
        if total > MAX_TOTAL_BYTES:
            raise InputError.at(name, f"would inflate to more than {MAX_TOTAL_BYTES:,} bytes; refusing to inflate it "
                                      "(a zip bomb?)")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise InputError.at(name, "is a zip archive but not an Excel workbook (it has no xl/workbook.xml): "
                                  "open it in Excel and save it as 'Excel Workbook (.xlsx)'")
    notes = []
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        notes.append("the workbook contains macros; they were not run (only the cells' values were read)")
    try:
        for info in infos:
            if info.filename.endswith((".xml", ".rels", ".vml")):
                with zf.open(info) as fh:
                    head = fh.read(4096)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise InputError.at(name, f"part {info.filename!r} declares a DTD, which a workbook never needs; "
                                              "refusing to read it")
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as exc:  # RuntimeError: a zip-encrypted part
        raise InputError.at(name, f"is not a readable workbook ({exc}); save it again from Excel as .xlsx") from None
    return notes


def check(raw: bytes, name: str) -> tuple[list[str], dict[str, set[tuple[int, int]]]]:
    """:func:`check_container`, then every sheet counted before openpyxl parses it: the notes, and
    for each sheet (by name) the cells that hold something (row, column; 1-based).

    openpyxl looks through a whole sheet for its size when the sheet does not state it (a million
    empty rows took 14 s and 163 MB), and pads the gaps between rows with empty ones; so the rows,
    cells and XML elements of every part are counted here first, from the inflated bytes, and a
    sheet over the bounds is refused by name before any of that work."""
    notes = check_container(raw, name)
    zf = zipfile.ZipFile(io.BytesIO(raw))
    try:
        titles = _sheet_parts(zf)
        filled: dict[str, set[tuple[int, int]]] = {}
        for info in zf.infolist():
            if not info.filename.endswith((".xml", ".rels", ".vml")):
                continue
            where = f"{name}!{titles[info.filename]}" if info.filename in titles else name
            what = "the sheet" if info.filename in titles else f"part {info.filename!r}"
            data = zf.read(info)
            if info.filename in titles:
                _count_rows_and_cells(data, where)
            tags = data.count(b"<")
            if tags > MAX_TAGS:
                raise InputError.at(where, f"{what} has {tags:,} XML elements; a workbook from designation template "
                                           f"has a few thousand, and more than {MAX_TAGS:,} are not read "
                                           "(was data pasted in, or formatting copied down to the bottom?)")
            if info.filename in titles:
                filled[titles[info.filename]] = _scan_sheet(data, where)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as exc:
        raise InputError.at(name, f"is not a readable workbook ({exc}); save it again from Excel as .xlsx") from None
    return notes, filled


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})\Z")


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part -> sheet name, from xl/workbook.xml and its relationships (small parts)."""
    import xml.etree.ElementTree as ET

    try:
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return {}
    targets = {}
    for rel in rels.iter():
        if rel.tag.endswith("Relationship") and rel.get("Id") and rel.get("Target"):
            target = rel.get("Target", "")
            targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    out = {}
    for sheet in book.iter():
        if sheet.tag.endswith("}sheet") or sheet.tag == "sheet":
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            if rid in targets and sheet.get("name"):
                out[targets[rid]] = sheet.get("name", "")
    return out


def _count_rows_and_cells(data: bytes, where: str) -> None:
    """A sheet's rows and cells against the bounds (a fast scan of the bytes, before any parsing)."""
    rows = data.count(b"<row") + data.count(b":row")     # (namespace prefixes are allowed)
    if rows > MAX_ROWS:
        raise InputError.at(where, f"the sheet has {rows:,} rows; a workbook from designation template has a few "
                                   f"hundred, and more than {MAX_ROWS:,} are not read (was data pasted in below, or "
                                   "empty rows formatted down to the bottom of the sheet? delete them)")
    cells = sum(data.count(b + end) for b in (b"<c", b":c") for end in (b" ", b">", b"/"))
    if cells > MAX_CELLS:
        raise InputError.at(where, f"the sheet has {cells:,} cells; a workbook from designation template has a few "
                                   f"thousand, and more than {MAX_CELLS:,} are not read (was data pasted in? delete "
                                   "what is not an answer)")


def _scan_sheet(data: bytes, where: str) -> set[tuple[int, int]]:
    """The cells of one sheet's XML that hold a value, an inline string or a formula."""
    import xml.etree.ElementTree as ET

    filled: set[tuple[int, int]] = set()
    row = col = 0
    try:
        for event, el in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            tag = el.tag.rsplit("}", 1)[-1]
            if event == "start":
                if tag == "row":
                    r = el.get("r", "")
                    row = int(r) if r.isdigit() else row + 1
                    col = 0
            elif tag == "c":
                m = _REF.match(el.get("r", ""))
                if m:
                    col = 0
                    for ch in m.group(1).upper():
                        col = col * 26 + ord(ch) - 64
                    row = int(m.group(2))
                else:
                    col += 1
                if any(child.tag.rsplit("}", 1)[-1] in ("v", "f", "is") and "".join(child.itertext())
                       for child in el):
                    filled.add((max(row, 1), col))
                el.clear()
            elif tag == "row":
                el.clear()
    except ET.ParseError as exc:
        raise InputError.at(where, f"the sheet is damaged (its XML does not parse: {exc}); save the workbook again "
                                   "from Excel as .xlsx") from None
    return filled


# --------------------------------------------------------------------------------------------
# Cells


@dataclass
class Cell:
    value: Any            # the cached value (what the provider sees)
    formula: Optional[str] = None
    number_format: str = "General"


_EMPTY = Cell(None)


class _Sheet:
    """One sheet's cells in a range of rows, read once (values, and formulas separately)."""

    def __init__(self, ws_values: Any, ws_formulas: Any, max_row: int, max_col: int):
        self.cells: dict[tuple[int, int], Cell] = {}
        for row in ws_values.iter_rows(min_row=1, max_row=max_row, max_col=max_col):
            for c in row:
                if getattr(c, "value", None) is not None and c.value != "":
                    self.cells[(c.row, c.column)] = Cell(c.value, None, c.number_format or "General")
        for row in ws_formulas.iter_rows(min_row=1, max_row=max_row, max_col=max_col):
            for c in row:
                if getattr(c, "data_type", None) == "f" and isinstance(c.value, str):
                    cached = self.cells.get((c.row, c.column))
                    self.cells[(c.row, c.column)] = Cell(cached.value if cached else None, c.value,
                                                         cached.number_format if cached else "General")

    def get(self, row: int, col: int) -> Cell:
        return self.cells.get((row, col), _EMPTY)

    def text(self, row: int, col: int) -> str:
        v = self.get(row, col).value
        return "" if v is None else str(v)


def _addr(row: int, col: int) -> str:
    return f"{W.col_letter(col - 1)}{row}"


class WorkbookDoc:
    """Stands in for a YAML :class:`~designation.inputs.yamlsafe.Document`: the submission's checks
    ask it where a value came from, and it answers with a sheet and cell instead of a line."""

    def __init__(self, file: str, data: Any):
        self.file = file
        self.data = data
        self.sha256 = ""
        self.cells: dict[tuple, tuple[str, int, int, Optional[str]]] = {}   # path -> (sheet, row, col, qid)
        self.problems: list[tuple[tuple, Problem]] = []

    def at(self, path: tuple, sheet: str, row: int, col: int, qid: Optional[str] = None) -> None:
        self.cells[path] = (sheet, row, col, qid)

    def _locate(self, path: tuple) -> tuple[str, int, int, Optional[str]]:
        path = tuple(path)
        while path:
            if path in self.cells:
                return self.cells[path]
            path = path[:-1]
        return (W.ABOUT, 0, 0, None)

    def problem(self, path: tuple, message: str, key: bool = False) -> Problem:
        sheet, row, col, qid = self._locate(path)
        where = f"{self.file}!{sheet}" + (f"!{_addr(row, col)}" if row else "")
        if qid:
            where += f" ({qid})"
            message = message.removeprefix(f"{qid}: ")
        return Problem(where, message)

    def error(self, path: tuple, message: str, key: bool = False) -> InputError:
        return InputError(self.problem(path, message, key))

    def add(self, path: tuple, message: str) -> None:
        sheet, row, col, _ = self._locate(path)
        self.problems.append(((W.SHEETS.index(sheet) if sheet in W.SHEETS else 9, row, col),
                              self.problem(path, message)))

    def where(self, path: tuple, key: bool = False) -> tuple[None, None]:
        return (None, None)


# --------------------------------------------------------------------------------------------
# Reading


def parse_bytes(raw: bytes, name: str) -> Imported:
    """The workbook's submission, checked as thoroughly as a YAML one; InputError lists every problem."""
    import warnings

    notes, filled = check(raw, name)
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise InputError.at(name, "reading workbooks needs openpyxl: pip install openpyxl") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # openpyxl warns about extensions it drops; we only read values
        try:
            wb_v = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
            wb_f = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False, keep_links=False)
        except InputError:
            raise
        except Exception as exc:  # openpyxl raises many kinds for a damaged file; each is the user's to fix
            raise InputError.at(name, f"is not a workbook that can be read ({type(exc).__name__}: {exc}); "
                                      "open it in Excel and save it as 'Excel Workbook (.xlsx)'") from None
        try:
            return _read(wb_v, wb_f, name, notes, filled)
        except InputError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise InputError.at(name, f"is not a workbook that can be read ({type(exc).__name__}: {exc}); "
                                      "open it in Excel and save it as 'Excel Workbook (.xlsx)'") from None
        finally:
            wb_v.close()
            wb_f.close()


def _fresh(spec_id: str = "SPEC") -> str:
    return f"designation template {spec_id} --format xlsx"


def _sheet(wb_v: Any, wb_f: Any, name: str, file: str, rows: int, cols: int) -> _Sheet:
    if name not in wb_v.sheetnames:
        from ..rules import suggest

        extra = [s for s in wb_v.sheetnames if s not in W.SHEETS]
        hint = suggest(name, extra) or (extra[0] if len(extra) == 1 else "")
        found = ", ".join(repr(s) for s in wb_v.sheetnames)
        raise InputError.at(f"{file}!{name}", f"the sheet {name!r} is missing (sheets found: {found})"
                            + (f"; it looks renamed to {hint!r}: rename it back to {name!r}" if hint else
                               "; it was deleted: start again from a fresh workbook (" + _fresh() + ")"))
    ws_v, ws_f = wb_v[name], wb_f[name]
    declared = ws_v.max_row
    # read no further than the sheet's own last row: openpyxl pads a read-only range with empty rows.
    # (The sheet's real rows and cells were counted by check(); its stated size is not trusted.)
    return _Sheet(ws_v, ws_f, min(rows, MAX_ROWS, declared or MAX_ROWS), cols)


def _about(wb_v: Any, wb_f: Any, file: str) -> dict[str, Any]:
    if W.ABOUT not in wb_v.sheetnames:
        raise InputError.at(f"{file}!{W.ABOUT}", "the hidden About sheet, which says which question each row holds, "
                                                 "is missing: this workbook was not made by designation template, or "
                                                 "the sheet was deleted. Copy the answers into a fresh workbook ("
                                                 + _fresh() + ")")
    sheet = _sheet(wb_v, wb_f, W.ABOUT, file, MAX_ROWS, 4)
    edited = InputError.at(f"{file}!{W.ABOUT}", "the hidden About sheet has been edited, so the rows cannot be trusted "
                                                "to hold the questions it names: copy the answers into a fresh workbook "
                                                "(" + _fresh() + ")")
    if sheet.text(1, 1) != W.MARKER:
        raise edited
    entries: list[tuple[str, ...]] = []
    stated = None
    for r in range(2, MAX_ROWS + 1):
        row = [sheet.get(r, c) for c in range(1, 5)]
        if any(c.formula for c in row):
            raise edited
        vals = [str(c.value) if c.value is not None else "" for c in row]
        if vals[0] == "checksum":
            stated = vals[1]
            break
        if not vals[0]:
            raise edited
        n = {"template_version": 2, "spec": 2, "edition": 2, "spec_sha256": 2, "made_by": 2, "plans": 3,
             "site": 3, "answer": 4, "evidence": 4}.get(vals[0])
        if n is None:
            raise edited
        entries.append(tuple(vals[:n]))
    if stated is None or stated != W.checksum(entries):
        raise edited
    about: dict[str, Any] = {"site": {}, "rows": []}
    for e in entries:
        if e[0] in ("site",):
            about["site"][e[1]] = int(e[2])
        elif e[0] in ("answer", "evidence"):
            about["rows"].append(W.Row(int(e[1]), e[0], e[2], e[3]))
        elif e[0] == "plans":
            about["plans"] = (int(e[1]), int(e[2]))
        else:
            about[e[0]] = e[1]
    return about


def _norm(text: str) -> str:
    return " ".join(str(text).split()).lower()


def _read(wb_v: Any, wb_f: Any, file: str, notes: list[str], filled: dict[str, set[tuple[int, int]]]) -> Imported:
    from .. import spec as spec_mod
    from . import submission as sub_mod

    about = _about(wb_v, wb_f, file)
    where_about = f"{file}!{W.ABOUT}"
    try:
        version = int(about.get("template_version", ""))
    except ValueError:
        raise InputError.at(where_about, "the About sheet has no readable template version; copy the answers into "
                                         "a fresh workbook (" + _fresh() + ")") from None
    if version > W.TEMPLATE_VERSION:
        raise InputError.at(where_about, f"the workbook was made by a newer designation ({about.get('made_by')}, "
                                         f"template version {version}); this one reads template version "
                                         f"{W.TEMPLATE_VERSION}: upgrade designation (pip install -U designation)")
    sid, edition = about.get("spec", ""), about.get("edition", "")
    try:
        spec = spec_mod.load(sid)
    except InputError as exc:
        raise InputError.at(where_about, f"the workbook was made for spec {sid!r}, which this installation does "
                                         f"not have ({exc.problems[0].message}); import it where that spec is "
                                         "installed") from None
    if edition != spec.edition:
        raise InputError.at(where_about, f"the workbook was made for {sid} edition {edition!r}; this installation "
                                         f"has edition {spec.edition!r}. Make a workbook for the current edition "
                                         f"({_fresh(sid)}) and copy the answers across")

    rows: list[W.Row] = about["rows"]
    last = max([r.row for r in rows] + [W.HEADER_ROW])
    answers_sheet = _sheet(wb_v, wb_f, W.ANSWERS, file, last, len(W.COLUMNS))
    site_sheet = _sheet(wb_v, wb_f, W.SITE, file, max(about["site"].values(), default=W.FIRST_ROW), 2)
    p_first, p_last = about.get("plans", (W.FIRST_ROW, W.FIRST_ROW - 1))
    plans_sheet = _sheet(wb_v, wb_f, W.PLANS, file, p_last, len(W.PLAN_COLUMNS))

    doc = WorkbookDoc(file, None)
    data: dict[str, Any] = {"format": sub_mod.FORMAT, "spec": spec.id, "edition": spec.edition}
    doc.at(("spec",), W.ABOUT, 0, 0)
    # --- Site
    site_kinds = {key: kind for key, _label, kind, _help in W.SITE_FIELDS}
    site_labels = {key: label for key, label, _kind, _help in W.SITE_FIELDS}
    values: dict[str, Any] = {}
    for key, row in about["site"].items():
        path = tuple(key.split("."))
        doc.at(path, W.SITE, row, 2, site_labels.get(key, key).replace(" (needed)", "").lower())
        if not _norm(site_sheet.text(row, 1)).startswith(_norm(site_labels.get(key, "?"))):
            doc.at(path, W.SITE, row, 1)
            doc.add(path, f"this row should be {site_labels.get(key, key)!r}: rows of the Site sheet were moved or "
                          "deleted; undo the change")
            continue
        v = _convert(site_kinds.get(key, "text"), site_sheet.get(row, 2), doc, path)
        if v is not _BAD and v is not None:
            values[key] = v
    for key in W.REQUIRED_SITE:
        if key not in values and key in about["site"]:
            if not _has_problem(doc, tuple(key.split("."))):
                doc.add(tuple(key.split(".")), f"{site_labels[key]} is needed")
    if "site.code" in values and not isinstance(values["site.code"], str):
        values["site.code"] = str(values["site.code"])
    site = {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("site.")}
    data["site"] = {"name": "?", "code": "?", **site}
    data["assessed_on"] = values.get("assessed_on", dt.date(2000, 1, 1))
    for group, keys in (("period", ("start", "end")), ("signed_off_by", ("name", "role", "date"))):
        got = {k: values[f"{group}.{k}"] for k in keys if f"{group}.{k}" in values}
        if got:
            data[group] = got
            doc.at((group,), W.SITE, about["site"].get(f"{group}.{keys[0]}", 0), 2)
            for k in keys:
                if k not in got and not (group == "signed_off_by" and k == "date"):
                    doc.add((group, k), f"{site_labels[f'{group}.{k}']} is needed when the other "
                                        f"{'period' if group == 'period' else 'sign-off'} details are given")
            if group == "period" and len(got) < 2 or group == "signed_off_by" and not {"name", "role"} <= set(got):
                del data[group]

    # --- Answers
    answers: dict[str, Any] = {}
    order: list[str] = []
    expected_ref: dict[str, int] = {}
    for r in rows:
        if r.kind == "answer":
            expected_ref[r.qid] = len(expected_ref) + 1
    for r in rows:
        q = spec.questions.get(r.qid)
        if q is None:
            doc.at(("answers", r.qid), W.ANSWERS, r.row, W.C_ANSWER + 1, r.qid)
            doc.add(("answers", r.qid), f"question {r.qid!r} is not in {spec.id} edition {spec.edition} any more; "
                                        f"make a fresh workbook ({_fresh(spec.id)})")
            continue
        shown = _norm(answers_sheet.text(r.row, W.C_QUESTION + 1))
        want = _norm(r.label) if r.kind == "answer" else _norm(f"More evidence for Q{expected_ref[r.qid]}")
        if not shown.startswith(want):
            doc.at(("rows", r.row), W.ANSWERS, r.row, W.C_QUESTION + 1, r.qid)
            doc.add(("rows", r.row), f"this row should hold {'the question' if r.kind == 'answer' else 'more evidence for'}"
                                     f" '{W._sentence(r.label)}', but shows "
                                     f"{_clip(answers_sheet.text(r.row, W.C_QUESTION + 1)) or 'nothing'}: rows were "
                                     "moved, sorted or deleted. Undo that (or copy the answers into a fresh workbook) "
                                     "so each answer stays beside its question")
            continue
        if r.kind == "answer":
            order.append(r.qid)
            answers[r.qid] = _read_answer(q, r.row, answers_sheet, doc)
        else:
            entry = answers.setdefault(r.qid, {"value": None})
            if not isinstance(entry, dict) or "value" not in entry:
                entry = answers[r.qid] = {"value": entry}
            ev = _read_evidence(r.qid, r.row, len(entry.get("evidence", [])), answers_sheet, doc)
            if ev is not None:
                entry.setdefault("evidence", []).append(ev)
    data["answers"] = {q: answers[q] for q in answers}
    # --- Anything written outside the tables is reported, never silently left unread
    _outside(doc, filled.get(W.ANSWERS, set()), W.ANSWERS, last, len(W.COLUMNS), "the answer table",
             "move it into the table (a comment on the question it belongs to) or delete it")
    _outside(doc, filled.get(W.SITE, set()), W.SITE, W.FIRST_ROW + len(W.SITE_FIELDS) + 3, 3, "the site details",
             "move it into the row it belongs to or delete it")

    # --- Action plans
    plans: dict[str, Any] = {}
    first_row: dict[str, int] = {}
    from ..rules import Context, suggest

    given = {q: (a.get("value") if isinstance(a, dict) and "value" in a else a) for q, a in answers.items()}
    ctx = Context({q: v for q, v in given.items() if v is not None}, spec.defaults())
    try:
        applying = [st.id for st in spec.standards if st.applies is None or st.applies.evaluate(ctx) is not False]
    except Exception:  # noqa: BLE001 - a hint only: fall back to every standard
        applying = [st.id for st in spec.standards]
    known = {st.id for st in spec.standards}
    for row in range(p_first, p_last + 1):
        cells = [plans_sheet.get(row, c) for c in range(1, 5)]
        if all(c.value is None and not c.formula for c in cells):
            continue
        raw_sid = _convert("text", cells[0], doc, ("plan_row", row))
        sid = raw_sid.strip() if isinstance(raw_sid, str) else ""
        doc.at(("plan_row", row), W.PLANS, row, 1)
        if not sid:
            doc.add(("plan_row", row), "this action plan has no standard: pick the standard from the list")
            continue
        if sid in plans:
            doc.add(("plan_row", row), f"a second plan for {sid} (the first is on row {first_row[sid]}): put all the "
                                       "actions for one standard in one row")
            continue
        first_row[sid] = row
        path = ("action_plans", sid)
        doc.at(path, W.PLANS, row, 1)
        ok = True
        if sid not in known:
            hint = suggest(sid, applying)
            doc.add(("plan_row", row), f"{sid!r} is not a standard of {spec.id}"
                    + (f"; did you mean {hint!r}?" if hint else "") + " Pick the standard from the drop-down")
            ok = False
        plan: dict[str, Any] = {}
        for key, col, kind in (("action", 2, "text"), ("owner", 3, "text"), ("due", 4, "date")):
            doc.at(path + (key,), W.PLANS, row, col)
            v = _convert(kind, cells[col - 1], doc, path + (key,))
            if v is _BAD:
                ok = False
            elif v is None:
                doc.add(path + (key,), f"the plan for {sid} needs {'a due date' if key == 'due' else 'an ' + key}")
                ok = False
            else:
                plan[key] = v
        if ok:
            plans[sid] = plan
    data["action_plans"] = plans
    _outside(doc, filled.get(W.PLANS, set()), W.PLANS, max(p_last, W.HEADER_ROW + len(spec.standards)), 7,
             "the action plans table", "move it into a plan's row or delete it")
    doc.data = data

    own = {p for _, p in doc.problems}
    try:
        sub = sub_mod.parse(doc, spec=spec)  # type: ignore[arg-type]
    except InputError as exc:
        seen = {p.file for p in own}
        for p in exc.problems:
            if p.file not in seen and p not in own:
                doc.problems.append((_rank(p.file, file), p))
        sub = None
    if doc.problems:
        raise InputError([p for _, p in sorted(doc.problems, key=lambda x: x[0])])
    from .canonical import to_yaml

    return Imported(sub, to_yaml(sub, source=f"a workbook (template version {version})"), notes)


OUTSIDE_SHOWN = 10   # cells outside a table listed one by one; the rest are counted


def _outside(doc: WorkbookDoc, filled: set[tuple[int, int]], sheet: str, last_row: int, last_col: int, table: str,
             remedy: str) -> None:
    """Report every cell holding something beyond a table's last row or column: it would not be read."""
    stray = sorted((r, c) for r, c in filled if r > last_row or c > last_col)
    for r, c in stray[:OUTSIDE_SHOWN]:
        doc.at(("outside", sheet, r, c), sheet, r, c)
        doc.add(("outside", sheet, r, c), f"this cell is outside {table}, so it is not read: {remedy}")
    if len(stray) > OUTSIDE_SHOWN:
        r, c = stray[OUTSIDE_SHOWN]
        doc.at(("outside", sheet, r, c), sheet, r, c)
        doc.add(("outside", sheet, r, c), f"and {len(stray) - OUTSIDE_SHOWN:,} more cells from here on are outside "
                                          f"{table}: {remedy}")


def _rank(where: str, file: str) -> tuple[int, int, int]:
    """Sort key of a located problem: sheet, row, column (so problems read top to bottom)."""
    rest = where[len(file) + 1:] if where.startswith(file + "!") else ""
    sheet, _, cell = rest.partition("!")
    m = re.match(r"([A-Z]+)(\d+)", cell)
    col = 0
    if m:
        for ch in m.group(1):
            col = col * 26 + ord(ch) - 64
    return (W.SHEETS.index(sheet) if sheet in W.SHEETS else 9, int(m.group(2)) if m else 0, col)


def _has_problem(doc: WorkbookDoc, path: tuple) -> bool:
    target = doc._locate(path)
    return any(p.file.startswith(f"{doc.file}!{target[0]}!{_addr(target[1], target[2])}") for _, p in doc.problems) \
        if target[1] else False


def _clip(text: str, n: int = 60) -> str:
    text = " ".join(str(text).split())
    return repr(text if len(text) <= n else text[: n - 1] + "…") if text else ""


def _read_answer(q: Any, row: int, sheet: _Sheet, doc: WorkbookDoc) -> Any:
    path = ("answers", q.id)
    doc.at(path, W.ANSWERS, row, W.C_ANSWER + 1, q.id)
    doc.at(path + ("value",), W.ANSWERS, row, W.C_ANSWER + 1, q.id)
    doc.at(path + ("comment",), W.ANSWERS, row, W.C_COMMENT + 1, q.id)
    if q.type == "proportion":
        value = _proportion(q, row, sheet, doc, path + ("value",))
    else:
        value = _convert(q.type, sheet.get(row, W.C_ANSWER + 1), doc, path + ("value",), q)
    if sheet.get(row, W.C_OUTOF + 1).value is not None and q.type != "proportion":
        doc.at(path + ("outof",), W.ANSWERS, row, W.C_OUTOF + 1, q.id)
        doc.add(path + ("outof",), "'Out of' is only for questions answered as two counts; clear this cell")
    comment = _convert("text", sheet.get(row, W.C_COMMENT + 1), doc, path + ("comment",))
    ev = _read_evidence(q.id, row, 0, sheet, doc)
    if value is _BAD:
        value = None
    out: dict[str, Any] = {"value": value}
    if comment not in (None, _BAD):
        out["comment"] = comment
    if ev is not None:
        out["evidence"] = [ev]
    return out if len(out) > 1 else value


def _read_evidence(qid: str, row: int, index: int, sheet: _Sheet, doc: WorkbookDoc) -> Optional[dict]:
    base = ("answers", qid, "evidence", index)
    ev: dict[str, Any] = {}
    bad = False
    for key, col, kind in (("title", W.C_EV_TITLE, "text"), ("reference", W.C_EV_REF, "text"),
                           ("date", W.C_EV_DATE, "date"), ("owner", W.C_EV_OWNER, "text")):
        doc.at(base + (key,), W.ANSWERS, row, col + 1, qid)
        v = _convert(kind, sheet.get(row, col + 1), doc, base + (key,))
        if v is _BAD:
            bad = True
        elif v is not None:
            ev[key] = v
    doc.at(base, W.ANSWERS, row, W.C_EV_TITLE + 1, qid)
    if bad or not ev:
        return None
    if "title" not in ev:
        doc.add(base + ("title",), "evidence needs a document title (the other evidence cells of this row are filled)")
        return None
    return ev


_BAD = object()
EXCEL_EPOCH = dt.date(1899, 12, 30)


def _convert(kind: str, cell: Cell, doc: WorkbookDoc, path: tuple, q: Any = None) -> Any:
    """A cell's value as the YAML door would have it (bool, number, date, text), or _BAD with a
    problem recorded. Formulas: a text cell keeps the formula's own text, never its result; any
    other cell takes the result Excel saved, or is refused when there is none.

    Only what is particular to spreadsheets is handled here (Yes/No from the drop-down, a number
    Excel stores as 0.85 for 85%, a date cell that lost its format, a whole number stored as
    12.0); everything else goes through :func:`designation.inputs.submission.read_value`, the
    YAML door's own reading, so the remedies are the same."""
    v = cell.value
    for text in (v, cell.formula):
        if isinstance(text, str) and len(text) > MAX_CELL_CHARS:
            doc.add(path, f"the cell holds {len(text):,} characters; a cell holds at most {MAX_CELL_CHARS:,} (Excel's "
                          "own limit): shorten it, and refer to a document for the rest")
            return _BAD
    if cell.formula is not None:
        if kind in TEXT_KINDS:
            return cell.formula
        if v is None:
            doc.add(path, f"the cell holds a formula ({_clip(cell.formula, 40)}) with no saved result, and formulas "
                          "are not worked out here: type the answer itself")
            return _BAD
    if v is None:
        return None
    if isinstance(v, str) and not v.strip() and kind != "text":
        return None
    if kind == "text":
        if isinstance(v, str):
            return v if v.strip() else None
        if isinstance(v, bool):
            return "Yes" if v else "No"
        if isinstance(v, dt.datetime):
            return (v.date() if v.time() == dt.time() else v).isoformat()
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)
    if kind == "boolean" and isinstance(v, str) and v.strip().lower() in ("yes", "no"):
        v = v.strip().lower() == "yes"      # the drop-down's values
    elif kind == "choice" and isinstance(v, str):
        v = v.strip()
    elif kind == "date":
        if isinstance(v, (int, float)) and not isinstance(v, bool) and 1 <= v < 2958466:
            v = EXCEL_EPOCH + dt.timedelta(days=int(v))   # a date cell that lost its date format
        elif isinstance(v, str):
            try:
                v = dt.date.fromisoformat(v.strip())
            except ValueError:
                pass
    elif kind not in ("boolean", "choice") and isinstance(v, (int, float)) and not isinstance(v, bool):
        if "%" in (cell.number_format or "") and kind not in ("integer", "proportion"):
            v = round(v * 100, 9)   # typed as 85%, which Excel stores as 0.85
        if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
            v = int(v)
    if kind in ("proportion",) or q is None:
        return _plain(kind, v, doc, path)
    remedy = _cell_remedy(kind, v)
    if remedy:
        doc.add(path, remedy)
        return _BAD
    from .submission import BadAnswer, read_value

    try:
        value = read_value(q, v)
    except BadAnswer as exc:
        doc.add(path, _for_cells(str(exc), kind))
        return _BAD
    return value if not hasattr(value, "numerator") else v


_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}


def _cell_remedy(kind: str, v: Any) -> Optional[str]:
    """What a spreadsheet user did and how to put it right, where the YAML door's words would mislead."""
    if kind == "boolean" and not isinstance(v, bool):
        if isinstance(v, str) and v.strip().lower() in ("true", "false"):
            return f"{v.strip()!r} was typed as text; pick Yes or No from the drop-down"
        if not isinstance(v, str):
            return f"expected Yes or No, got {_show(v)}; pick Yes or No from the drop-down"
    if kind in ("integer", "number", "minutes", "hours", "percentage", "proportion") and isinstance(v, str):
        t = v.strip()
        if re.fullmatch(r"-?\d+,\d{1,2}", t) and kind != "integer":
            return f"{t!r} is not a number here: write {t.replace(',', '.')} with a decimal point"
        if t.lower() in _WORDS:
            return f"{t!r} is a word: write the number in figures, e.g. {_WORDS[t.lower()]}"
        if not any(ch.isdigit() for ch in t) and not t.lower().startswith("n"):
            return f"expected a number, got {_clip(t, 40)}: write the number in figures, e.g. 2"
    if isinstance(v, dt.datetime) and kind not in ("date", "text"):
        return f"expected {'Yes or No' if kind == 'boolean' else 'a number'}, got {_show(v)}"
    return None


def _for_cells(message: str, kind: str) -> str:
    """The YAML door's remedy, said the spreadsheet way where YAML's words would not fit."""
    if "(~)" in message:
        return message.split(";", 1)[0] + "; leave the answer blank and say why in the Comment column"
    message = message.replace(" without quotes, as a number", " as a number (without a leading apostrophe)")
    message = message.replace(" (YAML reads yes/no as true/false)", "")
    join = " " if message.rstrip().endswith("?") else "; "
    if kind == "boolean":
        return message + join + ("P" if join == " " else "p") + "ick Yes or No from the drop-down"
    if kind == "choice":
        return message + join + ("P" if join == " " else "p") + "ick one from the drop-down"
    return message


def _plain(kind: str, v: Any, doc: WorkbookDoc, path: tuple) -> Any:
    """A site or plan date, or one count of a pair: no question to check it against."""
    from .submission import _number_remedy, date_remedy

    if kind == "date":
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        doc.add(path, date_remedy(v))
        return _BAD
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    from .submission import _not_applicable

    if isinstance(v, str) and _not_applicable(v):
        doc.add(path, _for_cells(_not_applicable(v) or "", "proportion"))
    elif isinstance(v, str):
        doc.add(path, _number_remedy(v, "a count").replace(" without quotes, as a number",
                                                           " as a number (without a leading apostrophe)"))
    else:
        doc.add(path, f"expected a whole number of cases, got {_show(v)}")
    return _BAD


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, dt.datetime):
        return f"the date {v.date().isoformat()}"
    if isinstance(v, str):
        return _clip(v, 40) or "''"
    return repr(v)


def _proportion(q: Any, row: int, sheet: _Sheet, doc: WorkbookDoc, path: tuple) -> Any:
    n_path, d_path = path + ("numerator",), path + ("denominator",)
    doc.at(n_path, W.ANSWERS, row, W.C_ANSWER + 1, q.id)
    doc.at(d_path, W.ANSWERS, row, W.C_OUTOF + 1, q.id)
    n = _convert("proportion", sheet.get(row, W.C_ANSWER + 1), doc, n_path)
    d = _convert("proportion", sheet.get(row, W.C_OUTOF + 1), doc, d_path)
    if n is _BAD or d is _BAD:
        if n is None or d is None:      # say the empty one too: every problem in one round
            doc.add(n_path if n is None else d_path, "this question is answered as two counts and this one is "
                    "empty: give how many met it (Your answer) and out of how many eligible (Out of)")
        return _BAD
    if n is None and d is None:
        return None
    if n is None or d is None:
        doc.add(n_path if n is None else d_path,
                "this question is answered as two counts and this one is empty: give how many met it (Your answer) "
                "and out of how many eligible (Out of), or clear both")
        return _BAD
    if n > d:
        doc.add(n_path, f"the number of {q.label} ({n}, Answers!{_addr(row, W.C_ANSWER + 1)}) cannot be more than "
                        f"the number out of ({d}, Answers!{_addr(row, W.C_OUTOF + 1)}): check both counts")
        return _BAD
    return {"numerator": n, "denominator": d}


def spec_of(raw: bytes, name: str) -> Optional[str]:
    """The spec id a workbook names in its About sheet, cheaply (None if it cannot be read)."""
    return peek(raw, name)[0]


def peek(raw: bytes, name: str) -> tuple[Optional[str], Optional[str]]:
    """The spec id and the site code a workbook holds, read the way :func:`parse_bytes` reads them
    (the checked About sheet says which Site row holds the code) but without reading the answers;
    None for what cannot be read: the full read reports it, located."""
    spec_id = code = None
    try:
        check(raw, name)
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
        try:
            about = _about(wb, wb, name)
            spec_id = str(about["spec"]) if about.get("spec") else None
            row = about["site"].get("site.code")
            if row and W.SITE in wb.sheetnames:
                sheet = _sheet(wb, wb, W.SITE, name, row, 2)
                doc = WorkbookDoc(name, None)
                doc.at(("site", "code"), W.SITE, row, 2)
                value = _convert("text", sheet.get(row, 2), doc, ("site", "code"))
                code = value.strip() if isinstance(value, str) and value.strip() else None
        finally:
            wb.close()
    except Exception:  # noqa: BLE001 - a peek: the full read reports the problem properly
        return spec_id, None
    return spec_id, code


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
