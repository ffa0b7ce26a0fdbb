"""Findings from live handshakes, already classified: the wording of each code, the evidence, interception.

Classification itself (which `host-*` code a failure is) and the list of interception products are tested
elsewhere; here every host arrives with its code, and no chain names a product.
"""

from __future__ import annotations

import pytest
from helpers.records import CERTIFI, SYSTEM_BUNDLE, certificate, facts, holder, host, with_clients

from cadoctor._model import Finding, HostCheck, Severity, StoreVerdict
from cadoctor._record import replace
from cadoctor._rules.hosts import host_findings

ROOT = "'CN=Example Private Root'"
LEAF = "'CN=app.example.test'"
INTERMEDIATE = "CN=Example Intermediate"


def summaries(*hosts: HostCheck) -> list[str]:
    """The summaries of the findings for these hosts, on otherwise healthy facts."""
    return [f.summary for f in host_findings(facts(hosts=hosts))]


@pytest.mark.parametrize(
    ("checked", "why"),
    [
        (
            host("host-unknown-ca"),
            "the chain ends at %s, which the default context does not trust; no bundle on this host holds it: trust "
            "that root if it is your CA's (a private CA, a cluster's, a proxy's), or, if %s is an intermediate, the "
            "server must send it" % (ROOT, ROOT),
        ),
        (
            host("host-unknown-ca", chain=(certificate("CN=Example Private Root"),)),
            "the chain ends at %s, which the default context does not trust; no bundle on this host holds it" % ROOT,
        ),
        (
            host(
                "host-unknown-ca",
                holders=(
                    holder("/srv/a.pem", "env:REQUESTS_CA_BUNDLE"),
                    holder("/srv/b.pem", "certifi", verifies=False, reason="certificate has expired"),
                ),
            ),
            "the chain ends at %s, which the default context does not trust; held by /srv/a.pem (the chain verifies "
            "against it); /srv/b.pem (does not verify: certificate has expired)" % ROOT,
        ),
        (
            host(
                "host-incomplete-chain",
                missing_issuer=INTERMEDIATE,
                chain=(certificate("CN=app.example.test", INTERMEDIATE, ca_issuers=("http://ca.example.test/i.crt",)),),
            ),
            "the server did not send %r, the certificate its chain needs (OpenSSL never fetches a missing "
            "intermediate; browsers do, so the site may work there); its issuer is published at "
            "http://ca.example.test/i.crt" % INTERMEDIATE,
        ),
        (
            host("host-incomplete-chain", missing_issuer=INTERMEDIATE),
            "the server did not send %r, the certificate its chain needs (OpenSSL never fetches a missing "
            "intermediate; browsers do, so the site may work there)" % INTERMEDIATE,
        ),
        (host("host-expired"), "the server's certificate %s expired on 2026-01-01T00:00:00+00:00" % LEAF),
        (host("host-expired", chain=()), "the server's certificate None expired on ?"),
        (
            host("host-not-yet-valid"),
            "the server's certificate %s is valid only from 2025-01-01T00:00:00+00:00: check this host's clock" % LEAF,
        ),
        (
            host("host-not-yet-valid", chain=()),
            "the server's certificate None is valid only from ?: check this host's clock",
        ),
        (
            host("host-hostname-mismatch", verify_message="Hostname mismatch, certificate is not valid for 'x'."),
            "Hostname mismatch, certificate is not valid for 'x': the certificate does not name app.example.test; no "
            "CA bundle changes that",
        ),
        (
            host("host-hostname-mismatch", verify_message=None),
            "hostname mismatch: the certificate does not name app.example.test; no CA bundle changes that",
        ),
        (
            host("host-client-cert-rejected", reason="TLSV13_ALERT_CERTIFICATE_REQUIRED"),
            "the server sent the alert TLSV13_ALERT_CERTIFICATE_REQUIRED: it rejected our client certificate (or the "
            "lack of one); local trust is not at fault",
        ),
        (
            host("host-client-cert-rejected", reason=None, error="alert 116"),
            "the server sent the alert alert 116: it rejected our client certificate (or the lack of one); local "
            "trust is not at fault",
        ),
        (
            host("host-connection-reset", error="[Errno 104] Connection reset by peer"),
            "the connection closed during the handshake ([Errno 104] Connection reset by peer): a proxy, a firewall or "
            "the server itself ended it",
        ),
        (
            host("host-not-tls", reason="WRONG_VERSION_NUMBER"),
            "the peer does not speak TLS there (WRONG_VERSION_NUMBER): plain HTTP, or a proxy's port?",
        ),
        (
            host("host-handshake-failure", error="sslv3 alert handshake failure"),
            "the handshake failed: sslv3 alert handshake failure",
        ),
        (host("host-unreachable", error="[Errno 111] Connection refused"), "[Errno 111] Connection refused"),
        (host("host-timeout", error="timed out"), "no answer within the timeout (timed out)"),
    ],
)
def test_each_failure_code_says_why_in_its_own_words(checked: HostCheck, why: str) -> None:
    """A failed handshake is one error finding with its code, the target, and the code's explanation."""
    (finding,) = host_findings(facts(hosts=(checked,)))
    assert (finding.code, finding.severity) == (checked.code, Severity.ERROR)
    assert finding.summary == "app.example.test: " + why


def test_a_handshake_through_a_proxy_names_the_proxy() -> None:
    """When a proxy carried the connection, the finding says so after the target."""
    (summary,) = summaries(host("host-timeout", error="timed out", proxy="http://proxy.example.test:3128"))
    assert summary.startswith("app.example.test through the proxy http://proxy.example.test:3128: no answer")


def test_the_evidence_carries_the_handshake_and_the_roots_holders() -> None:
    """The evidence holds the raw outcome, the chain's subjects, the top issuer and who holds it."""
    checked = host("host-unknown-ca", holders=(holder("/srv/a.pem", "env:REQUESTS_CA_BUNDLE", verifies=None),))
    (finding,) = host_findings(facts(hosts=(checked,)))
    assert finding.evidence == {
        "target": "app.example.test",
        "host": "app.example.test",
        "port": 443,
        "proxy": None,
        "stage": "handshake",
        "error": None,
        "reason": "CERTIFICATE_VERIFY_FAILED",
        "verify_code": 20,
        "verify_message": "unable to get local issuer certificate",
        "chain": ["CN=app.example.test"],
        "top_issuer": "CN=Example Private Root",
        "holders": [{"path": "/srv/a.pem", "roles": ["env:REQUESTS_CA_BUNDLE"], "verifies": None}],
    }


def test_the_evidence_names_a_missing_issuer_and_leaves_out_an_unknown_top() -> None:
    """An incomplete chain's evidence names the missing issuer; without a top issuer, no holders are listed."""
    checked = host("host-incomplete-chain", missing_issuer=INTERMEDIATE, top_issuer=None)
    (finding,) = host_findings(facts(hosts=(checked,)))
    assert finding.evidence["missing"] == INTERMEDIATE
    assert "top_issuer" not in finding.evidence
    assert "holders" not in finding.evidence


def test_a_successful_handshake_with_a_public_root_has_no_finding() -> None:
    """A host that verified, with a root in Mozilla's set, says nothing."""
    assert list(host_findings(facts(hosts=(host(None, public_root=True),)))) == []


def _intercepted(checked: HostCheck, *clients: tuple[str, str]) -> list[Finding]:
    """The interception findings for a host, with these clients installed beside certifi."""
    return [f for f in host_findings(with_clients(*clients, hosts=(checked,))) if f.code == "host-intercepted"]


def test_a_private_root_the_os_store_holds_is_interception_naming_the_clients_that_fail() -> None:
    """The handshake passed on a root certifi lacks and the OS store holds: who fails it is named."""
    checked = host(
        None,
        holders=(holder(SYSTEM_BUNDLE, "system"),),
        public_root=False,
        stores=(StoreVerdict(CERTIFI, False, "unable to get local issuer certificate"),),
    )
    assert _intercepted(checked, ("requests", "2.32.3")) == [
        Finding(
            "host-intercepted",
            Severity.WARNING,
            "app.example.test: the chain's root 'CN=Example Private Root' is not a public root (Mozilla's set, "
            "certifi, lacks it); the OS store holds it (%s): TLS interception by a proxy, or a private CA the "
            "administrator trusts; here requests fails it" % SYSTEM_BUNDLE,
            {
                "target": "app.example.test",
                "root": "CN=Example Private Root",
                "holders": [SYSTEM_BUNDLE],
                "failing_clients": ["requests"],
                "product": None,
            },
        )
    ]


def test_interception_without_a_failing_client_names_who_would_fail() -> None:
    """With no client here failing, the finding says which kind of client would."""
    checked = host(None, holders=(holder("/usr/local/share/ca-certificates", "local-anchors"),), public_root=False)
    (finding,) = _intercepted(checked)
    assert finding.summary.endswith("; clients that trust certifi or their own bundles fail it")
    assert finding.evidence["holders"] == ["/usr/local/share/ca-certificates"]


def test_two_failing_clients_are_named_in_the_plural() -> None:
    """Several clients failing the root are listed, with the verb in the plural."""
    checked = host(
        None,
        holders=(holder(SYSTEM_BUNDLE, "system"),),
        public_root=False,
        stores=(StoreVerdict(CERTIFI, False, "unable to get local issuer certificate"),),
    )
    (finding,) = _intercepted(checked, ("requests", "2.32.3"), ("httpx", "0.27.0"))
    assert finding.summary.endswith("; here requests, httpx fail it")


@pytest.mark.parametrize(
    "checked",
    [
        host(None, holders=(holder(SYSTEM_BUNDLE, "system"),), public_root=True),  # a public root after all
        host(None, holders=(holder(SYSTEM_BUNDLE, "system"),), public_root=None),  # not known: no claim
        host(None, holders=(holder("/srv/a.pem", "env:SSL_CERT_FILE"),), public_root=False),  # not the OS store
    ],
)
def test_no_interception_is_claimed_without_a_known_private_root_in_the_os_store(checked: HostCheck) -> None:
    """Interception needs a root known not to be public that the OS store (or its anchor folders) holds."""
    assert _intercepted(checked) == []


def test_an_unknown_ca_the_os_store_holds_is_also_interception() -> None:
    """An unknown-CA failure whose private root sits in the OS store gives both findings, the error first."""
    checked = host(
        "host-unknown-ca", holders=(holder(SYSTEM_BUNDLE, "system", verifies=False, reason="x"),), public_root=False
    )
    assert [f.code for f in host_findings(facts(hosts=(checked,)))] == ["host-unknown-ca", "host-intercepted"]
    other = replace(checked, code="host-expired")
    assert [f.code for f in host_findings(facts(hosts=(other,)))] == ["host-expired"]
