"""Lay out the HTML reports as PDF (WeasyPrint), embed the inputs, write atomically.

WeasyPrint is heavy to import, so it is imported inside the functions that render: commands
that never render (``assess``, ``validate``...) never load it.

Same inputs and the same ``created`` give the same bytes: the creation and modification
dates, the attachments' dates and the PDF identifier are all derived from them.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from . import html, view

# Attachment names that ``verify`` relies on, with the description shown in PDF readers.
DESCRIPTIONS = {
    "submission.yaml": "Self-assessment submitted by the site",
    "submission.xlsx": "The workbook the site filled in; submission.yaml was imported from it",
    "review.yaml": "Network review (verified answers)",
    "derogations.yaml": "Network derogations",
    "tailoring.yaml": "Network tailoring of parameters",
    "result.json": "Assessment result (designation.assessment/1) this report was rendered from",
    "network-matrix.csv": "Sites by standards matrix",
    "results.json": "Every site's result (designation.network/1) this summary was rendered from",
}
# The key ``result.json`` gains once the report is laid out: {"kind", "pages"}. It is not part of
# the document id (which is known before layout and printed on every page).
RENDERED = "report"
NETWORK_SCHEMA = "designation.network/1"
MAX_ATTACHMENTS_BYTES = 64 * 1024 * 1024


class RenderError(RuntimeError):
    """The report could not be rendered (for example it asked for a resource it may not use)."""


def write_pdf(result: Mapping[str, Any], out: str | os.PathLike, *,
              attachments: Mapping[str, bytes] | None = None,
              created: dt.datetime | None = None, as_at: dt.date | None = None,
              sign: Callable[[bytes], bytes] | None = None) -> Path:
    """Render the site report for ``result`` to ``out`` (atomically); ``sign`` (from
    :func:`.sign.signer_for`) signs the rendered bytes before they are written.

    ``attachments`` maps names (``submission.yaml``, ``review.yaml``, ``derogations.yaml``,
    ``tailoring.yaml``) to the input files' bytes; ``result.json`` (the canonical JSON of
    ``result``) is always attached too, so ``designation verify`` can re-score the report.
    """
    when = view.pinned(created)
    files = dict(attachments or {})
    files.pop("result.json", None)
    source = html.render_html(result, created=when, as_at=as_at)

    def recorded(pages: int) -> dict[str, bytes]:
        return {"result.json": view.result_json(with_pages(result, "site", pages))}

    return _write(source, out, files, when, view.document_id(result), recorded, sign)


def with_pages(result: Mapping[str, Any], kind: str, pages: int) -> dict[str, Any]:
    """``result`` as a report embeds it: plus what the layout decided (the page count)."""
    out = {k: v for k, v in result.items() if k != RENDERED}
    out[RENDERED] = {"kind": kind, "pages": pages}
    return out


def network_document(results: list[Mapping[str, Any]], pages: int) -> dict[str, Any]:
    """What a network summary embeds as ``results.json``: every site's result and document id."""
    return {"schema": NETWORK_SCHEMA, RENDERED: {"kind": "network", "pages": pages},
            "document_id": view.network_id(results),
            "sites": [{"document_id": r.get("document_id") or view.document_id(r), "result": r} for r in results]}


def write_network_pdf(results: Iterable[Mapping[str, Any]], out: str | os.PathLike, *,
                      created: dt.datetime | None = None, as_at: dt.date | None = None,
                      sign: Callable[[bytes], bytes] | None = None) -> Path:
    """Render the network summary for ``results`` to ``out`` (atomically), with the CSV matrix attached."""
    from .network import network_matrix_csv

    results = list(results)
    when = view.pinned(created)
    source = html.render_network_html(results, created=when, as_at=as_at)
    files = {"network-matrix.csv": network_matrix_csv(results).encode("utf-8")}

    def recorded(pages: int) -> dict[str, bytes]:
        return {"results.json": view.result_json(network_document(results, pages))}

    return _write(source, out, files, when, view.network_id(results), recorded, sign)


def render_pdf_bytes(source: str, files: Mapping[str, bytes], created: dt.datetime, doc_id: str,
                     fetcher: Any = None, recorded: Callable[[int], Mapping[str, bytes]] | None = None) -> bytes:
    """Lay out ``source`` (HTML from :mod:`.html`) to PDF bytes. ``fetcher`` is for tests;
    ``recorded(pages)`` gives the files that record the layout (the page count), embedded too."""
    from weasyprint import HTML, Attachment
    from weasyprint.urls import FatalURLFetchingError

    from .fetcher import BASE_URL, STATIC_DIR, StaticFetcher

    shared = fetcher is None and _LINK in source  # our own page: use the stylesheet parsed once per process
    fetcher = fetcher or StaticFetcher()
    naive = created.astimezone(dt.timezone.utc).replace(tzinfo=None)
    buffer = io.BytesIO()
    try:
        with _RENDERING:  # one at a time per process: the shared font configuration is not for threads
            stylesheets, font_config = [], None
            if shared:
                css, font_config = _shared_stylesheet(STATIC_DIR, BASE_URL)
                source, stylesheets = source.replace(_LINK, "", 1), [css]
            document = HTML(string=source, base_url=BASE_URL, url_fetcher=fetcher).render(
                stylesheets=stylesheets, font_config=font_config)
            files = {**files, **(recorded(len(document.pages)) if recorded else {})}
            if sum(len(d) for d in files.values()) > MAX_ATTACHMENTS_BYTES:
                raise RenderError("attachments are too large to embed")
            embedded = [
                Attachment(file_obj=io.BytesIO(data), name=name, description=DESCRIPTIONS.get(name, name),
                           created=naive, modified=naive, url_fetcher=fetcher)
                for name, data in sorted(files.items())
            ]
            document.write_pdf(
                buffer,
                attachments=embedded,
                pdf_tags=True,
                custom_metadata=True,
                pdf_identifier=hashlib.md5(doc_id.encode("ascii"), usedforsecurity=False).hexdigest().encode("ascii"),
            )
    except FatalURLFetchingError as exc:  # a BaseException: turn it into an ordinary error
        raise RenderError(str(exc)) from None
    return buffer.getvalue()


# How the page links its stylesheet (base.html). It comes before any text of the result, and
# Jinja2 escapes ``<`` in text, so the first occurrence is always the template's own.
_LINK = '<link rel="stylesheet" href="report.css">'
_RENDERING = threading.Lock()


@functools.lru_cache(maxsize=2)
def _shared_stylesheet(static_dir: Path, base_url: str) -> tuple[Any, Any]:
    """``report.css`` parsed once, with its fonts loaded once, for every report this process renders.

    Parsing the stylesheet and loading its four fonts into a new font configuration cost each
    report a few tenths of a second; a batch worker renders hundreds. The sheet is applied as a
    user stylesheet, which gives the same cascade as the linked one here (the page has no other
    author rules but a few inline widths) and the same PDF bytes (a test compares them).
    """
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    from .fetcher import StaticFetcher

    import atexit

    # Let the font configuration go while the interpreter is whole: left to shutdown, its
    # __del__ meets half-torn-down modules and prints a TypeError.
    atexit.register(_shared_stylesheet.cache_clear)
    font_config = FontConfiguration()
    css = CSS(filename=str(static_dir / "report.css"), base_url=base_url, url_fetcher=StaticFetcher(),
              font_config=font_config)  # a missing font raises here, and nothing is cached
    return css, font_config


def settle_for_one_report() -> None:
    """For a process that renders and then ends (``designation report``): import WeasyPrint and
    load the shared stylesheet and fonts now, then take every object alive so far out of the
    garbage collector's sight (:func:`gc.freeze`).

    Layout allocates hundreds of thousands of short-lived objects, and each full collection it
    triggers would otherwise walk every object the process made before it as well (WeasyPrint's
    modules, pydantic's schemas, the loaded spec): measured, half the collector's time, 0.1 s of
    a one-report process. Frozen objects are never freed, so this is for a process that ends
    after rendering, not for a library caller or a batch worker between reports. The PDF is the
    same either way.
    """
    import gc

    from weasyprint.urls import FatalURLFetchingError

    from .fetcher import BASE_URL, STATIC_DIR

    try:
        _shared_stylesheet(STATIC_DIR, BASE_URL)
    except (Exception, FatalURLFetchingError):  # a broken install: rendering reports it properly
        pass
    gc.freeze()


def _write(source: str, out: str | os.PathLike, files: Mapping[str, bytes], created: dt.datetime,
           doc_id: str, recorded: Callable[[int], Mapping[str, bytes]] | None = None,
           sign: Callable[[bytes], bytes] | None = None) -> Path:
    """Render (and sign) first, then write atomically (designation.atomic): a failed render or
    signature writes nothing."""
    from ..atomic import write_bytes

    data = render_pdf_bytes(source, files, created, doc_id, recorded=recorded)
    if sign is not None:
        data = sign(data)
    write_bytes(out, data)
    return Path(out)


def read_attachments(pdf_path: str | os.PathLike) -> dict[str, bytes]:
    """The files embedded in a PDF report, by name (``submission.yaml``, ``result.json``...)."""
    from pypdf import PdfReader

    reader = PdfReader(pdf_path if hasattr(pdf_path, "read") else str(pdf_path))
    out: dict[str, bytes] = {}
    total = 0
    for name, contents in reader.attachments.items():
        if not contents:
            continue
        data = contents[0]
        total += len(data)
        if total > MAX_ATTACHMENTS_BYTES:
            raise ValueError(f"{pdf_path}: attachments are larger than {MAX_ATTACHMENTS_BYTES // 2**20} MB")
        out[name] = data
    return out
