"""The tables `check --host` and `explain` share: interception products and the alerts that reject a certificate."""

from __future__ import annotations

import pytest

from cadoctor._rules.certificate_alerts import CERTIFICATE_ALERTS, REASONS
from cadoctor._rules.explain.reading import explain
from cadoctor._rules.interception import NAMES, interception_product

# The two lists of interception products as they stood apart before they became one table: `--host`'s
# (`_rules/hosts.py`) and explain's (its `interception-product` row, each alternative spelled out).
HOST_NAMES = (
    "zscaler",
    "netskope",
    "fortigate",
    "fortinet",
    "palo alto",
    "blue coat",
    "bluecoat",
    "forcepoint",
    "websense",
    "cisco umbrella",
    "opendns",
    "sophos",
    "mitmproxy",
    "do_not_trust_fiddlerroot",
    "fiddler",
    "charles proxy",
    "kaspersky",
    "avast",
    "eset ssl filter",
    "bitdefender",
    "check point",
    "barracuda",
    "smoothwall",
    "lightspeed",
    "securly",
    "iboss",
    "menlo security",
    "cato networks",
    "mcafee web gateway",
    "skyhigh",
)
EXPLAIN_NAMES = (
    "zscaler",
    "netskope",
    "fortinet",
    "fortigate",
    "bluecoat",
    "blue coat",
    "palo alto",
    "cisco umbrella",
    "umbrella root",
    "sophos",
    "forcepoint",
    "websense",
    "mitmproxy",
    "fiddler",
    "fiddlerroot",
    "charles proxy",
    "charlesproxy",
    "kaspersky",
    "avast",
    "avg antivirus",
    "avg internet security",
    "avg web shield",
    "eset",
    "bitdefender",
    "web shield",
    "webgateway",
    "web gateway",
    "check point",
    "checkpoint ssl",
    "untangle",
    "smoothwall",
    "barracuda",
    "lightspeed",
    "securly",
    "iboss",
    "menlo security",
    "contentkeeper",
    "portswigger",
    "burp suite",
    "reqable",
    "proxyman",
    "gateway ca - cloudflare",
    "ssl inspection",
    "tls inspection",
    "https inspection",
    "ssl decryption",
    "deep packet inspection",
    "man-in-the-middle",
    "mitm detected",
)

# Explain's alerts about a certificate before its pattern was built from the table, each alternative spelled out.
EXPLAIN_ALERTS = (
    "tlsv1 alert unknown ca",
    "sslv3 alert bad certificate",
    "sslv3 alert certificate unknown",
    "alert certificate required",
    "tlsv1 alert access denied",
    "sslv3 alert unsupported certificate",
    *(
        "received fatal alert: " + name
        for name in (
            "bad certificate",
            "certificate unknown",
            "unknown ca",
            "certificate required",
            "access denied",
            "unsupported certificate",
            "badcertificate",
            "unknownca",
            "certificateunknown",
            "certificaterequired",
        )
    ),
    *(
        "remote error: tls: " + name
        for name in ("bad certificate", "unknown certificate authority", "unknown certificate", "certificate required")
    ),
    "remote error: tls: access denied",
    "ssl error bad cert alert",
    "ssl error unknown ca alert",
    "ssl error certificate unknown alert",
    *(
        "received %s alert: fatal - %s" % (side, name)
        for side in ("server", "client")
        for name in ("unknown ca", "bad certificate", "certificate unknown", "certificate required")
    ),
    "peer does not recognize and trust the ca",
)


def _causes(message: str) -> list[str]:
    """The names of the causes explain finds in a message."""
    return [cause.name for cause in explain(message).causes]


@pytest.mark.parametrize("name", sorted(set(HOST_NAMES) | set(EXPLAIN_NAMES)))
def test_every_name_either_list_knew_is_recognised_by_both(name: str) -> None:
    """A product name from either old list is found by --host in a chain's names and by explain in a message."""
    assert interception_product(["%s Root CA" % name.upper()]) is not None
    message = 'x509: certificate signed by unknown authority (candidate authority certificate "%s CA")' % name.upper()
    assert _causes(message)[0] == "interception-product"


def test_the_table_holds_each_name_once() -> None:
    """No name is listed twice, each is lowercase, and each begins and ends with a letter or a digit."""
    assert len(NAMES) == len(set(NAMES)) == len(set(HOST_NAMES) | set(EXPLAIN_NAMES))
    assert all(name == name.lower() and name[0].isalnum() and name[-1].isalnum() for name in NAMES)


@pytest.mark.parametrize("name", HOST_NAMES)
def test_a_name_host_knew_is_still_reported_as_itself(name: str) -> None:
    """A chain naming one product --host knew reports the same name as before: the finding's `product` is unchanged."""
    assert interception_product(["CN=%s Root" % name.title()]) == name


def test_a_name_counts_in_a_chain_where_a_word_begins() -> None:
    """ZscalerRootCA names Zscaler and DO_NOT_TRUST_FiddlerRoot names Fiddler; Preset Systems does not name ESET."""
    assert interception_product(["ZscalerRootCA"]) == "zscaler"
    assert interception_product(["DO_NOT_TRUST_FiddlerRoot"]) == "do_not_trust_fiddlerroot"
    assert interception_product(["Fortinet FortiGate CA"]) == "fortigate"
    assert interception_product(["Preset Systems Root CA", "Asset Issuing CA"]) is None


def test_a_name_counts_in_a_message_as_whole_words() -> None:
    """ESET in a message is the product; `reset` in `connection reset` is not."""
    assert _causes("ESET SSL filter: certificate verify failed")[0] == "interception-product"
    assert "interception-product" not in _causes("ConnectionResetError: [Errno 104] Connection reset by peer")


@pytest.mark.parametrize("spelling", EXPLAIN_ALERTS)
def test_every_alert_spelling_explain_knew_is_still_read(spelling: str) -> None:
    """Each spelling of an alert explain read before is read as the client's certificate rejected, on a client."""
    assert "client-cert" in _causes("urllib3.exceptions.SSLError: %s" % spelling)


@pytest.mark.parametrize("reason", sorted(REASONS))
def test_every_reason_a_handshake_reads_as_an_alert_explain_reads_too(reason: str) -> None:
    """OpenSSL's reason for each alert --host reads as our certificate rejected, pasted from a client, explain reads."""
    assert "client-cert" in _causes("urllib3.exceptions.SSLError: [SSL: %s] (_ssl.c:1006)" % reason)


def test_each_alert_is_printed_first_as_openssl_names_it() -> None:
    """The first spelling of each alert holds OpenSSL's reason string (the table's two columns are one alert)."""
    for alert in CERTIFICATE_ALERTS:
        assert alert.printed[0] in alert.reason.lower().replace("_", " "), alert
