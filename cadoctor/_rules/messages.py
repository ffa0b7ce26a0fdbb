"""`cadoctor explain`: decode a TLS error message or traceback into likely causes and the command that checks them."""

from __future__ import annotations

import re

from cadoctor._record import field, record

INPUT_LIMIT = 1 << 20  # characters of text examined: tracebacks are long, logs can be endless


@record
class Pattern:
    """One family of messages, with what it usually means and how to check it.

    Attributes:
        regex: Phrases that identify the family; it has no unbounded repetition, so a search is linear.
        ordered: Pairs of phrases that identify it when the second follows the first on the same line.

    """

    name: str
    regex: re.Pattern[str]
    codes: tuple[str, ...]
    cause: str
    check: str
    host_command: bool = True  # the check needs the failing host (`--host`)
    ordered: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = ()

    def search(self, folded: str) -> tuple[int, int] | None:
        """Where in the (ASCII-lowercased) text this family shows, or None; linear in the text's length."""
        match = self.regex.search(folded)
        if match is not None:
            return match.span()
        for first, then in self.ordered:
            found = _in_order(folded, first, then)
            if found is not None:
                return found
        return None


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


MATCH_SHOWN = 200  # characters of the matched text kept: a phrase and its neighbourhood, not a whole log line


# Matching runs on the text with ASCII letters lowered: the patterns are lowercase, and offsets stay the same.
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _in_order(text: str, first: re.Pattern[str], then: re.Pattern[str]) -> tuple[int, int] | None:
    """`first` and later `then` on one line: the first `first` of each line is searched from, so the cost is linear."""
    at = 0
    while True:
        found = first.search(text, at)
        if found is None:
            return None
        end = text.find("\n", found.end())
        end = len(text) if end == -1 else end
        after = then.search(text, found.end(), end)
        if after is not None:
            return found.start(), after.end()
        at = end + 1


def _p(
    name: str,
    pattern: str,
    codes: tuple[str, ...],
    cause: str,
    check: str,
    host: bool = True,
    ordered: tuple[tuple[str, str], ...] = (),
) -> Pattern:
    """Compile one table row."""
    pairs = tuple((re.compile(a), re.compile(b)) for a, b in ordered)
    return Pattern(name, re.compile(pattern), codes, cause, check, host, pairs)


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
        r"error setting certificate (verify )?(locations|file)|ignoring extra certs from|x509_lookup",
        ("env-path-invalid", "trust-store-empty"),
        "a CA bundle path (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, "
        "a verify= argument) names a file that is missing, empty or unreadable, or certifi's file was stripped",
        "every CA variable and the files they name",
        host=False,
        ordered=((r"ca ?file:", r"ca ?path"), (r"cafile", r"no such file|does not exist")),
    ),
    _p(
        "incomplete-chain",
        r"unable to verify the first certificate|unable_to_verify_leaf_signature|num=21\b|"
        r"error 21 at\b|verify (error|code)[:= ]{1,4}21\b",
        ("host-incomplete-chain",),
        "the server did not send an intermediate certificate its chain needs (browsers fetch it, OpenSSL does not)",
        "which certificate the server's chain is missing",
    ),
    _p(
        "self-signed-in-chain",
        r"self[- ]signed certificate in (the )?certificate chain|self_signed_cert_in_chain|num=19\b|"
        r"error 19 at\b",
        ("host-unknown-ca", "host-intercepted"),
        "the chain ends at a root this client does not trust: a private CA, or a TLS-intercepting proxy's root",
        "the chain's root and which bundles on disk (OS store, certifi) hold it",
    ),
    _p(
        "self-signed-leaf",
        r"depth_zero_self_signed_cert|self[- ]signed certificate(?! in)|num=18\b",
        ("host-unknown-ca",),
        "the server presents a self-signed certificate that this client does not trust",
        "the certificate the server presents and whether any bundle here holds it",
    ),
    _p(
        "local-issuer",
        r"unable to get local issuer certificate|unable_to_get_issuer_cert_locally|unable to get issuer certificate|"
        r"num=(20|2)\b|error (20|2) at\b|server certificate verification failed|"
        r"certificate verify failed(?!:\s{0,8}(certificate has expired|hostname|ip address|self))",
        ("host-unknown-ca", "host-incomplete-chain", "trust-store-empty"),
        "no trusted root was found for the server's chain: the root is missing from the store this process uses "
        "(a private or interception CA, certifi instead of the OS store, an empty store), or the server sent an "
        "incomplete chain",
        "the server's chain, where its root is on disk, and what this interpreter trusts",
    ),
    _p(
        "expired",
        r"certificate has expired|cert_has_expired|certificate expired|num=10\b|error 10 at\b",
        ("host-expired", "bundle-expired-roots"),
        "a certificate in the chain is past its end date (or an expired root is still used by an old OpenSSL)",
        "the chain's validity dates against this host's clock",
    ),
    _p(
        "not-yet-valid",
        r"certificate is not yet valid|cert_not_yet_valid|num=9\b|error 9 at\b",
        ("host-not-yet-valid",),
        "a certificate's start date is in the future: usually this machine's clock is wrong",
        "the certificate's dates against this host's clock",
    ),
    _p(
        "hostname",
        r"hostname mismatch|doesn't match|does not match|ip address mismatch|"
        r"no alternative certificate subject name matches|err_tls_cert_altname_invalid|num=(62|64)\b",
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
        r"unable to connect to proxy",
        ("host-unreachable",),
        "the HTTP proxy refused or broke the CONNECT tunnel",
        "HTTPS_PROXY/NO_PROXY and the proxy's answer",
        ordered=((r" 407\b", r"proxy"), (r"proxy", r" 407\b")),
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


_NAME = r"(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9._-]{1,253})"


# Where a message names the host of the failing connection: never a URL merely mentioned (a documentation link).
_HOST_PATTERNS = (
    re.compile(r"host=['\"]%s['\"],\s{0,4}port=(\d{1,5})" % _NAME),  # urllib3, requests, pip, conda
    re.compile(r"cannot connect to host %s:(\d{1,5})" % _NAME),  # aiohttp
    re.compile(r"connect(?:ed|ion|ing)? to %s(?:[: ]port (\d{1,5})|:(\d{1,5}))" % _NAME),  # curl
    re.compile(  # git, pip, npm, Go (`Get "https://…": x509: …`), docker
        r"(?:unable to access '|could not fetch url |request to |get \"|post \"|put \"|head \"|delete \"|patch \")"
        r"https://%s(?::(\d{1,5}))?(?=[/'\"\s]|$)" % _NAME
    ),
)


_NODE_HOST = re.compile(r"host(?:name)?: ['\"]?%s['\"]?" % _NAME)


_NODE_PORT = re.compile(r"port: ['\"]?(\d{1,5})")


_NODE_WINDOW = 400  # characters between `host:` and `port:` in a printed Node error object


_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def valid_target(host: str, port: str | None) -> str | None:
    """`host[:port]` when the host is a DNS name, an IPv4 or a bracketed IPv6 address and the port a port."""
    if port is not None and not 0 < int(port) < 65536:
        return None
    if host.startswith("["):
        inner = host[1:-1]
        if inner.count(":") < 2 or not re.fullmatch(r"[0-9A-Fa-f:.]+", inner):
            return None
    elif len(host) > 253 or not all(_LABEL.match(label) for label in host.rstrip(".").split(".")):
        return None
    return "%s:%s" % (host, port) if port and port != "443" else host


def _node_host(text: str, folded: str) -> str | None:
    """The host of a printed Node error object: `host: 'x'` with `port: N` close after it."""
    at = 0
    while True:
        found = _NODE_HOST.search(folded, at)
        if found is None:
            return None
        window = found.end() + _NODE_WINDOW
        port = _NODE_PORT.search(folded, found.end(), window)
        if port is not None:
            return valid_target(text[found.start(1) : found.end(1)], port.group(1))
        at = window


def find_host(text: str, folded: str | None = None) -> str | None:
    """The HOST[:PORT] of the failing connection, if the message names one that parses as such."""
    folded = text.translate(_FOLD) if folded is None else folded
    for pattern in _HOST_PATTERNS:
        for match in pattern.finditer(folded):
            port = next((g for g in match.groups()[1:] if g), None)
            target = valid_target(text[match.start(1) : match.end(1)], port)
            if target is not None:
                return target
    return _node_host(text, folded)


def explain(text: str) -> Explanation:
    """Match the text against every known message family, most specific first."""
    import shlex

    sample = text[:INPUT_LIMIT]
    folded = sample.translate(_FOLD)
    host = find_host(sample, folded)
    causes: list[Cause] = []
    for pattern in PATTERNS:
        span = pattern.search(folded)
        if span is None:
            continue
        matched = sample[span[0] : span[1]]
        command = "cadoctor check"
        if pattern.host_command:
            command += " --host %s" % (shlex.quote(host) if host else "HOST[:PORT]")
        shown = matched if len(matched) <= MATCH_SHOWN else matched[:MATCH_SHOWN] + "..."
        causes.append(Cause(pattern.name, pattern.codes, shown, pattern.cause, pattern.check, command))
    return Explanation(known=bool(causes), host=host, causes=tuple(causes))
