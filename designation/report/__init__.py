"""Designation reports: the site report and the network summary, as HTML and PDF.

Two stages: :func:`render_html` (pure Jinja2, deterministic, autoescaped) and
:func:`write_pdf` (WeasyPrint lays the HTML out; the inputs are embedded as attachments).
Nothing here imports WeasyPrint until a PDF is actually rendered, and this package imports
its modules lazily, so ``import designation.report`` costs next to nothing.

=======================================  ====================================================
``render_html(result, created=, standalone=)``          site report HTML
``render_network_html(results, created=)``             network summary HTML
``write_pdf(result, out, attachments=, created=)``     site report PDF, atomically
``write_network_pdf(results, out, created=)``          network summary PDF, atomically
``read_attachments(pdf_path)``                          embedded files, by name
``network_matrix_csv(results)``                         sites x standards, CSV text
``verify_pdf(path)``                                    re-score a report: ``(ok, differences)``
``verify_report(path, trust=, manifest=)``              the full check: a ``Verdict`` (problems, facts, signer)
=======================================  ====================================================
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "render_html": "html",
    "render_network_html": "html",
    "write_pdf": "pdf",
    "write_network_pdf": "pdf",
    "read_attachments": "pdf",
    "RenderError": "pdf",
    "network_matrix_csv": "network",
    "verify_pdf": "verify",
    "verify_report": "verify",
    "document_id": "view",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
