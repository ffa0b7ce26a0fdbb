"""Names as OpenSSL compares them: one canonical form, the subject hash over it, and the look-up of a name.

OpenSSL never compares the bytes of two names. It re-encodes each in a canonical form (`x509_name_canon`) and
compares those (`X509_NAME_cmp`); a hashed folder names its links after the SHA-1 of that form
(`X509_NAME_hash_ex`). In that form a value of a string type OpenSSL canonicalises becomes UTF-8 without
leading or trailing white space, each inner run of it folded to one space, ASCII letters lowercased
(`asn1_string_canon`); any other value keeps its tag and bytes; each RDN is a SET whose entries are sorted, as
DER sorts a SET OF, an empty RDN is dropped, and the outer SEQUENCE is left out. Every comparison of names
in cadoctor goes through `canonical_name`; tests hold it to the loaded libcrypto on every real root.
"""

from __future__ import annotations

from collections.abc import Sequence

from cadoctor._facts.certs.der import MalformedDER, read_tlv, string_text, subject_of
from cadoctor._facts.memo import table

# ASN1_MASK_CANON: UTF8String, PrintableString, T61String, IA5String, VisibleString, UniversalString, BMPString.
# NumericString (0x12) is not among them: it keeps its tag and bytes, so "123" there is not "123" elsewhere.
_CANONICAL_TYPES = frozenset({0x0C, 0x13, 0x14, 0x16, 0x1A, 0x1C, 0x1E})
_UTF8_STRING = 0x0C
_SEQUENCE, _SET = 0x30, 0x31

# The encodings a canonicalised value may have had in a certificate: a word of the canonical form shows in the
# searchable bytes (`_searchable`) of any subject that has it, in one of these.
_CLUE_CODECS = ("utf-8", "latin-1", "utf-16-be", "utf-32-be")

_SEARCHABLE: dict[bytes, bytes] = table()  # a certificate's bytes as a clue is looked for in them
_SEARCHABLE_MEMO = 4096  # certificates kept in one check: bundles share most roots
_SEARCHABLE_LIMIT = 16 << 10  # a certificate kept: real ones take a few kilobytes


def _encode_length(length: int) -> bytes:
    """A DER length."""
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element."""
    return bytes([tag]) + _encode_length(len(content)) + content


def _canonical_text(raw: bytes) -> bytes:
    """Trim, fold inner white space to one space and lowercase ASCII, as `asn1_string_canon` does.

    `bytes.split()` splits on exactly the ASCII white space OpenSSL folds, and `bytes.lower()` lowers only A-Z.
    """
    return b" ".join(raw.split()).lower()


def _canonical_entry(entry: bytes) -> bytes:
    """One AttributeTypeAndValue re-encoded with its value in canonical form."""
    _, start, _ = read_tlv(entry, 0)
    _, _, oid_end = read_tlv(entry, start)
    value_tag, value_start, value_end = read_tlv(entry, oid_end)
    value = entry[value_start:value_end]
    if value_tag in _CANONICAL_TYPES:
        value_tag, value = _UTF8_STRING, _canonical_text(string_text(value_tag, value).encode("utf-8"))
    return _tlv(_SEQUENCE, entry[start:oid_end] + _tlv(value_tag, value))


def _canonical_rdns(name: bytes) -> list[list[bytes]]:
    """Each non-empty RDN of a DER Name as its entries in canonical form, sorted (raises MalformedDER)."""
    tag, start, end = read_tlv(name, 0)
    if tag != _SEQUENCE:
        raise MalformedDER("a Name is a SEQUENCE")
    rdns: list[list[bytes]] = []
    at = start
    while at < end:
        _, set_start, set_end = read_tlv(name, at)
        entries = []
        inner = set_start
        while inner < set_end:
            _, _, entry_end = read_tlv(name, inner)
            entries.append(_canonical_entry(name[inner:entry_end]))
            inner = entry_end
        if entries:  # OpenSSL groups entries by RDN: an empty one leaves no SET behind
            rdns.append(sorted(entries))
        at = set_end
    return rdns


def _encoded(rdns: list[list[bytes]]) -> bytes:
    """Canonical RDNs as OpenSSL encodes them for comparing and hashing: each a SET, without the outer SEQUENCE."""
    return b"".join(_tlv(_SET, b"".join(entries)) for entries in rdns)


def canonical_name(name: bytes) -> bytes:
    """OpenSSL's canonical encoding of a DER Name: two names are one for OpenSSL when these bytes are equal."""
    return _encoded(_canonical_rdns(name))


def same_name(first: bytes, second: bytes) -> bool:
    """Whether OpenSSL holds two DER names one (`X509_NAME_cmp` finds them equal): equal bytes, or canonically."""
    if first == second:
        return True
    try:
        return canonical_name(first) == canonical_name(second)
    except MalformedDER:  # a name OpenSSL cannot read equals nothing else
        return False


def subject_hash(name: bytes) -> str:
    """The 8 hex digits OpenSSL names a `<hash>.<n>` link after (`openssl x509 -subject_hash`)."""
    import hashlib  # only a folder's look-up needs it: a successful `check --host` never does

    digest = hashlib.sha1(canonical_name(name)).digest()  # noqa: S324 - OpenSSL's choice, not ours
    return "%08x" % int.from_bytes(digest[:4], "little")


def _clues(rdns: list[list[bytes]]) -> tuple[bytes, ...]:
    """The name's longest canonical word as each encoding of a value would hold it, made searchable.

    A certificate whose subject is the name holds one of these in its searchable bytes, and a few others do: the
    raw value's word differs from the canonical one in ASCII case alone, and lowercasing then dropping NULs byte
    by byte maps both, in UTF-8, Latin-1, UTF-16 or UTF-32, to the same bytes. An ASCII word is then one clue for
    all four encodings, so it is preferred among the longest; a name without a word gives the empty clue.
    """
    words = [word for entries in rdns for entry in entries for word in _canonical_value(entry).split()]
    longest = max(words, key=lambda word: (len(word), word.isascii()), default=b"").decode("utf-8")
    clues = []
    for codec in _CLUE_CODECS:
        try:
            clue = _searchable_form(longest.encode(codec))
        except UnicodeEncodeError:  # not a character of that encoding: a value in it cannot hold the word
            continue
        if clue not in clues:
            clues.append(clue)
    return tuple(clues)


def _canonical_value(entry: bytes) -> bytes:
    """The value of a canonical entry, when it is a canonicalised string (else empty: its bytes give no word)."""
    _, start, _ = read_tlv(entry, 0)
    _, _, oid_end = read_tlv(entry, start)
    tag, value_start, value_end = read_tlv(entry, oid_end)
    return entry[value_start:value_end] if tag == _UTF8_STRING else b""


def _searchable_form(data: bytes) -> bytes:
    """Bytes lowercased and without NULs: the form a clue and a certificate are compared in.

    `lower` then `replace` costs half what one `translate` that also deletes does.
    """
    return data.lower().replace(b"\x00", b"")


def _searchable(der: bytes) -> bytes:
    """A certificate's bytes in searchable form, once per check (bundles share most roots)."""
    known = _SEARCHABLE.get(der)
    if known is None:
        known = _searchable_form(der)
        if len(_SEARCHABLE) < _SEARCHABLE_MEMO and len(der) <= _SEARCHABLE_LIMIT:
            _SEARCHABLE[der] = known
    return known


def _canonical_subject(der: bytes) -> bytes | None:
    """A certificate's subject in canonical form, or None when it does not parse."""
    subject = subject_of(der)
    if subject is None:
        return None
    try:
        return canonical_name(subject)
    except MalformedDER:
        return None


def with_subject(ders: Sequence[bytes], name: bytes, exact: bool = False) -> list[bytes]:
    """The certificates whose subject is `name` as OpenSSL compares names, in their order.

    Only a certificate that carries `name` byte for byte, or one of its clues (`_clues`), is parsed: a look-up
    that fails costs two substring searches a certificate. `exact`: byte for byte only (a name
    copied from a certificate the caller holds, whose stored copy has the same bytes).
    """
    key: bytes | None = None
    clues: tuple[bytes, ...] = ()
    if not exact:
        try:
            rdns = _canonical_rdns(name)
        except MalformedDER:  # a name OpenSSL cannot read designates nothing but itself
            rdns = None
        if rdns is not None:
            key, clues = _encoded(rdns), _clues(rdns)
    if not clues:
        return [der for der in ders if name in der and subject_of(der) == name]
    found = []
    for der in ders:
        if name in der and subject_of(der) == name:
            found.append(der)
            continue
        searchable = _searchable(der)
        for clue in clues:
            if clue in searchable:
                if _canonical_subject(der) == key:
                    found.append(der)
                break
    return found
