"""A store that trusts an intermediate in place of a root, judged by the examined Python's verification flags.

Python 3.13's default context sets VERIFY_X509_PARTIAL_CHAIN: a chain anchored at a trusted intermediate
verifies there, and fails in every older Python. The ground truth is each interpreter's own handshake to a
loopback server; cadoctor examines this Python (3.11 or 3.12 in the suite's venv) and, with `--python`, 3.13.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from helpers.environment import child_env as clean_env
from helpers.interpreters import handshake, python_or_skip
from helpers.os_store import system_bundle_or_skip
from helpers.pki import Chain, make_chain
from helpers.runs import check_json
from helpers.servers import serve, server_context, tls_handler

from cadoctor._facts.tls.verifier import verdicts

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 13), reason="the suite's Python must predate PARTIAL_CHAIN")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    """Root → intermediate → leaf for localhost, with a CA file that holds the intermediate alone."""
    return make_chain(tmp_path_factory.mktemp("partial") / "pki", "cadoctor Partial Root")


@pytest.fixture(scope="module")
def whole_chain_server(pki: Chain) -> Iterator[int]:
    """A server that sends its leaf and the intermediate."""
    assert pki.intermediate is not None
    with serve(tls_handler(server_context(pki.leaf, pki.key, pki.intermediate))) as port:
        yield port


@pytest.fixture(scope="module")
def leaf_only_server(pki: Chain) -> Iterator[int]:
    """A server that sends its leaf alone."""
    with serve(tls_handler(server_context(pki.leaf, pki.key))) as port:
        yield port


def _env(cafile: Path) -> dict[str, str]:
    """`cafile` and the OS's hashed folder (the public roots, not this chain's) trusted by the default context."""
    return clean_env(SSL_CERT_FILE=str(cafile), SSL_CERT_DIR=str(Path(system_bundle_or_skip()).parent))


def _host_finding(report: dict[str, Any], code: str) -> dict[str, Any]:
    """The one finding with this code."""
    found: list[dict[str, Any]] = [f for f in report["findings"] if f["code"] == code]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("server", ["whole_chain_server", "leaf_only_server"])
def test_an_older_python_fails_and_is_told_which_store_trusts_the_intermediate(
    server: str, pki: Chain, request: pytest.FixtureRequest
) -> None:
    """Before 3.13 the handshake fails; the finding names the store that trusts the intermediate, that 3.13
    accepts it, and what this Python needs (the root there, or the flag in code)."""
    assert pki.intermediate is not None
    port = request.getfixturevalue(server)
    env = _env(pki.intermediate)
    assert "handshake failed" in handshake(port, env)  # this Python's own verdict
    assert handshake(port, env, python_or_skip("3.13")).startswith("handshake ok")  # 3.13's
    status, report = check_json(env, "--host", "localhost:%d" % port)
    assert status == 1
    [host] = report["hosts"]
    assert host["code"] == "host-unknown-ca"
    [holder] = [h for h in host["holders"] if h["path"] == str(pki.intermediate)]
    assert (holder["verifies"], holder["partial_chain"], holder["anchor"]) == (False, True, pki.intermediate_name)
    summary = _host_finding(report, "host-unknown-ca")["summary"]
    assert "%s trusts %r, an intermediate, in place of a root" % (pki.intermediate, pki.intermediate_name) in summary
    assert "Python 3.13 and later accept the chain there" in summary
    assert "ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN" in summary
    evidence = _host_finding(report, "host-unknown-ca")["evidence"]
    assert {"partial_chain": True, "anchor": pki.intermediate_name}.items() <= evidence["holders"][0].items()


def test_python_3_13_succeeds_and_the_check_says_it_rests_on_the_flag(pki: Chain, whole_chain_server: int) -> None:
    """Examined with --python, 3.13 verifies the host; an info finding says the chain is anchored at the
    intermediate in that store, and that older Pythons fail it."""
    assert pki.intermediate is not None
    python = python_or_skip("3.13")
    env = _env(pki.intermediate)
    assert handshake(whole_chain_server, env, python).startswith("handshake ok")
    _, report = check_json(env, "--python", python, "--host", "localhost:%d" % whole_chain_server)
    [host] = report["hosts"]
    assert (host["ok"], host["partial_anchor"]) == (True, pki.intermediate_name)
    finding = _host_finding(report, "host-partial-chain")
    assert finding["severity"] == "info"
    assert finding["evidence"]["stores"] == [str(pki.intermediate)]
    assert finding["evidence"]["root"] == pki.root_name
    assert "Pythons before 3.13" in finding["summary"]


def test_a_store_with_the_root_is_no_partial_chain(pki: Chain, whole_chain_server: int) -> None:
    """The same host under a store holding the root: 3.13 verifies it without any partial-chain finding."""
    python = python_or_skip("3.13")
    _, report = check_json(_env(pki.root), "--python", python, "--host", "localhost:%d" % whole_chain_server)
    [host] = report["hosts"]
    assert (host["ok"], host["partial_anchor"]) == (True, None)
    assert "host-partial-chain" not in {f["code"] for f in report["findings"]}


def test_the_offline_verdict_tells_a_partial_anchor_from_a_root(pki: Chain) -> None:
    """Against the intermediate alone the chain verifies only with PARTIAL_CHAIN; against the root, without."""
    assert pki.intermediate is not None
    chain = tuple(
        x509.load_pem_x509_certificate(p.read_bytes()).public_bytes(serialization.Encoding.DER)
        for p in (pki.leaf, pki.intermediate)
    )
    older = verdicts(chain, [str(pki.intermediate), str(pki.root)], anchors=True)
    newer = verdicts(chain, [str(pki.intermediate), str(pki.root)], strict=True, anchors=True)
    assert not isinstance(older, str)
    assert not isinstance(newer, str)
    assert [(v.ok, v.partial_chain) for v in older] == [(False, True), (True, False)]
    assert [(v.ok, v.partial_chain) for v in newer] == [(True, True), (True, False)]
