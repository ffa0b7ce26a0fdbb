"""A request trial's kept verdicts serve only while everything they follow from is as it was; a change asks again.

The library is a stand-in requests on PYTHONPATH (a `Session` whose `get` makes a real HTTPS request with Python's
ssl, trusting the file or hashed folder REQUESTS_CA_BUNDLE names), imported by a real child of this interpreter that
makes a real request to a loopback server; the cache is a private folder. Each test changes one thing the verdict
depends on (the environment, the store, the library, the host's chain, its answer to the check's handshake, the
time) and sees the request made again, with the verdict the new state gives. What cannot be seen is never kept.
"""

from __future__ import annotations

import os
import ssl
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import os_store, records, servers
from helpers.environment import child_env
from helpers.pki import make_ca, make_chain
from helpers.trials import RACY, counted_trials

from cadoctor._facts import memo
from cadoctor._facts.certs.bundle import inventory_bundle
from cadoctor._fixes import kept_trials
from cadoctor._fixes.verify import KEPT_REQUESTS, verify
from cadoctor._model import Facts, Fix, HostCheck
from cadoctor._record import replace

LIBRARY = """import http.client, os, ssl


class _Response:
    def __init__(self, status):
        self.status_code = status


class Session:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def get(self, url, timeout=None, allow_redirects=True, cert=None):
        host, port = url.split("//")[1].rstrip("/").rsplit(":", 1)
        store = os.environ.get("REQUESTS_CA_BUNDLE")
        folder = bool(store) and os.path.isdir(store)
        context = ssl.create_default_context(cafile=None if folder else store, capath=store if folder else None)
        connection = http.client.HTTPSConnection(host, int(port), timeout=timeout, context=context)
        try:
            connection.request("GET", "/")
            return _Response(connection.getresponse().status)
        finally:
            connection.close()
"""


class Scene:
    """A stand-in requests, a loopback server under a private root, a bundle holding that root, a count of children."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, port: int, chain_pem: bytes) -> None:
        self.site = tmp_path / "site"
        (self.site / "requests").mkdir(parents=True)
        (self.site / "requests" / "__init__.py").write_text(LIBRARY)
        self.tmp_path, self.port = tmp_path, port
        self.chain = tuple(ssl.PEM_cert_to_DER_cert(block) for block in _blocks(chain_pem))
        self.store = tmp_path / "bundle.pem"
        self.env = child_env(PYTHONPATH=str(self.site), PYTHONDONTWRITEBYTECODE="1")
        self.counted = counted_trials(tmp_path, monkeypatch)

    def settle(self) -> None:
        """Wait until every file written so far is older than the margin: a verdict about it can be kept."""
        time.sleep(RACY + 0.1)

    def host(self, **changes: Any) -> HostCheck:
        """The check's own handshake with the server: it verified, and saw the chain the server sends."""
        chain = tuple(records.certificate("CN=any", der=der) for der in self.chain)
        target = "localhost:%d" % self.port
        base = records.host(None, target=target, host="localhost", port=self.port, server_name="localhost")
        return replace(base, **{"chain": chain, **changes})

    def facts(self) -> Facts:
        """The examined interpreter's facts: the store REQUESTS_CA_BUNDLE names, read as a check reads it."""
        memo.forget()
        return records.with_bundles(records.facts(), inventory_bundle(str(self.store), ("env:REQUESTS_CA_BUNDLE",)))

    def fix(self, host: HostCheck | None = None, inject: str | None = None) -> Fix:
        """The fix pointing requests at the store, to be proven by a request to the server."""
        return Fix(
            kind="env",
            summary="Point REQUESTS_CA_BUNDLE at the store",
            addresses=("client-host-fails",),
            env={"REQUESTS_CA_BUNDLE": str(self.store)},
            clients=("requests",),
            trial_host=host or self.host(),
            inject=inject,
        )

    def tried(self, cache: bool = True, host: HostCheck | None = None, **extra: str) -> tuple[Fix, int]:
        """The fix tried by a request to the server; and how many children that started."""
        before = self.counted.started
        (tried,) = verify((self.fix(host),), self.facts(), sys.executable, {**self.env, **extra}, cache=cache)
        return tried, self.counted.started - before


def _blocks(pem: bytes) -> list[str]:
    """Each PEM certificate of a file, as text."""
    text = pem.decode("ascii")
    return ["-----BEGIN" + part for part in text.split("-----BEGIN")[1:]]


@pytest.fixture
def chain(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A root, an intermediate and a localhost leaf."""
    return make_chain(tmp_path_factory.mktemp("kept-requests") / "pki", "cadoctor Kept Request Root")


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chain: Any) -> Iterator[Scene]:
    """A scene whose first request trial has run and been kept, with its server up."""
    served = chain.leaf.parent / "served.pem"
    served.write_bytes(chain.leaf.read_bytes() + chain.intermediate.read_bytes())
    with servers.serve_clients(served, chain.key) as port:
        made = Scene(tmp_path, monkeypatch, port, served.read_bytes())
        made.store.write_bytes(chain.root.read_bytes())
        made.settle()
        first, children = made.tried()
        assert (first.verified, children) == (True, 1), first.evidence
        assert not (first.evidence or "").startswith(KEPT_REQUESTS % "requests")
        yield made


def test_an_unchanged_request_is_answered_by_the_kept_verdict_and_says_so(scene: Scene) -> None:
    """The same question about the same host and unchanged files starts no child, and the evidence says whose
    requests answered; --no-cache makes the request again, with the same verdict."""
    again, children = scene.tried()
    assert (again.verified, children) == (True, 0)
    assert (again.evidence or "").startswith(KEPT_REQUESTS % "requests"), again.evidence
    fresh, children = scene.tried(cache=False)
    assert (fresh.verified, children) == (True, 1)
    assert (fresh.evidence or "") == (again.evidence or "")[len(KEPT_REQUESTS % "requests") + 2 :]


def test_a_kept_verdict_follows_what_the_loader_and_the_resolver_read(scene: Scene) -> None:
    """The C library reads those files itself, unseen by the audit hook: each is among what the verdict follows
    from, present or not (the loader's cache, where a library is found; the resolver's, where the host is)."""
    import json

    from cadoctor._facts.child.client_trial import RESOLVER_FILES
    from cadoctor._facts.interpreters import kept

    folder = kept.folder()
    assert folder is not None
    (entry,) = [json.loads(Path(folder, name).read_text()) for name in os.listdir(folder)]  # the scene's request
    followed = {path for path, _ in entry["depends"]}
    assert {"/etc/ld.so.cache", *RESOLVER_FILES} <= followed


def test_another_environment_is_a_fresh_request(scene: Scene) -> None:
    """One more variable in the environment (any: a library may read it) makes the request again."""
    assert scene.tried(UNRELATED="1")[1] == 1


def test_a_changed_store_is_a_fresh_verdict(scene: Scene, chain: Any) -> None:
    """The store rewritten to hold another root: the request is made again, and the fix no longer works."""
    scene.store.write_bytes(make_ca(scene.tmp_path / "other", "cadoctor Other Root").bundle.read_bytes())
    scene.settle()
    changed, children = scene.tried()
    assert (changed.verified, children) == (False, 1), changed.evidence


def test_a_file_of_a_hashed_folder_rewritten_in_place_is_a_fresh_request(scene: Scene, chain: Any) -> None:
    """The store is a hashed folder; its root's file rewritten in place, under the same name (the folder's own
    identity unchanged, the root still in it): the request is made again, though the verdict is the same."""
    folder = scene.tmp_path / "certs"
    folder.mkdir()
    linked = folder / ("%s.0" % os_store.subject_hash(chain.root))
    linked.write_bytes(chain.root.read_bytes())
    scene.store = folder
    scene.settle()
    assert [scene.tried()[1] for _ in range(2)] == [1, 0]
    stamp = os.stat(folder).st_mtime_ns
    other = make_ca(scene.tmp_path / "other", "cadoctor Other Root").bundle.read_bytes()
    with open(linked, "r+b") as rewritten:  # in place: the same inode, no entry added or removed
        rewritten.write(chain.root.read_bytes() + other)
    assert os.stat(folder).st_mtime_ns == stamp
    scene.settle()
    changed, children = scene.tried()
    assert (changed.verified, children) == (True, 1), changed.evidence


def test_a_file_of_the_folder_ssl_cert_dir_names_rewritten_in_place_is_a_fresh_verdict(
    scene: Scene, chain: Any
) -> None:
    """The library on Python's default paths, SSL_CERT_DIR naming a hashed folder: its root's file rewritten in
    place to hold another root (the folder's own identity unchanged) is a fresh request, which now fails."""
    folder = scene.tmp_path / "dir certs"
    folder.mkdir()
    linked = folder / ("%s.0" % os_store.subject_hash(chain.root))
    linked.write_bytes(chain.root.read_bytes())
    fix = replace(scene.fix(), env={"REQUESTS_CA_BUNDLE": None, "SSL_CERT_DIR": str(folder)})
    scene.settle()

    def tried() -> tuple[Fix, int]:
        before = scene.counted.started
        (done,) = verify((fix,), scene.facts(), sys.executable, {**scene.env, "SSL_CERT_FILE": "/nonexistent"})
        return done, scene.counted.started - before

    first, children = tried()
    assert (first.verified, children) == (True, 1), first.evidence
    assert tried()[1] == 0
    stamp = os.stat(folder).st_mtime_ns
    other = make_ca(scene.tmp_path / "other", "cadoctor Other Root").bundle.read_bytes()
    with open(linked, "r+b") as rewritten:  # in place: the same inode, no entry added or removed
        rewritten.write(other.ljust(len(chain.root.read_bytes()) + len(other), b"\n"))
    assert os.stat(folder).st_mtime_ns == stamp
    scene.settle()
    changed, children = tried()
    assert (changed.verified, children) == (False, 1), changed.evidence


def test_a_changed_library_is_a_fresh_verdict(scene: Scene) -> None:
    """The library's source rewritten to ignore the variable: the request is made again, and fails."""
    (scene.site / "requests" / "__init__.py").write_text(
        LIBRARY.replace('os.environ.get("REQUESTS_CA_BUNDLE")', "None")
    )
    scene.settle()
    changed, children = scene.tried()
    assert (changed.verified, children) == (False, 1), changed.evidence


def test_another_chain_from_the_host_is_a_fresh_request(scene: Scene, chain: Any) -> None:
    """The check's handshake saw another chain (the server's certificate renewed): the request is made again."""
    renewed = scene.host(chain=(records.certificate("CN=any", der=ssl.PEM_cert_to_DER_cert(chain.root.read_text())),))
    assert scene.tried(host=renewed)[1] == 1


def test_another_answer_to_the_checks_handshake_is_a_fresh_request(scene: Scene) -> None:
    """The check's own handshake failed this time (the same chain): the request is made again."""
    refused = scene.host(ok=False, stage="handshake", code="host-unknown-ca", reason="CERTIFICATE_VERIFY_FAILED")
    assert scene.tried(host=refused)[1] == 1


def test_a_verdict_is_not_served_once_a_certificate_of_its_path_expires(
    scene: Scene, chain: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept verdict serves until the first end of validity among the chain and its root (as cryptography reads
    them); with the clock past it, the request is made again."""
    from cryptography import x509

    until = kept_trials.valid_until(scene.host(), scene.facts(), time.time())
    paths = (chain.leaf, chain.intermediate, chain.root)
    ends = [x509.load_pem_x509_certificate(p.read_bytes()).not_valid_after_utc.timestamp() for p in paths]
    assert until == min(ends)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + (min(ends) - real()) + 1)
    assert scene.tried()[1] == 1


def test_an_unanswered_request_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chain: Any) -> None:
    """No server on the port any more: the request proves nothing, and the next check asks again."""
    served = chain.leaf.parent / "served.pem"
    served.write_bytes(chain.leaf.read_bytes() + chain.intermediate.read_bytes())
    with servers.serve_clients(served, chain.key) as port:
        pass  # the port is free again: nothing answers there
    made = Scene(tmp_path, monkeypatch, port, served.read_bytes())
    made.store.write_bytes(chain.root.read_bytes())
    made.settle()
    tried = [made.tried() for _ in range(2)]
    assert [(fix.verified, children) for fix, children in tried] == [(None, 1), (None, 1)], tried[0][0].evidence


@pytest.mark.parametrize("unseen", ["grpcio", "uv", "inject"])
def test_what_a_child_cannot_see_is_never_kept(scene: Scene, unseen: str) -> None:
    """grpc's core and uv read their roots themselves, and an injected truststore looks for files by `isfile`:
    no key is made for those requests, where the same request through requests alone gets one."""

    def named(clients: list[str], inject: str | None) -> Any:
        request = {"clients": clients, "host": "localhost"}
        return kept_trials.request_key(run_proven(), request, {}, "/", str(scene.tmp_path), scene.fix(inject=inject))

    assert named(["requests"], None) is not None
    if unseen == "inject":
        assert named(["requests"], "truststore") is None
    else:
        assert named(["requests", unseen], None) is None


def run_proven() -> Any:
    """This interpreter, proven."""
    from cadoctor._facts.interpreters.proof import prove_python

    return prove_python(sys.executable)


def test_a_chain_or_root_not_yet_valid_or_a_root_read_nowhere_keeps_nothing(tmp_path: Path, chain: Any) -> None:
    """Time alone could change those verdicts, or nothing tells when: `valid_until` gives no time, and such a
    verdict is not kept."""
    early = make_chain(tmp_path / "early", "cadoctor Early Root", intermediate=False, leaf_days=(1, 30))
    store = tmp_path / "store.pem"
    store.write_bytes(early.root.read_bytes())
    memo.forget()
    facts = records.with_bundles(records.facts(), inventory_bundle(str(store), ("env:REQUESTS_CA_BUNDLE",)))
    leaf = ssl.PEM_cert_to_DER_cert(early.leaf.read_text())
    host = replace(records.host(None), chain=(records.certificate("CN=localhost", der=leaf),))
    assert kept_trials.valid_until(host, facts, time.time()) is None  # the leaf is valid from tomorrow
    assert kept_trials.valid_until(host, facts, time.time() + 2 * 86400) is not None
    assert kept_trials.valid_until(host, records.facts(), time.time() + 2 * 86400) is None  # no store holds its root
    fix = Fix("env", "", (), env={}, trial_host=host)
    assert kept_trials.until_for({"host": "localhost"}, fix, facts, time.time()) == (False, None)  # so: not kept


def test_the_trials_own_files_are_named_by_their_bytes_and_a_folder_of_them_keeps_nothing(
    scene: Scene, tmp_path: Path
) -> None:
    """The joined bundle a trial writes is new in each check: its folder's name is no part of the key, its bytes are;
    a folder the trial made (a hashed copy) has no bytes to name, and that verdict is never kept. A store trial's
    name is made the same way."""
    fix = scene.fix()
    request = {"clients": ["requests"], "host": "localhost"}

    def named(scratch: Path, joined: bytes | None, store: bool = False) -> Any:
        scratch.mkdir()
        if joined is None:
            (scratch / "merged-0.pem").mkdir()
        else:
            (scratch / "merged-0.pem").write_bytes(joined)
        env = {"REQUESTS_CA_BUNDLE": str(scratch / "merged-0.pem")}
        if store:
            return kept_trials.store_key(run_proven(), {"clients": ["requests"]}, env, "/", str(scratch))
        return kept_trials.request_key(run_proven(), request, env, "/", str(scratch), fix)

    for store in (False, True):
        within = tmp_path / ("store" if store else "request")
        within.mkdir()
        first, second = named(within / "one", b"A", store), named(within / "two", b"A", store)
        assert first is not None
        assert first == second
        assert named(within / "three", b"B", store) not in (None, first)
        assert named(within / "four", None, store) is None
