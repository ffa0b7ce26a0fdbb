"""This interpreter's default context, counted in a thread while the disk is read: the same count, never lost."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from helpers.pki import make_ca

from cadoctor._commands.check import CLIENTS
from cadoctor._facts.subjects import context_count, facts_of, open_subject


@pytest.fixture
def two_roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's default context reads a CA file of two roots alone (the machine's variables replaced)."""
    bundle = tmp_path / "two.pem"
    bundle.write_bytes(b"".join(make_ca(tmp_path / name, name).bundle.read_bytes() for name in ("one", "two")))
    empty = tmp_path / "no-certs"
    empty.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(empty))


def test_the_count_made_beside_the_disk_is_what_a_default_context_loads(two_roots: None) -> None:
    """The probe makes no context; the thread's count reaches the facts, and equals OpenSSL's own count here."""
    examinee = open_subject()
    assert examinee.counting is not None
    assert examinee.probed["default_context"] is None
    facts = facts_of(examinee, clients=CLIENTS, light=True)
    loaded = ssl.create_default_context().cert_store_stats()["x509_ca"]
    assert (facts.runtime.context_ok, facts.runtime.context_loaded, loaded) == (True, 2, 2)
    assert facts_of(examinee, clients=CLIENTS, light=True).runtime == facts.runtime  # a second look: the same count


def test_a_context_already_made_is_counted_once(two_roots: None) -> None:
    """With what a context made by the handshakes loaded, no thread is started and that count is the fact."""
    made = {"ok": True, "error": None, "x509": 2, "x509_ca": 2}
    examinee = open_subject(default_context=made)
    assert examinee.counting is None
    assert facts_of(examinee, clients=CLIENTS, light=True).runtime.context_loaded == 2


def test_what_the_thread_raised_is_raised_where_the_count_is_read(
    two_roots: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure in the thread (a bug: the facts report a context that cannot be made) is not lost in it."""

    def broken(trust: object) -> dict[str, object]:
        raise RuntimeError("counting failed")

    monkeypatch.setattr(context_count, "default_context_facts", broken)
    examinee = open_subject()
    with pytest.raises(RuntimeError, match="counting failed"):
        facts_of(examinee, clients=CLIENTS, light=True)
