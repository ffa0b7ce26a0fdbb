"""A file searched for a failing host's issuers is not read again while unchanged and holding none of them.

A real bundle (this machine's OS bundle, copied) and roots made here; each check is a new process's (nothing in
memory); the cache folder is the test's own. The reads are counted by wrapping the reader (`pem._read`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from helpers.pki import make_ca
from helpers.trials import damage_kept_file, mutations

from cadoctor._facts import memo
from cadoctor._facts.certs import kept_parses, kept_subjects, pem

SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
RACY = 0.2  # the tests' own margin for a file changed just before it was read (kept_subjects.RACY is 2 s)


class Searched:
    """A copy of the OS bundle aged past the margin, a root it lacks, and the reads of the reader counted."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Copy the bundle, make the root, count the reads."""
        if not SYSTEM_BUNDLE.is_file():
            pytest.skip("no OS bundle here")
        self.tmp_path = tmp_path
        self.bundle = tmp_path / "bundle.pem"
        self.bundle.write_bytes(SYSTEM_BUNDLE.read_bytes())
        self.root = make_ca(tmp_path / "root", "cadoctor Kept Subjects Root")
        self.age()
        self.reads = 0
        monkeypatch.setenv("CADOCTOR_CACHE", str(tmp_path / "cache"))
        monkeypatch.setattr(kept_subjects, "RACY", RACY)
        real = pem._read

        def counted(*args: Any) -> Any:
            self.reads += 1
            return real(*args)

        monkeypatch.setattr(pem, "_read", counted)

    def age(self) -> None:
        """Wait until the bundle is older than the margin, as a store on disk is: what is read from it may be kept."""
        time.sleep(RACY + 0.1)

    def name(self, text: str | None = None) -> bytes:
        """The root's subject (or the same words spelled otherwise), as a failing chain names its issuer."""
        if text is None:
            return x509.load_pem_x509_certificate(self.root.bundle.read_bytes()).subject.public_bytes()
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)]).public_bytes()

    def searched(self, name: bytes, cache: bool = True) -> tuple[bool, int]:
        """Whether the bundle holds `name`, as a new process's check says; and how many reads that took."""
        kept_parses.forget()
        kept_subjects.forget()
        before = self.reads
        with memo.CheckScope(cache):
            held = pem.file_holds(str(self.bundle), [name])
        return held, self.reads - before


@pytest.fixture
def searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Searched]:
    """The scene, with nothing kept yet."""
    yield Searched(tmp_path, monkeypatch)
    kept_parses.forget()
    kept_subjects.forget()


def test_an_unchanged_file_without_the_name_is_not_read_again(searched: Searched) -> None:
    """The first search reads the bundle and keeps its subjects; the next answers the same without reading it."""
    assert searched.searched(searched.name()) == (False, 1)
    assert searched.searched(searched.name()) == (False, 0)
    assert (searched.tmp_path / "cache" / "subjects.json").stat().st_mode & 0o077 == 0


def test_a_root_added_to_the_file_is_found(searched: Searched) -> None:
    """The bundle gains the root: its identity changed, it is read again, and the root is found."""
    searched.searched(searched.name())
    searched.bundle.write_bytes(searched.bundle.read_bytes() + searched.root.bundle.read_bytes())
    searched.age()
    assert searched.searched(searched.name()) == (True, 1)


def test_a_name_openssl_takes_for_the_same_is_looked_for_in_the_file(searched: Searched) -> None:
    """The root in the bundle, looked for under its name in another case and spacing: OpenSSL takes both for one
    name, they have one hash, so the kept hashes send the search to the file, which holds it."""
    searched.bundle.write_bytes(searched.bundle.read_bytes() + searched.root.bundle.read_bytes())
    searched.age()
    assert searched.searched(searched.name()) == (True, 1)
    assert searched.searched(searched.name("CADOCTOR   kept SUBJECTS root")) == (True, 1)
    assert searched.searched(searched.name("cadoctor Kept Subjects Rooted")) == (False, 0)


def test_a_file_changed_just_now_is_not_kept(searched: Searched) -> None:
    """A file written within the margin may change again within its clock's tick: read every time until it ages."""
    searched.bundle.write_bytes(searched.bundle.read_bytes())  # just now
    assert [searched.searched(searched.name())[1] for _ in range(2)] == [1, 1]
    searched.age()
    assert [searched.searched(searched.name())[1] for _ in range(2)] == [1, 0]


def test_no_cache_neither_reads_nor_writes_the_kept_subjects(searched: Searched) -> None:
    """--no-cache reads the file every time and leaves no file of kept subjects; one kept earlier is not read."""
    assert [searched.searched(searched.name(), cache=False)[1] for _ in range(2)] == [1, 1]
    assert not (searched.tmp_path / "cache" / "subjects.json").exists()
    searched.searched(searched.name())
    assert searched.searched(searched.name(), cache=False)[1] == 1


@pytest.mark.parametrize("damage", ["group-writable", "garbage", "another version", "a malformed entry", "a fifo"])
def test_a_kept_file_that_is_not_the_readers_own_is_never_read(searched: Searched, damage: str) -> None:
    """A file someone else could write, not JSON, of another version, with one entry of the wrong shape, or a FIFO in
    its place: passed over whole (the bundle is read), and the check keeps its own."""
    searched.searched(searched.name())

    def malformed(document: dict[str, Any]) -> None:
        document["files"][next(iter(document["files"]))] = [[1, 2, 3], ["not a hash"]]

    damage_kept_file(searched.tmp_path / "cache" / "subjects.json", damage, kept_subjects.VERSION, malformed)
    assert searched.searched(searched.name()) == (False, 1)
    assert searched.searched(searched.name()) == (False, 0)


def test_a_damaged_file_of_kept_subjects_never_fails_a_search(searched: Searched) -> None:
    """Two hundred mutations of a real file (bytes flipped, cut, repeated, the tail cut off): a search never
    raises, and answers as the bundle does. (Values of the right shape are the user's own file's: it is private.)"""
    searched.searched(searched.name())
    kept = searched.tmp_path / "cache" / "subjects.json"
    for data in mutations(kept.read_bytes(), 200):
        kept.write_bytes(data)
        assert searched.searched(searched.name())[0] is False


@pytest.mark.parametrize("damaged", [False, True], ids=["bundle", "bundle-that-loads-nothing"])
def test_the_offline_verdict_against_a_kept_file_is_openssls_own(
    searched: Searched, tmp_path: Path, damaged: bool
) -> None:
    """A chain checked against a bundle that holds none of its issuers: OpenSSL's verdict (no local issuer; or,
    for a bundle with a cut block, that it loads nothing), the same when the file is passed over as kept."""
    from helpers.pki import make_chain

    from cadoctor._facts.tls.verifier import verdicts

    chain = make_chain(tmp_path / "chain", "cadoctor Kept Verdict Root")
    if damaged:  # OpenSSL stops at the cut block and loads none of the file
        searched.bundle.write_bytes(searched.bundle.read_bytes() + b"-----BEGIN CERTIFICATE-----\nMIIB\n")
        searched.age()
    sent = [p for p in (chain.leaf, chain.intermediate) if p is not None]
    ders = tuple(x509.load_pem_x509_certificate(p.read_bytes()).public_bytes(Encoding.DER) for p in sent)
    seen = []
    for _ in range(2):
        kept_parses.forget()
        kept_subjects.forget()
        before = searched.reads
        with memo.CheckScope(True):
            seen.append((verdicts(ders, [str(searched.bundle)]), searched.reads - before))
    (first, read), (second, unread) = seen
    assert (read, unread) == (1, 0)
    assert first == second
    assert not isinstance(first, str)
    assert first[0].ok is False
    said = "holds no certificate OpenSSL can load" if damaged else "unable to get local issuer certificate"
    assert said in (first[0].reason or ""), first
