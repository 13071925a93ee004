"""Hostile files through the commands that read them: the provider's workbook (bytes flipped in
the zip; sheet XML mutated: wrong cell types, huge strings, formulas, merged cells, hidden sheets,
shared strings out of range, wrong cell references), review, derogations and tailoring files.

Each fuzzer asserts what a user relies on: the exit code is 0 or 1 (never 4, never a traceback),
every error names the file it is about (with ``!Sheet!Cell`` or ``:line:col`` where it has one),
and no input file is modified.

The profiles of tests/test_fuzz.py apply: the default ``ci`` profile keeps this module to well
under a minute; for a long local hunt::

    HYPOTHESIS_PROFILE=dev python -m pytest -q -p no:cacheprovider tests/test_fuzz_files.py
"""
from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import event, given
from hypothesis import strategies as st

from designation.cli import main

from .conftest import ROOT
from .test_fuzz import dump, fuzz, values

SITE = ROOT / "submissions" / "ec-southmere-derogations.yaml"     # has a live derogation, tailorable EC figures
WB_SITE = ROOT / "submissions" / "ucc-riverside-colocated.yaml"
SHEET_PARTS = {"Instructions": "xl/worksheets/sheet1.xml", "Site": "xl/worksheets/sheet2.xml",
               "Answers": "xl/worksheets/sheet3.xml", "Action plans": "xl/worksheets/sheet4.xml",
               "Lists": "xl/worksheets/sheet5.xml", "About": "xl/worksheets/sheet6.xml"}
_CACHE: dict[str, Any] = {}


# ---------------------------------------------------------------------------------------------
# What every run must show


def _snapshot(paths: list[Path]) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in paths}


def assert_clean(res: Any, named: Path, inputs: dict[Path, bytes], located: str) -> None:
    """Exit 0 or 1, no internal error; on exit 1 each error line names ``named`` (or another input)
    and, where it says more than the file, says it the way ``located`` expects; no input changed."""
    text = res.output
    assert res.exit_code in (0, 1), (res.exit_code, text, repr(res.exception))
    assert "Traceback" not in text and "internal error" not in text, text
    for path, raw in inputs.items():
        assert path.read_bytes() == raw, f"{path} was modified"
    if res.exit_code == 0:
        event("accepted")
        return
    event("refused")
    names = [str(p) for p in inputs]
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith((" ", "\t"))]
    errors = [ln for ln in lines if any(ln.startswith(n) for n in names)]
    assert errors, f"no error names an input: {text}"
    assert any(ln.startswith(str(named)) for ln in errors), f"no error names {named}: {text}"
    for ln in errors:
        if not ln.startswith(str(named)):
            continue
        rest = ln[len(str(named)):]
        if located == "cell":
            assert re.match(r"(!(?P<sheet>[^!:]+)(!\$?[A-Z]{1,3}\$?[0-9]+)?( \([^)]*\))?)?: \S", rest), ln
        else:
            assert re.match(r"(:[0-9]+:[0-9]+)?: \S", rest), ln


# ---------------------------------------------------------------------------------------------
# The workbook: a filled template, then mutated


def _workbook(tmp: Path) -> bytes:
    if "xlsx" not in _CACHE:
        out = tmp / "filled.xlsx"
        res = CliRunner().invoke(main, ["template", "uec-ucc", "--format", "xlsx", "--from", str(WB_SITE),
                                        "-o", str(out)])
        assert res.exit_code == 0, res.output
        _CACHE["xlsx"] = out.read_bytes()
        with zipfile.ZipFile(out) as z:
            book = z.read("xl/workbook.xml").decode()
        assert [m for m in re.findall(r'<sheet name="([^"]+)"', book)] == list(SHEET_PARTS), book
    return _CACHE["xlsx"]


def _parts(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*?(?:/>|>.*?</c>)', re.S)
refs = st.sampled_from(["A0", "ZZZZ1", "XFE1", "A1048577", "A99999999", "", "1A", "$D$5", "d5", "D5", "D6",
                        "D1048576", "XFD1", "B5", "G5"])
cell_values = st.one_of(st.sampled_from(["", "abc", "-1", "1e400", "99999999999999999999", "TRUE", "#N/A", "#DIV/0!",
                                         "2026-13-45", "45000", "-45000", "NaN", "inf", "0x2d", "016", "1:30",
                                         "=1+1", "\u202eevil", "yes", "No", "N/A"]),
                        st.integers(-10 ** 20, 10 ** 20).map(str), st.floats().map(repr),
                        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="<&\x00"),
                                max_size=12))


def _xml(text: str) -> bytes:
    """Text as XML character data (what no XML 1.0 document can hold is dropped)."""
    text = "".join(c for c in text if c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd"
                   or c >= "\U00010000")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()


@st.composite
def cell_xml(draw: st.DrawFn, ref: str) -> bytes:
    kind = draw(st.sampled_from(["n", "s", "b", "e", "str", "d", "inlineStr", "formula", "cached formula",
                                 "huge", "shared out of range", "empty"]))
    r = ref.encode()
    value = _xml(draw(cell_values))
    if kind == "inlineStr":
        return b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (r, value)
    if kind == "huge":
        n = draw(st.sampled_from([5_000, 32_767, 32_768, 200_000]))
        return b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (r, b"x" * n)
    if kind == "formula":
        return b'<c r="%s"><f>%s</f></c>' % (r, _xml(draw(st.sampled_from(
            ["1/0", 'HYPERLINK("http://x","y")', "SUM(A1:A3)", "Answers!D5", "NOW()", "A1"]) | cell_values)))
    if kind == "cached formula":
        return b'<c r="%s" t="%s"><f>%s</f><v>%s</v></c>' % (r, draw(st.sampled_from([b"n", b"str", b"b", b"e"])),
                                                             _xml(draw(cell_values)), value)
    if kind == "shared out of range":
        return b'<c r="%s" t="s"><v>%s</v></c>' % (r, draw(st.sampled_from([b"99999", b"-1", b"x", b"", b"1.5"])))
    if kind == "empty":
        return b'<c r="%s"/>' % r
    return b'<c r="%s" t="%s"><v>%s</v></c>' % (r, kind.encode(), value)


class Mutated(bytes):
    """A mutated workbook that shows the mutations, not its bytes, when a failure is reported."""

    log: list[str]

    def __repr__(self) -> str:
        return f"<workbook: {'; '.join(self.log)}>"


def _mutated(raw: bytes, log: list[str]) -> Mutated:
    out = Mutated(raw)
    out.log = log
    return out


@st.composite
def mutated_workbooks(draw: st.DrawFn, raw: bytes) -> Mutated:
    log: list[str] = []
    if draw(st.integers(0, 4)) == 0:   # bytes flipped anywhere in the zip
        data = bytearray(raw)
        for _ in range(draw(st.integers(1, 6))):
            at, byte = draw(st.integers(0, len(data) - 1)), draw(st.integers(0, 255))
            data[at] = byte
            log.append(f"byte {at} = {byte}")
        event("bytes flipped")
        return _mutated(bytes(data), log)
    parts = _parts(raw)
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["cell", "cell", "cell", "ref", "merge", "hide", "delete", "shared string",
                                    "dimension", "new row"]))
        event(how)
        sheet = draw(st.sampled_from(["Site", "Answers", "Answers", "Action plans", "About", "Lists"]))
        before = dict(parts)
        part = SHEET_PARTS[sheet]
        xml = parts[part]
        cells = list(_CELL.finditer(xml))
        if how in ("cell", "ref", "delete") and cells:
            m = draw(st.sampled_from(cells))
            ref = m.group(1).decode() if how != "ref" else draw(refs)
            new = b"" if how == "delete" else draw(cell_xml(ref))
            parts[part] = xml[:m.start()] + new + xml[m.end():]
        elif how == "merge":
            a, b = draw(refs), draw(refs)
            merge = b'<mergeCells count="1"><mergeCell ref="%s:%s"/></mergeCells>' % (a.encode(), b.encode())
            parts[part] = xml.replace(b"</sheetData>", b"</sheetData>" + merge, 1)
        elif how == "hide":
            state = draw(st.sampled_from([b' state="hidden"', b' state="veryHidden"', b""]))
            book = re.sub(rb' state="[A-Za-z]+"', b"", parts["xl/workbook.xml"]) if not state else parts[
                "xl/workbook.xml"]
            parts["xl/workbook.xml"] = book.replace(b'<sheet name="%s"' % sheet.encode(),
                                                    b'<sheet name="%s"%s' % (sheet.encode(), state), 1)
        elif how == "shared string" and "xl/sharedStrings.xml" in parts:
            texts = list(re.finditer(rb"<t(?: [^>]*)?>([^<]*)</t>", parts["xl/sharedStrings.xml"]))
            if texts:
                m = draw(st.sampled_from(texts))
                ss = parts["xl/sharedStrings.xml"]
                parts["xl/sharedStrings.xml"] = ss[:m.start(1)] + _xml(draw(cell_values)) + ss[m.end(1):]
        elif how == "dimension":
            parts[part] = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="%s"/>' % draw(st.sampled_from(
                [b"A1:XFD1048576", b"A1", b"", b"Z9:A1", b"A1:K99999999"])), xml, count=1)
        elif how == "new row":
            row = draw(st.integers(1, 1_048_576))
            ref = f"{draw(st.sampled_from(['A', 'D', 'G', 'L', 'XFD']))}{row}"
            parts[part] = xml.replace(b"</sheetData>", b'<row r="%d">%s</row></sheetData>' % (row, draw(cell_xml(ref))))
        for name in parts:
            if parts[name] != before.get(name):
                old, new = before.get(name, b""), parts[name]
                i = next((k for k in range(min(len(old), len(new))) if old[k] != new[k]), min(len(old), len(new)))
                log.append(f"{how} in {sheet} ({name}): ...{new[max(0, i - 20):i + 100]!r}...")
    return _mutated(_zip(parts), log)


@fuzz(1)
@given(data=st.data())
def test_a_mutated_workbook_is_read_or_refused_by_sheet_and_cell(tmp_path_factory: Any, data: Any) -> None:
    d = tmp_path_factory.mktemp("wb")
    raw = data.draw(mutated_workbooks(_workbook(d)))
    path = d / "site.xlsx"
    path.write_bytes(raw)
    inputs = _snapshot([path])
    for args in (["validate", str(path)], ["import", str(path), "-o", str(d / "out.yaml")]):
        res = CliRunner().invoke(main, args)
        assert_clean(res, path, inputs, "cell")


# ---------------------------------------------------------------------------------------------
# Review, derogations and tailoring files: a valid file, then mutated (a value replaced by any
# YAML value, a key deleted or renamed) or its text spliced with YAML's surprises

REVIEW = {"format": 1, "site": "ZZS01", "reviewer": {"name": "Dr R", "role": "Network lead"},
          "reviewed_on": dt.date(2026, 6, 1),
          "verified": {"ed_consultant_hours_weekday": {"value": 14, "reason": "Rota seen at the visit"}}}
DEROGATIONS = yaml.safe_load((ROOT / "submissions" / "derogations.yaml").read_text())
TAILORING = {"parameters": {"uec-ec": {"ed_consultant_hours_min": 18, "mh_response_minutes_max": 20}},
             "policy": {"uec-ec": {"threshold": 90}}}
KEYS = ["format", "site", "reviewer", "name", "role", "reviewed_on", "verified", "value", "reason", "derogations",
        "standard", "approver", "approved_on", "expires_on", "parameters", "policy", "threshold", "uec-ec", "uec-ecc",
        "ed_consultant_hours_min", "EC-22", "LQS-ED-02", "ZZS01", "", "<<"]
SPLICES = ["\n", ": ", "- ", "[", "{", "&a ", "*a", "!!python/object:os.system ", "!!binary ", "016", "1:30", "0x2d",
           ".nan", "~", "yes", "'", '"', "\t", "\\0", "\ufeff", "\u202e", "9999-12-31", "1e400", "9" * 400]


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated_text(draw: st.DrawFn, base: dict) -> str:
    doc = copy.deepcopy(base)
    if draw(st.integers(0, 3)) == 0:   # the text itself, spliced
        text = dump(doc)
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(SPLICES) | st.text(max_size=4)) + text[at:]
        event("text spliced")
        return text
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        how = draw(st.sampled_from(["replace", "replace", "delete", "rename"]))
        event(how)
        if how == "delete":
            del parent[path[-1]]
        elif how == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = parent.pop(path[-1])
        else:
            parent[path[-1]] = draw(values | st.sampled_from(KEYS))
        if not _paths(doc):
            break
    return dump(doc)


def _run_settings(d: Path, option: str, text: str) -> None:
    folder = d / "net"
    folder.mkdir()
    site = folder / SITE.name
    site.write_bytes(SITE.read_bytes())
    settings = folder / f"network-{option[2:]}.yaml"   # beside the site: validate checks it against the folder
    settings.write_bytes(text.encode("utf-8", "surrogatepass"))
    inputs = _snapshot([site, settings])
    for args in (["assess", str(site), option, str(settings), "--format", "json"], ["validate", str(settings)]):
        res = CliRunner().invoke(main, args)
        assert_clean(res, settings, inputs, "line")


@fuzz(0.8)
@given(text=mutated_text(REVIEW))
def test_a_mutated_review_file_is_read_or_refused_by_line(tmp_path_factory: Any, text: str) -> None:
    _run_settings(tmp_path_factory.mktemp("rv"), "--review", text)


@fuzz(0.8)
@given(text=mutated_text(DEROGATIONS))
def test_a_mutated_derogations_file_is_read_or_refused_by_line(tmp_path_factory: Any, text: str) -> None:
    _run_settings(tmp_path_factory.mktemp("dg"), "--derogations", text)


@fuzz(0.8)
@given(text=mutated_text(TAILORING))
def test_a_mutated_tailoring_file_is_read_or_refused_by_line(tmp_path_factory: Any, text: str) -> None:
    _run_settings(tmp_path_factory.mktemp("tl"), "--tailoring", text)
