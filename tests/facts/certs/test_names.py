"""OpenSSL's name comparison and subject hash, held to the loaded libcrypto, the system's links and `openssl`."""

from __future__ import annotations

import ctypes
import datetime
import os
import random
import re
import shutil
import ssl
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helpers.os_store import system_bundle_or_skip

from cadoctor._facts.certs.bundle import inventory_bundle
from cadoctor._facts.certs.chain import describe
from cadoctor._facts.certs.der import MalformedDER, subject_of
from cadoctor._facts.certs.names import canonical_name, same_name, subject_hash, with_subject
from cadoctor._facts.certs.pem import pem_certificates

CN, ORG, UNIT = b"\x06\x03\x55\x04\x03", b"\x06\x03\x55\x04\x0a", b"\x06\x03\x55\x04\x0b"  # attribute types, as DER
UTF8, NUMERIC, PRINTABLE, T61, IA5, UNIVERSAL, BMP = 0x0C, 0x12, 0x13, 0x14, 0x16, 0x1C, 0x1E
CODECS = {UTF8: "utf-8", NUMERIC: "latin-1", PRINTABLE: "latin-1", T61: "latin-1", IA5: "latin-1"}
CODECS.update({UNIVERSAL: "utf-32-be", BMP: "utf-16-be"})
ASN1 = x509.name._ASN1Type


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element: the tests build names that cryptography would refuse to."""
    if len(content) < 0x80:
        return bytes([tag, len(content)]) + content
    size = len(content).to_bytes((len(content).bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _name(*rdns: list[tuple[bytes, int, bytes]]) -> bytes:
    """A DER Name of RDNs, each a list of (attribute type, string tag, raw value)."""
    sets = [_tlv(0x31, b"".join(_tlv(0x30, oid + _tlv(tag, raw)) for oid, tag, raw in rdn)) for rdn in rdns]
    return _tlv(0x30, b"".join(sets))


def _cn(tag: int, text: str) -> bytes:
    """A one-attribute name: its CN spelled `text` in string type `tag`."""
    return _name([(CN, tag, text.encode(CODECS[tag]))])


class Libcrypto:
    """The libcrypto this process loaded for `ssl`, asked to read, hash and compare names as OpenSSL does."""

    def __init__(self, path: str) -> None:
        handle = ctypes.CDLL(path, mode=os.RTLD_NOLOAD)  # the copy already loaded: never a second one
        pointer = ctypes.c_void_p
        self._d2i = handle.d2i_X509_NAME
        self._d2i.restype = pointer
        self._d2i.argtypes = [pointer, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]
        self._hash = handle.X509_NAME_hash_ex
        self._hash.restype = ctypes.c_ulong
        self._hash.argtypes = [pointer, pointer, pointer, ctypes.POINTER(ctypes.c_int)]
        self._cmp = handle.X509_NAME_cmp
        self._cmp.restype, self._cmp.argtypes = ctypes.c_int, [pointer, pointer]
        self._free = handle.X509_NAME_free
        self._free.argtypes = [pointer]
        self._d2i_x509 = handle.d2i_X509
        self._d2i_x509.restype = pointer
        self._d2i_x509.argtypes = [pointer, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]
        self._flags = handle.X509_get_extension_flags
        self._flags.restype, self._flags.argtypes = ctypes.c_uint32, [pointer]
        self._x509_free = handle.X509_free
        self._x509_free.argtypes = [pointer]
        self._read: dict[bytes, int | None] = {}  # DER: X509_NAME (None: refused), freed by close()

    def name(self, der: bytes) -> int | None:
        """The X509_NAME OpenSSL reads from DER, once per name, or None when it refuses it."""
        if der not in self._read:
            buffer = ctypes.c_char_p(der)
            self._read[der] = self._d2i(None, ctypes.byref(buffer), len(der)) or None
        return self._read[der]

    def subject_hash(self, der: bytes) -> str | None:
        """`X509_NAME_hash_ex`, or None when OpenSSL cannot read the name."""
        name = self.name(der)
        if name is None:
            return None
        ok = ctypes.c_int(0)
        value = self._hash(name, None, None, ctypes.byref(ok))
        return "%08x" % value if ok.value else None

    def same(self, first: bytes, second: bytes) -> bool | None:
        """Whether `X509_NAME_cmp` finds two names equal, or None when OpenSSL cannot read one of them."""
        one, other = self.name(first), self.name(second)
        return None if one is None or other is None else self._cmp(one, other) == 0

    def self_issued(self, certificate: bytes) -> bool:
        """Whether OpenSSL marks a certificate self-issued (EXFLAG_SI: X509_NAME_cmp of its issuer and subject)."""
        buffer = ctypes.c_char_p(certificate)
        x509 = self._d2i_x509(None, ctypes.byref(buffer), len(certificate))
        assert x509, "OpenSSL refuses the certificate"
        try:
            return bool(self._flags(x509) & 0x20)
        finally:
            self._x509_free(x509)

    def close(self) -> None:
        """Free every name read."""
        for name in self._read.values():
            if name is not None:
                self._free(name)
        self._read.clear()


@pytest.fixture(scope="module")
def libcrypto() -> Iterator[Libcrypto]:
    """The name functions of the libcrypto that `ssl` mapped into this process (OpenSSL 3: X509_NAME_hash_ex)."""
    maps = Path("/proc/self/maps")
    path = next((line.split()[-1] for line in maps.read_text().splitlines() if "libcrypto" in line), None)
    if path is None or ssl.OPENSSL_VERSION_INFO < (3,):
        pytest.skip("needs OpenSSL 3's libcrypto mapped by ssl")
    loaded = Libcrypto(path)
    yield loaded
    loaded.close()


def _ours(first: bytes, second: bytes) -> bool | None:
    """Whether cadoctor finds two names equal, or None when it cannot canonicalise one of them."""
    try:
        return canonical_name(first) == canonical_name(second)
    except MalformedDER:
        return None


def _real_roots() -> list[bytes]:
    """Every root of the system bundle and of certifi's, as DER."""
    ders = pem_certificates(system_bundle_or_skip()) + pem_certificates(certifi.where())
    assert len(ders) > 200
    return ders


def test_every_real_root_hashes_and_compares_as_the_loaded_libcrypto_says(libcrypto: Libcrypto) -> None:
    """Each root of the system bundle and certifi hashes as X509_NAME_hash_ex; any two compare as X509_NAME_cmp."""
    subjects = sorted({subject_of(der) or b"" for der in _real_roots()})
    assert [subject_hash(s) for s in subjects] == [libcrypto.subject_hash(s) for s in subjects]
    canonical = {s: canonical_name(s) for s in subjects}
    pairs = [(a, b) for i, a in enumerate(subjects) for b in subjects[i + 1 :]]
    assert [canonical[a] == canonical[b] for a, b in pairs] == [libcrypto.same(a, b) for a, b in pairs]


def _respelled(subject: x509.Name) -> bytes:
    """The same name for OpenSSL, spelled otherwise: UTF8String, ASCII upper case, spaces doubled, padded."""

    def upper(text: str) -> str:
        return "".join(c.upper() if c.isascii() else c for c in text)

    rdns = [
        x509.RelativeDistinguishedName(
            [
                x509.NameAttribute(
                    a.oid, " %s\t" % upper(a.value).replace(" ", "  "), _type=ASN1.UTF8String, _validate=False
                )
                if isinstance(a.value, str) and a.oid != NameOID.COUNTRY_NAME
                else a
                for a in rdn
            ]
        )
        for rdn in subject.rdns
    ]
    return x509.Name(rdns).public_bytes()


def test_a_respelled_root_name_finds_exactly_what_the_loaded_libcrypto_matches(libcrypto: Libcrypto) -> None:
    """Looking up each real root's name, respelled, returns the certificates whose subject X509_NAME_cmp equals."""
    ders = _real_roots()
    for der in ders:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # non-positive serials of some real roots
            wanted = _respelled(x509.load_der_x509_certificate(der).subject)
        assert libcrypto.same(wanted, subject_of(der) or b"") is True
        expected = [d for d in ders if libcrypto.same(wanted, subject_of(d) or b"")]
        assert with_subject(ders, wanted) == expected


def _root(subject: x509.Name, issuer: x509.Name | None = None) -> bytes:
    """A root CA with this subject, signed by its own key (`issuer` names it otherwise), as DER."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if issuer is None else issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("kind", [BMP, UNIVERSAL, T61, PRINTABLE])
def test_a_subject_in_any_string_type_is_found_among_real_roots(kind: int, libcrypto: Libcrypto) -> None:
    """A root named in UTF-16, UTF-32 or a one-byte type is found by its UTF8String spelling in another case."""
    # the longest word is the clue looked for in the bytes: here it carries the encoding's non-ASCII letters
    text = "cadoctor Wide Root" if kind == PRINTABLE else "cadoctor Wide Root GrüßeAusMünchen"
    placeholder = "x" * len(text.encode(CODECS[kind]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the UTF-32 spelling is longer than a CN may be: OpenSSL reads it anyway
        root = _root(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, placeholder, _validate=False)]))
    # the name put in by hand (cryptography writes a T61String as UTF-8); nothing here checks the signature
    root = root.replace(_cn(UTF8, placeholder), _cn(kind, text))
    ders = [*pem_certificates(system_bundle_or_skip()), root]
    wanted = _cn(UTF8, "  CADOCTOR wide\tROOT" + text[len("cadoctor Wide Root") :])
    assert libcrypto.same(wanted, subject_of(root) or b"") is True
    assert with_subject(ders, wanted) == [root]
    assert with_subject(ders, wanted, exact=True) == []
    assert with_subject(ders, _cn(UTF8, "cadoctor Wide Rooted")) == []


@pytest.mark.parametrize(("issuer", "self_issued"), [("acme   ROOT", True), ("acme roots", False)])
def test_a_root_whose_issuer_respells_its_subject_is_self_issued_as_openssl_says(
    issuer: str, self_issued: bool, libcrypto: Libcrypto, tmp_path: Path
) -> None:
    """Self-issued is X509_NAME_cmp of issuer and subject: a chain's top and a bundle's sample roots judge alike."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ACME Root", _type=ASN1.PrintableString)])
    der = _root(subject, x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer, _type=ASN1.UTF8String)]))
    assert libcrypto.self_issued(der) is self_issued
    assert same_name(subject.public_bytes(), _cn(UTF8, issuer)) is self_issued
    assert describe(der).self_issued is self_issued
    bundle = tmp_path / "root.pem"
    bundle.write_bytes(x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM))
    assert inventory_bundle(str(bundle), ("t",)).samples == ((der,) if self_issued else ())


# Pairs of names and whether OpenSSL holds them one name: every kind of folding, and what it leaves alone.
PAIRS = [
    ("case, spacing and string type", _cn(PRINTABLE, "ACME  Root"), _cn(UTF8, "acme root"), True),
    ("another name", _cn(PRINTABLE, "ACME  Root"), _cn(UTF8, "acme other"), False),
    ("BMPString", _cn(BMP, "Acme Root"), _cn(UTF8, "acme root"), True),
    ("UniversalString", _cn(UNIVERSAL, "Acme Root"), _cn(UTF8, "ACME ROOT"), True),
    ("T61String as Latin-1", _cn(T61, "Grüße"), _cn(UTF8, "grüße"), True),
    ("IA5String", _cn(IA5, "Root@Example.COM"), _cn(UTF8, "root@example.com"), True),
    ("no non-ASCII case folding", _cn(UTF8, "GRÜSSE"), _cn(UTF8, "grüsse"), False),
    ("NumericString keeps its type", _cn(NUMERIC, "123"), _cn(PRINTABLE, "123"), False),
    ("NumericString keeps its spaces", _cn(NUMERIC, "1  2"), _cn(NUMERIC, "1 2"), False),
    ("ASCII white space folded", _cn(UTF8, "\ta\x0b\x0c\r\n b \t"), _cn(UTF8, "a b"), True),
    ("no-break space kept", _cn(UTF8, "a\u00a0b"), _cn(UTF8, "a b"), False),
    ("NUL kept", _cn(UTF8, "a\x00b"), _cn(UTF8, "ab"), False),
    ("only spaces", _cn(PRINTABLE, "   "), _cn(UTF8, ""), True),
    (
        "multi-valued RDN in another order",
        _name([(CN, UTF8, b"a"), (ORG, UTF8, b"b")]),
        _name([(ORG, PRINTABLE, b"B"), (CN, UTF8, b"A")]),
        True,
    ),
    (
        "one RDN against two",
        _name([(CN, UTF8, b"a"), (ORG, UTF8, b"b")]),
        _name([(CN, UTF8, b"a")], [(ORG, UTF8, b"b")]),
        False,
    ),
    (
        "RDNs in another order",
        _name([(CN, UTF8, b"a")], [(ORG, UTF8, b"b")]),
        _name([(ORG, UTF8, b"b")], [(CN, UTF8, b"a")]),
        False,
    ),
    (
        "an empty RDN",
        _name([(CN, UTF8, b"a")], [], [(ORG, UTF8, b"b")]),
        _name([(CN, UTF8, b"a")], [(ORG, UTF8, b"b")]),
        True,
    ),
    ("an empty name", _tlv(0x30, _tlv(0x31, b"")), _tlv(0x30, b""), True),
    (
        "a SEQUENCE value keeps its bytes",
        _name([(CN, 0x30, _tlv(UTF8, b"A"))]),
        _name([(CN, 0x30, _tlv(UTF8, b"a"))]),
        False,
    ),
    ("a long value", _cn(PRINTABLE, "X" * 300), _cn(UTF8, "x" * 300), True),
]


@pytest.mark.parametrize(("first", "second", "same"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_odd_names_compare_and_hash_as_the_loaded_libcrypto_says(
    first: bytes, second: bytes, same: bool, libcrypto: Libcrypto
) -> None:
    """Case, white space, string types, multi-valued and empty RDNs: equal exactly when X509_NAME_cmp says so."""
    assert (_ours(first, second), libcrypto.same(first, second)) == (same, same)
    assert (subject_hash(first), subject_hash(second)) == (
        libcrypto.subject_hash(first),
        libcrypto.subject_hash(second),
    )


REFUSED = [
    ("UTF8String that is not UTF-8", _name([(CN, UTF8, b"\xe9t\xe9")])),
    ("UTF-8 surrogate", _name([(CN, UTF8, b"\xed\xa0\x80")])),
    ("overlong UTF-8", _name([(CN, UTF8, b"\xc0\xaf")])),
    ("BMPString of odd length", _name([(CN, BMP, b"\x00a\x00")])),
    ("surrogate pair in a BMPString", _name([(CN, BMP, "😀".encode("utf-16-be"))])),
    ("UniversalString past U+10FFFF", _name([(CN, UNIVERSAL, b"\x00\x11\x00\x00")])),
]


@pytest.mark.parametrize("name", [r[1] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_names_openssl_cannot_canonicalise_are_malformed(name: bytes, libcrypto: Libcrypto) -> None:
    """A value OpenSSL cannot turn into UTF-8 makes the name unreadable for both, never a wrong hash."""
    assert libcrypto.subject_hash(name) is None
    with pytest.raises(MalformedDER):
        canonical_name(name)


def test_generated_names_hash_and_compare_as_the_loaded_libcrypto_says(libcrypto: Libcrypto) -> None:
    """Thousands of seeded names (every string type, case, white space, non-ASCII) agree with libcrypto."""
    rng = random.Random(2905)  # noqa: S311 - names to compare, not secrets: the same ones every run
    alphabet = "aAzZ09 \t\n\r\x0b\x0c-.é\u00c9ßÜ\u00a0\u0130\u212a中\x00"

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))

    def value(tag: int, spelled: str) -> tuple[int, bytes]:
        try:
            return tag, spelled.encode(CODECS[tag])
        except UnicodeEncodeError:
            return UTF8, spelled.encode("utf-8")

    names, read = [], 0
    for _ in range(3000):
        rdns = [
            [(rng.choice((CN, ORG, UNIT)), *value(rng.choice(list(CODECS)), text())) for _ in range(rng.randint(1, 2))]
            for _ in range(rng.randint(0, 3))
        ]
        names.append(_name(*rdns))
        expected = libcrypto.subject_hash(names[-1])
        if expected is not None:
            read += 1
            assert subject_hash(names[-1]) == expected, names[-1].hex()
    assert read > 2500
    for _ in range(3000):
        spelled = text()
        variants = [rng.choice((spelled, spelled.upper(), spelled.lower(), "  %s\t" % spelled)) for _ in range(2)]
        first, second = (_name([(CN, *value(rng.choice(list(CODECS)), v))]) for v in variants)
        answer = libcrypto.same(first, second)
        if answer is not None:
            assert _ours(first, second) == answer, (first.hex(), second.hex())


def test_matches_every_link_in_the_system_directory() -> None:
    """Every <hash>.<n> link in /etc/ssl/certs is named by the hash we compute for its certificate."""
    links = [p for p in Path("/etc/ssl/certs").glob("*.0") if re.fullmatch(r"[0-9a-f]{8}\.0", p.name)]
    if not links:
        pytest.skip("no hashed /etc/ssl/certs here")
    for link in links:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # some real roots have non-positive serials
            name = x509.load_pem_x509_certificate(link.read_bytes()).subject.public_bytes()
        assert subject_hash(name) == link.name[:8], link


@pytest.mark.parametrize(
    "subject",
    ["/CN=  Mixed   CASE  Name ", "/O=Acme/OU=Ops+CN=multi valued", "/C=DE/CN=Grüße aus München"],
)
def test_matches_the_openssl_command(subject: str, tmp_path: Path) -> None:
    """Odd names (case, spaces, multi-valued RDNs, UTF-8) hash as `openssl x509 -subject_hash` says."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command")
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            subject,
            "-multivalue-rdn",
            "-utf8",
            "-days",
            "1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    expected = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-subject_hash"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    name = x509.load_pem_x509_certificate(cert.read_bytes()).subject.public_bytes()
    assert subject_hash(name) == expected
