"""``designation verify``: is this PDF a genuine designation report, and does it say what its
inputs give?

A report is genuine when

1. **what is printed agrees with what is embedded**: every page prints, in its footer, the site,
   the outcome headline, the assessment date and the document id of the embedded
   ``result.json`` (worded by :func:`.view.page_marks`, the one place the wording lives), and
   "Page i of N" where N is the page count the result records and the file has; nothing was
   drawn over a page afterwards (a stamp, a note, a font the report never uses);
2. **the embedded files are the report's own**: found by their exact names, each once, with the
   same name in the viewer and on disk, nothing extra; the inputs are the files the result names
   (SHA-256), and the document id in the metadata and the footer is the result's;
3. **the inputs re-score to the result** (outcome, every standard's status, the scores);
4. where the report is **signed** (PAdES, pyHanko), the signature is intact, covers the whole
   file (nothing was added after signing), and its certificate is trusted (``--trust``) and
   was valid; with a published **manifest** (``batch`` writes ``manifest.json``), the file is
   byte for byte the one the manifest lists.

Without a signature or a manifest, a report that passes is only consistent: whoever made it
could have regenerated it, and the verdict says so.

Every input is hostile: the file size, each attachment and every decompressed stream are
bounded before they are read; an encrypted, truncated or damaged file is refused, never
repaired; library log noise is kept from the terminal.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
import math
import os
import re
import unicodedata
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

INPUT_FILES = (("submission.yaml", "submission_sha256"), ("submission.xlsx", "workbook_sha256"),
               ("review.yaml", "review_sha256"), ("derogations.yaml", "derogations_sha256"),
               ("tailoring.yaml", "tailoring_sha256"))
SITE_FILES = frozenset(name for name, _ in INPUT_FILES) | {"result.json"}
NETWORK_FILES = frozenset({"results.json", "network-matrix.csv"})
METADATA_ID = "/designationdocumentid"

MAX_PDF_BYTES = 128 * 1024 * 1024        # a report is a few MB; refuse anything far larger unread
MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024  # one embedded file, decompressed (pdf.MAX_ATTACHMENTS_BYTES)
MAX_STREAM_BYTES = 32 * 1024 * 1024      # one page content stream, decompressed
MAX_PAGES = 5000
_FONT = re.compile(r"^[A-Z]{6}\+Report-")  # the report's own fonts, subset and embedded
_QUIET_LOGGERS = ("pypdf", "pyhanko", "pyhanko_certvalidator", "fontTools")


class Unreadable(Exception):
    """The file cannot be read as a report at all (not a PDF, truncated, encrypted...)."""


@dataclass
class Verdict:
    """What ``verify`` found. ``ok`` only when nothing is wrong; ``facts`` is what the ok line
    states (site, identifier, specification and edition, outcome, assessment date)."""

    path: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kind: str | None = None
    facts: str | None = None
    signer: str | None = None
    document_id: str | None = None
    timestamp: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.facts is not None


def verify_pdf(path: str | os.PathLike) -> tuple[bool, list[str]]:
    """``(True, [])`` when the report is consistent and re-scores to what it records; else
    ``(False, problems)``, one plain-English line per problem (notes on a changed spec last)."""
    v = verify_report(path)
    return v.ok, v.problems + (v.notes if v.problems else [])


def verify_report(path: str | os.PathLike, *, trust: Sequence[str | os.PathLike] = (),
                  manifest: str | os.PathLike | None = None) -> Verdict:
    """Check one report (a site report or a network summary); see the module docstring."""
    v = Verdict(str(path))
    try:
        with _quiet():
            _verify(v, path, trust, manifest)
    except Unreadable as exc:
        v.problems.append(str(exc))
        v.facts = None
    except Exception as exc:
        if not _is_damage(exc):
            raise
        # pypdf meets a damaged object lazily, anywhere in the walk (an IndirectObject where a
        # dictionary should be, a broken xref entry): whatever the check was doing, the file is
        # damaged, and a damaged file is never ok.
        v.problems.append(f"the PDF is damaged ({type(exc).__name__}: {_plain(str(exc))[:120]})")
        v.facts = None
    return v


_DAMAGE = (ValueError, KeyError, TypeError, AttributeError, IndexError, LookupError, RecursionError, OverflowError,
           zlib.error, UnicodeError, AssertionError)


def _is_damage(exc: Exception) -> bool:
    """An error raised while reading a damaged file: the reading libraries' own, or the plain
    Python errors they let escape on malformed objects."""
    return isinstance(exc, _DAMAGE) or type(exc).__module__.split(".")[0] in ("pypdf", "pyhanko", "asn1crypto")


# -- reading, bounded -------------------------------------------------------------------------

@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Keep pypdf's and pyHanko's log lines and warnings off the user's terminal."""
    loggers = [logging.getLogger(name) for name in _QUIET_LOGGERS]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
        lg.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, (level, propagate) in zip(loggers, saved):
            lg.setLevel(level)
            lg.propagate = propagate


def _limits() -> contextlib.AbstractContextManager:
    """pypdf's own decompression limits, lowered for the duration (when this pypdf has them)."""
    try:
        from pypdf import apply_configuration
    except ImportError:  # older pypdf: its module-level limits still apply
        return contextlib.nullcontext()
    return apply_configuration(
        zlib_maximum_output_length=MAX_STREAM_BYTES, lzw_maximum_output_length=MAX_STREAM_BYTES,
        run_length_maximum_output_length=MAX_STREAM_BYTES, array_based_stream_maximum_output_length=MAX_STREAM_BYTES,
        maximum_declared_stream_length=MAX_PDF_BYTES, image_maximum_buffer_size=MAX_STREAM_BYTES,
        brotli_maximum_output_length=MAX_STREAM_BYTES, jbig2_maximum_output_length=MAX_STREAM_BYTES,
        stream_decoding_work_maximum_length=4 * MAX_STREAM_BYTES)


def read_bounded(path: str | os.PathLike) -> bytes:
    """The file's bytes, refusing what is not a whole PDF before anything parses it."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise Unreadable("not a file")
        if size > MAX_PDF_BYTES:
            raise Unreadable(f"the file is {size / 2**20:.0f} MB; a report is never over {MAX_PDF_BYTES // 2**20} MB")
        with open(p, "rb") as fh:
            data = fh.read(MAX_PDF_BYTES + 1)
    except OSError as exc:
        raise Unreadable(f"cannot read the file: {exc.strerror or exc}") from None
    if not data.startswith(b"%PDF-"):
        raise Unreadable("not a PDF (it does not start with %PDF-)")
    if b"%%EOF" not in data[-1024:]:
        raise Unreadable("the PDF is truncated or damaged (it does not end with %%EOF)")
    return data


def _open(data: bytes) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise Unreadable("the PDF is encrypted; a designation report never is, so it cannot be checked")
        pages = len(reader.pages)
    except Unreadable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, zlib.error) as exc:
        raise Unreadable(f"the PDF is damaged or truncated ({_plain(str(exc))[:120]})") from None
    if not 0 < pages <= MAX_PAGES:
        raise Unreadable(f"the PDF has {pages} pages")
    return reader


def _inflate(stream: Any, name: str) -> bytes:
    """An embedded file's bytes, decompressed with a hard limit (a zip bomb stops at the limit)."""
    from pypdf.generic import ArrayObject

    filters = stream.get("/Filter")
    if isinstance(filters, ArrayObject):
        filters = list(filters)
    else:
        filters = [filters] if filters is not None else []
    raw = stream._data if hasattr(stream, "_data") else stream.get_data()
    if not filters:
        data = raw
    elif [str(f) for f in filters] == ["/FlateDecode"] and not stream.get("/DecodeParms"):
        d = zlib.decompressobj()
        try:
            data = d.decompress(raw, MAX_ATTACHMENT_BYTES + 1)
        except zlib.error:
            raise Unreadable(f"the attached {name} is damaged (it does not decompress)") from None
    else:
        raise Unreadable(f"the attached {name} uses a compression a report never uses ({filters})")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise Unreadable(f"the attached {name} is over the size limit of {MAX_ATTACHMENT_BYTES // 2**20} MB "
                         "when decompressed; refused")
    return data


def attachments(reader: Any, problems: list[str]) -> dict[str, bytes]:
    """The embedded files by their exact names. Duplicates, an entry whose viewer-visible name
    (``/UF``), file-system name (``/F``) and listed name differ, and entries without a file are
    tampering: each adds a problem, and a duplicated name is taken from none of its copies."""
    root = reader.trailer["/Root"]
    tree = (root.get("/Names") or {}).get("/EmbeddedFiles")
    entries: list[tuple[str, Any]] = []
    _walk_names(tree, entries, 0, set())
    seen: dict[str, int] = {}
    files: dict[str, bytes] = {}
    for key, spec in entries:
        spec = spec.get_object() if spec is not None else None
        names = {key}
        if hasattr(spec, "get"):
            for k in ("/F", "/UF"):
                if spec.get(k) is not None:
                    names.add(str(spec.get(k)))
        shown = _plain(str(spec.get("/UF") or spec.get("/F") or key)) if hasattr(spec, "get") else _plain(key)
        if len(names) > 1:
            problems.append("an attachment's names differ: listed as " + ", ".join(
                f"“{_plain(n)}”" for n in sorted(names)) + " (a viewer and a file system would show different files)")
            continue
        for n in names:
            seen[n] = seen.get(n, 0) + 1
        ef = spec.get("/EF") if hasattr(spec, "get") else None
        streams = [ef.get(k).get_object() for k in ("/F", "/UF") if hasattr(ef, "get") and ef.get(k) is not None]
        if not streams:
            problems.append(f"the attachment “{shown}” has no file in it")
            continue
        contents = {_inflate(s, key) for s in streams}
        if len(contents) > 1:
            problems.append(f"the attachment “{shown}” holds two different files")
            continue
        files.setdefault(key, contents.pop())
        if sum(len(d) for d in files.values()) > MAX_ATTACHMENT_BYTES:
            raise Unreadable(f"the attachments are over the size limit of {MAX_ATTACHMENT_BYTES // 2**20} MB; refused")
    for name, n in seen.items():
        if n > 1:
            problems.append(f"{n} attachments are named “{_plain(name)}”: a report has exactly one")
            files.pop(name, None)
    return files


def _walk_names(node: Any, out: list[tuple[str, Any]], depth: int, visited: set[int]) -> None:
    if node is None:
        return
    if depth > 32 or len(out) > 1000:
        raise Unreadable("the PDF's list of attachments is malformed")
    ref = getattr(node, "indirect_reference", None)
    if ref is not None:
        if ref.idnum in visited:
            raise Unreadable("the PDF's list of attachments loops")
        visited.add(ref.idnum)
    node = node.get_object()
    names = node.get("/Names")
    if names is not None:
        names = list(names)
        for i in range(0, len(names) - 1, 2):
            out.append((str(names[i]), names[i + 1]))
    for kid in node.get("/Kids") or []:
        _walk_names(kid, out, depth + 1, visited)


# -- the checks -------------------------------------------------------------------------------

def _verify(v: Verdict, path: str | os.PathLike, trust: Sequence[str | os.PathLike],
            manifest: str | os.PathLike | None) -> None:
    data = read_bounded(path)
    with _limits():
        reader = _open(data)
        problems: list[str] = []
        signed = _signature_fields(reader)
        files = attachments(reader, problems)
        kind = "network" if "results.json" in files else "site"
        v.kind = kind
        allowed = NETWORK_FILES if kind == "network" else SITE_FILES
        for name in sorted(set(files) - allowed):
            problems.append(f"an unexpected attachment “{_plain(name)}” is embedded (a report never carries it)")
        info = _metadata_id(reader)
        pages = _page_texts(reader, problems)
        if kind == "network":
            _check_network(v, files, info, pages, problems)
        else:
            _check_site(v, files, info, pages, problems)
        _check_structure(reader, bool(signed), problems)
    if signed:
        _check_signature(v, data, trust, problems)
    else:
        if data.count(b"%%EOF") > 1:
            problems.append("the file was changed after it was made (an incremental update was appended)")
        if trust:
            problems.append("the report is not signed, but --trust expects a signature")
    if manifest is not None:
        from .manifest import check_pdf

        problems += check_pdf(manifest, data, v.document_id, Path(path).name, trust)
    elif not signed:
        v.warnings.append("the report is not signed and no manifest was given: it is consistent, but only a "
                          "signature or a published manifest proves it was not regenerated")
    v.problems[:0] = problems


def _metadata_id(reader: Any) -> str | None:
    try:
        value = (reader.metadata or {}).get(METADATA_ID)
    except Exception:  # a damaged Info dictionary: no id
        return None
    return None if value is None else str(value)


def _page_texts(reader: Any, problems: list[str]) -> list[str]:
    from pypdf.errors import PyPdfError

    texts = []
    for i, page in enumerate(reader.pages, 1):
        try:
            texts.append(page.extract_text() or "")
        except (PyPdfError, ValueError, KeyError, TypeError, zlib.error, RecursionError) as exc:
            raise Unreadable(f"page {i} cannot be read ({_plain(str(exc))[:120]})") from None
    return texts


def _load_json(files: Mapping[str, bytes], name: str) -> dict[str, Any]:
    try:
        value = json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Unreadable(f"the attached {name} is not readable JSON ({_plain(str(exc))[:80]})") from None
    if not isinstance(value, dict):
        raise Unreadable(f"the attached {name} is not a JSON object")
    return value


def _check_site(v: Verdict, files: dict[str, bytes], stated_id: str | None, texts: list[str],
                problems: list[str]) -> None:
    from . import view
    from .pdf import RENDERED

    if "result.json" not in files:
        problems.append("the report has no result.json attached (exactly once), so it cannot be checked")
        return
    embedded = _load_json(files, "result.json")
    rendered = embedded.get(RENDERED) if isinstance(embedded.get(RENDERED), dict) else {}
    recorded = {k: val for k, val in embedded.items() if k != RENDERED}
    try:
        doc_id = view.document_id(recorded)
        marks = view.page_marks(recorded)
    except (TypeError, ValueError, AttributeError) as exc:
        raise Unreadable(f"the attached result.json is not a designation result ({exc})") from None
    v.document_id = doc_id
    if stated_id is None:
        problems.append(f"the document id is missing from the PDF's metadata (the attached result.json is {doc_id})")
    elif stated_id != doc_id:
        problems.append(f"the attached result.json is not the one the report was rendered from "
                        f"(metadata says document {_plain(stated_id)}, the attachment is {doc_id})")
    _check_pages(texts, marks, rendered, problems)
    _check_stamps(texts, recorded, problems)
    inputs = recorded.get("inputs") if isinstance(recorded.get("inputs"), dict) else {}
    mismatched = False
    for name, key in INPUT_FILES:
        want, data = inputs.get(key), files.get(name)
        got = hashlib.sha256(data).hexdigest() if data is not None else None
        if want != got:
            mismatched = True
            if data is None:
                problems.append(f"{name} was used for the result but is not attached")
            elif want is None:
                problems.append(f"{name} is attached but the result did not use one")
            else:
                problems.append(f"the attached {name} is not the file the result was computed from "
                                f"(sha256 {got[:12]}, result names {_plain(str(want))[:12]})")
    v.facts = _facts(recorded)
    if mismatched:
        return

    from .. import api
    from ..errors import InputError

    def source(name: str) -> tuple[str, bytes] | None:
        return (name, files[name]) if name in files else None

    # A workbook submission is re-scored from the workbook itself, so the import is checked too: it
    # must still give the canonical YAML attached beside it (compared through the hashes below).
    if "submission.xlsx" in files:
        submission = (str(recorded.get("submission_file") or "submission.xlsx"), files["submission.xlsx"])
    else:
        submission = (_yaml_name(recorded.get("submission_file")), files["submission.yaml"])
    try:
        fresh = api.assess_sources(
            submission=submission,
            review=source("review.yaml"), derogations=source("derogations.yaml"),
            tailoring=source("tailoring.yaml"),
        ).to_json()
    except InputError as exc:
        problems.extend(f"the attached inputs no longer assess: {_plain(str(p))}" for p in exc.problems)
        return
    differences = compare(recorded, fresh)
    if "submission.xlsx" in files and (fresh.get("inputs") or {}).get("submission_sha256") != inputs.get("submission_sha256"):
        differences.append("the attached workbook no longer imports to the attached submission.yaml "
                           "(the importer has changed since the report, or a file was replaced)")
    problems.extend(differences)
    if differences:
        v.notes += _context(recorded, fresh)


def _yaml_name(name: Any) -> str:
    name = str(name or "submission.yaml")
    return name if name.endswith((".yaml", ".yml")) else "submission.yaml"


def _check_pages(texts: list[str], marks: list[tuple[str, str]], rendered: Mapping[str, Any],
                 problems: list[str]) -> None:
    from . import view

    n = len(texts)
    recorded_pages = rendered.get("pages")
    if not isinstance(recorded_pages, int) or isinstance(recorded_pages, bool):
        problems.append("the attached result does not record how many pages the report has")
    elif recorded_pages != n:
        problems.append(f"the report has {n} page{'s' if n != 1 else ''} but was rendered with {recorded_pages} "
                        "(pages were removed or added)")
    wrong: dict[str, list[int]] = {}
    footer = _norm(" · ".join(mark for _, mark in marks))
    for i, text in enumerate(texts, 1):
        flat = _norm(text)
        if footer not in flat:
            # the footer prints the marks joined by " · ": anchor each between its separators,
            # so "Designated" is not found inside "Not designated"
            for j, (what, mark) in enumerate(marks):
                anchored = ("·" if j else "") + _norm(mark) + ("·" if j < len(marks) - 1 else "")
                if anchored not in flat:
                    wrong.setdefault(f"the {what} “{_plain(mark)}”", []).append(i)
        if _norm(view.page_numbers(i, n)) not in flat:
            wrong.setdefault(f"“{view.page_numbers(i, n)}”", []).append(i)
    for what, where in wrong.items():
        problems.append(f"{what} of the attached result.json is not printed on {_pages(where, n)}")


def _check_stamps(texts: list[str], recorded: Mapping[str, Any], problems: list[str]) -> None:
    """A line that states another outcome than the result's (a stamp drawn over a page)."""
    from . import view, vocab

    status = (recorded.get("outcome") or {}).get("status")
    own = {_letters(view.headline_text(recorded)), _letters(vocab.outcome(status or "not_designated").word)}
    others = {}
    for key, term in vocab.OUTCOMES.items():
        if key != status:
            for text in (term.word, view.headline_text({"outcome": {"status": key}})):
                if _letters(text) not in own:
                    others[_letters(text)] = text
    for i, text in enumerate(texts, 1):
        for line in text.splitlines():
            hit = others.get(_letters(line))
            if hit:
                problems.append(f"page {i} shows “{_plain(line.strip())}”, but the attached result is "
                                f"“{_plain(view.headline_text(recorded))}” (something was drawn over the page)")


def _check_network(v: Verdict, files: dict[str, bytes], stated_id: str | None, texts: list[str],
                   problems: list[str]) -> None:
    from . import view
    from .network import network_matrix_csv
    from .pdf import NETWORK_SCHEMA, RENDERED

    doc = _load_json(files, "results.json")
    sites = doc.get("sites")
    if doc.get("schema") != NETWORK_SCHEMA or not isinstance(sites, list) or not all(
            isinstance(s, dict) and isinstance(s.get("result"), dict) for s in sites):
        raise Unreadable("the attached results.json is not a network summary's results")
    results = [s["result"] for s in sites]
    try:
        doc_id = view.network_id(results)
        csv_text = network_matrix_csv(results)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise Unreadable(f"the attached results.json is not a list of designation results ({exc})") from None
    v.document_id = doc_id
    if doc.get("document_id") != doc_id:
        problems.append("the attached results.json does not match its own document id")
    if stated_id != doc_id:
        problems.append(f"the attached results.json is not the one the summary was rendered from "
                        f"(metadata says document {_plain(str(stated_id))}, the attachment is {doc_id})")
    if files.get("network-matrix.csv") is None:
        problems.append("the summary has no network-matrix.csv attached")
    elif files["network-matrix.csv"] != csv_text.encode("utf-8"):
        problems.append("the attached network-matrix.csv does not match the sites' results")
    for s in sites:
        if not s.get("document_id"):
            problems.append(f"the site {_plain(str((s['result'].get('site') or {}).get('name')))} has no document id")
    _check_pages(texts, [("document id", f"Document {doc_id}")], doc.get(RENDERED) or {}, problems)
    everything = _norm(" ".join(texts))
    for r in results:
        name = str((r.get("site") or {}).get("name") or "")
        if name and _norm(name) not in everything:
            problems.append(f"the site “{_plain(name)}” of the attached results is not printed in the summary")
    counts: dict[str, int] = {}
    for r in results:
        st = (r.get("outcome") or {}).get("status")
        counts[st] = counts.get(st, 0) + 1
    spread = ", ".join(f"{n} {str(k).replace('_', ' ')}" for k, n in sorted(counts.items()))
    v.facts = f"network summary of {len(results)} site{'s' if len(results) != 1 else ''} ({spread})"


def _check_structure(reader: Any, signed: bool, problems: list[str]) -> None:
    """What an ordinary PDF library leaves when it draws over a page: a note or stamp
    annotation, a second content stream, a font the report never uses."""
    for i, page in enumerate(reader.pages, 1):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            subtype = str(annot.get("/Subtype"))
            if subtype == "/Link" or (subtype == "/Widget" and signed and str(annot.get("/FT")) == "/Sig"):
                continue
            problems.append(f"page {i} carries a {subtype.lstrip('/')} annotation, which a report never has "
                            "(added after it was made)")
        contents = page.get("/Contents")
        if contents is not None and not hasattr(contents.get_object(), "get_data"):
            problems.append(f"page {i} has more than one content stream (content was added after it was made)")
        for font in _fonts(page.get("/Resources"), 0, set()):
            problems.append(f"page {i} draws text in a font the report never uses ({_plain(font)})")
            break


def _fonts(resources: Any, depth: int, seen: set[int]) -> Iterator[str]:
    if resources is None or depth > 8:
        return
    resources = resources.get_object()
    for font in (resources.get("/Font") or {}).values():
        font = font.get_object()
        name = str(font.get("/BaseFont", "?"))
        desc = font.get("/FontDescriptor")
        if desc is None and font.get("/DescendantFonts"):
            desc = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
        embedded = desc is not None and any(k in desc.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        if not embedded or not _FONT.match(name.lstrip("/")):
            yield name.lstrip("/")
    for xobj in (resources.get("/XObject") or {}).values():
        ref = getattr(xobj, "idnum", None)
        if ref is not None:
            if ref in seen:
                continue
            seen.add(ref)
        xobj = xobj.get_object()
        if str(xobj.get("/Subtype")) == "/Form":
            yield from _fonts(xobj.get("/Resources"), depth + 1, seen)


def _signature_fields(reader: Any) -> list[Any]:
    form = reader.trailer["/Root"].get("/AcroForm")
    fields = []
    for f in (form.get_object().get("/Fields") or []) if form is not None else []:
        f = f.get_object()
        if str(f.get("/FT")) == "/Sig" and f.get("/V") is not None:
            fields.append(f)
    return fields


def _check_signature(v: Verdict, data: bytes, trust: Sequence[str | os.PathLike], problems: list[str]) -> None:
    try:
        from . import sign
    except ImportError:  # pragma: no cover - sign itself imports nothing heavy at module level
        raise
    result = sign.validate(data, trust)
    v.signer = result.signer
    v.timestamp = result.timestamp
    problems.extend(result.problems)


# -- comparing results --------------------------------------------------------------------------

def compare(recorded: Mapping[str, Any], fresh: Mapping[str, Any]) -> list[str]:
    """What differs between a report's result and a fresh one, for the parts that decide it."""
    out: list[str] = []
    old_o, new_o = recorded.get("outcome") or {}, fresh.get("outcome") or {}
    for key, what in (("status", "outcome"), ("label", "outcome label"), ("qualifies_for", "qualifies for")):
        if old_o.get(key) != new_o.get(key):
            out.append(f"{what}: the report says {_show(old_o.get(key))}, re-scoring gives {_show(new_o.get(key))}")
    old_s = {s.get("id"): s.get("status") for s in recorded.get("standards") or [] if isinstance(s, dict)}
    new_s = {s.get("id"): s.get("status") for s in fresh.get("standards") or []}
    for sid in old_s:
        if sid not in new_s:
            out.append(f"{_plain(str(sid))}: in the report but no longer in the specification")
        elif old_s[sid] != new_s[sid]:
            out.append(f"{sid}: the report says {_show(old_s[sid])}, re-scoring gives {_show(new_s[sid])}")
    for sid in new_s:
        if sid not in old_s:
            out.append(f"{sid}: in the specification now but not in the report")
    out += _scores("score", recorded.get("score") or {}, fresh.get("score") or {})
    for key in ("site", "assessed_on", "claimed"):
        if recorded.get(key) != fresh.get(key):
            out.append(f"{key.replace('_', ' ')}: the report says {_show(recorded.get(key))}, "
                       f"the attached submission gives {_show(fresh.get(key))}")
    return out


def _scores(where: str, old: Any, new: Any) -> list[str]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out = []
        for key in list(old) + [k for k in new if k not in old]:
            out += _scores(f"{where} {key}".replace("_", " "), old.get(key), new.get(key))
        return out
    if _same_number(old, new):
        return []
    return [f"{_plain(where)}: the report says {_show(old)}, re-scoring gives {_show(new)}"]


def _same_number(a: Any, b: Any) -> bool:
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
    if numbers:
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-6)
    return a == b


def _context(recorded: Mapping[str, Any], fresh: Mapping[str, Any]) -> list[str]:
    """Why a re-score may legitimately differ: a changed specification or engine."""
    old_i, new_i = recorded.get("inputs") or {}, fresh.get("inputs") or {}
    notes = []
    if old_i.get("spec_sha256") != new_i.get("spec_sha256"):
        notes.append(f"note: the specification has changed since the report (sha256 "
                     f"{_plain(str(old_i.get('spec_sha256')))[:12]} then, {str(new_i.get('spec_sha256'))[:12]} now)")
    if old_i.get("engine_version") != new_i.get("engine_version"):
        notes.append(f"note: the report was made by designation {_plain(str(old_i.get('engine_version')))}, "
                     f"this is {new_i.get('engine_version')}")
    return notes


# -- text ---------------------------------------------------------------------------------------

def _facts(r: Mapping[str, Any]) -> str:
    """What the ok line states, for the reader to compare with the page in front of them."""
    from . import view

    site = r.get("site") if isinstance(r.get("site"), dict) else {}
    spec = r.get("spec") if isinstance(r.get("spec"), dict) else {}
    who = str(site.get("name") or "unnamed site") + (f" ({site['code']})" if site.get("code") else "")
    what = " ".join(str(x) for x in (spec.get("id"), spec.get("edition")) if x)
    return _plain(f"{who}, {what}: {view.headline_text(r)}, assessed {view.short_date(r.get('assessed_on'))}")


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value.replace("_", " ") if value.islower() and " " not in value else f"“{_plain(value)}”"
    if isinstance(value, dict):
        return _plain(", ".join(f"{k} {val}" for k, val in value.items()))[:160]
    return _plain(str(value))[:160]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _plain(text: str) -> str:
    """Text from a hostile file made safe for a terminal: no control characters or escapes."""
    return _CONTROL.sub("?", text).replace("\n", " ")


def _norm(text: str) -> str:
    """Compared without case, spacing or line breaks (a long name may wrap in the footer)."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _letters(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", unicodedata.normalize("NFKC", text).casefold()).split())


def _pages(where: list[int], n: int) -> str:
    if len(where) == n and n > 1:
        return "any page"
    if len(where) == 1:
        return f"page {where[0]}"
    return "pages " + ", ".join(str(i) for i in where[:8]) + (" ..." if len(where) > 8 else "")
