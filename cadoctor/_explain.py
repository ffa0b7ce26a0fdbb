"""`cadoctor explain`: decode a TLS error message or traceback into likely causes and the command that checks them."""

from __future__ import annotations

import re
from typing import Any

from cadoctor._record import field, record

INPUT_LIMIT = 1 << 20  # characters of text examined: tracebacks are long, logs can be endless


@record
class Pattern:
    """One family of messages, with what it usually means and how to check it."""

    name: str
    regex: re.Pattern[str]
    codes: tuple[str, ...]
    cause: str
    check: str
    host_command: bool = True  # the check needs the failing host (`--host`)


@record
class Cause:
    """A pattern that matched, with the text it matched and the command to run."""

    name: str
    codes: tuple[str, ...]
    matched: str
    cause: str
    check: str
    command: str


@record
class Explanation:
    """Everything `explain` found in one text."""

    known: bool
    host: str | None
    causes: tuple[Cause, ...] = field(default=())


def _p(name: str, pattern: str, codes: tuple[str, ...], cause: str, check: str, host: bool = True) -> Pattern:
    """Compile one table row."""
    return Pattern(name, re.compile(pattern, re.IGNORECASE), codes, cause, check, host)


# Most specific first: the first rows that match decide the order of the causes shown.
PATTERNS: tuple[Pattern, ...] = (
    _p(
        "strict-ca",
        r"basic constraints of ca cert not marked critical|missing authority key identifier|"
        r"ca cert does not include key usage|missing subject key identifier",
        ("strict-verification",),
        "Python 3.13+ verifies with VERIFY_X509_STRICT, which rejects this legacy or home-made CA certificate",
        "which CA in the bundles in effect lacks a critical basicConstraints or a key identifier",
        host=False,
    ),
    _p(
        "no-ssl-module",
        r"no module named '?_?ssl'?|ssl module (in python )?is not available|"
        r"can't connect to https url because the ssl module is not available",
        ("ssl-unavailable",),
        "this Python has no usable ssl module (built without OpenSSL, or its libssl/libcrypto fails to load)",
        "which libssl the interpreter needs and whether LD_LIBRARY_PATH points elsewhere",
        host=False,
    ),
    _p(
        "no-ca-bundle",
        r"could not find a suitable tls ca certificate bundle|"
        r"error setting certificate (verify )?(locations|file)|ca ?file:.*ca ?path|"
        r"ignoring extra certs from|x509_lookup|cafile.*(no such file|does not exist)",
        ("env-path-invalid", "trust-store-empty"),
        "a CA bundle path (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, "
        "a verify= argument) names a file that is missing, empty or unreadable, or certifi's file was stripped",
        "every CA variable and the files they name",
        host=False,
    ),
    _p(
        "incomplete-chain",
        r"unable to verify the first certificate|unable_to_verify_leaf_signature|\bnum=21\b|"
        r"\berror 21 at\b|verify (error|code)[:= ]+21\b",
        ("host-incomplete-chain",),
        "the server did not send an intermediate certificate its chain needs (browsers fetch it, OpenSSL does not)",
        "which certificate the server's chain is missing",
    ),
    _p(
        "self-signed-in-chain",
        r"self[- ]signed certificate in (the )?certificate chain|self_signed_cert_in_chain|\bnum=19\b|"
        r"\berror 19 at\b",
        ("host-unknown-ca", "host-intercepted"),
        "the chain ends at a root this client does not trust: a private CA, or a TLS-intercepting proxy's root",
        "the chain's root and which bundles on disk (OS store, certifi) hold it",
    ),
    _p(
        "self-signed-leaf",
        r"depth_zero_self_signed_cert|self[- ]signed certificate(?! in)|\bnum=18\b",
        ("host-unknown-ca",),
        "the server presents a self-signed certificate that this client does not trust",
        "the certificate the server presents and whether any bundle here holds it",
    ),
    _p(
        "local-issuer",
        r"unable to get local issuer certificate|unable_to_get_issuer_cert_locally|unable to get issuer certificate|"
        r"\bnum=(20|2)\b|\berror (20|2) at\b|server certificate verification failed|"
        r"certificate verify failed(?!:\s*(certificate has expired|hostname|ip address|self))",
        ("host-unknown-ca", "host-incomplete-chain", "trust-store-empty"),
        "no trusted root was found for the server's chain: the root is missing from the store this process uses "
        "(a private or interception CA, certifi instead of the OS store, an empty store), or the server sent an "
        "incomplete chain",
        "the server's chain, where its root is on disk, and what this interpreter trusts",
    ),
    _p(
        "expired",
        r"certificate has expired|cert_has_expired|certificate expired|\bnum=10\b|\berror 10 at\b",
        ("host-expired", "bundle-expired-roots"),
        "a certificate in the chain is past its end date (or an expired root is still used by an old OpenSSL)",
        "the chain's validity dates against this host's clock",
    ),
    _p(
        "not-yet-valid",
        r"certificate is not yet valid|cert_not_yet_valid|\bnum=9\b|\berror 9 at\b",
        ("host-not-yet-valid",),
        "a certificate's start date is in the future: usually this machine's clock is wrong",
        "the certificate's dates against this host's clock",
    ),
    _p(
        "hostname",
        r"hostname mismatch|doesn't match|does not match|ip address mismatch|"
        r"no alternative certificate subject name matches|err_tls_cert_altname_invalid|\bnum=(62|64)\b",
        ("host-hostname-mismatch",),
        "the certificate does not name the host that was asked for; no CA bundle change helps",
        "which names the certificate carries",
    ),
    _p(
        "client-cert",
        r"tlsv1 alert unknown ca|tlsv1_alert_unknown_ca|alert certificate required|certificate_required|"
        r"sslv3 alert bad certificate|sslv3_alert_bad_certificate|alert certificate unknown|tlsv1 alert access denied",
        ("host-client-cert-rejected",),
        "the server sent this alert: it rejected our client certificate (or the lack of one); local trust is not "
        "at fault",
        "whether the server requires a client certificate, and present it with --client-cert",
    ),
    _p(
        "weak-crypto",
        r"ca_md_too_weak|ca md too weak|ee_key_too_small|ee key too small|dh_key_too_small|dh key too small|"
        r"unsafe legacy renegotiation disabled",
        ("host-handshake-failure",),
        "the server uses a key, signature or renegotiation that this OpenSSL's security level refuses",
        "the server's TLS configuration (the fix is on the server)",
    ),
    _p(
        "no-common-protocol",
        r"alert handshake failure|sslv3_alert_handshake_failure|no shared cipher|no_shared_cipher|"
        r"no protocols available|unsupported protocol|alert protocol version|tlsv1 unrecognized name|"
        r"insufficient security|handshake_failure",
        ("host-handshake-failure", "host-client-cert-rejected"),
        "client and server share no protocol version or cipher (or, with TLS 1.2, the server wanted a client "
        "certificate)",
        "the protocols and ciphers the server accepts",
    ),
    _p(
        "not-tls",
        r"wrong version number|wrong_version_number|record layer failure|packet length too long|"
        r"http_request|\] http request|unknown protocol|record_length_mismatch",
        ("host-not-tls",),
        "the port does not speak TLS: plain HTTP, a proxy's port, or http:// vs https:// confused",
        "what answers on that port",
    ),
    _p(
        "bad-write-retry",
        r"bad write retry|bad_write_retry",
        (),
        "the application retried an SSL write with a different buffer: a non-blocking socket or one connection "
        "shared between threads or green threads (gevent, eventlet); not a trust problem",
        "how the client code reuses connections across threads",
        host=False,
    ),
    _p(
        "eof",
        r"unexpected_eof_while_reading|eof occurred in violation of protocol|ssl_error_syscall|"
        r"connection has been closed \(eof\)|"
        r"connection reset by peer|econnreset|socket hang up|server disconnected|connection aborted|"
        r"remote end closed connection",
        ("host-connection-reset",),
        "the connection was closed during the handshake: a proxy, a firewall or middlebox, or the server itself",
        "whether a proxy sits in the way (HTTPS_PROXY) and what the server logs",
    ),
    _p(
        "proxy",
        r"tunnel connection failed|proxyerror|proxy authentication required|connect tunnel failed|"
        r"unable to connect to proxy|\b407\b.*proxy|proxy.*\b407\b",
        ("host-unreachable",),
        "the HTTP proxy refused or broke the CONNECT tunnel",
        "HTTPS_PROXY/NO_PROXY and the proxy's answer",
    ),
    _p(
        "timeout",
        r"timed out|etimedout|connecttimeout|readtimeout|operation timed out",
        ("host-timeout",),
        "nothing answered in time: a firewall dropping packets, a dead proxy, or an overloaded server",
        "whether the host answers at all within a timeout",
    ),
    _p(
        "unreachable",
        r"connection refused|econnrefused|name or service not known|nodename nor servname|getaddrinfo|enotfound|"
        r"could not resolve host|temporary failure in name resolution|no route to host|network is unreachable",
        ("host-unreachable",),
        "the host name does not resolve or nothing accepts the connection: not a TLS problem yet",
        "name resolution and the port",
    ),
)

_HOST_PATTERNS = (
    re.compile(r"host=['\"]([^'\"]+)['\"],\s*port=(\d+)"),  # urllib3 / requests
    re.compile(r"https://\[?([A-Za-z0-9._:-]+?)\]?(?::(\d+))?(?=[/\s'\")]|$)"),  # URLs
    re.compile(r"connect(?:ed|ion)? to ([A-Za-z0-9._-]+)(?:[: ]port (\d+)|:(\d+))"),  # curl, git
    re.compile(r"\bhost: ['\"]?([A-Za-z0-9._-]+)['\"]?.*?\bport: ['\"]?(\d+)", re.DOTALL),  # Node
)


def find_host(text: str) -> str | None:
    """The HOST[:PORT] a message names, if it names one."""
    for pattern in _HOST_PATTERNS:
        match = pattern.search(text)
        if match:
            host = match.group(1).strip("[]")
            port = next((g for g in match.groups()[1:] if g), None)
            shown = "[%s]" % host if ":" in host else host
            return "%s:%s" % (shown, port) if port and port != "443" else shown
    return None


def explain(text: str) -> Explanation:
    """Match the text against every known message family, most specific first."""
    sample = text[:INPUT_LIMIT]
    host = find_host(sample)
    causes: list[Cause] = []
    for pattern in PATTERNS:
        match = pattern.regex.search(sample)
        if match is None:
            continue
        command = "cadoctor check --host %s" % (host or "HOST[:PORT]") if pattern.host_command else "cadoctor check"
        causes.append(Cause(pattern.name, pattern.codes, match.group(0), pattern.cause, pattern.check, command))
    return Explanation(known=bool(causes), host=host, causes=tuple(causes))


def to_document(explanation: Explanation, text: str) -> dict[str, Any]:
    """The explanation as a versioned JSON document."""
    return {
        "schema_version": 1,
        "known": explanation.known,
        "input_characters": len(text),
        "host": explanation.host,
        "causes": [
            {
                "pattern": c.name,
                "codes": list(c.codes),
                "matched": c.matched,
                "cause": c.cause,
                "check": c.check,
                "command": c.command,
            }
            for c in explanation.causes
        ],
    }


def to_text(explanation: Explanation) -> str:
    """Plain text for people: each likely cause, what to check next, and the command that checks it."""
    if not explanation.known:
        return (
            "cadoctor: this text matches no TLS or CA error cadoctor knows.\n"
            "Run `cadoctor check` (and `cadoctor check --host HOST` for a failing host) to examine the trust path.\n"
        )
    lines = ["cadoctor: %d likely cause%s" % (len(explanation.causes), "" if len(explanation.causes) == 1 else "s")]
    for number, cause in enumerate(explanation.causes, 1):
        codes = ", ".join(cause.codes) if cause.codes else "no finding code"
        lines.append("")
        lines.append("%d. %s  [%s]" % (number, cause.cause, codes))
        lines.append("   matched: %s" % cause.matched)
        lines.append("   check:   %s" % cause.check)
        lines.append("   run:     %s" % cause.command)
    return "\n".join(lines) + "\n"
