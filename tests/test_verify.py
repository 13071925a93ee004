"""``verify`` cannot be fooled: each forgery a person could make in minutes with pypdf or pikepdf
is built here and must be refused (exit 1, naming what does not match); a genuine report passes
and says what it confirmed; hostile files are refused within bounds, without library noise.

Reports are slow to lay out, so each is rendered once per module and copied for each forgery.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from designation import api
from designation.cli import main
from designation.report import pdf, view
from designation.report.verify import verify_report

from .conftest import FIXTURES, GOOD_ANSWERS, ROOT, submission, write_yaml

CREATED = dt.datetime(2026, 10, 20, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def specs_env():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESIGNATION_SPECS", str(FIXTURES / "specs"))
        yield


@pytest.fixture(scope="module")
def reports(specs_env, tmp_path_factory):
    """The same site rendered twice: genuinely not designated, and (other answers) designated."""
    d = tmp_path_factory.mktemp("reports")
    out = {}
    for name, answers in (("not", {**GOOD_ANSWERS, "accepts_ambulances": False}), ("designated", None)):
        sub = write_yaml(d / f"{name}.yaml", submission(answers=answers))
        a = api.assess_path(sub)
        path = d / f"{name}.pdf"
        api.write_report(a, path, created=CREATED)
        out[name] = (a.to_json(), path.read_bytes(), sub)
    assert out["not"][0]["outcome"]["status"] == "not_designated"
    assert out["designated"][0]["outcome"]["status"] == "designated"
    return out


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def write(tmp_path: Path, data: bytes, name: str = "forged.pdf") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def refused(path: Path, *words: str, **kwargs) -> str:
    """verify exits 1 and its message names each of ``words``; returns the message."""
    res = run("verify", path, *[x for k, v in kwargs.items() for x in (f"--{k}", v)])
    assert res.exit_code == 1, res.output
    assert not res.output.startswith("ok"), res.output
    assert "Traceback" not in res.output
    for w in words:
        assert w.lower() in res.output.lower(), (w, res.output)
    return res.output


def pypdf_writer(data: bytes):
    from pypdf import PdfReader, PdfWriter

    return PdfWriter(clone_from=PdfReader(io.BytesIO(data)))


def to_bytes(writer) -> bytes:
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


# -- genuine ----------------------------------------------------------------------------------

def test_a_genuine_report_verifies_and_says_what_it_confirmed(reports, specs_env, tmp_path):
    for name in ("not", "designated"):
        res = run("verify", write(tmp_path, reports[name][1], f"{name}.pdf"))
        assert res.exit_code == 0, res.output
        line = next(line for line in res.output.splitlines() if line.startswith("ok: "))
        r = reports[name][0]
        for fact in (r["site"]["name"], r["site"]["code"], r["spec"]["id"], r["spec"]["edition"],
                     view.headline_text(r), view.short_date(r["assessed_on"])):
            assert fact in line, (fact, line)
        assert "only a signature or a published manifest" in res.output  # unsigned: a warning


def test_the_page_count_is_recorded_and_every_page_prints_the_result(reports):
    from pypdf import PdfReader

    result, data, _ = reports["not"]
    reader = PdfReader(io.BytesIO(data))
    embedded = json.loads(pdf.read_attachments(io.BytesIO(data))["result.json"])
    assert embedded["report"]["pages"] == len(reader.pages)
    for i, page in enumerate(reader.pages, 1):
        text = " ".join(page.extract_text().split())
        for _, mark in view.page_marks(result):
            assert mark in text, (i, mark)


# -- the forgeries of the issue -------------------------------------------------------------------

def _replace_attachments(data: bytes, files: dict[str, bytes], doc_id: str | None) -> bytes:
    w = pypdf_writer(data)
    del w._root_object["/Names"]["/EmbeddedFiles"]
    for name, content in sorted(files.items()):
        w.add_attachment(name, content)
    if doc_id is not None:
        w.add_metadata({"/designationdocumentid": doc_id})
    return to_bytes(w)


def test_attachments_and_id_of_a_designated_report_under_not_designated_pages(reports, tmp_path):
    genuine = reports["designated"]
    files = pdf.read_attachments(io.BytesIO(genuine[1]))
    forged = _replace_attachments(reports["not"][1], files, view.document_id(genuine[0]))
    out = refused(write(tmp_path, forged), "outcome headline", "“Designated”", "document id")
    assert "is not printed on any page" in out


def _stamp_page(text: str = "Designated"):
    """A one-page PDF with ``text`` in big Helvetica, as any PDF library draws a stamp."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    w = PdfWriter()
    page = w.add_blank_page(595, 842)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica-Bold")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/FStamp"): w._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(f"q 0 0.5 0 rg BT /FStamp 48 Tf 120 430 Td ({text}) Tj ET Q".encode())
    page[NameObject("/Contents")] = w._add_object(stream)
    return w, page


def test_a_designated_stamp_merged_over_the_cover_with_pypdf(reports, tmp_path):
    w = pypdf_writer(reports["not"][1])
    _, stamp = _stamp_page()
    w.pages[0].merge_page(stamp)
    refused(write(tmp_path, to_bytes(w)), "page 1", "Designated", "font the report never uses")


def test_a_designated_stamp_overlaid_with_pikepdf(reports, tmp_path):
    import pikepdf

    sw, _ = _stamp_page()
    stamp_pdf = pikepdf.open(io.BytesIO(to_bytes(sw)))
    doc = pikepdf.open(io.BytesIO(reports["not"][1]))
    doc.pages[0].add_overlay(stamp_pdf.pages[0])
    buf = io.BytesIO()
    doc.save(buf)
    refused(write(tmp_path, buf.getvalue()), "page 1")


def test_a_stamp_annotation_over_the_cover(reports, tmp_path):
    from pypdf.annotations import FreeText

    w = pypdf_writer(reports["not"][1])
    w.add_annotation(0, FreeText(text="Designated", rect=(100, 400, 500, 480), font_size="40pt"))
    refused(write(tmp_path, to_bytes(w)), "page 1", "annotation")


@pytest.mark.parametrize("tool", ["pypdf", "pikepdf"])
def test_every_page_but_the_first_removed(reports, tmp_path, tool):
    if tool == "pypdf":
        w = pypdf_writer(reports["not"][1])
        while len(w.pages) > 1:
            w.remove_page(len(w.pages) - 1)
        data = to_bytes(w)
    else:
        import pikepdf

        doc = pikepdf.open(io.BytesIO(reports["not"][1]))
        del doc.pages[1:]
        buf = io.BytesIO()
        doc.save(buf)
        data = buf.getvalue()
    out = refused(write(tmp_path, data), "pages were removed")
    assert "Page 1 of 1" in out  # the cover says "Page 1 of N"


def _name_tree_append(data: bytes, key: str, content: bytes, *, uf: str | None = None, f: str | None = None,
                      first: bool = False) -> bytes:
    """Add one more embedded file to the name tree, with the given names."""
    from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, TextStringObject)

    w = pypdf_writer(data)
    stream = DecodedStreamObject()
    stream.set_data(content)
    stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
    spec = DictionaryObject({
        NameObject("/Type"): NameObject("/Filespec"),
        NameObject("/F"): TextStringObject(f or key), NameObject("/UF"): TextStringObject(uf or key),
        NameObject("/EF"): DictionaryObject({NameObject("/F"): w._add_object(stream)}),
    })
    names = w._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    entry = [TextStringObject(key), w._add_object(spec)]
    new = ArrayObject(entry + list(names) if first else list(names) + entry)
    w._root_object["/Names"]["/EmbeddedFiles"][NameObject("/Names")] = new
    return to_bytes(w)


def test_two_attachments_named_submission_yaml(reports, tmp_path):
    result, data, sub = reports["not"]
    altered = sub.read_bytes().replace(b"accepts_ambulances: false", b"accepts_ambulances: true")
    assert altered != sub.read_bytes()
    forged = _name_tree_append(data, "submission.yaml", altered)
    refused(write(tmp_path, forged), "2 attachments are named “submission.yaml”")


def test_an_altered_attachment_shown_as_submission_yaml(reports, tmp_path):
    """The viewer shows the altered file as submission.yaml; the genuine one hides under another name."""
    result, data, sub = reports["not"]
    altered = sub.read_bytes().replace(b"accepts_ambulances: false", b"accepts_ambulances: true")
    w = pypdf_writer(data)
    names = w._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    from pypdf.generic import TextStringObject

    for i in range(0, len(names), 2):
        if names[i] == "submission.yaml":
            names[i + 1].get_object()[pypdf_name("/UF")] = TextStringObject("original-submission.yaml")
    forged = _name_tree_append(to_bytes(w), "x.yaml", altered, uf="submission.yaml", f="x.yaml")
    out = refused(write(tmp_path, forged), "names differ")
    assert "original-submission.yaml" in out and "x.yaml" in out


def pypdf_name(n: str):
    from pypdf.generic import NameObject

    return NameObject(n)


def test_an_extra_attachment_is_tampering(reports, tmp_path):
    forged = _name_tree_append(reports["not"][1], "notes.txt", b"hello")
    refused(write(tmp_path, forged), "unexpected attachment “notes.txt”")


@pytest.mark.parametrize("metadata", ["removed", "rewritten"])
def test_an_altered_submission_with_its_result_recomputed(reports, tmp_path, specs_env, metadata):
    result, data, sub = reports["not"]
    altered = tmp_path / sub.name
    altered.write_bytes(sub.read_bytes().replace(b"accepts_ambulances: false", b"accepts_ambulances: true"))
    fresh = api.assess_path(altered)
    assert fresh.status == "designated"
    files = pdf.read_attachments(io.BytesIO(data))
    files["submission.yaml"] = altered.read_bytes()
    files["result.json"] = view.result_json(pdf.with_pages(fresh.to_json(), "site", json.loads(
        files["result.json"])["report"]["pages"]))
    forged = _replace_attachments(data, files, view.document_id(fresh.to_json()) if metadata == "rewritten" else None)
    if metadata == "removed":
        w = pypdf_writer(forged)
        meta = dict(w.metadata)
        meta.pop("/designationdocumentid")
        w.metadata = None
        w.add_metadata(meta)
        forged = to_bytes(w)
    refused(write(tmp_path, forged), "outcome headline", "document id")


def test_an_incremental_update_to_an_unsigned_report(reports, tmp_path):
    """A change appended with pyHanko's incremental writer (no signature involved)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils import generic

    w = IncrementalPdfFileWriter(io.BytesIO(reports["not"][1]))
    info = w.trailer["/Info"]
    info[generic.NameObject("/Subject")] = generic.TextStringObject("Designated")
    w.update_container(info)
    buf = io.BytesIO()
    w.write(buf)
    refused(write(tmp_path, buf.getvalue()), "incremental update")


# -- bad input --------------------------------------------------------------------------------

def test_not_a_pdf(tmp_path):
    refused(write(tmp_path, b"hello, I am a text file\n", "text.pdf"), "not a PDF")


def test_a_truncated_pdf(reports, tmp_path):
    data = reports["not"][1]
    refused(write(tmp_path, data[: len(data) // 2]), "truncated")


def test_a_pdf_damaged_in_the_middle(reports, tmp_path):
    data = reports["not"][1]
    cut = data[:2000] + data[2500:]
    out = refused(write(tmp_path, cut))
    assert "damaged" in out or "truncated" in out or "not printed" in out


def test_an_encrypted_pdf(reports, tmp_path):
    w = pypdf_writer(reports["not"][1])
    w.encrypt(user_password="", owner_password="secret", algorithm="AES-128")
    refused(write(tmp_path, to_bytes(w)), "encrypted")


def _bomb(megabytes: int) -> bytes:
    """zlib data that inflates to ``megabytes`` of zeros (about 1000:1)."""
    c = zlib.compressobj(9)
    chunk = b"\0" * 2**20
    return b"".join(c.compress(chunk) for _ in range(megabytes)) + c.flush()


def test_a_decompression_bomb_in_a_page_is_refused_within_bounded_memory(reports, tmp_path):
    from pypdf.generic import NameObject, StreamObject

    w = pypdf_writer(reports["not"][1])
    stream = StreamObject()
    stream._data = _bomb(1024)  # 1 GB when inflated
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    w.pages[1][NameObject("/Contents")] = w._add_object(stream)
    path = write(tmp_path, to_bytes(w))
    assert path.stat().st_size < 10 * 2**20
    tracemalloc.start()
    try:
        v = verify_report(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not v.ok and v.problems
    assert peak < 300 * 2**20, f"peak {peak / 2**20:.0f} MB"


def test_an_attachment_over_the_size_limit(reports, tmp_path):
    from pypdf.generic import NameObject

    w = pypdf_writer(reports["not"][1])
    names = w._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    for i in range(0, len(names), 2):
        if names[i] == "submission.yaml":
            stream = names[i + 1].get_object()["/EF"]["/F"].get_object()
            stream._data = _bomb(200)
            stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    path = write(tmp_path, to_bytes(w))
    tracemalloc.start()
    try:
        out = refused(path, "submission.yaml", "size limit")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 300 * 2**20
    assert out


def test_library_log_noise_never_reaches_the_user(reports, tmp_path):
    """pypdf warns about damaged files through logging and warnings: none of it is printed."""
    data = reports["not"][1]
    damaged = write(tmp_path, data.replace(b"startxref", b"startxreF", 1))
    proc = subprocess.run([sys.executable, "-m", "designation.cli", "verify", str(damaged)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines and all(line.startswith(str(damaged)) for line in lines), proc.stderr
    assert "pypdf" not in proc.stderr.lower() and "Traceback" not in proc.stderr


# -- batch: the manifest, stale outputs, the network summary -----------------------------------------

@pytest.fixture(scope="module")
def batch_run(specs_env, tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    folder = d / "in"
    folder.mkdir()
    write_yaml(folder / "alpha.yaml", submission())
    beta = submission(answers={**GOOD_ANSWERS, "accepts_ambulances": False})
    beta["site"] = {**beta["site"], "name": "Beta Hospital", "code": "BET01"}
    write_yaml(folder / "beta.yaml", beta)
    out = d / "out"
    res = run("batch", folder, "-o", out, "--jobs", "1", "--created", "2026-10-20T09:00:00")
    assert res.exit_code == 0, res.output
    return folder, out


def test_batch_writes_a_manifest_every_output_verifies_against(batch_run):
    folder, out = batch_run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["schema"] == "designation.manifest/1" and manifest["engine_version"]
    assert {d["json"] for d in manifest["documents"]} == {"alpha.json", "beta.json"}
    for d in manifest["documents"]:
        assert d["pdf_sha256"] and d["json_sha256"] and d["inputs"]["submission_sha256"]
    assert manifest["network"]["pdf_sha256"] and manifest["network"]["csv_sha256"]
    for name in ("alpha.pdf", "beta.pdf", "network-summary.pdf"):
        res = run("verify", out / name, "--manifest", out / "manifest.json")
        assert res.exit_code == 0, res.output
        assert "only a signature or a published manifest" not in res.output


def test_the_network_summary_is_verified_like_a_site_report(batch_run, tmp_path):
    folder, out = batch_run
    res = run("verify", out / "network-summary.pdf")
    assert res.exit_code == 0, res.output
    assert "2 sites" in res.output and "1 designated" in res.output and "1 not designated" in res.output
    data = (out / "network-summary.pdf").read_bytes()
    files = pdf.read_attachments(io.BytesIO(data))
    doc = json.loads(files["results.json"])
    assert {s["document_id"] for s in doc["sites"]} == {
        d["document_id"] for d in json.loads((out / "manifest.json").read_text())["documents"]}
    # a forger makes Beta designated in the embedded results
    for s in doc["sites"]:
        s["result"]["outcome"]["status"] = "designated"
    files["results.json"] = view.result_json(doc)
    forged = _replace_attachments(data, files, None)
    refused(write(tmp_path, forged), "not the one the summary was rendered from", "network-matrix.csv")


def test_a_stale_pdf_fails_against_the_manifest_after_no_pdf(batch_run, specs_env, tmp_path):
    import shutil

    folder, out = batch_run
    stale = tmp_path / "out"
    shutil.copytree(out, stale)
    old_pdf = (stale / "beta.pdf").read_bytes()
    beta = json.loads((stale / "beta.json").read_text())
    text = (folder / "beta.yaml").read_text().replace("accepts_ambulances: false", "accepts_ambulances: true")
    changed = tmp_path / "in"
    shutil.copytree(folder, changed)
    (changed / "beta.yaml").write_text(text)
    res = run("batch", changed, "-o", stale, "--no-pdf", "--jobs", "1")
    assert res.exit_code == 0, res.output
    manifest = json.loads((stale / "manifest.json").read_text())
    entry = next(d for d in manifest["documents"] if d["json"] == "beta.json")
    assert entry["document_id"] != view.document_id(beta) and entry["pdf"] is None
    assert not (stale / "beta.pdf").exists()  # set aside: nothing in the folder looks current that is not
    assert (stale / "stale" / "beta.pdf").read_bytes() == old_pdf
    assert "beta" in res.output and "stale" in res.output
    kept = stale / "beta.pdf"  # someone keeps a copy of the old PDF: it fails against the new manifest
    kept.write_bytes(old_pdf)
    refused(kept, "stale", manifest=str(stale / "manifest.json"))
    # the unchanged site's PDF still verifies against the new manifest
    res = run("verify", stale / "alpha.pdf", "--manifest", stale / "manifest.json")
    assert res.exit_code == 0, res.output


def test_an_altered_pdf_fails_against_the_manifest(batch_run, tmp_path):
    folder, out = batch_run
    w = pypdf_writer((out / "alpha.pdf").read_bytes())
    w.add_metadata({"/Subject": "edited"})
    refused(write(tmp_path, to_bytes(w), "alpha.pdf"), "SHA-256 differs",
            manifest=str(out / "manifest.json"))


def test_verify_json_states_what_it_confirmed_and_what_differs(reports, tmp_path):
    path = write(tmp_path, reports["not"][1], "genuine.pdf")
    res = run("verify", path, "--format", "json", "-o", tmp_path / "check.json")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "check.json").read_text())
    assert doc["ok"] is True and doc["kind"] == "site" and doc["differences"] == []
    assert doc["document_id"] == view.document_id(reports["not"][0])
    assert view.headline_text(reports["not"][0]) in doc["confirmed"] and doc["warnings"]
    w = pypdf_writer(reports["not"][1])
    while len(w.pages) > 1:
        w.remove_page(1)
    res = run("verify", write(tmp_path, to_bytes(w)), "--format", "json")
    assert res.exit_code == 1
    doc = json.loads(res.output[res.output.index("{"):])
    assert doc["ok"] is False and doc["confirmed"] is None
    assert any("pages were removed" in d for d in doc["differences"])


@pytest.mark.parametrize("count, megabytes, says", [(40, 74, "size limit of 64 MB"), (3, 30, "attachments are over")],
                         ids=["forty 74 MB attachments", "three 30 MB attachments"])
def test_many_compressed_attachments_are_refused_within_bounded_memory(reports, tmp_path, count, megabytes, says):
    from pypdf.generic import NameObject

    bomb = _bomb(megabytes)
    w = pypdf_writer(reports["not"][1])
    for i in range(count):
        w.add_attachment(f"extra-{i}.bin", b"x")
    names = w._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    for i in range(0, len(names), 2):
        if str(names[i]).startswith("extra-"):
            stream = names[i + 1].get_object()["/EF"]["/F"].get_object()
            stream._data = bomb
            stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    path = write(tmp_path, to_bytes(w))
    tracemalloc.start()
    try:
        out = refused(path, says)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 300 * 2**20, f"{peak / 2**20:.0f} MB at peak"
    assert out
