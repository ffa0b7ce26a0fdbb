"""Generated CA files, from plain to mangled: cadoctor's count is the loaded libcrypto's, whoever reads the file.

The property that lets the scan decide plain files alone: whatever it calls plain, OpenSSL loads exactly as
scanned; whatever else it hands to OpenSSL. Files are built from real certificates and the damage real tools do
(lines re-wrapped, CR and CRLF, text between blocks, blocks glued, cut, indented, NUL bytes, random bytes).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import ssl
import tempfile
from collections import Counter

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadoctor._facts import memo
from cadoctor._facts.certs.pem import read_certificates


def _certificates(count: int) -> list[bytes]:
    """Self-signed CA certificates as PEM, made once for every example."""
    made = []
    now = datetime.datetime.now(datetime.timezone.utc)
    for index in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cadoctor Generated %d" % index)])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        made.append(certificate.public_bytes(serialization.Encoding.PEM))
    return made


PEMS = _certificates(4)


def _rewrapped(pem: bytes, width: int) -> bytes:
    """The same block with its base64 in lines of `width` characters."""
    lines = pem.splitlines()
    body = b"".join(lines[1:-1])
    wrapped = b"\n".join(body[i : i + width] for i in range(0, len(body), width))
    return lines[0] + b"\n" + wrapped + b"\n" + lines[-1] + b"\n"


# What a piece of a generated file can be: a certificate as written, or text and bytes around it.
PIECES = st.one_of(
    st.sampled_from(PEMS),
    st.builds(_rewrapped, st.sampled_from(PEMS), st.integers(min_value=4, max_value=120)),
    st.sampled_from([b"# Issuer: CN=x\n", b"\n", b"Subject: O=\xc3\xa9t\xc3\xa9\n", b"  \n", b"-----\n"]),
    st.binary(max_size=24),
)

# What a tool can do to the whole file afterwards.
DAMAGE = st.sampled_from(["none", "crlf", "cr", "glue", "cut", "indent", "nul", "bom", "strip-final-newline"])


def _damaged(data: bytes, damage: str, at: int) -> bytes:
    """The file after one kind of damage, at a position chosen by the example."""
    where = at % (len(data) + 1)
    if damage == "crlf":
        return data.replace(b"\n", b"\r\n")
    if damage == "cr":
        return data.replace(b"\n", b"\r")
    if damage == "glue":
        return data.replace(b"-----\n-----BEGIN", b"----------BEGIN", 1)
    if damage == "cut":
        return data[:where]
    if damage == "indent":
        return data.replace(b"\n-----BEGIN", b"\n -----BEGIN", 1)
    if damage == "nul":
        return data[:where] + b"\n\x00\n" + data[where:]
    if damage == "bom":
        return b"\xef\xbb\xbf" + data
    if damage == "strip-final-newline":
        return data.rstrip(b"\n")
    return data


def _openssl_loads(path: str) -> int:
    """How many distinct certificates OpenSSL's CA file reader loads (`load_verify_locations`; none on error)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with contextlib.suppress(ssl.SSLError):
        context.load_verify_locations(cafile=path)
    return int(context.cert_store_stats()["x509"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(PIECES, max_size=8), damage=DAMAGE, at=st.integers(min_value=0, max_value=10_000))
def test_the_count_is_openssls_for_any_generated_file(pieces: list[bytes], damage: str, at: int) -> None:
    """Whatever the file, the distinct certificates counted are those `load_verify_locations` loads."""
    data = _damaged(b"".join(pieces), damage, at)
    handle, path = tempfile.mkstemp(suffix=".pem")
    try:
        os.write(handle, data)
        os.lseek(handle, 0, os.SEEK_SET)
        memo.forget()
        reading = read_certificates(handle)
        expected = _openssl_loads(path)
    finally:
        os.close(handle)
        os.unlink(path)
    assert len(Counter(reading.certificates)) == expected, (data, reading.problems)
    if reading.reader is None:  # decided by the scan alone: every certificate it carries loads
        assert reading.unloaded == 0
        assert not reading.problems


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=4096), prefix=st.sampled_from([b"", b"-----BEGIN CERTIFICATE-----\n", b"0\x82"]))
def test_any_bytes_are_read_without_an_exception_and_counted_as_openssl_does(data: bytes, prefix: bytes) -> None:
    """Arbitrary bytes (some starting like PEM or DER) never raise, and count what OpenSSL loads: nothing."""
    handle, path = tempfile.mkstemp(suffix=".pem")
    try:
        os.write(handle, prefix + data)
        os.lseek(handle, 0, os.SEEK_SET)
        memo.forget()
        reading = read_certificates(handle)
        expected = _openssl_loads(path)
    finally:
        os.close(handle)
        os.unlink(path)
    assert len(Counter(reading.certificates)) == expected
