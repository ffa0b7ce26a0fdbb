"""`cadoctor check --host` against real servers on 127.0.0.1, each started here with CAs generated here."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from helpers.environment import child_env
from helpers.os_store import system_bundle_or_skip
from helpers.pki import make_ca, make_chain
from helpers.runs import CHILD_TIMEOUT, check_json, run_cadoctor
from helpers.servers import (
    answer_http,
    close_after_hello,
    connect_proxy,
    never_answer,
    reset_after_hello,
    send_garbage,
    serve,
    server_context,
    tls_handler,
)


def host_check(env: dict[str, str], target: str, *extra: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """Run `check --host` and return the exit code, the report and the one host result."""
    status, report = check_json(env, "--host", target, *extra)
    [host] = report["hosts"]
    return status, report, host


def trusting_env(root: Path) -> dict[str, str]:
    """SSL_CERT_FILE at the test root, and PIP_CERT at a merged bundle: pip below 3.10 reads only its own roots."""
    merged = root.with_name("merged-for-pip.pem")
    merged.write_bytes(Path(system_bundle_or_skip()).read_bytes() + root.read_bytes())
    return child_env(SSL_CERT_FILE=str(root), PIP_CERT=str(merged))


def finding(report: dict[str, Any], code: str) -> dict[str, Any]:
    """The one finding with this code."""
    found: list[dict[str, Any]] = [f for f in report["findings"] if f["code"] == code]
    assert len(found) == 1, found
    return found[0]


def test_trusted_chain_is_ok(tmp_path: Path) -> None:
    """A chain that leads to a root in SSL_CERT_FILE handshakes fine: no host finding, exit 0."""
    chain = make_chain(tmp_path / "pki")
    assert chain.intermediate is not None
    with serve(tls_handler(server_context(chain.leaf, chain.key, chain.intermediate))) as port:
        status, report, host = host_check(trusting_env(chain.root), "localhost:%d" % port)
    assert (status, host["ok"], host["code"], host["stage"]) == (0, True, None, "done")
    assert host["protocol"] == "TLSv1.3"
    # Before Python 3.10 ssl shows only the leaf of a chain that verified: the clients' check reads the rest.
    assert [c["subject"] for c in host["chain"]] == ["CN=localhost", chain.intermediate_name]
    assert not [f for f in report["findings"] if f["code"].startswith("host-")]
    assert report["inventory"] == "light"
    assert [(b["path"], b["parsed"]) for b in report["bundles"] if b["path"] == str(chain.root)] == [
        (str(chain.root), False)
    ]


def test_success_with_a_trust_problem_gets_the_full_inventory(tmp_path: Path) -> None:
    """A handshake that works through a CA file others can write still reports trust-writable, from a full look."""
    chain = make_chain(tmp_path / "pki")
    assert chain.intermediate is not None
    chain.root.chmod(0o666)
    with serve(tls_handler(server_context(chain.leaf, chain.key, chain.intermediate))) as port:
        status, report, host = host_check(child_env(SSL_CERT_FILE=str(chain.root)), "localhost:%d" % port)
    assert (status, host["ok"], report["inventory"]) == (1, True, "full")
    assert "trust-writable" in {f["code"] for f in report["findings"]}
    assert any(b["parsed"] and b["certificates"] for b in report["bundles"])


def test_private_root_held_elsewhere_is_attributed_and_fixed(tmp_path: Path) -> None:
    """An untrusted private root is named, found in the bundle REQUESTS_CA_BUNDLE names, and an env fix verified."""
    chain = make_chain(tmp_path / "pki")
    assert chain.intermediate is not None
    with serve(tls_handler(server_context(chain.leaf, chain.key, chain.intermediate))) as port:
        target = "localhost:%d" % port
        status, report, host = host_check(child_env(REQUESTS_CA_BUNDLE=str(chain.root)), target)
    assert (status, report["inventory"]) == (1, "host")
    read = {b["path"] for b in report["bundles"] if b["parsed"]}  # the override, and the public roots to judge it
    assert str(chain.root) in read
    assert any("certifi" in b["roles"] for b in report["bundles"] if b["path"] in read)
    assert (host["code"], host["verify_code"], host["top_issuer"]) == ("host-unknown-ca", 20, chain.root_name)
    assert host["holders"] == [
        {
            "path": str(chain.root),
            "roles": ["env:REQUESTS_CA_BUNDLE"],
            "verifies": True,
            "reason": None,
            "partial_chain": False,
            "anchor": None,
            "dropped": False,
            "unlinked": [],
        }
    ]
    found = finding(report, "host-unknown-ca")
    assert chain.root_name in found["summary"]
    assert found["evidence"]["holders"][0]["path"] == str(chain.root)
    env_fix = next(f for f in report["fixes"] if f["kind"] == "env")  # the root alone would drop the public roots
    merged = str(chain.root.parent / "root+public-roots.pem")
    assert env_fix["env"] == {"SSL_CERT_FILE": merged}
    join = env_fix["lines"]["shell"].splitlines()[0]  # the OS's own bundle first, then the private root
    assert join.startswith("(cat '/")
    assert join.endswith("; echo; cat '%s') > '%s'" % (chain.root, merged))
    subprocess.run(["sh", "-c", join], env=child_env(), check=True, timeout=CHILD_TIMEOUT)  # the line as a user runs it
    loaded = ssl.create_default_context(cafile=merged).cert_store_stats()["x509_ca"]
    assert loaded > 100  # the public roots and the private one, all readable by OpenSSL
    assert env_fix["verified"] is True, env_fix["evidence"]
    assert "a real handshake to %s succeeded" % target in env_fix["evidence"]
    code_fix = next(f for f in report["fixes"] if f["kind"] == "code")
    assert code_fix["verified"] is True
    assert "load_verify_locations(cafile=%r)" % str(chain.root) in code_fix["lines"]["python"]


def test_leaf_only_server_names_the_missing_intermediate(tmp_path: Path) -> None:
    """A leaf that names where its issuer is published (AIA), sent alone: host-incomplete-chain and a server fix."""
    url = "http://ca.example.test/intermediate.der"
    chain = make_chain(tmp_path / "pki", ca_issuers=url)
    with serve(tls_handler(server_context(chain.leaf, chain.key))) as port:
        status, report, host = host_check(child_env(SSL_CERT_FILE=str(chain.root)), "localhost:%d" % port)
    assert (status, host["code"]) == (1, "host-incomplete-chain")
    assert host["missing_issuer"] == chain.intermediate_name
    assert host["chain"][0]["ca_issuers"] == [url]
    assert chain.intermediate_name in finding(report, "host-incomplete-chain")["summary"]
    (fix,) = [f for f in report["fixes"] if "host-incomplete-chain" in f["addresses"]]
    assert fix["kind"] == "server"
    assert chain.intermediate_name in fix["summary"]
    assert url in fix["summary"]


def test_leaf_signed_by_a_private_root_is_not_called_an_incomplete_chain(tmp_path: Path) -> None:
    """A leaf without AIA whose issuer no store holds (mkcert, trustme): host-unknown-ca, the intermediate caveat."""
    chain = make_chain(tmp_path / "pki")
    with serve(tls_handler(server_context(chain.leaf, chain.key))) as port:
        status, report, host = host_check(child_env(SSL_CERT_FILE=str(chain.root)), "localhost:%d" % port)
    assert (status, host["code"]) == (1, "host-unknown-ca")
    summary = finding(report, "host-unknown-ca")["summary"]
    assert "if %r is an intermediate, the server must send it" % chain.intermediate_name in summary
    assert not [f for f in report["fixes"] if f["kind"] == "server"]


@pytest.mark.parametrize(
    ("days", "code"), [((-30, -1), "host-expired"), ((1, 30), "host-not-yet-valid")], ids=["expired", "not-yet"]
)
def test_leaf_validity(days: tuple[int, int], code: str, tmp_path: Path) -> None:
    """An expired or not-yet-valid leaf is classified from its verify code, with the dates as evidence."""
    chain = make_chain(tmp_path / "pki", intermediate=False, leaf_days=days)
    with serve(tls_handler(server_context(chain.leaf, chain.key))) as port:
        status, _report, host = host_check(
            child_env(SSL_CERT_FILE=str(chain.root)), "localhost:%d" % port, "--no-verify"
        )
    assert (status, host["code"]) == (1, code)
    assert host["chain"][0]["subject"] == "CN=localhost"


def test_wrong_name_offers_no_bundle_fix(tmp_path: Path) -> None:
    """A certificate for another name gives host-hostname-mismatch, no local fix, and the names it does carry."""
    chain = make_chain(tmp_path / "pki", intermediate=False, leaf_names=("other.test", "www.other.test"))
    with serve(tls_handler(server_context(chain.leaf, chain.key))) as port:
        status, report, host = host_check(child_env(SSL_CERT_FILE=str(chain.root)), "localhost:%d" % port)
    assert (status, host["code"], host["verify_code"]) == (1, "host-hostname-mismatch", 62)
    assert "localhost" in finding(report, "host-hostname-mismatch")["summary"]
    (server,) = [f for f in report["fixes"] if any(a.startswith("host-") for a in f["addresses"])]
    assert (server["kind"], server["verified"]) == ("server", None)
    assert "other.test, www.other.test, not localhost" in server["summary"]
    assert server["lines"]["check"] == (
        "openssl s_client -connect 'localhost:%d' -servername 'localhost' -showcerts </dev/null" % host["port"]
    )


def _client_auth_server(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server that requires client certificates issued by its own CA; returns its context and root."""
    chain = make_chain(tmp_path / "server", intermediate=False)
    context = server_context(chain.leaf, chain.key)
    clients = make_chain(tmp_path / "clients", "cadoctor Client Root", intermediate=False)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=str(clients.root))
    return context, chain.root


def test_server_requiring_a_client_certificate(tmp_path: Path) -> None:
    """Without a client certificate, the server's certificate_required alert gives host-client-cert-rejected."""
    context, root = _client_auth_server(tmp_path)
    with serve(tls_handler(context)) as port:
        status, _report, host = host_check(child_env(SSL_CERT_FILE=str(root)), "localhost:%d" % port, "--no-verify")
    assert (status, host["code"], host["reason"]) == (
        1,
        "host-client-cert-rejected",
        "TLSV13_ALERT_CERTIFICATE_REQUIRED",
    )
    assert host["stage"] == "after-handshake"


def test_server_rejecting_our_client_certificate(tmp_path: Path) -> None:
    """A client certificate from a CA the server does not trust: the unknown_ca alert *received* means it is ours."""
    context, root = _client_auth_server(tmp_path)
    stranger = make_chain(tmp_path / "stranger", "cadoctor Stranger Root", intermediate=False)
    with serve(tls_handler(context)) as port:
        _status, _report, host = host_check(
            child_env(SSL_CERT_FILE=str(root)),
            "localhost:%d" % port,
            "--client-cert",
            str(stranger.leaf),
            "--client-key",
            str(stranger.key),
            "--no-verify",
        )
    assert (host["code"], host["reason"]) == ("host-client-cert-rejected", "TLSV1_ALERT_UNKNOWN_CA")


@pytest.mark.parametrize("behaviour", [close_after_hello, reset_after_hello], ids=["close", "reset"])
def test_connection_closed_during_the_handshake(behaviour: Any) -> None:
    """A peer that closes or resets after the ClientHello gives host-connection-reset."""
    with serve(behaviour) as port:
        status, _report, host = host_check(child_env(), "localhost:%d" % port, "--no-verify")
    assert (status, host["code"], host["stage"]) == (4, "host-connection-reset", "handshake")


@pytest.mark.parametrize("behaviour", [answer_http, send_garbage], ids=["http", "garbage"])
def test_peer_that_does_not_speak_tls(behaviour: Any) -> None:
    """A plain HTTP server, or one sending garbage, gives host-not-tls."""
    with serve(behaviour) as port:
        status, _report, host = host_check(child_env(), "localhost:%d" % port, "--no-verify")
    assert (status, host["code"]) == (4, "host-not-tls")


def test_no_common_protocol(tmp_path: Path) -> None:
    """A server that speaks only TLS 1.1 (which the default context refuses) gives host-handshake-failure."""
    chain = make_chain(tmp_path / "pki", intermediate=False)
    context = server_context(chain.leaf, chain.key)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the point: an old protocol only
        context.minimum_version = ssl.TLSVersion.TLSv1_1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    with serve(tls_handler(context)) as port:
        _status, _report, host = host_check(child_env(SSL_CERT_FILE=str(chain.root)), "localhost:%d" % port)
    assert host["code"] == "host-handshake-failure"


def test_nothing_listening() -> None:
    """A port nobody listens on gives host-unreachable at the connect stage."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, _report, host = host_check(child_env(), "127.0.0.1:%d" % port, "--no-verify")
    assert (status, host["code"], host["stage"]) == (4, "host-unreachable", "connect")


def test_a_refused_connection_has_its_own_verdict_not_broken_trust(tmp_path: Path) -> None:
    """Refused: an UNREACHABLE line above the trust verdict; the findings list only trust's; exit 4."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = "127.0.0.1:%d" % port
    env = child_env(SSL_CERT_FILE=system_bundle_or_skip())
    human = run_cadoctor(["check", "--no-verify", "--host", target], env)
    first, second = human.stdout.splitlines()[:2]
    assert first.startswith("cadoctor: UNREACHABLE - no TLS answer from %s (" % target), first
    assert first.endswith("trust not judged there")
    _status, report, _host = host_check(env, target, "--no-verify")
    assert report["status"] != "error"  # the machine's own trust may warn (certifi lacks its local roots)
    assert report["unreachable"] == [target]
    assert second.startswith("cadoctor: %s - " % report["status"].upper()), second
    assert "host-unreachable" not in human.stdout.split("Findings")[-1].split("Handshakes")[0]
    assert human.stdout.splitlines()[-1].startswith("cadoctor: %s - " % report["status"].upper())
    assert "1 host unreachable" in human.stdout.splitlines()[-1]
    assert human.returncode == 4
    assert run_cadoctor(["check", "--no-verify", "--fail-on", "never", "--host", target], env).returncode == 0
    assert {c["ok"] for c in report["hosts"][0]["clients"]} == {None}  # no client's trust is judged without TLS


def test_silent_server_times_out_within_the_timeout() -> None:
    """A server that never answers gives host-timeout, and the whole check stays near the timeout."""
    with serve(never_answer) as port:
        started = time.monotonic()
        status, _report, host = host_check(child_env(), "localhost:%d" % port, "--timeout", "0.5", "--no-verify")
        elapsed = time.monotonic() - started
    assert (status, host["code"]) == (4, "host-timeout")
    assert elapsed < 0.5 + 5, "the check took %.1f s with a 0.5 s timeout" % elapsed


def test_classification_through_a_connect_proxy(tmp_path: Path) -> None:
    """Through a local CONNECT proxy (HTTPS_PROXY) the same untrusted root is classified and attributed."""
    chain = make_chain(tmp_path / "pki")
    assert chain.intermediate is not None
    with (
        serve(tls_handler(server_context(chain.leaf, chain.key, chain.intermediate))) as port,
        connect_proxy() as proxy,
    ):
        proxy_url = "http://127.0.0.1:%d" % proxy
        env = child_env(HTTPS_PROXY=proxy_url, REQUESTS_CA_BUNDLE=str(chain.root))
        _status, report, host = host_check(env, "localhost:%d" % port)
        _status, _report, bypassed = host_check({**env, "NO_PROXY": "localhost"}, "localhost:%d" % port, "--no-verify")
    assert (host["code"], host["proxy"], host["top_issuer"]) == ("host-unknown-ca", proxy_url, chain.root_name)
    assert "through the proxy %s" % proxy_url in finding(report, "host-unknown-ca")["summary"]
    assert next(f for f in report["fixes"] if f["kind"] == "env")["verified"] is True
    assert (bypassed["code"], bypassed["proxy"]) == ("host-unknown-ca", None)


def test_proxy_refusing_connect_is_reported_as_such() -> None:
    """A proxy that answers CONNECT with 403 is named in the finding."""
    with connect_proxy(refuse=True) as proxy:
        env = child_env(https_proxy="http://127.0.0.1:%d" % proxy)
        _status, report, host = host_check(env, "localhost:1", "--no-verify")
    assert (host["code"], host["stage"]) == ("host-unreachable", "proxy")
    assert "refused CONNECT localhost:1: HTTP/1.1 403 Forbidden" in finding(report, "host-unreachable")["summary"]


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("localhost:99999", "invalid port '99999'"),
        ("localhost:http", "invalid port 'http'"),
        ("bad host", "invalid host"),
        ("[::1", "invalid"),
        ("http://localhost", "only https:// URLs"),
    ],
)
def test_invalid_targets_are_usage_errors(target: str, words: str) -> None:
    """A --host that is no HOST[:PORT] is a usage error (exit 2) saying why, before anything is examined."""
    result = run_cadoctor(["check", "--format", "json", "--host", target], child_env())
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("cadoctor: --host: ")
    assert words in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_name_no_resolver_takes_is_unreachable() -> None:
    """A host name DNS cannot carry (a 300-character label) is a host that cannot be reached: exit 4, saying why."""
    status, report, host = host_check(child_env(), "a" * 300, "--no-verify")
    assert (status, host["code"], report["unreachable"]) == (4, "host-unreachable", ["a" * 300])
    assert "invalid host name" in finding(report, "host-unreachable")["summary"]


def test_ipv6_literal(tmp_path: Path) -> None:
    """[::1]:PORT reaches a server listening on IPv6 loopback; its localhost certificate does not name ::1."""
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    chain = make_chain(tmp_path / "pki", intermediate=False)
    try:
        server = serve(tls_handler(server_context(chain.leaf, chain.key)), family=socket.AF_INET6)
        port = server.__enter__()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        _status, _report, host = host_check(child_env(SSL_CERT_FILE=str(chain.root)), "[::1]:%d" % port)
    finally:
        server.__exit__(None, None, None)
    assert (host["host"], host["port"], host["code"], host["verify_code"]) == (
        "::1",
        port,
        "host-hostname-mismatch",
        64,
    )


def test_name_that_does_not_resolve() -> None:
    """In a network namespace without any route, a name fails to resolve: host-unreachable at the resolve stage."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare here")
    argv = ["unshare", "--net", "--map-root-user", sys.executable, "-m", "cadoctor", "check", "--format", "json"]
    result = subprocess.run(
        [*argv, "--no-verify", "--host", "no-such-host.test"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    if result.returncode not in (0, 1):
        pytest.skip("cannot make a network namespace here: %s" % result.stderr.strip()[:200])
    import json

    [host] = json.loads(result.stdout)["hosts"]
    assert (host["code"], host["stage"]) == ("host-unreachable", "resolve")


@pytest.mark.slow
def test_ten_megabyte_chain_is_bounded(tmp_path: Path) -> None:
    """A server presenting a 10 MB certificate chain is refused by the TLS layer: a finding, quickly."""
    chain = make_chain(tmp_path / "pki", intermediate=False)
    filler = tmp_path / "filler.pem"
    block = chain.root.read_bytes()
    filler.write_bytes(block * (10 * 1024 * 1024 // len(block) + 1))
    context = server_context(chain.leaf, chain.key, filler)
    with serve(tls_handler(context)) as port:
        started = time.monotonic()
        result = run_cadoctor(
            ["check", "--format", "json", "--no-verify", "--host", "localhost:%d" % port, "--timeout", "20"],
            child_env(SSL_CERT_FILE=str(chain.root)),
        )
        elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    import json

    [host] = json.loads(result.stdout)["hosts"]
    assert host["code"] in ("host-handshake-failure", "host-connection-reset")
    assert elapsed < 20


def test_chain_read_from_a_tls12_handshake(tmp_path: Path) -> None:
    """The pre-3.10 path reads leaf and intermediate from a TLS 1.2 Certificate message, directly and via a proxy."""
    from cadoctor._facts.tls.fetch import chain_from_tls12
    from cadoctor._facts.tls.holders import describe_chain

    chain = make_chain(tmp_path / "pki")
    assert chain.intermediate is not None
    with (
        serve(tls_handler(server_context(chain.leaf, chain.key, chain.intermediate))) as port,
        connect_proxy() as proxy,
        pytest.MonkeyPatch.context() as patch,
    ):
        for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):  # this process's own environment
            patch.delenv(name, raising=False)
        direct = chain_from_tls12("localhost", port, "localhost", 5)
        patch.setenv("HTTPS_PROXY", "http://127.0.0.1:%d" % proxy)
        tunnelled = chain_from_tls12("localhost", port, "localhost", 5)
    subjects = [c.subject for c in describe_chain(direct)]
    assert subjects == ["CN=localhost", chain.intermediate_name]
    assert tunnelled == direct


@pytest.mark.parametrize("content", [None, b"garbage\n", b""], ids=["missing", "garbage", "empty"])
def test_unloadable_client_certificate_is_a_usage_error(content: bytes | None, tmp_path: Path) -> None:
    """A --client-cert that is missing, garbage or empty exits 2 with one line naming it, before any handshake."""
    path = tmp_path / "client.pem"
    if content is not None:
        path.write_bytes(content)
    result = run_cadoctor(["check", "--no-verify", "--host", "localhost:1", "--client-cert", str(path)], child_env())
    assert result.returncode == 2
    assert result.stderr.startswith("cadoctor: cannot load the client certificate %s" % path)
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_fifo_ca_file_is_never_read_for_a_handshake(tmp_path: Path) -> None:
    """With SSL_CERT_FILE at a FIFO, no default context is made (it would block): the host is not tried, exit 1."""
    chain = make_chain(tmp_path / "pki")
    assert chain.intermediate is not None
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    with serve(tls_handler(server_context(chain.leaf, chain.key, chain.intermediate))) as port:
        started = time.monotonic()
        status, report, host = host_check(child_env(SSL_CERT_FILE=str(fifo)), "localhost:%d" % port)
    assert time.monotonic() - started < CHILD_TIMEOUT / 2
    assert (status, host["ok"], host["stage"], host["code"]) == (1, False, "context", None)
    assert host["error"] == "not tried: %s is not a regular file: OpenSSL could block reading it" % fifo
    assert "env-path-invalid" in {f["code"] for f in report["findings"]}


def test_a_shadowing_ssl_module_is_never_run_by_a_host_check(tmp_path: Path) -> None:
    """A user's ssl.py in the working directory is reported, and never imported to make the handshake's context."""
    chain = make_chain(tmp_path / "pki")
    assert chain.intermediate is not None
    work = tmp_path / "work"
    work.mkdir()
    marker = tmp_path / "ran"
    (work / "ssl.py").write_text("open(%r, 'w').close()\n" % str(marker))
    with serve(tls_handler(server_context(chain.leaf, chain.key, chain.intermediate))) as port:
        result = run_cadoctor(
            ["check", "--format", "json", "--host", "localhost:%d" % port], child_env(), cwd=str(work)
        )
    report = json.loads(result.stdout)
    [host] = report["hosts"]
    assert not marker.exists()
    assert (result.returncode, host["stage"], host["code"]) == (1, "context", None)
    assert str(work / "ssl.py") in host["error"]
    assert "ssl-unavailable" in {f["code"] for f in report["findings"]}


def test_roots_a_handshake_loads_from_a_directory_are_not_counted_as_loaded(tmp_path: Path) -> None:
    """The default context's count is taken before the handshake, which pulls roots from SSL_CERT_DIR lazily."""
    from cryptography import x509

    from cadoctor._facts.certs.der import certificate_parts
    from cadoctor._facts.certs.names import subject_hash

    chain = make_chain(tmp_path / "pki")
    assert chain.intermediate is not None
    other = make_ca(tmp_path / "other", "cadoctor Unrelated Root")
    hashed = tmp_path / "hashed"
    hashed.mkdir()
    der = x509.load_pem_x509_certificate(chain.root.read_bytes()).public_bytes(serialization.Encoding.DER)
    shutil.copy(chain.root, hashed / ("%s.0" % subject_hash(certificate_parts(der).subject)))
    env = {**trusting_env(chain.root), "SSL_CERT_FILE": str(other.bundle), "SSL_CERT_DIR": str(hashed)}
    with serve(tls_handler(server_context(chain.leaf, chain.key, chain.intermediate))) as port:
        status, report, host = host_check(env, "localhost:%d" % port)
    assert (status, host["ok"], report["inventory"]) == (0, True, "light")
    assert report["ssl"]["default_context"]["certificates"] == 1


def test_a_successful_host_check_stays_lean() -> None:
    """A successful single-host check imports no parser, no process or thread pool, no CLI framework, none of
    what reads other processes, images or binaries, and, with no finding, none of what proposes and tries fixes.

    hashlib may load: the chain's names' subject hashes let the search for who holds its root pass over the files
    an earlier check kept as lacking them (`kept_subjects`), which costs less than reading them."""
    heavy = (
        "cryptography",
        "dataclasses",
        "inspect",
        "typing",
        "datetime",
        "subprocess",
        "concurrent.futures",
        "importlib.util",
        "ipaddress",
        "urllib.parse",
        "typer",
        "rich",
        "cadoctor._facts.subjects.offline",
        "cadoctor._facts.subjects.process",
        "cadoctor._facts.subjects.image",
        "cadoctor._facts.subjects.scan",
        "cadoctor._facts.binary.elf",
        "cadoctor._facts.subjects.inspection",
        "cadoctor._facts.interpreters.proof",
        "cadoctor._fixes.propose",
        "cadoctor._fixes.verify",
    )
    chain_dir = Path(tempfile.mkdtemp(prefix="cadoctor-lean-"))
    try:
        chain = make_chain(chain_dir / "pki")
        assert chain.intermediate is not None
        script = (
            "import io, sys\n"
            "before = set(sys.modules)  # what site and .pth files loaded is not the check's doing\n"
            "from cadoctor._cli.main import main\n"
            "real, sys.stdout = sys.stdout, io.StringIO()\n"
            "code = main(['check', '--format', 'json', '--host', sys.argv[1]])\n"
            "sys.stdout = real\n"
            "print(code, sorted(m for m in sys.argv[2:] if m in set(sys.modules) - before))\n"
        )
        with serve(tls_handler(server_context(chain.leaf, chain.key, chain.intermediate))) as port:
            out = subprocess.run(
                [sys.executable, "-c", script, "localhost:%d" % port, *heavy],
                env=trusting_env(chain.root),
                capture_output=True,
                text=True,
                timeout=CHILD_TIMEOUT,
            )
    finally:
        shutil.rmtree(chain_dir)
    assert out.stdout == "0 []\n", out.stderr
