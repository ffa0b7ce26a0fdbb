"""Where a name is kept: PEM files and hashed folders searched as OpenSSL looks names up, each file decoded once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from helpers import os_store
from helpers.pki import make_ca

from cadoctor._facts.certs.pem import pem_certificates, store_holds


def _root(folder: Path, name: str) -> bytes:
    """A fresh root CA named `name`, as PEM."""
    return make_ca(folder / name.replace(" ", "-"), name).bundle.read_bytes()


def _name(text: str) -> bytes:
    """A Name's DER, spelled exactly as given."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)]).public_bytes()


@pytest.mark.parametrize(
    ("spelling", "found"),
    [("cadoctor Pem Root", True), ("CADOCTOR   pem ROOT", True), ("cadoctor Pem Rooted", False)],
)
def test_a_name_is_found_in_a_bundle_as_openssl_compares_names(spelling: str, found: bool, tmp_path: Path) -> None:
    """Byte for byte, or in another case and spacing, among unrelated roots; a longer name is another name."""
    others = [_root(tmp_path, "cadoctor Other %d" % n) for n in range(20)]
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"".join([*others[:10], _root(tmp_path, "cadoctor Pem Root"), *others[10:]]))
    assert store_holds(str(bundle), [_name(spelling)]) is found


def test_a_hashed_folder_answers_through_its_links_and_an_anchor_folder_through_its_files(tmp_path: Path) -> None:
    """An unlinked file is found only where files count (a local anchor folder); its <hash>.0 link finds it anywhere."""
    folder = tmp_path / "certs"
    folder.mkdir()
    root = folder / "private.crt"
    root.write_bytes(_root(tmp_path, "cadoctor Folder Root"))
    wanted = [_name("cadoctor Folder Root")]
    assert (store_holds(str(folder), wanted), store_holds(str(folder), wanted, loose=True)) == (False, True)
    os.symlink("private.crt", folder / ("%s.0" % os_store.subject_hash(root)))  # named by the openssl command
    assert store_holds(str(folder), wanted) is True


def test_a_bundle_that_changed_on_disk_is_read_again(tmp_path: Path) -> None:
    """The decoded certificates of a file are kept for the run, and dropped once the file changes."""
    first, second = _root(tmp_path, "cadoctor First"), _root(tmp_path, "cadoctor Second")
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(first)
    assert len(pem_certificates(str(bundle))) == 1
    bundle.write_bytes(first + second)
    names = [x509.load_der_x509_certificate(der).subject.rfc4514_string() for der in pem_certificates(str(bundle))]
    assert names == ["CN=cadoctor First", "CN=cadoctor Second"]
