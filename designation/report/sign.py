"""Signed reports and manifests (PAdES with pyHanko), and checking their signatures.

pyHanko is an optional extra (``pip install designation[sign]``) and is imported only here,
inside the functions that need it: nothing else pays for it, and a signed report checked
without it fails closed (never "ok").

* :func:`load_signer` reads ``KEY.p12`` (or ``KEY.pem`` with ``CERT.pem``); the passphrase comes
  from ``$DESIGNATION_SIGN_PASSPHRASE`` or a prompt, never from a command-line argument.
* :func:`sign_pdf` adds a PAdES baseline B-B signature (B-T with ``timestamp_url``) as an
  incremental update after rendering, so the rendered bytes stay as they were.
* :func:`validate` checks a signed PDF: intact, covering the whole file (nothing added after
  signing), made with a certificate that is trusted (``--trust``) and within its validity.
* :func:`sign_detached` / :func:`validate_detached` do the same for ``manifest.json``
  (a detached CMS signature in ``manifest.json.p7s``).
"""
from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

PASSPHRASE_ENV = "DESIGNATION_SIGN_PASSPHRASE"
FIELD_NAME = "DesignationSignature"
INSTALL_HINT = "install the signing extra: pip install 'designation[sign]'"


class SignError(Exception):
    """The key or certificate cannot be used to sign (one clear sentence)."""


@dataclass(frozen=True)
class SignConfig:
    """How to sign, as plain data: picklable, so batch workers load the key themselves."""

    key: str
    cert: Optional[str] = None
    passphrase: Optional[bytes] = None
    timestamp_url: Optional[str] = None


@dataclass
class SignatureCheck:
    signer: Optional[str] = None
    problems: list[str] = field(default_factory=list)
    timestamp: Optional[dt.datetime] = None  # a trusted timestamp (PAdES B-T), when there is one


def _pyhanko() -> Any:
    try:
        import pyhanko  # noqa: F401
        from pyhanko.sign import signers
    except ImportError:
        raise SignError(f"signing needs pyHanko, which is not installed: {INSTALL_HINT}") from None
    return signers


def load_signer(config: SignConfig) -> Any:
    """A pyHanko signer for ``config``, or :class:`SignError` naming what is wrong."""
    _pyhanko()
    import logging

    from pyhanko.sign import signers

    key = Path(config.key)
    if not key.is_file():
        raise SignError(f"{config.key}: no such key file")
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL + 1)  # its own "could not load" lines
    try:
        if key.suffix.lower() in (".p12", ".pfx"):
            if config.cert:
                raise SignError(f"{config.key}: a PKCS#12 file holds its certificate; do not give --cert")
            signer = signers.SimpleSigner.load_pkcs12(str(key), passphrase=config.passphrase)
        else:
            if not config.cert:
                raise SignError(f"{config.key}: a PEM key needs its certificate: --cert CERT.pem")
            if not Path(config.cert).is_file():
                raise SignError(f"{config.cert}: no such certificate file")
            signer = signers.SimpleSigner.load(str(key), config.cert, key_passphrase=config.passphrase)
    except SignError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise SignError(f"{config.key}: cannot load the key ({exc})") from None
    if signer is None:
        raise SignError(f"{config.key}: cannot load the key and certificate (wrong passphrase? set "
                        f"${PASSPHRASE_ENV} or type it when asked)")
    return signer


def needs_passphrase(key: str) -> bool:
    """Whether a key file is protected (so the CLI knows to ask for a passphrase)."""
    data = Path(key).read_bytes()
    if key.lower().endswith((".p12", ".pfx")):
        from cryptography.hazmat.primitives.serialization import pkcs12

        try:
            pkcs12.load_key_and_certificates(data, None)
            return False
        except (ValueError, TypeError):
            return True
    return b"ENCRYPTED" in data[:4096]


def signer_for(config: SignConfig) -> Callable[[bytes], bytes]:
    """A function from rendered PDF bytes to signed PDF bytes (the key is loaded once)."""
    signer = load_signer(config)
    return lambda data: sign_pdf(data, signer, timestamp_url=config.timestamp_url)


def sign_pdf(data: bytes, signer: Any, *, timestamp_url: Optional[str] = None) -> bytes:
    """``data`` with a PAdES B-B signature (B-T when a timestamp server is given) appended."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    timestamper = None
    if timestamp_url:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        timestamper = HTTPTimeStamper(timestamp_url)
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason="Designation report issued by the network")
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    out = signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(writer, output=io.BytesIO())
    return out.getvalue()


def _context(trust: Sequence[str | os.PathLike]) -> Any:
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko_certvalidator import ValidationContext

    roots = []
    for path in trust:
        try:
            roots.append(load_cert_from_pemder(str(path)))
        except (OSError, ValueError, TypeError) as exc:
            raise SignError(f"{path}: not a certificate ({exc})") from None
    if roots:
        return ValidationContext(trust_roots=roots, allow_fetching=False)
    return ValidationContext(allow_fetching=False)


def _who(cert: Any) -> str:
    try:
        return str(cert.subject.human_friendly)
    except Exception:  # an odd subject: still say something
        return "an unnamed signer"


def _trust_problems(status: Any, cert: Any, trust: Sequence[str | os.PathLike]) -> list[str]:
    who = _who(cert)
    now = dt.datetime.now(dt.timezone.utc)
    out = []
    if cert is not None:
        validity = cert["tbs_certificate"]["validity"]
        start, end = validity["not_before"].native, validity["not_after"].native
        if end < now:
            out.append(f"the signing certificate ({who}) expired on {end:%d %b %Y}")
        elif start > now:
            out.append(f"the signing certificate ({who}) is not valid until {start:%d %b %Y}")
    if not status.trusted and not out:
        why = getattr(status, "trust_problem_indic", None)
        if why is not None and "NO_CERTIFICATE_CHAIN_FOUND" not in str(why):
            out.append(f"the report is signed by {who}, whose certificate cannot be used to sign reports "
                       f"({str(why).split('.')[-1].replace('_', ' ').lower()})")
        elif trust:
            out.append(f"the report is signed by {who}, whose certificate is not one of the trusted "
                       "certificates given with --trust, nor issued by one")
        else:
            out.append(f"the report is signed by {who}, whose certificate is not trusted: "
                       "give the network's certificate with --trust CERT")
    return out


def validate(data: bytes, trust: Sequence[str | os.PathLike] = ()) -> SignatureCheck:
    """Check the signature of a signed report (see the module docstring)."""
    check = SignatureCheck()
    try:
        _pyhanko()
        from pyhanko.pdf_utils.misc import PdfError
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation.errors import SignatureValidationError
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko.sign.validation.status import SignatureCoverageLevel
    except SignError:
        check.problems.append(f"the report is signed, but its signature cannot be checked here: {INSTALL_HINT}")
        return check
    try:
        context = _context(trust)
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
        if len(sigs) != 1:
            check.problems.append(f"the report carries {len(sigs)} signatures; a report is signed once")
            return check
        status = validate_pdf_signature(sigs[0], context)
    except SignError as exc:
        check.problems.append(str(exc))
        return check
    except (PdfError, SignatureValidationError, ValueError, KeyError, TypeError, OSError) as exc:
        check.problems.append(f"the signature cannot be read: {type(exc).__name__}: {str(exc)[:160]}")
        return check
    cert = status.signing_cert
    check.signer = _who(cert)
    if not status.intact:
        check.problems.append("the signature does not match the file: it was changed after signing")
        return check
    if not status.valid:
        check.problems.append("the signature is not valid (the signed data and the signature disagree)")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        check.problems.append("the file was changed after it was signed (an incremental update was appended)")
    check.problems += _trust_problems(status, cert, trust)
    ts = getattr(status, "timestamp_validity", None)
    if ts is not None:
        if ts.intact and ts.valid and ts.trusted:
            check.timestamp = ts.timestamp
        else:
            check.problems.append("the signature's timestamp is not valid or not from a trusted timestamp server "
                                  "(give its certificate with --trust)")
    return check


# -- detached signatures (manifest.json) ------------------------------------------------------------

def sign_detached(data: bytes, config: SignConfig) -> bytes:
    """A DER-encoded detached CMS signature of ``data`` (for ``manifest.json.p7s``)."""
    signer = load_signer(config)
    import asyncio

    content = asyncio.run(signer.async_sign_general_data(data, "sha256", detached=True))
    return content.dump()


def validate_detached(data: bytes, signature: bytes, trust: Sequence[str | os.PathLike] = ()) -> SignatureCheck:
    """Check ``signature`` (from :func:`sign_detached`) over ``data``."""
    check = SignatureCheck()
    try:
        _pyhanko()
    except SignError:
        check.problems.append(f"the manifest is signed, but its signature cannot be checked here: {INSTALL_HINT}")
        return check
    import asyncio

    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    try:
        info = cms.ContentInfo.load(signature)
        signed = info["content"]
        status = asyncio.run(async_validate_detached_cms(data, signed, signer_validation_context=_context(trust)))
    except SignError as exc:
        check.problems.append(str(exc))
        return check
    except Exception as exc:  # asn1crypto raises many kinds on junk: all mean "unreadable"
        check.problems.append(f"the manifest's signature cannot be read ({type(exc).__name__})")
        return check
    cert = status.signing_cert
    check.signer = _who(cert)
    if not status.intact or not status.valid:
        check.problems.append("the manifest does not match its signature: it was changed after signing")
        return check
    check.problems += [p.replace("the report is", "the manifest is") for p in _trust_problems(status, cert, trust)]
    return check
