"""Certificates parsed by an earlier check are not parsed again: the kept facts are the reader's own, to the field.

Each test checks this machine's own Python in process, with a private cache folder, after forgetting what this
process parsed (its in-memory cache) and what it read of the file: the next check reads the file as a new process
would. The reader is counted by wrapping the module's `certificate_facts`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.environment import child_env
from helpers.pki import make_ca
from helpers.trials import damage_kept_file, mutations

from cadoctor import check
from cadoctor._facts.certs import bundle, kept_parses
from cadoctor._facts.certs.pem import pem_certificates

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


class Counted:
    """`certificate_facts`, counted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Wrap the reader the inventory calls."""
        self.calls = 0
        from cadoctor._facts.certs.der import certificate_facts as real

        def counted(der: bytes) -> Any:
            self.calls += 1
            return real(der)

        monkeypatch.setattr(bundle, "certificate_facts", counted)

    def checked(self, cache: bool = True) -> int:
        """Certificates parsed by one check, as by a new process (nothing parsed in memory, the file read anew)."""
        bundle.parse.cache_clear()
        kept_parses.forget()
        before = self.calls
        check(verify=False, cache=cache)
        return self.calls - before


@pytest.fixture
def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counted]:
    """A private cache folder, this environment's CA variables cleared, and the reader counted."""
    for name, value in child_env(CADOCTOR_CACHE=str(tmp_path / "cache")).items():
        monkeypatch.setenv(name, value)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PIP_CERT"):
        monkeypatch.delenv(name, raising=False)
    made = Counted(monkeypatch)
    yield made
    bundle.parse.cache_clear()
    kept_parses.forget()


def test_a_second_check_parses_no_certificate_it_parsed_before(counted: Counted, tmp_path: Path) -> None:
    """The first check parses the roots of every store it reads and keeps them; the next parses none of them."""
    first = counted.checked()
    assert first > 100  # the OS bundle alone holds well over a hundred roots
    kept = tmp_path / "cache" / "certificates.json"
    assert kept.stat().st_mode & 0o077 == 0
    assert counted.checked() == 0


def test_a_second_check_takes_no_subject_hash_it_took_before(
    counted: Counted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hashed folder's links are checked against their certificates' subject hashes: the first check takes
    each hash (and counts the folder's links as OpenSSL would name them); the next takes none, with the same counts.
    """
    from cadoctor._facts.certs import names

    real = names.subject_hash

    taken: list[bytes] = []

    def counted_hash(subject: bytes) -> str:
        taken.append(subject)
        return real(subject)

    monkeypatch.setattr(names, "subject_hash", counted_hash)  # what every kept hash is taken by
    counted.checked()
    assert len(taken) > 100  # the OS's hashed folder links each of its roots
    folders = [b for b in check(verify=False).facts.bundles if b.hash_links]
    assert folders, "no hashed folder here"
    del taken[:]
    kept_parses.forget()
    again = [b for b in check(verify=False).facts.bundles if b.hash_links]
    assert taken == []
    assert [(b.hash_links, b.hash_mismatches) for b in again] == [(b.hash_links, b.hash_mismatches) for b in folders]


def test_the_kept_facts_are_the_readers_to_the_field(counted: Counted) -> None:
    """Every root of the OS bundle, and bytes the reader refuses, read back from the file as parsed fresh."""
    roots = pem_certificates(SYSTEM_BUNDLE) if os.path.isfile(SYSTEM_BUNDLE) else []
    assert roots, "no OS bundle here"
    refused = b"\x30\x03\x02\x01\x00"  # whole DER, but no certificate: the reader refuses it, and that is kept
    fresh = {der: bundle._parsed(der) for der in [*roots, refused]}
    assert fresh[refused] is None
    from cadoctor._facts.memo import CheckScope

    with CheckScope():
        bundle.parse.cache_clear()
        kept_parses.forget()
        assert all(bundle.parse(der) == fresh[der] for der in fresh)  # parsed, and kept when the scope ends
    parsed = counted.calls
    with CheckScope():
        bundle.parse.cache_clear()
        kept_parses.forget()
        assert all(bundle.parse(der) == fresh[der] for der in fresh)  # every one read back from the file
    assert counted.calls == parsed  # none parsed a second time


def test_no_cache_neither_reads_nor_writes_the_file(counted: Counted, tmp_path: Path) -> None:
    """--no-cache parses everything and leaves no file; a kept file is not read under it."""
    assert counted.checked(cache=False) > 100
    assert not (tmp_path / "cache" / "certificates.json").exists()
    counted.checked()
    assert counted.checked(cache=False) > 100


@pytest.mark.parametrize(
    "damage",
    ["group-writable", "garbage", "another version", "a malformed entry", "a malformed hash", "a symlink", "a fifo"],
)
def test_a_file_that_is_not_the_readers_own_is_never_read(counted: Counted, tmp_path: Path, damage: str) -> None:
    """A file someone else could have written, one that is not this version's JSON, one entry of the wrong shape, a
    link or a FIFO in its place: the whole file is passed over (every certificate parsed), and the check writes its
    own."""
    counted.checked()

    def malformed(document: dict[str, Any]) -> None:
        if damage == "a malformed hash":
            document["subject_hashes"][next(iter(document["subject_hashes"]))] = "not eight hex digits"
        else:
            entry = ["identity", "subject", [2020, 1, 1, 0, 0], [2030, 1, 1, 0, 0, 0], 1, 0, 0]
            document["certificates"][next(iter(document["certificates"]))] = entry

    damage_kept_file(tmp_path / "cache" / "certificates.json", damage, kept_parses.VERSION, malformed)
    assert counted.checked() > 100
    assert counted.checked() == 0  # the check wrote its own in its place


def test_a_root_added_to_a_bundle_is_read_and_parsed(
    counted: Counted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only bytes are kept, never a file's content: a bundle that gains a root is read anew, the new root parsed."""
    bundle_file = tmp_path / "bundle.pem"
    bundle_file.write_text(Path(SYSTEM_BUNDLE).read_text())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle_file))
    counted.checked()
    assert counted.checked() == 0
    added = make_ca(tmp_path / "added", "cadoctor Kept Parses Root")
    bundle_file.write_text(bundle_file.read_text() + added.bundle.read_text())
    assert counted.checked() == 1
    report = check(verify=False)
    (used,) = [b for b in report.facts.bundles if b.path == str(bundle_file)]
    assert used.certificates == len(pem_certificates(SYSTEM_BUNDLE)) + 1


@pytest.mark.parametrize(
    "entry",
    [
        ["x", "not hex", [2020, 1, 1, 0, 0, 0], [2030, 1, 1, 0, 0, 0], False, False, True],
        ["x", "00", [10**30, 1, 1, 0, 0, 0], [2030, 1, 1, 0, 0, 0], False, False, True],
        ["x", "00", [2020, 13, 1, 0, 0, 0], [-1, 1, 1, 0, 0, 0], False, False, True],
    ],
    ids=["subject", "huge-year", "no-such-date"],
)
def test_an_entry_of_the_right_shape_that_no_reader_wrote_is_parsed_afresh(counted: Counted, entry: list[Any]) -> None:
    """An entry whose shape is right but whose values no reader writes (a subject not in hex, a year no date has):
    the bytes are parsed again, and the answer is the reader's."""
    from cadoctor._facts.memo import CheckScope

    der = pem_certificates(SYSTEM_BUNDLE)[0]
    fresh = bundle._parsed(der)
    with CheckScope():
        bundle.parse.cache_clear()
        kept_parses.forget()
        kept_parses.remember(hashlib.sha256(der).hexdigest(), entry)
        assert bundle.parse(der) == fresh


def test_a_damaged_file_is_read_without_error_whatever_the_damage(counted: Counted, tmp_path: Path) -> None:
    """Two thousand mutations of a real file (bytes flipped, cut, repeated, spliced): reading it never raises, and
    a check over each still answers. (Values of the right shape are the user's own file's: it is private.)"""
    counted.checked()
    kept = tmp_path / "cache" / "certificates.json"
    der = pem_certificates(SYSTEM_BUNDLE)[0]
    original = kept.read_bytes()
    for data in mutations(original, 2000):
        kept.write_bytes(data)
        kept_parses.forget()
        table = kept_parses._load()
        assert isinstance(table, dict)
        assert all(kept_parses._valid(entry) for entry in table.values())
        for entry in table.values():  # and each entry read back as a parse, or refused for a fresh one
            bundle._from_entry(der, entry)
    kept.write_bytes(original[: len(original) // 2])
    assert counted.checked() > 100  # half a file is no file: everything parsed again
