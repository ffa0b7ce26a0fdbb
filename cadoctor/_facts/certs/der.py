"""The little DER reading cadoctor needs: element bounds, a certificate's raw names and key, what inventories count.

Every function here reads bytes that may come from anywhere (a damaged bundle, a server's chain) and raises
`MalformedDER` alone, in time linear in its input. `certificate_facts` reads a certificate whole, as strictly as
DER asks: what it accepts, OpenSSL and cryptography load with the same names, validity and serial (a test holds
it to both); what it rejects, the callers leave to the loaded libcrypto's own reading, or count as unreadable.
"""

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


def read_tlv(data: bytes, at: int, end: int | None = None) -> tuple[int, int, int]:
    """Return (tag, start of content, end of content) of the DER element at `at`, which must end by `end`.

    Only DER's definite, minimal lengths and low tag numbers are read: every tag of a certificate is one.
    """
    limit = len(data) if end is None else min(end, len(data))
    if at < 0 or at + 2 > limit:
        raise MalformedDER("truncated element")
    tag = data[at]
    if tag & 0x1F == 0x1F:
        raise MalformedDER("a high tag number")
    length = data[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or at + count > limit:
            raise MalformedDER("bad length")
        length = int.from_bytes(data[at : at + count], "big")
        if length < 0x80 or data[at] == 0:
            raise MalformedDER("a length not in its shortest form")
        at += count
    if at + length > limit:
        raise MalformedDER("element overruns its container")
    return tag, at, at + length


def certificate_parts(der: bytes) -> CertificateParts:
    """Slice issuer, subject and SubjectPublicKeyInfo out of a certificate without decoding them.

    Reading them raw is several times cheaper than re-encoding what a parser decoded, and raw is what
    OpenSSL hashes and compares.
    """
    _, tbs_at, cert_end = read_tlv(der, 0)
    _, at, tbs_end = read_tlv(der, tbs_at, cert_end)  # inside TBSCertificate
    tag, _, end = read_tlv(der, at, tbs_end)
    if tag == 0xA0:  # [0] EXPLICIT version
        at = end
    elements = []
    for _ in range(5):  # serialNumber, signature, issuer, validity, subject
        _, _, end = read_tlv(der, at, tbs_end)
        elements.append(der[at:end])
        at = end
    _, _, end = read_tlv(der, at, tbs_end)
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
_BMP_STRING = 0x1E


def string_text(tag: int, content: bytes) -> str:
    """A string value as the text OpenSSL converts it to (`ASN1_STRING_to_UTF8`), or MalformedDER where it fails."""
    try:
        text = content.decode(STRING_CODECS[tag])
    except (UnicodeDecodeError, KeyError) as exc:
        raise MalformedDER("undecodable string") from exc
    if tag == _BMP_STRING and any(ord(char) > 0xFFFF for char in text):
        raise MalformedDER("a surrogate in a BMPString")  # UCS-2: OpenSSL takes no surrogate pair
    return text


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
        tag, content, stop = read_tlv(data, at, end)
        found.append((tag, at, content, stop))
        at = stop
    return found


def _fields(der: bytes) -> list[tuple[int, int, int, int]]:
    """The fields of a certificate's TBSCertificate, the [0] version included when it is there."""
    _, cert_start, cert_end = read_tlv(der, 0)
    _, tbs_start, tbs_end = read_tlv(der, cert_start, cert_end)
    return children(der, tbs_start, tbs_end)


def tbs_fields(der: bytes) -> list[tuple[int, int, int, int]]:
    """The fields of a certificate's TBSCertificate, without the [0] version: serial, signature, issuer, ..."""
    fields = _fields(der)
    if fields and fields[0][0] == 0xA0:
        fields = fields[1:]
    if len(fields) < 6 or [tag for tag, _, _, _ in fields[:6]] != _TBS_TAGS:
        raise MalformedDER("short TBSCertificate")
    return fields


_TBS_TAGS = [0x02, 0x30, 0x30, 0x30, 0x30, 0x30]  # serial, signature, issuer, validity, subject, key
_OPTIONAL_TAGS = (0x81, 0x82, 0xA3)  # issuerUniqueID, subjectUniqueID, extensions: each at most once, in order


def _oid(content: bytes) -> str:
    """Dotted text of an OBJECT IDENTIFIER's content (each arc minimal, the last one ended)."""
    if not content or content[-1] & 0x80:
        raise MalformedDER("empty or unterminated OID")
    parts: list[int] = []
    value = 0
    fresh = True
    for byte in content:
        if fresh and byte == 0x80:
            raise MalformedDER("an OID arc not in its shortest form")
        value = (value << 7) | (byte & 0x7F)
        fresh = not byte & 0x80
        if fresh:
            parts.append(value)
            value = 0
    first = min(parts[0] // 40, 2)
    return ".".join(str(p) for p in (first, parts[0] - 40 * first, *parts[1:]))


def _escape(value: str) -> str:
    """Escape an attribute value as RFC 4514 section 2.4 asks."""
    out = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
    if out.startswith(("#", " ")):
        out = "\\" + out
    if out.endswith(" ") and len(out) > 1:
        out = out[:-1] + "\\ "
    return out


# The value types of a name's attribute read here: the string types OpenSSL's DirectoryString takes and decodes
# (`B_ASN1_PRINTABLE` has no VisibleString: OpenSSL rejects a name that uses it, where cryptography does not).
_NAME_VALUE_TAGS = frozenset({0x0C, 0x12, 0x13, 0x14, 0x16, 0x1C, 0x1E})


def _attributes(name: bytes, start: int, end: int) -> list[list[tuple[str, int, int, int, int]]]:
    """A Name's RDNs, each its attributes as (OID text, value tag, value start, content start, content end).

    Every value must be a string that decodes as OpenSSL decodes it: a Name OpenSSL cannot canonicalise, it does
    not load.
    """
    rdns = []
    for set_tag, _, set_start, set_end in children(name, start, end):
        attributes = []
        for tag, _, at_start, at_end in children(name, set_start, set_end):
            parts = children(name, at_start, at_end)
            if set_tag != 0x31 or tag != 0x30 or len(parts) != 2 or parts[0][0] != 0x06:
                raise MalformedDER("an RDN that is not a SET of (OID, value)")
            (_, _, oid_start, oid_end), (value_tag, value_at, value_start, value_end) = parts
            if value_tag not in _NAME_VALUE_TAGS:
                raise MalformedDER("a name's value that is no string OpenSSL reads there")
            string_text(value_tag, name[value_start:value_end])
            attributes.append((_oid(name[oid_start:oid_end]), value_tag, value_at, value_start, value_end))
        rdns.append(attributes)
    return rdns


def _name(der: bytes, field: tuple[int, int, int, int]) -> None:
    """Check a Name field of a certificate (raises MalformedDER)."""
    _attributes(der, field[2], field[3])


def name_text(name: bytes) -> str:
    """An RFC 4514 string for a DER Name (last RDN first), without a parser library."""
    tag, start, end = read_tlv(name, 0)
    if tag != 0x30:
        raise MalformedDER("a Name is a SEQUENCE")
    rdns = []
    for attributes in _attributes(name, start, end):
        texts = []
        for oid, value_tag, _, value_start, value_end in attributes:
            text = _escape(string_text(value_tag, name[value_start:value_end]))
            texts.append("%s=%s" % (_ATTRIBUTE_NAMES.get(oid, oid), text))
        rdns.append("+".join(texts))
    return ",".join(reversed(rdns))


_SKI, _BASIC_CONSTRAINTS = b"\x55\x1d\x0e", b"\x55\x1d\x13"  # 2.5.29.14, 2.5.29.19 as DER OID content
_KEY_USAGE = b"\x55\x1d\x0f"  # 2.5.29.15
Instant = tuple[int, int, int, int, int, int]  # year, month, day, hour, minute, second (UTC)


@record
class CertificateFacts:
    """What a bundle inventory needs of one certificate, read from its DER with the standard library.

    Attributes:
        not_before, not_after: The validity period, as `(year, month, day, hour, minute, second)` in UTC.
        serial: The serial number (some real roots carry 0 or a negative one).
        serial_positive: Whether the serial number is above zero.
        strict_violation: A CA certificate that VERIFY_X509_STRICT rejects: basicConstraints CA not marked
            critical, no subject key identifier, or no key usage (OpenSSL 3's `check_extensions`).

    """

    parts: CertificateParts
    not_before: Instant
    not_after: Instant
    serial: int
    serial_positive: bool
    strict_violation: bool


_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def instant(tag: int, content: bytes) -> Instant:
    """A UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`), as DER writes them, in UTC."""
    size = {0x17: 13, 0x18: 15}.get(tag)
    if size is None or len(content) != size or content[-1:] != b"Z" or not content[:-1].isdigit():
        raise MalformedDER("bad time")
    digits = content[:-1]
    if tag == 0x17:  # UTCTime: two-digit year, 1950-2049
        year, rest = int(digits[:2]), digits[2:]
        year += 1900 if year >= 50 else 2000
    else:
        year, rest = int(digits[:4]), digits[4:]
    month, day, hour, minute, second = (int(rest[at : at + 2]) for at in range(0, 10, 2))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS[month - 1] - (month == 2 and not leap):
        raise MalformedDER("bad time")
    if year == 0 or hour > 23 or minute > 59 or second > 59:
        raise MalformedDER("bad time")
    return year, month, day, hour, minute, second


def _integer(content: bytes) -> int:
    """An INTEGER's value: at least one byte, none of them redundant."""
    if not content or (len(content) > 1 and content[0] in (0x00, 0xFF) and (content[0] ^ content[1]) & 0x80 == 0):
        raise MalformedDER("an INTEGER not in its shortest form")
    return int.from_bytes(content, "big", signed=True)


def _boolean(content: bytes) -> bool:
    """A BOOLEAN: one byte, 0x00 or 0xFF as DER writes it."""
    if content not in (b"\x00", b"\xff"):
        raise MalformedDER("a BOOLEAN not in DER")
    return content == b"\xff"


def _any(der: bytes, field: tuple[int, int, int, int]) -> None:
    """Check an ANY (an algorithm's parameters) as OpenSSL decodes one: by its universal type, in DER.

    Real parameters are NULL, an OID (a curve) or a SEQUENCE (RSASSA-PSS); anything rarer is left to OpenSSL.
    """
    tag, _, start, end = field
    content = der[start:end]
    if tag == 0x05:
        valid = not content
    elif tag == 0x06:
        valid = bool(_oid(content))
    elif tag in (0x02, 0x0A):
        valid = _integer(content) is not None
    elif tag == 0x01:
        valid = _boolean(content) is not None
    elif tag == 0x03:
        _bit_string(der, field)
        valid = True
    else:
        valid = tag in (0x04, 0x30, 0x31)
    if not valid:
        raise MalformedDER("parameters OpenSSL does not read")


def _algorithm(der: bytes, field: tuple[int, int, int, int]) -> None:
    """Check an AlgorithmIdentifier: SEQUENCE { OID, parameters OPTIONAL }."""
    parts = children(der, field[2], field[3])
    if field[0] != 0x30 or not 1 <= len(parts) <= 2 or parts[0][0] != 0x06:
        raise MalformedDER("bad AlgorithmIdentifier")
    _oid(der[parts[0][2] : parts[0][3]])
    if len(parts) == 2:
        _any(der, parts[1])


def _bit_string(der: bytes, field: tuple[int, int, int, int]) -> None:
    """Check a BIT STRING: its first content byte counts the unused bits (0-7; 0 when empty)."""
    if field[0] != 0x03 or field[2] == field[3] or der[field[2]] > 7 or (field[3] - field[2] == 1 and der[field[2]]):
        raise MalformedDER("bad BIT STRING")


def _ca(value: bytes) -> bool:
    """Whether a basicConstraints value says CA (False when it does not read: OpenSSL then trusts it as no CA)."""
    try:
        tag, start, end = read_tlv(value, 0)
        inner = children(value, start, end)
        return (
            tag == 0x30
            and end == len(value)
            and bool(inner)
            and inner[0][0] == 0x01
            and _boolean(value[inner[0][2] : inner[0][3]])
        )
    except MalformedDER:
        return False


def _extensions(der: bytes, start: int, end: int) -> tuple[bool, bool, bool, bool]:
    """Check the extensions' outline; whether basicConstraints says CA and is critical, and SKI and key usage are there.

    An extension's value is not taken apart here, as OpenSSL loads a certificate whatever its values hold (a
    damaged or repeated one marks it invalid for verification, not unloadable).
    """
    tag, list_start, list_end = read_tlv(der, start, end)
    if tag != 0x30 or list_end != end:
        raise MalformedDER("bad extensions")
    ca = critical = has_ski = has_key_usage = False
    for ext_tag, _, ext_start, ext_end in children(der, list_start, list_end):
        parts = children(der, ext_start, ext_end)
        if ext_tag != 0x30 or len(parts) not in (2, 3) or parts[0][0] != 0x06 or parts[-1][0] != 0x04:
            raise MalformedDER("bad extension")
        if len(parts) == 3 and parts[1][0] != 0x01:
            raise MalformedDER("bad extension")
        oid = der[parts[0][2] : parts[0][3]]
        _oid(oid)
        marked = len(parts) == 3 and _boolean(der[parts[1][2] : parts[1][3]])
        if oid == _SKI:
            has_ski = True
        elif oid == _KEY_USAGE:
            has_key_usage = True
        elif oid == _BASIC_CONSTRAINTS:
            critical, ca = marked, _ca(der[parts[-1][2] : parts[-1][3]])
    return ca, critical, has_ski, has_key_usage


def certificate_facts(der: bytes) -> CertificateFacts:
    """Parts, validity, serial and strict-mode fitness of a certificate, its whole outline checked (MalformedDER)."""
    tag, cert_start, cert_end = read_tlv(der, 0)
    outer = children(der, cert_start, cert_end)
    if tag != 0x30 or cert_end != len(der) or len(outer) != 3 or outer[0][0] != 0x30:
        raise MalformedDER("not a certificate")
    _algorithm(der, outer[1])
    _bit_string(der, outer[2])
    fields = children(der, outer[0][2], outer[0][3])
    if fields and fields[0][0] == 0xA0:
        version = children(der, fields[0][2], fields[0][3])
        if len(version) != 1 or version[0][0] != 0x02 or not 0 <= _integer(der[version[0][2] : version[0][3]]) <= 2:
            raise MalformedDER("bad version")
        fields = fields[1:]
    if len(fields) < 6 or [field[0] for field in fields[:6]] != _TBS_TAGS:
        raise MalformedDER("short TBSCertificate")
    optional = [field[0] for field in fields[6:]]
    if optional != [tag for tag in _OPTIONAL_TAGS if tag in optional]:
        raise MalformedDER("unexpected fields after the key")
    serial = _integer(der[fields[0][2] : fields[0][3]])
    _algorithm(der, fields[1])
    _name(der, fields[2])
    _name(der, fields[4])
    key = children(der, fields[5][2], fields[5][3])
    if len(key) != 2 or key[0][0] != 0x30:
        raise MalformedDER("bad SubjectPublicKeyInfo")
    _algorithm(der, key[0])
    _bit_string(der, key[1])
    times = children(der, fields[3][2], fields[3][3])
    if len(times) != 2:
        raise MalformedDER("bad validity")
    not_before = instant(times[0][0], der[times[0][2] : times[0][3]])
    not_after = instant(times[1][0], der[times[1][2] : times[1][3]])
    ca = critical = has_ski = has_key_usage = False
    for field_tag, _, start, end in fields[6:]:
        if field_tag == 0xA3:  # [3] extensions; only the ones strict mode looks at in a CA are taken apart
            ca, critical, has_ski, has_key_usage = _extensions(der, start, end)
        else:
            _bit_string(der, (0x03, 0, start, end))  # [1], [2] IMPLICIT unique identifiers: BIT STRINGs
    return CertificateFacts(
        parts=CertificateParts(
            issuer=der[fields[2][1] : fields[2][3]],
            subject=der[fields[4][1] : fields[4][3]],
            public_key=der[fields[5][1] : fields[5][3]],
        ),
        not_before=not_before,
        not_after=not_after,
        serial=serial,
        serial_positive=serial > 0,
        strict_violation=ca and (not critical or not has_ski or not has_key_usage),
    )
