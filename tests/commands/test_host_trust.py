"""Host checks against trustme CAs: a private root is not a missing intermediate, attribution follows OpenSSL,
interception is named when the handshake succeeds, and an override is judged by what it breaks."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import trustme
from helpers import os_store, venvs
from helpers.environment import child_env
from helpers.os_store import system_bundle_or_skip
from helpers.pki import make_chain
from helpers.runs import CHILD_TIMEOUT, check_json
from helpers.servers import serve, server_context, tls_handler


def _serve_trustme(cert: trustme.LeafCert) -> Any:
    """A loopback HTTPS server presenting a trustme leaf (and whatever chain trustme gives it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return serve(tls_handler(context))


def _root_file(ca: trustme.CA, folder: Path) -> Path:
    """The CA's root as a PEM file of its own, as a private CA hands it out."""
    path = folder / "private-root.pem"
    ca.cert_pem.write_to_path(str(path))
    path.chmod(0o644)
    return path


def _host(report: dict[str, Any]) -> dict[str, Any]:
    """The one host of a report."""
    [host] = report["hosts"]
    assert isinstance(host, dict)
    return host


def test_leaf_signed_by_the_root_is_an_unknown_ca_with_a_verified_fix(tmp_path: Path) -> None:
    """trustme's default leaf, signed by its root: host-unknown-ca (no server blame), a merged bundle verified."""
    ca = trustme.CA()
    root = _root_file(ca, tmp_path)
    with _serve_trustme(ca.issue_cert("localhost")) as port:
        status, report = check_json(child_env(REQUESTS_CA_BUNDLE=str(root)), "--host", "localhost:%d" % port)
    host = _host(report)
    assert (status, host["code"]) == (1, "host-unknown-ca")
    assert "host-incomplete-chain" not in {f["code"] for f in report["findings"]}
    assert not [f for f in report["fixes"] if f["kind"] == "server"]
    fix = next(f for f in report["fixes"] if f["kind"] == "env")
    assert fix["env"] == {"SSL_CERT_FILE": str(tmp_path / "private-root+public-roots.pem")}
    assert fix["verified"] is True, fix["evidence"]
    assert "a real handshake to localhost:%d succeeded" % port in fix["evidence"]


def test_a_critical_subject_alt_name_is_attributed_as_openssl_does(tmp_path: Path) -> None:
    """A trustme leaf's critical SAN beside a subject (RFC 5280-strict verifiers refuse it): the holder verifies,
    and a `-W error` run shows no warning."""
    from cryptography import x509

    ca = trustme.CA()
    leaf = ca.issue_cert("localhost")
    der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
    san = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical  # what this test is about: cryptography's verifier rejects it, OpenSSL does not
    root = _root_file(ca, tmp_path)
    env = child_env(REQUESTS_CA_BUNDLE=str(root))
    with _serve_trustme(leaf) as port:
        done = subprocess.run(
            [
                sys.executable,
                "-W",
                "error",
                "-m",
                "cadoctor",
                "check",
                "--format",
                "json",
                "--host",
                "localhost:%d" % port,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
        )
    assert done.stderr == "", done.stderr
    host = _host(json.loads(done.stdout))
    assert host["holders"] == [
        {
            "path": str(root),
            "roles": ["env:REQUESTS_CA_BUNDLE"],
            "verifies": True,
            "reason": None,
            "partial_chain": False,
            "anchor": None,
            "dropped": False,
            "unlinked": [],
        }
    ]


@pytest.mark.index
@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_interception_is_named_when_the_handshake_succeeds(tmp_path: Path) -> None:
    """A root absent from certifi but in the OS store (mount namespace): success, yet host-intercepted and who fails."""
    ca = trustme.CA()
    root = _root_file(ca, tmp_path)
    python = str(venvs.clients_venv())  # requests, httpx, botocore: each trusts its own store
    with os_store.os_store_with(root) as store, _serve_trustme(ca.issue_cert("localhost")) as port:
        argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--python", python]
        done = store.run([*argv, "--host", "localhost:%d" % port], child_env(), timeout=180)
    report = json.loads(done.stdout)
    host = _host(report)
    assert (host["ok"], host["public_root"]) == (True, False)
    (found,) = [f for f in report["findings"] if f["code"] == "host-intercepted"]
    assert found["severity"] == "warning"
    assert "/etc/ssl/certs/ca-certificates.crt" in found["evidence"]["holders"]
    failing = {c["name"] for c in host["clients"] if c["ok"] is False}
    assert {"requests", "httpx"} <= failing
    assert set(found["evidence"]["failing_clients"]) == failing
    assert "requests" in found["summary"]


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_a_private_only_override_on_a_host_without_hash_links_is_an_error(tmp_path: Path) -> None:
    """RHEL-like store (no hash links) and SSL_CERT_FILE at a private root alone: error, exit 1, merged fix verified."""
    system_bundle_or_skip()
    ca = trustme.CA()
    root = _root_file(ca, tmp_path)
    with os_store.os_store_with(hash_links=False) as store:
        argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json"]
        done = store.run(argv, child_env(SSL_CERT_FILE=str(root)))
    report = json.loads(done.stdout)
    assert done.returncode == 1, done.stderr
    (found,) = [f for f in report["findings"] if f["code"] == "override-replaces-defaults"]
    assert found["severity"] == "error"
    assert found["evidence"]["default_context_fails"] is True
    fix = next(f for f in report["fixes"] if f["kind"] == "env" and "override-replaces-defaults" in f["addresses"])
    assert fix["env"] == {"SSL_CERT_FILE": str(tmp_path / "private-root+public-roots.pem")}
    assert fix["verified"] is True, fix["evidence"]


def test_the_same_override_where_hash_links_serve_names_the_clients_it_breaks(tmp_path: Path) -> None:
    """Debian's hashed /etc/ssl/certs still serves the default context: a warning that names who breaks."""
    system_bundle_or_skip()
    capath = Path(ssl.get_default_verify_paths().openssl_capath)
    if not capath.is_dir() or not any(re.fullmatch(r"[0-9a-f]{8}\.\d+", p.name) for p in capath.iterdir()):
        pytest.skip("no hashed CA folder on this host (RHEL-like): the error case has its own test")
    ca = trustme.CA()
    root = _root_file(ca, tmp_path)
    status, report = check_json(child_env(SSL_CERT_FILE=str(root)))
    (found,) = [f for f in report["findings"] if f["code"] == "override-replaces-defaults"]
    assert found["severity"] == "warning"
    assert found["evidence"]["default_context_fails"] is False
    assert "the default context still finds public roots in" in found["summary"]
    assert status == 0


def test_a_known_interception_product_is_named_even_when_no_store_holds_its_root(tmp_path: Path) -> None:
    """A chain under "Zscaler Root CA" that nothing here trusts: host-unknown-ca and host-intercepted naming it."""
    chain = make_chain(tmp_path / "pki", "Zscaler Root CA")
    assert chain.intermediate is not None
    with serve(tls_handler(server_context(chain.leaf, chain.key, chain.intermediate))) as port:
        status, report = check_json(child_env(), "--host", "localhost:%d" % port, "--no-verify")
    assert (status, _host(report)["code"]) == (1, "host-unknown-ca")
    (found,) = [f for f in report["findings"] if f["code"] == "host-intercepted"]
    assert found["evidence"]["product"] == "zscaler"
    assert "TLS interception by zscaler" in found["summary"]
    assert "add the proxy's root to the OS store" in found["summary"]
    (wanted,) = [f for f in report["fixes"] if "host-unknown-ca" in f["addresses"]]  # no copy of the root here
    assert (wanted["kind"], wanted["verified"]) == ("command", None)
    assert "ROOT.pem" in wanted["lines"]["shell"]


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_a_failing_host_reads_in_full_only_where_its_root_is(tmp_path: Path) -> None:
    """A root only in the local anchor folder (never linked): found there, and only that folder is read in full."""
    ca = trustme.CA()
    root = _root_file(ca, tmp_path)
    with (
        os_store.os_store_with(root, anchors=True, in_store=False) as store,
        _serve_trustme(ca.issue_cert("localhost")) as port,
    ):
        argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--host", "localhost:%d" % port]
        done = store.run(argv, child_env())
    report = json.loads(done.stdout)
    host = _host(report)
    assert (done.returncode, report["inventory"], host["code"]) == (1, "host", "host-unknown-ca"), done.stderr
    assert [(h["path"], h["verifies"]) for h in host["holders"]] == [(str(os_store.LOCAL_ANCHORS), False)]
    [fix] = report["fixes"]  # not "no copy of that root is here": the OS store was not rebuilt from its folder
    assert (fix["kind"], fix["command"]) == ("command", "update-ca-certificates")
    read = [b["path"] for b in report["bundles"] if b["parsed"]]
    assert read == [str(os_store.LOCAL_ANCHORS)]  # the system store and certifi hold no such name: looked at only
    assert {"/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs"} <= {b["path"] for b in report["bundles"]}


def test_with_a_host_the_fixes_of_other_findings_wait_for_a_check_without_it(tmp_path: Path) -> None:
    """A private-only override is tried by `check`; beside a --host that works through it, it is listed untried."""
    system_bundle_or_skip()
    own = trustme.CA()
    root = _root_file(own, tmp_path)
    env = child_env(SSL_CERT_FILE=str(root), REQUESTS_CA_BUNDLE=str(tmp_path / "missing.pem"))  # a warning: full
    _, alone = check_json(env)
    with _serve_trustme(own.issue_cert("localhost")) as port:
        status, report = check_json(env, "--host", "localhost:%d" % port)
    assert (status, _host(report)["ok"], report["inventory"]) == (1, True, "full")
    [tried] = [f for f in alone["fixes"] if "override-replaces-defaults" in f["addresses"] and f["kind"] == "env"]
    [waiting] = [f for f in report["fixes"] if "override-replaces-defaults" in f["addresses"] and f["kind"] == "env"]
    assert tried["verified"] is True, tried["evidence"]
    assert (waiting["env"], waiting["verified"]) == (tried["env"], None)
    assert waiting["evidence"].startswith("not tried: a check with --host tries the fixes for its hosts")


def test_beside_a_failing_host_the_default_contexts_own_fix_is_tried(tmp_path: Path) -> None:
    """SSL_CERT_FILE is a FIFO, so no default context and no handshake: unsetting it is tried all the same."""
    fifo = tmp_path / "bundle.pem"
    os.mkfifo(fifo)
    ca = trustme.CA()
    with _serve_trustme(ca.issue_cert("localhost")) as port:
        status, report = check_json(child_env(SSL_CERT_FILE=str(fifo)), "--host", "localhost:%d" % port)
    assert (status, _host(report)["stage"]) == (1, "context")
    [unset] = [f for f in report["fixes"] if f["kind"] == "env" and f["env"] == {"SSL_CERT_FILE": None}]
    assert unset["verified"] is True, unset["evidence"]
