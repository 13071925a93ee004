"""``manifest.json``: what a batch published, so anyone can check a PDF is the one it issued.

``batch`` writes it last, after every site's JSON and PDF and the network summary: for each
document its id, the SHA-256 of its JSON and of its PDF (signed bytes when signing), the
input hashes and the engine version. With ``batch --sign`` the manifest is signed too
(``manifest.json.p7s``, a detached CMS signature).

``verify --manifest FILE`` then checks a PDF is byte for byte a file the manifest lists. A PDF
left from an earlier run (its inputs changed, or ``--no-pdf`` did not re-render it) is not
listed, so it fails: a stale output never verifies against the current manifest.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

SCHEMA = "designation.manifest/1"
NAME = "manifest.json"
SIGNATURE_SUFFIX = ".p7s"
MAX_MANIFEST_BYTES = 256 * 1024 * 1024


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pdf_document_id(path: Path) -> Optional[str]:
    """The document id a PDF's metadata states (cheap: the trailer only), or None."""
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL + 1)
    try:
        value = (PdfReader(str(path)).metadata or {}).get("/designationdocumentid")
    except Exception:  # a damaged file has no trustworthy id
        return None
    return None if value is None else str(value)


def site_entry(json_path: Path, pdf_path: Optional[Path], source: Optional[str],
               check_pdf: bool = True) -> dict[str, Any]:
    """One site's manifest entry. The PDF is listed only when it was made from this JSON (its
    metadata says so; ``check_pdf=False`` when the caller has just made it, to skip the read)."""
    from . import view

    raw = json_path.read_bytes()
    result = json.loads(raw)
    doc_id = view.document_id(result)
    entry: dict[str, Any] = {
        "document_id": doc_id, "kind": "site", "source": source,
        "site": {k: (result.get("site") or {}).get(k) for k in ("code", "name")},
        "outcome": (result.get("outcome") or {}).get("status"),
        "json": json_path.name, "json_sha256": hashlib.sha256(raw).hexdigest(),
        "pdf": None, "pdf_sha256": None, "inputs": result.get("inputs"),
    }
    if pdf_path is not None and pdf_path.is_file() and (not check_pdf or pdf_document_id(pdf_path) == doc_id):
        entry["pdf"], entry["pdf_sha256"] = pdf_path.name, _sha(pdf_path)
    return entry


def build(outdir: Path, sites: Iterable[tuple[Path, Optional[Path], Optional[str]]], engine_version: str,
          summary_pdf: Optional[Path] = None, summary_csv: Optional[Path] = None,
          check_pdfs: bool = True) -> dict[str, Any]:
    docs = [site_entry(j, p, s, check_pdfs) for j, p, s in sites]
    out: dict[str, Any] = {"schema": SCHEMA, "engine_version": engine_version, "documents": docs}
    network: dict[str, Any] = {}
    if summary_csv is not None and summary_csv.is_file():
        network["csv"], network["csv_sha256"] = summary_csv.name, _sha(summary_csv)
    if summary_pdf is not None and summary_pdf.is_file():
        network["pdf"], network["pdf_sha256"] = summary_pdf.name, _sha(summary_pdf)
        network["document_id"] = pdf_document_id(summary_pdf)
    if network:
        network["kind"] = "network"
        out["network"] = network
    return out


def write(outdir: Path, manifest: Mapping[str, Any], sign: Any = None) -> Path:
    """Write ``manifest.json`` (and its signature with ``sign``, a :class:`.sign.SignConfig`), atomically."""
    from ..atomic import write_bytes

    data = (json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    path = Path(outdir) / NAME
    sig_path = path.with_name(NAME + SIGNATURE_SUFFIX)
    if sign is not None:
        from .sign import sign_detached

        signature = sign_detached(data, sign)
        write_bytes(path, data)
        write_bytes(sig_path, signature)
    else:
        write_bytes(path, data)
        sig_path.unlink(missing_ok=True)  # a signature of an older manifest must not linger
    return path


def check_pdf(manifest_path: str | os.PathLike, data: bytes, doc_id: Optional[str], file_name: str,
              trust: Sequence[str | os.PathLike] = ()) -> list[str]:
    """Problems with ``data`` (a report's bytes) against the manifest; [] when it is listed."""
    path = Path(manifest_path)
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            return [f"the manifest {path.name} is over {MAX_MANIFEST_BYTES // 2**20} MB; refused"]
        raw = path.read_bytes()
        manifest = json.loads(raw.decode("utf-8"))
    except OSError as exc:
        return [f"cannot read the manifest {path}: {exc.strerror or exc}"]
    except (UnicodeDecodeError, ValueError, RecursionError):
        return [f"the manifest {path} is not readable JSON"]
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        return [f"{path} is not a designation manifest"]
    problems: list[str] = []
    sig_path = path.with_name(path.name + SIGNATURE_SUFFIX)
    if sig_path.is_file():
        from .sign import validate_detached

        check = validate_detached(raw, sig_path.read_bytes(), trust)
        problems += check.problems
    elif trust:
        problems.append(f"the manifest is not signed ({sig_path.name} is missing), but --trust expects a signature")
    sha = hashlib.sha256(data).hexdigest()
    entries = [e for e in manifest.get("documents") or [] if isinstance(e, dict)]
    if isinstance(manifest.get("network"), dict):
        entries.append(manifest["network"])
    if any(e.get("pdf_sha256") == sha for e in entries):
        return problems
    same = [e for e in entries if doc_id and e.get("document_id") == doc_id]
    if same and not same[0].get("pdf_sha256"):
        problems.append(f"the manifest lists document {doc_id} without a PDF: this PDF was not issued by that run")
    elif same:
        problems.append(f"the file is not the PDF the manifest lists for document {doc_id} (its SHA-256 differs: "
                        "altered, or re-rendered since)")
    else:
        named = [e for e in entries if e.get("pdf") == file_name or e.get("json") == Path(file_name).stem + ".json"]
        if named:
            problems.append(f"the manifest lists this report ({file_name}) as document {named[0].get('document_id')}, "
                            f"not {doc_id}: this PDF is stale (made before its inputs changed) or altered")
        else:
            problems.append(f"document {doc_id} is not in the manifest: the PDF is stale, or from another run")
    return problems
