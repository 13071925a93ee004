"""Signing overhead: a site report rendered and signed (PAdES B-B, pyHanko) against the same
report rendered unsigned, interleaved in one run (goal: signing adds < 5%). Also times
``verify`` of the signed report, as context.

Run: ``python3 benchmarks/bench_sign.py [--repeat N]``. The key and certificate are made on the
spot (a throw-away self-signed CA and signer; no network).
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CREATED = dt.datetime(2026, 10, 20, 9, 0, tzinfo=dt.timezone.utc)


def make_key(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and signer: (ca.pem, key.pem, cert.pem), key unencrypted."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Bench CA")).issuer_name(name("Bench CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(name("Bench signer")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    paths = (folder / "ca.pem", folder / "key.pem", folder / "cert.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    paths[2].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return paths


def measure(repeat: int = 3) -> dict:
    from designation import api
    from designation.report import sign
    from designation.report.verify import verify_report

    a = api.assess_path(ROOT / "submissions" / "ec-northfield-conditions.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ca, key, cert = make_key(tmp)
        signer = sign.signer_for(sign.SignConfig(str(key), str(cert)))
        plain = lambda: api.write_report(a, tmp / "plain.pdf", created=CREATED)  # noqa: E731
        signed = lambda: api.write_report(a, tmp / "signed.pdf", created=CREATED, sign=signer)  # noqa: E731
        plain()
        signed()  # warm caches (fonts, templates, pyHanko's imports) for both
        t_plain, t_signed, t_sign_only = [], [], []
        data = (tmp / "plain.pdf").read_bytes()
        for _ in range(repeat):  # interleaved, so drift hits both alike
            for fn, times in ((plain, t_plain), (signed, t_signed), (lambda: signer(data), t_sign_only)):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
        start = time.perf_counter()
        verdict = verify_report(tmp / "signed.pdf", trust=[ca])
        t_verify = time.perf_counter() - start
        assert verdict.ok, verdict.problems
    p, s, only = statistics.median(t_plain), statistics.median(t_signed), statistics.median(t_sign_only)
    return {"plain": p, "signed": s, "sign_only": only, "overhead": only / p, "ratio": s / p,
            "verify": t_verify, "repeat": repeat}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    m = measure(parser.parse_args(argv).repeat)
    print(f"report unsigned   {m['plain']:.2f} s")
    print(f"report signed     {m['signed']:.2f} s  (ratio {m['ratio']:.3f})")
    print(f"signing alone     {m['sign_only'] * 1000:.0f} ms = {100 * m['overhead']:.1f}% of a report (goal < 5%)")
    print(f"verify (signed)   {m['verify']:.2f} s")
    print(f"(median of {m['repeat']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
