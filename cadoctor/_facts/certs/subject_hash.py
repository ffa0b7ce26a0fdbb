"""OpenSSL's subject-name hash (`X509_NAME_hash_ex`): the name of a certificate's link in a CA directory."""

from __future__ import annotations

import hashlib

from cadoctor._facts.certs.der import MalformedDER, read_tlv

# Tags of the string types OpenSSL canonicalises (ASN1_MASK_CANON), with how each decodes to text.
_CANONICAL_STRINGS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "latin-1",  # PrintableString
    0x14: "latin-1",  # T61String (OpenSSL reads it as Latin-1)
    0x16: "latin-1",  # IA5String
    0x1A: "latin-1",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}


def _encode_length(length: int) -> bytes:
    """Encode a DER length."""
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, content: bytes) -> bytes:
    """Encode one DER element."""
    return bytes([tag]) + _encode_length(len(content)) + content


def _canonical_text(raw: bytes) -> bytes:
    """Trim, fold inner white space to one space and lower-case ASCII, as OpenSSL's asn1_string_canon.

    `bytes.split()` splits on exactly the ASCII white space OpenSSL folds, and `bytes.lower()` lowers only A-Z.
    """
    return b" ".join(raw.split()).lower()


def _canonical_entry(entry: bytes) -> bytes:
    """Re-encode one AttributeTypeAndValue with its value canonicalised."""
    _tag, start, _end = read_tlv(entry, 0)
    _oid_tag, _oid_start, oid_end = read_tlv(entry, start)
    value_tag, value_start, value_end = read_tlv(entry, oid_end)
    value = entry[value_start:value_end]
    encoding = _CANONICAL_STRINGS.get(value_tag)
    if encoding is not None:
        try:
            text = value.decode(encoding)
        except UnicodeDecodeError as exc:
            raise MalformedDER("undecodable string") from exc
        value_tag, value = 0x0C, _canonical_text(text.encode("utf-8"))
    return _tlv(0x30, entry[start:oid_end] + _tlv(value_tag, value))


def canonical_name(name_der: bytes) -> bytes:
    """Return OpenSSL's canonical encoding of a DER Name: each RDN as a sorted SET, without the outer SEQUENCE."""
    tag, start, end = read_tlv(name_der, 0)
    if tag != 0x30:
        raise MalformedDER("a Name is a SEQUENCE")
    out = bytearray()
    at = start
    while at < end:
        _set_tag, set_start, set_end = read_tlv(name_der, at)
        entries = []
        inner = set_start
        while inner < set_end:
            _, _, entry_end = read_tlv(name_der, inner)
            entries.append(_canonical_entry(name_der[inner:entry_end]))
            inner = entry_end
        out += _tlv(0x31, b"".join(sorted(entries)))
        at = set_end
    return bytes(out)


def subject_hash(name_der: bytes) -> str:
    """Return the 8-hex-digit hash OpenSSL uses for `<hash>.<n>` links (`openssl x509 -subject_hash`)."""
    digest = hashlib.sha1(canonical_name(name_der)).digest()  # noqa: S324 - OpenSSL's choice, not ours
    return "%08x" % int.from_bytes(digest[:4], "little")
