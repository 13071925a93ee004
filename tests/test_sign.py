"""Signed reports (PAdES, pyHanko): signing from the CLI, verify's verdict on the signature, and
poppler's ``pdfsig`` as an independent reader. Test certificates are made here (no network)."""
from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from designation import api
from designation.cli import main

from .conftest import FIXTURES, ROOT, submission, write_yaml

pytest.importorskip("pyhanko", reason="signing is the optional designation[sign] extra")

CREATED = dt.datetime(2026, 10, 20, 9, 0, tzinfo=dt.timezone.utc)
PASSPHRASE = "correct horse battery staple"


# -- certificates ---------------------------------------------------------------------------------

def _name(cn: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test UEC Network")])


def make_pki(folder: Path, tag: str, *, expired: bool = False) -> dict[str, Path]:
    """A self-signed CA and a signer it issued; files: ca.pem, key.pem (encrypted), cert.pem, key.p12."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name(f"{tag} CA")).issuer_name(_name(f"{tag} CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=3650)).not_valid_after(now + dt.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = ((now - dt.timedelta(days=800), now - dt.timedelta(days=400)) if expired
                  else (now - dt.timedelta(days=1), now + dt.timedelta(days=365)))
    cert = (x509.CertificateBuilder().subject_name(_name(f"{tag} signer")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    enc = serialization.BestAvailableEncryption(PASSPHRASE.encode())
    files = {"ca": folder / "ca.pem", "key": folder / "key.pem", "cert": folder / "cert.pem", "p12": folder / "key.p12"}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc))
    files["p12"].write_bytes(pkcs12.serialize_key_and_certificates(b"signer", key, cert, [ca], enc))
    return files


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    root = tmp_path_factory.mktemp("pki")
    return {"network": make_pki(root / "network", "South Test Network"),
            "other": make_pki(root / "other", "Someone Else"),
            "expired": make_pki(root / "expired", "Lapsed Network", expired=True)}


@pytest.fixture(scope="module")
def specs_env():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESIGNATION_SPECS", str(FIXTURES / "specs"))
        mp.setenv("DESIGNATION_SIGN_PASSPHRASE", PASSPHRASE)
        yield


@pytest.fixture(scope="module")
def unsigned(specs_env, tmp_path_factory):
    d = tmp_path_factory.mktemp("signed")
    sub = write_yaml(d / "site.yaml", submission())
    out = d / "site.pdf"
    api.write_report(api.assess_path(sub), out, created=CREATED)
    return sub, out.read_bytes()


def signed_bytes(data: bytes, files: dict[str, Path]) -> bytes:
    from designation.report import sign

    config = sign.SignConfig(str(files["p12"]), None, PASSPHRASE.encode())
    return sign.signer_for(config)(data)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def put(tmp_path: Path, data: bytes, name: str = "r.pdf") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


# -- signing and verifying --------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["p12", "pem"])
def test_report_sign_then_verify_with_the_networks_certificate(specs_env, unsigned, pki, tmp_path, form):
    sub, _ = unsigned
    files = pki["network"]
    out = tmp_path / "signed.pdf"
    key_args = ["--sign", files["p12"]] if form == "p12" else ["--sign", files["key"], "--cert", files["cert"]]
    res = run("report", sub, "-o", out, "--created", "2026-10-20T09:00:00", *key_args)
    assert res.exit_code == 0, res.output
    res = run("verify", out, "--trust", files["ca"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("ok: ") and "Designated" in res.output
    assert "signed by" in res.output and "South Test Network signer" in res.output
    assert "only a signature or a published manifest" not in res.output  # a signed report needs no warning


def test_pinning_the_signers_own_certificate_also_trusts_it(unsigned, pki, tmp_path):
    path = put(tmp_path, signed_bytes(unsigned[1], pki["network"]))
    res = run("verify", path, "--trust", pki["network"]["cert"])
    assert res.exit_code == 0, res.output


def test_pdfsig_independently_finds_a_valid_signature_over_the_whole_file(unsigned, pki, tmp_path):
    if not shutil.which("pdfsig"):
        pytest.skip("pdfsig (poppler-utils) is not installed")
    path = put(tmp_path, signed_bytes(unsigned[1], pki["network"]))
    proc = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    assert "Signature is Valid" in proc.stdout, proc.stdout + proc.stderr
    assert "Total document signed" in proc.stdout, proc.stdout
    assert "South Test Network signer" in proc.stdout


def test_a_signature_by_an_untrusted_certificate(unsigned, pki, tmp_path):
    path = put(tmp_path, signed_bytes(unsigned[1], pki["other"]))
    res = run("verify", path, "--trust", pki["network"]["ca"])
    assert res.exit_code == 1 and "not one of the trusted certificates" in res.output, res.output
    res = run("verify", path)  # no --trust: nothing vouches for a private network's certificate
    assert res.exit_code == 1 and "not trusted" in res.output and "--trust" in res.output, res.output


def test_an_expired_certificate(unsigned, pki, tmp_path):
    path = put(tmp_path, signed_bytes(unsigned[1], pki["expired"]))
    res = run("verify", path, "--trust", pki["expired"]["ca"])
    assert res.exit_code == 1 and "expired" in res.output, res.output


def test_an_incremental_update_after_the_signature(unsigned, pki, tmp_path):
    """A stamp annotation appended after signing, the way a PDF editor saves (incrementally)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    signed = signed_bytes(unsigned[1], pki["network"])
    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref = w.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    annot = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (100, 400, 500, 480)]),
        generic.NameObject("/Contents"): generic.TextStringObject("Designated"),
        generic.NameObject("/DA"): generic.TextStringObject("/Helv 40 Tf 0 g"),
    })
    annots = page.get("/Annots", generic.ArrayObject())
    annots.append(w.add_object(annot))
    page[generic.NameObject("/Annots")] = annots
    w.update_container(page)
    buf = io.BytesIO()
    w.write(buf)
    res = run("verify", put(tmp_path, buf.getvalue()), "--trust", pki["network"]["ca"])
    assert res.exit_code == 1, res.output
    assert "after it was signed" in res.output and "annotation" in res.output


def test_a_signed_report_rewritten_by_a_pdf_library(unsigned, pki, tmp_path):
    from pypdf import PdfReader, PdfWriter

    signed = signed_bytes(unsigned[1], pki["network"])
    w = PdfWriter(clone_from=PdfReader(io.BytesIO(signed)))
    w.add_metadata({"/Subject": "Designated"})
    buf = io.BytesIO()
    w.write(buf)
    res = run("verify", put(tmp_path, buf.getvalue()), "--trust", pki["network"]["ca"])
    assert res.exit_code == 1 and "changed after signing" in res.output, res.output


def test_an_unsigned_report_when_a_signature_is_expected(unsigned, pki, tmp_path):
    res = run("verify", put(tmp_path, unsigned[1]), "--trust", pki["network"]["ca"])
    assert res.exit_code == 1 and "not signed" in res.output


def test_without_pyhanko_a_signed_report_fails_closed(unsigned, pki, tmp_path):
    path = put(tmp_path, signed_bytes(unsigned[1], pki["network"]))
    code = ("import sys; sys.modules['pyhanko'] = None; from designation.cli import main; "
            f"main(['verify', {str(path)!r}])")
    env = {**os.environ, "DESIGNATION_SPECS": str(FIXTURES / "specs")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "ok:" not in proc.stdout and "designation[sign]" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_passphrase_is_never_an_argument(specs_env, unsigned, pki, tmp_path, monkeypatch):
    sub, _ = unsigned
    res = run("report", sub, "-o", tmp_path / "x.pdf", "--sign", pki["network"]["p12"], "--passphrase", "x")
    assert res.exit_code == 2  # no such option
    monkeypatch.delenv("DESIGNATION_SIGN_PASSPHRASE")
    res = run("report", sub, "-o", tmp_path / "x.pdf", "--sign", pki["network"]["p12"])
    assert res.exit_code == 1 and "DESIGNATION_SIGN_PASSPHRASE" in res.output, res.output
    assert not (tmp_path / "x.pdf").exists()
    monkeypatch.setenv("DESIGNATION_SIGN_PASSPHRASE", "wrong")
    res = run("report", sub, "-o", tmp_path / "x.pdf", "--sign", pki["network"]["p12"])
    assert res.exit_code == 1 and "passphrase" in res.output, res.output
    assert "Traceback" not in res.output and not (tmp_path / "x.pdf").exists()


def test_batch_signs_every_pdf_and_the_manifest(specs_env, pki, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_yaml(folder / "alpha.yaml", submission())
    out = tmp_path / "out"
    res = run("batch", folder, "-o", out, "--jobs", "1", "--sign", pki["network"]["key"], "--cert", pki["network"]["cert"])
    assert res.exit_code == 0, res.output
    assert (out / "manifest.json.p7s").is_file()
    for name in ("alpha.pdf", "network-summary.pdf"):
        res = run("verify", out / name, "--manifest", out / "manifest.json", "--trust", pki["network"]["ca"])
        assert res.exit_code == 0, res.output
        assert "South Test Network signer" in res.output
    # the manifest edited after signing (a forger lists their own PDF's hash)
    manifest = out / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"alpha.pdf"', '"alpha.pdf" ', 1))
    res = run("verify", out / "alpha.pdf", "--manifest", manifest, "--trust", pki["network"]["ca"])
    assert res.exit_code == 1 and "manifest" in res.output and "changed after signing" in res.output, res.output


@pytest.fixture
def local_tsa(pki, tmp_path):
    """An RFC 3161 timestamp server on localhost (pyHanko's DummyTimeStamper behind http.server),
    with a self-signed timestamping certificate."""
    import http.server
    import threading

    from asn1crypto import tsp
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
    from pyhanko.sign.timestamps import DummyTimeStamper

    now = dt.datetime.now(dt.timezone.utc)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's dummy TSA is RSA-only
    tsa_cert = (x509.CertificateBuilder().subject_name(_name("Test TSA")).issuer_name(_name("Test TSA"))
                .public_key(tsa_key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
                .sign(tsa_key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "tsa.pem", tmp_path / "tsa.key"
    cert_path.write_bytes(tsa_cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(tsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    stamper = DummyTimeStamper(tsa_cert=load_cert_from_pemder(str(cert_path)),
                               tsa_key=load_private_key_from_pemder(str(key_path), passphrase=None))
    served = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            req = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(req).dump()
            served.append(len(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", cert_path, served
    finally:
        server.shutdown()
        thread.join(5)


def test_a_timestamp_server_gives_a_b_t_signature(specs_env, unsigned, pki, local_tsa, tmp_path):
    url, tsa_cert, served = local_tsa
    sub, _ = unsigned
    out = tmp_path / "bt.pdf"
    res = run("report", sub, "-o", out, "--sign", pki["network"]["p12"], "--timestamp-url", url)
    assert res.exit_code == 0, res.output
    assert served, "the timestamp server was never asked"
    res = run("verify", out, "--trust", pki["network"]["ca"], "--trust", tsa_cert)
    assert res.exit_code == 0, res.output
    assert "timestamped" in res.output
