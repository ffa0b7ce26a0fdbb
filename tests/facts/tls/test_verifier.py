"""The offline chain check against a client's store agrees with a real handshake by this process's OpenSSL."""

from __future__ import annotations

import datetime
import ssl
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helpers.servers import serve, server_context, tls_handler

from cadoctor._facts.tls.verifier import verdicts
from cadoctor._model import StoreVerdict

NOW = datetime.datetime.now(datetime.timezone.utc)


def _certificate(subject: str, issuer: str, key: Any, signer: Any, ca: bool) -> x509.Certificate:
    """A certificate whose issuer field is spelled exactly as given (case and spacing included)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
    )  # key identifiers: Python 3.13's strict default context rejects a chain without them, as OpenSSL's verifier
    if ca:  # key usage too: strict verification wants it on a CA
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _pem(*certificates: x509.Certificate) -> bytes:
    """The certificates as one PEM file."""
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def _chain(tmp_path: Path, issuer_spelling: str) -> tuple[tuple[bytes, ...], Path, Path, Path]:
    """Root → intermediate → leaf, the intermediate naming its issuer as `issuer_spelling`; DERs and files."""
    root_key, middle_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _certificate("cadoctor Fold Root", "cadoctor Fold Root", root_key, root_key, ca=True)
    middle = _certificate("cadoctor Fold Intermediate", issuer_spelling, middle_key, root_key, ca=True)
    leaf = _certificate("localhost", "cadoctor Fold Intermediate", leaf_key, middle_key, ca=False)
    (tmp_path / "root.pem").write_bytes(_pem(root))
    (tmp_path / "leaf.pem").write_bytes(_pem(leaf))
    (tmp_path / "middle.pem").write_bytes(_pem(middle))
    key = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "leaf.key").write_bytes(key)
    ders = tuple(c.public_bytes(serialization.Encoding.DER) for c in (leaf, middle))
    return ders, tmp_path / "root.pem", tmp_path / "leaf.pem", tmp_path / "middle.pem"


def _verdict(chain: tuple[bytes, ...], store: Path) -> StoreVerdict:
    """The one verdict for `store` (the check itself must have run)."""
    answer = verdicts(chain, [str(store)], strict=sys.version_info >= (3, 13))  # as this Python's default context
    assert not isinstance(answer, str), answer
    return answer[0]


def _handshake_verifies(leaf: Path, middle: Path, cafile: Path) -> bool:
    """Whether a real handshake with `cafile` as the only trust accepts the server's leaf + intermediate."""
    context = server_context(leaf, leaf.with_suffix(".key"), middle)
    client = ssl.create_default_context(cafile=str(cafile))
    with serve(tls_handler(context)) as port:
        import socket

        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            try:
                with client.wrap_socket(raw, server_hostname="localhost"):
                    return True
            except ssl.SSLCertVerificationError:
                return False


@pytest.mark.parametrize("spelling", ["cadoctor Fold Root", "CADOCTOR   fold ROOT", "cadoctor Fold Rooted"])
def test_a_root_is_found_the_way_openssl_compares_names(spelling: str, tmp_path: Path) -> None:
    """An issuer named in another case or spacing finds its root as OpenSSL does; another name does not."""
    chain, root, leaf, middle = _chain(tmp_path, spelling)
    verdict = _verdict(chain, root)
    assert verdict.ok is _handshake_verifies(leaf, middle, root), verdict
    assert verdict.ok is (spelling != "cadoctor Fold Rooted")


def test_a_root_among_many_is_found_and_a_damaged_block_voids_the_file(tmp_path: Path) -> None:
    """The root after 150 unrelated certificates verifies the chain; one block that does not decode makes OpenSSL
    load none of the file, and the verdict fails as a client's context does."""
    chain, root, _, _ = _chain(tmp_path, "cadoctor Fold Root")
    others = []
    for index in range(150):
        key = ec.generate_private_key(ec.SECP256R1())
        others.append(_certificate("Other Root %d" % index, "Other Root %d" % index, key, key, ca=True))
    store = tmp_path / "store.pem"
    store.write_bytes(_pem(*others) + root.read_bytes())
    assert _verdict(chain, store).ok is True
    damaged = tmp_path / "damaged.pem"
    damaged.write_bytes(_pem(*others) + b"-----BEGIN CERTIFICATE-----\n!!not base64!!\n-----END CERTIFICATE-----\n")
    with damaged.open("ab") as handle:
        handle.write(root.read_bytes())
    with pytest.raises(ssl.SSLError):  # the ground truth: OpenSSL's CA file reader takes all of a file or none
        ssl.create_default_context(cafile=str(damaged))
    verdict = _verdict(chain, damaged)
    assert (verdict.ok, verdict.reason) == (False, "it holds no certificate OpenSSL can load")


def test_a_store_without_the_root_fails_with_openssls_reason(tmp_path: Path) -> None:
    """Without the root, the answer is OpenSSL's: unable to get local issuer certificate."""
    chain, _, _, _ = _chain(tmp_path, "cadoctor Fold Root")
    key = ec.generate_private_key(ec.SECP256R1())
    store = tmp_path / "store.pem"
    store.write_bytes(_pem(_certificate("Unrelated Root", "Unrelated Root", key, key, ca=True)))
    verdict = _verdict(chain, store)
    assert verdict.ok is False
    assert verdict.reason == "unable to get local issuer certificate"


def test_strict_checks_what_python_3_13_checks(tmp_path: Path) -> None:
    """A chain without key identifiers verifies with OpenSSL's defaults, and not with 3.13's strict flags."""
    root_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))

    def bare(subject: str, key: Any, ca: bool) -> x509.Certificate:
        """A certificate signed by the root key, with basic constraints and nothing else."""
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cadoctor Bare Root")]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(root_key, hashes.SHA256())
        )

    root, leaf = bare("cadoctor Bare Root", root_key, True), bare("localhost", leaf_key, False)
    (tmp_path / "root.pem").write_bytes(_pem(root))
    chain = (leaf.public_bytes(serialization.Encoding.DER),)
    lenient = verdicts(chain, [str(tmp_path / "root.pem")])
    strict = verdicts(chain, [str(tmp_path / "root.pem")], strict=True)
    assert not isinstance(lenient, str)
    assert not isinstance(strict, str)
    assert (lenient[0].ok, strict[0].ok) == (True, False)
