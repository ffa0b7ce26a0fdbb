"""A folder's hashed copy: its certificate files with the `<subject hash>.<n>` links `openssl rehash` would make."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from helpers import os_store
from helpers.pki import make_ca

from cadoctor._facts.certs.rehash import hashed_copy


def test_a_root_gets_the_link_openssl_names_and_a_second_root_of_that_name_the_next(tmp_path: Path) -> None:
    """Two roots of one subject get `<hash>.0` and `<hash>.1` (OpenSSL's own hash); the folder itself is untouched."""
    folder, copy = tmp_path / "cas", tmp_path / "copy"
    folder.mkdir()
    copy.mkdir()
    first = make_ca(tmp_path / "first", "cadoctor Rehash Root")
    second = make_ca(tmp_path / "second", "cadoctor Rehash Root")
    shutil.copy(first.bundle, folder / "a.pem")
    shutil.copy(second.bundle, folder / "b.crt")
    shutil.copy(first.bundle, folder / "a-again.pem")  # the same certificate again: linked once, as rehash does
    digest = os_store.subject_hash(folder / "a.pem")
    assert hashed_copy(str(folder), str(copy)) == 2
    links = sorted(p.name for p in copy.iterdir() if p.is_symlink())
    assert links == ["%s.0" % digest, "%s.1" % digest]
    targets = {os.readlink(copy / name) for name in links}
    assert targets == {"a-again.pem", "b.crt"} or targets == {"a.pem", "b.crt"}
    assert (copy / "a.pem").read_bytes() == (folder / "a.pem").read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == ["a-again.pem", "a.pem", "b.crt"]


def test_a_fifo_a_file_of_two_certificates_and_an_old_link_get_no_link(tmp_path: Path) -> None:
    """A FIFO named as a certificate is never opened; a file of two certificates and a stale hash link get no link."""
    folder, copy = tmp_path / "cas", tmp_path / "copy"
    folder.mkdir()
    copy.mkdir()
    root = make_ca(tmp_path / "root", "cadoctor Rehash Root")
    other = make_ca(tmp_path / "other", "cadoctor Other Root")
    os.mkfifo(folder / "waiting.pem")
    (folder / "both.pem").write_bytes(root.bundle.read_bytes() + other.bundle.read_bytes())
    (folder / "deadbeef.0").symlink_to("both.pem")
    shutil.copy(root.bundle, folder / "root.pem")
    assert hashed_copy(str(folder), str(copy)) == 1
    assert sorted(p.name for p in copy.iterdir()) == sorted(
        ["both.pem", "root.pem", "%s.0" % os_store.subject_hash(folder / "root.pem")]
    )
