"""Odd but real CA files (editors' and other platforms' output) count as the loaded libcrypto reads them.

Each file carries the root of a loopback server among others, written the way some tool or editor writes it.
The ground truth is OpenSSL's, measured here: what `load_verify_locations` loads (`cert_store_stats`) and whether
a real handshake under that store succeeds, as a CA file and as a hashed folder's link. cadoctor's inventory,
its lookups and its offline verdict must agree with both.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import os
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helpers.pki import GeneratedCA, make_ca
from helpers.servers import serve_tls

from cadoctor._facts import memo
from cadoctor._facts.certs.bundle import certificates_named, inventory_bundle
from cadoctor._facts.certs.names import subject_hash
from cadoctor._facts.certs.pem import pem_certificates, store_holds
from cadoctor._facts.tls.verifier import verdicts

PEM, DER = serialization.Encoding.PEM, serialization.Encoding.DER


def _root(name: str) -> x509.Certificate:
    """A self-signed CA certificate that nothing here issues under: a bystander in the bundle."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


class Pieces:
    """The server's root and two bystanders, in every encoding the cases need."""

    def __init__(self, ca: GeneratedCA) -> None:
        self.root_pem = ca.bundle.read_bytes()
        self.root_der = x509.load_pem_x509_certificate(self.root_pem).public_bytes(DER)
        bystanders = [_root("cadoctor Bystander %d" % index) for index in range(2)]
        self.first, self.second = (c.public_bytes(PEM) for c in bystanders)
        self.key = ec.generate_private_key(ec.SECP256R1())

    def relabelled(self, label: bytes) -> bytes:
        """The root under another PEM label (TRUSTED CERTIFICATE, X509 CERTIFICATE)."""
        return self.root_pem.replace(b"CERTIFICATE-----", label + b"-----")

    def body(self) -> bytes:
        """The root's base64 on one line."""
        return b"".join(self.root_pem.splitlines()[1:-1])

    def crl(self) -> bytes:
        """A CRL, PEM-encoded, signed by a key of its own."""
        now = datetime.datetime.now(datetime.timezone.utc)
        crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cadoctor CRL Issuer")]))
            .last_update(now)
            .next_update(now + datetime.timedelta(days=7))
            .sign(self.key, hashes.SHA256())
        )
        return crl.public_bytes(PEM)

    def private_key(self, form: serialization.PrivateFormat) -> bytes:
        """A private key in PEM, as people paste it beside the certificate."""
        return self.key.private_bytes(PEM, form, serialization.NoEncryption())


def _wrapped(body: bytes, width: int) -> bytes:
    """Base64 in lines of `width` characters."""
    return b"\n".join(body[i : i + width] for i in range(0, len(body), width))


# Each case writes a CA file from the pieces, the way a real tool or editor would.
CASES: dict[str, Callable[[Pieces], bytes]] = {
    "plain": lambda p: p.first + p.second + p.root_pem,
    "crlf (Windows editors)": lambda p: (p.first + p.root_pem + p.second).replace(b"\n", b"\r\n"),
    "utf-8 byte-order mark (Notepad)": lambda p: b"\xef\xbb\xbf" + p.root_pem + p.first,
    "text before and between blocks (certifi's comments)": lambda p: (
        b"# Issuer: CN=x\n# Label: \xc3\xa9t\xc3\xa9\n"
        + p.first
        + b"\nSubject: CN=root\n"
        + p.root_pem
        + b"trailing words\n"
    ),
    "trusted certificate (openssl x509 -trustout)": lambda p: p.first + p.relabelled(b"TRUSTED CERTIFICATE"),
    "x509 certificate (old tools)": lambda p: p.relabelled(b"X509 CERTIFICATE") + p.first,
    "DER between PEM blocks (update-ca-certificates with a DER .crt)": lambda p: p.first + p.root_der + p.second,
    "DER between PEM blocks on their own lines": lambda p: p.first + p.root_der + b"\n" + p.second,
    "base64 in 40-character lines": lambda p: (
        p.first + b"-----BEGIN CERTIFICATE-----\n" + _wrapped(p.body(), 40) + b"\n-----END CERTIFICATE-----\n"
    ),
    "base64 on one line": lambda p: (
        p.first + b"-----BEGIN CERTIFICATE-----\n" + p.body() + b"\n-----END CERTIFICATE-----\n"
    ),
    "spaces inside base64 lines": lambda p: (
        p.first
        + b"-----BEGIN CERTIFICATE-----\n"
        + b"\n".join(line[:10] + b" " + line[10:] for line in _wrapped(p.body(), 64).split(b"\n"))
        + b"\n-----END CERTIFICATE-----\n"
    ),
    "no final newline": lambda p: p.first + p.root_pem.rstrip(b"\n"),
    "END and BEGIN glued on one line (cat of a file without a final newline)": lambda p: (
        p.first.rstrip(b"\n") + p.root_pem + p.second
    ),
    "the root glued after the last END": lambda p: p.first + p.second.rstrip(b"\n") + p.root_pem,
    "trailing partial block (a cut download)": lambda p: p.root_pem + p.first + p.second[: len(p.second) // 2],
    "a file of only CRLs": lambda p: p.crl(),
    "CRL beside the certificates": lambda p: p.first + p.crl() + p.root_pem,
    "private key in the bundle (PKCS#8)": lambda p: p.private_key(serialization.PrivateFormat.PKCS8) + p.root_pem,
    "private key in the bundle (traditional)": lambda p: (
        p.root_pem + p.private_key(serialization.PrivateFormat.TraditionalOpenSSL)
    ),
    "a block that is not base64": lambda p: (
        p.first + b"-----BEGIN CERTIFICATE-----\n!!not base64!!\n-----END CERTIFICATE-----\n" + p.root_pem
    ),
    "an indented block": lambda p: p.first + b"  " + p.root_pem + p.second,
    "a NUL line before the root": lambda p: p.first + b"\x00\x00\n" + p.root_pem,
    "lines ending in CR alone (classic Mac OS)": lambda p: (p.root_pem + p.first).replace(b"\n", b"\r"),
    "UTF-16 (Windows 'Unicode')": lambda p: (p.root_pem + p.first).decode("ascii").encode("utf-16"),
    "a whole DER file named .crt": lambda p: p.root_der,
    "the same root twice": lambda p: p.root_pem + p.first + p.root_pem,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GeneratedCA, int]]:
    """One loopback server under a root of its own, for every case."""
    ca = make_ca(tmp_path_factory.mktemp("odd") / "ca", "cadoctor Odd Files Root")
    with serve_tls(ca) as port:
        yield ca, port


def _loaded(cafile: str | None = None, capath: str | None = None) -> tuple[int, ssl.SSLContext]:
    """What OpenSSL loads into a fresh client context (its certificate count), and the context; a file it rejects
    loads nothing."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with contextlib.suppress(ssl.SSLError):
        context.load_verify_locations(cafile=cafile, capath=capath)
    return context.cert_store_stats()["x509"], context


def _handshake(context: ssl.SSLContext, port: int) -> bool:
    """Whether a real handshake to the loopback server verifies with this context."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="localhost"):
                return True
        except ssl.SSLCertVerificationError:
            return False


def _chain(ca: GeneratedCA) -> tuple[bytes, ...]:
    """The chain the server sends: its leaf alone."""
    return (x509.load_pem_x509_certificate(ca.cert.read_bytes()).public_bytes(DER),)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_ca_file_counts_as_openssl_loads_it(case: str, server: tuple[GeneratedCA, int], tmp_path: Path) -> None:
    """The inventory counts what OpenSSL loads, holds the root exactly when a handshake verifies, says why the
    rest is dropped, and the offline verdict agrees with the handshake."""
    ca, port = server
    pieces = Pieces(ca)
    path = tmp_path / "bundle.crt"
    path.write_bytes(CASES[case](pieces))
    count, context = _loaded(cafile=str(path))
    verifies = _handshake(context, port)

    memo.forget()
    bundle = inventory_bundle(str(path), ("env:SSL_CERT_FILE",))
    distinct = len({der for der in bundle.ders.values()})
    assert (distinct, bundle.certificates - bundle.duplicates) == (count, count), bundle
    root = x509.load_pem_x509_certificate(pieces.root_pem).subject.public_bytes()
    assert bool(certificates_named(str(path), root)) is verifies
    assert store_holds(str(path), [root]) is verifies
    assert (pieces.root_der in pem_certificates(str(path))) is verifies
    verdict = verdicts(_chain(ca), [str(path)])
    assert not isinstance(verdict, str)
    assert verdict[0].ok is verifies, verdict
    if bundle.unparseable:  # OpenSSL's own reading decided, and says why
        assert bundle.problems, bundle
        assert bundle.read_by, bundle
    assert bundle.unparseable == bundle.marked - bundle.certificates


def _linked(tmp_path: Path, content: bytes, pieces: Pieces) -> tuple[Path, Path, bytes]:
    """A hashed folder whose one file holds `content`, linked under the root's subject hash; the root's name."""
    folder = tmp_path / "certs"
    folder.mkdir()
    path = folder / "odd.pem"
    path.write_bytes(content)
    name = x509.load_pem_x509_certificate(pieces.root_pem).subject.public_bytes()
    os.symlink("odd.pem", folder / ("%s.0" % subject_hash(name)))
    return folder, path, name


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_kept_answer_for_an_odd_file_is_openssls_too(
    case: str, server: tuple[GeneratedCA, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file searched in a check that keeps what it reads (`kept_subjects`), then again by a new check that
    reads nothing it need not: the second answer is still the handshake's, for the file and for a hashed link."""
    from cadoctor._facts.certs import kept_parses, kept_subjects

    ca, port = server
    pieces = Pieces(ca)
    folder, path, root = _linked(tmp_path, CASES[case](pieces), pieces)
    as_file = _handshake(_loaded(cafile=str(path))[1], port)
    as_link = _handshake(_loaded(capath=str(folder))[1], port)
    monkeypatch.setenv("CADOCTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(kept_subjects, "RACY", 0.2)
    time.sleep(0.3)  # older than the margin, as a real store is: what is read from it may be kept
    answers = []
    for _ in range(2):
        kept_parses.forget()
        kept_subjects.forget()
        with memo.CheckScope(True):
            answers.append((store_holds(str(path), [root]), store_holds(str(folder), [root])))
    assert answers == [(as_file, as_link)] * 2
    assert (tmp_path / "cache" / "subjects.json").is_file()  # the second answers came through what was kept


@pytest.mark.parametrize(
    "case",
    [
        "crlf (Windows editors)",
        "utf-8 byte-order mark (Notepad)",
        "END and BEGIN glued on one line (cat of a file without a final newline)",
        "trailing partial block (a cut download)",
        "a block that is not base64",
        "private key in the bundle (traditional)",
        "the root glued after the last END",
    ],
)
def test_a_hashed_folder_reads_each_link_as_openssl_does(
    case: str, server: tuple[GeneratedCA, int], tmp_path: Path
) -> None:
    """A hashed folder whose link reaches an odd file serves the root exactly when a handshake under it
    verifies: a link's file loads up to its first bad block, unlike a CA file."""
    ca, port = server
    pieces = Pieces(ca)
    folder, _, name = _linked(tmp_path, CASES[case](pieces), pieces)
    _, context = _loaded(capath=str(folder))
    verifies = _handshake(context, port)

    memo.forget()
    bundle = inventory_bundle(str(folder), ("env:SSL_CERT_DIR",))
    identity = next((i for i, der in bundle.ders.items() if der == pieces.root_der), None)
    assert (identity is not None and bundle.certificates > 0) is verifies, bundle
    assert store_holds(str(folder), [name]) is verifies
    verdict = verdicts(_chain(ca), [str(folder)])
    assert not isinstance(verdict, str)
    assert verdict[0].ok is verifies, verdict


def test_a_glued_bundle_is_reported_where_openssl_stops(server: tuple[GeneratedCA, int], tmp_path: Path) -> None:
    """The problem names the line where OpenSSL's reading stops and what is wrong there, and counts none loaded."""
    ca, _ = server
    pieces = Pieces(ca)
    path = tmp_path / "glued.pem"
    path.write_bytes(CASES["END and BEGIN glued on one line (cat of a file without a final newline)"](pieces))
    bundle = inventory_bundle(str(path), ("t",))
    glued_at = pieces.first.count(b"\n")  # the first block's END line, glued to the root's BEGIN
    assert (bundle.certificates, bundle.marked, bundle.unparseable) == (0, 3, 3)
    assert bundle.problems == (
        "OpenSSL stops reading at line %d (the block at line %d: its BEGIN line does not start a line (glued to "
        "the line before, or indented)): bad end line; it then loads none of this file's 3 certificate(s)"
        % (glued_at, glued_at),
    )


def test_a_der_certificate_between_blocks_is_named(server: tuple[GeneratedCA, int], tmp_path: Path) -> None:
    """A DER certificate appended between PEM blocks is named by its subject as one OpenSSL never loads."""
    ca, _ = server
    pieces = Pieces(ca)
    path = tmp_path / "ca-certificates.crt"
    path.write_bytes(CASES["DER between PEM blocks on their own lines"](pieces))
    bundle = inventory_bundle(str(path), ("t",))
    assert (bundle.certificates, bundle.marked) == (2, 3)
    assert any("a DER certificate (CN=cadoctor Odd Files Root)" in p for p in bundle.problems), bundle.problems


def test_a_block_only_cadoctors_reader_fails_on_is_not_reported(tmp_path: Path) -> None:
    """A certificate the DER reader cannot read whole but OpenSSL loads counts as loaded, with no problem."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cadoctor Odd Extension Root")])
    now = datetime.datetime.now(datetime.timezone.utc)
    odd = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.UnrecognizedExtension(x509.oid.ExtensionOID.BASIC_CONSTRAINTS, b"\x01\x02"), False)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "odd.pem"
    path.write_bytes(odd.public_bytes(PEM) + _root("cadoctor Bystander").public_bytes(PEM))
    count, _ = _loaded(cafile=str(path))
    bundle = inventory_bundle(str(path), ("t",))
    assert (count, bundle.certificates, bundle.unparseable, bundle.problems) == (2, 2, 0, ())


def test_a_file_of_crls_says_it_holds_no_certificate(tmp_path: Path) -> None:
    """A file of CRLs alone loads in OpenSSL (as CRLs) and is described as holding no certificate."""
    ca = make_ca(tmp_path / "ca")
    path = tmp_path / "revoked.crl.pem"
    path.write_bytes(Pieces(ca).crl())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(path))  # no error: a CRL is something OpenSSL loads
    assert context.cert_store_stats() == {"x509": 0, "crl": 1, "x509_ca": 0}
    bundle = inventory_bundle(str(path), ("t",))
    assert (bundle.certificates, bundle.crls, bundle.error) == (0, 1, "no certificate, only 1 CRL(s)")


def test_a_plain_bundle_is_decided_without_asking_openssl(tmp_path: Path) -> None:
    """A plain PEM file is read by the scan alone (no libcrypto reading), and agrees with OpenSSL's count."""
    bystanders = [_root("cadoctor Plain %d" % index).public_bytes(PEM) for index in range(5)]
    path = tmp_path / "plain.pem"
    path.write_bytes(b"# a comment\n" + b"".join(bystanders))
    count, _ = _loaded(cafile=str(path))
    bundle = inventory_bundle(str(path), ("t",))
    assert (bundle.certificates, bundle.read_by) == (count, None)


def test_a_file_larger_than_openssl_is_handed_keeps_the_scans_reading(tmp_path: Path) -> None:
    """A damaged file larger than OpenSSL is handed whole is read by the scan, which still counts its blocks."""
    from cadoctor._facts.certs.openssl_reading import OPENSSL_READ_LIMIT

    block = _root("cadoctor Big").public_bytes(PEM)
    path = tmp_path / "big.pem"
    with path.open("wb") as handle:
        handle.write(block + b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n")
        handle.write((b"#" * 1023 + b"\n") * (OPENSSL_READ_LIMIT // 1024 + 1))
    bundle = inventory_bundle(str(path), ("t",))
    assert (bundle.certificates, bundle.marked, bundle.read_by) == (1, 2, None)


def test_der_and_base64_helpers_agree_with_cryptography() -> None:
    """The pieces the cases are built from are what they claim (a sanity check of this test's own data)."""
    root = _root("cadoctor Sanity")
    assert base64.b64decode(b"".join(root.public_bytes(PEM).splitlines()[1:-1])) == root.public_bytes(DER)
