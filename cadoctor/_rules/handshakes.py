"""What each live handshake's outcome means: its `host-*` code, from the raw facts the tls family gathered.

The order is the meaning: where the handshake stopped, then a timeout, then the verify code (refined by the
chain and the bundles that hold its root), then the alert, then the state of the socket.
"""

from __future__ import annotations

from cadoctor._model import Facts, HostCheck
from cadoctor._record import replace
from cadoctor._rules.certificate_alerts import REASONS as ALERTS_ABOUT_OUR_CERTIFICATE

# OpenSSL's verify codes (X509_V_ERR_*) that say what is wrong with the server's chain; any other one is a
# failure of the handshake. The tls family reads the chain for exactly these (a test keeps the two in step).
_BY_VERIFY_CODE = {
    2: "host-unknown-ca",  # UNABLE_TO_GET_ISSUER_CERT
    9: "host-not-yet-valid",  # CERT_NOT_YET_VALID
    10: "host-expired",  # CERT_HAS_EXPIRED
    18: "host-unknown-ca",  # DEPTH_ZERO_SELF_SIGNED_CERT
    19: "host-unknown-ca",  # SELF_SIGNED_CERT_IN_CHAIN
    20: "host-unknown-ca",  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21: "host-incomplete-chain",  # UNABLE_TO_VERIFY_LEAF_SIGNATURE
    27: "host-unknown-ca",  # CERT_UNTRUSTED
    62: "host-hostname-mismatch",  # HOSTNAME_MISMATCH
    63: "host-hostname-mismatch",  # EMAIL_MISMATCH
    64: "host-hostname-mismatch",  # IP_ADDRESS_MISMATCH
    # RFC 5280's rules that only VERIFY_X509_STRICT applies (Python 3.13's default context): OpenSSL's codes
    # 76-77 (signature algorithms) and 80-94 (extensions: key identifiers, basic constraints, key usage, ...)
    **{strict: "host-strict-rejected" for strict in (76, 77, *range(80, 95))},
}


_TIMEOUTS = {"timeout", "TimeoutError", "SSLTimeoutError"}  # the exception classes of a wait that ran out


# OpenSSL's reasons when the peer's answer is not a TLS record: plain HTTP, a proxy's port, something else.
_NOT_TLS = {
    "WRONG_VERSION_NUMBER",
    "RECORD_LAYER_FAILURE",
    "PACKET_LENGTH_TOO_LONG",
    "HTTP_REQUEST",
    "HTTPS_PROXY_REQUEST",
    "UNKNOWN_PROTOCOL",
    "RECORD_LENGTH_MISMATCH",
}


_CLOSED = {"SSLEOFError", "SSLZeroReturnError", "ConnectionResetError", "ConnectionAbortedError", "BrokenPipeError"}


def _no_trusted_root(host: HostCheck, code: str) -> str:
    """Unknown CA or incomplete chain, told apart by the chain the server sent and the bundles that hold its issuer."""
    chain = host.chain
    if chain and not chain[-1].self_issued and not host.holders:
        # Its issuer is in no store here, certifi's public roots included. A public CA's leaf names where its
        # issuer is published (AIA): sent alone, it lacks the intermediate the server must send. A leaf without
        # one is signed by a private root (mkcert, trustme, a cluster's or a proxy's CA); above an intermediate
        # the server did send, what is missing is a root no store here holds.
        return "host-incomplete-chain" if len(chain) == 1 and chain[0].ca_issuers else "host-unknown-ca"
    if host.holders:
        return "host-unknown-ca"  # a bundle here holds the issuer: trusting it is the question, not the server
    return code


def host_code(host: HostCheck) -> str | None:
    """The `host-*` code of one handshake; None when it succeeded, or was not tried (no default context)."""
    if host.ok or host.stage == "context":
        return None
    error_type = host.error_type or ""
    reason = (host.reason or "").upper()
    text = (host.error or "").lower()
    if host.stage in ("invalid", "resolve", "proxy"):
        return "host-unreachable"
    if error_type in _TIMEOUTS or "timed out" in text:
        return "host-timeout"
    if host.stage == "connect":
        return "host-unreachable"
    if host.verify_code is not None:
        code = _BY_VERIFY_CODE.get(host.verify_code, "host-handshake-failure")
        return _no_trusted_root(host, code) if code in ("host-unknown-ca", "host-incomplete-chain") else code
    if reason in ALERTS_ABOUT_OUR_CERTIFICATE:
        return "host-client-cert-rejected"
    if reason in _NOT_TLS:
        return "host-not-tls"
    if reason == "UNEXPECTED_EOF_WHILE_READING" or error_type in _CLOSED or "eof occurred" in text:
        return "host-connection-reset"
    return "host-handshake-failure"


def classified(facts: Facts) -> Facts:
    """The facts with each host's code decided, and the issuer an incomplete chain lacks named."""
    if not facts.hosts:
        return facts
    hosts = []
    for host in facts.hosts:
        code = host_code(host)
        top = host.chain[-1] if host.chain else None
        missing = top.issuer if code == "host-incomplete-chain" and top and not top.self_issued else None
        hosts.append(replace(host, code=code, missing_issuer=missing))
    return replace(facts, hosts=tuple(hosts))
