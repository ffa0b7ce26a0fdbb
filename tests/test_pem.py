"""Where a name is kept: PEM files and hashed folders searched as OpenSSL looks names up, each file decoded once."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import clients
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cadoctor._facts.pem import holds_any, pem_certificates

NOW = datetime.datetime.now(datetime.timezone.utc)


def _root(name: str) -> tuple[x509.Certificate, Any]:
    """A self-signed CA certificate named `name`, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def _name(text: str) -> bytes:
    """A Name's DER, spelled exactly as given."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)]).public_bytes()


def _write(path: Path, *certificates: x509.Certificate) -> Path:
    """The certificates as one PEM file."""
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates))
    return path


@pytest.mark.parametrize(
    ("spelling", "found"),
    [("cadoctor Pem Root", True), ("CADOCTOR   pem ROOT", True), ("cadoctor Pem Rooted", False)],
)
def test_a_name_is_found_in_a_bundle_as_openssl_compares_names(spelling: str, found: bool, tmp_path: Path) -> None:
    """Byte for byte, or in another case and spacing, among unrelated roots; a longer name is another name."""
    others = [_root("cadoctor Other %d" % n)[0] for n in range(20)]
    bundle = _write(tmp_path / "bundle.pem", *others[:10], _root("cadoctor Pem Root")[0], *others[10:])
    assert holds_any(str(bundle), [_name(spelling)]) is found


def test_a_hashed_folder_answers_through_its_links_and_an_anchor_folder_through_its_files(tmp_path: Path) -> None:
    """An unlinked file is found only where files count (a local anchor folder); its <hash>.0 link finds it anywhere."""
    folder = tmp_path / "certs"
    folder.mkdir()
    root = _write(folder / "private.crt", _root("cadoctor Folder Root")[0])
    wanted = [_name("cadoctor Folder Root")]
    assert (holds_any(str(folder), wanted), holds_any(str(folder), wanted, loose=True)) == (False, True)
    os.symlink("private.crt", folder / ("%s.0" % clients.subject_hash(root)))  # named by the openssl command
    assert holds_any(str(folder), wanted) is True


def test_a_bundle_that_changed_on_disk_is_read_again(tmp_path: Path) -> None:
    """The decoded certificates of a file are kept for the run, and dropped once the file changes."""
    first, second = _root("cadoctor First")[0], _root("cadoctor Second")[0]
    bundle = _write(tmp_path / "bundle.pem", first)
    assert len(pem_certificates(str(bundle))) == 1
    _write(bundle, first, second)
    assert pem_certificates(str(bundle)) == [c.public_bytes(serialization.Encoding.DER) for c in (first, second)]
