"""The little DER reading cadoctor needs: element bounds, a certificate's raw names and key, what inventories count."""

from __future__ import annotations

from cadoctor._record import record


class MalformedDER(ValueError):
    """The DER is malformed."""


@record
class CertificateParts:
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


def subject_of(der: bytes) -> bytes | None:
    """A certificate's raw subject, or None when it does not parse."""
    try:
        return certificate_parts(der).subject
    except MalformedDER:
        return None


# How a DER string type decodes to text (ASN.1 tags of the string types names use), as OpenSSL converts it.
STRING_CODECS = {
    0x0C: "utf-8",  # UTF8String
    0x12: "latin-1",  # NumericString
    0x13: "latin-1",  # PrintableString
    0x14: "latin-1",  # T61String (read as Latin-1, as OpenSSL does)
    0x16: "latin-1",  # IA5String
    0x1A: "latin-1",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}


# Short names RFC 4514 (and cryptography) use for the attribute types of real CA names.
_ATTRIBUTE_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
}


def children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """The elements inside a constructed element: (tag, element start, content start, content end)."""
    found = []
    at = start
    while at < end:
        tag, content, stop = read_tlv(data, at)
        found.append((tag, at, content, stop))
        at = stop
    return found


def tbs_fields(der: bytes) -> list[tuple[int, int, int, int]]:
    """The fields of a certificate's TBSCertificate, without the [0] version: serial, signature, issuer, ..."""
    _, cert_start, _ = read_tlv(der, 0)
    _, tbs_start, tbs_end = read_tlv(der, cert_start)
    fields = children(der, tbs_start, tbs_end)
    if fields and fields[0][0] == 0xA0:
        fields = fields[1:]
    if len(fields) < 6:
        raise MalformedDER("short TBSCertificate")
    return fields


def _oid(content: bytes) -> str:
    """Dotted text of an OBJECT IDENTIFIER's content."""
    if not content:
        raise MalformedDER("empty OID")
    parts = [min(content[0] // 40, 2), content[0] - 40 * min(content[0] // 40, 2)]
    value = 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def _escape(value: str) -> str:
    """Escape an attribute value as RFC 4514 section 2.4 asks."""
    out = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
    if out.startswith(("#", " ")):
        out = "\\" + out
    if out.endswith(" ") and len(out) > 1:
        out = out[:-1] + "\\ "
    return out


def name_text(name: bytes) -> str:
    """An RFC 4514 string for a DER Name (last RDN first), without a parser library."""
    _, start, end = read_tlv(name, 0)
    rdns = []
    for _, _, set_start, set_end in children(name, start, end):
        attributes = []
        for _, _, at_start, at_end in children(name, set_start, set_end):
            (_, _, oid_start, oid_end), (value_tag, value_at, value_start, value_end) = children(
                name, at_start, at_end
            )[:2]
            oid = _oid(name[oid_start:oid_end])
            codec = STRING_CODECS.get(value_tag)
            if codec is None:
                text = "#" + name[value_at:value_end].hex()
            else:
                text = _escape(name[value_start:value_end].decode(codec, "replace"))
            attributes.append("%s=%s" % (_ATTRIBUTE_NAMES.get(oid, oid), text))
        rdns.append("+".join(attributes))
    return ",".join(reversed(rdns))


_SKI, _BASIC_CONSTRAINTS = b"\x55\x1d\x0e", b"\x55\x1d\x13"  # 2.5.29.14, 2.5.29.19 as DER OID content
_SKI_ELEMENT, _BASIC_CONSTRAINTS_ELEMENT = b"\x06\x03" + _SKI, b"\x06\x03" + _BASIC_CONSTRAINTS
_KEY_USAGE_ELEMENT = b"\x06\x03\x55\x1d\x0f"  # 2.5.29.15
Instant = tuple[int, int, int, int, int, int]  # year, month, day, hour, minute, second (UTC)


@record
class CertificateFacts:
    """What a bundle inventory needs of one certificate, read from its DER with the standard library.

    Attributes:
        not_before, not_after: The validity period, as `(year, month, day, hour, minute, second)` in UTC.
        serial_positive: Whether the serial number is above zero (some real roots carry 0 or a negative one).
        strict_violation: A CA certificate that VERIFY_X509_STRICT rejects: basicConstraints CA not marked
            critical, no subject key identifier, or no key usage (OpenSSL 3's `check_extensions`).

    """

    parts: CertificateParts
    not_before: Instant
    not_after: Instant
    serial_positive: bool
    strict_violation: bool


def _instant(tag: int, content: bytes) -> Instant:
    """A UTCTime or GeneralizedTime as (year, month, day, hour, minute, second), UTC (digits read in place)."""
    digits = content.rstrip(b"Z")
    if tag == 0x17:  # UTCTime: two-digit year, 1950-2049
        year, rest = int(digits[:2]), digits[2:]
        year += 1900 if year >= 50 else 2000
    else:
        year, rest = int(digits[:4]), digits[4:]
    if not rest[:10].isdigit():  # int() alone would take signs, spaces and underscores
        raise MalformedDER("bad time")
    month, day, hour, minute = int(rest[0:2]), int(rest[2:4]), int(rest[4:6]), int(rest[6:8])
    second = int(rest[8:10]) if rest[8:10] else 0
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise MalformedDER("bad time")
    return year, month, day, hour, minute, second


def certificate_facts(der: bytes) -> CertificateFacts:
    """Parts, validity, serial sign and strict-mode fitness of a certificate (raises MalformedDER)."""
    _, cert_start, cert_end = read_tlv(der, 0)
    outer = children(der, cert_start, cert_end)
    if len(outer) != 3 or outer[0][0] != 0x30:
        raise MalformedDER("not a certificate")
    fields = tbs_fields(der)
    if fields[0][0] != 0x02:
        raise MalformedDER("the TBSCertificate has no serial number")
    serial = der[fields[0][2] : fields[0][3]]
    times = children(der, fields[3][2], fields[3][3])
    if len(times) != 2:
        raise MalformedDER("bad validity")
    try:
        not_before = _instant(times[0][0], der[times[0][2] : times[0][3]])
        not_after = _instant(times[1][0], der[times[1][2] : times[1][3]])
    except (ValueError, UnicodeDecodeError):
        raise MalformedDER("bad validity") from None
    ca = critical = has_ski = has_key_usage = False
    for tag, _, start, _ in fields[6:]:
        if tag != 0xA3:  # [3] extensions
            continue
        _, at, list_end = read_tlv(der, start)
        while at < list_end:  # only the extensions strict mode looks at in a CA are taken apart
            _, ext_start, ext_end = read_tlv(der, at)
            head = der[ext_start : ext_start + 5]  # the extnID element: OBJECT IDENTIFIER, length 3, 2.5.29.x
            if head == _SKI_ELEMENT:
                has_ski = True
            elif head == _KEY_USAGE_ELEMENT:
                has_key_usage = True
            elif head == _BASIC_CONSTRAINTS_ELEMENT:
                parts = children(der, ext_start, ext_end)
                critical = len(parts) == 3 and parts[1][0] == 0x01 and der[parts[1][2] : parts[1][3]] != b"\x00"
                value = der[parts[-1][2] : parts[-1][3]]
                _, seq_start, seq_end = read_tlv(value, 0)
                inner = children(value, seq_start, seq_end)
                ca = bool(inner) and inner[0][0] == 0x01 and value[inner[0][2] : inner[0][3]] != b"\x00"
            at = ext_end
    return CertificateFacts(
        parts=CertificateParts(
            issuer=der[fields[2][1] : fields[2][3]],
            subject=der[fields[4][1] : fields[4][3]],
            public_key=der[fields[5][1] : fields[5][3]],
        ),
        not_before=not_before,
        not_after=not_after,
        serial_positive=bool(serial) and serial[0] < 0x80 and serial.strip(b"\x00") != b"",
        strict_violation=ca and (not critical or not has_ski or not has_key_usage),
    )
