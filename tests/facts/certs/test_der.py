"""The stdlib DER describer agrees with cryptography on every real root on this machine and on generated chains."""

from __future__ import annotations

import contextlib
import re
import warnings
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from helpers.os_store import system_bundle_or_skip
from helpers.pki import make_chain

from cadoctor._facts.certs.chain import describe
from cadoctor._facts.certs.der import MalformedDER


def _ders(*paths: str) -> list[bytes]:
    """Every certificate of these PEM files, as DER."""
    import base64

    pattern = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END", re.S)
    return [base64.b64decode(b"".join(m.split())) for p in paths for m in pattern.findall(Path(p).read_bytes())]


def _reference(der: bytes) -> tuple[str, str, str, str, str | None, str | None]:
    """What cryptography says about the same certificate."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # non-positive serials of some real roots
        cert = x509.load_der_x509_certificate(der)
        ski = aki = None
        with contextlib.suppress(x509.ExtensionNotFound):
            ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex(":")
        with contextlib.suppress(x509.ExtensionNotFound):
            key_id = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
            aki = key_id.hex(":") if key_id else None
        return (
            cert.subject.rfc4514_string(),
            cert.issuer.rfc4514_string(),
            cert.not_valid_before_utc.isoformat(),
            cert.not_valid_after_utc.isoformat(),
            ski,
            aki,
        )


def test_describe_matches_cryptography_on_real_roots(tmp_path: Path) -> None:
    """Names, validity and key identifiers read from DER equal cryptography's for the system and certifi roots."""
    chain = make_chain(tmp_path / "pki")
    assert chain.intermediate is not None
    ders = _ders(system_bundle_or_skip(), certifi.where(), str(chain.leaf), str(chain.intermediate))
    assert len(ders) > 100
    for der in ders:
        found = describe(der)
        assert found.der == der
        assert (
            found.subject,
            found.issuer,
            found.not_before,
            found.not_after,
            found.subject_key_id,
            found.authority_key_id,
        ) == _reference(der)


def test_garbage_is_malformed() -> None:
    """Bytes that are not a certificate raise MalformedDER (a ValueError), never something else."""
    for junk in (b"", b"\x30", b"\x30\x84\xff\xff\xff\xff", b"\x30\x03\x02\x01\x00"):
        with pytest.raises((MalformedDER, ValueError, IndexError)):
            describe(junk)


def test_certificate_facts_agree_with_cryptography_on_real_roots() -> None:
    """Validity, serial sign and strict-mode fitness read from DER match cryptography on every real root here."""
    import glob
    import warnings

    import certifi
    from cryptography import x509

    from cadoctor._facts.certs.der import certificate_facts

    paths = [certifi.where(), *glob.glob("/etc/ssl/certs/ca-certificates.crt")]
    ders = _ders(*paths)
    assert len(ders) > 100
    for der in ders:
        facts = certificate_facts(der)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # serial 0 on some real roots: cryptography warns, we record it
            cert = x509.load_der_x509_certificate(der)
            assert facts.not_before == cert.not_valid_before_utc.timetuple()[:6]
            assert facts.not_after == cert.not_valid_after_utc.timetuple()[:6]
            assert facts.serial_positive == (cert.serial_number > 0)
            extensions = list(cert.extensions)
        constraints = next((e for e in extensions if isinstance(e.value, x509.BasicConstraints)), None)
        has_ski = any(isinstance(e.value, x509.SubjectKeyIdentifier) for e in extensions)
        has_usage = any(isinstance(e.value, x509.KeyUsage) for e in extensions)  # CA_CERT_MISSING_KEY_USAGE
        complete = constraints is not None and constraints.critical and has_ski and has_usage
        strict = constraints is not None and constraints.value.ca and not complete
        assert facts.strict_violation == strict
