"""The rule that turns a handshake's raw outcome into its `host-*` code, driven by outcomes without a network."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import pytest
from helpers.pki import make_chain
from helpers.recorded import facts_from_json

from cadoctor._commands.check import report_for
from cadoctor._facts.tls.analysis import analyse
from cadoctor._facts.tls.handshake import (
    CERTIFICATES_REJECTED,
    NO_TRUSTED_ROOT,
    Handshake,
    handshake,
    reached_no_trusted_root,
    rejected_certificates,
)
from cadoctor._model import Facts, HostCheck, RootHolder
from cadoctor._record import replace
from cadoctor._rules.certificate_alerts import REASONS
from cadoctor._rules.handshakes import classified, host_code

VERIFY_FAILED = {"stage": "handshake", "error_type": "SSLCertVerificationError", "reason": "CERTIFICATE_VERIFY_FAILED"}


def _checked(outcome: dict[str, Any], chain: tuple[bytes, ...] = ()) -> HostCheck:
    """The host check the tls family builds from a raw outcome and the chain's DER, nothing on disk holding its root."""
    full = {"ok": False, "proxy": None, "error": None, "error_type": None, **outcome}
    return analyse(Handshake("example.test", "example.test", 443, full, chain), ())


def _code(**outcome: Any) -> str | None:
    """The code the rule gives a raw outcome without a chain."""
    return host_code(_checked(outcome))


def _verify_failure(code: int) -> dict[str, Any]:
    """A raw outcome of a handshake whose verification failed with this OpenSSL verify code."""
    return {**VERIFY_FAILED, "verify_code": code, "error": "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"}


def _ders(*paths: Path | None) -> tuple[bytes, ...]:
    """The DER of each PEM certificate file."""
    return tuple(ssl.PEM_cert_to_DER_cert(path.read_text()) for path in paths if path is not None)


@pytest.mark.parametrize(
    ("verify_code", "code"),
    [
        (2, "host-unknown-ca"),
        (18, "host-unknown-ca"),
        (19, "host-unknown-ca"),
        (20, "host-unknown-ca"),
        (27, "host-unknown-ca"),
        (21, "host-incomplete-chain"),
        (9, "host-not-yet-valid"),
        (10, "host-expired"),
        (62, "host-hostname-mismatch"),
        (63, "host-hostname-mismatch"),
        (64, "host-hostname-mismatch"),
        (7, "host-handshake-failure"),  # CERT_SIGNATURE_FAILURE: not what the chain lacks, nor what it says
        (24, "host-handshake-failure"),  # INVALID_CA
        (26, "host-handshake-failure"),  # INVALID_PURPOSE
    ],
)
def test_each_verify_code_names_its_code(verify_code: int, code: str) -> None:
    """Each OpenSSL verify code gives its own code, and one the table does not know is a handshake failure."""
    assert _code(**_verify_failure(verify_code)) == code


def test_the_facts_read_the_chain_for_exactly_the_codes_the_rule_reads_in_it() -> None:
    """The tls family fetches the chain and seeks its root's holders for exactly the verify codes the rule needs."""
    for verify_code in range(100):
        code = _code(**_verify_failure(verify_code))
        assert rejected_certificates({"verify_code": verify_code}) is (code != "host-handshake-failure"), verify_code
        assert reached_no_trusted_root({"verify_code": verify_code}) is (
            code in ("host-unknown-ca", "host-incomplete-chain")
        ), verify_code
    assert NO_TRUSTED_ROOT < CERTIFICATES_REJECTED


@pytest.mark.parametrize("reason", sorted(REASONS))
@pytest.mark.parametrize("stage", ["handshake", "after-handshake"])
def test_an_alert_about_our_certificate_is_a_rejected_client_certificate(reason: str, stage: str) -> None:
    """Each alert that rejects a certificate, during the handshake or just after it (TLS 1.3), is about ours."""
    error = "[SSL: %s] %s (_ssl.c:1000)" % (reason, reason.lower().replace("_", " "))
    assert _code(stage=stage, error=error, error_type="SSLError", reason=reason) == "host-client-cert-rejected"


@pytest.mark.parametrize(
    "reason",
    [
        "WRONG_VERSION_NUMBER",
        "RECORD_LAYER_FAILURE",
        "PACKET_LENGTH_TOO_LONG",
        "HTTP_REQUEST",
        "HTTPS_PROXY_REQUEST",
        "UNKNOWN_PROTOCOL",
        "RECORD_LENGTH_MISMATCH",
    ],
)
def test_a_peer_that_answers_no_tls_record_is_not_tls(reason: str) -> None:
    """OpenSSL's reasons for an answer that is no TLS record mean the peer does not speak TLS there."""
    assert _code(stage="handshake", error="[SSL: %s]" % reason, error_type="SSLError", reason=reason) == "host-not-tls"


@pytest.mark.parametrize(
    "outcome",
    [
        {
            "error": "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol",
            "reason": "UNEXPECTED_EOF_WHILE_READING",
        },
        {"error": "EOF occurred in violation of protocol (_ssl.c:1129)", "error_type": "SSLEOFError", "reason": "EOF"},
        {"error": "[Errno 104] Connection reset by peer", "error_type": "ConnectionResetError"},
        {"error": "[Errno 103] Software caused connection abort", "error_type": "ConnectionAbortedError"},
        {"error": "[Errno 32] Broken pipe", "error_type": "BrokenPipeError"},
        {"error": "TLS/SSL connection has been closed (EOF) (_ssl.c:1000)", "error_type": "SSLZeroReturnError"},
        {"error": "eof occurred in violation of protocol", "error_type": "OSError"},
    ],
)
def test_a_connection_closed_during_the_handshake_is_a_reset(outcome: dict[str, Any]) -> None:
    """The EOF reason, a closed-socket exception, or OpenSSL's EOF text each mean the connection was closed."""
    assert _code(stage="handshake", **outcome) == "host-connection-reset"


@pytest.mark.parametrize(
    "outcome",
    [
        {"stage": "connect", "error": "timed out", "error_type": "TimeoutError"},
        {"stage": "connect", "error": "timed out", "error_type": "timeout"},  # socket.timeout before Python 3.10
        {"stage": "handshake", "error": "_ssl.c:989: The handshake operation timed out", "error_type": "TimeoutError"},
        {"stage": "handshake", "error": "The read operation timed out", "error_type": "SSLTimeoutError"},
        {"stage": "handshake", "error": "The handshake operation timed out", "error_type": "OSError"},
    ],
)
def test_a_wait_that_ran_out_is_a_timeout(outcome: dict[str, Any]) -> None:
    """A timeout's exception class, or its text, is a timeout whether connecting or handshaking."""
    assert _code(**outcome) == "host-timeout"


@pytest.mark.parametrize(
    "outcome",
    [
        {"stage": "resolve", "error": "[Errno -2] Name or service not known", "error_type": "gaierror"},
        {"stage": "resolve", "error": "timed out", "error_type": "TimeoutError"},  # where it stopped comes first
        {"stage": "proxy", "error": "the proxy answered 403 Forbidden", "error_type": "ProxyError"},
        {"stage": "connect", "error": "[Errno 111] Connection refused", "error_type": "ConnectionRefusedError"},
    ],
)
def test_a_host_never_reached_is_unreachable(outcome: dict[str, Any]) -> None:
    """A name that does not resolve, a proxy that refuses, or a refused connection is unreachable."""
    assert _code(**outcome) == "host-unreachable"


def test_any_other_failure_is_a_handshake_failure() -> None:
    """An alert that is not about a certificate (no shared cipher, say) is a handshake failure."""
    assert (
        _code(
            stage="handshake",
            error="[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE]",
            error_type="SSLError",
            reason="SSLV3_ALERT_HANDSHAKE_FAILURE",
        )
        == "host-handshake-failure"
    )


def test_the_verify_code_comes_before_the_alert_and_the_socket() -> None:
    """A verify code decides even when the outcome also carries an alert's reason or a closed-socket class."""
    outcome = {**_verify_failure(10), "reason": "TLSV1_ALERT_UNKNOWN_CA", "error_type": "ConnectionResetError"}
    assert _code(**outcome) == "host-expired"


def test_a_handshake_that_succeeded_or_was_never_tried_has_no_code() -> None:
    """Success has no code, and neither has a host not tried for want of a default context."""
    assert _code(ok=True, stage="done", protocol="TLSv1.3") is None
    untried = handshake("example.test:443", "SSL_CERT_FILE is a FIFO", 1.0)
    assert isinstance(untried, HostCheck)
    assert (untried.stage, host_code(untried)) == ("context", None)


def test_a_target_that_names_no_endpoint_is_unreachable() -> None:
    """A target that does not parse is never tried, and the rule calls it unreachable."""
    invalid = handshake("https://example.test:99999", "never used", 1.0)
    assert isinstance(invalid, HostCheck)
    assert (invalid.stage, host_code(invalid)) == ("invalid", "host-unreachable")


def test_a_public_leaf_sent_alone_lacks_its_intermediate(tmp_path: Path) -> None:
    """Unknown issuer, a lone leaf naming where its issuer is published, no bundle holding it: an incomplete chain."""
    chain = make_chain(tmp_path, ca_issuers="http://ca.example.test/intermediate.der")
    host = _classified(_checked(_verify_failure(20), _ders(chain.leaf)))
    assert (host.code, host.missing_issuer) == ("host-incomplete-chain", chain.intermediate_name)


def test_a_lone_leaf_without_a_published_issuer_is_signed_by_a_private_root(tmp_path: Path) -> None:
    """A lone leaf that names no published issuer is under a private root, even when OpenSSL says 21."""
    chain = make_chain(tmp_path)
    host = _classified(_checked(_verify_failure(21), _ders(chain.leaf)))
    assert (host.code, host.missing_issuer) == ("host-unknown-ca", None)


def test_a_chain_sent_up_to_its_intermediate_lacks_a_root_no_store_holds(tmp_path: Path) -> None:
    """Leaf and intermediate sent, the root in no store here: unknown CA, not an incomplete chain."""
    chain = make_chain(tmp_path, ca_issuers="http://ca.example.test/intermediate.der")
    host = _classified(_checked(_verify_failure(21), _ders(chain.leaf, chain.intermediate)))
    assert (host.code, host.missing_issuer) == ("host-unknown-ca", None)


def test_a_root_a_bundle_here_holds_makes_it_an_unknown_ca(tmp_path: Path) -> None:
    """When a bundle here holds the chain's issuer, trusting it is the question: unknown CA, even for code 21."""
    chain = make_chain(tmp_path, ca_issuers="http://ca.example.test/intermediate.der")
    host = _checked(_verify_failure(21), _ders(chain.leaf))
    held = replace(host, holders=(RootHolder("/etc/ssl/private-ca.pem", ("variable",), False, "unable to get"),))
    assert (_classified(held).code, _classified(held).missing_issuer) == ("host-unknown-ca", None)


def test_without_a_chain_the_verify_code_stands() -> None:
    """No chain to read (the fetch found none): code 21 stays an incomplete chain, with no issuer to name."""
    host = _classified(_checked(_verify_failure(21)))
    assert (host.code, host.missing_issuer) == ("host-incomplete-chain", None)


def test_a_self_signed_chain_top_is_left_as_the_verify_code_says(tmp_path: Path) -> None:
    """A chain ending at a self-signed root no store holds stays an unknown CA, and names nothing missing."""
    chain = make_chain(tmp_path, intermediate=False)
    host = _classified(_checked(_verify_failure(19), _ders(chain.leaf, chain.root)))
    assert (host.code, host.missing_issuer) == ("host-unknown-ca", None)


def test_a_report_carries_the_codes_the_rule_decided(tmp_path: Path) -> None:
    """report_for decides each host's code once, and the findings, the fixes and the facts all carry it."""
    chain = make_chain(tmp_path, ca_issuers="http://ca.example.test/intermediate.der")
    raw = _checked(_verify_failure(20), _ders(chain.leaf))
    assert raw.code is None
    report = report_for(replace(_recorded_facts(), hosts=(raw,)), verify=False)
    assert report.facts.hosts[0].code == "host-incomplete-chain"
    assert "host-incomplete-chain" in {finding.code for finding in report.findings}
    assert any("host-incomplete-chain" in fix.addresses for fix in report.fixes)


def test_classifying_twice_changes_nothing_and_facts_without_hosts_pass_through() -> None:
    """The rule reads only raw facts, so classifying classified facts is the same; no hosts, the same facts."""
    facts = _recorded_facts()
    assert classified(facts) is facts
    hosts = tuple(_checked(outcome) for outcome in (_verify_failure(10), {"stage": "connect", "error_type": "timeout"}))
    once = classified(replace(facts, hosts=hosts))
    assert classified(once) == once
    assert [host.code for host in once.hosts] == ["host-expired", "host-timeout"]


def _recorded_facts() -> Facts:
    """Real facts, recorded on another platform, without hosts."""
    data = json.loads((Path(__file__).parent / "recorded" / "conda-env.json").read_text())
    return facts_from_json(data["facts"])


def _classified(host: HostCheck) -> HostCheck:
    """One host check as the rule leaves it in the facts."""
    return classified(replace(_recorded_facts(), hosts=(host,))).hosts[0]
