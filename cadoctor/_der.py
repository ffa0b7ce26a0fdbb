"""The little DER reading cadoctor needs: element bounds, and the raw names and key of a certificate."""

from __future__ import annotations

from typing import NamedTuple


class MalformedDER(ValueError):
    """The DER is malformed."""


class CertificateParts(NamedTuple):
    """The raw DER of the parts that identify a certificate, exactly as encoded."""

    issuer: bytes
    subject: bytes
    public_key: bytes


def read_tlv(data: bytes, at: int) -> tuple[int, int, int]:
    """Return (tag, start of content, end of content) of the DER element at `at`."""
    if at + 2 > len(data):
        raise MalformedDER("truncated element")
    tag = data[at]
    length = data[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or at + count > len(data):
            raise MalformedDER("bad length")
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    if at + length > len(data):
        raise MalformedDER("element overruns its container")
    return tag, at, at + length


def certificate_parts(der: bytes) -> CertificateParts:
    """Slice issuer, subject and SubjectPublicKeyInfo out of a certificate without decoding them.

    Reading them raw is several times cheaper than re-encoding what a parser decoded, and raw is what
    OpenSSL hashes and compares.
    """
    _, tbs_at, _ = read_tlv(der, 0)
    _, at, _ = read_tlv(der, tbs_at)  # inside TBSCertificate
    tag, _, end = read_tlv(der, at)
    if tag == 0xA0:  # [0] EXPLICIT version
        at = end
    elements = []
    for _ in range(5):  # serialNumber, signature, issuer, validity, subject
        _, _, end = read_tlv(der, at)
        elements.append(der[at:end])
        at = end
    _, _, end = read_tlv(der, at)
    return CertificateParts(issuer=elements[2], subject=elements[4], public_key=der[at:end])
